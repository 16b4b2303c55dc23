//! UM mailboxes and their PIN state.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::hashing::PinHash;
use crate::ids::{DialPlanId, MailboxId, PolicyId, Revision};
use crate::invalid::InvalidValue;
use crate::policy::{ExtensionLength, PinPolicy};

/// The most previous PIN hashes kept (the largest PINHistoryCount).
pub const MAX_HISTORY: usize = 20;

/// A primary SMTP address, stored in lower case: the identity of a UM mailbox.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SmtpAddress(String);

impl SmtpAddress {
    /// Checks a new address for the parameter `field`: one that mail can be delivered to,
    /// `local@domain` in ASCII. The local part is 1 to 64 letters, digits and
    /// ``.!#$%&'*+-=?^_~`` (no `/`, no leading, trailing or doubled dot); the domain is at
    /// least two labels of letters, digits and inner hyphens (at most 63 each, 253 in all).
    pub fn parse(field: &'static str, text: &str) -> Result<Self, InvalidValue> {
        let text = text.trim();
        let valid = text.split_once('@').is_some_and(|(local, domain)| valid_local(local) && valid_domain(domain));
        if valid {
            Ok(Self(text.to_lowercase()))
        } else {
            let shown: String = text.chars().take(80).flat_map(char::escape_default).collect();
            Err(InvalidValue::new(field, "a deliverable email address such as tonysmith@contoso.com", shown))
        }
    }

    /// An address read back from storage, written before [`Self::parse`] was as strict: only
    /// the old shape is checked (`local@domain`, no spaces or controls), so such a row stays
    /// readable and can be corrected.
    pub fn from_stored(field: &'static str, text: &str) -> Result<Self, InvalidValue> {
        let text = text.trim();
        let valid = text.len() <= 320
            && text.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && !domain.is_empty()
                    && !domain.contains('@')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            })
            && !text.chars().any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\"\\".contains(c));
        if valid {
            Ok(Self(text.to_lowercase()))
        } else {
            Err(InvalidValue::new(field, "an email address such as tonysmith@contoso.com", text.to_owned()))
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before `@`, the default alias.
    pub fn local_part(&self) -> &str {
        self.0.split_once('@').map_or(self.0.as_str(), |(local, _)| local)
    }
}

/// RFC 5321's dot-atom local part, less `/`, `` ` ``, `{`, `|` and `}` (path and shell
/// characters no mailbox needs).
fn valid_local(local: &str) -> bool {
    (1..=64).contains(&local.len())
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.bytes().all(|b| b.is_ascii_alphanumeric() || b".!#$%&'*+-=?^_~".contains(&b))
}

