//! The tokio layer around the sans-IO [`Endpoint`]: one UDP socket and one TCP listener on
//! `sip.listen`, one task that owns the endpoint (feeding it datagrams, framed stream
//! messages and timer ticks, sending what it asks), and one task per call
//! ([`crate::call`]) for its media and flow.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

use thiserror::Error;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::mpsc;

use crate::call::{self, CallEvent, CallOutcome, CallSetup, Calls};
use crate::media::sdp::{self, SdpError};
use crate::sip::framing::{Frame, StreamFramer};
use crate::sip::{CallId, Config, Endpoint, Event, IncomingCall, Remote, Transport};

/// Where and how the telephone front end listens.
#[derive(Clone, Debug)]
pub struct Settings {
    /// UDP and TCP, the same address and port (port 0: any free port, the same for both).
    pub listen: SocketAddr,
    /// The address put in Contact and SDP; by default the listening address.
    pub advertise: Option<IpAddr>,
    /// The UDP ports for RTP; even ones are used (RTCP would take the odd one above).
    pub rtp_ports: RangeInclusive<u16>,
    /// How long to ring (180) before answering; zero answers at once.
    pub answer_after: Duration,
}

/// Why the telephone front end cannot start.
#[derive(Debug, Error)]
pub enum TelephonyError {
    /// A socket cannot be bound.
    #[error("cannot listen for SIP on {address} ({transport}): {source}")]
    Bind {
        /// The address.
        address: SocketAddr,
        /// UDP or TCP.
        transport: Transport,
        /// Why.
        source: std::io::Error,
    },
    /// The listening address is unspecified (0.0.0.0) and no advertised address was given.
    #[error("sip.listen {0} is unspecified: set sip.advertise to the address PBXs reach")]
    NoAdvertise(SocketAddr),
}

/// The bound sockets, ready to run.
pub struct Telephony {
    udp: Arc<UdpSocket>,
    tcp: TcpListener,
    local: SocketAddr,
    advertise: IpAddr,
    rtp: Arc<RtpPorts>,
    calls: Calls,
    answer_after: Duration,
}

impl Telephony {
    /// Binds UDP and TCP on `settings.listen`; calls are handed to `calls`.
    pub async fn bind(settings: &Settings, calls: Calls) -> Result<Self, TelephonyError> {
        let advertise = match settings.advertise {
            Some(address) => address,
            None if settings.listen.ip().is_unspecified() => return Err(TelephonyError::NoAdvertise(settings.listen)),
            None => settings.listen.ip(),
        };
        let (udp, tcp) = bind_both(settings.listen).await?;
        let local = udp.local_addr().map_err(|source| TelephonyError::Bind {
            address: settings.listen,
            transport: Transport::Udp,
            source,
        })?;
        let rtp = Arc::new(RtpPorts::new(settings.rtp_ports.clone(), local.ip()));
        Ok(Self { udp: Arc::new(udp), tcp, local, advertise, rtp, calls, answer_after: settings.answer_after })
    }

    /// The address SIP is served on (UDP and TCP).
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Serves until `shutdown` completes; then every call is hung up (BYE) before returning.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let advertise = SocketAddr::new(self.advertise, self.local.port()).to_string();
        let endpoint = Endpoint::new(Config {
            advertise: advertise.clone(),
            user_agent: format!("voicepin/{}", env!("CARGO_PKG_VERSION")),
            seed: None,
        });
        let driver = Driver {
            endpoint,
            udp: self.udp,
            advertise: self.advertise,
            rtp: self.rtp,
            calls: self.calls,
            answer_after: self.answer_after,
            ringing: HashMap::new(),
            connections: HashMap::new(),
            call_events: HashMap::new(),
            next_connection: 1,
        };
        driver.run(self.tcp, shutdown).await;
    }
}

/// UDP and TCP on one port; with port 0 the UDP socket picks it and TCP follows.
async fn bind_both(listen: SocketAddr) -> Result<(UdpSocket, TcpListener), TelephonyError> {
    let error = |transport, source| TelephonyError::Bind { address: listen, transport, source };
    let mut last = None;
    for _ in 0..20 {
        let udp = UdpSocket::bind(listen).await.map_err(|e| error(Transport::Udp, e))?;
        let port = udp.local_addr().map_err(|e| error(Transport::Udp, e))?.port();
        match TcpListener::bind(SocketAddr::new(listen.ip(), port)).await {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(e) if listen.port() == 0 => last = Some(e),
            Err(e) => return Err(error(Transport::Tcp, e)),
        }
    }
    Err(error(Transport::Tcp, last.unwrap_or_else(|| std::io::Error::other("no free port"))))
}

/// Even UDP ports from the configured range, handed out round-robin; a port is free again
/// when its call's socket is dropped (the kernel is the bookkeeper).
#[derive(Debug)]
pub struct RtpPorts {
    range: RangeInclusive<u16>,
    ip: IpAddr,
    next: AtomicU16,
}

