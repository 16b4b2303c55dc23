//! A SIP INFO: its Content-Type (up to the first NUL byte) and body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use voicepin_telephony::media::dtmf::info::parse_info;

fuzz_target!(|data: &[u8]| {
    let (content_type, body) = match data.iter().position(|b| *b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (&b"application/dtmf-relay"[..], data),
    };
    let _ = parse_info(&String::from_utf8_lossy(content_type), body);
});
