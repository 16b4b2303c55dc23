//! The templates: one queued [`OutboundMail`] becomes a multipart/alternative message.
//!
//! The PIN only ever goes into the two bodies: never into the subject, a header, an error
//! or a log line.

use std::fmt::Write as _;
use std::time::SystemTime;

use lettre::Message;
use lettre::message::header::{ContentTransferEncoding, ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use time::OffsetDateTime;
use time::macros::format_description;
use voicepin_core::ids::MailId;
use voicepin_core::notify::{Notification, OutboundMail, ResetReason};

use crate::error::MailError;
use crate::policy_text::{PolicyText, escape_html, sanitize};
use crate::settings::MailSettings;

/// What the reset message says when the policy's ResetPINText is empty.
pub const DEFAULT_RESET_PIN_TEXT: &str = "Keep your PIN to yourself. Nobody from your \
    organisation will ever ask you for it, by phone or by email.";

const WRAP: usize = 72;

/// Renders a queued message: subject, headers and a plain-text and an HTML part.
///
/// The Message-ID is `<{mail.id}@{domain of the From address}>`, so that a message sent
/// again after a crash is recognisable as the same one, and the Date is when it was queued.
pub fn render(mail: &OutboundMail, settings: &MailSettings) -> Result<Message, MailError> {
    let composed = compose(mail, settings);
    let to = recipient_mailbox(mail)?;
    let message_id = format!("<{}@{}>", mail.id, settings.message_id_domain());
    Message::builder()
        .from(settings.from.clone())
        .to(to)
        .subject(composed.subject)
        .date(SystemTime::from(mail.created_at))
        .message_id(Some(message_id))
        // RFC 3834: an automatic message; Exchange's header keeps out-of-office replies away.
        .raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("Auto-Submitted"), "auto-generated".to_owned()))
        .raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("X-Auto-Response-Suppress"), "All".to_owned()))
        .multipart(
            MultiPart::alternative()
                .singlepart(part(ContentType::TEXT_PLAIN, composed.plain))
                .singlepart(part(ContentType::TEXT_HTML, composed.html)),
        )
        .map_err(|e| MailError::Build(e.to_string()))
}

/// The message `voicepin mail test` sends: proof that the configured transport delivers,
/// with the same From, Message-ID scheme and headers as the real messages, and no PIN.
pub fn render_test(to: &str, id: MailId, now: OffsetDateTime, settings: &MailSettings) -> Result<Message, MailError> {
    let address = to.parse().map_err(|_| MailError::InvalidAddress { field: "To", value: to.to_owned() })?;
    let sender = settings.from.to_string();
    let plain = format!(
        "This is a test message from voicepin.\n\nIf you can read it, voice mail PINs sent from {sender} reach this \
         mailbox.\n"
    );
    let html = format!(
        "<p>This is a test message from voicepin.</p><p>If you can read it, voice mail PINs sent from {} reach this \
         mailbox.</p>",
        escape_html(&sender)
    );
    Message::builder()
        .from(settings.from.clone())
        .to(Mailbox::new(None, address))
        .subject("voicepin test message")
        .date(SystemTime::from(now))
        .message_id(Some(format!("<{id}@{}>", settings.message_id_domain())))
        .raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("Auto-Submitted"), "auto-generated".to_owned()))
        .multipart(
            MultiPart::alternative()
                .singlepart(part(ContentType::TEXT_PLAIN, plain))
                .singlepart(part(ContentType::TEXT_HTML, html)),
        )
        .map_err(|e| MailError::Build(e.to_string()))
}

/// The subject line of a message of this kind (never contains a PIN).
pub fn subject(notification: &Notification, settings: &MailSettings) -> String {
    match notification {
        Notification::Welcome { .. } => match &settings.organisation {
            Some(org) => format!("Welcome to {org} voice mail"),
            None => "Welcome to voice mail".to_owned(),
        },
        Notification::PinReset { .. } => "Your voice mail PIN has been reset".to_owned(),
        Notification::LockedOut => "Your voice mail is locked".to_owned(),
        Notification::PinChanged => "Your voice mail PIN was changed".to_owned(),
        Notification::PinSetBySomeoneElse { .. } => "Your voice mail PIN was set by an administrator".to_owned(),
        Notification::PinResetLink { .. } => "Confirm the reset of your voice mail PIN".to_owned(),
    }
}

