//! Concurrent calls held with prompts playing: the telephone front end (its own 2-worker
//! runtime, as in `voicepin serve`) answers `CALLS` calls from phones simulated on another
//! thread (one current-thread runtime, a SIP socket per call), which keep every call up for
//! `SECONDS` and key three digits (RFC 4733) one second into it. Every call's SDP points its
//! RTP at one collector socket (32 MiB receive buffer), read by a thread of its own, which
//! tells the calls apart by the server's source port and takes each packet's arrival time
//! from the kernel (SO_TIMESTAMPNS: stamped when the datagram reached the socket, which on
//! loopback is when the server sent it): the intervals measured are the server's pacing, not
//! the collector's own scheduling on a loaded machine.
//!
//!     cargo bench -p voicepin-telephony --bench calls -- [CALLS] [SECONDS] [SETUP_PER_SECOND]
//!
//! Prints call setup (INVITE to 200) latency and rate, the RTP packet intervals (p50, p99,
//! p99.9, max, share within 20 ± 5 ms), packets lost, the digits the server received against
//! those keyed, and the resident memory per call.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark: a failure should stop it loudly

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::net::UdpSocket;
use voicepin_telephony::{Calls, Settings, Telephony};

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let calls: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let seconds: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(10);
    let rate: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(200);

    let server_runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let settings = Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        advertise: None,
        rtp_ports: 30000..=39999,
        answer_after: Duration::ZERO,
    };
    let server_calls = Calls::new();
    let stats = server_calls.stats.clone();
    let telephony = server_runtime.block_on(Telephony::bind(&settings, server_calls)).unwrap();
    let server = telephony.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = server_runtime.spawn(telephony.run(async move {
        let _ = stopped.await;
    }));
    let rss_before = rss_kib();

    let media = Arc::new(std::net::UdpSocket::bind("127.0.0.1:0").unwrap());
    let done = Arc::new(AtomicBool::new(false));
    let collector = {
        let (media, done) = (media.clone(), done.clone());
        std::thread::spawn(move || collect(&media, &done))
    };
    let phones = {
        let media = media.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(run_phones(server, media, calls, seconds, rate))
        })
    };
    // Memory once every call is up (setup takes CALLS / RATE seconds).
    std::thread::sleep(Duration::from_millis(calls as u64 * 1000 / rate + 2000));
    let rss_up = rss_kib();
    let report = phones.join().unwrap();
    done.store(true, Ordering::Relaxed);
    let media_report = collector.join().unwrap();
    let _ = stop.send(());
    server_runtime.block_on(serving).unwrap();

    let mut setups = report.setups.clone();
    setups.sort_unstable();
    let mut gaps = media_report.gaps;
    gaps.sort_unstable();
    let pct = |v: &[u64], p: f64| v.get(((v.len() as f64 - 1.0) * p) as usize).copied().unwrap_or(0);
    let within = gaps.iter().filter(|g| (15_000..=25_000).contains(*g)).count() as f64 / gaps.len().max(1) as f64;
    println!("calls answered: {} of {calls}, held {seconds} s, offered at {rate}/s", report.setups.len());
    println!(
        "setup (INVITE to 200): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {:.0} calls/s",
        pct(&setups, 0.5) as f64 / 1000.0,
        pct(&setups, 0.99) as f64 / 1000.0,
        setups.last().copied().unwrap_or(0) as f64 / 1000.0,
        report.setups.len() as f64 / report.setup_wall.as_secs_f64()
    );
    println!(
        "RTP intervals ({} packets, {} calls): p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms; {:.3}% within 20 ± 5 ms",
        media_report.packets,
        media_report.streams,
        pct(&gaps, 0.5) as f64 / 1000.0,
        pct(&gaps, 0.99) as f64 / 1000.0,
        pct(&gaps, 0.999) as f64 / 1000.0,
        gaps.last().copied().unwrap_or(0) as f64 / 1000.0,
        within * 100.0
    );
    println!("RTP sequence gaps (packets lost or skipped): {}", media_report.lost);
    let received = stats.digits[0].load(Ordering::Relaxed);
    println!(
        "digits (RFC 4733): {} keyed, {received} received, {} lost",
        report.digits,
        report.digits.saturating_sub(received)
    );
    println!(
        "RSS (server, phones, collector): {} MiB before, {} MiB with the calls up: {:.1} KiB per call",
        rss_before / 1024,
        rss_up / 1024,
        (rss_up.saturating_sub(rss_before)) as f64 / calls.max(1) as f64
    );
}

