//! Runs the real binary against a temporary data directory.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// A data directory and the binary.
pub struct Voicepin {
    dir: tempfile::TempDir,
}

/// What a run printed and how it ended.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }

    #[track_caller]
    pub fn ok(self) -> Self {
        assert_eq!(self.code, 0, "expected success; stderr: {}; stdout: {}", self.stderr, self.stdout);
        self
    }

    #[track_caller]
    pub fn exit(self, code: i32) -> Self {
        assert_eq!(self.code, code, "expected exit {code}; stderr: {}; stdout: {}", self.stderr, self.stdout);
        self
    }
}

impl Voicepin {
    pub fn new() -> Self {
        Self { dir: tempfile::tempdir().unwrap() }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The command for `args`, to start in the background.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_voicepin"));
        command
            .args(args)
            .env("VOICEPIN_DATA_DIR", self.data_dir())
            // Cheap Argon2 keeps the suite fast; one test runs the real defaults.
            .env("VOICEPIN_SECURITY__ARGON2_MEMORY_KIB", "256")
            .env("VOICEPIN_SECURITY__ARGON2_ITERATIONS", "1")
            // Servers run side by side: SIP on any free port unless a test picks one.
            .env("VOICEPIN_SIP__LISTEN", "127.0.0.1:0")
            .env_remove("VOICEPIN_SECURITY__PEPPER_FILE")
            .env_remove("VOICEPIN_SECURITY__MAIL_KEY_FILE");
        command
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_input(args, "")
    }

    pub fn run_default_cost(&self, args: &[&str], input: &str) -> Run {
        let mut command = self.command(args);
        command.env_remove("VOICEPIN_SECURITY__ARGON2_MEMORY_KIB").env_remove("VOICEPIN_SECURITY__ARGON2_ITERATIONS");
        finish(command, input)
    }

    pub fn run_with_input(&self, args: &[&str], input: &str) -> Run {
        finish(self.command(args), input)
    }

    /// Signs in with `pin` through `voicepin pin test`.
    pub fn sign_in(&self, identity: &str, pin: &str) -> Run {
        self.run_with_input(&["pin", "test", identity], &format!("{pin}\n"))
    }

    /// The .eml files in the pickup folder, in the order they were delivered.
    pub fn mail(&self) -> Vec<String> {
        let folder = self.data_dir().join("mail");
        let mut files: Vec<PathBuf> = match std::fs::read_dir(&folder) {
            Ok(entries) => {
                entries.map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "eml")).collect()
            }
            Err(_) => Vec::new(),
        };
        // In delivery order: written one after the other, by separate runs.
        files.sort_by_key(|p| (std::fs::metadata(p).unwrap().modified().unwrap(), p.clone()));
        files.iter().map(|p| std::fs::read_to_string(p).unwrap()).collect()
    }

    /// A standard setup: dial plan CONTOSO (5-digit extensions, one access number) and the
    /// policy it generates, "CONTOSO Default Policy".
    pub fn with_dial_plan() -> Self {
        let voicepin = Self::new();
        voicepin
            .run(&[
                "dialplan",
                "new",
                "CONTOSO",
                "--number-of-digits-in-extension",
                "5",
                "--access-telephone-numbers",
                "+14255550100",
            ])
            .ok();
        voicepin
    }

    /// Enables tonysmith@contoso.com on extension 36697 with `pin`.
    pub fn enable_tony(&self, pin: &str) {
        self.run(&enable_tony_args(pin)).ok();
    }

    /// Every byte of the data directory's database files.
    pub fn database_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        for entry in std::fs::read_dir(self.data_dir()).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().unwrap().to_string_lossy().starts_with("voicepin.db") {
                bytes.extend(std::fs::read(&path).unwrap());
            }
        }
        bytes
    }
}

pub fn finish(mut command: Command, input: &str) -> Run {
    command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let Output { status, stdout, stderr } = child.wait_with_output().unwrap();
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The value of a header of an .eml message (unfolded).
pub fn header(mail: &str, name: &str) -> String {
    let prefix = format!("{name}:");
    let mut lines = mail.lines().take_while(|l| !l.is_empty());
    let mut value = match lines.by_ref().find(|l| l.starts_with(&prefix)) {
        Some(line) => line[prefix.len()..].trim().to_owned(),
        None => return String::new(),
    };
    for line in lines.take_while(|l| l.starts_with([' ', '\t'])) {
        value.push(' ');
        value.push_str(line.trim());
    }
    value
}

/// `mailbox enable` for tonysmith@contoso.com (Tony Smith) on extension 36697 with `pin`, in
/// the CONTOSO dial plan's default policy.
pub fn enable_tony_args(pin: &str) -> Vec<&str> {
    vec![
        "mailbox",
        "enable",
        "tonysmith@contoso.com",
        "--policy",
        "CONTOSO Default Policy",
        "--extension",
        "36697",
        "--pin",
        pin,
        "--first-name",
        "Tony",
        "--last-name",
        "Smith",
        "--display-name",
        "Tony Smith",
    ]
}

/// A free TCP port on loopback.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// An HTTP response: status, head (status line and headers) and body.
pub struct HttpReply {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl HttpReply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// One HTTP/1.1 request over a plain socket to 127.0.0.1:`port`, with extra headers and a
/// JSON body.
pub fn http(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&str>) -> HttpReply {
    use std::io::Read as _;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    let body = body.unwrap_or("");
    if !body.is_empty() {
        head.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n", body.len()));
    }
    stream.write_all(format!("{head}\r\n{body}").as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.split_whitespace().nth(1).unwrap().parse().unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    HttpReply { status, head: head.to_owned(), body: body.to_owned() }
}
