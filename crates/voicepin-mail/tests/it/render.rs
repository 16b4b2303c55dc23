//! The rendered messages as a mail client would see them.

use voicepin_mail::{MailSettings, render};

use super::support::{PIN, carries_pin, every_kind, mail, parse};

fn settings() -> MailSettings {
    MailSettings::new("Voice Mail <voicemail@contoso.com>")
        .unwrap()
        .with_organisation("Contoso")
        .with_help_desk("the IT service desk on extension 4357")
}

#[test]
fn the_pin_is_only_in_the_bodies_of_messages_that_carry_it() {
    for notification in every_kind() {
        let kind = notification.kind();
        let expected = carries_pin(&notification);
        let message = render(&mail(notification), &settings()).unwrap();
        let parsed = parse(&message.formatted());

        assert_eq!(parsed.headers.len(), 3, "{kind}: message and two parts");
        for block in &parsed.headers {
            assert!(!block.contains(PIN), "{kind}: PIN in headers:\n{block}");
        }
        assert!(!message.headers().to_string().contains(PIN), "{kind}");

        assert_eq!(parsed.bodies.len(), 2, "{kind}");
        assert!(parsed.bodies[0].0.starts_with("text/plain; charset=utf-8"));
        assert!(parsed.bodies[1].0.starts_with("text/html; charset=utf-8"));
        for (content_type, body) in &parsed.bodies {
            assert_eq!(body.contains(PIN), expected, "{kind} {content_type}: PIN present should be {expected}");
            assert!(body.contains("Tony Smith"), "{kind} {content_type}");
        }
    }
}

#[test]
fn every_kind_has_its_own_subject_and_a_stable_message_id() {
    let mut subjects = Vec::new();
    for notification in every_kind() {
        let queued = mail(notification);
        let once = render(&queued, &settings()).unwrap();
        let again = render(&queued, &settings()).unwrap();
        let id = format!("<{}@contoso.com>", queued.id);
        for message in [&once, &again] {
            let raw = String::from_utf8(message.formatted()).unwrap();
            assert!(raw.contains(&format!("Message-ID: {id}\r\n")));
            assert!(raw.contains("Date: Fri, 14 Mar 2025 09:30:05 +0000\r\n"));
        }
        let subject = once.headers().get_raw("Subject").map(str::to_owned).unwrap();
        subjects.push(subject);
    }
    subjects.dedup();
    // The reset reasons (and a locked mailbox's reset) share a subject; the wording differs in the body.
    assert_eq!(
        subjects,
        [
            "Welcome to Contoso voice mail",
            "Your voice mail PIN has been reset",
            "Your voice mail is locked",
            "Your voice mail PIN was changed",
            "Confirm the reset of your voice mail PIN",
        ]
    );
}

#[test]
fn the_envelope_goes_from_the_sender_to_the_recipient() {
    let message = render(&mail(every_kind().remove(0)), &settings()).unwrap();
    let envelope = message.envelope();
    assert_eq!(envelope.from().map(ToString::to_string).as_deref(), Some("voicemail@contoso.com"));
    let to: Vec<String> = envelope.to().iter().map(ToString::to_string).collect();
    assert_eq!(to, ["tony@contoso.com"]);
}
