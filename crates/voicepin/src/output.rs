//! Printing objects: JSON with camelCase Exchange property names for scripts; for people, a
//! list of `Property : value` lines for one object (PowerShell's Format-List) and a table for
//! several (Format-Table), under Exchange's property names. The JSON of mailboxes, PINs,
//! policies, dial plans and audit events is the HTTP API's (`voicepin_wire`): one mapping
//! for both, so `--json` prints the same with or without `--server`.

use serde::Serialize;
use serde_json::Value;
use voicepin_wire::{
    AdminAccountView, ApiTokenView, AuditEventView, DialPlanView, MailRecordView, MailboxView, PinInfoView, PolicyView,
    SignInOutcomeView,
};

use crate::exit::Completion;

/// An object the CLI prints.
pub struct Printable {
    /// The object as JSON, camelCase.
    pub value: Value,
    /// The columns of a table of such objects.
    pub columns: &'static [&'static str],
}

/// The table columns of dial plans.
pub const DIAL_PLAN_COLUMNS: &[&str] =
    &["name", "numberOfDigitsInExtension", "accessTelephoneNumbers", "logonFailuresBeforeDisconnect"];
/// The table columns of UM mailbox policies.
pub const POLICY_COLUMNS: &[&str] =
    &["name", "umDialPlan", "minPinLength", "pinLifetime", "logonFailuresBeforePinReset", "maxLogonAttempts"];
/// The table columns of mailboxes.
pub const MAILBOX_COLUMNS: &[&str] = &["identity", "displayName", "extensions", "umMailboxPolicy", "umEnabled"];
/// The table columns of PIN states.
pub const PIN_INFO_COLUMNS: &[&str] = &["userId", "pinExpired", "firstTimeUser", "lockedOut"];
/// The table columns of audit events.
pub const AUDIT_EVENT_COLUMNS: &[&str] = &["time", "actor", "channel", "action", "target"];
/// The table columns of API tokens.
pub const TOKEN_COLUMNS: &[&str] = &["name", "role", "createdBy", "expirationTime", "revokedTime"];

/// A view of the wire vocabulary the CLI prints, and the columns of a table of such views.
/// The shapes are the HTTP API's own (`voicepin_wire`), so the CLI prints the same
/// properties whether it ran locally or through `--server`.
pub trait Shown: Serialize {
    /// The table columns.
    const COLUMNS: &'static [&'static str];
}

impl Shown for DialPlanView {
    const COLUMNS: &'static [&'static str] = DIAL_PLAN_COLUMNS;
}
impl Shown for PolicyView {
    const COLUMNS: &'static [&'static str] = POLICY_COLUMNS;
}
impl Shown for MailboxView {
    const COLUMNS: &'static [&'static str] = MAILBOX_COLUMNS;
}
impl Shown for PinInfoView {
    const COLUMNS: &'static [&'static str] = PIN_INFO_COLUMNS;
}
impl Shown for AuditEventView {
    const COLUMNS: &'static [&'static str] = AUDIT_EVENT_COLUMNS;
}
impl Shown for ApiTokenView {
    const COLUMNS: &'static [&'static str] = TOKEN_COLUMNS;
}
impl Shown for AdminAccountView {
    const COLUMNS: &'static [&'static str] = ACCOUNT_COLUMNS;
}
impl Shown for MailRecordView {
    const COLUMNS: &'static [&'static str] = MAIL_COLUMNS;
}

/// A view, printable.
pub fn shown<V: Shown>(view: &V) -> Printable {
    Printable { value: serde_json::to_value(view).unwrap_or(Value::Null), columns: V::COLUMNS }
}

/// The columns of a table of administrator accounts.
pub const ACCOUNT_COLUMNS: &[&str] =
    &["name", "role", "disabled", "mustChangePassword", "lockedUntil", "lastSignInTime"];
/// The columns of a table of queued messages.
pub const MAIL_COLUMNS: &[&str] = &["id", "to", "kind", "status", "attempts", "lastError"];

/// Policies: one reads better as a list than as a table.
pub fn print_policies(json: bool, mut policies: Vec<Printable>) {
    match (policies.len(), json) {
        (1, false) => policies.pop().into_iter().for_each(|p| print_one(json, p)),
        _ => print_many(json, policies),
    }
}

/// Says that Enable-UMMailbox -ValidateOnly passed.
pub fn validated(json: bool) {
    if !json {
        eprintln!("voicepin: validation passed; nothing was changed");
    }
}

/// Says that an account was removed.
pub fn account_removed(json: bool, name: &str) {
    if !json {
        eprintln!("voicepin: administrator account {name:?} removed");
    }
}

/// Prints a sign-in test's outcome; a failed one ends the command with exit code 1.
pub fn sign_in_outcome(json: bool, outcome: SignInOutcomeView) -> Completion {
    let text = match outcome {
        SignInOutcomeView::Success => "success",
        SignInOutcomeView::PinChangeRequired => "pinChangeRequired",
        SignInOutcomeView::Failed => "failed",
    };
    print_value(json, &serde_json::json!({ "outcome": outcome }), text);
    match outcome {
        SignInOutcomeView::Failed => Completion::SignInFailed,
        SignInOutcomeView::Success | SignInOutcomeView::PinChangeRequired => Completion::Done,
    }
}

/// A secret shown once, beside the record it was made for.
#[derive(Clone, Copy)]
pub enum ShownOnce {
    /// An API token (`token`).
    Token,
    /// An administrator's one-time password (`oneTimePassword`).
    OneTimePassword,
}

