//! Arbitrary bytes into every parser and into the endpoint: nothing panics, and a call in
//! progress survives whatever else arrives (the property the fuzz targets of issue 9 ask for,
//! run here on every test run).

use std::time::{Duration, Instant};

use proptest::prelude::*;
use voicepin_telephony::media::{rtp, sdp};
use voicepin_telephony::sip::message;
use voicepin_telephony::sip::{Config, Endpoint, Event, Remote, Transport};

const INVITE: &str = "INVITE sip:100@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bKa;rport\r\n\
    From: <sip:1@127.0.0.1>;tag=f\r\nTo: <sip:100@127.0.0.1>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\n\
    Contact: <sip:1@127.0.0.1:5080>\r\nContent-Type: application/sdp\r\nContent-Length: 61\r\n\r\n\
    v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 16000 RTP/AVP 0 101\r\nt=0 0\r\n";

/// Bytes that look like SIP: a real message with some bytes replaced, cut or repeated.
fn mangled() -> impl Strategy<Value = Vec<u8>> {
    (prop::collection::vec((0usize..INVITE.len(), any::<u8>()), 0..8), 0usize..=INVITE.len()).prop_map(
        |(edits, cut)| {
            let mut bytes = INVITE.as_bytes()[..cut].to_vec();
            for (at, byte) in edits {
                if at < bytes.len() {
                    bytes[at] = byte;
                }
            }
            bytes
        },
    )
}

fn any_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![prop::collection::vec(any::<u8>(), 0..600), mangled()]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn parsers_never_panic(bytes in any_bytes()) {
        let _ = message::parse(&bytes);
        let _ = sdp::parse(&bytes).map(|s| s.negotiate());
        let _ = rtp::parse(&bytes);
    }

    #[test]
    fn no_input_ends_another_call(inputs in prop::collection::vec(any_bytes(), 1..6)) {
        let mut endpoint = Endpoint::new(Config { advertise: "127.0.0.1:5060".into(), user_agent: "t".into(), seed: Some(1) });
        let phone = Remote { addr: "127.0.0.1:5080".parse().unwrap(), transport: Transport::Udp, connection: 0 };
        let stranger = Remote { addr: "127.0.0.9:6000".parse().unwrap(), ..phone };
        let now = Instant::now();
        endpoint.handle_input(now, phone, INVITE.as_bytes());
        let Some(Event::Incoming(call)) = endpoint.poll_event() else { panic!("no call") };
        endpoint.accept(now, call.call, b"v=0\r\n".to_vec()).unwrap();
        for (index, input) in inputs.iter().enumerate() {
            endpoint.handle_input(now + Duration::from_millis(index as u64), stranger, input);
            endpoint.handle_timeout(now + Duration::from_millis(index as u64));
        }
        while endpoint.poll_transmit().is_some() {}
        while let Some(event) = endpoint.poll_event() {
            if let Event::Ended { call: ended, .. } = event {
                prop_assert_ne!(ended, call.call, "a stranger's packet ended the call");
            }
        }
        prop_assert_eq!(endpoint.active_calls() >= 1, true);
    }
}
