//! A TCP byte stream cut into SIP messages by Content-Length, delivered in pieces whose sizes
//! come from the first byte; every framed message goes on to the parser.
#![no_main]

use libfuzzer_sys::fuzz_target;
use voicepin_telephony::sip::framing::{Frame, StreamFramer};
use voicepin_telephony::sip::message;

fuzz_target!(|data: &[u8]| {
    let Some((&chunk, stream)) = data.split_first() else { return };
    let chunk = usize::from(chunk).max(1);
    let mut framer = StreamFramer::new();
    for piece in stream.chunks(chunk) {
        framer.push(piece);
        loop {
            match framer.next_frame() {
                Ok(Some(Frame::Message(bytes))) => {
                    let _ = message::parse(&bytes);
                }
                Ok(Some(Frame::Ping)) => {}
                Ok(None) => break,
                // The connection would be closed here.
                Err(_) => return,
            }
        }
    }
});