/// A host name of at least two labels (IDNs in their `xn--` form).
fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    domain.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|label| {
            (1..=63).contains(&label.len())
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

impl fmt::Display for SmtpAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An extension: exactly the dial plan's number of digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Extension(String);

impl Extension {
    /// Exchange's name for a mailbox's extensions.
    pub const FIELD: &'static str = "Extensions";

    /// Checks an extension against the dial plan's length.
    pub fn parse(text: &str, length: ExtensionLength) -> Result<Self, InvalidValue> {
        let text = text.trim();
        let digits = usize::from(length.get());
        if text.len() == digits && text.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(text.to_owned()))
        } else {
            Err(InvalidValue::new(
                Self::FIELD,
                &format!("{digits} digits (the dial plan's NumberOfDigitsInExtension)"),
                text.to_owned(),
            ))
        }
    }

    /// Wraps a stored extension.
    pub fn from_stored(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Extension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A telephone number in E.164 form (`+` and 2-15 digits), used to recognise the caller.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct E164Number(String);

impl E164Number {
    /// Exchange-style name of the parameter.
    pub const FIELD: &'static str = "PhoneNumbers";

    /// Checks an E.164 number.
    pub fn parse(text: &str) -> Result<Self, InvalidValue> {
        let text = text.trim();
        let valid = text.strip_prefix('+').is_some_and(|d| {
            (2..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()) && !d.starts_with('0')
        });
        if valid {
            Ok(Self(text.to_owned()))
        } else {
            Err(InvalidValue::new(
                Self::FIELD,
                "an E.164 number: + then 2 to 15 digits, such as +14255550100",
                text.to_owned(),
            ))
        }
    }

    /// The number.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The PIN state of a mailbox, as Get-UMMailboxPIN reports it and more.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PinState {
    /// The current PIN's hash; `None` only after the properties were removed.
    pub hash: Option<PinHash>,
    /// When the current PIN was set: PINLifetime runs from here.
    pub set_at: Option<OffsetDateTime>,
    /// PinExpired: the PIN must be changed at the next sign-in.
    pub expired: bool,
    /// FirstTimeUser: the user has not yet completed the first sign-in.
    pub first_time_user: bool,
    /// LockedOut: no sign-in until an administrator unlocks the mailbox.
    pub locked_out: bool,
    /// Failed sign-ins since the last success or reset (LogonFailuresBeforePINReset).
    pub consecutive_failures: u32,
    /// Failed sign-ins since the last success, across resets (MaxLogonAttempts).
    pub total_failures: u32,
    /// When the last failed sign-in happened.
    pub last_failure_at: Option<OffsetDateTime>,
    /// When the last successful sign-in happened.
    pub last_sign_in_at: Option<OffsetDateTime>,
    /// Hashes of the most recent PINs, the current one first, at most [`MAX_HISTORY`].
    pub history: Vec<PinHash>,
}

impl PinState {
    /// Installs a new PIN hash: pushes it onto the history and restarts the lifetime.
    pub fn install(&mut self, hash: PinHash, expired: bool, now: OffsetDateTime) {
        self.history.insert(0, hash.clone());
        self.history.truncate(MAX_HISTORY);
        self.hash = Some(hash);
        self.set_at = Some(now);
        self.expired = expired;
    }

    /// Clears the failure counters (a success, an unlock or an administrator's reset).
    pub fn clear_failures(&mut self) {
        self.consecutive_failures = 0;
        self.total_failures = 0;
    }

    /// When the current PIN expires under `policy`, `None` if it never does.
    pub fn expires_at(&self, policy: &PinPolicy) -> Option<OffsetDateTime> {
        Some(self.set_at? + policy.pin_lifetime.duration()?)
    }

    /// Whether the PIN must be changed now: PinExpired, or its lifetime has passed.
    pub fn must_change(&self, policy: &PinPolicy, now: OffsetDateTime) -> bool {
        self.expired || self.expires_at(policy).is_some_and(|at| now >= at)
    }
}

/// A UM-enabled mailbox (or one disabled with its properties kept).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mailbox {
    /// Stable identifier.
    pub id: MailboxId,
    /// Version for optimistic concurrency.
    pub revision: Revision,
    /// The primary SMTP address, unique: the Identity.
    pub smtp_address: SmtpAddress,
    /// The alias, by default the address's local part; resolves as an identity too.
    pub alias: String,
    /// Display name.
    pub display_name: String,
    /// First name (for the name-on-keypad check and the greeting in emails).
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// The UM mailbox policy.
    pub policy_id: PolicyId,
    /// The dial plan of the policy, where the extensions are unique.
    pub dial_plan_id: DialPlanId,
    /// Extensions, the primary one first; each unique in the dial plan.
    pub extensions: Vec<Extension>,
    /// Phone numbers in E.164 form, for caller ID.
    pub phone_numbers: Vec<E164Number>,
    /// Whether the mailbox is enabled for Unified Messaging.
    pub um_enabled: bool,
    /// SubscriberAccessEnabled: whether this user may sign in by phone.
    pub subscriber_access_enabled: bool,
    /// PinlessAccessToVoiceMailEnabled.
    pub pinless_access_to_voice_mail_enabled: bool,
    /// Whether callers hear the out-of-office greeting (the owner turns it on and off by phone).
    pub out_of_office: bool,
    /// The PIN state.
    pub pin: PinState,
    /// When the mailbox was first enabled.
    pub created_at: OffsetDateTime,
}

