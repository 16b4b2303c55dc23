//! Receives the RTP of many calls on one UDP port and reports the packet intervals per call,
//! for load tests where another client (SIPp) sets the calls up and points their SDP here.
//!
//!     cargo run --release -p voicepin-telephony --example rtp_intervals -- PORT SECONDS
//!
//! Calls are told apart by the server's source port; an interval counts between packets
//! with consecutive sequence numbers of one call, a sequence jump counts as packets lost.
//! Arrival times are the kernel's (SO_TIMESTAMPNS), into a 32 MiB receive buffer, so the
//! collector's own scheduling neither shifts them nor drops packets.
//! Prints the calls seen, packets, the intervals' p50, p99, p99.9 and max, and the share
//! within 20 ± 5 ms.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a measuring tool: a failure should stop it loudly

use std::collections::HashMap;
use std::net::UdpSocket;
use std::os::fd::AsRawFd as _;
use std::time::{Duration, Instant};

use nix::sys::socket::{ControlMessageOwned, MsgFlags, SockaddrIn, recvmsg, setsockopt, sockopt};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let port: u16 = args.first().and_then(|a| a.parse().ok()).unwrap_or(16000);
    let seconds: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(30);
    let socket = UdpSocket::bind(("127.0.0.1", port)).unwrap();
    socket.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    if setsockopt(&socket, sockopt::RcvBufForce, &(32 << 20)).is_err() {
        setsockopt(&socket, sockopt::RcvBuf, &(32 << 20)).unwrap();
    }
    setsockopt(&socket, sockopt::ReceiveTimestampns, &true).unwrap();
    eprintln!("READY 127.0.0.1:{port}");
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut last: HashMap<SockaddrIn, (i128, u16)> = HashMap::new();
    let mut gaps: Vec<u64> = Vec::with_capacity(1_000_000);
    let (mut packets, mut lost) = (0u64, 0u64);
    let mut buffer = [0u8; 2048];
    let mut control = nix::cmsg_space!(nix::sys::time::TimeSpec);
    while Instant::now() < end {
        let mut iov = [std::io::IoSliceMut::new(&mut buffer)];
        let Ok(message) = recvmsg::<SockaddrIn>(socket.as_raw_fd(), &mut iov, Some(&mut control), MsgFlags::empty())
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
        if length < 12 || buffer[0] >> 6 != 2 {
            continue;
        }
        packets += 1;
        let seq = u16::from_be_bytes([buffer[2], buffer[3]]);
        if let Some((at, previous)) = last.insert(from, (now, seq)) {
            match seq.wrapping_sub(previous) {
                1 => gaps.push(((now - at) / 1000) as u64),
                step if step < 1000 => lost += u64::from(step - 1),
                _ => {}
            }
        }
    }
    gaps.sort_unstable();
    let pct = |p: f64| gaps.get(((gaps.len() as f64 - 1.0) * p) as usize).copied().unwrap_or(0) as f64 / 1000.0;
    let within = gaps.iter().filter(|g| (15_000..=25_000).contains(*g)).count() as f64 / gaps.len().max(1) as f64;
    println!("calls seen: {}, packets: {packets}, sequence gaps: {lost}", last.len());
    println!(
        "RTP intervals: p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms; {:.3}% within 20 ± 5 ms",
        pct(0.5),
        pct(0.99),
        pct(0.999),
        gaps.last().copied().unwrap_or(0) as f64 / 1000.0,
        within * 100.0
    );
}