impl ShownOnce {
    /// The property the secret is printed as, in the API's spelling.
    pub fn key(self) -> &'static str {
        match self {
            Self::Token => "token",
            Self::OneTimePassword => "oneTimePassword",
        }
    }

    fn notice(self) -> &'static str {
        match self {
            Self::Token => "the token is shown once; keep it secret (Authorization: Bearer <token>)",
            Self::OneTimePassword => "the one-time password is shown once; it must be changed at the first sign-in",
        }
    }
}

/// Prints a record with its secret added (the only time the secret is shown); for people,
/// with a notice on standard error that it will not be shown again.
pub fn print_with_secret(json: bool, mut printed: Printable, shown: ShownOnce, secret: Value) {
    if let Value::Object(map) = &mut printed.value {
        map.insert(shown.key().into(), secret);
    }
    if !json {
        eprintln!("voicepin: {}", shown.notice());
    }
    print_one(json, printed);
}

/// Exchange's spelling of a camelCase property name.
fn display_name(key: &str) -> String {
    let exact = [
        ("userId", "UserID"),
        ("minPinLength", "MinPINLength"),
        ("pinLifetime", "PINLifetime"),
        ("pinHistoryCount", "PINHistoryCount"),
        ("logonFailuresBeforePinReset", "LogonFailuresBeforePINReset"),
        ("resetPinText", "ResetPINText"),
        ("umEnabledText", "UMEnabledText"),
        ("umDialPlan", "UMDialPlan"),
        ("umMailboxPolicy", "UMMailboxPolicy"),
        ("umEnabled", "UMEnabled"),
        ("primarySmtpAddress", "PrimarySmtpAddress"),
        ("id", "Id"),
    ];
    if let Some((_, name)) = exact.iter().find(|(k, _)| *k == key) {
        return (*name).to_owned();
    }
    let mut chars = key.chars();
    chars.next().map_or_else(String::new, |first| first.to_ascii_uppercase().to_string() + chars.as_str())
}

fn text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::String(s) => inert(s),
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(", "),
        Value::Object(map) => map.iter().map(|(k, v)| format!("{k}={}", text(v))).collect::<Vec<_>>().join(" "),
        Value::Number(n) => n.to_string(),
    }
}

/// `text` with every control character, and every character that reorders the line
/// (bidirectional overrides and isolates), shown as a `\u{..}` escape: stored text (an audit
/// source, a display name) can neither move the cursor nor forge a line of output.
pub fn inert(text: &str) -> String {
    let mut shown = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') {
            shown.push_str(&c.escape_unicode().to_string());
        } else {
            shown.push(c);
        }
    }
    shown
}

/// Writes one line to standard output. A reader that went away (`voicepin audit | head -1`)
/// ends the command quietly, with success: what it did is done, only the rest of its output
/// is not wanted.
fn out(line: impl std::fmt::Display) {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    if let Err(error) = writeln!(stdout, "{line}") {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("voicepin: cannot write the output: {error}");
        std::process::exit(1);
    }
}

/// Prints one object.
pub fn print_one(json: bool, object: Printable) {
    if json {
        out(serde_json::to_string_pretty(&object.value).unwrap_or_default());
        return;
    }
    let Value::Object(map) = &object.value else { return };
    let width = map.keys().map(|k| display_name(k).len()).max().unwrap_or(0);
    for (key, value) in map {
        out(format_args!("{:width$} : {}", display_name(key), text(value)));
    }
}

/// Prints several objects.
pub fn print_many(json: bool, objects: Vec<Printable>) {
    if json {
        let values: Vec<&Value> = objects.iter().map(|o| &o.value).collect();
        out(serde_json::to_string_pretty(&values).unwrap_or_default());
        return;
    }
    let Some(first) = objects.first() else { return };
    let columns = first.columns;
    let rows: Vec<Vec<String>> = objects
        .iter()
        .map(|o| columns.iter().map(|c| text(o.value.get(*c).unwrap_or(&Value::Null))).collect())
        .collect();
    let headers: Vec<String> = columns.iter().map(|c| display_name(c)).collect();
    let widths: Vec<usize> = (0..columns.len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).chain([headers[i].len()]).max().unwrap_or(0))
        .collect();
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| format!("{c:w$}")).collect();
        out(padded.join("  ").trim_end());
    };
    line(&headers);
    line(&widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>());
    for row in &rows {
        line(row);
    }
}

/// `inert` line by line: the lines a command meant stay lines.
fn inert_lines(text: &str) -> String {
    text.lines().map(inert).collect::<Vec<_>>().join("\n")
}

/// Prints a value that is already JSON-shaped (the sign-in outcome, reports).
pub fn print_value<T: Serialize>(json: bool, value: &T, plain: &str) {
    if json {
        out(serde_json::to_string_pretty(value).unwrap_or_default());
    } else {
        out(inert_lines(plain));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_text_cannot_move_the_cursor_or_forge_a_line() {
        let forged = "+14255550100\n2026-01-01 pin.set admin\u{1b}[2J\u{202e}gnp.exe\u{7}";
        let shown = text(&Value::String(forged.to_owned()));
        assert!(!shown.chars().any(|c| c.is_control() || c == '\u{202e}'), "{shown}");
        assert_eq!(shown, "+14255550100\\u{a}2026-01-01 pin.set admin\\u{1b}[2J\\u{202e}gnp.exe\\u{7}");
        assert_eq!(inert("Tony Smith · Zürich"), "Tony Smith · Zürich");
    }
}
