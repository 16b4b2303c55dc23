//! `voicepin serve` on an empty data directory: the first-start token, the HTTP API behind
//! it, and a clean stop on SIGTERM.

use std::io::{BufRead as _, BufReader};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub use super::harness::free_port;
use super::harness::{Voicepin, http};

/// One HTTP/1.1 request with a bearer token: (status, body).
pub fn request(port: u16, method: &str, path: &str, token: Option<&str>, body: Option<&str>) -> (u16, String) {
    let bearer = token.map(|token| format!("Bearer {token}"));
    let headers: Vec<(&str, &str)> = bearer.iter().map(|value| ("Authorization", value.as_str())).collect();
    let reply = http(port, method, path, &headers, body);
    (reply.status, reply.body)
}

#[test]
fn serve_starts_with_a_token_answers_the_api_and_stops_on_sigterm() {
    let vp = Voicepin::with_dial_plan();
    vp.enable_tony("1985848");
    let port = free_port();
    let mut child = vp
        .command(&["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The first-start token is printed once, on standard error.
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let start = Instant::now();
    let mut token = None;
    let mut line = String::new();
    while token.is_none() && start.elapsed() < Duration::from_secs(30) {
        line.clear();
        if stderr.read_line(&mut line).unwrap() == 0 {
            break;
        }
        token = line.split_whitespace().find(|w| w.starts_with("vpt_")).map(str::to_owned);
    }
    let token = token.expect("a first-start token");
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(30), "serve did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }

    assert_eq!(request(port, "GET", "/healthz", None, None).0, 200);
    assert_eq!(request(port, "GET", "/api/v1/mailboxes", None, None).0, 401);
    let (status, body) = request(port, "GET", "/api/v1/mailboxes/tonysmith@contoso.com/pin", Some(&token), None);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"pinExpired\""), "{body}");
    let (status, body) = request(port, "GET", "/api/openapi.json", None, None);
    assert_eq!(status, 200);
    assert!(body.contains("\"openapi\""));

    // A PBX with its own token signs a caller in.
    let pbx = vp.run(&["--json", "token", "create", "--name", "pbx1", "--role", "voiceService"]).ok().json();
    let pbx = pbx["token"].as_str().unwrap().to_owned();
    let sign_in = r#"{"extension":"36697","pin":"1985848","callerId":"+14255550123","callingSystem":"asterisk"}"#;
    let (status, body) = request(port, "POST", "/api/v1/voice-access/sign-in", Some(&pbx), Some(sign_in));
    assert_eq!((status, body.contains("pinChangeRequired")), (200, true), "{body}");
    assert!(!body.contains("1985848"));

    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(child.wait().unwrap().success(), "serve exits 0 on SIGTERM");
    // The token was made once: a second start prints none.
    let second =
        vp.command(&["serve", "--listen", "127.0.0.1:0"]).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    Command::new("kill").args(["-TERM", &second.id().to_string()]).status().unwrap();
    let output = second.wait_with_output().unwrap();
    assert!(!String::from_utf8_lossy(&output.stderr).contains("vpt_"));
}

/// A self-service confirmation link leads to the server's own address when
/// `http.public_url` is not set, never to the Host the requester named: otherwise anyone
/// could ask for a link on a user's behalf that leads the user to the asker's host.
#[test]
fn a_self_service_link_never_leads_to_a_host_the_requester_names() {
    use std::io::{Read as _, Write as _};
    let vp = Voicepin::with_dial_plan();
    vp.enable_tony("1985848");
    let welcome = vp.mail().len();
    let port = free_port();
    let mut child = vp
        .command(&["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(30), "serve did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    let csrf = "ab".repeat(32);
    let form = format!("csrf={csrf}&identity=tonysmith%40contoso.com");
    let request = format!(
        "POST /my/voicemail HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\
         Cookie: voicepin_my_csrf={csrf}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\n\r\n{form}",
        form.len()
    );
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");

    let started = Instant::now();
    while vp.mail().len() == welcome {
        assert!(started.elapsed() < Duration::from_secs(20), "no confirmation message");
        std::thread::sleep(Duration::from_millis(100));
    }
    // The text part is quoted-printable: undo its soft breaks and its escaped '='.
    let message = vp.mail().pop().unwrap().replace("=\r\n", "").replace("=\n", "").replace("=3D", "=");
    assert!(message.contains(&format!("http://127.0.0.1:{port}/my/voicemail/confirm?link=vpl_")), "{message}");
    assert!(!message.contains("attacker.example"), "{message}");
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(child.wait().unwrap().success());
}
