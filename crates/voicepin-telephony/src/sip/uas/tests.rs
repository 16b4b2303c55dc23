//! The transaction and dialog state machines against a fake clock.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

const SDP: &str = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 16000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n";

fn udp() -> Remote {
    Remote { addr: "127.0.0.1:5080".parse().unwrap(), transport: Transport::Udp, connection: 0 }
}

fn endpoint() -> Endpoint {
    Endpoint::new(Config { advertise: "127.0.0.1:5060".into(), user_agent: "voicepin-test".into(), seed: Some(7) })
}

struct Msg<'a> {
    method: &'a str,
    branch: &'a str,
    cseq: u32,
    to_tag: Option<&'a str>,
    body: &'a str,
    extra: &'a str,
}

impl<'a> Msg<'a> {
    fn new(method: &'a str, branch: &'a str) -> Self {
        Self { method, branch, cseq: 1, to_tag: None, body: "", extra: "" }
    }

    fn bytes(&self) -> Vec<u8> {
        let to_tag = self.to_tag.map(|t| format!(";tag={t}")).unwrap_or_default();
        let content_type =
            if self.body.is_empty() { String::new() } else { "Content-Type: application/sdp\r\n".into() };
        let cseq_method = if self.method == "ACK" && self.cseq == 1 { "ACK" } else { self.method };
        format!(
            "{} sip:+14255550100@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5080;branch={};rport\r\n\
             From: <sip:+14255550123@127.0.0.1>;tag=caller\r\nTo: <sip:+14255550100@127.0.0.1>{to_tag}\r\n\
             Call-ID: call-1\r\nCSeq: {} {cseq_method}\r\nContact: <sip:caller@127.0.0.1:5080>\r\nMax-Forwards: 70\r\n\
             {}{content_type}Content-Length: {}\r\n\r\n{}",
            self.method,
            self.branch,
            self.cseq,
            self.extra,
            self.body.len(),
            self.body
        )
        .into_bytes()
    }
}

fn sent(endpoint: &mut Endpoint) -> Vec<String> {
    std::iter::from_fn(|| endpoint.poll_transmit()).map(|t| String::from_utf8(t.bytes).unwrap()).collect()
}

fn events(endpoint: &mut Endpoint) -> Vec<Event> {
    std::iter::from_fn(|| endpoint.poll_event()).collect()
}

fn status(message: &str) -> &str {
    &message[8..11]
}

fn to_tag(message: &str) -> String {
    let to = message.lines().find(|l| l.starts_with("To:")).unwrap();
    to.split(";tag=").nth(1).unwrap().trim().to_owned()
}

/// An INVITE answered 200; returns the call and our To tag.
fn answered(ep: &mut Endpoint, now: Instant) -> (CallId, String) {
    ep.handle_input(now, udp(), &Msg { body: SDP, ..Msg::new("INVITE", "z9hG4bKinv") }.bytes());
    assert_eq!(sent(ep).iter().map(|m| status(m)).collect::<Vec<_>>(), ["100"]);
    let Some(Event::Incoming(incoming)) = ep.poll_event() else { panic!("no incoming call") };
    assert_eq!(incoming.called.as_deref(), Some("+14255550100"));
    assert_eq!(incoming.caller.as_deref(), Some("+14255550123"));
    assert_eq!(incoming.offer.as_deref(), Some(SDP.as_bytes()));
    ep.accept(now, incoming.call, b"v=0\r\n".to_vec()).unwrap();
    let ok = sent(ep);
    assert_eq!(status(&ok[0]), "200");
    assert!(ok[0].contains("Contact: <sip:127.0.0.1:5060>"), "{}", ok[0]);
    assert!(ok[0].contains("Content-Type: application/sdp\r\nContent-Length: 5\r\n\r\nv=0\r\n"), "{}", ok[0]);
    (incoming.call, to_tag(&ok[0]))
}

