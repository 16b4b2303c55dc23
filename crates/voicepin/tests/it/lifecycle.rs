//! The PIN lifecycle through the binary: welcome mail, sign-in, automatic reset, lockout.

use super::harness::{Voicepin, contains, header};

#[test]
fn enabling_mails_the_pin_and_stores_only_a_keyed_hash() {
    let vp = Voicepin::with_dial_plan();
    vp.enable_tony("1985848");
    let mail = vp.mail();
    assert_eq!(mail.len(), 1, "one welcome message");
    let welcome = &mail[0];
    assert!(header(welcome, "To").contains("tonysmith@contoso.com"), "{welcome}");
    assert!(welcome.contains("1985848"));
    assert!(welcome.contains("36697"));
    assert!(welcome.contains("+14255550100"));
    let subject = welcome.lines().find(|l| l.starts_with("Subject:")).unwrap();
    assert!(!subject.contains("1985848"));

    let info = vp.run(&["--json", "pin", "get", "tonysmith@contoso.com"]).ok().json();
    assert_eq!(info["userId"], "tonysmith@contoso.com");
    assert_eq!(info["pinExpired"], true);
    assert_eq!(info["firstTimeUser"], true);
    assert_eq!(info["lockedOut"], false);

    let database = vp.database_bytes();
    assert!(!database.is_empty());
    assert!(!contains(&database, b"1985848"), "the PIN is in the database in plain text");
    let pepper = std::fs::metadata(vp.data_dir().join("keys/pin-pepper.key")).unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(pepper.permissions().mode() & 0o777, 0o600);
}

#[test]
fn sign_in_outcomes_and_exit_codes() {
    let vp = Voicepin::with_dial_plan();
    vp.enable_tony("1985848");
    let run = vp.sign_in("tonysmith@contoso.com", "1985848").exit(0);
    assert_eq!(run.stdout.trim(), "pinChangeRequired");
    let run = vp.sign_in("36697", "1985849").exit(1);
    assert_eq!(run.stdout.trim(), "failed");
    let run = vp.sign_in("nobody@contoso.com", "1985848").exit(1);
    assert_eq!(run.stdout.trim(), "failed");

    vp.run(&["pin", "set", "tonysmith@contoso.com", "--pin", "5820417", "--pin-expired", "false"]).ok();
    let run = vp.sign_in("tonysmith", "5820417").exit(0);
    assert_eq!(run.stdout.trim(), "success");
    let info = vp.run(&["--json", "pin", "get", "tonysmith@contoso.com"]).ok().json();
    assert_eq!(info["firstTimeUser"], false);
}

#[test]
fn five_failures_reset_and_mail_fifteen_lock_and_success_clears() {
    let vp = Voicepin::with_dial_plan();
    vp.enable_tony("1985848");
    for _ in 0..4 {
        vp.sign_in("tonysmith@contoso.com", "0000000").exit(1);
    }
    let info = vp.run(&["--json", "pin", "get", "tonysmith@contoso.com"]).ok().json();
    assert_eq!((info["consecutiveFailures"].as_u64(), info["totalFailures"].as_u64()), (Some(4), Some(4)));
    assert_eq!(vp.mail().len(), 1);

    vp.sign_in("tonysmith@contoso.com", "0000000").exit(1);
    let mail = vp.mail();
    assert_eq!(mail.len(), 2, "the automatic reset mails a new PIN");
    assert!(!mail[1].contains("1985848"));
    // The old PIN no longer works.
    vp.sign_in("tonysmith@contoso.com", "1985848").exit(1);
    let info = vp.run(&["--json", "pin", "get", "tonysmith@contoso.com"]).ok().json();
    assert_eq!(info["pinExpired"], true);
    assert_eq!(info["totalFailures"], 6);
    assert_eq!(info["consecutiveFailures"], 1);

    for _ in 6..15 {
        vp.sign_in("tonysmith@contoso.com", "0000000").exit(1);
    }
    let info = vp.run(&["--json", "pin", "get", "tonysmith@contoso.com"]).ok().json();
    assert_eq!(info["lockedOut"], true);
    assert_eq!(info["totalFailures"], 15);
    let mail = vp.mail();
    assert_eq!(mail.len(), 4, "welcome, two resets, lockout notice");

    // Locked: the right PIN fails and nothing is counted.
    vp.run(&[
        "pin",
        "set",
        "tonysmith@contoso.com",
        "--pin",
        "5820417",
        "--locked-out",
        "true",
        "--send-email",
        "false",
    ])
    .ok();
    vp.sign_in("tonysmith@contoso.com", "5820417").exit(1);
    let info = vp.run(&["--json", "pin", "get", "tonysmith@contoso.com"]).ok().json();
    assert_eq!(info["lockedOut"], true);
    assert_eq!(info["totalFailures"], 0);

    vp.run(&["pin", "unlock", "tonysmith@contoso.com"]).ok();
    vp.sign_in("tonysmith@contoso.com", "1111112").exit(1);
    vp.sign_in("tonysmith@contoso.com", "5820417").exit(0);
    let info = vp.run(&["--json", "pin", "get", "tonysmith@contoso.com"]).ok().json();
    assert_eq!((info["consecutiveFailures"].as_u64(), info["totalFailures"].as_u64()), (Some(0), Some(0)));
    let mail = vp.mail();
    assert_eq!(mail.len(), 5, "SendEmail false sends no PIN, only the owner's notice");
    assert!(mail.iter().any(|m| header(m, "Subject").contains("set by an administrator")));
}

