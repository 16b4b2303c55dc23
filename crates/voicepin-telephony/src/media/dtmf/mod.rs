//! DTMF: one digit stream from three sources, each digit tagged with where it came from.
//!
//! - [`rfc4733`]: RTP telephone-event payloads (RFC 4733), one digit per event;
//! - [`info`]: SIP INFO bodies (`application/dtmf-relay`, `application/dtmf`);
//! - [`inband`]: tones in the G.711 audio itself, found with Goertzel filters.
//!
//! [`DtmfReceiver`] is the per-call front of all three: the session feeds it what arrives
//! and gets [`DigitEvent`]s back. In-band detection is off while telephone-event is
//! negotiated ([`DtmfReceiver::set_telephone_event_negotiated`]): gateways that send both
//! would otherwise deliver every digit twice.

pub mod inband;
pub mod info;
pub mod rfc4733;

use std::fmt;

use crate::media::g711::Law;

/// One key of the telephone keypad, including the rarely seen A-D column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Digit(char);

impl Digit {
    /// Every key, in RFC 4733 event order (0-9, `*`, `#`, A-D).
    pub const ALL: [Digit; 16] = [
        Digit('0'),
        Digit('1'),
        Digit('2'),
        Digit('3'),
        Digit('4'),
        Digit('5'),
        Digit('6'),
        Digit('7'),
        Digit('8'),
        Digit('9'),
        Digit('*'),
        Digit('#'),
        Digit('A'),
        Digit('B'),
        Digit('C'),
        Digit('D'),
    ];

    /// The key for a character (`0`-`9`, `*`, `#`, `A`-`D` in either case).
    pub fn from_char(key: char) -> Option<Self> {
        let key = key.to_ascii_uppercase();
        matches!(key, '0'..='9' | '*' | '#' | 'A'..='D').then_some(Self(key))
    }

    /// The key for an RFC 4733 event code (0-15); other events (flash, tones) are not keys.
    pub fn from_event(event: u8) -> Option<Self> {
        Self::ALL.get(usize::from(event)).copied()
    }

    /// The RFC 4733 event code.
    pub fn event(self) -> u8 {
        match self.0 {
            '*' => 10,
            '#' => 11,
            'A'..='D' => self.0 as u8 - b'A' + 12,
            digit => digit as u8 - b'0',
        }
    }

    /// The key as a character.
    pub fn as_char(self) -> char {
        self.0
    }

    /// The row (low group, 697/770/852/941 Hz) and column (high group, 1209/1336/1477/1633
    /// Hz) of the key, as indices 0-3.
    pub fn row_column(self) -> (usize, usize) {
        for (row, keys) in inband::KEYS.iter().enumerate() {
            if let Some(column) = keys.iter().position(|&key| key == self.0) {
                return (row, column);
            }
        }
        (0, 0)
    }
}

impl fmt::Display for Digit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Where a digit came from (the `source` label of the digits metric).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DtmfSource {
    /// An RTP telephone-event (RFC 4733).
    Rfc4733,
    /// A SIP INFO request.
    SipInfo,
    /// A tone in the audio.
    InBand,
}

impl DtmfSource {
    /// A stable label for metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rfc4733 => "rfc4733",
            Self::SipInfo => "sip-info",
            Self::InBand => "inband",
        }
    }
}

/// A digit and its source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DigitEvent {
    /// The key pressed.
    pub digit: Digit,
    /// How it arrived.
    pub source: DtmfSource,
}

/// One call's DTMF input: the three sources merged into one stream of [`DigitEvent`]s.
#[derive(Debug)]
pub struct DtmfReceiver {
    events: rfc4733::EventDeduplicator,
    inband: inband::InBandDetector,
    telephone_event: bool,
    scratch: Vec<i16>,
}

impl Default for DtmfReceiver {
    fn default() -> Self {
        Self::new()
    }
}

impl DtmfReceiver {
    /// A receiver with in-band detection on (no telephone-event negotiated yet).
    pub fn new() -> Self {
        Self {
            events: rfc4733::EventDeduplicator::default(),
            inband: inband::InBandDetector::new(),
            telephone_event: false,
            scratch: Vec::with_capacity(160),
        }
    }

    /// Whether the SDP answer agreed on telephone-event; while it did, audio is not searched
    /// for tones.
    pub fn set_telephone_event_negotiated(&mut self, negotiated: bool) {
        if negotiated && !self.telephone_event {
            self.inband.reset();
        }
        self.telephone_event = negotiated;
    }

