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

use super::harness::{Voicepin, free_port, header, http};

/// A running `voicepin serve` with SIP on its own port.
struct Server {
    child: Child,
    sip_port: u16,
    http_port: u16,
    token: String,
    _voicepin: Voicepin,
}

impl Server {
    fn start(env: &[(&str, &str)]) -> Self {
        Self::start_with(env, |_| {})
    }

    /// Starts after `prepare` ran on the data directory (with tony enabled).
    fn start_with(env: &[(&str, &str)], prepare: impl FnOnce(&Voicepin)) -> Self {
        let voicepin = Voicepin::with_dial_plan();
        voicepin.enable_tony("1985848");
        prepare(&voicepin);
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
    fn metric(&self, sample: &str) -> f64 {
        // `/metrics` answers a credential only (issue 11, finding 5).
        let bearer = format!("Bearer {}", self.token);
        let reply = http(self.http_port, "GET", "/metrics", &[("Authorization", &bearer)], None);
        let line =
            reply.body.lines().find(|l| l.starts_with(sample)).unwrap_or_else(|| panic!("{sample}: {}", reply.body));
        line[sample.len()..].trim().parse().unwrap()
    }

    /// The audit events, as the API lists them.
    fn audit(&self) -> String {
        let bearer = format!("Bearer {}", self.token);
        let reply = http(self.http_port, "GET", "/api/v1/audit-events", &[("Authorization", &bearer)], None);
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body
    }

    fn stop(mut self) {
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
    sipp_with(server, transport, scenario, &[], &[]);
}

/// [`sipp`] with files in SIPp's working directory (audio for `rtp_stream`) and more options
/// (`-m 5`, `-lost 10`, a longer `-timeout`: later ones win).
fn sipp_with(server: &Server, transport: Transport, scenario: &str, files: &[(&str, &[u8])], extra: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("scenario.xml"), scenario).unwrap();
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
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
        .args(extra)
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

// ---------------------------------------------------------------------------------------
// The caller's own audio: in-band DTMF, speech to record, silence (SIPp's `rtp_stream`
// sends it as PCMU, 160 bytes every 20 ms, from the -mp port; no raw socket needed).

/// What a caller says and keys, in order, as 8 kHz linear samples.
#[derive(Default)]
struct CallerAudio(Vec<i16>);

impl CallerAudio {
    fn silence(mut self, ms: u32) -> Self {
        self.0.extend(std::iter::repeat_n(0, ms as usize * 8));
        self
    }

    /// Each key as a 100 ms DTMF tone (both tones about −9 dBFS) and 100 ms of silence.
    fn keys(mut self, keys: &str) -> Self {
        for key in keys.chars() {
            let row = "123A456B789C*0#D".find(key).unwrap_or_else(|| panic!("not a key: {key}"));
            let (low, high) = ([697.0, 770.0, 852.0, 941.0][row / 4], [1209.0, 1336.0, 1477.0, 1633.0][row % 4]);
            self.0.extend((0..800).map(|n| {
                let t = n as f64 / 8000.0;
                let wave = (2.0 * std::f64::consts::PI * low * t).sin() + (2.0 * std::f64::consts::PI * high * t).sin();
                (wave * 0.3535 * 32767.0) as i16
            }));
            self = self.silence(100);
        }
        self
    }

    /// Something like a voice: a 150 Hz buzz (harmonics up to 450 Hz, far below the DTMF
    /// groups) at about −12 dBFS, rising and falling four times a second.
    fn speech(mut self, ms: u32) -> Self {
        self.0.extend((0..ms as usize * 8).map(|n| {
            let t = n as f64 / 8000.0;
            let tau = 2.0 * std::f64::consts::PI;
            let buzz = (tau * 150.0 * t).sin() + 0.5 * (tau * 300.0 * t).sin() + 0.25 * (tau * 450.0 * t).sin();
            let envelope = 0.6 + 0.4 * (tau * 4.0 * t).sin();
            (buzz * envelope * 4500.0) as i16
        }));
        self
    }

    /// Silence while these prompts play, and `margin_ms` more.
    fn during(self, prompts: &[&str], margin_ms: u32) -> Self {
        let ms: u32 = prompts.iter().map(|name| prompt_ms(name)).sum();
        self.silence(ms + margin_ms)
    }

    fn millis(&self) -> u32 {
        u32::try_from(self.0.len() / 8).unwrap()
    }

    /// Headerless μ-law: the PCMU payloads.
    fn ulaw(&self) -> Vec<u8> {
        voicepin_telephony::media::g711::Law::MuLaw.encode_all(&self.0)
    }
}

/// How long a built-in prompt plays, in milliseconds.
fn prompt_ms(name: &str) -> u32 {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../voicepin-telephony/prompts/{name}.wav"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let samples = voicepin_telephony::media::prompts::decode_wav(name, &bytes).unwrap();
    u32::try_from(samples.len() / 8).unwrap()
}

/// An offer of PCMU only: no telephone-event, so the keys are heard in-band.
fn offer_pcmu_only() -> String {
    offer(101)
        .replace("RTP/AVP 0 101", "RTP/AVP 0")
        .replace("\n      a=rtpmap:101 telephone-event/8000\n      a=fmtp:101 0-16", "")
}

/// A call that streams `caller.ul` (its length `ms`) in-band and then hangs up.
fn in_band_call(name: &str, ms: u32) -> String {
    scenario(
        name,
        &[
            invite(&offer_pcmu_only()),
            answered("m=audio [0-9]+ RTP/AVP 0"),
            ack(""),
            "<nop><action><exec rtp_stream=\"caller.ul,1,0\"/></action></nop>".into(),
            pause(ms + 500),
            in_dialog("BYE", 2, "", ""),
            "<recv response=\"200\" crlf=\"true\"/>".into(),
        ],
    )
}

/// A call that streams `caller.ul` in-band until the server ends it with a BYE.
fn in_band_until_goodbye(name: &str) -> String {
    scenario(
        name,
        &[
            invite(&offer_pcmu_only()),
            answered("m=audio [0-9]+ RTP/AVP 0"),
            ack(""),
            "<nop><action><exec rtp_stream=\"caller.ul,1,0\"/></action></nop>".into(),
            "<recv request=\"BYE\" timeout=\"60000\"/>".into(),
            "<send><![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]></send>"
                .into(),
            "<nop><action><exec rtp_stream=\"pause\"/></action></nop>".into(),
        ],
    )
}

fn timeout_for(ms: u32) -> String {
    format!("{}s", ms / 1000 + 30)
}

/// The API as the initial Organization Management token.
fn api(server: &Server, path: &str) -> serde_json::Value {
    let bearer = format!("Bearer {}", server.token);
    let reply = http(server.http_port, "GET", path, &[("Authorization", &bearer)], None);
    assert_eq!(reply.status, 200, "{path}: {}", reply.body);
    reply.json()
}

/// The audit events of one action, newest first.
fn audit_of(server: &Server, action: &str) -> Vec<serde_json::Value> {
    let events = api(server, &format!("/api/v1/audit-events?action={action}&limit=100"));
    let list = events.get("items").or_else(|| events.get("events")).cloned().unwrap_or(events);
    list.as_array().cloned().unwrap_or_default()
}

/// Polls until `done` (an answer the server gives after the call, on its own task).
fn eventually(mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(20), "gave up waiting");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A first call with the expired PIN keyed in-band: the PIN is changed by phone (a new one,
/// twice), then, being a first-time user, the caller records a name and a personal greeting
/// (# ends each, 1 accepts), reaches the main menu, and turns the out-of-office greeting on
/// in personal options (6, then 1). A second call signs in with the new PIN and is no
/// longer a first-time user.
#[test]
fn in_band_sign_in_pin_change_and_first_time_setup() {
    let server = Server::start(&[]);
    let first = CallerAudio::default()
        .silence(1000)
        .keys("36697#")
        .silence(500)
        .keys("1985848#")
        // Sign-in; the PIN has expired, the new-PIN prompt listens at once.
        .silence(2000)
        .keys("5927461#")
        .silence(500)
        .keys("5927461#")
        // The change, then the name's prompt and the beep.
        .silence(2000)
        .during(&["pin-changed", "record-name", "beep"], 1000)
        .speech(2000)
        .keys("#")
        .silence(600)
        .keys("1")
        .during(&["recording-saved", "record-personal-greeting", "beep"], 1500)
        .speech(3000)
        .keys("#")
        .silence(600)
        .keys("1")
        .silence(1500)
        .keys("6")
        .silence(800)
        .keys("1")
        .silence(1500);
    let ms = first.millis();
    let ulaw = first.ulaw();
    sipp_with(
        &server,
        Transport::Udp,
        &in_band_call("first-time caller, in-band", ms),
        &[("caller.ul", &ulaw)],
        &["-timeout", &timeout_for(ms)],
    );
    assert_eq!(server.metric("voicepin_sign_ins_total{outcome=\"pinChangeRequired\"}"), 1.0);
    assert!(server.metric("voicepin_dtmf_digits_total{source=\"inband\"}") >= 33.0);

    // Recordings and switches are stored on their own tasks: wait for the last.
    eventually(|| !audit_of(&server, "outOfOfficeChanged").is_empty());
    let saved = audit_of(&server, "recordingSaved");
    assert_eq!(saved.len(), 2, "{saved:?}");
    for (event, (kind, spoken)) in saved.iter().rev().zip([("name", 2000), ("personal-greeting", 3000)]) {
        assert_eq!(event["details"]["recording"], kind, "{event}");
        assert_eq!(event["channel"], "phone", "{event}");
        let ms: u64 = event["details"]["durationMs"].as_str().unwrap().parse().unwrap();
        // What was said, give or take the start of the stream and the trimmed key tone.
        assert!((spoken - 600..=spoken + 700).contains(&ms), "{kind}: {ms} ms recorded for {spoken} ms said");
    }
    assert_eq!(audit_of(&server, "firstTimeSetupCompleted").len(), 1);
    assert_eq!(audit_of(&server, "pinChanged").len(), 1);
    let pin = api(&server, "/api/v1/mailboxes/tonysmith@contoso.com/pin");
    assert_eq!(pin["firstTimeUser"], false, "{pin}");
    assert_eq!(pin["pinExpired"], false, "{pin}");

    // The new PIN works; no setup this time: straight to the main menu.
    let second = CallerAudio::default().silence(1000).keys("36697#").silence(300).keys("5927461#").silence(2500);
    let ms = second.millis();
    let ulaw = second.ulaw();
    sipp_with(&server, Transport::Tcp, &in_band_call("the new PIN, over TCP", ms), &[("caller.ul", &ulaw)], &[]);
    assert_eq!(server.metric("voicepin_sign_ins_total{outcome=\"success\"}"), 1.0);
    assert_eq!(audit_of(&server, "recordingSaved").len(), 2);
    let audit = server.audit();
    assert!(!audit.contains("1985848") && !audit.contains("5927461"), "no PIN in the audit trail");
    server.stop();
}

/// Wrong PINs keyed in-band: LogonFailuresBeforeDisconnect (2 here) end each call with a
/// goodbye and the server's BYE; the policy's LogonFailuresBeforePINReset (2) resets the PIN
/// and mails the new one through a real SMTP server; MaxLogonAttempts (4) locks the mailbox
/// and tells its owner. All of it is seen through the API and the audit trail: channel
/// phone, the caller ID and the source address, never a PIN.
#[test]
fn wrong_pins_disconnect_reset_and_lock_out() {
    let smtp = super::mail::SmtpServer::start();
    let server = Server::start_with(
        &[("VOICEPIN_MAIL__SMTP_URL", &smtp.url()), ("VOICEPIN_MAIL__FROM", "Voice Mail <voicemail@contoso.com>")],
        |vp| {
            vp.run(&["dialplan", "set", "CONTOSO", "--logon-failures-before-disconnect", "2"]).ok();
            vp.run(&[
                "policy",
                "set",
                "CONTOSO Default Policy",
                "--logon-failures-before-pin-reset",
                "2",
                "--max-logon-attempts",
                "4",
            ])
            .ok();
        },
    );
    let wrong = |pins: [&str; 2]| {
        CallerAudio::default()
            .silence(1000)
            .keys("36697#")
            .silence(300)
            .keys(pins[0])
            .silence(1500)
            .keys("36697#")
            .silence(300)
            .keys(pins[1])
            .silence(8000)
    };
    let first = wrong(["1111111#", "2468024#"]).ulaw();
    sipp_with(&server, Transport::Udp, &in_band_until_goodbye("two wrong PINs"), &[("caller.ul", &first)], &[]);
    assert_eq!(server.metric("voicepin_calls_total{outcome=\"completed\"}"), 1.0);
    // The automatic reset: a new PIN, mailed to the owner.
    let pin = api(&server, "/api/v1/mailboxes/tonysmith@contoso.com/pin");
    assert_eq!(pin["lockedOut"], false, "{pin}");
    assert_eq!(audit_of(&server, "pinAutoReset").len(), 1);
    // (The welcome message went to the pickup folder: SMTP was configured for serve only.)
    let messages = smtp.wait_for(1);
    assert!(header(&messages[0], "To").contains("tonysmith@contoso.com"), "{}", messages[0]);
    assert!(!messages[0].contains("1985848"), "the old PIN is not in the reset message");

    let second = wrong(["3692581#", "7531598#"]).ulaw();
    sipp_with(&server, Transport::Tcp, &in_band_until_goodbye("two more, over TCP"), &[("caller.ul", &second)], &[]);
    assert_eq!(server.metric("voicepin_calls_total{outcome=\"completed\"}"), 2.0);
    eventually(|| api(&server, "/api/v1/mailboxes/tonysmith@contoso.com/pin")["lockedOut"] == true);
    assert_eq!(audit_of(&server, "mailboxLocked").len(), 1);
    // The owner hears of the lockout (and of the second reset, if one came first).
    smtp.wait_for(2);

    let failed = audit_of(&server, "signInFailed");
    assert_eq!(failed.len(), 4, "{failed:?}");
    for event in &failed {
        assert_eq!(event["channel"], "phone", "{event}");
        let source = event["source"].as_str().unwrap_or_default();
        assert!(source.contains("+14255550123") && source.contains("127.0.0.1"), "{event}");
    }
    let audit = server.audit();
    for pin in ["1111111", "2468024", "3692581", "7531598"] {
        assert!(!audit.contains(pin), "no PIN in the audit trail");
    }
    server.stop();
}

/// An INVITE sent twice (a retransmission) is one call; and calls still complete over UDP
/// when a tenth of SIPp's packets are lost both ways (its requests and our responses are
/// retransmitted until they get through).
#[test]
fn retransmitted_and_lost_packets() {
    // Ringing for a while, so the retransmission reaches the transaction before the answer.
    let server = Server::start(&[("VOICEPIN_SIP__ANSWER_AFTER_MS", "1500")]);
    let fixed = |text: String| text.replace("branch=[branch]", "branch=z9hG4bK[pid]r[call_number]");
    let first = fixed(invite(&offer(101))).replace(
        "<recv response=\"100\" optional=\"true\"/>\n  <recv response=\"180\" optional=\"true\"/>",
        "<recv response=\"100\"/>\n  <recv response=\"180\"/>",
    );
    let again = fixed(invite(&offer(101))).replace("<recv response=\"100\" optional=\"true\"/>\n  ", "");
    let twice = scenario(
        "INVITE retransmitted",
        &[
            first,
            pause(300),
            again,
            answered("m=audio [0-9]+ RTP/AVP 0 101"),
            ack(""),
            pause(1000),
            in_dialog("BYE", 2, "", ""),
            "<recv response=\"200\" crlf=\"true\"/>".into(),
        ],
    );
    sipp(&server, Transport::Udp, &twice);
    assert_eq!(server.metric("voicepin_calls_total{outcome=\"caller_hung_up\"}"), 1.0);
    assert_eq!(server.metric("voicepin_calls_active"), 0.0);

    sipp_with(
        &server,
        Transport::Udp,
        &caller_hangs_up(),
        &[],
        &["-m", "6", "-l", "2", "-lost", "10", "-timeout", "120s"],
    );
    eventually(|| server.metric("voicepin_calls_total{outcome=\"caller_hung_up\"}") == 7.0);
    assert_eq!(server.metric("voicepin_calls_active"), 0.0);
    server.stop();
}
