//! How domain values become column values and back, for every SQL backend: the conventions
//! the migrations describe (times as nanoseconds, ids as text, keys in lower case).

use std::collections::BTreeMap;
use std::fmt::Display;
use std::str::FromStr;

use time::OffsetDateTime;
use voicepin_core::StoreError;
use voicepin_core::hashing::PinHash;
use voicepin_core::mailbox::Mailbox;
use voicepin_core::ports::MailStatus;

/// A backend failure with a message.
pub(crate) fn backend(message: impl Display) -> StoreError {
    StoreError::Backend(message.to_string())
}

/// A stored value the domain refuses: the database was changed behind voicepin's back.
pub(crate) fn corrupt(what: &str, error: impl Display) -> StoreError {
    StoreError::Backend(format!("stored {what} is not valid: {error}"))
}

/// A time as nanoseconds since the Unix epoch (UTC), exact and ordered.
pub(crate) fn nanos(at: OffsetDateTime) -> Result<i64, StoreError> {
    i64::try_from(at.unix_timestamp_nanos()).map_err(|_| backend(format!("time {at} is outside the storable range")))
}

/// The start of a time's minute, as nanoseconds (the sign-in failure counts' buckets).
pub(crate) fn minute(at: OffsetDateTime) -> Result<i64, StoreError> {
    const MINUTE: i64 = 60_000_000_000;
    let at = nanos(at)?;
    Ok(at - at.rem_euclid(MINUTE))
}

/// An optional time as nanoseconds.
pub(crate) fn nanos_opt(at: Option<OffsetDateTime>) -> Result<Option<i64>, StoreError> {
    at.map(nanos).transpose()
}

/// Nanoseconds back to a UTC time.
pub(crate) fn time(nanos: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(nanos)).map_err(|e| corrupt("time", e))
}

/// Optional nanoseconds back to a UTC time.
pub(crate) fn time_opt(nanos: Option<i64>) -> Result<Option<OffsetDateTime>, StoreError> {
    nanos.map(time).transpose()
}

/// Parses a stored id.
pub(crate) fn id<T: FromStr>(text: &str) -> Result<T, StoreError>
where
    T::Err: Display,
{
    text.parse().map_err(|e| corrupt("identifier", e))
}

/// A stored non-negative count.
pub(crate) fn count(value: i64) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|e| corrupt("counter", e))
}

/// A count for a column.
pub(crate) fn count_column(value: u32) -> i64 {
    i64::from(value)
}

/// The key that makes names unique regardless of case (Unicode lower case, unlike
/// SQLite's ASCII-only NOCASE).
pub(crate) fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// What a `search` scans: the address, display, first and last name, in lower case, one
/// per line (none of them may contain a line break).
pub(crate) fn search_key(mailbox: &Mailbox) -> String {
    [mailbox.smtp_address.as_str(), &mailbox.display_name, &mailbox.first_name, &mailbox.last_name]
        .map(str::to_lowercase)
        .join("\n")
}

/// A list of strings as a JSON array.
pub(crate) fn json_list<'a>(items: impl IntoIterator<Item = &'a str>) -> Result<String, StoreError> {
    serde_json::to_string(&items.into_iter().collect::<Vec<_>>()).map_err(backend)
}

/// A JSON array of strings back to a list.
pub(crate) fn parse_json_list(what: &str, text: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(text).map_err(|e| corrupt(what, e))
}

/// A PIN history as a JSON array of PHC strings.
pub(crate) fn history_json(history: &[PinHash]) -> Result<String, StoreError> {
    json_list(history.iter().map(PinHash::as_str))
}

/// Audit details as a JSON object.
pub(crate) fn details_json(details: &BTreeMap<String, String>) -> Result<String, StoreError> {
    serde_json::to_string(details).map_err(backend)
}

/// A JSON object of strings back to audit details.
pub(crate) fn parse_details(text: &str) -> Result<BTreeMap<String, String>, StoreError> {
    serde_json::from_str(text).map_err(|e| corrupt("audit details", e))
}

/// A delivery state as stored.
pub(crate) fn status_text(status: MailStatus) -> &'static str {
    match status {
        MailStatus::Queued => "queued",
        MailStatus::Sent => "sent",
        MailStatus::Failed => "failed",
    }
}

/// A stored delivery state.
pub(crate) fn parse_status(text: &str) -> Result<MailStatus, StoreError> {
    match text {
        "queued" => Ok(MailStatus::Queued),
        "sent" => Ok(MailStatus::Sent),
        "failed" => Ok(MailStatus::Failed),
        other => Err(corrupt("mail status", other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_to_the_nanosecond_and_keep_their_order() {
        let a = time::macros::datetime!(2026-11-28 12:00:00.123456789 UTC);
        let b = a + time::Duration::nanoseconds(1);
        assert_eq!(time(nanos(a).unwrap()).unwrap(), a);
        assert!(nanos(a).unwrap() < nanos(b).unwrap());
        let far = time::macros::datetime!(2300-01-01 00:00 UTC);
        assert!(nanos(far).is_err());
    }

    #[test]
    fn name_keys_fold_unicode_case() {
        assert_eq!(name_key(" Überplan "), name_key("überPLAN"));
    }

    #[test]
    fn statuses_round_trip() {
        for status in [MailStatus::Queued, MailStatus::Sent, MailStatus::Failed] {
            assert_eq!(parse_status(status_text(status)).unwrap(), status);
        }
        assert!(parse_status("lost").is_err());
    }
}
