//! The `voicepin` commands, their output and their handling of bad input.

use super::harness::{Voicepin, enable_tony_args};

#[test]
fn a_new_dial_plan_gets_a_default_policy_with_exchanges_defaults() {
    let vp = Voicepin::with_dial_plan();
    let plan = vp.run(&["--json", "dialplan", "get", "CONTOSO"]).ok().json();
    assert_eq!(plan["numberOfDigitsInExtension"], 5);
    assert_eq!(plan["logonFailuresBeforeDisconnect"], 3);
    assert_eq!(plan["inputFailuresBeforeDisconnect"], 3);
    assert_eq!(plan["accessTelephoneNumbers"][0], "+14255550100");

    let policy = vp.run(&["policy", "get", "CONTOSO Default Policy", "--json"]).ok().json();
    assert_eq!(policy["umDialPlan"], "CONTOSO");
    assert_eq!(policy["minPinLength"], 6);
    assert_eq!(policy["pinLifetime"], 60);
    assert_eq!(policy["pinHistoryCount"], 5);
    assert_eq!(policy["allowCommonPatterns"], false);
    assert_eq!(policy["logonFailuresBeforePinReset"], 5);
    assert_eq!(policy["maxLogonAttempts"], 15);
    assert_eq!(policy["allowSubscriberAccess"], true);
    assert_eq!(policy["allowPinlessVoiceMailAccess"], false);
    assert_eq!(policy["blockKeypadLines"], false);
}

