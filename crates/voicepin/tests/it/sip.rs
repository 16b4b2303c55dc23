//! `voicepin serve` answering telephone calls from SIPp (Debian's sip-tester), over UDP and
//! TCP: the SDP answer, an INVITE without SDP, 488, CANCEL before the answer, BYE; and a
//! caller signing in with extension and PIN keyed as RFC 4733 events on an offered payload
//! type other than 101 and as SIP INFO, seen in the audit trail and the metrics.
//!
//! SIPp's `play_dtmf` uses a raw socket: these tests run as root (as scripts/test.sh does).

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::harness::{Voicepin, free_port, http};

/// A running `voicepin serve` with SIP on its own port (the baresip tests use it too).
pub(super) struct Server {
    child: Child,
    pub(super) sip_port: u16,
    http_port: u16,
    token: String,
    _voicepin: Voicepin,
}

impl Server {
    pub(super) fn start(env: &[(&str, &str)]) -> Self {
        let voicepin = Voicepin::with_dial_plan();
        voicepin.enable_tony("1985848");
        let (sip_port, http_port) = (free_port(), free_port());
        let mut command = voicepin.command(&["serve", "--listen", &format!("127.0.0.1:{http_port}")]);
        command.env("VOICEPIN_SIP__LISTEN", format!("127.0.0.1:{sip_port}"));
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let started = Instant::now();
        let mut line = String::new();
        let mut token = String::new();
        loop {
            line.clear();
            assert!(stderr.read_line(&mut line).unwrap() > 0, "serve ended before answering SIP");
            if let Some(found) = line.split_whitespace().find(|w| w.starts_with("vpt_")) {
                token = found.to_owned();
            }
            if line.contains("answering SIP calls on") {
                assert!(line.contains(&format!("127.0.0.1:{sip_port}")), "{line}");
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(60), "serve did not start SIP");
        }
        // Keep draining standard error so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = String::new();
            while stderr.read_line(&mut sink).is_ok_and(|n| n > 0) {
                sink.clear();
            }
        });
        Self { child, sip_port, http_port, token, _voicepin: voicepin }
    }

    /// The value of one sample of `/metrics`, e.g. `voicepin_calls_total{outcome="completed"}`.
    pub(super) fn metric(&self, sample: &str) -> f64 {
        // `/metrics` answers a credential only (issue 11, finding 5).
        let bearer = format!("Bearer {}", self.token);
        let reply = http(self.http_port, "GET", "/metrics", &[("Authorization", &bearer)], None);
        let line =
            reply.body.lines().find(|l| l.starts_with(sample)).unwrap_or_else(|| panic!("{sample}: {}", reply.body));
        line[sample.len()..].trim().parse().unwrap()
    }

    /// The audit events, as the API lists them.
    pub(super) fn audit(&self) -> String {
        let bearer = format!("Bearer {}", self.token);
        let reply = http(self.http_port, "GET", "/api/v1/audit-events", &[("Authorization", &bearer)], None);
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body
    }

    pub(super) fn stop(mut self) {
        Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        assert!(self.child.wait().unwrap().success(), "serve exits 0 on SIGTERM");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Clone, Copy)]
enum Transport {
    Udp,
    Tcp,
}

/// Runs one SIPp scenario (one call) against the server; panics with SIPp's error log when
/// the call fails.
fn sipp(server: &Server, transport: Transport, scenario: &str) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("scenario.xml"), scenario).unwrap();
    let status = Command::new("sipp")
        .arg(format!("127.0.0.1:{}", server.sip_port))
        .args(["-sf", "scenario.xml", "-s", "+14255550100", "-i", "127.0.0.1"])
        .args(["-p", &free_port().to_string(), "-mi", "127.0.0.1", "-mp", &free_port().to_string()])
        .args([
            "-t",
            match transport {
                Transport::Udp => "u1",
                Transport::Tcp => "t1",
            },
        ])
        .args(["-m", "1", "-l", "1", "-nostdin", "-timeout", "40s", "-timeout_error", "-recv_timeout", "20000"])
        .args(["-trace_err", "-trace_msg"])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("sipp (Debian package sip-tester) is installed: scripts/test.sh installs it");
    if !status.status.success() {
        panic!(
            "sipp failed ({}): {}\n--- errors\n{}\n--- messages\n{}",
            status.status,
            String::from_utf8_lossy(&status.stderr),
            read_logs(dir.path(), "_errors.log"),
            read_logs(dir.path(), "_messages.log"),
        );
    }
}

