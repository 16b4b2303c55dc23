//! The media side of one call, shared by both call loops (the core's call flow and the
//! minimal flow): the RTP session once the SDP is settled, the digits from all three DTMF
//! sources, and the prompt player paced one frame per tick.

use std::io;
use std::net::SocketAddr;

use tokio::net::UdpSocket;
use tokio::time::Instant;

use super::CallSetup;
use crate::media::dtmf::{DigitEvent, DtmfReceiver};
use crate::media::g711::Law;
use crate::media::recorder::Recorder;
use crate::media::sdp;
use crate::media::session::{FRAME, FRAME_SAMPLES, Inbound, MediaSession, Player};

/// A call's RTP session, DTMF receiver and prompt player.
pub(super) struct CallMedia {
    random: u64,
    session: Option<MediaSession>,
    dtmf: DtmfReceiver,
    /// What the caller hears; the flows queue prompts on it.
    pub(super) player: Player,
    /// Digits received since the loop last drained them, in order.
    pub(super) digits: Vec<DigitEvent>,
    frame: [u8; FRAME_SAMPLES],
    packet: Vec<u8>,
    /// The caller's audio being recorded, if a recording is under way.
    recorder: Option<Recorder>,
    /// The time base of recordings.
    epoch: Instant,
}

impl CallMedia {
    /// The media of a call whose INVITE carried an offer (answered already), or none yet.
    pub(super) fn new(setup: &CallSetup) -> Self {
        let random = getrandom::u64().unwrap_or(setup.call.0.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let session = setup.negotiated.as_ref().map(|n| MediaSession::new(n, random));
        let mut media = Self {
            random,
            session: None,
            dtmf: DtmfReceiver::new(),
            player: Player::new(Law::MuLaw),
            digits: Vec::new(),
            frame: [0u8; FRAME_SAMPLES],
            packet: Vec::with_capacity(12 + FRAME_SAMPLES),
            recorder: None,
            epoch: Instant::now(),
        };
        if let Some(session) = session {
            media.install(session);
        }
        media
    }

    fn install(&mut self, session: MediaSession) {
        self.dtmf.set_telephone_event_negotiated(session.telephone_event().is_some());
        self.player = Player::new(session.law());
        self.session = Some(session);
    }

    /// The ACK confirmed the call; an INVITE without SDP has its answer here. `false` when
    /// the call has no usable media and must end.
    pub(super) fn confirmed(&mut self, answer: Option<&[u8]>) -> bool {
        if self.session.is_some() {
            return true;
        }
        match answer.map(|a| sdp::parse(a).and_then(|a| sdp::accept_answer(&a))) {
            Some(Ok(negotiated)) => {
                let session = MediaSession::new(&negotiated, self.random);
                self.install(session);
                true
            }
            _ => false,
        }
    }

    /// Whether the SDP is settled and RTP can flow.
    pub(super) fn has_session(&self) -> bool {
        self.session.is_some()
    }

    /// The codec prompts are encoded in.
    pub(super) fn law(&self) -> Law {
        self.session.as_ref().map_or(Law::MuLaw, MediaSession::law)
    }

    /// A SIP INFO body: a digit when it carries one.
    pub(super) fn info(&mut self, content_type: &str, body: &[u8]) {
        if let Ok(Some(event)) = self.dtmf.on_info(content_type, body) {
            self.digits.push(event);
        }
    }

    /// Sends the frame of the tick at `tick` (frames counted from `start`, so a skipped tick
    /// still advances the RTP timestamp). `true` when the prompts queued have all been played.
    pub(super) async fn tick(&mut self, tick: Instant, start: Instant, socket: &UdpSocket) -> bool {
        let Some(session) = self.session.as_mut() else { return false };
        let ended = self.player.next_frame(&mut self.frame);
        let index = ((tick - start).as_micros() / FRAME.as_micros()) as u64;
        session.write_frame(index, &self.frame, &mut self.packet);
        let destination = session.destination();
        if destination.port() != 0 && !destination.ip().is_unspecified() {
            let _ = socket.send_to(&self.packet, destination).await;
        }
        ended
    }

    /// A datagram on the call's RTP port: audio for the in-band detector, or an RFC 4733 event.
    pub(super) fn received(&mut self, received: io::Result<(usize, SocketAddr)>, buffer: &[u8]) {
        let (Ok((length, from)), Some(session)) = (received, self.session.as_mut()) else { return };
        match session.receive(from, &buffer[..length]) {
            Inbound::Audio(payload) => {
                if let Some(recorder) = self.recorder.as_mut() {
                    recorder.audio(self.epoch.elapsed(), session.law(), payload);
                }
                self.dtmf.on_audio(session.law(), payload, &mut self.digits);
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