#[test]
fn policies_take_unlimited_and_refuse_out_of_range_values() {
    let vp = Voicepin::with_dial_plan();
    let policy = vp
        .run(&[
            "--json",
            "policy",
            "set",
            "CONTOSO Default Policy",
            "--pin-lifetime",
            "unlimited",
            "--logon-failures-before-pin-reset",
            "Unlimited",
            "--min-pin-length",
            "8",
            "--block-keypad-lines",
            "true",
        ])
        .ok()
        .json();
    assert_eq!(policy["pinLifetime"], "unlimited");
    assert_eq!(policy["logonFailuresBeforePinReset"], "unlimited");
    assert_eq!(policy["minPinLength"], 8);
    assert_eq!(policy["blockKeypadLines"], true);

    let run = vp.run(&["policy", "set", "CONTOSO Default Policy", "--min-pin-length", "3"]).exit(2);
    assert!(
        run.stderr.contains("MinPINLength")
            && run.stderr.contains("--min-pin-length")
            && run.stderr.contains("4 to 24"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);

    let run = vp
        .run(&[
            "policy",
            "set",
            "CONTOSO Default Policy",
            "--logon-failures-before-pin-reset",
            "20",
            "--max-logon-attempts",
            "20",
        ])
        .exit(2);
    assert!(
        run.stderr.contains("LogonFailuresBeforePINReset") && run.stderr.contains("less than MaxLogonAttempts"),
        "{}",
        run.stderr
    );

    let run = vp.run(&["policy", "set", "CONTOSO Default Policy", "--reset-pin-text", &"x".repeat(513)]).exit(2);
    assert!(run.stderr.contains("ResetPINText") && run.stderr.contains("512"), "{}", run.stderr);

    let run = vp.run(&["policy", "set", "CONTOSO Default Policy", "--allow-common-patterns", "maybe"]).exit(2);
    assert!(run.stderr.contains("--allow-common-patterns"), "{}", run.stderr);

    // Nothing of the refused changes was written.
    let policy = vp.run(&["--json", "policy", "get", "CONTOSO Default Policy"]).ok().json();
    assert_eq!(policy["minPinLength"], 8);
    assert_eq!(policy["maxLogonAttempts"], 15);
}

#[test]
fn dial_plans_check_their_ranges() {
    let vp = Voicepin::new();
    let run = vp.run(&["dialplan", "new", "X", "--number-of-digits-in-extension", "21"]).exit(2);
    assert!(run.stderr.contains("NumberOfDigitsInExtension") && run.stderr.contains("1 to 20"), "{}", run.stderr);
    let run = vp.run(&["dialplan", "new", "X"]).exit(2);
    assert!(run.stderr.contains("NumberOfDigitsInExtension"), "{}", run.stderr);
    vp.run(&["dialplan", "new", "X", "--number-of-digits-in-extension", "4"]).ok();
    let run = vp.run(&["dialplan", "set", "X", "--logon-failures-before-disconnect", "0"]).exit(2);
    assert!(run.stderr.contains("LogonFailuresBeforeDisconnect"), "{}", run.stderr);
    let run = vp.run(&["dialplan", "new", "x", "--number-of-digits-in-extension", "4"]).exit(1);
    assert!(run.stderr.contains("already in use"), "{}", run.stderr);
}

#[test]
fn a_policy_in_use_cannot_be_removed() {
    let vp = Voicepin::with_dial_plan();
    vp.enable_tony("1985848");
    let run = vp.run(&["policy", "remove", "CONTOSO Default Policy"]).exit(1);
    assert!(run.stderr.contains("still used by 1 mailbox"), "{}", run.stderr);
    let run = vp.run(&["dialplan", "remove", "CONTOSO"]).exit(1);
    assert!(run.stderr.contains("mailbox"), "{}", run.stderr);
    vp.run(&["mailbox", "disable", "tonysmith@contoso.com", "--keep-properties", "false"]).ok();
    vp.run(&["policy", "remove", "CONTOSO Default Policy"]).ok();
    vp.run(&["dialplan", "remove", "CONTOSO"]).ok();
    assert_eq!(vp.run(&["--json", "dialplan", "get"]).ok().json(), serde_json::json!([]));
}

#[test]
fn a_rejected_pin_names_every_rule_and_writes_nothing() {
    let vp = Voicepin::with_dial_plan();
    let run = vp.run(&enable_tony_args("123456")).exit(1);
    assert!(run.stderr.contains("consecutive-digits"), "{}", run.stderr);
    assert!(!run.stderr.contains("123456"), "the PIN must not be echoed: {}", run.stderr);
    vp.run(&["mailbox", "get", "tonysmith@contoso.com"]).exit(1);
    assert!(vp.mail().is_empty());

    let run = vp
        .run(&[
            "mailbox",
            "enable",
            "tonysmith@contoso.com",
            "--policy",
            "CONTOSO Default Policy",
            "--extension",
            "36697",
            "--pin",
            "6697",
        ])
        .exit(1);
    assert!(run.stderr.contains("too-short") && run.stderr.contains("extension-suffix"), "{}", run.stderr);
}

#[test]
fn extensions_must_fit_the_dial_plan_and_be_unique() {
    let vp = Voicepin::with_dial_plan();
    let run = vp
        .run(&["mailbox", "enable", "a@contoso.com", "--policy", "CONTOSO Default Policy", "--extension", "1234"])
        .exit(2);
    assert!(run.stderr.contains("Extensions") && run.stderr.contains("5 digits"), "{}", run.stderr);
    vp.run(&["mailbox", "enable", "a@contoso.com", "--policy", "CONTOSO Default Policy", "--extension", "12345"]).ok();
    let run = vp
        .run(&["mailbox", "enable", "b@contoso.com", "--policy", "CONTOSO Default Policy", "--extension", "12345"])
        .exit(1);
    assert!(run.stderr.contains("Extensions") && run.stderr.contains("12345"), "{}", run.stderr);
    let run = vp
        .run(&["mailbox", "enable", "not-an-address", "--policy", "CONTOSO Default Policy", "--extension", "22345"])
        .exit(2);
    assert!(run.stderr.contains("Identity"), "{}", run.stderr);
}

#[test]
fn unknown_things_are_refused_clearly() {
    let vp = Voicepin::with_dial_plan();
    let run = vp.run(&["pin", "get", "nobody@contoso.com"]).exit(1);
    assert!(run.stderr.contains("nobody@contoso.com") && run.stderr.contains("not found"), "{}", run.stderr);
    let run = vp.run(&["pin", "frobnicate"]).exit(2);
    assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
    let run = vp.run(&["policy", "new", "P2", "--dial-plan", "NOPE"]).exit(1);
    assert!(run.stderr.contains("NOPE"), "{}", run.stderr);
}

#[test]
fn mailboxes_are_listed_and_found_by_alias_and_extension() {
    let vp = Voicepin::with_dial_plan();
    vp.enable_tony("1985848");
    vp.run(&["mailbox", "enable", "kim@contoso.com", "--policy", "CONTOSO Default Policy", "--extension", "40001"])
        .ok();
    let list = vp.run(&["--json", "mailbox", "get"]).ok().json();
    assert_eq!(list.as_array().unwrap().len(), 2);
    let by_alias = vp.run(&["--json", "mailbox", "get", "tonysmith"]).ok().json();
    assert_eq!(by_alias["primarySmtpAddress"], "tonysmith@contoso.com");
    let by_extension = vp.run(&["--json", "pin", "get", "36697"]).ok().json();
    assert_eq!(by_extension["userId"], "tonysmith@contoso.com");
    let found = vp.run(&["--json", "mailbox", "get", "--anr", "smith"]).ok().json();
    assert_eq!(found.as_array().unwrap().len(), 1);
    let table = vp.run(&["pin", "get"]).ok();
    assert!(table.stdout.starts_with("UserID"), "{}", table.stdout);
    assert!(table.stdout.contains("PinExpired") && table.stdout.contains("LockedOut"));
}

#[test]
fn the_audit_log_records_changes_without_pins() {
    let vp = Voicepin::with_dial_plan();
    vp.enable_tony("1985848");
    vp.run(&["pin", "set", "tonysmith@contoso.com", "--pin", "5820417"]).ok();
    let events = vp.run(&["--json", "audit", "--mailbox", "tonysmith@contoso.com"]).ok();
    assert!(!events.stdout.contains("1985848") && !events.stdout.contains("5820417"));
    let events = events.json();
    let actions: Vec<&str> = events.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["pinSet", "mailboxEnabled"]);
    assert_eq!(events[0]["channel"], "cli");
    // The local operator, audited as such with the operating-system user name.
    assert_eq!(events[0]["actorKind"], "localOperator");
    assert!(!events[0]["actor"].as_str().unwrap().is_empty());
}

