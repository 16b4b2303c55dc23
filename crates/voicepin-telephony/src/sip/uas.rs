//! The sans-IO user agent server: RFC 3261 server transactions (§17.2), the dialogs of
//! answered calls (§12, §13.3.1.4) and our own BYE's client transaction (§17.1.2), driven
//! by `(bytes, source, now)` and timers, in the style of `quinn-proto`: feed it with
//! [`Endpoint::handle_input`] and [`Endpoint::handle_timeout`], drain
//! [`Endpoint::poll_transmit`] and [`Endpoint::poll_event`], sleep until
//! [`Endpoint::poll_timeout`]. Nothing here reads a clock or touches a socket.
//!
//! The call's owner (the "TU") answers each [`Event::Incoming`] with [`Endpoint::accept`]
//! or [`Endpoint::reject`], and ends calls with [`Endpoint::hangup`].

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use ezk_sip_types::Name;
use thiserror::Error;

use crate::media::dtmf::info::{ACCEPTED_CONTENT_TYPES, InfoError, parse_info};

use super::message::{self, Message, Method, ParseError, RawHead, Request};
use super::response::{ALLOW, Bye, Extra, has_tag, response};

/// RTT estimate (RFC 3261 §17.1.1.1).
pub const T1: Duration = Duration::from_millis(500);
/// The longest retransmission interval of non-INVITE requests and INVITE responses.
pub const T2: Duration = Duration::from_secs(4);
/// The longest time a message stays in the network.
pub const T4: Duration = Duration::from_secs(5);

/// The transport a message came on or goes out by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transport {
    /// Datagrams: the transaction layer retransmits.
    Udp,
    /// A stream: reliable, framed by Content-Length.
    Tcp,
}

impl std::fmt::Display for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Udp => "UDP",
            Self::Tcp => "TCP",
        })
    }
}

/// Where a message came from, and so where its answers go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Remote {
    /// The peer's address.
    pub addr: SocketAddr,
    /// The transport.
    pub transport: Transport,
    /// The stream connection it came on (0 for UDP): answers go back on it.
    pub connection: u64,
}

/// Bytes to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transmit {
    /// To whom, and how.
    pub to: Remote,
    /// One whole message.
    pub bytes: Vec<u8>,
}

/// A call of this endpoint (not the SIP Call-ID).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallId(pub u64);

/// A new call to answer.
#[derive(Clone, Debug)]
pub struct IncomingCall {
    /// The call.
    pub call: CallId,
    /// The SDP offer; `None` for an INVITE without one (the offer goes in our 200, the
    /// answer comes in the ACK).
    pub offer: Option<Bytes>,
    /// The user part of the Request-URI: the number dialled.
    pub called: Option<String>,
    /// The user part of From: the caller ID.
    pub caller: Option<String>,
    /// Where the INVITE came from.
    pub source: SocketAddr,
}

/// Why a call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndReason {
    /// The caller hung up (BYE).
    Bye,
    /// The caller withdrew the INVITE before the answer (CANCEL).
    Cancelled,
    /// No ACK came for our 200 within 64·T1; we sent BYE.
    NoAck,
}

/// What the endpoint reports to the call's owner.
#[derive(Clone, Debug)]
pub enum Event {
    /// A new call: answer it with [`Endpoint::accept`] or [`Endpoint::reject`].
    Incoming(IncomingCall),
    /// The ACK for our 200 came; with the SDP answer when the INVITE had no offer.
    Confirmed {
        /// The call.
        call: CallId,
        /// The ACK's SDP, if it had one.
        sdp: Option<Bytes>,
    },
    /// An INFO in the call whose body names a key (answered 200 already; other bodies are
    /// answered 400 or 415 and not reported).
    Info {
        /// The call.
        call: CallId,
        /// `application/dtmf-relay` or `application/dtmf`.
        content_type: String,
        /// The body.
        body: Bytes,
    },
    /// The call is over; nothing more will be reported about it.
    Ended {
        /// The call.
        call: CallId,
        /// Why.
        reason: EndReason,
    },
}

/// A TU request that no longer applies.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum CallError {
    /// The call ended (cancelled, or never existed) or was already answered.
    #[error("the call is over or already answered")]
    NotPending,
}

