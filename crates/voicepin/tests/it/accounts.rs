//! The first-start story on an empty data directory: the administrator's one-time password
//! printed once, a session that must change it first, CSRF, the lockout after repeated
//! failures, and `voicepin admin recover` on the data directory while the server runs.

use std::io::{BufRead as _, BufReader};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::harness::{HttpReply, Voicepin, free_port, http};

type Reply = HttpReply;

/// One request with a session cookie and CSRF token if given.
fn request(port: u16, method: &str, path: &str, cookie: Option<&str>, csrf: Option<&str>, body: Option<&str>) -> Reply {
    let cookie = cookie.map(|cookie| format!("voicepin_session={cookie}"));
    let mut headers = Vec::new();
    if let Some(cookie) = &cookie {
        headers.push(("Cookie", cookie.as_str()));
    }
    if let Some(csrf) = csrf {
        headers.push(("X-CSRF-Token", csrf));
    }
    http(port, method, path, &headers, body)
}

fn sign_in(port: u16, name: &str, password: &str) -> Reply {
    let body = serde_json::json!({"name": name, "password": password}).to_string();
    request(port, "POST", "/api/v1/sessions", None, None, Some(&body))
}

fn cookie_of(reply: &Reply) -> String {
    let line = reply.head.lines().find(|l| l.to_ascii_lowercase().starts_with("set-cookie:")).unwrap();
    let value = line.split_once("voicepin_session=").unwrap().1;
    value.split(';').next().unwrap().to_owned()
}

#[test]
fn first_start_one_time_password_csrf_lockout_and_recovery() {
    let vp = Voicepin::new();
    let port = free_port();
    let mut child = vp
        .command(&["serve", "--listen", &format!("127.0.0.1:{port}")])
        // The store's lockout is under test here, not the per-account rate limit.
        .env("VOICEPIN_HTTP__SIGN_IN_ATTEMPTS_PER_ACCOUNT", "50")
        .env("VOICEPIN_HTTP__SIGN_IN_ATTEMPTS_PER_SOURCE", "50")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let marker = "voicepin: first start: administrator \"admin\", one-time password (shown once): ";
    let mut password = None;
    let mut line = String::new();
    let start = Instant::now();
    while password.is_none() && start.elapsed() < Duration::from_secs(60) {
        line.clear();
        if stderr.read_line(&mut line).unwrap() == 0 {
            break;
        }
        password = line.trim().strip_prefix(marker).map(str::to_owned);
    }
    let one_time = password.expect("the first-start line");
    assert_eq!(one_time.len(), 23, "{one_time}");
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(60), "serve did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }

    // The one-time password signs in; the session must change it before anything else.
    let reply = sign_in(port, "admin", &one_time);
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert!(reply.head.contains("HttpOnly; SameSite=Strict; Path=/"), "{}", reply.head);
    let cookie = cookie_of(&reply);
    let csrf = reply.json()["csrfToken"].as_str().unwrap().to_owned();
    let refused = request(port, "GET", "/api/v1/mailboxes", Some(&cookie), None, None);
    assert_eq!((refused.status, refused.json()["code"].clone()), (403, "password-change-required".into()));
    let change = serde_json::json!({"currentPassword": one_time, "newPassword": "correct horse battery"}).to_string();
    let no_csrf = request(port, "PUT", "/api/v1/account/password", Some(&cookie), None, Some(&change));
    assert_eq!((no_csrf.status, no_csrf.json()["code"].clone()), (403, "csrf-token-invalid".into()));
    let changed = request(port, "PUT", "/api/v1/account/password", Some(&cookie), Some(&csrf), Some(&change));
    assert_eq!(changed.status, 200, "{}", changed.body);
    // The session rotates with the password (issue 11, finding 13): the old cookie is spent.
    let stale = request(port, "GET", "/api/v1/mailboxes", Some(&cookie), None, None);
    assert_eq!(stale.status, 401, "{}", stale.body);
    let cookie = cookie_of(&changed);
    assert_ne!(changed.json()["csrfToken"].as_str().unwrap(), csrf);
    let list = request(port, "GET", "/api/v1/mailboxes", Some(&cookie), None, None);
    assert_eq!(list.status, 200, "{}", list.body);
    // The one-time password is spent.
    assert_eq!(sign_in(port, "admin", &one_time).status, 401);

    // Five wrong passwords lock the account: the right one fails too.
    for _ in 0..4 {
        assert_eq!(sign_in(port, "admin", "not the password").status, 401);
    }
    let locked = vp.run(&["--json", "admin", "get", "admin"]).ok().json();
    assert!(locked["lockedUntil"].is_string(), "{locked}");
    assert_eq!(sign_in(port, "admin", "correct horse battery").status, 401);

    // Break-glass on the data directory while the server runs: unlocked, a new one-time
    // password that works once, sessions ended.
    let recovered = vp.run(&["--json", "admin", "recover"]).ok().json();
    let second = recovered["oneTimePassword"].as_str().unwrap().to_owned();
    assert_eq!(recovered["lockedUntil"], serde_json::Value::Null);
    assert_eq!(recovered["mustChangePassword"], true);
    assert_eq!(request(port, "GET", "/api/v1/mailboxes", Some(&cookie), None, None).status, 401);
    let reply = sign_in(port, "admin", &second);
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.json()["mustChangePassword"], true);

    // The CLI manages accounts too; the last administrator stays.
    let jane = vp.run(&["--json", "admin", "new", "jane", "--role", "helpDesk"]).ok().json();
    assert!(jane["oneTimePassword"].is_string());
    vp.run(&["admin", "set", "jane", "--disabled", "true"]).ok();
    vp.run(&["admin", "remove", "admin"]).exit(1);
    vp.run(&["admin", "remove", "jane"]).ok();

    // All audited: the story's actions, with the CLI's channel for the break-glass.
    let events = vp.run(&["--json", "audit", "--limit", "200"]).ok().json();
    let actions: Vec<&str> = events.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    for action in [
        "accountCreated",
        "accountSignedIn",
        "accountPasswordChanged",
        "accountSignInFailed",
        "accountLocked",
        "accountRecovered",
        "accountChanged",
        "accountRemoved",
    ] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    let recovery = events.as_array().unwrap().iter().find(|e| e["action"] == "accountRecovered").unwrap();
    assert_eq!(recovery["channel"], "cli");
    assert!(!events.to_string().contains(&one_time) && !events.to_string().contains(&second));

    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(child.wait().unwrap().success());
}
