//! Issue 11 against a running `voicepin serve`: slow clients (finding 3), `/metrics` only to
//! a credential or on its own address (finding 5), no secret in a trace log (finding 8).
//! Everything on loopback; the flood is bounded in count and time.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use super::harness::{Voicepin, free_port, http};

/// A running `voicepin serve` with extra environment, stopped when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(vp: &Voicepin, env: &[(&str, &str)]) -> Self {
        let port = free_port();
        let mut command = vp.command(&["serve", "--listen", &format!("127.0.0.1:{port}")]);
        command.stdout(Stdio::null()).stderr(Stdio::null());
        for (name, value) in env {
            command.env(name, value);
        }
        let server = Self { child: command.spawn().unwrap(), port };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(60), "serve did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn token(vp: &Voicepin, role: &str) -> String {
    let created = vp.run(&["--json", "token", "create", "--name", "probe", "--role", role]).ok().json();
    created["token"].as_str().unwrap().to_owned()
}

/// Whether the server closed `stream` within `wait` (EOF or reset), rather than keeping it.
fn closed_within(stream: &mut TcpStream, wait: Duration) -> bool {
    stream.set_read_timeout(Some(wait)).unwrap();
    let mut byte = [0u8; 512];
    loop {
        match stream.read(&mut byte) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                return false;
            }
            Err(_) => return true,
        }
    }
}

/// `GET /healthz` from another loopback address (127.0.0.2): another source.
fn healthz_from_elsewhere(port: u16) -> String {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
        let address: SocketAddr = ([127, 0, 0, 1], port).into();
        let mut stream = tokio::time::timeout(Duration::from_secs(5), socket.connect(address)).await.unwrap().unwrap();
        stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
        let mut reply = String::new();
        tokio::time::timeout(Duration::from_secs(5), stream.read_to_string(&mut reply)).await.unwrap().unwrap();
        reply
    })
}

/// Finding 3: a flood of connections that never finish their headers, from one source,
/// used to hold a file descriptor each for as long as they liked. Now the connections over
/// the per-source cap are closed at once, the rest when the header timeout ends, and another
/// source is answered throughout.
#[test]
fn a_slow_header_flood_is_cut_off_and_others_are_answered() {
    const FLOOD: usize = 300;
    const PER_SOURCE: usize = 16;
    let vp = Voicepin::new();
    let server = Server::start(
        &vp,
        &[
            ("VOICEPIN_HTTP__MAX_CONNECTIONS_PER_SOURCE", "16"),
            ("VOICEPIN_HTTP__MAX_CONNECTIONS", "64"),
            ("VOICEPIN_HTTP__HEADER_READ_TIMEOUT_SECS", "2"),
        ],
    );
    let started = Instant::now();
    let mut flood: Vec<TcpStream> = (0..FLOOD)
        .map(|_| {
            let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
            let _ = stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ");
            stream
        })
        .collect();
    let reply = healthz_from_elsewhere(server.port);
    assert!(reply.starts_with("HTTP/1.1 200") && reply.ends_with("ok"), "{reply}");

    // Over the cap: closed at once. The ones let in: closed by the header timeout.
    let cut = flood.iter_mut().map(|s| closed_within(s, Duration::from_millis(20))).filter(|closed| *closed).count();
    assert!(cut >= FLOOD - PER_SOURCE - 4, "only {cut} of {FLOOD} were closed at once");
    let all = flood.iter_mut().all(|s| closed_within(s, Duration::from_secs(4)));
    assert!(all, "a connection outlived the header timeout");
    assert!(started.elapsed() < Duration::from_secs(20), "{:?}", started.elapsed());

    // Finding 3's idle keep-alive: a connection that finished one request and sends
    // nothing more is closed after the header timeout too.
    let mut idle = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut head = [0u8; 64];
    idle.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    assert!(idle.read(&mut head).unwrap() > 0);
    let waited = Instant::now();
    assert!(closed_within(&mut idle, Duration::from_secs(5)), "the idle keep-alive connection stayed open");
    assert!(waited.elapsed() >= Duration::from_millis(1500), "{:?}", waited.elapsed());
}

/// The Prometheus text format: `# HELP`/`# TYPE` lines, samples `name{labels} value`, `# EOF`.
fn assert_prometheus_format(text: &str) {
    assert!(text.trim_end().ends_with("# EOF"), "{text}");
    let mut samples = 0;
    for line in text.lines().filter(|l| !l.is_empty()) {
        if let Some(rest) = line.strip_prefix("# ") {
            assert!(
                rest.starts_with("HELP ") || rest.starts_with("TYPE ") || rest.starts_with("UNIT ") || rest == "EOF"
            );
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap();
        assert!(value.parse::<f64>().is_ok(), "{line}");
        assert!(series.chars().next().unwrap().is_ascii_alphabetic(), "{line}");
        samples += 1;
    }
    assert!(samples > 0, "{text}");
    assert!(text.contains("voicepin_pin_auto_resets_total"), "{text}");
    assert!(text.contains("voicepin_sign_ins_throttled_total{"), "{text}");
}

/// Finding 5: `/metrics` moved with sign-in outcomes for anyone. Now the API's address
/// answers it only to a credential, and `http.metrics_listen` serves it alone.
#[test]
fn metrics_are_scraped_with_the_configured_credential() {
    let vp = Voicepin::new();
    let metrics_port = free_port();
    let server = Server::start(&vp, &[("VOICEPIN_HTTP__METRICS_LISTEN", &format!("127.0.0.1:{metrics_port}"))]);
    let secret = token(&vp, "View-Only");
    assert_eq!(http(server.port, "GET", "/metrics", &[], None).status, 401);
    let bearer = format!("Bearer {secret}");
    let reply = http(server.port, "GET", "/metrics", &[("Authorization", &bearer)], None);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.head.to_ascii_lowercase().contains("content-type: application/openmetrics-text"), "{}", reply.head);
    assert_prometheus_format(&reply.body);
    let open = http(metrics_port, "GET", "/metrics", &[], None);
    assert_eq!(open.status, 200);
    assert_prometheus_format(&open.body);
    assert_eq!(http(metrics_port, "GET", "/api/v1/mailboxes", &[], None).status, 404);
}

/// Finding 8: the CLI at trace level wrote its bearer token to standard error (the HTTP
/// client's dump of the request headers).
#[test]
fn no_secret_in_a_trace_log() {
    let vp = Voicepin::new();
    let server = Server::start(&vp, &[]);
    let secret = token(&vp, "View-Only");
    let mut command = vp.command(&["--server", &format!("http://127.0.0.1:{}", server.port), "dialplan", "get"]);
    command
        .env("VOICEPIN_DATA_DIR", vp.data_dir().join("not-here"))
        .env("VOICEPIN_TOKEN", &secret)
        .env("VOICEPIN_LOG__LEVEL", "trace")
        .env_remove("VOICEPIN_SERVER");
    let run = super::harness::finish(command, "").ok();
    let (_, secret_part) = secret.rsplit_once('_').unwrap();
    for text in [&run.stderr, &run.stdout] {
        assert!(!text.contains(&secret) && !text.contains(secret_part), "the token was logged: {text}");
    }
}