fn read_logs(dir: &Path, suffix: &str) -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().ends_with(suffix) {
            text.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
        }
    }
    text
}

const HEADERS: &str = "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      From: \"Tony\" <sip:+14255550123@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>";

/// An offer of PCMU and telephone-event on `te`.
fn offer(te: u8) -> String {
    format!(
        "v=0
      o=sipp 1 1 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0 {te}
      a=rtpmap:0 PCMU/8000
      a=rtpmap:{te} telephone-event/8000
      a=fmtp:{te} 0-16
      a=ptime:20
      a=sendrecv"
    )
}

fn invite(body: &str) -> String {
    let content = if body.is_empty() { String::new() } else { "Content-Type: application/sdp\n      ".into() };
    format!(
        "<send retrans=\"500\"><![CDATA[

      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      {HEADERS}
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:tony@[local_ip]:[local_port];transport=[transport]>
      Max-Forwards: 70
      {content}Content-Length: [len]

      {body}
    ]]></send>
  <recv response=\"100\" optional=\"true\"/>
  <recv response=\"180\" optional=\"true\"/>"
    )
}

fn in_dialog(method: &str, cseq: u32, extra: &str, body: &str) -> String {
    format!(
        "<send retrans=\"500\"><![CDATA[

      {method} sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      {HEADERS}[peer_tag_param]
      Call-ID: [call_id]
      CSeq: {cseq} {method}
      Contact: <sip:tony@[local_ip]:[local_port];transport=[transport]>
      Max-Forwards: 70
      {extra}Content-Length: [len]

      {body}
    ]]></send>"
    )
}

fn scenario(name: &str, body: &[String]) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"ISO-8859-1\" ?>\n<!DOCTYPE scenario SYSTEM \"sipp.dtd\">\n\
         <scenario name=\"{name}\">\n  {}\n</scenario>\n",
        body.join("\n  ")
    )
}

/// The 200 with its SDP answer checked against `pattern`.
fn answered(pattern: &str) -> String {
    format!(
        "<recv response=\"200\" rtd=\"true\" rrs=\"true\"><action>
      <ereg regexp=\"{pattern}\" search_in=\"body\" check_it=\"true\" assign_to=\"answer\"/>
    </action></recv>
  <Reference variables=\"answer\"/>"
    )
}

fn ack(body: &str) -> String {
    let extra = if body.is_empty() { "" } else { "Content-Type: application/sdp\n      " };
    in_dialog("ACK", 1, extra, body).replace(" retrans=\"500\"", "")
}

fn pause(ms: u32) -> String {
    format!("<pause milliseconds=\"{ms}\"/>")
}

/// Extension 36697 and PIN 1985848 as RFC 4733 events on payload type 96 (SIPp's
/// `play_dtmf` sends on 96 only, after a stray PT 97 the server must ignore); the extension
/// while the welcome plays, the PIN after its prompt began.
fn sign_in_by_rfc4733_pt96() -> String {
    scenario(
        "sign-in, RFC 4733 on PT 96",
        &[
            invite(&offer(96)),
            answered("m=audio [0-9]+ RTP/AVP 0 96.*a=rtpmap:96 telephone-event/8000"),
            ack(""),
            pause(1500),
            "<nop><action><exec play_dtmf=\"36697#,100\"/></action></nop>".into(),
            pause(4500),
            "<nop><action><exec play_dtmf=\"1985848#,100\"/></action></nop>".into(),
            pause(4000),
            in_dialog("BYE", 2, "", ""),
            "<recv response=\"200\" crlf=\"true\"/>".into(),
        ],
    )
}

/// The same sign-in keyed as SIP INFO, alternating dtmf-relay and dtmf bodies.
fn sign_in_by_info() -> String {
    let mut steps = vec![invite(&offer(101)), answered("a=rtpmap:101 telephone-event/8000"), ack(""), pause(1500)];
    let mut cseq = 2;
    for (keys, wait) in [("36697#", 3000), ("1985848#", 3000)] {
        for key in keys.chars() {
            let (content_type, body) = if cseq % 2 == 0 {
                ("application/dtmf-relay", format!("Signal={key}\n      Duration=160"))
            } else {
                ("application/dtmf", key.to_string())
            };
            steps.push(in_dialog("INFO", cseq, &format!("Content-Type: {content_type}\n      "), &body));
            steps.push("<recv response=\"200\"/>".into());
            cseq += 1;
        }
        steps.push(pause(wait));
    }
    steps.push(in_dialog("BYE", cseq, "", ""));
    steps.push("<recv response=\"200\" crlf=\"true\"/>".into());
    scenario("sign-in, SIP INFO", &steps)
}

