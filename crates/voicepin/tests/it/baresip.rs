//! A second real client: baresip (Debian's baresip-core), headless, calls `voicepin serve`,
//! keys the extension and the PIN on its keypad (baresip sends RFC 4733 events on the
//! payload type it offered, interleaved with its PCMU on the same SSRC) and signs in; the
//! sign-in is seen in the audit trail and the metrics. baresip is driven through its
//! ctrl_tcp module (netstring-framed JSON), with a silent WAV file as its microphone.
//!
//! The test is skipped, saying so, only when baresip is not installed (scripts/test.sh
//! installs it).

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::harness::free_port;
use super::sip::Server;

/// A running baresip, killed when dropped.
struct Baresip {
    child: Child,
    control: TcpStream,
    buffer: Vec<u8>,
    events: Vec<Value>,
    token: u32,
    _dir: tempfile::TempDir,
}

/// 8 kHz mono 16-bit PCM silence: baresip's microphone (its aufile source reads only this).
fn silent_wav(path: &Path, seconds: u32) {
    let data = 8000 * 2 * seconds;
    let mut wav = Vec::with_capacity(44 + data as usize);
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + data).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes()); // PCM
    wav.extend_from_slice(&1u16.to_le_bytes()); // mono
    wav.extend_from_slice(&8000u32.to_le_bytes());
    wav.extend_from_slice(&16000u32.to_le_bytes());
    wav.extend_from_slice(&2u16.to_le_bytes());
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&data.to_le_bytes());
    wav.resize(44 + data as usize, 0);
    std::fs::write(path, wav).unwrap();
}

