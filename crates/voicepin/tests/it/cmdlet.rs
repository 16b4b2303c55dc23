//! The Exchange cmdlet syntax, verbatim.

use super::harness::{Voicepin, header};

fn setup() -> Voicepin {
    let vp = Voicepin::new();
    vp.run(&[
        "New-UMDialPlan",
        "-Name",
        "Contoso DP",
        "-NumberOfDigitsInExtension",
        "5",
        "-AccessTelephoneNumbers",
        "+14255550100",
        "-CountryOrRegionCode",
        "1",
    ])
    .ok();
    vp.run(&["New-UMMailboxPolicy", "-Name", "MyUMMailboxPolicy", "-UMDialPlan", "Contoso DP"]).ok();
    vp.run(&[
        "Enable-UMMailbox",
        "-Identity",
        "tonysmith@contoso.com",
        "-UMMailboxPolicy",
        "MyUMMailboxPolicy",
        "-Extensions",
        "51234",
        "-PIN",
        "5643892",
        "-NotifyEmail",
        "administrator@contoso.com",
        "-PINExpired",
        "$true",
    ])
    .ok();
    vp
}

#[test]
fn the_seeds_reset_example() {
    let vp = setup();
    vp.run(&["Set-UMMailboxPIN", "-Identity", "tonysmith@contoso.com", "-PIN", "1985848", "-PinExpired", "$true"]).ok();
    let info = vp.run(&["Get-UMMailboxPIN", "-Identity", "tonysmith@contoso.com", "--json"]).ok().json();
    assert_eq!(info["pinExpired"], true);
    assert_eq!(info["lockedOut"], false);
    let mail = vp.mail();
    assert_eq!(mail.len(), 2);
    assert!(header(&mail[0], "To").contains("administrator@contoso.com"), "NotifyEmail redirects the welcome message");
    assert!(mail[1].contains("1985848") && header(&mail[1], "To").contains("tonysmith@contoso.com"));
    let run = vp.run_with_input(&["pin", "test", "tonysmith@contoso.com"], "1985848\n").exit(0);
    assert_eq!(run.stdout.trim(), "pinChangeRequired");
}

#[test]
fn names_and_parameters_are_case_insensitive_with_quotes_and_colons() {
    let vp = setup();
    vp.run(&[
        "set-ummailboxpin",
        "-identity",
        "'tonysmith@contoso.com'",
        "-pin",
        "\"1985848\"",
        "-pinexpired:$false",
        "-SendEmail",
        "$false",
    ])
    .ok();
    let info = vp.run(&["--json", "GET-UMMAILBOXPIN", "tonysmith@contoso.com"]).ok().json();
    assert_eq!(info["pinExpired"], false);
    let mail = vp.mail();
    assert_eq!(mail.len(), 2, "SendEmail $false: the welcome, then a notice without the PIN");
    assert!(mail[1].contains("Subject: Your voice mail PIN was set by an administrator"), "{}", mail[1]);
    assert!(!mail[1].contains("1985848"));
    // The whole line as one argument, as a script might pass it.
    vp.run(&["Set-UMMailboxPolicy -Identity MyUMMailboxPolicy -LogonFailuresBeforePINReset 8 -MaxLogonAttempts 12 -MinPINLength 8 -PINHistoryCount 10 -PINLifetime 60 -ResetPINText \"The PIN used to allow you access to your mailbox using Outlook Voice Access is reset.\""]).ok();
    let policy = vp.run(&["--json", "Get-UMMailboxPolicy", "-Identity", "MyUMMailboxPolicy"]).ok().json();
    assert_eq!(policy["logonFailuresBeforePinReset"], 8);
    assert_eq!(policy["maxLogonAttempts"], 12);
    assert_eq!(policy["minPinLength"], 8);
    assert_eq!(policy["pinHistoryCount"], 10);
    assert_eq!(
        policy["resetPinText"],
        "The PIN used to allow you access to your mailbox using Outlook Voice Access is reset."
    );
}