fn caller_hangs_up() -> String {
    scenario(
        "answered, caller hangs up",
        &[
            invite(&offer(101)),
            answered("m=audio [0-9]+ RTP/AVP 0 101"),
            ack(""),
            pause(1000),
            in_dialog("BYE", 2, "", ""),
            "<recv response=\"200\" crlf=\"true\"/>".into(),
        ],
    )
}

fn late_offer() -> String {
    scenario(
        "INVITE without SDP",
        &[
            invite(""),
            answered("m=audio [0-9]+ RTP/AVP 0 8 101"),
            ack(&offer(101).replace("RTP/AVP 0 101", "RTP/AVP 8 101").replace("0 PCMU", "8 PCMA")),
            pause(300),
            in_dialog("INFO", 2, "Content-Type: application/dtmf\n      ", "1"),
            "<recv response=\"200\"/>".into(),
            in_dialog("BYE", 3, "", ""),
            "<recv response=\"200\" crlf=\"true\"/>".into(),
        ],
    )
}

fn no_common_codec() -> String {
    let g729 = offer(101).replace("RTP/AVP 0 101", "RTP/AVP 18 101").replace("0 PCMU/8000", "18 G729/8000");
    scenario("no common codec", &[invite(&g729), "<recv response=\"488\"/>".into(), ack("")])
}

/// CANCEL while the server rings; the INVITE gets 487 and our ACK.
fn cancel_before_answer() -> String {
    let fixed = |text: String| text.replace("branch=[branch]", "branch=z9hG4bK[pid]c[call_number]");
    let cancel = fixed(in_dialog("CANCEL", 1, "", "").replace("[peer_tag_param]", ""));
    let ack = fixed(ack(""));
    scenario(
        "CANCEL before the answer",
        &[
            fixed(
                invite(&offer(101)).replace("<recv response=\"180\" optional=\"true\"/>", "<recv response=\"180\"/>"),
            ),
            cancel,
            "<recv response=\"200\"/>".into(),
            "<recv response=\"487\"/>".into(),
            ack,
            pause(1000),
        ],
    )
}

#[test]
fn calls_over_udp_and_tcp_are_answered() {
    let server = Server::start(&[]);
    for transport in [Transport::Udp, Transport::Tcp] {
        sipp(&server, transport, &caller_hangs_up());
        sipp(&server, transport, &late_offer());
        sipp(&server, transport, &no_common_codec());
    }
    assert_eq!(server.metric("voicepin_calls_total{outcome=\"caller_hung_up\"}"), 4.0);
    assert_eq!(server.metric("voicepin_calls_total{outcome=\"refused\"}"), 2.0);
    assert_eq!(server.metric("voicepin_dtmf_digits_total{source=\"sip-info\"}"), 2.0);
    assert_eq!(server.metric("voicepin_calls_active"), 0.0);
    server.stop();
}

#[test]
fn a_caller_signs_in_by_phone_with_rfc4733_and_with_sip_info() {
    let server = Server::start(&[]);
    sipp(&server, Transport::Udp, &sign_in_by_rfc4733_pt96());
    sipp(&server, Transport::Tcp, &sign_in_by_info());
    // Both sign-ins reached the core (tony's PIN was set by an administrator: it must change).
    assert_eq!(server.metric("voicepin_sign_ins_total{outcome=\"pinChangeRequired\"}"), 2.0);
    assert_eq!(server.metric("voicepin_dtmf_digits_total{source=\"rfc4733\"}"), 14.0);
    assert_eq!(server.metric("voicepin_dtmf_digits_total{source=\"sip-info\"}"), 14.0);
    let audit = server.audit();
    assert_eq!(audit.matches("\"channel\":\"phone\"").count(), 2, "{audit}");
    assert!(audit.contains("+14255550123"), "the caller ID is in the audit trail: {audit}");
    assert!(!audit.contains("1985848"), "no PIN in the audit trail");
    server.stop();
}

#[test]
fn cancel_before_the_answer_gets_487() {
    let server = Server::start(&[("VOICEPIN_SIP__ANSWER_AFTER_MS", "3000")]);
    sipp(&server, Transport::Udp, &cancel_before_answer());
    sipp(&server, Transport::Tcp, &cancel_before_answer());
    assert_eq!(server.metric("voicepin_calls_total{outcome=\"cancelled\"}"), 2.0);
    server.stop();
}
