//! An SDP body as an offer (negotiated, answered) and as an answer to our offer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use voicepin_telephony::media::sdp;

fuzz_target!(|data: &[u8]| {
    let Ok(description) = sdp::parse(data) else { return };
    if let Ok(negotiated) = description.negotiate() {
        let answer = sdp::write("127.0.0.1".parse().unwrap(), 40_000, 1, Some(&negotiated));
        assert!(sdp::parse(&answer).is_ok(), "our own answer must parse");
    }
    let _ = sdp::accept_answer(&description);
});
