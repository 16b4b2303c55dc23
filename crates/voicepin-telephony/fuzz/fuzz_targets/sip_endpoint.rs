//! Whole SIP exchanges through the sans-IO endpoint: the input is cut into messages at each
//! NUL byte, fed from one or two sources over UDP and TCP with the clock moving on, the
//! endpoint answers every call it is offered, and its timers run out at the end. Whatever
//! arrives, the endpoint must neither panic nor lose track of its calls.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use voicepin_telephony::sip::{Config, Endpoint, Event, Remote, Transport};

fuzz_target!(|data: &[u8]| {
    let mut endpoint =
        Endpoint::new(Config { advertise: "127.0.0.1:5060".into(), user_agent: "fuzz".into(), seed: Some(1) });
    let mut now = Instant::now();
    for (index, part) in data.split(|b| *b == 0).enumerate() {
        let Some((&selector, bytes)) = part.split_first() else { continue };
        let remote = Remote {
            addr: if selector & 1 == 0 { "127.0.0.1:5080".parse().unwrap() } else { "10.0.0.2:5060".parse().unwrap() },
            transport: if selector & 2 == 0 { Transport::Udp } else { Transport::Tcp },
            connection: u64::from(selector & 2),
        };
        now += Duration::from_millis(u64::from(selector >> 2) * 100);
        endpoint.handle_timeout(now);
        endpoint.handle_input(now, remote, bytes);
        while endpoint.poll_transmit().is_some() {}
        while let Some(event) = endpoint.poll_event() {
            if let Event::Incoming(incoming) = event {
                let _ = match index % 3 {
                    0 => endpoint.accept(now, incoming.call, b"v=0\r\n".to_vec()),
                    1 => endpoint.reject(now, incoming.call, 488),
                    _ => endpoint.ringing(incoming.call),
                };
            }
        }
    }
    for _ in 0..64 {
        let Some(at) = endpoint.poll_timeout() else { break };
        now = now.max(at);
        endpoint.handle_timeout(now);
        while endpoint.poll_transmit().is_some() {}
        while endpoint.poll_event().is_some() {}
    }
});
