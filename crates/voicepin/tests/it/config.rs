//! The configuration file and its environment overrides, end to end: `serve` listening where
//! the file (or the environment) says, refusals with exit code 2, and the JSON request log
//! of a real session, which must never carry a PIN or a token.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

use super::harness::{Voicepin, finish};
use super::serve::{free_port, request};

/// A configuration file beside the data directory.
fn config_file(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("voicepin.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// A running `voicepin serve` and the lines it writes on standard error.
struct Server {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Server {
    fn start(mut command: Command) -> Self {
        let mut child = command.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
        let stderr = BufReader::new(child.stderr.take().unwrap());
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in stderr.lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Self { child, lines, seen: Vec::new() }
    }

    /// Waits for the first line containing `needle` (the process ending is a failure).
    fn wait_for(&mut self, needle: &str) -> String {
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|_| panic!("no line with {needle:?}; so far: {:#?}", self.seen));
            self.seen.push(line.clone());
            if line.contains(needle) {
                return line;
            }
        }
    }

    /// Stops the server with SIGTERM and returns every line it wrote.
    fn stop(mut self) -> Vec<String> {
        Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        assert!(self.child.wait().unwrap().success(), "serve exits 0 on SIGTERM");
        self.seen.extend(self.lines.iter());
        self.seen
    }
}

#[test]
fn serve_listens_where_the_file_says_and_the_environment_overrides_it() {
    let vp = Voicepin::new();
    let (from_file, from_env) = (free_port(), free_port());
    let file = config_file(vp.data_dir().parent().unwrap(), &format!("[http]\nlisten = \"127.0.0.1:{from_file}\"\n"));
    let file = file.to_str().unwrap();

    let mut server = Server::start(vp.command(&["serve", "--config", file]));
    let line = server.wait_for("serving http://");
    assert!(line.contains(&format!("127.0.0.1:{from_file}")), "{line}");
    assert_eq!(request(from_file, "GET", "/healthz", None, None).0, 200);
    server.stop();

    // VOICEPIN_CONFIG names the file; VOICEPIN_HTTP__LISTEN beats it.
    let mut command = vp.command(&["serve"]);
    command.env("VOICEPIN_CONFIG", file).env("VOICEPIN_HTTP__LISTEN", format!("127.0.0.1:{from_env}"));
    let mut server = Server::start(command);
    let line = server.wait_for("serving http://");
    assert!(line.contains(&format!("127.0.0.1:{from_env}")), "{line}");
    assert_eq!(request(from_env, "GET", "/healthz", None, None).0, 200);
    server.stop();
}

#[test]
fn a_bad_configuration_is_refused_with_exit_code_2() {
    let vp = Voicepin::new();
    let dir = vp.data_dir().parent().unwrap().to_owned();
    let file = config_file(&dir, "[http]\nlisten = \"127.0.0.1:8080\"\nport = 8080\n");
    let run = vp.run(&["--config", file.to_str().unwrap(), "mailbox", "get"]).exit(2);
    assert!(run.stderr.contains("line 3") && run.stderr.contains("unknown field `port`"), "{}", run.stderr);
    assert!(!vp.data_dir().exists(), "nothing is created before the configuration is accepted");

    let mut command = vp.command(&["mailbox", "get"]);
    command.env("VOICEPIN_MAIL__SMTP_PORT", "25");
    let run = finish(command, "").exit(2);
    assert!(run.stderr.contains("VOICEPIN_MAIL__SMTP_PORT: no such setting"), "{}", run.stderr);

    let mut command = vp.command(&["mailbox", "get"]);
    command.env("VOICEPIN_SECURITY__ARGON2_ITERATIONS", "two");
    let run = finish(command, "").exit(2);
    assert!(run.stderr.contains("VOICEPIN_SECURITY__ARGON2_ITERATIONS") && run.stderr.contains("a whole number"));

    let run = vp.run(&["--config", dir.join("missing.toml").to_str().unwrap(), "mailbox", "get"]).exit(2);
    assert!(run.stderr.contains("missing.toml"), "{}", run.stderr);
}

/// The JSON lines of a session: sign-ins with a right and a wrong PIN, a PIN set by an
/// administrator, a refused request. Every log line parses; none carries a secret.
#[test]
fn json_request_logs_carry_who_and_what_but_never_a_secret() {
    let vp = Voicepin::with_dial_plan();
    vp.enable_tony("1985848");
    let port = free_port();
    let mut command = vp.command(&["serve", "--listen", &format!("127.0.0.1:{port}")]);
    command.env("VOICEPIN_LOG__FORMAT", "json");
    let mut server = Server::start(command);
    let line = server.wait_for("vpt_");
    let admin = line.split_whitespace().find(|w| w.starts_with("vpt_")).unwrap().to_owned();
    server.wait_for("serving http://");
    let pbx = vp.run(&["--json", "token", "create", "--name", "pbx1", "--role", "voiceService"]).ok().json();
    let pbx = pbx["token"].as_str().unwrap().to_owned();

    let sign_in = |pin: &str| {
        let body = format!(r#"{{"extension":"36697","pin":"{pin}","callerId":"+14255550123"}}"#);
        request(port, "POST", "/api/v1/voice-access/sign-in", Some(&pbx), Some(&body))
    };
    assert_eq!(sign_in("1985848").0, 200);
    assert_eq!(sign_in("7305918").0, 200);
    let set = r#"{"pin":"6029374","pinExpired":false,"sendEmail":false}"#;
    let (status, body) =
        request(port, "PUT", "/api/v1/mailboxes/tonysmith@contoso.com/pin?pin=1985848", Some(&admin), Some(set));
    assert_eq!(status, 200, "{body}");
    assert_eq!(request(port, "GET", "/api/v1/mailboxes", Some("vpt_not-a-real-token"), None).0, 401);
    let lines = server.stop();

    let mut requests = Vec::new();
    for line in &lines {
        // The plain lines are voicepin's own words to the operator (the first-start token
        // among them, shown once by design); everything else is a JSON log line.
        let plain = line.starts_with("voicepin: ") || line.starts_with("Use it as `Authorization: Bearer <token>`");
        if plain || line.trim().is_empty() || line.trim() == admin {
            continue;
        }
        let record: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        for secret in ["1985848", "7305918", "6029374", &admin, &pbx, "vpt_not-a-real-token", "Bearer"] {
            assert!(!line.contains(secret), "{secret:?} in a log line: {line}");
        }
        if record["target"] == "voicepin::http" {
            requests.push(record);
        }
    }
    let find = |method: &str, route: &str| {
        requests
            .iter()
            .find(|r| r["method"] == method && r["route"] == route)
            .unwrap_or_else(|| panic!("no {method} {route} in {requests:#?}"))
    };
    let voice = find("POST", "/api/v1/voice-access/sign-in");
    assert_eq!(voice["level"], "INFO");
    assert_eq!(voice["status"], 200);
    assert_eq!(voice["actor"], "pbx1");
    assert_eq!(voice["path"], "/api/v1/voice-access/sign-in");
    assert!(voice["peer"].as_str().unwrap().starts_with("127.0.0.1:"), "{voice}");
    assert!(voice["latency_ms"].as_f64().unwrap() >= 0.0);
    assert_eq!(voice["request_id"].as_str().unwrap().len(), 32);
    let set = find("PUT", "/api/v1/mailboxes/{identity}/pin");
    assert_eq!(set["actor"], "initial-admin");
    assert_eq!(set["path"], "/api/v1/mailboxes/tonysmith@contoso.com/pin", "no query string");
    let refused = find("GET", "/api/v1/mailboxes");
    assert_eq!((refused["status"].as_u64(), refused["actor"].as_str()), (Some(401), Some("-")));
    assert_eq!(requests.len(), 4, "{requests:#?}");
}