fn part(content_type: ContentType, body: String) -> SinglePart {
    // Quoted-printable always: deterministic, readable, and safe for any line length.
    SinglePart::builder().header(content_type).header(ContentTransferEncoding::QuotedPrintable).body(body)
}

fn recipient_mailbox(mail: &OutboundMail) -> Result<Mailbox, MailError> {
    let address = mail
        .to
        .as_str()
        .parse()
        .map_err(|_| MailError::InvalidAddress { field: "To", value: mail.to.as_str().to_owned() })?;
    // The display name belongs to the mailbox owner: only use it on their own address.
    let name = (mail.to == mail.recipient.smtp_address)
        .then(|| mail.recipient.display_name.trim().to_owned())
        .filter(|n| !n.is_empty());
    Ok(Mailbox::new(name, address))
}

/// The text of a message, before MIME.
#[derive(Debug)]
pub(crate) struct Composed {
    pub(crate) subject: String,
    pub(crate) plain: String,
    pub(crate) html: String,
}

pub(crate) fn compose(mail: &OutboundMail, settings: &MailSettings) -> Composed {
    let subject = subject(&mail.notification, settings);
    let mut doc = Doc::new(&subject, settings);
    let name = mail.recipient.display_name.trim();
    doc.paragraph(&if name.is_empty() { "Hello,".to_owned() } else { format!("Hello {name},") });
    if mail.to != mail.recipient.smtp_address {
        doc.paragraph(&format!(
            "This message is about the voice mail of {} ({}).",
            if name.is_empty() { "a user" } else { name },
            mail.recipient.smtp_address
        ));
    }
    let contact = contact(settings);
    match &mail.notification {
        Notification::Welcome { pin, change_required, um_enabled_text } => {
            doc.paragraph(&format!(
                "Welcome to {}voice mail. You can now listen to your messages and manage \
                 your greetings from any telephone.",
                org_prefix(settings)
            ));
            doc.facts(&facts(mail, pin.expose()));
            doc.paragraph(if *change_required {
                "You must change this PIN the first time you sign in: you will be asked \
                 to choose a new one after entering it."
            } else {
                "You can keep this PIN. To change it, sign in and choose Personal options \
                 (press 6), then Change PIN (press 3)."
            });
            doc.paragraph(SIGN_IN_HOWTO);
            doc.paragraph("Keep your PIN to yourself, and delete this message once you have signed in.");
            doc.paragraph(&format!("For help, contact {contact}."));
            doc.policy_text(&sanitize(um_enabled_text));
        }
        Notification::PinReset { pin, change_required, reset_pin_text, reason, locked_out } => {
            doc.paragraph(match reason {
                ResetReason::Administrator => {
                    "An administrator has reset your voice mail PIN. Your old PIN no \
                     longer works."
                }
                ResetReason::SelfService => {
                    "Your voice mail PIN has been reset, as you asked. Your old PIN no \
                     longer works."
                }
                ResetReason::TooManyFailures => {
                    "Your voice mail PIN was reset automatically because a wrong PIN was \
                     entered too many times in a row when signing in to your voice mail. \
                     Your old PIN no longer works."
                }
            });
            doc.facts(&facts(mail, pin.expose()));
            doc.paragraph(if *change_required {
                "This PIN is temporary: you must choose a new one the next time you sign in."
            } else {
                "You can keep this PIN. To change it, sign in and choose Personal options \
                 (press 6), then Change PIN (press 3)."
            });
            if *locked_out {
                doc.paragraph(&format!(
                    "Your voice mail is locked, and resetting the PIN does not unlock it: an \
                     administrator must unlock it before this PIN works. Contact {contact}."
                ));
            }
            doc.paragraph(SIGN_IN_HOWTO);
            match reason {
                ResetReason::Administrator => {}
                ResetReason::SelfService => {
                    doc.paragraph(&format!("If you did not ask for this reset, contact {contact} at once."))
                }
                ResetReason::TooManyFailures => doc.paragraph(&format!(
                    "If those attempts were not yours, someone may be trying to get into \
                     your voice mail: contact {contact}."
                )),
            }
            let text = sanitize(reset_pin_text);
            doc.policy_text(&if text.is_empty() { sanitize(DEFAULT_RESET_PIN_TEXT) } else { text });
        }
        Notification::LockedOut => {
            doc.paragraph(&format!(
                "Your voice mail was locked on {} because a wrong PIN was entered too many \
                 times when signing in to it.",
                when(mail.created_at)
            ));
            doc.paragraph(
                "While it is locked, nobody can sign in to your voice mail by phone, not \
                 even with the right PIN. An administrator must unlock it or reset your PIN.",
            );
            doc.paragraph(&format!(
                "Contact {contact} to have it unlocked. If you did not try to sign in, tell \
                 them: someone may have been trying to guess your PIN."
            ));
        }
        Notification::PinSetBySomeoneElse { sent_to } => {
            doc.paragraph(&format!("An administrator set a new PIN for your voice mail on {}.", when(mail.created_at)));
            doc.paragraph(&match sent_to {
                Some(to) => format!("The new PIN was sent to {to}, not to you."),
                None => "The new PIN was not sent by email.".to_owned(),
            });
            doc.paragraph(&format!(
                "If you did not ask for this, contact {contact} at once: someone else may be \
                 able to reach your voice mail."
            ));
        }
        Notification::PinResetLink { url, expires_at } => {
            doc.paragraph(&format!(
                "Someone asked on {} to reset the PIN of your voice mail on the self-service page. \
                 If it was you, open this link to confirm:",
                when(mail.created_at)
            ));
            doc.link(url.expose(), "Reset my voice mail PIN");
            doc.paragraph(&format!(
                "The link works once, until {}. It shows your voice mail settings and a button \
                 that resets your PIN; the new PIN comes in another message.",
                when(*expires_at)
            ));
            doc.paragraph(&format!(
                "If you did not ask for this, ignore this message: nothing changes. If it keeps \
                 happening, tell {contact}."
            ));
        }
        Notification::PinChanged => {
            doc.paragraph(&format!("The PIN of your voice mail was changed on {}.", when(mail.created_at)));
            doc.paragraph("If you made this change, there is nothing else to do.");
            doc.paragraph(&format!(
                "If you did not, someone else may know your PIN: contact {contact} at \
                 once to have it reset."
            ));
        }
    }
    let (plain, html) = doc.finish(settings);
    Composed { subject, plain, html }
}