#[test]
fn the_200_is_resent_with_doubling_intervals_until_the_ack() {
    let mut ep = endpoint();
    let t0 = Instant::now();
    let (call, tag) = answered(&mut ep, t0);
    let mut resent_at = Vec::new();
    let mut now = t0;
    while now < t0 + Duration::from_secs(10) {
        now += Duration::from_millis(50);
        ep.handle_timeout(now);
        for message in sent(&mut ep) {
            assert_eq!(status(&message), "200");
            resent_at.push((now - t0).as_millis());
        }
    }
    // T1, then 1 s, 2 s, 4 s (capped at T2) between retransmissions.
    assert_eq!(resent_at, [500, 1500, 3500, 7500]);
    ep.handle_input(now, udp(), &Msg { to_tag: Some(&tag), ..Msg::new("ACK", "z9hG4bKack") }.bytes());
    assert!(matches!(events(&mut ep)[..], [Event::Confirmed { call: c, sdp: None }] if c == call));
    ep.handle_timeout(now + Duration::from_secs(30));
    assert!(sent(&mut ep).is_empty(), "no retransmission after the ACK");
    assert_eq!(ep.active_calls(), 1);
}

#[test]
fn no_ack_in_64_t1_ends_the_call_with_a_bye() {
    let mut ep = endpoint();
    let t0 = Instant::now();
    let (call, tag) = answered(&mut ep, t0);
    ep.handle_timeout(t0 + 64 * T1);
    let out = sent(&mut ep);
    let bye = out.iter().find(|m| m.starts_with("BYE ")).expect("a BYE");
    assert!(bye.starts_with("BYE sip:caller@127.0.0.1:5080 SIP/2.0\r\n"), "{bye}");
    assert!(bye.contains(&format!("From: <sip:+14255550100@127.0.0.1>;tag={tag}")), "{bye}");
    assert!(bye.contains("To: <sip:+14255550123@127.0.0.1>;tag=caller"), "{bye}");
    assert!(bye.contains("CSeq: 2 BYE"), "{bye}");
    assert!(matches!(events(&mut ep)[..], [Event::Ended { call: c, reason: EndReason::NoAck }] if c == call));
    assert_eq!(ep.active_calls(), 0);
}

#[test]
fn a_retransmitted_invite_gets_the_last_response_again() {
    let mut ep = endpoint();
    let now = Instant::now();
    let invite = Msg { body: SDP, ..Msg::new("INVITE", "z9hG4bKinv") }.bytes();
    ep.handle_input(now, udp(), &invite);
    let Some(Event::Incoming(incoming)) = ep.poll_event() else { panic!() };
    ep.handle_input(now, udp(), &invite);
    assert_eq!(sent(&mut ep).iter().map(|m| status(m)).collect::<Vec<_>>(), ["100", "100"]);
    assert!(events(&mut ep).is_empty(), "one call, not two");
    ep.accept(now, incoming.call, b"v=0\r\n".to_vec()).unwrap();
    sent(&mut ep);
    ep.handle_input(now, udp(), &invite);
    assert_eq!(sent(&mut ep).iter().map(|m| status(m)).collect::<Vec<_>>(), ["200"]);
    assert_eq!(ep.active_calls(), 1);
}

