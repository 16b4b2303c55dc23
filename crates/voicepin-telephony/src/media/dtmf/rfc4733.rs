//! RFC 4733 telephone events: the 4-byte payload and the rule that makes one digit of each
//! key press.
//!
//! A sender repeats every event packet while the key is down (same RTP timestamp, growing
//! duration) and sends the end packet three times. [`EventDeduplicator`] emits the digit on
//! the **first** packet of an event it has not seen, keyed by (SSRC, RTP timestamp, event),
//! and drops every later packet of that event, end packets included. Emitting on the first
//! packet rather than on the end bit means a digit whose end packets are all lost is still
//! heard, with no timer, and a caller is answered a few tens of milliseconds sooner; the
//! price is that a key shorter than the sender's minimum duration still counts, which
//! senders never produce. A few recent keys are remembered, so a late duplicate that arrives
//! after the next event has started is still dropped.

use thiserror::Error;

use super::Digit;

/// A telephone-event payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TelephoneEvent {
    /// The event code (0-15 are keys).
    pub event: u8,
    /// The E bit: this is an end packet.
    pub end: bool,
    /// The volume in -dBm0 (0-63).
    pub volume: u8,
    /// The duration so far, in timestamp units.
    pub duration: u16,
}

/// Why a telephone-event payload was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum EventError {
    /// Fewer than 4 bytes.
    #[error("a telephone-event payload has 4 bytes, this one {0}")]
    TooShort(usize),
}

impl EventError {
    /// A stable code for logs.
    pub fn code(self) -> &'static str {
        "telephone-event-too-short"
    }
}

impl TelephoneEvent {
    /// Parses the first 4 bytes (RFC 4733 §2.3; redundant blocks after them are ignored).
    pub fn parse(payload: &[u8]) -> Result<Self, EventError> {
        let [event, flags, high, low, ..] = *payload else {
            return Err(EventError::TooShort(payload.len()));
        };
        Ok(Self { event, end: flags & 0x80 != 0, volume: flags & 0x3F, duration: u16::from_be_bytes([high, low]) })
    }

    /// The 4 bytes of this event.
    pub fn to_bytes(self) -> [u8; 4] {
        let [high, low] = self.duration.to_be_bytes();
        [self.event, (u8::from(self.end) << 7) | (self.volume & 0x3F), high, low]
    }
}

/// How many recent events are remembered.
const REMEMBERED: usize = 8;

/// Turns the packets of each key press into one digit.
#[derive(Clone, Debug, Default)]
pub struct EventDeduplicator {
    recent: [Option<(u32, u32, u8)>; REMEMBERED],
    next: usize,
}

impl EventDeduplicator {
    /// The digit of a packet's event if this is the first packet of it; `None` for a repeat,
    /// an end-packet repeat, or an event that is not a key.
    pub fn accept(&mut self, ssrc: u32, timestamp: u32, event: &TelephoneEvent) -> Option<Digit> {
        let digit = Digit::from_event(event.event)?;
        let key = (ssrc, timestamp, event.event);
        if self.recent.contains(&Some(key)) {
            return None;
        }
        self.recent[self.next] = Some(key);
        self.next = (self.next + 1) % REMEMBERED;
        Some(digit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(event: u8, end: bool, duration: u16) -> TelephoneEvent {
        TelephoneEvent { event, end, volume: 10, duration }
    }

    /// The packets a sender makes for one key: starts every 20 ms, then the end three times.
    fn press(event: u8) -> Vec<TelephoneEvent> {
        let mut packets: Vec<_> = (1..=5).map(|i| packet(event, false, i * 160)).collect();
        packets.extend([packet(event, true, 960); 3]);
        packets
    }

    #[test]
    fn parses_and_writes_the_payload() {
        let event = TelephoneEvent::parse(&[11, 0x8A, 0x03, 0x20]);
        assert_eq!(event, Ok(TelephoneEvent { event: 11, end: true, volume: 10, duration: 800 }));
        assert_eq!(event.map(TelephoneEvent::to_bytes), Ok([11, 0x8A, 0x03, 0x20]));
        assert_eq!(TelephoneEvent::parse(&[1, 2, 3]), Err(EventError::TooShort(3)));
        assert_eq!(TelephoneEvent::parse(&[]), Err(EventError::TooShort(0)));
        // The R bit (0x40) is not volume.
        assert_eq!(TelephoneEvent::parse(&[1, 0x7F, 0, 0]).map(|e| (e.end, e.volume)), Ok((false, 63)));
    }

    #[test]
    fn one_digit_per_press() {
        let mut dedup = EventDeduplicator::default();
        let mut digits = String::new();
        for (index, event) in [1u8, 2, 3, 4, 11].into_iter().enumerate() {
            let timestamp = 1000 + index as u32 * 1600;
            for packet in press(event) {
                if let Some(digit) = dedup.accept(7, timestamp, &packet) {
                    digits.push(digit.as_char());
                }
            }
        }
        assert_eq!(digits, "1234#");
    }

    #[test]
    fn the_same_key_twice_is_two_digits() {
        let mut dedup = EventDeduplicator::default();
        let first = press(5).iter().filter_map(|p| dedup.accept(1, 100, p)).count();
        let second = press(5).iter().filter_map(|p| dedup.accept(1, 1700, p)).count();
        assert_eq!((first, second), (1, 1));
    }

    #[test]
    fn a_press_with_only_end_packets_still_counts_once() {
        let mut dedup = EventDeduplicator::default();
        let digits = [packet(9, true, 800); 3].iter().filter_map(|p| dedup.accept(1, 5, p)).count();
        assert_eq!(digits, 1);
    }

    #[test]
    fn a_late_repeat_after_the_next_event_is_dropped() {
        let mut dedup = EventDeduplicator::default();
        assert!(dedup.accept(1, 100, &packet(1, false, 160)).is_some());
        assert!(dedup.accept(1, 1700, &packet(2, false, 160)).is_some());
        assert!(dedup.accept(1, 100, &packet(1, true, 800)).is_none());
    }

    #[test]
    fn streams_are_told_apart_by_ssrc() {
        let mut dedup = EventDeduplicator::default();
        assert!(dedup.accept(1, 100, &packet(1, false, 160)).is_some());
        assert!(dedup.accept(2, 100, &packet(1, false, 160)).is_some());
    }

    #[test]
    fn events_that_are_not_keys_give_nothing() {
        let mut dedup = EventDeduplicator::default();
        assert_eq!(dedup.accept(1, 100, &packet(16, false, 160)), None);
        assert_eq!(dedup.accept(1, 100, &packet(255, true, 160)), None);
    }
}