struct Report {
    digits: u64,
    setups: Vec<u64>,
    setup_wall: Duration,
}

struct MediaReport {
    gaps: Vec<u64>,
    packets: u64,
    lost: u64,
    streams: usize,
}

/// Reads every call's RTP on one socket until `done`: intervals between consecutive packets
/// of each call (told apart by the server's source port), by the kernel's receive timestamps.
fn collect(media: &std::net::UdpSocket, done: &AtomicBool) -> MediaReport {
    use nix::sys::socket::{ControlMessageOwned, MsgFlags, SockaddrIn, recvmsg, setsockopt, sockopt};
    use std::os::fd::AsRawFd as _;

    media.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    // 32 MiB as root (SO_RCVBUFFORCE), else as much as net.core.rmem_max allows.
    if setsockopt(media, sockopt::RcvBufForce, &(32 << 20)).is_err() {
        setsockopt(media, sockopt::RcvBuf, &(32 << 20)).unwrap();
    }
    setsockopt(media, sockopt::ReceiveTimestampns, &true).unwrap();
    let mut last: HashMap<SockaddrIn, (i128, u16)> = HashMap::new();
    let mut report = MediaReport { gaps: Vec::with_capacity(1 << 20), packets: 0, lost: 0, streams: 0 };
    let mut buffer = [0u8; 2048];
    let mut control = nix::cmsg_space!(nix::sys::time::TimeSpec);
    while !done.load(Ordering::Relaxed) {
        let mut iov = [std::io::IoSliceMut::new(&mut buffer)];
        let Ok(message) = recvmsg::<SockaddrIn>(media.as_raw_fd(), &mut iov, Some(&mut control), MsgFlags::empty())
        else {
            continue;
        };
        let (length, from) = (message.bytes, message.address);
        let mut stamp = None;
        for cmsg in message.cmsgs().into_iter().flatten() {
            if let ControlMessageOwned::ScmTimestampns(at) = cmsg {
                stamp = Some(i128::from(at.tv_sec()) * 1_000_000_000 + i128::from(at.tv_nsec()));
            }
        }
        let (Some(from), Some(now)) = (from, stamp) else { continue };
        if length < 12 {
            continue;
        }
        report.packets += 1;
        let seq = u16::from_be_bytes([buffer[2], buffer[3]]);
        if let Some((at, previous)) = last.insert(from, (now, seq)) {
            match seq.wrapping_sub(previous) {
                1 => report.gaps.push(((now - at) / 1000) as u64),
                step => report.lost += u64::from(step.wrapping_sub(1)),
            }
        }
    }
    report.streams = last.len();
    report
}

async fn run_phones(
    server: SocketAddr,
    media: Arc<std::net::UdpSocket>,
    calls: usize,
    seconds: u64,
    rate: u64,
) -> Report {
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(calls);
    for index in 0..calls {
        let due = started + Duration::from_micros(index as u64 * 1_000_000 / rate);
        tokio::time::sleep_until(due.into()).await;
        tasks.push(tokio::spawn(phone(server, media.clone(), index, seconds)));
    }
    let mut report = Report { digits: 0, setups: Vec::new(), setup_wall: Duration::ZERO };
    let mut last_setup = started;
    for task in tasks {
        if let Ok(Some((setup, answered_at))) = task.await {
            report.setups.push(setup);
            last_setup = last_setup.max(answered_at);
            report.digits += DIGITS.len() as u64;
        }
    }
    report.setup_wall = last_setup - started;
    report
}