    /// Whether in-band detection is running.
    pub fn inband_enabled(&self) -> bool {
        !self.telephone_event
    }

    /// An RTP packet on the negotiated telephone-event payload type: its SSRC, timestamp and
    /// payload. Malformed payloads and non-key events give nothing.
    pub fn on_telephone_event(&mut self, ssrc: u32, timestamp: u32, payload: &[u8]) -> Option<DigitEvent> {
        let event = rfc4733::TelephoneEvent::parse(payload).ok()?;
        self.events.accept(ssrc, timestamp, &event).map(|digit| DigitEvent { digit, source: DtmfSource::Rfc4733 })
    }

    /// A SIP INFO body with its Content-Type. `Ok(None)` is a well-formed body that names no
    /// key; errors say which response to send (415 or 400).
    pub fn on_info(&mut self, content_type: &str, body: &[u8]) -> Result<Option<DigitEvent>, info::InfoError> {
        Ok(info::parse_info(content_type, body)?.map(|digit| DigitEvent { digit, source: DtmfSource::SipInfo }))
    }

    /// The G.711 payload of an audio packet; digits found in it (usually none) are appended
    /// to `out`. Does nothing while telephone-event is negotiated.
    pub fn on_audio(&mut self, law: Law, payload: &[u8], out: &mut Vec<DigitEvent>) {
        if self.telephone_event {
            return;
        }
        self.scratch.clear();
        law.decode_into(payload, &mut self.scratch);
        self.on_pcm_inner(out);
    }

    /// Linear 8 kHz PCM (for callers that decoded already); as [`Self::on_audio`].
    pub fn on_pcm(&mut self, samples: &[i16], out: &mut Vec<DigitEvent>) {
        if self.telephone_event {
            return;
        }
        self.scratch.clear();
        self.scratch.extend_from_slice(samples);
        self.on_pcm_inner(out);
    }

    fn on_pcm_inner(&mut self, out: &mut Vec<DigitEvent>) {
        let mut digits = Vec::new();
        self.inband.process(&self.scratch, &mut digits);
        out.extend(digits.into_iter().map(|digit| DigitEvent { digit, source: DtmfSource::InBand }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_events() {
        for (event, digit) in Digit::ALL.iter().enumerate() {
            assert_eq!(usize::from(digit.event()), event);
            assert_eq!(Digit::from_event(event as u8), Some(*digit));
            assert_eq!(Digit::from_char(digit.as_char()), Some(*digit));
        }
        assert_eq!(Digit::from_event(16), None);
        assert_eq!(Digit::from_char('e'), None);
        assert_eq!(Digit::from_char('a'), Digit::from_char('A'));
        assert_eq!(Digit::from_char('5').map(Digit::row_column), Some((1, 1)));
        assert_eq!(Digit::from_char('#').map(Digit::row_column), Some((3, 2)));
        assert_eq!(Digit::from_char('D').map(|d| d.to_string()), Some("D".into()));
    }

    #[test]
    fn the_receiver_tags_sources() {
        let mut receiver = DtmfReceiver::new();
        let five = Digit::from_char('5');
        let event = receiver.on_telephone_event(1, 160, &[5, 0x0A, 0, 160]);
        assert_eq!(event.map(|e| (Some(e.digit), e.source)), Some((five, DtmfSource::Rfc4733)));
        let info = receiver.on_info("application/dtmf", b"5").ok().flatten();
        assert_eq!(info.map(|e| (Some(e.digit), e.source)), Some((five, DtmfSource::SipInfo)));
        assert_eq!(DtmfSource::InBand.as_str(), "inband");
    }

    #[test]
    fn inband_is_off_while_telephone_event_is_negotiated() {
        let mut receiver = DtmfReceiver::new();
        receiver.set_telephone_event_negotiated(true);
        assert!(!receiver.inband_enabled());
        let tone = inband::synth::key('7', -10.0, -10.0, 100, 1.0, 1.0);
        let mut out = Vec::new();
        receiver.on_pcm(&tone, &mut out);
        assert!(out.is_empty());
        receiver.set_telephone_event_negotiated(false);
        receiver.on_pcm(&tone, &mut out);
        receiver.on_pcm(&[0; 800], &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].source, DtmfSource::InBand);
    }
}