#[test]
fn cancel_before_the_answer_gets_200_and_the_invite_487_until_its_ack() {
    let mut ep = endpoint();
    let t0 = Instant::now();
    ep.handle_input(t0, udp(), &Msg { body: SDP, ..Msg::new("INVITE", "z9hG4bKinv") }.bytes());
    sent(&mut ep);
    let Some(Event::Incoming(incoming)) = ep.poll_event() else { panic!() };
    ep.ringing(incoming.call).unwrap();
    let ringing = sent(&mut ep);
    assert_eq!(ringing.iter().map(|m| status(m)).collect::<Vec<_>>(), ["180"]);
    ep.handle_input(t0, udp(), &Msg { body: SDP, ..Msg::new("INVITE", "z9hG4bKinv") }.bytes());
    assert_eq!(sent(&mut ep), ringing, "a retransmitted INVITE gets the 180 again");
    ep.handle_input(t0, udp(), &Msg::new("CANCEL", "z9hG4bKinv").bytes());
    let out = sent(&mut ep);
    assert_eq!(out.iter().map(|m| status(m)).collect::<Vec<_>>(), ["200", "487"]);
    assert_eq!(to_tag(&out[1]), to_tag(&ringing[0]), "the 487 has the 180's tag");
    assert!(out[0].contains("CSeq: 1 CANCEL") && out[1].contains("CSeq: 1 INVITE"));
    let tag = to_tag(&out[1]);
    assert!(matches!(events(&mut ep)[..], [Event::Ended { reason: EndReason::Cancelled, .. }]));
    // The race: the TU answers after the CANCEL won.
    assert_eq!(ep.accept(t0, incoming.call, Vec::new()), Err(CallError::NotPending));
    assert!(sent(&mut ep).is_empty());
    // Timer G re-sends the 487 until the ACK (same branch as the INVITE).
    ep.handle_timeout(t0 + T1);
    assert_eq!(sent(&mut ep).iter().map(|m| status(m)).collect::<Vec<_>>(), ["487"]);
    ep.handle_input(t0 + T1, udp(), &Msg { to_tag: Some(&tag), ..Msg::new("ACK", "z9hG4bKinv") }.bytes());
    ep.handle_timeout(t0 + Duration::from_secs(40));
    assert!(sent(&mut ep).is_empty());
    assert!(events(&mut ep).is_empty(), "the ACK of a 487 is no call event");
    assert_eq!(ep.active_calls(), 0);
}

#[test]
fn cancel_after_the_answer_changes_nothing_and_unknown_cancel_is_481() {
    let mut ep = endpoint();
    let now = Instant::now();
    answered(&mut ep, now);
    ep.handle_input(now, udp(), &Msg::new("CANCEL", "z9hG4bKinv").bytes());
    assert_eq!(sent(&mut ep).iter().map(|m| status(m)).collect::<Vec<_>>(), ["200"]);
    assert!(events(&mut ep).is_empty());
    assert_eq!(ep.active_calls(), 1);
    ep.handle_input(now, udp(), &Msg::new("CANCEL", "z9hG4bKother").bytes());
    assert_eq!(sent(&mut ep).iter().map(|m| status(m)).collect::<Vec<_>>(), ["481"]);
}

#[test]
fn bye_ends_the_call_once_and_its_retransmission_gets_the_same_200() {
    let mut ep = endpoint();
    let now = Instant::now();
    let (call, tag) = answered(&mut ep, now);
    ep.handle_input(now, udp(), &Msg { to_tag: Some(&tag), ..Msg::new("ACK", "z9hG4bKack") }.bytes());
    events(&mut ep);
    let bye = Msg { to_tag: Some(&tag), cseq: 2, ..Msg::new("BYE", "z9hG4bKbye") }.bytes();
    ep.handle_input(now, udp(), &bye);
    ep.handle_input(now, udp(), &bye);
    let out = sent(&mut ep);
    assert_eq!(out.iter().map(|m| status(m)).collect::<Vec<_>>(), ["200", "200"]);
    assert_eq!(out[0], out[1]);
    assert!(matches!(events(&mut ep)[..], [Event::Ended { call: c, reason: EndReason::Bye }] if c == call));
    assert_eq!(ep.active_calls(), 0);
    // A BYE in no dialog.
    let stray = Msg { to_tag: Some("nope"), cseq: 3, ..Msg::new("BYE", "z9hG4bKbye2") }.bytes();
    ep.handle_input(now, udp(), &stray);
    assert_eq!(sent(&mut ep).iter().map(|m| status(m)).collect::<Vec<_>>(), ["481"]);
}

