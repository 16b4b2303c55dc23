//! One call's media, without sockets or clocks: what an incoming RTP packet is (audio or a
//! telephone event, on the negotiated payload types only), where ours go (symmetric RTP:
//! to the address the caller's packets come from, RFC 4961, once one has come; from then on
//! packets from any other address are ignored, so a stranger who finds the port can neither
//! key digits into the call nor divert its audio), and our
//! packets, one per 20 ms frame index so that timestamps follow the clock even when a frame
//! is skipped.
//!
//! [`Player`] turns queued prompts into 160-byte frames, silence between them.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use super::g711::Law;
use super::rtp;
use super::sdp::Negotiated;

/// The packet interval.
pub const FRAME: Duration = Duration::from_millis(20);
/// Samples (and G.711 bytes) per frame at 8 kHz.
pub const FRAME_SAMPLES: usize = 160;

/// What an incoming packet carried.
#[derive(Debug, PartialEq, Eq)]
pub enum Inbound<'a> {
    /// G.711 audio on the negotiated codec.
    Audio(&'a [u8]),
    /// A telephone-event payload on the negotiated payload type.
    TelephoneEvent {
        /// The sender's SSRC.
        ssrc: u32,
        /// The event's RTP timestamp (its identity, RFC 4733 §2.5.1.5).
        timestamp: u32,
        /// The 4-byte event (or several, redundant).
        payload: &'a [u8],
    },
    /// Not RTP, RTCP, or a payload type that was not negotiated (SIPp's stray PT 97): ignored.
    Ignored,
}

/// One call's RTP state.
#[derive(Debug)]
pub struct MediaSession {
    law: Law,
    pt: u8,
    telephone_event: Option<u8>,
    signalled: SocketAddr,
    latched: Option<SocketAddr>,
    ssrc: u32,
    seq: u16,
    timestamp_base: u32,
    marked: bool,
}

impl MediaSession {
    /// A session for what offer and answer agreed; `random` seeds SSRC, sequence and
    /// timestamp (RFC 3550 wants them random).
    pub fn new(negotiated: &Negotiated, random: u64) -> Self {
        Self {
            law: negotiated.codec,
            pt: negotiated.codec_pt,
            telephone_event: negotiated.telephone_event,
            signalled: negotiated.remote,
            latched: None,
            ssrc: (random >> 32) as u32,
            seq: (random >> 16) as u16,
            timestamp_base: random as u32,
            marked: false,
        }
    }

    /// The codec.
    pub fn law(&self) -> Law {
        self.law
    }

    /// The telephone-event payload type, if negotiated.
    pub fn telephone_event(&self) -> Option<u8> {
        self.telephone_event
    }

    /// Where our packets go: the caller's observed source once a packet came, else the SDP's.
    pub fn destination(&self) -> SocketAddr {
        self.latched.unwrap_or(self.signalled)
    }

    /// Classifies a datagram from `from`; the first valid RTP packet latches the destination,
    /// and packets from elsewhere are ignored after it.
    pub fn receive<'a>(&mut self, from: SocketAddr, bytes: &'a [u8]) -> Inbound<'a> {
        if self.latched.is_some_and(|latched| latched != from) {
            return Inbound::Ignored;
        }
        let Ok(packet) = rtp::parse(bytes) else { return Inbound::Ignored };
        let inbound = if packet.pt == self.pt {
            Inbound::Audio(packet.payload)
        } else if Some(packet.pt) == self.telephone_event {
            Inbound::TelephoneEvent { ssrc: packet.ssrc, timestamp: packet.timestamp, payload: packet.payload }
        } else {
            return Inbound::Ignored;
        };
        if self.latched.is_none() {
            self.latched = Some(from);
        }
        inbound
    }

    /// Writes the packet of frame `index` (counted from the start of the call) into `out`:
    /// the timestamp advances 160 per frame index, the sequence by one per packet, and the
    /// first packet carries the marker.
    pub fn write_frame(&mut self, index: u64, payload: &[u8], out: &mut Vec<u8>) {
        let timestamp = self.timestamp_base.wrapping_add((index as u32).wrapping_mul(FRAME_SAMPLES as u32));
        rtp::write(out, self.pt, !self.marked, self.seq, timestamp, self.ssrc, payload);
        self.marked = true;
        self.seq = self.seq.wrapping_add(1);
    }
}

/// Prompts queued for playing, as 160-byte frames.
#[derive(Debug)]
pub struct Player {
    silence: u8,
    queue: VecDeque<Arc<[u8]>>,
    position: usize,
}

impl Player {
    /// An idle player for `law`.
    pub fn new(law: Law) -> Self {
        Self { silence: law.silence(), queue: VecDeque::new(), position: 0 }
    }

    /// Queues an encoded prompt after those already queued.
    pub fn enqueue(&mut self, clip: Arc<[u8]>) {
        self.queue.push_back(clip);
    }

