//! The CLI over the HTTP API: `voicepin serve` on a free port, tokens made with `voicepin
//! token create` on its data directory while it runs, then the same commands and cmdlets
//! through `--server`/`--token` (or VOICEPIN_SERVER/VOICEPIN_TOKEN), with the same output,
//! messages and exit codes, and the token's name in the audit log.

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::harness::{Run, Voicepin, enable_tony_args};

/// A running `voicepin serve`, stopped when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(vp: &Voicepin) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = vp
            .command(&["serve", "--listen", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = Self { child, port };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(60), "serve did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Makes a token on the data directory (the server is running) and returns its secret.
fn token(vp: &Voicepin, name: &str, role: &str) -> String {
    let created = vp.run(&["--json", "token", "create", "--name", name, "--role", role]).ok().json();
    created["token"].as_str().unwrap().to_owned()
}

/// A run of the CLI that must go to the server: its data directory points nowhere.
fn remote(vp: &Voicepin, args: &[&str], input: &str) -> Run {
    let mut command = vp.command(args);
    command.env("VOICEPIN_DATA_DIR", vp.data_dir().join("not-here"));
    command.env_remove("VOICEPIN_SERVER").env_remove("VOICEPIN_TOKEN");
    run(command, input)
}

/// The same with the server and the token from the environment.
fn remote_env(vp: &Voicepin, server: &Server, token: &str, args: &[&str], input: &str) -> Run {
    let mut command = vp.command(args);
    command
        .env("VOICEPIN_DATA_DIR", vp.data_dir().join("not-here"))
        .env("VOICEPIN_SERVER", server.url())
        .env("VOICEPIN_TOKEN", token);
    run(command, input)
}

fn run(mut command: Command, input: &str) -> Run {
    use std::io::Write as _;
    command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[test]
fn the_cli_and_its_cmdlets_work_over_the_api_authorised_and_audited() {
    let vp = Voicepin::with_dial_plan();
    let server = Server::start(&vp);
    let url = server.url();
    let admin = token(&vp, "alice-admin", "UM Management");
    let help_desk = token(&vp, "bob-helpdesk", "Help Desk");
    let with = |token: &str, args: &[&str]| -> Vec<String> {
        ["--server", url.as_str(), "--token", token].iter().chain(args).map(|s| s.to_string()).collect()
    };
    let call = |token: &str, args: &[&str]| {
        let args = with(token, args);
        remote(&vp, &args.iter().map(String::as_str).collect::<Vec<_>>(), "")
    };

    // Enable-UMMailbox's command, over the API.
    let mut enable = vec!["--json"];
    enable.extend(enable_tony_args("1985848"));
    let enabled = call(&admin, &enable).ok().json();
    assert_eq!(enabled["identity"], "tonysmith@contoso.com");
    assert_eq!(enabled["umMailboxPolicy"], "CONTOSO Default Policy");
    assert!(!vp.data_dir().join("not-here").exists(), "the local data directory was not used");

    // Set-UMMailboxPIN in cmdlet syntax, after the server options.
    let set = call(
        &admin,
        &["Set-UMMailboxPIN", "-Identity", "tonysmith@contoso.com", "-PIN", "2468024", "-PinExpired", "$false"],
    )
    .ok();
    assert!(set.stdout.contains("PinExpired          : False"), "{}", set.stdout);
    assert!(!set.stdout.contains("2468024") && !set.stderr.contains("2468024"));

    // The whole cmdlet as one argument, the server and token from the environment.
    let state =
        remote_env(&vp, &server, &admin, &["--json", "Get-UMMailboxPIN -Identity tonysmith@contoso.com"], "").ok();
    let state = state.json();
    assert_eq!((state["pinExpired"].as_bool(), state["lockedOut"].as_bool()), (Some(false), Some(false)));

    // The same JSON as the local command prints.
    let over_api = call(&admin, &["--json", "mailbox", "get", "tonysmith@contoso.com"]).ok().json();
    let local = vp.run(&["--json", "mailbox", "get", "tonysmith@contoso.com"]).ok().json();
    assert_eq!(over_api, local);
    let listed = call(&admin, &["--json", "Get-UMMailbox", "-ResultSize", "unlimited"]).ok().json();
    assert_eq!(listed, vp.run(&["--json", "mailbox", "get"]).ok().json());
    let pins = call(&admin, &["--json", "pin", "get"]).ok().json();
    assert_eq!(pins, vp.run(&["--json", "pin", "get"]).ok().json());

    // Lock (UM Management; the help desk may not) and unlock (the help desk may).
    let refused = call(&help_desk, &["pin", "lock", "36697"]).exit(1);
    assert!(refused.stderr.contains("does not allow lockMailboxes [forbidden]"), "{}", refused.stderr);
    let locked = call(&admin, &["--json", "pin", "lock", "36697"]).ok().json();
    assert_eq!(locked["lockedOut"], true);
    let unlocked = call(&help_desk, &["--json", "pin", "unlock", "tonysmith@contoso.com"]).ok().json();
    assert_eq!(unlocked["lockedOut"], false);

    // The help desk may not make policies: refused, exit 1, and told why.
    let refused = call(&help_desk, &["policy", "new", "Night Shift", "--dial-plan", "CONTOSO"]).exit(1);
    assert!(
        refused.stderr.contains("the role Help Desk (helpDesk) does not allow managePolicies [forbidden]"),
        "{}",
        refused.stderr
    );
    let refused = call(&help_desk, &["New-UMMailboxPolicy", "-Name", "Night Shift", "-UMDialPlan", "CONTOSO"]).exit(1);
    assert!(refused.stderr.contains("does not allow managePolicies"), "{}", refused.stderr);

    // A bad value: exit 2, worded as locally.
    let args = ["policy", "new", "Night Shift", "--dial-plan", "CONTOSO", "--min-pin-length", "30"];
    let bad = call(&admin, &args).exit(2);
    let local_bad = vp.run(&args).exit(2);
    assert_eq!(bad.stderr, local_bad.stderr);
    assert!(bad.stderr.starts_with("voicepin: MinPINLength (--min-pin-length): \"30\""), "{}", bad.stderr);
    let missing = call(&admin, &["mailbox", "get", "nobody@contoso.com"]).exit(1);
    assert_eq!(missing.stderr, vp.run(&["mailbox", "get", "nobody@contoso.com"]).exit(1).stderr);

    // A wrong token: exit 1, said plainly, never echoed.
    let wrong = "vpt_00000000000000000000000000000000_not-a-secret";
    let denied = call(wrong, &["mailbox", "get"]).exit(1);
    assert!(denied.stderr.contains("did not accept the API token"), "{}", denied.stderr);
    assert!(!denied.stderr.contains(wrong) && !denied.stdout.contains(wrong));

    // Only a Voice Service token may test a PIN.
    let test = remote_env(&vp, &server, &admin, &["pin", "test", "36697"], "2468024\n").exit(1);
    assert!(test.stderr.contains("does not allow voiceSignIn"), "{}", test.stderr);
    let pbx = token(&vp, "pbx1", "voiceService");
    let test = remote_env(&vp, &server, &pbx, &["pin", "test", "36697"], "2468024\n").ok();
    assert_eq!(test.stdout.trim(), "success");
    let test = remote_env(&vp, &server, &pbx, &["pin", "test", "36697"], "1111111\n").exit(1);
    assert_eq!(test.stdout.trim(), "failed");

    // The audit log: the token's name as the actor, the api channel, the source address.
    let events = call(&admin, &["--json", "audit", "--actor", "alice-admin"]).ok().json();
    let events = events.as_array().unwrap();
    let pin_set = events.iter().find(|e| e["action"] == "pinSet").expect("a pinSet event");
    assert_eq!(pin_set["channel"], "api");
    assert_eq!(pin_set["role"], "umManagement");
    assert_eq!(pin_set["source"], "127.0.0.1");
    let unlocked = vp.run(&["--json", "audit", "--actor", "bob-helpdesk"]).ok().json();
    assert!(unlocked.as_array().unwrap().iter().any(|e| e["action"] == "mailboxUnlocked" && e["channel"] == "api"));
}

#[test]
fn local_commands_and_unsafe_servers_are_refused() {
    let vp = Voicepin::new();
    let loopback = ["--server", "http://127.0.0.1:9", "--token", "vpt_x_y"];
    for command in [&["key", "list"][..], &["mail", "queue"], &["serve"], &["pin", "change", "a@b.c"]] {
        let args: Vec<&str> = loopback.iter().chain(command).copied().collect();
        let refused = remote(&vp, &args, "").exit(2);
        assert!(refused.stderr.contains("works only on the local data directory"), "{}", refused.stderr);
    }
    let clear = remote(&vp, &["--server", "http://voicepin.contoso.com", "--token", "vpt_x_y", "mailbox", "get"], "");
    assert!(clear.exit(2).stderr.contains("clear text"));
    let no_token = remote(&vp, &["--server", "http://127.0.0.1:9", "mailbox", "get"], "").exit(2);
    assert!(no_token.stderr.contains("needs an API token"), "{}", no_token.stderr);
    // Nobody listens on port 9: refused, exit 1, the token nowhere in the message.
    let down = remote(&vp, &["--server", "http://127.0.0.1:9", "--token", "vpt_secret_part", "mailbox", "get"], "");
    let down = down.exit(1);
    assert!(down.stderr.contains("cannot reach the server http://127.0.0.1:9"), "{}", down.stderr);
    assert!(!down.stderr.contains("secret_part"));
}

#[test]
fn accounts_and_tokens_are_managed_over_the_api_like_locally() {
    let vp = Voicepin::with_dial_plan();
    let server = Server::start(&vp);
    let url = server.url();
    let org = token(&vp, "carol-org", "Organization Management");
    let view = token(&vp, "dave-view", "View-Only");
    let call = |token: &str, args: &[&str]| {
        let mut all = vec!["--server", url.as_str(), "--token", token, "--json"];
        all.extend_from_slice(args);
        remote(&vp, &all, "")
    };

    // A token made over the API prints like a local one, its secret once, and works.
    let created = call(&org, &["token", "create", "--name", "pbx1", "--role", "Voice Service", "--expires", "30"]);
    let created = created.ok().json();
    assert_eq!(created["name"], "pbx1");
    assert_eq!(created["role"], "voiceService");
    let secret = created["token"].as_str().unwrap().to_owned();
    let listed = call(&view, &["token", "list"]).ok().json();
    let names: Vec<&str> = listed.as_array().unwrap().iter().filter_map(|t| t["name"].as_str()).collect();
    assert!(names.contains(&"pbx1"), "{names:?}");
    assert!(!listed.to_string().contains(&secret), "a listed token shows its secret");
    let refused = call(&view, &["token", "revoke", "pbx1"]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    call(&org, &["token", "revoke", "pbx1"]).ok();

    // Administrator accounts: the one-time password once, changes, removal; recover stays local.
    let new = call(&org, &["admin", "new", "erin", "--role", "Help Desk"]).ok().json();
    assert_eq!(new["role"], "helpDesk");
    assert_eq!(new["mustChangePassword"], true);
    let password = new["oneTimePassword"].as_str().unwrap().to_owned();
    let shown = call(&view, &["admin", "get", "erin"]).ok();
    assert!(!shown.stdout.contains(&password));
    let changed = call(&org, &["admin", "set", "erin", "--role", "umManagement", "--disabled", "true"]).ok().json();
    assert_eq!((changed["role"].as_str(), changed["disabled"].as_bool()), (Some("umManagement"), Some(true)));
    let bad = call(&org, &["admin", "set", "erin", "--role", "root"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    call(&org, &["admin", "remove", "erin"]).ok();
    assert_eq!(call(&view, &["admin", "get", "erin"]).code, 1);
    let recover = call(&org, &["admin", "recover"]);
    assert_eq!(recover.code, 2, "{}", recover.stderr);
    assert!(recover.stderr.contains("recover"), "{}", recover.stderr);

    // Every change is in the audit log under the token's name, channel api.
    let events = vp.run(&["--json", "audit", "--limit", "50"]).ok().json();
    let by_carol: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor"] == "carol-org" && e["channel"] == "api")
        .filter_map(|e| e["action"].as_str())
        .collect();
    for action in ["tokenCreated", "tokenRevoked", "accountCreated", "accountChanged", "accountRemoved"] {
        assert!(by_carol.contains(&action), "{action} missing from {by_carol:?}");
    }
}