#[test]
fn identities_and_names_may_also_be_options() {
    let vp = Voicepin::new();
    vp.run(&["dialplan", "new", "--name", "DP", "--number-of-digits-in-extension", "4"]).ok();
    vp.run(&["policy", "new", "--name", "P", "--dial-plan", "DP"]).ok();
    vp.run(&["mailbox", "enable", "--identity", "kim@contoso.com", "--policy", "P", "--extension", "4711"]).ok();
    let info = vp.run(&["pin", "get", "--identity", "kim@contoso.com", "--json"]).ok().json();
    assert_eq!(info["userId"], "kim@contoso.com");
    vp.run(&["pin", "lock", "--identity", "4711"]).ok();
    let policy = vp.run(&["--json", "policy", "get", "--identity", "P"]).ok().json();
    assert_eq!(policy["name"], "P");
    let run = vp.run(&["pin", "lock"]).exit(2);
    assert!(run.stderr.contains("IDENTITY"), "{}", run.stderr);
    vp.run(&["pin", "lock", "kim@contoso.com", "--identity", "kim@contoso.com"]).exit(2);
}

#[test]
fn api_tokens_are_shown_once_and_revocable() {
    let vp = Voicepin::new();
    let created = vp
        .run(&["--json", "token", "create", "--name", "asterisk-pbx1", "--role", "Voice Service", "--expires", "90"])
        .ok()
        .json();
    let secret = created["token"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("vpt_"));
    assert_eq!(created["role"], "voiceService");
    let listed = vp.run(&["token", "list", "--json"]).ok();
    assert!(!listed.stdout.contains(&secret), "a token is shown once only");
    assert_eq!(listed.json()[0]["name"], "asterisk-pbx1");
    assert!(!String::from_utf8_lossy(&vp.database_bytes()).contains(&secret));
    let revoked = vp.run(&["--json", "token", "revoke", "asterisk-pbx1"]).ok().json();
    assert!(revoked["revokedTime"].is_string());
    let run = vp.run(&["token", "create", "--name", "x", "--role", "root"]).exit(2);
    assert!(run.stderr.contains("Role") && run.stderr.contains("helpDesk"), "{}", run.stderr);
    let events = vp.run(&["--json", "audit", "--action", "tokenCreated"]).ok().json();
    assert_eq!(events.as_array().unwrap().len(), 1);
}