impl Mailbox {
    /// The primary extension.
    pub fn primary_extension(&self) -> Option<&Extension> {
        self.extensions.first()
    }

    /// The extensions as plain strings, for the rules.
    pub fn extension_strings(&self) -> Vec<String> {
        self.extensions.iter().map(|e| e.as_str().to_owned()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_addresses_are_checked_and_lowercased() {
        let address = SmtpAddress::parse("Identity", " TonySmith@Contoso.com ").unwrap();
        assert_eq!(address.as_str(), "tonysmith@contoso.com");
        assert_eq!(address.local_part(), "tonysmith");
        for bad in ["", "tony", "@contoso.com", "tony@", "tony smith@contoso.com", "a@b@c", "tony@.com"] {
            assert!(SmtpAddress::parse("Identity", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_deliverable_addresses_are_taken() {
        for good in ["tonysmith@contoso.com", "Tony.Smith+um@mail.contoso.co.uk", "a@xn--bcher-kva.example"] {
            assert!(SmtpAddress::parse("Identity", good).is_ok(), "{good}");
        }
        let long_local = format!("{}@contoso.com", "a".repeat(65));
        for bad in [
            "../../etc@contoso.com",
            "/",
            "a/b@contoso.com",
            "tony\u{202e}@contoso.com",
            "tony@contoso\u{202e}.com",
            "jürgen@contoso.com",
            ".tony@contoso.com",
            "to..ny@contoso.com",
            "tony@contoso",
            "tony@-contoso.com",
            "tony@contoso..com",
            "tony@@contoso.com",
            long_local.as_str(),
        ] {
            assert!(SmtpAddress::parse("Identity", bad).is_err(), "{bad:?}");
        }
        // What was stored before stays readable.
        assert!(SmtpAddress::from_stored("Identity", "../../etc@contoso.com").is_ok());
    }

    #[test]
    fn extensions_have_the_dial_plans_length() {
        let five = ExtensionLength::new(5).unwrap();
        assert!(Extension::parse("36697", five).is_ok());
        assert!(Extension::parse("3669", five).is_err());
        assert!(Extension::parse("3669a", five).is_err());
        let err = Extension::parse("123", five).unwrap_err();
        assert_eq!(err.field, "Extensions");
    }

    #[test]
    fn e164_numbers() {
        assert!(E164Number::parse("+14255550100").is_ok());
        assert!(E164Number::parse("14255550100").is_err());
        assert!(E164Number::parse("+0425").is_err());
        assert!(E164Number::parse("+1425555010012345").is_err());
    }

    #[test]
    fn lifetime_runs_from_the_last_change() {
        let policy = PinPolicy::default();
        let set = time::macros::datetime!(2026-01-01 00:00 UTC);
        let mut state = PinState::default();
        state.install(PinHash::from_stored("h1"), false, set);
        assert!(!state.must_change(&policy, set + time::Duration::days(59)));
        assert!(state.must_change(&policy, set + time::Duration::days(60)));
        let unlimited = PinPolicy { pin_lifetime: crate::policy::PinLifetime::Unlimited, ..policy };
        assert!(!state.must_change(&unlimited, set + time::Duration::days(6000)));
        state.expired = true;
        assert!(state.must_change(&unlimited, set));
    }

    #[test]
    fn history_keeps_the_most_recent_twenty() {
        let mut state = PinState::default();
        let now = OffsetDateTime::UNIX_EPOCH;
        for i in 0..25 {
            state.install(PinHash::from_stored(format!("h{i}")), false, now);
        }
        assert_eq!(state.history.len(), MAX_HISTORY);
        assert_eq!(state.history[0].as_str(), "h24");
        assert_eq!(state.hash.as_ref().map(PinHash::as_str), Some("h24"));
    }
}