/// The endpoint's settings.
#[derive(Clone, Debug)]
pub struct Config {
    /// `host:port` for our Via and Contact.
    pub advertise: String,
    /// `Server` and `User-Agent`.
    pub user_agent: String,
    /// Seed of the tag and branch generator; `None` takes one from the OS.
    pub seed: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct TxKey {
    branch: String,
    sent_by: String,
    method: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TxState {
    /// INVITE: waiting for the TU's final answer (100 sent).
    Proceeding,
    /// INVITE: 2xx sent; absorbs retransmitted INVITEs until timer L (RFC 6026).
    Accepted,
    /// A final non-2xx response sent (INVITE: waiting for the ACK).
    Completed,
    /// INVITE: ACK received; absorbs ACK retransmissions until timer I.
    Confirmed,
}

#[derive(Debug)]
struct ServerTx {
    state: TxState,
    /// Where the request came from.
    source: Remote,
    /// Where its responses go.
    dest: Remote,
    /// The last response sent, re-sent on a retransmitted request.
    last: Vec<u8>,
    /// The request (INVITEs only: answered later).
    request: Option<Request>,
    /// Timer G: the next retransmission and its interval.
    retransmit: Option<(Instant, Duration)>,
    /// Timers H, I, J, L: when the transaction is forgotten.
    expires: Option<Instant>,
}

impl ServerTx {
    fn deadline(&self) -> Option<Instant> {
        [self.retransmit.map(|(at, _)| at), self.expires].into_iter().flatten().min()
    }
}

#[derive(Debug)]
enum CallState {
    /// INVITE received, the TU has not answered.
    Offered,
    /// 200 sent; re-sent until the ACK (RFC 3261 §13.3.1.4).
    Answering { next: Instant, interval: Duration, give_up: Instant },
    /// ACK received.
    Confirmed,
}

#[derive(Debug)]
struct Call {
    state: CallState,
    invite_key: TxKey,
    invite: Request,
    remote: Remote,
    local_tag: String,
    /// Our 200 (re-sent until the ACK, and the answer to a re-INVITE).
    ok: Option<Vec<u8>>,
    local_sdp: Option<Vec<u8>>,
    local_cseq: u32,
}

#[derive(Debug)]
struct ClientTx {
    remote: Remote,
    bytes: Vec<u8>,
    retransmit: Option<(Instant, Duration)>,
    expires: Instant,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Timer {
    Server(TxKey),
    Call(CallId),
    Client(String),
}

/// The user agent server.
#[derive(Debug)]
pub struct Endpoint {
    config: Config,
    rng: u64,
    next_call: u64,
    server: HashMap<TxKey, ServerTx>,
    calls: HashMap<CallId, Call>,
    /// `(Call-ID, our tag)` → call.
    dialogs: HashMap<(String, String), CallId>,
    client: HashMap<String, ClientTx>,
    timers: BinaryHeap<Reverse<(Instant, Timer)>>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
}

impl Endpoint {
    /// An endpoint with no calls.
    pub fn new(config: Config) -> Self {
        let seed = config.seed.or_else(|| getrandom::u64().ok()).unwrap_or(0x9e37_79b9_7f4a_7c15) | 1;
        Self {
            config,
            rng: seed,
            next_call: 1,
            server: HashMap::new(),
            calls: HashMap::new(),
            dialogs: HashMap::new(),
            client: HashMap::new(),
            timers: BinaryHeap::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// The number of calls in progress (offered, answering or confirmed).
    pub fn active_calls(&self) -> usize {
        self.calls.len()
    }

    /// The next datagram or segment to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event for the TU.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Endpoint::handle_timeout`] should be called next (possibly early, never late).
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.peek().map(|Reverse((at, _))| *at)
    }

    /// One whole message from `remote` (a datagram, or one framed message of a stream).
    /// Malformed input is answered 400 when its Via allows, otherwise dropped; it never
    /// affects another call.
    pub fn handle_input(&mut self, now: Instant, remote: Remote, bytes: &[u8]) {
        match message::parse(bytes) {
            Ok(Message::Request(request)) => self.on_request(now, remote, *request),
            Ok(Message::Response(response)) => {
                if response.code >= 200 && response.cseq_method == Method::Bye {
                    self.client.remove(&response.branch);
                }
            }
            Err((ParseError::BadRequest(reason), Some(head))) => self.bad_request(remote, &head, reason),
            Err((error, _)) => tracing::debug!(%error, from = %remote.addr, "SIP input dropped"),
        }
    }

    /// Runs the timers due at `now`: retransmissions and expiries.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(Reverse((at, _))) = self.timers.peek() {
            if *at > now {
                break;
            }
            let Some(Reverse((_, timer))) = self.timers.pop() else { break };
            match timer {
                Timer::Server(key) => self.server_timer(now, key),
                Timer::Call(call) => self.call_timer(now, call),
                Timer::Client(branch) => self.client_timer(now, branch),
            }
        }
    }

    /// Answers a call 200 with our SDP (an answer to its offer, or our offer when it had none).
    pub fn accept(&mut self, now: Instant, call: CallId, sdp: Vec<u8>) -> Result<(), CallError> {
        let Some(state) = self.calls.get(&call) else { return Err(CallError::NotPending) };
        if !matches!(state.state, CallState::Offered) {
            return Err(CallError::NotPending);
        }
        let key = state.invite_key.clone();
        let contact = match state.remote.transport {
            Transport::Udp => format!("<sip:{}>", self.config.advertise),
            Transport::Tcp => format!("<sip:{};transport=tcp>", self.config.advertise),
        };
        let extra = Extra {
            to_tag: Some(&state.local_tag),
            headers: vec![("Contact", contact), ("Allow", ALLOW.into())],
            body: Some(("application/sdp", &sdp)),
        };
        let ok = response(
            &state.invite.headers,
            state.remote.addr,
            state.invite.via.rport,
            200,
            &self.config.user_agent,
            &extra,
        );
        let udp = state.remote.transport == Transport::Udp;
        if let Some(tx) = self.server.get_mut(&key) {
            tx.state = TxState::Accepted;
            tx.last = ok.clone();
            tx.expires = Some(now + 64 * T1);
            self.timers.push(Reverse((now + 64 * T1, Timer::Server(key))));
        }
        let give_up = now + 64 * T1;
        let next = if udp { now + T1 } else { give_up };
        if let Some(state) = self.calls.get_mut(&call) {
            state.state = CallState::Answering { next, interval: T1, give_up };
            state.ok = Some(ok.clone());
            state.local_sdp = Some(sdp);
            let to = respond_to(state.remote, &state.invite);
            self.transmits.push_back(Transmit { to, bytes: ok });
        }
        self.timers.push(Reverse((next, Timer::Call(call))));
        Ok(())
    }

    /// Tells the caller we are ringing (180, with our tag) while the TU delays its answer; a
    /// retransmitted INVITE gets the 180 again.
    pub fn ringing(&mut self, call: CallId) -> Result<(), CallError> {
        let Some(state) = self.calls.get(&call) else { return Err(CallError::NotPending) };
        if !matches!(state.state, CallState::Offered) {
            return Err(CallError::NotPending);
        }
        let extra = Extra { to_tag: Some(&state.local_tag), ..Extra::default() };
        let bytes = response(
            &state.invite.headers,
            state.remote.addr,
            state.invite.via.rport,
            180,
            &self.config.user_agent,
            &extra,
        );
        let to = respond_to(state.remote, &state.invite);
        if let Some(tx) = self.server.get_mut(&state.invite_key) {
            tx.last = bytes.clone();
        }
        self.transmits.push_back(Transmit { to, bytes });
        Ok(())
    }

    /// Answers a call with a final error status (488 when no codec is shared, 486, 480...).
    pub fn reject(&mut self, now: Instant, call: CallId, code: u16) -> Result<(), CallError> {
        let Some(state) = self.calls.get(&call) else { return Err(CallError::NotPending) };
        if !matches!(state.state, CallState::Offered) {
            return Err(CallError::NotPending);
        }
        let key = state.invite_key.clone();
        let tag = state.local_tag.clone();
        self.forget_call(call);
        self.final_failure(now, &key, code, &tag);
        Ok(())
    }

    /// Ends a call: BYE once answered, 480 while still offered.
    pub fn hangup(&mut self, now: Instant, call: CallId) {
        let offered = self.calls.get(&call).map(|c| matches!(c.state, CallState::Offered));
        match offered {
            Some(true) => {
                let _ = self.reject(now, call, 480);
            }
            Some(false) => self.send_bye(now, call),
            None => {}
        }
    }

    fn on_request(&mut self, now: Instant, remote: Remote, request: Request) {
        if request.method == Method::Ack {
            return self.on_ack(now, request);
        }
        let key = tx_key(&request);
        if let Some(tx) = self.server.get(&key) {
            // A retransmission: the last response again (nothing yet while the TU decides
            // on a non-INVITE, which never happens: those are answered at once).
            self.transmits.push_back(Transmit { to: tx.dest, bytes: tx.last.clone() });
            return;
        }
        if request.max_forwards == Some(0) && request.method != Method::Options {
            return self.answer(now, remote, &request, 483, Extra::default());
        }
        if request.method != Method::Cancel && !request.require.is_empty() {
            let unsupported = request.require.join(", ");
            let extra = Extra { headers: vec![("Unsupported", unsupported)], ..Extra::default() };
            return self.answer(now, remote, &request, 420, extra);
        }
        match (&request.method, &request.to_tag) {
            (Method::Cancel, _) => self.on_cancel(now, remote, &request),
            (_, Some(tag)) => self.in_dialog(now, remote, &request, tag.clone()),
            (Method::Invite, None) => self.on_invite(now, remote, request),
            (Method::Options, None) => self.answer(now, remote, &request, 200, options()),
            (Method::Bye | Method::Info, None) => self.answer(now, remote, &request, 481, Extra::default()),
            (Method::Ack, None) | (Method::Other(_), None) => {
                let extra = Extra { headers: vec![("Allow", ALLOW.into())], ..Extra::default() };
                self.answer(now, remote, &request, 405, extra)
            }
        }
    }

    fn on_invite(&mut self, now: Instant, remote: Remote, request: Request) {
        let has_body = !request.body.is_empty();
        if has_body && request.content_type().as_deref() != Some("application/sdp") {
            let extra = Extra { headers: vec![("Accept", "application/sdp".into())], ..Extra::default() };
            return self.answer(now, remote, &request, 415, extra);
        }
        let call = CallId(self.next_call);
        self.next_call += 1;
        let local_tag = self.token();
        let key = tx_key(&request);
        let trying =
            response(&request.headers, remote.addr, request.via.rport, 100, &self.config.user_agent, &Extra::default());
        let to = self.respond_to(remote, &request);
        self.transmits.push_back(Transmit { to, bytes: trying.clone() });
        self.server.insert(
            key.clone(),
            ServerTx {
                state: TxState::Proceeding,
                source: remote,
                dest: to,
                last: trying,
                request: Some(request.clone()),
                retransmit: None,
                expires: None,
            },
        );
        self.dialogs.insert((request.call_id.clone(), local_tag.clone()), call);
        self.events.push_back(Event::Incoming(IncomingCall {
            call,
            offer: has_body.then(|| request.body.clone()),
            called: request.uri_user(),
            caller: request.from_user(),
            source: remote.addr,
        }));
        self.calls.insert(
            call,
            Call {
                state: CallState::Offered,
                invite_key: key,
                invite: request,
                remote,
                local_tag,
                ok: None,
                local_sdp: None,
                local_cseq: 1,
            },
        );
    }

    fn on_ack(&mut self, now: Instant, request: Request) {
        // The ACK of a 2xx is a request of the dialog, in a new transaction.
        if let Some(tag) = &request.to_tag
            && let Some(call) = self.dialogs.get(&(request.call_id.clone(), tag.clone())).copied()
            && let Some(state) = self.calls.get_mut(&call)
            && matches!(state.state, CallState::Answering { .. })
        {
            state.state = CallState::Confirmed;
            let sdp = (!request.body.is_empty()).then(|| request.body.clone());
            self.events.push_back(Event::Confirmed { call, sdp });
            return;
        }
        // The ACK of a non-2xx final response belongs to the INVITE's transaction.
        let key = TxKey { method: "INVITE".into(), ..tx_key(&request) };
        if let Some(tx) = self.server.get_mut(&key)
            && tx.state == TxState::Completed
        {
            tx.state = TxState::Confirmed;
            tx.retransmit = None;
            let linger = if tx.dest.transport == Transport::Udp { T4 } else { Duration::ZERO };
            tx.expires = Some(now + linger);
            self.timers.push(Reverse((now + linger, Timer::Server(key))));
        }
    }

    fn on_cancel(&mut self, now: Instant, remote: Remote, request: &Request) {
        let invite_key = TxKey { method: "INVITE".into(), ..tx_key(request) };
        let Some(tx) = self.server.get(&invite_key) else {
            return self.answer(now, remote, request, 481, Extra::default());
        };
        let proceeding = tx.state == TxState::Proceeding;
        self.answer(now, remote, request, 200, Extra::default());
        if !proceeding {
            return;
        }
        let call =
            self.calls.iter().find(|(_, c)| c.invite_key == invite_key).map(|(id, c)| (*id, c.local_tag.clone()));
        if let Some((call, tag)) = call {
            self.forget_call(call);
            self.final_failure(now, &invite_key, 487, &tag);
            self.events.push_back(Event::Ended { call, reason: EndReason::Cancelled });
        }
    }

    fn in_dialog(&mut self, now: Instant, remote: Remote, request: &Request, tag: String) {
        let Some(call) = self.dialogs.get(&(request.call_id.clone(), tag.clone())).copied() else {
            return self.answer(now, remote, request, 481, Extra::default());
        };
        let confirmed_or_answering = self.calls.get(&call).is_some_and(|c| !matches!(c.state, CallState::Offered));
        if !confirmed_or_answering {
            return self.answer(now, remote, request, 481, Extra::default());
        }
        let tag = Some(tag.as_str());
        match request.method {
            Method::Bye => {
                self.forget_call(call);
                self.answer(now, remote, request, 200, Extra { to_tag: tag, ..Extra::default() });
                self.events.push_back(Event::Ended { call, reason: EndReason::Bye });
            }
            Method::Info => {
                let content_type = request.content_type().unwrap_or_default();
                match parse_info(&content_type, &request.body) {
                    Ok(digit) => {
                        self.answer(now, remote, request, 200, Extra { to_tag: tag, ..Extra::default() });
                        if digit.is_some() {
                            self.events.push_back(Event::Info { call, content_type, body: request.body.clone() });
                        }
                    }
                    Err(error) => {
                        let headers = match error {
                            InfoError::UnsupportedContentType(_) => vec![("Accept", ACCEPTED_CONTENT_TYPES.to_owned())],
                            InfoError::Malformed => Vec::new(),
                        };
                        self.answer(
                            now,
                            remote,
                            request,
                            error.status(),
                            Extra { to_tag: tag, headers, ..Extra::default() },
                        );
                    }
                }
            }
            Method::Options => self.answer(now, remote, request, 200, Extra { to_tag: tag, ..options() }),
            Method::Invite => {
                // A re-INVITE (session refresh, hold): the same session again.
                let sdp = self.calls.get(&call).and_then(|c| c.local_sdp.clone()).unwrap_or_default();
                let contact = format!("<sip:{}>", self.config.advertise);
                let extra =
                    Extra { to_tag: tag, headers: vec![("Contact", contact)], body: Some(("application/sdp", &sdp)) };
                self.answer(now, remote, request, 200, extra);
            }
            _ => {
                let extra = Extra { to_tag: tag, headers: vec![("Allow", ALLOW.into())], ..Extra::default() };
                self.answer(now, remote, request, 405, extra);
            }
        }
    }

    /// Sends a final response to a new non-INVITE (or a refused INVITE) and keeps it for
    /// retransmissions until timer J.
    fn answer(&mut self, now: Instant, remote: Remote, request: &Request, code: u16, extra: Extra<'_>) {
        let bytes = response(&request.headers, remote.addr, request.via.rport, code, &self.config.user_agent, &extra);
        let to = self.respond_to(remote, request);
        self.transmits.push_back(Transmit { to, bytes: bytes.clone() });
        let key = tx_key(request);
        let invite = request.method == Method::Invite;
        let udp = remote.transport == Transport::Udp;
        let (state, retransmit, linger) = match (invite, udp) {
            // A refused INVITE waits for its ACK, re-sending the response (timers G, H).
            (true, true) => (TxState::Completed, Some((now + T1, T1)), 64 * T1),
            (true, false) => (TxState::Completed, None, 64 * T1),
            (false, true) => (TxState::Completed, None, 64 * T1),
            (false, false) => (TxState::Completed, None, Duration::ZERO),
        };
        let tx = ServerTx {
            state,
            source: remote,
            dest: to,
            last: bytes,
            request: None,
            retransmit,
            expires: Some(now + linger),
        };
        if let Some(at) = tx.deadline() {
            self.timers.push(Reverse((at, Timer::Server(key.clone()))));
        }
        self.server.insert(key, tx);
    }

    /// A final non-2xx response to a pending INVITE transaction (reject, CANCEL).
    fn final_failure(&mut self, now: Instant, key: &TxKey, code: u16, tag: &str) {
        let Some(tx) = self.server.get_mut(key) else { return };
        let Some(request) = tx.request.take() else { return };
        let extra = Extra { to_tag: Some(tag), ..Extra::default() };
        let bytes =
            response(&request.headers, tx.source.addr, request.via.rport, code, &self.config.user_agent, &extra);
        tx.state = TxState::Completed;
        tx.last = bytes.clone();
        tx.retransmit = (tx.dest.transport == Transport::Udp).then_some((now + T1, T1));
        tx.expires = Some(now + 64 * T1);
        let to = tx.dest;
        if let Some(at) = tx.deadline() {
            self.timers.push(Reverse((at, Timer::Server(key.clone()))));
        }
        self.transmits.push_back(Transmit { to, bytes });
    }

    fn bad_request(&mut self, remote: Remote, head: &RawHead, reason: &'static str) {
        if head.method == Method::Ack {
            return;
        }
        let Ok(vias) = head.headers.get_named::<Vec<ezk_sip_types::header::typed::Via>>() else {
            tracing::debug!(from = %remote.addr, reason, "SIP request without a usable Via dropped");
            return;
        };
        let Some(via) = vias.first() else { return };
        let rport = via.params.get("rport").is_some();
        let extra = Extra { headers: vec![("Warning", format!("399 voicepin \"{reason}\""))], ..Extra::default() };
        let bytes = response(&head.headers, remote.addr, rport, 400, &self.config.user_agent, &extra);
        let to = match remote.transport {
            Transport::Tcp => remote,
            Transport::Udp if rport => remote,
            Transport::Udp => {
                Remote { addr: SocketAddr::new(remote.addr.ip(), via.sent_by.port.unwrap_or(5060)), ..remote }
            }
        };
        self.transmits.push_back(Transmit { to, bytes });
    }

    /// Where responses to `request` go (RFC 3261 §18.2.2, RFC 3581 §4): back on the stream;
    /// over UDP to the source port when rport was asked for, else to the Via's port at the
    /// source address.
    fn respond_to(&self, remote: Remote, request: &Request) -> Remote {
        respond_to(remote, request)
    }

    fn send_bye(&mut self, now: Instant, call: CallId) {
        let Some(mut state) = self.forget_call(call) else { return };
        let branch = format!("z9hG4bK{}", self.token());
        state.local_cseq += 1;
        let invite = &state.invite;
        let to_raw = invite.header(&Name::TO).unwrap_or_default();
        let from = if has_tag(to_raw) { to_raw.to_owned() } else { format!("{to_raw};tag={}", state.local_tag) };
        let remote_target = invite
            .contact_uri()
            .unwrap_or_else(|| message::addr_spec(invite.header(&Name::FROM).unwrap_or_default()).to_owned());
        let bye = Bye {
            uri: &remote_target,
            transport: state.remote.transport,
            advertise: &self.config.advertise,
            branch: &branch,
            from,
            to: invite.header(&Name::FROM).unwrap_or_default(),
            call_id: &invite.call_id,
            cseq: state.local_cseq,
            routes: invite.headers.get_raw(&Name::RECORD_ROUTE).map(|r| r.to_string()).collect(),
            user_agent: &self.config.user_agent,
        };
        let bytes = bye.to_bytes();
        // Sent where the INVITE came from (the PBX or trunk that routed the call to us).
        let remote = self.respond_to(state.remote, invite);
        self.transmits.push_back(Transmit { to: remote, bytes: bytes.clone() });
        let udp = remote.transport == Transport::Udp;
        let tx = ClientTx { remote, bytes, retransmit: udp.then_some((now + T1, T1)), expires: now + 64 * T1 };
        let first = tx.retransmit.map_or(tx.expires, |(at, _)| at);
        self.timers.push(Reverse((first, Timer::Client(branch.clone()))));
        self.client.insert(branch, tx);
    }

    fn forget_call(&mut self, call: CallId) -> Option<Call> {
        let state = self.calls.remove(&call)?;
        self.dialogs.remove(&(state.invite.call_id.clone(), state.local_tag.clone()));
        Some(state)
    }

    fn server_timer(&mut self, now: Instant, key: TxKey) {
        let Some(tx) = self.server.get_mut(&key) else { return };
        if tx.expires.is_some_and(|at| at <= now) {
            self.server.remove(&key);
            return;
        }
        if let Some((at, interval)) = tx.retransmit
            && at <= now
            && tx.state == TxState::Completed
        {
            // Timer G: the final response again, the interval doubling up to T2.
            let interval = (interval * 2).min(T2);
            tx.retransmit = Some((now + interval, interval));
            self.transmits.push_back(Transmit { to: tx.dest, bytes: tx.last.clone() });
        }
        if let Some(at) = self.server.get(&key).and_then(ServerTx::deadline) {
            self.timers.push(Reverse((at.max(now), Timer::Server(key))));
        }
    }

    fn call_timer(&mut self, now: Instant, call: CallId) {
        let Some(state) = self.calls.get_mut(&call) else { return };
        let CallState::Answering { next, interval, give_up } = state.state else { return };
        if give_up <= now {
            self.send_bye(now, call);
            self.events.push_back(Event::Ended { call, reason: EndReason::NoAck });
            return;
        }
        if next <= now {
            let interval = (interval * 2).min(T2);
            let next = (now + interval).min(give_up);
            state.state = CallState::Answering { next, interval, give_up };
            let to = respond_to(state.remote, &state.invite);
            if let Some(ok) = state.ok.clone() {
                self.transmits.push_back(Transmit { to, bytes: ok });
            }
            self.timers.push(Reverse((next, Timer::Call(call))));
        } else {
            self.timers.push(Reverse((next, Timer::Call(call))));
        }
    }

    fn client_timer(&mut self, now: Instant, branch: String) {
        let Some(tx) = self.client.get_mut(&branch) else { return };
        if tx.expires <= now {
            self.client.remove(&branch);
            return;
        }
        if let Some((at, interval)) = tx.retransmit
            && at <= now
        {
            // Timer E.
            let interval = (interval * 2).min(T2);
            tx.retransmit = Some((now + interval, interval));
            self.transmits.push_back(Transmit { to: tx.remote, bytes: tx.bytes.clone() });
        }
        let next = tx.retransmit.map_or(tx.expires, |(at, _)| at.min(tx.expires));
        self.timers.push(Reverse((next, Timer::Client(branch))));
    }

    /// A fresh random token for tags and branches.
    fn token(&mut self) -> String {
        // xorshift64*: unpredictable enough for tags (RFC 3261 §19.3 wants 32 random bits).
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        format!("{:016x}", self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d))
    }
}

/// Where responses to `request` go (RFC 3261 §18.2.2, RFC 3581 §4).
fn respond_to(remote: Remote, request: &Request) -> Remote {
    match remote.transport {
        Transport::Tcp => remote,
        Transport::Udp if request.via.rport => remote,
        Transport::Udp => {
            Remote { addr: SocketAddr::new(remote.addr.ip(), request.via.port.unwrap_or(5060)), ..remote }
        }
    }
}

fn options() -> Extra<'static> {
    Extra { headers: vec![("Allow", ALLOW.into()), ("Accept", "application/sdp".into())], ..Extra::default() }
}

/// The server transaction a request belongs to (RFC 3261 §17.2.3): branch, sent-by and
/// method, with ACK matched to its INVITE; for an RFC 2543 client without the magic cookie,
/// Call-ID, CSeq and From tag stand in for the branch.
fn tx_key(request: &Request) -> TxKey {
    let method = match request.method {
        Method::Ack => "INVITE".to_owned(),
        ref other => other.as_str().to_owned(),
    };
    let branch = if request.via.branch.starts_with("z9hG4bK") {
        request.via.branch.clone()
    } else {
        format!("2543:{}:{}:{}", request.call_id, request.cseq, request.from_tag.as_deref().unwrap_or_default())
    };
    TxKey { branch, sent_by: request.via.sent_by(), method }
}

#[cfg(test)]
mod tests;