impl RtpPorts {
    /// Ports of `range` on `ip`.
    pub fn new(range: RangeInclusive<u16>, ip: IpAddr) -> Self {
        let start = *range.start();
        Self { range, ip, next: AtomicU16::new(start) }
    }

    /// A bound RTP socket, or `None` when every port of the range is taken.
    pub fn bind(&self) -> Option<UdpSocket> {
        let (start, end) = (u32::from(*self.range.start()), u32::from(*self.range.end()));
        let even = |p: u32| p + (p & 1);
        let count = (end.saturating_sub(even(start)) / 2) + 1;
        for _ in 0..count {
            let candidate = u32::from(self.next.fetch_add(2, Ordering::Relaxed));
            let port = if candidate < even(start) || candidate > end {
                let first = even(start);
                self.next.store((first + 2).min(u32::from(u16::MAX)) as u16, Ordering::Relaxed);
                first
            } else {
                even(candidate)
            };
            let Ok(port) = u16::try_from(port) else { continue };
            if let Ok(socket) = std::net::UdpSocket::bind((self.ip, port))
                && socket.set_nonblocking(true).is_ok()
                && let Ok(socket) = UdpSocket::from_std(socket)
            {
                return Some(socket);
            }
        }
        None
    }
}

enum ConnectionInput {
    Message(u64, SocketAddr, Vec<u8>),
    Closed(u64),
}

struct Driver {
    endpoint: Endpoint,
    udp: Arc<UdpSocket>,
    advertise: IpAddr,
    rtp: Arc<RtpPorts>,
    calls: Calls,
    answer_after: Duration,
    /// Calls ringing until their answer is due.
    ringing: HashMap<CallId, IncomingCall>,
    connections: HashMap<u64, mpsc::UnboundedSender<Vec<u8>>>,
    call_events: HashMap<CallId, mpsc::UnboundedSender<CallEvent>>,
    next_connection: u64,
}

