//! Mail through a real SMTP server (Debian's aiosmtpd), and a process killed between the
//! commit that queues a message and its delivery.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::harness::{Voicepin, enable_tony_args, free_port, header};

/// aiosmtpd writing every message it accepts into a Maildir.
pub(super) struct SmtpServer {
    child: Child,
    port: u16,
    maildir: tempfile::TempDir,
}

impl SmtpServer {
    pub(super) fn start() -> Self {
        Self::start_on(free_port())
    }

    fn start_on(port: u16) -> Self {
        let maildir = tempfile::tempdir().unwrap();
        let child = Command::new("/usr/bin/python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir.path().join("Maildir"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("aiosmtpd (Debian's python3-aiosmtpd; scripts/test.sh installs it)");
        let server = Self { child, port, maildir };
        wait_until(Duration::from_secs(20), || std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
        server
    }

    pub(super) fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The messages received so far.
    pub(super) fn messages(&self) -> Vec<String> {
        let new = self.maildir.path().join("Maildir/new");
        let Ok(entries) = std::fs::read_dir(&new) else { return Vec::new() };
        entries.map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap()).collect()
    }

    pub(super) fn wait_for(&self, count: usize) -> Vec<String> {
        wait_until(Duration::from_secs(30), || self.messages().len() >= count);
        self.messages()
    }

    /// How long until the `count`th message arrives, looking every millisecond (a measure for
    /// the report, not a timed test).
    fn time_until(&self, count: usize) -> Duration {
        let start = Instant::now();
        while self.messages().len() < count {
            assert!(start.elapsed() < Duration::from_secs(30), "gave up waiting");
            std::thread::sleep(Duration::from_millis(1));
        }
        start.elapsed()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[track_caller]
pub(super) fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "gave up waiting after {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn smtp(command: &mut Command, url: &str) {
    command.env("VOICEPIN_MAIL__SMTP_URL", url).env("VOICEPIN_MAIL__FROM", "Voice Mail <voicemail@contoso.com>");
}

fn run_with_smtp(vp: &Voicepin, url: &str, args: &[&str]) -> std::process::Output {
    let mut command = vp.command(args);
    smtp(&mut command, url);
    command.output().unwrap()
}

fn enable_args() -> Vec<&'static str> {
    enable_tony_args("1985848")
}

#[test]
fn the_welcome_message_goes_through_smtp() {
    let server = SmtpServer::start();
    let vp = Voicepin::with_dial_plan();
    let output = run_with_smtp(&vp, &server.url(), &enable_args());
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let messages = server.wait_for(1);
    let welcome = &messages[0];
    assert!(header(welcome, "To").contains("tonysmith@contoso.com"));
    assert!(header(welcome, "From").contains("voicemail@contoso.com"));
    assert!(header(welcome, "Message-ID").ends_with("@contoso.com>"));
    assert!(welcome.contains("1985848"));
    assert!(!header(welcome, "Subject").contains("1985848"));
    assert!(vp.mail().is_empty(), "nothing in the pickup folder when SMTP is configured");

    let output = run_with_smtp(&vp, &server.url(), &["mail", "test", "--to", "postmaster@contoso.com"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let messages = server.wait_for(2);
    assert!(messages.iter().any(|m| header(m, "Subject") == "voicepin test message"));
}

#[test]
fn a_refused_test_message_is_a_clear_error() {
    let vp = Voicepin::new();
    let output =
        run_with_smtp(&vp, &format!("smtp://127.0.0.1:{}", free_port()), &["mail", "test", "--to", "a@contoso.com"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("sending the test message"), "{stderr}");
    let output = run_with_smtp(&vp, "ftp://127.0.0.1", &["mail", "queue"]);
    assert_ne!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stderr).contains("VOICEPIN_MAIL__SMTP_URL"));
}

/// A server that accepts connections and never answers: a send into it hangs after the
/// commit, which is where the process gets killed.
fn silent_server() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

fn queued(vp: &Voicepin) -> serde_json::Value {
    vp.run(&["--json", "mail", "queue", "--all"]).ok().json()
}

#[test]
fn a_process_killed_between_commit_and_send_loses_nothing() {
    let vp = Voicepin::with_dial_plan();
    let (silent, port) = silent_server();
    let mut command = vp.command(&enable_args());
    smtp(&mut command, &format!("smtp://127.0.0.1:{port}"));
    let mut child = command.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    // The connection arrives only after the change and its message are committed.
    silent.set_nonblocking(true).unwrap();
    let mut accepted = Vec::new();
    wait_until(Duration::from_secs(30), || match silent.accept() {
        Ok((stream, _)) => {
            accepted.push(stream);
            true
        }
        Err(_) => false,
    });
    child.kill().unwrap();
    child.wait().unwrap();
    drop(accepted);

    let queue = queued(&vp);
    assert_eq!(queue.as_array().unwrap().len(), 1);
    assert_eq!(queue[0]["status"], "queued");
    assert_eq!(queue[0]["kind"], "welcome");

    // `voicepin serve` delivers it at start, then stops cleanly on SIGTERM.
    let server = SmtpServer::start();
    let mut command = vp.command(&["serve", "--listen", "127.0.0.1:0", "--mail-poll-seconds", "0.2"]);
    smtp(&mut command, &server.url());
    let mut serve = command.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let messages = server.wait_for(1);
    assert_eq!(messages.len(), 1);
    assert!(messages[0].contains("1985848"));
    terminate(&mut serve);
    let status = serve.wait().unwrap();
    assert!(status.success(), "serve exits 0 on SIGTERM: {status:?}");
    assert_eq!(queued(&vp)[0]["status"], "sent");
    // Delivered once.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(server.messages().len(), 1);
}

#[test]
fn a_server_down_keeps_the_message_queued_for_a_retry() {
    let vp = Voicepin::with_dial_plan();
    let port = free_port();
    let output = run_with_smtp(&vp, &format!("smtp://127.0.0.1:{port}"), &enable_args());
    assert!(output.status.success(), "the change stands even when mail cannot go out yet");
    let queue = queued(&vp);
    assert_eq!(queue[0]["status"], "queued");
    assert_eq!(queue[0]["attempts"], 1);
    assert!(queue[0]["lastError"].as_str().is_some_and(|e| !e.contains("1985848")));

    // An operator retries it at once once the server is back.
    let server = SmtpServer::start_on(port);
    let id = queue[0]["id"].as_str().unwrap().to_owned();
    let output = run_with_smtp(&vp, &server.url(), &["mail", "retry", &id]);
    // Only a failed message can be requeued; a queued one just waits for its time.
    assert_eq!(output.status.code(), Some(1));
    assert!(server.messages().is_empty());
}

fn terminate(child: &mut Child) {
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
}

/// `voicepin serve` with SMTP in its environment only, waiting until it serves (it holds the
/// data directory's mail sender lock by then).
fn serve_with_smtp(vp: &Voicepin, url: &str) -> Child {
    use std::io::BufRead as _;
    let mut command = vp.command(&["serve", "--listen", "127.0.0.1:0"]);
    smtp(&mut command, url);
    let mut serve = command.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let mut lines = std::io::BufReader::new(serve.stderr.take().unwrap()).lines();
    loop {
        let line = lines.next().expect("serve printed its banner").unwrap();
        if line.contains("serving http://") {
            break;
        }
    }
    // Keep reading, so that the log never fills the pipe.
    std::thread::spawn(move || lines.for_each(drop));
    serve
}

#[test]
fn a_local_command_leaves_its_mail_to_the_running_server() {
    let vp = Voicepin::with_dial_plan();
    let server = SmtpServer::start();
    let mut serve = serve_with_smtp(&vp, &server.url());

    // The local CLI has no SMTP configuration: alone, it would write to the pickup folder.
    let run = vp.run(&["Set-UMMailboxPIN", "-Identity", "tonysmith@contoso.com"]).exit(1);
    assert!(run.stderr.contains("not found"), "{}", run.stderr);
    let run = vp.run(&enable_args()).ok();
    let latency = server.time_until(1);
    assert!(
        run.stderr.contains("voicepin: mail welcome to tonysmith@contoso.com: queued for the running server"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("1985848"), "{}", run.stderr);
    let messages = server.wait_for(1);
    eprintln!("welcome picked up by serve and delivered over SMTP {latency:?} after the CLI exited");
    assert!(messages[0].contains("1985848"));

    // A PIN reset from the local CLI, cmdlet syntax: the new PIN is mailed by the server.
    let run = vp.run(&["Set-UMMailboxPIN", "-Identity", "tonysmith@contoso.com"]).ok();
    let latency = server.time_until(2);
    let lines: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("voicepin: mail ")).collect();
    assert_eq!(lines, ["voicepin: mail pinReset to tonysmith@contoso.com: queued for the running server"]);
    let messages = server.wait_for(2);
    eprintln!("PIN reset picked up by serve and delivered over SMTP {latency:?} after the CLI exited");
    assert!(messages.iter().any(|m| !m.contains("1985848") && header(m, "To").contains("tonysmith@contoso.com")));
    assert!(vp.mail().is_empty(), "nothing in the pickup folder: the server sent both");

    // A server killed outright leaves its lock file, unlocked: the CLI sends by itself again.
    // (Killed once it marked both sent: a message sent but not yet marked would go out again.)
    wait_until(Duration::from_secs(30), || {
        queued(&vp).as_array().unwrap().iter().filter(|m| m["status"] == "sent").count() == 2
    });
    serve.kill().unwrap();
    serve.wait().unwrap();
    assert!(vp.data_dir().join("mail-sender.lock").exists());
    let run = vp.run(&["Set-UMMailboxPIN", "-Identity", "tonysmith@contoso.com"]).ok();
    let folder = vp.data_dir().join("mail");
    let expected = format!("voicepin: mail pinReset to tonysmith@contoso.com: written to {}/", folder.display());
    let line = run.stderr.lines().find(|l| l.starts_with("voicepin: mail ")).unwrap_or_default();
    assert!(line.starts_with(&expected) && line.ends_with(".eml"), "{}", run.stderr);
    assert_eq!(vp.mail().len(), 1);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(server.messages().len(), 2);
}

#[test]
fn without_a_server_the_command_says_where_its_mail_went() {
    let vp = Voicepin::with_dial_plan();
    let run = vp.run(&enable_args()).ok();
    let folder = vp.data_dir().join("mail");
    let line = run.stderr.lines().find(|l| l.starts_with("voicepin: mail ")).unwrap_or_default();
    let expected = format!("voicepin: mail welcome to tonysmith@contoso.com: written to {}/", folder.display());
    assert!(line.starts_with(&expected) && line.ends_with(".eml"), "{}", run.stderr);
    let file = line.rsplit('/').next().unwrap();
    assert!(folder.join(file).exists(), "{line}");
    assert!(!run.stderr.contains("1985848"));

    let server = SmtpServer::start();
    let run = run_with_smtp(&vp, &server.url(), &["Set-UMMailboxPIN", "-Identity", "tonysmith@contoso.com"]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("voicepin: mail ")).collect();
    assert_eq!(lines, ["voicepin: mail pinReset to tonysmith@contoso.com: sent to 127.0.0.1"], "{stderr}");
    server.wait_for(1);
}