#[test]
fn out_of_dialog_requests_are_answered_by_the_rules() {
    let mut ep = endpoint();
    let now = Instant::now();
    let cases: [(Msg<'_>, &str, &str); 5] = [
        (Msg::new("OPTIONS", "z9hG4bK1"), "200", "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, INFO"),
        (Msg::new("REGISTER", "z9hG4bK2"), "405", "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, INFO"),
        (Msg { extra: "Require: 100rel\r\n", ..Msg::new("INVITE", "z9hG4bK3") }, "420", "Unsupported: 100rel"),
        (Msg::new("INFO", "z9hG4bK4"), "481", "CSeq: 1 INFO"),
        (
            Msg { extra: "Content-Type: text/plain\r\n", body: "hi", ..Msg::new("INVITE", "z9hG4bK5") },
            "415",
            "Accept: application/sdp",
        ),
    ];
    for (message, code, header) in cases {
        ep.handle_input(now, udp(), &message.bytes());
        let out = sent(&mut ep);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(status(&out[0]), code, "{}", out[0]);
        assert!(out[0].contains(header), "{}", out[0]);
    }
    let hops = String::from_utf8(Msg::new("INVITE", "z9hG4bK6").bytes())
        .unwrap()
        .replace("Max-Forwards: 70", "Max-Forwards: 0");
    ep.handle_input(now, udp(), hops.as_bytes());
    assert_eq!(sent(&mut ep).iter().map(|m| status(m)).collect::<Vec<_>>(), ["483"]);
    assert!(events(&mut ep).is_empty());
    assert_eq!(ep.active_calls(), 0);
}

#[test]
fn dtmf_info_is_reported_and_other_bodies_refused() {
    let mut ep = endpoint();
    let now = Instant::now();
    let (call, tag) = answered(&mut ep, now);
    ep.handle_input(now, udp(), &Msg { to_tag: Some(&tag), ..Msg::new("ACK", "z9hG4bKack") }.bytes());
    events(&mut ep);
    let info = |branch: &str, cseq: u32, content_type: &str, body: &str| {
        let text = String::from_utf8(Msg { to_tag: Some(&tag), cseq, ..Msg::new("INFO", branch) }.bytes()).unwrap();
        text.replace(
            "Content-Length: 0\r\n\r\n",
            &format!("Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}", body.len()),
        )
    };
    ep.handle_input(
        now,
        udp(),
        info("z9hG4bKi1", 2, "application/dtmf-relay", "Signal=5\r\nDuration=160\r\n").as_bytes(),
    );
    ep.handle_input(now, udp(), info("z9hG4bKi2", 3, "text/plain", "5").as_bytes());
    ep.handle_input(now, udp(), info("z9hG4bKi3", 4, "application/dtmf", "x").as_bytes());
    let out = sent(&mut ep);
    assert_eq!(out.iter().map(|m| status(m)).collect::<Vec<_>>(), ["200", "415", "400"]);
    assert!(out[1].contains("Accept: application/dtmf-relay, application/dtmf"), "{}", out[1]);
    match &events(&mut ep)[..] {
        [Event::Info { call: c, content_type, body }] => {
            assert_eq!(
                (*c, content_type.as_str(), &body[..]),
                (call, "application/dtmf-relay", &b"Signal=5\r\nDuration=160\r\n"[..])
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn responses_go_to_the_source_port_with_rport_and_to_the_via_port_without() {
    let mut ep = endpoint();
    let now = Instant::now();
    let nat = Remote { addr: "192.0.2.9:40000".parse().unwrap(), ..udp() };
    ep.handle_input(now, nat, &Msg::new("OPTIONS", "z9hG4bKa").bytes());
    let out = ep.poll_transmit().unwrap();
    assert_eq!(out.to.addr, nat.addr);
    let text = String::from_utf8(out.bytes).unwrap();
    assert!(text.contains("branch=z9hG4bKa;received=192.0.2.9;rport=40000\r\n"), "{text}");
    let no_rport = String::from_utf8(Msg::new("OPTIONS", "z9hG4bKb").bytes()).unwrap().replace(";rport", "");
    ep.handle_input(now, nat, no_rport.as_bytes());
    assert_eq!(ep.poll_transmit().unwrap().to.addr, "192.0.2.9:5080".parse().unwrap());
}

#[test]
fn an_invite_without_sdp_takes_the_answer_from_the_ack() {
    let mut ep = endpoint();
    let now = Instant::now();
    ep.handle_input(now, udp(), &Msg::new("INVITE", "z9hG4bKlate").bytes());
    sent(&mut ep);
    let Some(Event::Incoming(incoming)) = ep.poll_event() else { panic!() };
    assert_eq!(incoming.offer, None);
    ep.accept(now, incoming.call, b"v=0 offer\r\n".to_vec()).unwrap();
    let tag = to_tag(&sent(&mut ep)[0]);
    ep.handle_input(now, udp(), &Msg { to_tag: Some(&tag), body: SDP, ..Msg::new("ACK", "z9hG4bKack") }.bytes());
    match &events(&mut ep)[..] {
        [Event::Confirmed { sdp: Some(sdp), .. }] => assert_eq!(&sdp[..], SDP.as_bytes()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn malformed_input_never_touches_a_call_in_progress() {
    let mut ep = endpoint();
    let now = Instant::now();
    let (_, tag) = answered(&mut ep, now);
    ep.handle_input(now, udp(), &Msg { to_tag: Some(&tag), ..Msg::new("ACK", "z9hG4bKack") }.bytes());
    events(&mut ep);
    for garbage in [&b"\x00\x01\x02"[..], b"INVITE\r\n\r\n", b"SIP/2.0 200 OK\r\n\r\n", &[0xff; 2000]] {
        ep.handle_input(now, udp(), garbage);
    }
    assert!(sent(&mut ep).is_empty(), "garbage gets no answer");
    // A readable head without Call-ID: 400, with the Via marked.
    let broken = String::from_utf8(Msg::new("OPTIONS", "z9hG4bKx").bytes()).unwrap().replace("Call-ID: call-1\r\n", "");
    ep.handle_input(now, udp(), broken.as_bytes());
    let out = sent(&mut ep);
    assert_eq!(out.iter().map(|m| status(m)).collect::<Vec<_>>(), ["400"]);
    assert!(out[0].contains("received=127.0.0.1;rport=5080"), "{}", out[0]);
    // The call is untouched and still answers in its dialog.
    assert_eq!(ep.active_calls(), 1);
    ep.handle_input(now, udp(), &Msg { to_tag: Some(&tag), cseq: 2, ..Msg::new("BYE", "z9hG4bKbye") }.bytes());
    assert_eq!(sent(&mut ep).iter().map(|m| status(m)).collect::<Vec<_>>(), ["200"]);
}

#[test]
fn our_bye_is_resent_by_timer_e_until_its_response() {
    let mut ep = endpoint();
    let t0 = Instant::now();
    let (call, tag) = answered(&mut ep, t0);
    ep.handle_input(t0, udp(), &Msg { to_tag: Some(&tag), ..Msg::new("ACK", "z9hG4bKack") }.bytes());
    events(&mut ep);
    ep.hangup(t0, call);
    let bye = sent(&mut ep).remove(0);
    assert!(bye.starts_with("BYE "));
    assert_eq!(ep.active_calls(), 0);
    ep.handle_timeout(t0 + T1);
    assert_eq!(sent(&mut ep), std::slice::from_ref(&bye));
    let branch = bye.split("branch=").nth(1).unwrap().split(';').next().unwrap();
    let ok = format!(
        "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch={branch}\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n"
    );
    ep.handle_input(t0 + T1, udp(), ok.as_bytes());
    ep.handle_timeout(t0 + Duration::from_secs(60));
    assert!(sent(&mut ep).is_empty());
}

#[test]
fn over_tcp_responses_use_the_connection_and_the_200_is_not_resent() {
    let mut ep = endpoint();
    let now = Instant::now();
    let tcp = Remote { transport: Transport::Tcp, connection: 9, ..udp() };
    let invite =
        String::from_utf8(Msg { body: SDP, ..Msg::new("INVITE", "z9hG4bKt") }.bytes()).unwrap().replace("UDP", "TCP");
    ep.handle_input(now, tcp, invite.as_bytes());
    assert_eq!(ep.poll_transmit().unwrap().to, tcp);
    let Some(Event::Incoming(incoming)) = ep.poll_event() else { panic!() };
    ep.accept(now, incoming.call, b"v=0\r\n".to_vec()).unwrap();
    let ok = ep.poll_transmit().unwrap();
    assert!(String::from_utf8(ok.bytes).unwrap().contains("Contact: <sip:127.0.0.1:5060;transport=tcp>"));
    ep.handle_timeout(now + Duration::from_secs(5));
    assert!(sent(&mut ep).is_empty());
}
