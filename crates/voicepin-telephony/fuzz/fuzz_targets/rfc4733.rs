//! RFC 4733 payloads: each 12 bytes are an (SSRC, timestamp, 4-byte event) for the receiver's
//! duplicate filter, on few SSRCs and timestamps so that repeats are common; a digit is
//! always the key of the event that gave it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use voicepin_telephony::media::dtmf::rfc4733::TelephoneEvent;
use voicepin_telephony::media::dtmf::{Digit, DtmfReceiver};

fuzz_target!(|data: &[u8]| {
    if let Ok(event) = TelephoneEvent::parse(data) {
        assert_eq!(TelephoneEvent::parse(&event.to_bytes()), Ok(event));
    }
    let mut receiver = DtmfReceiver::new();
    for record in data.chunks(12) {
        if record.len() < 8 {
            break;
        }
        let ssrc = u32::from_be_bytes([record[0], record[1], record[2], record[3]]) & 3;
        let timestamp = u32::from_be_bytes([record[4], record[5], record[6], record[7]]) & 7;
        if let Some(digit) = receiver.on_telephone_event(ssrc, timestamp, &record[8..]) {
            assert_eq!(Some(digit.digit), Digit::from_event(record[8]));
        }
    }
});