#[test]
fn set_pin_generates_redirects_and_unlocks() {
    let vp = Voicepin::with_dial_plan();
    vp.enable_tony("1985848");
    vp.run(&["pin", "lock", "tonysmith@contoso.com"]).ok();
    let info = vp
        .run(&["--json", "pin", "set", "tonysmith@contoso.com", "--notify-email", "helpdesk@contoso.com"])
        .ok()
        .json();
    assert_eq!(info["lockedOut"], false, "Set-UMMailboxPIN clears a lockout by default");
    assert_eq!(info["pinExpired"], true);
    let mail = vp.mail();
    assert_eq!(mail.len(), 3, "the welcome, the PIN to the help desk, the owner's notice");
    let to_help_desk = mail.iter().filter(|m| header(m, "To").contains("helpdesk@contoso.com")).count();
    assert_eq!(to_help_desk, 1);
    let notice = mail.iter().find(|m| header(m, "Subject").contains("set by an administrator")).unwrap();
    assert!(header(notice, "To").contains("tonysmith@contoso.com"));
    assert!(notice.contains("The new PIN was sent to helpdesk@contoso.com, not to you."), "{notice}");
}

#[test]
fn the_user_changes_the_pin_against_the_rules() {
    let vp = Voicepin::with_dial_plan();
    vp.enable_tony("1985848");
    let run = vp.run_with_input(&["pin", "change", "tonysmith@contoso.com"], "1985848\n1985848\n").exit(1);
    assert!(run.stderr.contains("recently-used"), "{}", run.stderr);
    let run = vp.run_with_input(&["pin", "change", "tonysmith@contoso.com"], "0000000\n5820417\n").exit(1);
    assert!(run.stderr.contains("authentication-failed"), "{}", run.stderr);
    vp.run_with_input(&["pin", "change", "tonysmith@contoso.com"], "1985848\n5820417\n").ok();
    let run = vp.sign_in("tonysmith@contoso.com", "5820417").exit(0);
    assert_eq!(run.stdout.trim(), "success");
}

#[test]
fn the_default_argon2_cost_works_end_to_end() {
    let vp = Voicepin::new();
    vp.run_default_cost(&["dialplan", "new", "DP", "--number-of-digits-in-extension", "4"], "").ok();
    vp.run_default_cost(
        &["mailbox", "enable", "a@contoso.com", "--policy", "DP Default Policy", "--extension", "4711", "--pin", "-"],
        "8302957\n",
    )
    .ok();
    let run = vp.run_default_cost(&["pin", "test", "a@contoso.com"], "8302957\n").exit(0);
    assert_eq!(run.stdout.trim(), "pinChangeRequired");
    let database = vp.database_bytes();
    assert!(!contains(&database, b"8302957"));
}

#[test]
fn disabling_keeps_or_removes_properties() {
    let vp = Voicepin::with_dial_plan();
    vp.enable_tony("1985848");
    vp.run(&["mailbox", "disable", "tonysmith@contoso.com"]).ok();
    let mailbox = vp.run(&["--json", "mailbox", "get", "tonysmith@contoso.com"]).ok().json();
    assert_eq!(mailbox["umEnabled"], false);
    vp.sign_in("tonysmith@contoso.com", "1985848").exit(1);
    // Re-enabling keeps the properties and the PIN history.
    let run = vp.run(&["mailbox", "enable", "tonysmith@contoso.com", "--pin", "1985848"]).exit(1);
    assert!(run.stderr.contains("recently-used"), "{}", run.stderr);
    vp.run(&["mailbox", "enable", "tonysmith@contoso.com"]).ok();
    let mailbox = vp.run(&["--json", "mailbox", "get", "tonysmith@contoso.com"]).ok().json();
    assert_eq!(mailbox["umEnabled"], true);
    assert_eq!(mailbox["extensions"][0], "36697");
    vp.run(&["mailbox", "disable", "tonysmith@contoso.com", "--keep-properties", "false"]).ok();
    vp.run(&["mailbox", "get", "tonysmith@contoso.com"]).exit(1);
}

#[test]
fn a_rotated_pepper_rehashes_at_the_next_sign_in() {
    let vp = Voicepin::with_dial_plan();
    vp.enable_tony("1985848");
    let rotated = vp.run(&["--json", "key", "rotate"]).ok().json();
    assert_eq!(rotated["keyId"], "k2");
    let keys = vp.run(&["--json", "key", "list"]).ok().json();
    assert_eq!(keys, serde_json::json!(["k1", "k2"]));
    // The hash made with k1 still verifies, and is re-made with k2.
    vp.sign_in("tonysmith@contoso.com", "1985848").exit(0);
    let events = vp.run(&["--json", "audit", "--action", "pinRehashed"]).ok().json();
    assert_eq!(events.as_array().unwrap().len(), 1);
    vp.sign_in("tonysmith@contoso.com", "1985848").exit(0);
    let events = vp.run(&["--json", "audit", "--action", "pinRehashed"]).ok().json();
    assert_eq!(events.as_array().unwrap().len(), 1, "re-hashed once only");
}