const SIGN_IN_HOWTO: &str = "To sign in, call an access number. When asked, enter your \
    extension, then your PIN followed by the # key. Calling from your own phone, you may \
    only be asked for the PIN.";

fn facts<'a>(mail: &'a OutboundMail, pin: &'a str) -> Vec<Fact<'a>> {
    let mut facts = vec![Fact { label: "Your PIN", values: vec![pin], secret: true }];
    if let Some(extension) = &mail.recipient.extension {
        facts.push(Fact { label: "Your extension", values: vec![extension], secret: false });
    }
    let numbers: Vec<&str> = mail.recipient.access_numbers.iter().map(String::as_str).collect();
    facts.push(Fact {
        label: if numbers.len() <= 1 { "Access number" } else { "Access numbers" },
        values: if numbers.is_empty() { vec!["ask your administrator"] } else { numbers },
        secret: false,
    });
    facts
}

fn org_prefix(settings: &MailSettings) -> String {
    settings.organisation.as_ref().map(|org| format!("{org} ")).unwrap_or_default()
}

fn contact(settings: &MailSettings) -> String {
    settings.help_desk.clone().unwrap_or_else(|| "your administrator".to_owned())
}

fn when(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    at.format(format_description!("[day padding:none] [month repr:long] [year] at [hour]:[minute] UTC"))
        .unwrap_or_else(|_| at.to_string())
}

