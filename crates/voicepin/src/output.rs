//! Printing objects: JSON with camelCase Exchange property names for scripts; for people, a
//! list of `Property : value` lines for one object (PowerShell's Format-List) and a table for
//! several (Format-Table), under Exchange's property names.

use serde::Serialize;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use voicepin_core::audit::AuditEvent;
use voicepin_core::policy::{DialPlan, MailboxPolicy};
use voicepin_core::ports::{MailRecord, MailStatus};
use voicepin_core::tokens::ApiToken;
use voicepin_core::usecases::PinInfo;
use voicepin_core::{mailbox::Mailbox, policy::PinPolicy};

/// An object the CLI prints.
pub struct Printable {
    /// The object as JSON, camelCase.
    pub value: Value,
    /// The columns of a table of such objects.
    pub columns: &'static [&'static str],
}

fn time(at: Option<OffsetDateTime>) -> Value {
    at.and_then(|t| t.format(&Rfc3339).ok()).map_or(Value::Null, Value::String)
}

/// A dial plan.
pub fn dial_plan(plan: &DialPlan) -> Printable {
    Printable {
        value: json!({
            "identity": plan.name.as_str(),
            "id": plan.id,
            "name": plan.name.as_str(),
            "numberOfDigitsInExtension": plan.extension_length.get(),
            "accessTelephoneNumbers": plan.access_numbers.iter().map(|n| n.as_str()).collect::<Vec<_>>(),
            "logonFailuresBeforeDisconnect": plan.logon_failures_before_disconnect.get(),
            "inputFailuresBeforeDisconnect": plan.input_failures_before_disconnect.get(),
        }),
        columns: &["name", "numberOfDigitsInExtension", "accessTelephoneNumbers", "logonFailuresBeforeDisconnect"],
    }
}

fn pin_policy_fields(pin: &PinPolicy, object: &mut Map<String, Value>) {
    let values = json!({
        "minPinLength": pin.min_pin_length.get(),
        "pinLifetime": pin.pin_lifetime,
        "pinHistoryCount": pin.pin_history_count.get(),
        "allowCommonPatterns": pin.allow_common_patterns,
        "logonFailuresBeforePinReset": pin.logon_failures_before_pin_reset,
        "maxLogonAttempts": pin.max_logon_attempts.get(),
    });
    if let Value::Object(values) = values {
        object.extend(values);
    }
    if let Ok(Value::Object(extended)) = serde_json::to_value(pin.extended) {
        object.extend(extended);
    }
}

/// A UM mailbox policy, with its dial plan's name.
pub fn policy(policy: &MailboxPolicy, dial_plan_name: &str) -> Printable {
    let mut object = Map::new();
    object.insert("identity".into(), json!(policy.name.as_str()));
    object.insert("id".into(), json!(policy.id));
    object.insert("name".into(), json!(policy.name.as_str()));
    object.insert("umDialPlan".into(), json!(dial_plan_name));
    pin_policy_fields(&policy.pin, &mut object);
    object.insert("resetPinText".into(), json!(policy.reset_pin_text.as_str()));
    object.insert("umEnabledText".into(), json!(policy.um_enabled_text.as_str()));
    object.insert("allowSubscriberAccess".into(), json!(policy.allow_subscriber_access));
    object.insert("allowPinlessVoiceMailAccess".into(), json!(policy.allow_pinless_voice_mail_access));
    Printable {
        value: Value::Object(object),
        columns: &[
            "name",
            "umDialPlan",
            "minPinLength",
            "pinLifetime",
            "logonFailuresBeforePinReset",
            "maxLogonAttempts",
        ],
    }
}

/// A UM mailbox, with its policy's and dial plan's names.
pub fn mailbox(mailbox: &Mailbox, policy_name: &str, dial_plan_name: &str) -> Printable {
    Printable {
        value: json!({
            "identity": mailbox.smtp_address.as_str(),
            "id": mailbox.id,
            "primarySmtpAddress": mailbox.smtp_address.as_str(),
            "alias": mailbox.alias,
            "displayName": mailbox.display_name,
            "firstName": mailbox.first_name,
            "lastName": mailbox.last_name,
            "umEnabled": mailbox.um_enabled,
            "umMailboxPolicy": policy_name,
            "umDialPlan": dial_plan_name,
            "extensions": mailbox.extensions.iter().map(|e| e.as_str()).collect::<Vec<_>>(),
            "phoneNumbers": mailbox.phone_numbers.iter().map(|n| n.as_str()).collect::<Vec<_>>(),
            "subscriberAccessEnabled": mailbox.subscriber_access_enabled,
            "pinlessAccessToVoiceMailEnabled": mailbox.pinless_access_to_voice_mail_enabled,
            "whenCreated": time(Some(mailbox.created_at)),
        }),
        columns: &["identity", "displayName", "extensions", "umMailboxPolicy", "umEnabled"],
    }
}

