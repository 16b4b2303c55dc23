//! The telephone front end on loopback, driven by a minimal phone written here: a call is
//! answered with a usable SDP, its prompts arrive as RTP paced at 20 ms, digits reach the
//! flow (which hangs up after `#`), and garbage on the SIP port stops nothing.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::time::{Instant, timeout};
use voicepin_telephony::media::rtp;
use voicepin_telephony::{Calls, Settings, Telephony};

async fn start() -> (SocketAddr, Calls, tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let settings = Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        advertise: None,
        rtp_ports: 40000..=40999,
        answer_after: Duration::ZERO,
    };
    let calls = Calls::new();
    let telephony = Telephony::bind(&settings, calls.clone()).await.unwrap();
    let address = telephony.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(telephony.run(async move {
        let _ = stopped.await;
    }));
    (address, calls, stop, task)
}

fn request(method: &str, branch: &str, cseq: u32, to_tag: &str, phone: SocketAddr, extra: &str, body: &str) -> Vec<u8> {
    let tag = if to_tag.is_empty() { String::new() } else { format!(";tag={to_tag}") };
    format!(
        "{method} sip:+14255550100@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP {phone};branch=z9hG4bK{branch};rport\r\n\
         From: <sip:+14255550123@127.0.0.1>;tag=phone\r\nTo: <sip:+14255550100@127.0.0.1>{tag}\r\nCall-ID: it-1\r\n\
         CSeq: {cseq} {method}\r\nContact: <sip:phone@{phone}>\r\nMax-Forwards: 70\r\n{extra}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

async fn receive(socket: &UdpSocket) -> String {
    let mut buffer = vec![0u8; 4096];
    let (length, _) = timeout(Duration::from_secs(5), socket.recv_from(&mut buffer)).await.unwrap().unwrap();
    String::from_utf8_lossy(&buffer[..length]).into_owned()
}

/// Reads SIP messages until one starts with `prefix`.
async fn expect(socket: &UdpSocket, prefix: &str) -> String {
    loop {
        let message = receive(socket).await;
        if message.starts_with(prefix) {
            return message;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_hears_paced_prompts_and_its_digits_end_it() {
    let (server, calls, stop, task) = start().await;
    let phone = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let media = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let (phone_addr, media_port) = (phone.local_addr().unwrap(), media.local_addr().unwrap().port());
    let offer = format!(
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio {media_port} RTP/AVP 8 0 118\r\n\
         a=rtpmap:118 telephone-event/8000\r\n"
    );
    let invite = request("INVITE", "inv", 1, "", phone_addr, "Content-Type: application/sdp\r\n", &offer);
    phone.send_to(&invite, server).await.unwrap();
    let ok = expect(&phone, "SIP/2.0 200").await;
    assert!(ok.contains("m=audio 40") && ok.contains(" RTP/AVP 8 118\r\n"), "PCMA first, PT 118 kept: {ok}");
    let to = ok.lines().find(|l| l.starts_with("To:")).unwrap();
    let tag = to.split(";tag=").nth(1).unwrap().to_owned();
    let rtp_port: u16 = ok.split("m=audio ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    phone.send_to(&request("ACK", "ack", 1, &tag, phone_addr, "", ""), server).await.unwrap();

    // Garbage and a broken request on the SIP port: the listener and the call go on.
    phone.send_to(b"\x00\x01garbage", server).await.unwrap();
    phone.send_to(b"OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:1;rport\r\n\r\n", server).await.unwrap();
    assert!(expect(&phone, "SIP/2.0 400").await.contains("Warning: 399"));
    phone.send_to(&request("OPTIONS", "opt", 1, "", phone_addr, "", ""), server).await.unwrap();
    assert!(expect(&phone, "SIP/2.0 200").await.contains("CSeq: 1 OPTIONS"));

    // 50 packets of the welcome prompt, PCMA, every 20 ms.
    let mut arrivals = Vec::new();
    let mut buffer = vec![0u8; 2048];
    while arrivals.len() < 50 {
        let (length, from) = timeout(Duration::from_secs(5), media.recv_from(&mut buffer)).await.unwrap().unwrap();
        assert_eq!(from.port(), rtp_port, "RTP comes from the port in the SDP");
        let packet = rtp::parse(&buffer[..length]).unwrap();
        assert_eq!((packet.pt, packet.payload.len()), (8, 160));
        assert_eq!(packet.marker, arrivals.is_empty(), "the marker is on the first packet only");
        arrivals.push((Instant::now(), packet.seq, packet.timestamp));
    }
    for pair in arrivals.windows(2) {
        assert_eq!(pair[1].1, pair[0].1.wrapping_add(1));
        assert_eq!(pair[1].2.wrapping_sub(pair[0].2) % 160, 0);
    }
    let mut gaps: Vec<u128> = arrivals.windows(2).map(|p| (p[1].0 - p[0].0).as_micros()).collect();
    gaps.sort_unstable();
    let total = (arrivals[49].0 - arrivals[0].0).as_millis();
    assert!((900..1100).contains(&total), "49 intervals of 20 ms took {total} ms");
    assert!(gaps[gaps.len() / 2] > 15_000 && gaps[gaps.len() / 2] < 25_000, "median interval {:?}", gaps);

    // RFC 4733 `1`, `#` on PT 118 from the media socket (the end packet three times).
    for (event, timestamp) in [(1u8, 1000u32), (11, 2000)] {
        for (end, duration) in [(false, 160u16), (true, 320), (true, 320), (true, 320)] {
            let payload = [event, if end { 0x80 } else { 0 } | 10, (duration >> 8) as u8, duration as u8];
            let mut packet = Vec::new();
            rtp::write(&mut packet, 118, !end, 1, timestamp, 77, &payload);
            media.send_to(&packet, ("127.0.0.1", rtp_port)).await.unwrap();
        }
    }
    // The flow plays its goodbye and hangs up.
    let bye = expect(&phone, "BYE ").await;
    assert!(bye.contains(&format!("From: <sip:+14255550100@127.0.0.1>;tag={tag}")), "{bye}");
    let digits = calls.stats.digits[0].load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(digits, 2, "one digit per event, repeats dropped");
    stop.send(()).unwrap();
    task.await.unwrap();
}
