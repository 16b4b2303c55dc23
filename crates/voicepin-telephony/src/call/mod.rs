//! One task per answered call: its RTP socket, the DTMF arriving three ways, and the call
//! flow those digits drive; what it plays is sent by the one [`pacer`] every call shares.
//!
//! Pacing follows the monotonic clock: one tick every 20 ms for all calls, each call's frame
//! sent at every tick; a tick missed under load is skipped, not sent late in a burst, and
//! the RTP timestamp still advances with the clock.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::time::Duration;

use crate::media::dtmf::{DigitEvent, DtmfSource};
use crate::media::g711::Law;
use crate::media::prompts::PromptSet;
use crate::media::sdp::Negotiated;
use crate::sip::{CallId, EndReason};
use voicepin_core::VoicePin;

mod flow;
mod media;
mod pacer;

use media::CallMedia;
use pacer::Pacer;

/// What the SIP task tells a call's task.
#[derive(Debug)]
pub enum CallEvent {
    /// The ACK came (with the SDP answer when the INVITE had no offer).
    Confirmed(Option<Bytes>),
    /// A DTMF INFO.
    Info {
        /// Its Content-Type.
        content_type: String,
        /// Its body.
        body: Bytes,
    },
    /// The call is over on the SIP side.
    Ended(EndReason),
}

/// Everything a call's task starts with.
#[derive(Debug)]
pub struct CallSetup {
    /// The call.
    pub call: CallId,
    /// The caller ID.
    pub caller: Option<String>,
    /// The number dialled.
    pub called: Option<String>,
    /// Where the INVITE came from.
    pub source: SocketAddr,
    /// What the offer and our answer agreed; `None` until the ACK answers our offer.
    pub negotiated: Option<Negotiated>,
    /// The call's RTP socket.
    pub socket: UdpSocket,
    /// Events from the SIP task.
    pub events: mpsc::UnboundedReceiver<CallEvent>,
    /// Asks the SIP task to end the call (BYE).
    pub hangup: mpsc::UnboundedSender<CallId>,
}

/// A prompt in both laws, encoded once.
#[derive(Clone, Debug)]
pub struct Clip {
    mu: Arc<[u8]>,
    a: Arc<[u8]>,
}

impl Clip {
    /// Encodes 8 kHz linear PCM in both laws.
    pub fn from_pcm(samples: &[i16]) -> Self {
        Self { mu: Law::MuLaw.encode_all(samples).into(), a: Law::ALaw.encode_all(samples).into() }
    }

    fn for_law(&self, law: Law) -> Arc<[u8]> {
        match law {
            Law::MuLaw => self.mu.clone(),
            Law::ALaw => self.a.clone(),
        }
    }
}

/// How a call ended, for the calls-by-outcome metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CallOutcome {
    /// The flow finished and hung up (goodbye).
    Completed,
    /// The caller hung up first.
    CallerHungUp,
    /// The caller cancelled before the answer.
    Cancelled,
    /// Refused before the answer: no common codec (488) or no free RTP port (503).
    Refused,
    /// No ACK came for our 200.
    NoAck,
}

impl CallOutcome {
    /// A stable label.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::CallerHungUp => "caller_hung_up",
            Self::Cancelled => "cancelled",
            Self::Refused => "refused",
            Self::NoAck => "no_ack",
        }
    }

    /// Every outcome, for metrics present from the start.
    pub const ALL: [CallOutcome; 5] =
        [Self::Completed, Self::CallerHungUp, Self::Cancelled, Self::Refused, Self::NoAck];
}

/// Where the telephone front end reports (the binary points it at `/metrics`). A PIN never
/// reaches it: digits are counted by source only.
pub trait CallTelemetry: Send + Sync + std::fmt::Debug {
    /// A call was answered and its task started.
    fn call_started(&self);
    /// A call ended (answered or not).
    fn call_ended(&self, outcome: CallOutcome, answered: bool);
    /// A digit arrived.
    fn digit(&self, source: DtmfSource);
}