    /// Stops playing and forgets the queue (the caller typed ahead: barge-in).
    pub fn clear(&mut self) {
        self.queue.clear();
        self.position = 0;
    }

    /// Whether anything is queued.
    pub fn is_playing(&self) -> bool {
        !self.queue.is_empty()
    }

    /// Fills the next frame; returns true when the last queued prompt ended with it.
    pub fn next_frame(&mut self, frame: &mut [u8; FRAME_SAMPLES]) -> bool {
        let mut filled = 0;
        let mut ended = false;
        while filled < FRAME_SAMPLES {
            let Some(clip) = self.queue.front() else {
                frame[filled..].fill(self.silence);
                break;
            };
            let take = (clip.len() - self.position).min(FRAME_SAMPLES - filled);
            frame[filled..filled + take].copy_from_slice(&clip[self.position..self.position + take]);
            filled += take;
            self.position += take;
            if self.position >= clip.len() {
                self.queue.pop_front();
                self.position = 0;
                ended = self.queue.is_empty();
                if ended {
                    frame[filled..].fill(self.silence);
                    break;
                }
            }
        }
        ended
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::media::sdp::Direction;

    fn negotiated() -> Negotiated {
        Negotiated {
            codec: Law::MuLaw,
            codec_pt: 0,
            telephone_event: Some(96),
            remote: "127.0.0.1:16000".parse().unwrap(),
            direction: Direction::SendRecv,
        }
    }

    #[test]
    fn packets_are_sorted_by_payload_type_and_the_first_latches() {
        let mut session = MediaSession::new(&negotiated(), 1);
        let nat: SocketAddr = "192.0.2.1:40000".parse().unwrap();
        let mut packet = Vec::new();
        rtp::write(&mut packet, 97, false, 1, 2, 3, &[0; 4]);
        assert_eq!(session.receive(nat, &packet), Inbound::Ignored, "PT 97 was not negotiated");
        assert_eq!(session.destination(), "127.0.0.1:16000".parse().unwrap(), "no latch on an ignored packet");
        rtp::write(&mut packet, 96, true, 2, 320, 3, &[1, 0x80, 0, 160]);
        assert_eq!(
            session.receive(nat, &packet),
            Inbound::TelephoneEvent { ssrc: 3, timestamp: 320, payload: &[1, 0x80, 0, 160] }
        );
        assert_eq!(session.destination(), nat);
        rtp::write(&mut packet, 0, false, 3, 480, 3, &[0xff; 160]);
        assert_eq!(session.receive(nat, &packet), Inbound::Audio(&[0xff; 160]));
        assert_eq!(session.receive("192.0.2.2:1".parse().unwrap(), &packet), Inbound::Ignored, "not the caller");
        rtp::write(&mut packet, 96, true, 9, 960, 3, &[1, 0x80, 0, 160]);
        assert_eq!(
            session.receive("127.0.0.1:16000".parse().unwrap(), &packet),
            Inbound::Ignored,
            "no digit from elsewhere"
        );
        assert_eq!(session.destination(), nat, "latched once");
        assert_eq!(session.receive(nat, b"garbage"), Inbound::Ignored);
    }

    #[test]
    fn frames_follow_the_frame_index() {
        let mut session = MediaSession::new(&negotiated(), 0x0000_0001_0002_0003);
        let mut out = Vec::new();
        session.write_frame(0, &[0xff; 160], &mut out);
        let first = rtp::parse(&out).map(|p| (p.marker, p.seq, p.timestamp, p.ssrc, p.payload.len())).unwrap();
        assert_eq!(first, (true, 2, 0x0002_0003, 1, 160));
        session.write_frame(3, &[0xff; 160], &mut out);
        let next = rtp::parse(&out).map(|p| (p.marker, p.seq, p.timestamp)).unwrap();
        assert_eq!(next, (false, 3, 0x0002_0003 + 480), "a skipped frame advances the timestamp, not the sequence");
    }

    #[test]
    fn the_player_cuts_prompts_into_frames_and_says_when_they_end() {
        let mut player = Player::new(Law::MuLaw);
        player.enqueue(Arc::from(vec![1u8; 200]));
        player.enqueue(Arc::from(vec![2u8; 100]));
        let mut frame = [0u8; FRAME_SAMPLES];
        assert!(!player.next_frame(&mut frame));
        assert!(frame.iter().all(|b| *b == 1));
        assert!(player.next_frame(&mut frame), "the last prompt ends in the second frame");
        assert_eq!(&frame[..40], &[1; 40]);
        assert_eq!(&frame[40..140], &[2; 100]);
        assert!(frame[140..].iter().all(|b| *b == Law::MuLaw.silence()));
        assert!(!player.is_playing());
        assert!(!player.next_frame(&mut frame));
    }
}
