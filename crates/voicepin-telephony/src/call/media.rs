//! The media side of one call, shared by both call loops (the core's call flow and the
//! minimal flow): the RTP session once the SDP is settled, the digits from all three DTMF
//! sources, and the prompts the shared [`Pacer`] plays one frame per tick.

use std::io;
use std::net::SocketAddr;
use std::os::fd::AsFd as _;
use std::sync::Arc;

use tokio::time::Instant;

use super::CallSetup;
use super::pacer::{Pacer, Stream};
use crate::media::dtmf::{DigitEvent, DtmfReceiver};
use crate::media::g711::Law;
use crate::media::recorder::Recorder;
use crate::media::sdp;
use crate::media::session::{Inbound, MediaSession};

/// What the caller hears: the flows queue prompts here and the pacer plays them.
#[derive(Debug)]
pub(super) struct Playback {
    stream: Arc<Stream>,
}

impl Playback {
    /// Queues an encoded prompt after those already queued.
    pub(super) fn enqueue(&mut self, clip: Arc<[u8]>) {
        self.stream.enqueue(clip);
    }

    /// Stops playing and forgets the queue (the caller typed ahead: barge-in).
    pub(super) fn clear(&mut self) {
        self.stream.clear();
    }
}

/// A call's RTP session, DTMF receiver and prompt playback.
pub(super) struct CallMedia {
    random: u64,
    law: Option<Law>,
    dtmf: DtmfReceiver,
    stream: Arc<Stream>,
    paced: bool,
    /// What the caller hears; the flows queue prompts on it.
    pub(super) player: Playback,
    /// Digits received since the loop last drained them, in order.
    pub(super) digits: Vec<DigitEvent>,
    /// The caller's audio being recorded, if a recording is under way.
    recorder: Option<Recorder>,
    /// The time base of recordings.
    epoch: Instant,
}

impl CallMedia {
    /// The media of a call whose INVITE carried an offer (answered already), or none yet.
    pub(super) fn new(setup: &CallSetup) -> Self {
        let random = getrandom::u64().unwrap_or(setup.call.0.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        // The pacer sends on a duplicate of the call's socket: the same port (symmetric RTP),
        // written from the pacer's thread while this task reads.
        let sender = match setup.socket.as_fd().try_clone_to_owned() {
            Ok(fd) => Some(std::net::UdpSocket::from(fd)),
            Err(error) => {
                tracing::warn!(%error, "cannot share the call's RTP socket with the pacer; the call is silent");
                None
            }
        };
        let session = setup.negotiated.as_ref().map(|n| MediaSession::new(n, random));
        let mut dtmf = DtmfReceiver::new();
        let law = session.as_ref().map(|s| {
            dtmf.set_telephone_event_negotiated(s.telephone_event().is_some());
            s.law()
        });
        let stream = Stream::new(sender, session);
        Self {
            random,
            law,
            dtmf,
            player: Playback { stream: stream.clone() },
            stream,
            paced: false,
            digits: Vec::new(),
            recorder: None,
            epoch: Instant::now(),
        }
    }

    /// The ACK confirmed the call; an INVITE without SDP has its answer here. `false` when
    /// the call has no usable media and must end. From here on the pacer sends its frames.
    pub(super) fn confirmed(&mut self, pacer: &Pacer, answer: Option<&[u8]>) -> bool {
        if self.law.is_none() {
            match answer.map(|a| sdp::parse(a).and_then(|a| sdp::accept_answer(&a))) {
                Some(Ok(negotiated)) => {
                    let session = MediaSession::new(&negotiated, self.random);
                    self.dtmf.set_telephone_event_negotiated(session.telephone_event().is_some());
                    self.law = Some(session.law());
                    self.stream.install(session);
                }
                _ => return false,
            }
        }
        if !self.paced {
            self.paced = true;
            pacer.add(&self.stream);
        }
        true
    }

    /// Whether the SDP is settled and RTP can flow.
    pub(super) fn has_session(&self) -> bool {
        self.law.is_some()
    }

    /// The codec prompts are encoded in.
    pub(super) fn law(&self) -> Law {
        self.law.unwrap_or(Law::MuLaw)
    }

    /// A SIP INFO body: a digit when it carries one.
    pub(super) fn info(&mut self, content_type: &str, body: &[u8]) {
        if let Ok(Some(event)) = self.dtmf.on_info(content_type, body) {
            self.digits.push(event);
        }
    }

    /// The stream the pacer plays; [`Stream::played`] resolves when its queue has been played.
    pub(super) fn stream(&self) -> Arc<Stream> {
        self.stream.clone()
    }

    /// A datagram on the call's RTP port: audio for the in-band detector, or an RFC 4733 event.
    pub(super) fn received(&mut self, received: io::Result<(usize, SocketAddr)>, buffer: &[u8]) {
        let Ok((length, from)) = received else { return };
        let Some(law) = self.law else { return };
        let inbound = match self.stream.lock().session.as_mut() {
            Some(session) => session.receive(from, &buffer[..length]),
            None => return,
        };
        match inbound {
            Inbound::Audio(payload) => {
                if let Some(recorder) = self.recorder.as_mut() {
                    recorder.audio(self.epoch.elapsed(), law, payload);
                }
                self.dtmf.on_audio(law, payload, &mut self.digits);
            }
            Inbound::TelephoneEvent { ssrc, timestamp, payload } => {
                self.digits.extend(self.dtmf.on_telephone_event(ssrc, timestamp, payload));
            }
            Inbound::Ignored => {}
        }
    }

    /// Starts recording the caller's audio, for at most `max`.
    pub(super) fn start_recording(&mut self, max: std::time::Duration) {
        self.recorder = Some(Recorder::new(self.epoch.elapsed(), max));
    }

    /// Whether a recording is under way.
    pub(super) fn recording(&self) -> bool {
        self.recorder.is_some()
    }

    /// Whether a recording under way has ended by itself (maximum length, silence).
    pub(super) fn recording_over(&self) -> bool {
        self.recorder.as_ref().is_some_and(|r| r.poll(self.epoch.elapsed()).is_some())
    }

    /// Ends the recording under way: its μ-law samples, less `trim_tail` at the end (empty
    /// when nothing was recorded or the caller never made a sound).
    pub(super) fn stop_recording(&mut self, trim_tail: std::time::Duration) -> Vec<u8> {
        self.recorder.take().map(|r| r.finish(trim_tail)).unwrap_or_default()
    }
}