/// Get-UMMailboxPIN's output.
pub fn pin_info(info: &PinInfo) -> Printable {
    Printable {
        value: json!({
            "userId": info.user_id,
            "identity": info.user_id,
            "pinExpired": info.pin_expired,
            "firstTimeUser": info.first_time_user,
            "lockedOut": info.locked_out,
            "umEnabled": info.um_enabled,
            "consecutiveFailures": info.consecutive_failures,
            "totalFailures": info.total_failures,
            "pinSetTime": time(info.pin_set_at),
            "pinExpirationTime": time(info.pin_expires_at),
            "lastFailureTime": time(info.last_failure_at),
            "lastSignInTime": time(info.last_sign_in_at),
        }),
        columns: &["userId", "pinExpired", "firstTimeUser", "lockedOut"],
    }
}

/// An audit event.
pub fn audit_event(event: &AuditEvent) -> Printable {
    Printable {
        value: json!({
            "id": event.id,
            "time": time(Some(event.at)),
            "actor": event.actor,
            "role": event.role,
            "channel": event.channel.as_str(),
            "source": event.source,
            "action": event.action.as_str(),
            "mailboxId": event.mailbox_id,
            "target": event.target,
            "details": event.details,
        }),
        columns: &["time", "actor", "channel", "action", "target"],
    }
}

/// A queued message's metadata.
pub fn mail_record(record: &MailRecord) -> Printable {
    let status = match record.status {
        MailStatus::Queued => "queued",
        MailStatus::Sent => "sent",
        MailStatus::Failed => "failed",
    };
    Printable {
        value: json!({
            "id": record.id,
            "mailboxId": record.mailbox_id,
            "to": record.to,
            "kind": record.kind,
            "status": status,
            "attempts": record.attempts,
            "createdTime": time(Some(record.created_at)),
            "nextAttemptTime": time(Some(record.next_attempt_at)),
            "sentTime": time(record.sent_at),
            "lastError": record.last_error,
        }),
        columns: &["id", "to", "kind", "status", "attempts", "lastError"],
    }
}

/// An API token (never its secret).
pub fn token(token: &ApiToken) -> Printable {
    Printable {
        value: json!({
            "id": token.id,
            "name": token.name,
            "role": token.role.as_str(),
            "createdBy": token.created_by,
            "createdTime": time(Some(token.created_at)),
            "expirationTime": time(token.expires_at),
            "revokedTime": time(token.revoked_at),
        }),
        columns: &["name", "role", "createdBy", "expirationTime", "revokedTime"],
    }
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
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(", "),
        Value::Object(map) => map.iter().map(|(k, v)| format!("{k}={}", text(v))).collect::<Vec<_>>().join(" "),
        Value::Number(n) => n.to_string(),
    }
}

/// Prints one object.
pub fn print_one(json: bool, object: Printable) {
    if json {
        println!("{}", serde_json::to_string_pretty(&object.value).unwrap_or_default());
        return;
    }
    let Value::Object(map) = &object.value else { return };
    let width = map.keys().map(|k| display_name(k).len()).max().unwrap_or(0);
    for (key, value) in map {
        println!("{:width$} : {}", display_name(key), text(value));
    }
}

/// Prints several objects.
pub fn print_many(json: bool, objects: Vec<Printable>) {
    if json {
        let values: Vec<&Value> = objects.iter().map(|o| &o.value).collect();
        println!("{}", serde_json::to_string_pretty(&values).unwrap_or_default());
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
        println!("{}", padded.join("  ").trim_end());
    };
    line(&headers);
    line(&widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>());
    for row in &rows {
        line(row);
    }
}

/// Prints a value that is already JSON-shaped (the sign-in outcome, reports).
pub fn print_value<T: Serialize>(json: bool, value: &T, plain: &str) {
    if json {
        println!("{}", serde_json::to_string_pretty(value).unwrap_or_default());
    } else {
        println!("{plain}");
    }
}