impl Baresip {
    /// Whether Debian's baresip is installed.
    fn installed() -> bool {
        Command::new("baresip").arg("-h").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok()
    }

    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        std::fs::create_dir_all(&config).unwrap();
        let mic = dir.path().join("mic.wav");
        silent_wav(&mic, 60);
        let (sip_port, control_port, rtp_port) = (free_port(), free_port(), free_port());
        // A register-less account (regint=0): calls go straight to the URI dialled.
        std::fs::write(
            config.join("accounts"),
            "<sip:caller@127.0.0.1>;regint=0;audio_codecs=PCMU;answermode=manual\n",
        )
        .unwrap();
        std::fs::write(config.join("contacts"), "").unwrap();
        std::fs::write(
            config.join("config"),
            format!(
                "poll_method epoll\nsip_listen 127.0.0.1:{sip_port}\nsip_trans_def udp\ncall_local_timeout 120\n\
                 call_max_calls 4\naudio_player aubridge,nil\naudio_alert aubridge,nil\n\
                 audio_source aufile,{mic}\naudio_path /usr/share/baresip\naudio_level no\nausrc_format s16\n\
                 auplay_format s16\nrtp_tos 0\nrtp_ports {rtp_port}-{}\nrtp_timeout 0\njitter_buffer_delay 5-10\n\
                 rtcp_mux no\nnet_interface 127.0.0.1\nmodule_path /usr/lib/baresip/modules\nmodule g711.so\n\
                 module aufile.so\nmodule aubridge.so\nmodule_app account.so\nmodule_app contact.so\n\
                 module_app menu.so\nmodule_app ctrl_tcp.so\nctrl_tcp_listen 127.0.0.1:{control_port}\n",
                rtp_port.saturating_add(9),
                mic = mic.display(),
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.path().join("baresip.log")).unwrap();
        let child = Command::new("baresip")
            .arg("-f")
            .arg(&config)
            .arg("-v")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut child = child;
        let started = Instant::now();
        let log = |dir: &tempfile::TempDir| std::fs::read_to_string(dir.path().join("baresip.log")).unwrap_or_default();
        let control = loop {
            match TcpStream::connect(("127.0.0.1", control_port)) {
                Ok(stream) => break stream,
                Err(error) => {
                    if let Ok(Some(status)) = child.try_wait() {
                        panic!("baresip ended ({status}) before its ctrl_tcp listened:\n{}", log(&dir));
                    }
                    assert!(
                        started.elapsed() < Duration::from_secs(30),
                        "baresip's ctrl_tcp never listened: {error}\n{}",
                        log(&dir)
                    );
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        };
        control.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
        Self { child, control, buffer: Vec::new(), events: Vec::new(), token: 0, _dir: dir }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("baresip.log")).unwrap_or_default()
    }

    /// The next netstring message, waiting at most until `deadline`.
    fn read(&mut self, deadline: Instant) -> Option<Value> {
        loop {
            if let Some(colon) = self.buffer.iter().position(|b| *b == b':') {
                let length: usize = std::str::from_utf8(&self.buffer[..colon]).unwrap().parse().unwrap();
                if self.buffer.len() > colon + length {
                    let message = serde_json::from_slice(&self.buffer[colon + 1..colon + 1 + length]).unwrap();
                    self.buffer.drain(..colon + 2 + length);
                    return Some(message);
                }
            }
            if Instant::now() > deadline {
                return None;
            }
            let mut chunk = [0u8; 4096];
            match self.control.read(&mut chunk) {
                Ok(0) => panic!("baresip closed its control connection:\n{}", self.log()),
                Ok(length) => self.buffer.extend_from_slice(&chunk[..length]),
                Err(error) if matches!(error.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                }
                Err(error) => panic!("baresip's control connection: {error}"),
            }
        }
    }

    /// Sends a command (the menu's long names: dial, sndcode, hangup, quit) and waits for its answer.
    fn command(&mut self, command: &str, params: &str) -> Value {
        self.token += 1;
        let token = format!("t{}", self.token);
        let body = json!({"command": command, "params": params, "token": token}).to_string();
        self.control.write_all(format!("{}:{body},", body.len()).as_bytes()).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while let Some(message) = self.read(deadline) {
            if message["response"] == json!(true) && message["token"] == json!(token) {
                assert_eq!(message["ok"], json!(true), "baresip refused {command} {params}: {message}");
                return message;
            }
            if message["event"] == json!(true) {
                self.events.push(message);
            }
        }
        panic!("baresip did not answer {command}:\n{}", self.log());
    }

    /// Waits for an event of type `kind` (CALL_ESTABLISHED, CALL_CLOSED, ...).
    fn event(&mut self, kind: &str, within: Duration) -> Value {
        if let Some(at) = self.events.iter().position(|e| e["type"] == json!(kind)) {
            return self.events.remove(at);
        }
        let deadline = Instant::now() + within;
        while let Some(message) = self.read(deadline) {
            if message["event"] == json!(true) {
                if message["type"] == json!(kind) {
                    return message;
                }
                self.events.push(message);
            }
        }
        panic!("no {kind} from baresip; events {:?}:\n{}", self.events, self.log());
    }

    /// Keys `digits` one at a time, as a person would (each a press and release: one event).
    fn keys(&mut self, digits: &str) {
        for digit in digits.chars() {
            self.command("sndcode", &digit.to_string());
            std::thread::sleep(Duration::from_millis(300));
        }
    }
}

impl Drop for Baresip {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls a metric until it reaches `value` (the call flow answers in its own time).
fn await_metric(server: &Server, sample: &str, value: f64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.metric(sample) < value {
        assert!(Instant::now() < deadline, "{sample} never reached {value}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn baresip_calls_keys_its_extension_and_pin_and_signs_in() {
    if !Baresip::installed() {
        eprintln!("skipped: baresip is not installed (Debian's baresip-core; scripts/test.sh installs it)");
        return;
    }
    let server = Server::start(&[]);
    let mut phone = Baresip::start();
    phone.command("dial", &format!("sip:+14255550100@127.0.0.1:{}", server.sip_port));
    let established = phone.event("CALL_ESTABLISHED", Duration::from_secs(15));
    assert!(established.to_string().contains("+14255550100"), "{established}");
    assert_eq!(server.metric("voicepin_calls_active"), 1.0);

    // Its caller ID names no mailbox: the flow asks for the extension, then the PIN.
    std::thread::sleep(Duration::from_millis(1500));
    phone.keys("36697#");
    std::thread::sleep(Duration::from_millis(3500));
    phone.keys("1985848#");
    // tony's PIN was set by an administrator: accepted, and it must change.
    await_metric(&server, "voicepin_sign_ins_total{outcome=\"pinChangeRequired\"}", 1.0);
    assert_eq!(server.metric("voicepin_dtmf_digits_total{source=\"rfc4733\"}"), 14.0, "one digit per key press");
    assert_eq!(server.metric("voicepin_dtmf_digits_total{source=\"inband\"}"), 0.0, "in-band off with telephone-event");

    phone.command("hangup", "");
    phone.event("CALL_CLOSED", Duration::from_secs(10));
    await_metric(&server, "voicepin_calls_total{outcome=\"caller_hung_up\"}", 1.0);
    assert_eq!(server.metric("voicepin_calls_active"), 0.0);

    let audit = server.audit();
    assert_eq!(audit.matches("\"channel\":\"phone\"").count(), 1, "{audit}");
    assert!(
        audit.contains("\"source\":\"127.0.0.1 callerId=caller\""),
        "baresip's address and caller ID are in the audit trail: {audit}"
    );
    assert!(!audit.contains("1985848"), "no PIN in the audit trail");
    let _ = phone.command("quit", "");
    drop(phone);
    server.stop();
}