/// Counters of the telephone front end, for `/metrics` and tests.
#[derive(Debug, Default)]
pub struct CallStats {
    /// Calls whose task is running.
    pub active: AtomicU64,
    /// Calls answered since start.
    pub answered: AtomicU64,
    /// Digits received, by source: RFC 4733, SIP INFO, in-band.
    pub digits: [AtomicU64; 3],
    /// Calls the flow finished itself (it hung up).
    pub completed_by_flow: AtomicU64,
}

impl CallTelemetry for CallStats {
    fn call_started(&self) {
        self.active.fetch_add(1, Ordering::Relaxed);
        self.answered.fetch_add(1, Ordering::Relaxed);
    }

    fn call_ended(&self, outcome: CallOutcome, answered: bool) {
        if answered {
            self.active.fetch_sub(1, Ordering::Relaxed);
        }
        if outcome == CallOutcome::Completed {
            self.completed_by_flow.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn digit(&self, source: DtmfSource) {
        let index = match source {
            DtmfSource::Rfc4733 => 0,
            DtmfSource::SipInfo => 1,
            DtmfSource::InBand => 2,
        };
        self.digits[index].fetch_add(1, Ordering::Relaxed);
    }
}

/// What every call shares: the prompts and the counters.
#[derive(Clone)]
pub struct Calls {
    prompts: Arc<HashMap<&'static str, Clip>>,
    /// With the core: the call flow of `voicepin_core::callflow` on these prompts and use
    /// cases; without: the minimal flow (welcome, keys up to `#`, goodbye).
    core: Option<(VoicePin, Arc<PromptSet>)>,
    /// Sends every call's frames, one tick for all.
    pacer: Arc<Pacer>,
    /// The counters.
    pub stats: Arc<CallStats>,
    telemetry: Option<Arc<dyn CallTelemetry>>,
}

impl std::fmt::Debug for Calls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Calls").field("core_flow", &self.core.is_some()).finish_non_exhaustive()
    }
}

impl Default for Calls {
    fn default() -> Self {
        Self::new()
    }
}

impl Calls {
    /// The built-in prompts: tones standing in for speech until recorded prompts are loaded.
    pub fn new() -> Self {
        let mut prompts = HashMap::new();
        prompts.insert("welcome", Clip::from_pcm(&tone(&[(440.0, 300), (0.0, 100), (660.0, 300)])));
        prompts.insert("goodbye", Clip::from_pcm(&tone(&[(660.0, 200), (0.0, 50), (440.0, 200)])));
        Self {
            prompts: Arc::new(prompts),
            core: None,
            pacer: Arc::new(Pacer::default()),
            stats: Arc::new(CallStats::default()),
            telemetry: None,
        }
    }

    /// Calls run the core's call flow (sign-in, PIN change, menus) with these prompts.
    pub fn with_flow(mut self, voicepin: VoicePin, prompts: PromptSet) -> Self {
        self.core = Some((voicepin, Arc::new(prompts)));
        self
    }

    /// Reports to `telemetry` as well as to [`Calls::stats`].
    pub fn with_telemetry(mut self, telemetry: Arc<dyn CallTelemetry>) -> Self {
        self.telemetry = Some(telemetry);
        self
    }

    fn report(&self, report: impl Fn(&dyn CallTelemetry)) {
        report(self.stats.as_ref());
        if let Some(telemetry) = &self.telemetry {
            report(telemetry.as_ref());
        }
    }

    /// A call that ended before it was answered.
    pub(crate) fn unanswered(&self, outcome: CallOutcome) {
        self.report(|t| t.call_ended(outcome, false));
    }
}

/// A sequence of `(frequency, milliseconds)` sine tones at −16 dBFS (0 Hz: silence).
fn tone(parts: &[(f32, u32)]) -> Vec<i16> {
    let mut samples = Vec::new();
    for &(frequency, ms) in parts {
        let count = ms * 8;
        samples.extend((0..count).map(|n| {
            let phase = 2.0 * std::f32::consts::PI * frequency * n as f32 / 8000.0;
            (phase.sin() * 5000.0) as i16
        }));
    }
    samples
}