/// The keys each phone sends, one second into its call.
const DIGITS: [u8; 3] = [1, 2, 3];

/// Keys `DIGITS` as RFC 4733 events on payload type 101 from the collector's socket (the
/// address in the SDP, so the server's symmetric RTP stays there): per key, three updates
/// 20 ms apart and the end packet three times, each key with its own timestamp.
async fn key_digits(media: Arc<std::net::UdpSocket>, to: SocketAddr, index: usize) {
    tokio::time::sleep(Duration::from_millis(1000 + (index as u64 % 50) * 20)).await;
    let ssrc = 0x5000_0000 | index as u32;
    let mut seq: u16 = 1;
    for (n, event) in DIGITS.into_iter().enumerate() {
        let timestamp = 8000 + n as u32 * 1600;
        for step in 0..6u16 {
            let end = step >= 3;
            let duration = 160 * (step.min(3) + 1);
            let mut packet = vec![0x80, if step == 0 { 0x80 | 101 } else { 101 }];
            packet.extend_from_slice(&seq.to_be_bytes());
            packet.extend_from_slice(&timestamp.to_be_bytes());
            packet.extend_from_slice(&ssrc.to_be_bytes());
            packet.extend_from_slice(&[event, if end { 0x8a } else { 0x0a }]);
            packet.extend_from_slice(&duration.to_be_bytes());
            // A blocking socket (the collector's), but a loopback datagram never waits.
            let _ = media.send_to(&packet, to);
            seq = seq.wrapping_add(1);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn phone(
    server: SocketAddr,
    media: Arc<std::net::UdpSocket>,
    index: usize,
    seconds: u64,
) -> Option<(u64, Instant)> {
    let sip = UdpSocket::bind("127.0.0.1:0").await.ok()?;
    let local = sip.local_addr().ok()?;
    let media_port = media.local_addr().ok()?.port();
    let call_id = format!("bench-{index}");
    let sdp = format!(
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio {media_port} RTP/AVP 0 101\r\n\
         a=rtpmap:101 telephone-event/8000\r\n"
    );
    let message = |method: &str, cseq: u32, tag: &str, body: &str| {
        let tag = if tag.is_empty() { String::new() } else { format!(";tag={tag}") };
        let content = if body.is_empty() { "" } else { "Content-Type: application/sdp\r\n" };
        format!(
            "{method} sip:100@{server} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bK{method}{index};rport\r\n\
             From: <sip:{index}@127.0.0.1>;tag=b{index}\r\nTo: <sip:100@{server}>{tag}\r\nCall-ID: {call_id}\r\n\
             CSeq: {cseq} {method}\r\nContact: <sip:p@{local}>\r\nMax-Forwards: 70\r\n{content}Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    let sent = Instant::now();
    sip.send_to(message("INVITE", 1, "", &sdp).as_bytes(), server).await.ok()?;
    let mut buffer = vec![0u8; 4096];
    let (tag, rtp_to) = loop {
        let (length, _) = tokio::time::timeout(Duration::from_secs(10), sip.recv_from(&mut buffer)).await.ok()?.ok()?;
        let text = String::from_utf8_lossy(&buffer[..length]);
        if text.starts_with("SIP/2.0 200") {
            let to = text.lines().find(|l| l.starts_with("To:"))?;
            let port: u16 = text.lines().find_map(|l| l.strip_prefix("m=audio "))?.split(' ').next()?.parse().ok()?;
            break (to.split(";tag=").nth(1)?.trim().to_owned(), SocketAddr::new(server.ip(), port));
        }
    };
    let answered_at = Instant::now();
    let setup = (answered_at - sent).as_micros() as u64;
    sip.send_to(message("ACK", 1, &tag, "").as_bytes(), server).await.ok()?;
    let keying = tokio::spawn(key_digits(media, rtp_to, index));
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let _ = keying.await;
    sip.send_to(message("BYE", 2, &tag, "").as_bytes(), server).await.ok()?;
    Some((setup, answered_at))
}