struct Fact<'a> {
    label: &'a str,
    values: Vec<&'a str>,
    /// Shown large and monospaced: the PIN.
    secret: bool,
}

/// Both parts written side by side, so they always say the same thing.
struct Doc {
    plain: String,
    html: String,
}

const P_STYLE: &str = "margin:0 0 16px 0;";

impl Doc {
    fn new(subject: &str, settings: &MailSettings) -> Self {
        let mut html = String::new();
        let brand = match &settings.organisation {
            Some(org) => format!("{} Voice Mail", escape_html(org)),
            None => "Voice Mail".to_owned(),
        };
        let _ = write!(
            html,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{title}</title>\n</head>\n\
             <body style=\"margin:0;padding:0;background-color:#f3f4f6;\">\n\
             <div style=\"max-width:600px;margin:0 auto;padding:24px 16px;\">\n\
             <div style=\"background-color:#ffffff;border:1px solid #e5e7eb;border-radius:6px;\
             padding:24px 28px;font-family:'Segoe UI',Helvetica,Arial,sans-serif;\
             font-size:15px;line-height:1.5;color:#1f2937;\">\n\
             <p style=\"margin:0 0 4px 0;font-size:13px;color:#6b7280;\">{brand}</p>\n\
             <h1 style=\"margin:0 0 20px 0;font-size:21px;font-weight:600;\">{title}</h1>\n",
            title = escape_html(subject),
        );
        Self { plain: String::new(), html }
    }

    fn paragraph(&mut self, text: &str) {
        push_wrapped(&mut self.plain, text, "");
        self.plain.push('\n');
        let _ = writeln!(self.html, "<p style=\"{P_STYLE}\">{}</p>", escape_html(text));
    }