/// What the flow asks of the call.
#[derive(Debug, PartialEq, Eq)]
enum Action {
    Play(&'static str),
    Hangup,
}

/// The flow until the core's call flow is wired: a welcome, digits up to `#`, a goodbye.
#[derive(Debug, Default)]
struct MinimalFlow {
    keyed: usize,
    ending: bool,
}

impl MinimalFlow {
    fn start(&mut self, out: &mut Vec<Action>) {
        out.push(Action::Play("welcome"));
    }

    fn digit(&mut self, digit: char, out: &mut Vec<Action>) {
        if self.ending {
            return;
        }
        self.keyed += 1;
        if digit == '#' {
            self.ending = true;
            out.push(Action::Play("goodbye"));
        }
    }

    fn prompts_done(&mut self, out: &mut Vec<Action>) {
        if self.ending {
            out.push(Action::Hangup);
        }
    }
}

/// The longest a call may last, whatever happens in it.
const MAX_CALL: Duration = Duration::from_secs(3600);

/// Runs one call until either side ends it.
pub async fn run(calls: Calls, mut setup: CallSetup) {
    calls.report(|t| t.call_started());
    let ended = match calls.core.clone() {
        Some((voicepin, prompts)) => flow::drive(&calls, &voicepin, &prompts, &mut setup).await,
        None => drive(&calls, &mut setup).await,
    };
    let outcome = match ended {
        Ended::ByFlow => {
            let _ = setup.hangup.send(setup.call);
            CallOutcome::Completed
        }
        Ended::BySip(EndReason::Bye) => CallOutcome::CallerHungUp,
        Ended::BySip(EndReason::Cancelled) => CallOutcome::Cancelled,
        Ended::BySip(EndReason::NoAck) => CallOutcome::NoAck,
    };
    calls.report(|t| t.call_ended(outcome, true));
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Ended {
    BySip(EndReason),
    ByFlow,
}

async fn drive(calls: &Calls, setup: &mut CallSetup) -> Ended {
    let mut media = CallMedia::new(setup);
    let mut flow = MinimalFlow::default();
    let mut actions = Vec::new();
    let mut started = false;

    let stream = media.stream();
    let deadline = tokio::time::sleep(MAX_CALL);
    tokio::pin!(deadline);
    let mut buffer = vec![0u8; 2048];

    loop {
        tokio::select! {
            event = setup.events.recv() => match event {
                None => return Ended::BySip(EndReason::Bye),
                Some(CallEvent::Ended(reason)) => return Ended::BySip(reason),
                Some(CallEvent::Confirmed(answer)) => {
                    if !media.confirmed(&calls.pacer, answer.as_deref()) {
                        tracing::debug!(call = setup.call.0, "no usable SDP answer in the ACK; hanging up");
                        return Ended::ByFlow;
                    }
                    if !started {
                        started = true;
                        flow.start(&mut actions);
                    }
                }
                Some(CallEvent::Info { content_type, body }) => media.info(&content_type, &body),
            },
            () = stream.played(), if started => flow.prompts_done(&mut actions),
            received = setup.socket.recv_from(&mut buffer) => media.received(received, &buffer),
            () = &mut deadline => return Ended::ByFlow,
        }
        for DigitEvent { digit, source } in media.digits.drain(..) {
            calls.report(|t| t.digit(source));
            if started {
                flow.digit(digit.as_char(), &mut actions);
            }
        }
        for action in actions.drain(..) {
            match action {
                Action::Play(name) => {
                    if let (Some(clip), true) = (calls.prompts.get(name), media.has_session()) {
                        media.player.enqueue(clip.for_law(media.law()));
                    }
                }
                Action::Hangup => return Ended::ByFlow,
            }
        }
    }
}
