//! A datagram on a call's RTP port: the RTP parser, then the session sorting it into audio
//! and telephone events, and the DTMF receiver (in-band detector or RFC 4733) taking it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use voicepin_telephony::media::dtmf::DtmfReceiver;
use voicepin_telephony::media::g711::Law;
use voicepin_telephony::media::rtp;
use voicepin_telephony::media::sdp::{Direction, Negotiated};
use voicepin_telephony::media::session::{Inbound, MediaSession};

fuzz_target!(|data: &[u8]| {
    if let Ok(packet) = rtp::parse(data) {
        let mut again = Vec::new();
        rtp::write(&mut again, packet.pt, packet.marker, packet.seq, packet.timestamp, packet.ssrc, packet.payload);
        let reparsed = rtp::parse(&again).expect("a packet we write parses");
        assert_eq!(reparsed.payload, packet.payload);
    }
    let negotiated = Negotiated {
        codec: Law::ALaw,
        codec_pt: 8,
        telephone_event: Some(96),
        remote: "127.0.0.1:16000".parse().unwrap(),
        direction: Direction::SendRecv,
    };
    let mut session = MediaSession::new(&negotiated, 7);
    let mut receiver = DtmfReceiver::new();
    receiver.set_telephone_event_negotiated(false);
    let mut digits = Vec::new();
    for part in data.chunks(200) {
        match session.receive("127.0.0.1:16000".parse().unwrap(), part) {
            Inbound::Audio(payload) => receiver.on_audio(Law::ALaw, payload, &mut digits),
            Inbound::TelephoneEvent { ssrc, timestamp, payload } => {
                digits.extend(receiver.on_telephone_event(ssrc, timestamp, payload));
            }
            Inbound::Ignored => {}
        }
    }
});