    fn facts(&mut self, facts: &[Fact<'_>]) {
        // Wide enough for the longest label and its colon, the same in every message.
        let width = "Access numbers: ".len() + 1;
        self.html.push_str(
            "<table role=\"presentation\" cellpadding=\"0\" cellspacing=\"0\" \
             style=\"margin:0 0 20px 0;border-collapse:collapse;\">\n",
        );
        for fact in facts {
            for (i, value) in fact.values.iter().enumerate() {
                let label = if i == 0 { format!("{}:", fact.label) } else { String::new() };
                let _ = writeln!(self.plain, "    {label:<width$}{value}");
            }
            let value_style = if fact.secret {
                "font-family:Consolas,'Courier New',monospace;font-size:22px;\
                 font-weight:700;letter-spacing:3px;"
            } else {
                "font-weight:600;"
            };
            let values = fact.values.iter().map(|v| escape_html(v)).collect::<Vec<_>>().join("<br>");
            let _ = writeln!(
                self.html,
                "<tr><td style=\"padding:6px 24px 6px 0;color:#6b7280;vertical-align:top;\">\
                 {}</td><td style=\"padding:6px 0;{value_style}\">{values}</td></tr>",
                escape_html(fact.label)
            );
        }
        self.html.push_str("</table>\n");
        self.plain.push('\n');
    }

    /// A link on a line of its own, as a button in HTML (the address in full in both parts,
    /// so it can be copied).
    fn link(&mut self, url: &str, label: &str) {
        let _ = writeln!(self.plain, "    {url}\n");
        let url = escape_html(url);
        let _ = writeln!(
            self.html,
            "<p style=\"margin:0 0 20px 0;\"><a href=\"{url}\" style=\"display:inline-block;\
             background-color:#0f5ea8;color:#ffffff;font-weight:600;text-decoration:none;\
             padding:10px 18px;border-radius:4px;\">{}</a></p>\n\
             <p style=\"{P_STYLE}font-size:13px;color:#6b7280;word-break:break-all;\">{url}</p>",
            escape_html(label)
        );
    }

    fn policy_text(&mut self, text: &PolicyText) {
        if text.is_empty() {
            return;
        }
        for line in text.plain.lines() {
            push_wrapped(&mut self.plain, line, "");
        }
        self.plain.push('\n');
        let _ = writeln!(
            self.html,
            "<div style=\"margin:24px 0 0 0;padding:16px 0 0 0;border-top:1px solid #e5e7eb;\
             color:#374151;\">{}</div>",
            text.html
        );
    }

    fn finish(mut self, settings: &MailSettings) -> (String, String) {
        let footer = format!(
            "This message was sent automatically by the {}voice mail system. Please do not \
             reply to it.",
            org_prefix(settings)
        );
        self.plain.push_str("-- \n");
        push_wrapped(&mut self.plain, &footer, "");
        let _ = write!(
            self.html,
            "</div>\n<p style=\"margin:12px 0 0 0;font-family:'Segoe UI',Helvetica,Arial,\
             sans-serif;font-size:12px;color:#6b7280;text-align:center;\">{}</p>\n\
             </div>\n</body>\n</html>\n",
            escape_html(&footer)
        );
        (self.plain, self.html)
    }
}

/// Appends `text` wrapped at [`WRAP`] columns, each line starting with `indent`.
fn push_wrapped(out: &mut String, text: &str, indent: &str) {
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && indent.len() + line.chars().count() + 1 + word.chars().count() > WRAP {
            let _ = writeln!(out, "{indent}{line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || text.trim().is_empty() {
        let _ = writeln!(out, "{indent}{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;
    use voicepin_core::Pin;
    use voicepin_core::ids::{MailId, MailboxId};
    use voicepin_core::mailbox::SmtpAddress;
    use voicepin_core::notify::Recipient;

    fn mail(notification: Notification) -> OutboundMail {
        let address = SmtpAddress::parse("To", "tony@contoso.com").unwrap();
        OutboundMail {
            id: MailId("6f1f5a3e-2c7b-4f7e-9a51-0c2d4b8e9f10".parse().unwrap()),
            mailbox_id: MailboxId::new_random(),
            to: address.clone(),
            recipient: Recipient {
                smtp_address: address,
                display_name: "Tony Smith".to_owned(),
                extension: Some("4567".to_owned()),
                access_numbers: vec!["+14255550100".to_owned(), "+14255550101".to_owned()],
            },
            notification,
            created_at: datetime!(2025-03-14 09:30:05 UTC),
        }
    }

    fn reset(reason: ResetReason, text: &str) -> Notification {
        Notification::PinReset {
            pin: Pin::new("739164"),
            change_required: true,
            reset_pin_text: text.to_owned(),
            reason,
            locked_out: false,
        }
    }

    fn settings() -> MailSettings {
        MailSettings::new("Voice Mail <voicemail@contoso.com>")
            .unwrap()
            .with_organisation("Contoso")
            .with_help_desk("the IT service desk on extension 4357")
    }

    #[test]
    fn welcome_says_everything_the_user_needs() {
        let composed = compose(
            &mail(Notification::Welcome {
                pin: Pin::new("739164"),
                change_required: true,
                um_enabled_text: "<b>Voice mail</b> is monitored.".to_owned(),
            }),
            &settings(),
        );
        assert_eq!(composed.subject, "Welcome to Contoso voice mail");
        for part in [&composed.plain, &composed.html] {
            assert!(part.contains("Tony Smith"));
            assert!(part.contains("739164"));
            assert!(part.contains("4567"));
            assert!(part.contains("+14255550100"));
            assert!(part.contains("+14255550101"));
            assert!(part.contains("must change this PIN the first time you sign in"));
            assert!(part.contains("the IT service desk on extension 4357"));
        }
        assert!(composed.plain.contains("    Your PIN:        739164\n"));
        assert!(composed.plain.contains("Voice mail is monitored."));
        assert!(composed.html.contains("<b>Voice mail</b> is monitored."));
        // UMEnabledText comes last, before the footer.
        let text_at = composed.plain.find("Voice mail is monitored").unwrap();
        let contact_at = composed.plain.find("For help").unwrap();
        assert!(text_at > contact_at);
    }

    #[test]
    fn welcome_without_change_explains_how_to_change() {
        let composed = compose(
            &mail(Notification::Welcome {
                pin: Pin::new("739164"),
                change_required: false,
                um_enabled_text: String::new(),
            }),
            &MailSettings::default(),
        );
        assert_eq!(composed.subject, "Welcome to voice mail");
        assert!(!composed.plain.contains("must change"));
        assert!(composed.plain.contains("Personal options"));
        assert!(composed.plain.contains("contact your administrator"));
    }

    #[test]
    fn reset_wording_follows_the_reason() {
        let admin = compose(&mail(reset(ResetReason::Administrator, "")), &settings());
        assert!(admin.plain.contains("An administrator has reset"));
        let own = compose(&mail(reset(ResetReason::SelfService, "")), &settings());
        assert!(own.plain.contains("as you asked"));
        assert!(own.plain.contains("If you did not ask for this reset"));
        let auto = compose(&mail(reset(ResetReason::TooManyFailures, "")), &settings());
        assert!(auto.plain.contains("too many times"));
        assert!(auto.plain.contains("someone may be trying"));
        for composed in [admin, own, auto] {
            assert_eq!(composed.subject, "Your voice mail PIN has been reset");
            assert!(composed.plain.contains("739164"));
            assert!(composed.plain.contains("+14255550101"));
            assert!(composed.plain.contains("must choose a new one"));
        }
    }

    #[test]
    fn a_self_service_reset_of_a_locked_mailbox_says_it_stays_locked() {
        let Notification::PinReset { pin, change_required, reset_pin_text, reason, .. } =
            reset(ResetReason::SelfService, "")
        else {
            unreachable!()
        };
        let locked = Notification::PinReset { pin, change_required, reset_pin_text, reason, locked_out: true };
        let composed = compose(&mail(locked), &settings());
        let plain = composed.plain.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(plain.contains("an administrator must unlock it before this PIN works"));
        assert!(composed.html.contains("an administrator must unlock it before this PIN works"));
        let unlocked = compose(&mail(reset(ResetReason::SelfService, "")), &settings());
        assert!(!unlocked.plain.contains("must unlock"));
    }

    #[test]
    fn the_confirmation_link_is_in_both_parts_and_nothing_else_of_the_pin() {
        let url = "https://voicepin.contoso.com/my/voicemail/confirm?link=vpl_0f_s3cr&t";
        let composed = compose(
            &mail(Notification::PinResetLink {
                url: voicepin_core::links::LinkUrl::new(url),
                expires_at: datetime!(2025-03-14 09:45:05 UTC),
            }),
            &settings(),
        );
        assert_eq!(composed.subject, "Confirm the reset of your voice mail PIN");
        assert!(!composed.subject.contains("vpl_"));
        assert!(composed.plain.contains(&format!("    {url}\n")));
        assert!(
            composed.html.contains("href=\"https://voicepin.contoso.com/my/voicemail/confirm?link=vpl_0f_s3cr&amp;t\"")
        );
        assert!(composed.html.contains(">Reset my voice mail PIN</a>"));
        let plain = composed.plain.split_whitespace().collect::<Vec<_>>().join(" ");
        for part in [&plain, &composed.html] {
            assert!(part.contains("until 14 March 2025 at 09:45 UTC"));
            assert!(part.contains("ignore this message"));
            assert!(!part.contains("Your PIN"));
        }
    }

    #[test]
    fn reset_uses_reset_pin_text_or_the_default() {
        let default = compose(&mail(reset(ResetReason::Administrator, "")), &settings());
        assert!(default.plain.contains("Nobody from your organisation"));
        let custom = compose(
            &mail(reset(
                ResetReason::Administrator,
                "Questions? <a href=\"https://contoso.com/um\">See the intranet</a>",
            )),
            &settings(),
        );
        assert!(!custom.plain.contains("Nobody from your organisation"));
        assert!(custom.plain.contains("See the intranet (https://contoso.com/um)"));
        assert!(custom.html.contains("<a href=\"https://contoso.com/um\""));
    }

    #[test]
    fn locked_out_and_changed_carry_no_pin_and_say_whom_to_call() {
        let locked = compose(&mail(Notification::LockedOut), &settings());
        assert_eq!(locked.subject, "Your voice mail is locked");
        assert!(locked.plain.contains("An administrator must unlock it"));
        assert!(locked.plain.contains("14 March 2025 at 09:30 UTC"));
        assert!(locked.plain.contains("extension 4357"));
        assert!(!locked.plain.contains("Your PIN:"));
        let changed = compose(&mail(Notification::PinChanged), &settings());
        assert_eq!(changed.subject, "Your voice mail PIN was changed");
        assert!(changed.plain.contains("If you did not"));
        assert!(changed.plain.contains("extension 4357"));
        assert!(!changed.plain.contains("Your PIN:"));
    }

    #[test]
    fn names_and_settings_are_escaped_in_html() {
        let mut m = mail(Notification::PinChanged);
        m.recipient.display_name = "<script>x</script>".to_owned();
        let settings = MailSettings::default().with_organisation("R&D <i>").with_help_desk("\"help\" <desk>");
        let composed = compose(&m, &settings);
        assert!(!composed.html.contains("<script>"));
        assert!(!composed.html.contains("<desk>"));
        assert!(!composed.html.contains("<i>"));
        assert!(composed.html.contains("R&amp;D &lt;i&gt;"));
    }

    #[test]
    fn redirected_mail_names_whose_voice_mail_it_is() {
        let mut m = mail(Notification::PinChanged);
        m.to = SmtpAddress::parse("NotifyEmail", "assistant@contoso.com").unwrap();
        let composed = compose(&m, &settings());
        assert!(composed.plain.contains("about the voice mail of Tony Smith (tony@contoso.com)"));
        let message = render(&m, &settings()).unwrap();
        let bytes = String::from_utf8(message.formatted()).unwrap();
        assert!(bytes.contains("To: assistant@contoso.com\r\n"));
    }

    #[test]
    fn message_id_and_date_are_stable() {
        let m = mail(Notification::PinChanged);
        let first = String::from_utf8(render(&m, &settings()).unwrap().formatted()).unwrap();
        assert!(first.contains("Message-ID: <6f1f5a3e-2c7b-4f7e-9a51-0c2d4b8e9f10@contoso.com>\r\n"));
        assert!(first.contains("Date: Fri, 14 Mar 2025 09:30:05 +0000\r\n"));
        assert!(first.contains("Auto-Submitted: auto-generated\r\n"));
        assert!(first.contains("multipart/alternative"));
        assert!(first.contains("From: \"Voice Mail\" <voicemail@contoso.com>\r\n"));
        assert!(first.contains("To: \"Tony Smith\" <tony@contoso.com>\r\n"));
    }

    #[test]
    fn plain_lines_are_wrapped() {
        let composed = compose(&mail(reset(ResetReason::TooManyFailures, "")), &settings());
        for line in composed.plain.lines() {
            assert!(line.chars().count() <= WRAP, "{line:?}");
        }
    }

    #[test]
    fn no_access_numbers_says_whom_to_ask() {
        let mut m = mail(reset(ResetReason::Administrator, ""));
        m.recipient.access_numbers.clear();
        m.recipient.extension = None;
        let composed = compose(&m, &settings());
        assert!(composed.plain.contains("    Access number:   ask your administrator\n"));
        assert!(!composed.plain.contains("Your extension"));
    }
}