#[test]
fn locked_out_alone_locks_and_unlocks() {
    let vp = setup();
    vp.run(&["Set-UMMailboxPIN", "-Identity", "tonysmith@contoso.com", "-LockedOut", "$true"]).ok();
    let info = vp.run(&["--json", "Get-UMMailboxPIN", "-Identity", "tonysmith@contoso.com"]).ok().json();
    assert_eq!(info["lockedOut"], true);
    vp.run_with_input(&["pin", "test", "tonysmith@contoso.com"], "5643892\n").exit(1);
    vp.run(&["Set-UMMailboxPIN", "-Identity", "tonysmith@contoso.com", "-LockedOut", "$false"]).ok();
    let info = vp.run(&["--json", "Get-UMMailboxPIN", "-Identity", "tonysmith@contoso.com"]).ok().json();
    assert_eq!(info["lockedOut"], false);
    assert_eq!(vp.mail().len(), 1, "a lock or unlock alone mails nothing");
    // A bare Set-UMMailboxPIN generates a PIN and mails it.
    vp.run(&["Set-UMMailboxPIN", "-Identity", "tonysmith@contoso.com"]).ok();
    assert_eq!(vp.mail().len(), 2);
}

#[test]
fn mailbox_cmdlets() {
    let vp = setup();
    let mailbox = vp.run(&["--json", "Get-UMMailbox", "-Identity", "tonysmith@contoso.com"]).ok().json();
    assert_eq!(mailbox["extensions"][0], "51234");
    assert_eq!(mailbox["umMailboxPolicy"], "MyUMMailboxPolicy");
    vp.run(&["Set-UMMailbox", "-Identity", "tonysmith@contoso.com", "-SubscriberAccessEnabled", "$false"]).ok();
    vp.run_with_input(&["pin", "test", "tonysmith@contoso.com"], "5643892\n").exit(1);
    vp.run(&[
        "Disable-UMMailbox",
        "-Identity",
        "tonysmith@contoso.com",
        "-KeepProperties",
        "$false",
        "-Confirm:$false",
    ])
    .ok();
    vp.run(&["Remove-UMMailboxPolicy", "-Identity", "MyUMMailboxPolicy"]).ok();
    vp.run(&["Get-UMMailboxPolicy", "-Identity", "MyUMMailboxPolicy"]).exit(1);
    vp.run(&["Remove-UMDialPlan", "-Identity", "Contoso DP"]).ok();
}

#[test]
fn bad_cmdlet_input_is_one_clear_line() {
    let vp = setup();
    let run = vp.run(&["Set-UMMailboxPIN", "-Identity", "tonysmith@contoso.com", "-Colour", "blue"]).exit(2);
    assert!(run.stderr.contains("-Colour") && run.stderr.contains("allowed"), "{}", run.stderr);
    assert_eq!(run.stderr.trim().lines().count(), 1);
    let run = vp.run(&["Set-UMMailboxPIN", "-Identity", "tonysmith@contoso.com", "-PinExpired", "perhaps"]).exit(2);
    assert!(run.stderr.contains("pin-expired"), "{}", run.stderr);
    let run = vp.run(&["Set-UMMailboxPolicy", "-Identity", "MyUMMailboxPolicy", "-MinPINLength", "30"]).exit(2);
    assert!(run.stderr.contains("MinPINLength") && run.stderr.contains("4 to 24"), "{}", run.stderr);
    let run = vp.run(&["Set-UMMailboxPIN", "-Identity", "tonysmith@contoso.com", "-PIN", "11111111"]).exit(1);
    assert!(run.stderr.contains("same-digit"), "{}", run.stderr);
    let run = vp.run(&["Set-UMMailboxPIN", "-Identity", "nobody@contoso.com"]).exit(1);
    assert!(run.stderr.contains("not found"), "{}", run.stderr);
}
