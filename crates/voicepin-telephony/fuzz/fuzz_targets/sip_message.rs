//! One SIP message (a datagram or one framed stream message): parsed, and when it is a
//! request, every accessor the endpoint uses.
#![no_main]

use libfuzzer_sys::fuzz_target;
use voicepin_telephony::sip::message::{self, Message};

fuzz_target!(|data: &[u8]| {
    if let Ok(Message::Request(request)) = message::parse(data) {
        let _ = request.content_type();
        let _ = request.uri_user();
        let _ = request.from_user();
        if let Some(contact) = request.contact_uri() {
            let _ = message::uri_user(message::addr_spec(&contact));
        }
    }
});