impl Driver {
    async fn run(mut self, tcp: TcpListener, shutdown: impl Future<Output = ()>) {
        let (stream_tx, mut stream_rx) = mpsc::channel::<ConnectionInput>(1024);
        let (hangup_tx, mut hangup_rx) = mpsc::unbounded_channel::<CallId>();
        let (due_tx, mut due_rx) = mpsc::unbounded_channel::<CallId>();
        let mut buffer = vec![0u8; 65_536];
        tokio::pin!(shutdown);
        loop {
            let deadline = self.endpoint.poll_timeout();
            let sleep = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                () = &mut shutdown => break,
                received = self.udp.recv_from(&mut buffer) => match received {
                    Ok((length, from)) => {
                        let remote = Remote { addr: from, transport: Transport::Udp, connection: 0 };
                        self.endpoint.handle_input(Instant::now(), remote, &buffer[..length]);
                    }
                    // ICMP errors surface here on Linux; the listener goes on.
                    Err(error) => tracing::debug!(%error, "SIP UDP receive error"),
                },
                accepted = tcp.accept() => match accepted {
                    Ok((stream, from)) => self.open_connection(stream, from, stream_tx.clone()),
                    Err(error) => tracing::warn!(%error, "SIP TCP accept failed"),
                },
                Some(input) = stream_rx.recv() => match input {
                    ConnectionInput::Message(connection, from, bytes) => {
                        let remote = Remote { addr: from, transport: Transport::Tcp, connection };
                        self.endpoint.handle_input(Instant::now(), remote, &bytes);
                    }
                    ConnectionInput::Closed(connection) => { self.connections.remove(&connection); }
                },
                Some(call) = hangup_rx.recv() => self.endpoint.hangup(Instant::now(), call),
                Some(call) = due_rx.recv() => {
                    if let Some(incoming) = self.ringing.remove(&call) {
                        self.answer(Instant::now(), incoming, &hangup_tx);
                    }
                }
                () = sleep => self.endpoint.handle_timeout(Instant::now()),
            }
            self.flush(&hangup_tx, &due_tx).await;
        }
        // Shutting down: every call gets its BYE (sent once; there is no one left to retransmit).
        let now = Instant::now();
        let calls: Vec<CallId> = self.call_events.keys().copied().collect();
        for call in calls {
            self.endpoint.hangup(now, call);
        }
        self.call_events.clear();
        for call in std::mem::take(&mut self.ringing).into_keys() {
            let _ = self.endpoint.reject(now, call, 480);
        }
        self.flush(&hangup_tx, &due_tx).await;
    }

    fn open_connection(&mut self, stream: TcpStream, from: SocketAddr, input: mpsc::Sender<ConnectionInput>) {
        let connection = self.next_connection;
        self.next_connection += 1;
        let (mut reader, mut writer) = stream.into_split();
        let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Vec<u8>>();
        self.connections.insert(connection, out_tx.clone());
        tokio::spawn(async move {
            while let Some(bytes) = out_rx.recv().await {
                if writer.write_all(&bytes).await.is_err() {
                    break;
                }
            }
        });
        tokio::spawn(async move {
            let mut framer = StreamFramer::new();
            let mut buffer = vec![0u8; 16_384];
            'read: loop {
                let length = match reader.read(&mut buffer).await {
                    Ok(0) | Err(_) => break,
                    Ok(length) => length,
                };
                framer.push(&buffer[..length]);
                loop {
                    match framer.next_frame() {
                        Ok(Some(Frame::Message(bytes))) => {
                            if input.send(ConnectionInput::Message(connection, from, bytes)).await.is_err() {
                                break 'read;
                            }
                        }
                        Ok(Some(Frame::Ping)) => {
                            let _ = out_tx.send(b"\r\n".to_vec());
                        }
                        Ok(None) => break,
                        Err(error) => {
                            tracing::debug!(%error, %from, "SIP TCP connection closed");
                            break 'read;
                        }
                    }
                }
            }
            let _ = input.send(ConnectionInput::Closed(connection)).await;
        });
    }

    async fn flush(&mut self, hangup: &mpsc::UnboundedSender<CallId>, due: &mpsc::UnboundedSender<CallId>) {
        loop {
            let mut progressed = false;
            while let Some(transmit) = self.endpoint.poll_transmit() {
                progressed = true;
                match transmit.to.transport {
                    Transport::Udp => {
                        if let Err(error) = self.udp.send_to(&transmit.bytes, transmit.to.addr).await {
                            tracing::debug!(%error, to = %transmit.to.addr, "SIP UDP send failed");
                        }
                    }
                    Transport::Tcp => {
                        if let Some(connection) = self.connections.get(&transmit.to.connection) {
                            let _ = connection.send(transmit.bytes);
                        }
                    }
                }
            }
            while let Some(event) = self.endpoint.poll_event() {
                progressed = true;
                self.on_event(event, hangup, due);
            }
            if !progressed {
                break;
            }
        }
    }

    fn on_event(&mut self, event: Event, hangup: &mpsc::UnboundedSender<CallId>, due: &mpsc::UnboundedSender<CallId>) {
        let now = Instant::now();
        match event {
            Event::Incoming(incoming) if self.answer_after.is_zero() => self.answer(now, incoming, hangup),
            Event::Incoming(incoming) => {
                let call = incoming.call;
                if self.endpoint.ringing(call).is_ok() {
                    self.ringing.insert(call, incoming);
                    let (due, after) = (due.clone(), self.answer_after);
                    tokio::spawn(async move {
                        tokio::time::sleep(after).await;
                        let _ = due.send(call);
                    });
                }
            }
            Event::Confirmed { call, sdp } => self.forward(call, CallEvent::Confirmed(sdp)),
            Event::Info { call, content_type, body } => self.forward(call, CallEvent::Info { content_type, body }),
            Event::Ended { call, reason } => {
                if self.ringing.remove(&call).is_some() {
                    self.calls.unanswered(CallOutcome::Cancelled);
                }
                self.forward(call, CallEvent::Ended(reason));
                self.call_events.remove(&call);
            }
        }
    }

    fn forward(&mut self, call: CallId, event: CallEvent) {
        if let Some(events) = self.call_events.get(&call) {
            let _ = events.send(event);
        }
    }

    /// Negotiates the offer, binds an RTP port, answers and starts the call's task.
    fn answer(&mut self, now: Instant, incoming: IncomingCall, hangup: &mpsc::UnboundedSender<CallId>) {
        let negotiated = match incoming.offer.as_deref().map(|offer| sdp::parse(offer).and_then(|o| o.negotiate())) {
            None => None,
            Some(Ok(negotiated)) => Some(negotiated),
            Some(Err(error)) => {
                if error != SdpError::NoCommonCodec {
                    tracing::debug!(%error, "unreadable SDP offer");
                }
                let _ = self.endpoint.reject(now, incoming.call, 488);
                self.calls.unanswered(CallOutcome::Refused);
                return;
            }
        };
        let Some(socket) = self.rtp.bind() else {
            tracing::warn!("no free RTP port in sip.rtp_ports; call refused with 503");
            let _ = self.endpoint.reject(now, incoming.call, 503);
            self.calls.unanswered(CallOutcome::Refused);
            return;
        };
        let port = socket.local_addr().map(|a| a.port()).unwrap_or_default();
        let session_id = u64::from(port) << 32 | incoming.call.0;
        let local_sdp = sdp::write(self.advertise, port, session_id, negotiated.as_ref());
        if self.endpoint.accept(now, incoming.call, local_sdp).is_err() {
            return;
        }
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        self.call_events.insert(incoming.call, events_tx);
        let setup = CallSetup {
            call: incoming.call,
            caller: incoming.caller,
            called: incoming.called,
            source: incoming.source,
            negotiated,
            socket,
            events: events_rx,
            hangup: hangup.clone(),
        };
        tokio::spawn(call::run(self.calls.clone(), setup));
    }
}
