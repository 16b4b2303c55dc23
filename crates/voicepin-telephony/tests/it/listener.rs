//! Garbage sent to the live listener in the middle of calls: on the SIP port over UDP and
//! TCP (bytes, cut and mangled requests, a BYE and a CANCEL from a stranger naming a live
//! call), and on a call's RTP port (short headers, unknown payload types, RTCP, noise). No
//! call but the one a valid BYE names ends, every call keeps its 20 ms media, the listener
//! keeps answering on both transports and a new call is set up afterwards.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::timeout;
use voicepin_telephony::media::rtp;
use voicepin_telephony::{Calls, Settings, Telephony};

/// One simulated phone: a SIP socket, an RTP socket, its dialog once answered.
struct Phone {
    sip: UdpSocket,
    media: UdpSocket,
    call_id: String,
    tag: String,
    rtp_port: u16,
    cseq: u32,
}

fn request(phone: SocketAddr, call_id: &str, method: &str, cseq: u32, to_tag: &str, body: &str) -> Vec<u8> {
    let tag = if to_tag.is_empty() { String::new() } else { format!(";tag={to_tag}") };
    let content = if body.is_empty() { "" } else { "Content-Type: application/sdp\r\n" };
    format!(
        "{method} sip:100@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP {phone};branch=z9hG4bK{call_id}{method}{cseq};rport\r\n\
         From: <sip:200@127.0.0.1>;tag=ph-{call_id}\r\nTo: <sip:100@127.0.0.1>{tag}\r\nCall-ID: {call_id}\r\n\
         CSeq: {cseq} {method}\r\nContact: <sip:phone@{phone}>\r\nMax-Forwards: 70\r\n{content}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

async fn expect(socket: &UdpSocket, prefix: &str) -> String {
    let mut buffer = vec![0u8; 4096];
    loop {
        let (length, _) = timeout(Duration::from_secs(5), socket.recv_from(&mut buffer)).await.unwrap().unwrap();
        let message = String::from_utf8_lossy(&buffer[..length]).into_owned();
        if message.starts_with(prefix) {
            return message;
        }
    }
}

impl Phone {
    async fn call(server: SocketAddr, call_id: &str) -> Self {
        let sip = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let media = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let media_port = media.local_addr().unwrap().port();
        let offer = format!(
            "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
             m=audio {media_port} RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"
        );
        let local = sip.local_addr().unwrap();
        sip.send_to(&request(local, call_id, "INVITE", 1, "", &offer), server).await.unwrap();
        let ok = expect(&sip, "SIP/2.0 200").await;
        let tag = ok.lines().find(|l| l.starts_with("To:")).unwrap().split(";tag=").nth(1).unwrap().trim().to_owned();
        let rtp_port = ok.split("m=audio ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
        sip.send_to(&request(local, call_id, "ACK", 1, &tag, ""), server).await.unwrap();
        Self { sip, media, call_id: call_id.to_owned(), tag, rtp_port, cseq: 1 }
    }

    /// Receives `count` RTP packets in sequence; the media is still flowing.
    async fn hears(&self, count: usize) {
        let mut buffer = vec![0u8; 2048];
        let mut last: Option<u16> = None;
        for _ in 0..count {
            let (length, from) = timeout(Duration::from_secs(5), self.media.recv_from(&mut buffer))
                .await
                .unwrap_or_else(|_| panic!("call {} went silent", self.call_id))
                .unwrap();
            assert_eq!(from.port(), self.rtp_port);
            let packet = rtp::parse(&buffer[..length]).unwrap();
            assert_eq!(packet.payload.len(), 160);
            if let Some(previous) = last {
                assert_eq!(packet.seq, previous.wrapping_add(1), "call {}: no packet skipped", self.call_id);
            }
            last = Some(packet.seq);
        }
    }

    /// Drains what has arrived so far, so that `hears` measures from now.
    async fn drain(&self) {
        let mut buffer = vec![0u8; 2048];
        while let Ok(Ok(_)) = timeout(Duration::from_millis(1), self.media.recv_from(&mut buffer)).await {}
    }

    async fn bye(&mut self, server: SocketAddr) {
        self.cseq += 1;
        let local = self.sip.local_addr().unwrap();
        self.sip.send_to(&request(local, &self.call_id, "BYE", self.cseq, &self.tag, ""), server).await.unwrap();
        assert!(expect(&self.sip, "SIP/2.0 200").await.contains(&format!("CSeq: {} BYE", self.cseq)));
    }
}

/// Garbage for the SIP port: raw bytes, cut and mangled requests, and requests from a
/// stranger that name `victim`'s dialog with the wrong tags or no valid headers.
fn sip_garbage(stranger: SocketAddr, victim: &Phone) -> Vec<Vec<u8>> {
    let mut garbage: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"\r\n\r\n".to_vec(),
        b"\x00\x01\x02garbage\xff\xfe".to_vec(),
        b"SIP/2.0 200 OK\r\n\r\n".to_vec(),
        b"INVITE\r\n\r\n".to_vec(),
        b"BYE sip:100@127.0.0.1 SIP/2.0\r\nCall-ID: ".to_vec(),
        "INVITE sip:100@127.0.0.1 SIP/2.0\r\nContent-Length: 99999999999999999999\r\n\r\n".into(),
        "OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:1;rport\r\nCSeq: x\r\n\r\n".into(),
        vec![b'A'; 65_000],
    ];
    let invite = request(stranger, "stranger", "INVITE", 1, "", "v=0\r\n");
    for cut in (0..invite.len()).step_by(37) {
        garbage.push(invite[..cut].to_vec());
    }
    for (at, byte) in [(0, b'X'), (9, 0), (40, b'\n'), (80, 0xff), (120, b':')] {
        let mut mangled = invite.clone();
        if at < mangled.len() {
            mangled[at] = byte;
        }
        garbage.push(mangled);
    }
    // The victim's Call-ID from a stranger: wrong tags, so no dialog matches.
    garbage.push(request(stranger, &victim.call_id, "BYE", 9, "not-the-tag", ""));
    garbage.push(request(stranger, &victim.call_id, "CANCEL", 1, "", ""));
    garbage.push(request(stranger, &victim.call_id, "INFO", 10, "other", ""));
    let mut no_via = request(stranger, &victim.call_id, "BYE", 11, &victim.tag, "");
    let text = String::from_utf8_lossy(&no_via).into_owned();
    no_via = text.lines().filter(|l| !l.starts_with("Via:")).collect::<Vec<_>>().join("\r\n").into_bytes();
    garbage.push(no_via);
    garbage
}

/// Garbage for an RTP port: short packets, other versions, unknown payload types, RTCP,
/// telephone events that are no key, noise.
fn rtp_garbage() -> Vec<Vec<u8>> {
    let mut garbage: Vec<Vec<u8>> =
        vec![Vec::new(), vec![0x80], vec![0x80, 0x00, 0x00], vec![0x40; 12], vec![0xff; 200]];
    let mut packet = Vec::new();
    rtp::write(&mut packet, 97, false, 1, 2, 3, &[0; 4]);
    garbage.push(packet.clone());
    rtp::write(&mut packet, 101, true, 1, 2, 3, &[200, 0x80, 0, 0]);
    garbage.push(packet.clone());
    rtp::write(&mut packet, 101, true, 1, 2, 3, &[1]);
    garbage.push(packet.clone());
    // A CSRC count and an extension header claiming more than the packet holds.
    garbage.push(vec![0x9f, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0xff, 0xff]);
    // RTCP sender report and BYE.
    garbage.push(vec![0x80, 200, 0, 6, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    garbage.push(vec![0x81, 203, 0, 1, 0, 0, 0, 1]);
    // Padding bit with a padding length beyond the payload.
    let mut padded = Vec::new();
    rtp::write(&mut padded, 0, false, 5, 6, 7, &[0xff; 4]);
    padded[0] |= 0x20;
    if let Some(last) = padded.last_mut() {
        *last = 200;
    }
    garbage.push(padded);
    let mut state = 0x1234_5678_u32;
    for length in [12, 13, 100, 172, 1400] {
        garbage.push(
            (0..length)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    state as u8
                })
                .collect(),
        );
    }
    garbage
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_mid_call_ends_no_call_and_stops_no_listener() {
    let settings = Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        advertise: None,
        rtp_ports: 41000..=41999,
        answer_after: Duration::ZERO,
    };
    let calls = Calls::new();
    let telephony = Telephony::bind(&settings, calls.clone()).await.unwrap();
    let server = telephony.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(telephony.run(async move {
        let _ = stopped.await;
    }));

    let mut first = Phone::call(server, "first").await;
    let mut second = Phone::call(server, "second").await;
    first.hears(5).await;
    second.hears(5).await;
    // Each phone's first packet latches its call's media (symmetric RTP).
    for phone in [&first, &second] {
        let mut silence = Vec::new();
        rtp::write(&mut silence, 0, true, 1, 160, 0x00ab_cdef, &[0xff; 160]);
        phone.media.send_to(&silence, ("127.0.0.1", phone.rtp_port)).await.unwrap();
    }

    // The SIP port over UDP.
    let stranger = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let stranger_addr = stranger.local_addr().unwrap();
    for bytes in sip_garbage(stranger_addr, &first) {
        stranger.send_to(&bytes, server).await.unwrap();
    }
    // The SIP port over TCP: a connection sending garbage, then one with a runaway length.
    for bytes in [
        &b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not TLS either\r\n\r\n"[..],
        &sip_garbage(stranger_addr, &first)[6],
    ] {
        let mut tcp = TcpStream::connect(server).await.unwrap();
        tcp.write_all(bytes).await.unwrap();
        let mut sink = vec![0u8; 4096];
        // The server answers 400 or closes this connection; either way only this one.
        let _ = timeout(Duration::from_secs(2), tcp.read(&mut sink)).await;
    }
    // The first call's RTP port, from a stranger and from the phone's own address; and a
    // well-formed key from the stranger, which the call must not take.
    let mut key = Vec::new();
    rtp::write(&mut key, 101, true, 1, 320, 9, &[1, 0x8a, 0, 160]);
    stranger.send_to(&key, ("127.0.0.1", first.rtp_port)).await.unwrap();
    for bytes in rtp_garbage() {
        stranger.send_to(&bytes, ("127.0.0.1", first.rtp_port)).await.unwrap();
        first.media.send_to(&bytes, ("127.0.0.1", first.rtp_port)).await.unwrap();
    }

    // Both calls are up and their media never missed a beat.
    first.drain().await;
    second.drain().await;
    first.hears(25).await;
    second.hears(25).await;
    assert_eq!(calls.stats.active.load(Ordering::Relaxed), 2, "no garbage ended a call");
    assert_eq!(calls.stats.digits.iter().map(|d| d.load(Ordering::Relaxed)).sum::<u64>(), 0, "no garbage was a key");

    // The listener still answers over UDP and TCP.
    let probe = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let probe_addr = probe.local_addr().unwrap();
    probe.send_to(&request(probe_addr, "probe", "OPTIONS", 1, "", ""), server).await.unwrap();
    assert!(expect(&probe, "SIP/2.0 200").await.contains("CSeq: 1 OPTIONS"));
    let mut tcp = TcpStream::connect(server).await.unwrap();
    let options = String::from_utf8(request(probe_addr, "probe-tcp", "OPTIONS", 1, "", ""))
        .unwrap()
        .replace("SIP/2.0/UDP", "SIP/2.0/TCP");
    tcp.write_all(options.as_bytes()).await.unwrap();
    let mut reply = vec![0u8; 4096];
    let length = timeout(Duration::from_secs(5), tcp.read(&mut reply)).await.unwrap().unwrap();
    assert!(reply[..length].starts_with(b"SIP/2.0 200"), "{}", String::from_utf8_lossy(&reply[..length]));

    // A valid BYE ends its own call only; a new call is set up after all this.
    second.bye(server).await;
    let third = Phone::call(server, "third").await;
    first.drain().await;
    first.hears(10).await;
    third.hears(10).await;
    assert_eq!(calls.stats.answered.load(Ordering::Relaxed), 3);
    first.bye(server).await;

    stop.send(()).unwrap();
    task.await.unwrap();
}
