//! UM dial plans and UM mailbox policies, with Exchange's names, ranges and defaults.
//!
//! Every value type checks its own range when it is made, so a policy in memory is always a
//! valid one. Ranges follow exchange-um.md §2 and §10 (1-998 or Unlimited for
//! LogonFailuresBeforePINReset, 1-999 or Unlimited for PINLifetime).

use std::fmt;

use serde::{Deserialize, Serialize};
use time::Duration;

use crate::ids::{DialPlanId, PolicyId, Revision};
use crate::invalid::InvalidValue;

/// The longest name of a dial plan or policy (Exchange: 64 characters).
pub const MAX_NAME_LENGTH: usize = 64;
/// The longest policy text (ResetPINText, UMEnabledText).
pub const MAX_TEXT_LENGTH: usize = 512;
/// The longest access telephone number.
pub const MAX_ACCESS_NUMBER_LENGTH: usize = 32;

fn out_of_range(field: &'static str, allowed: &str, given: impl fmt::Display) -> InvalidValue {
    InvalidValue::new(field, allowed, given.to_string())
}

/// The name of a dial plan or policy: 1-64 printable characters, trimmed.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ObjectName(String);

impl ObjectName {
    /// Checks a name for the parameter `field`.
    pub fn parse(field: &'static str, text: &str) -> Result<Self, InvalidValue> {
        let name = text.trim();
        let allowed = "1 to 64 characters, no control characters";
        if name.is_empty() || name.chars().count() > MAX_NAME_LENGTH {
            return Err(out_of_range(field, allowed, format!("{} characters", name.chars().count())));
        }
        if name.chars().any(char::is_control) {
            return Err(out_of_range(field, allowed, "a control character"));
        }
        Ok(Self(name.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ObjectName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A bounded integer setting.
macro_rules! bounded {
    ($(#[$doc:meta])* $name:ident, $field:literal, $min:literal ..= $max:literal, default $default:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "u32", into = "u32")]
        pub struct $name(u16);

        impl $name {
            /// The smallest allowed value.
            pub const MIN: u16 = $min;
            /// The largest allowed value.
            pub const MAX: u16 = $max;
            /// Exchange's name for this setting.
            pub const FIELD: &'static str = $field;

            /// Checks the range.
            pub fn new(value: u32) -> Result<Self, InvalidValue> {
                if (u32::from(Self::MIN)..=u32::from(Self::MAX)).contains(&value) {
                    Ok(Self(value as u16))
                } else {
                    Err(out_of_range($field, concat!(stringify!($min), " to ", stringify!($max)), value))
                }
            }

            /// The value.
            pub fn get(self) -> u16 {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self($default)
            }
        }

        impl TryFrom<u32> for $name {
            type Error = InvalidValue;
            fn try_from(value: u32) -> Result<Self, Self::Error> {
                Self::new(value)
            }
        }

        impl From<$name> for u32 {
            fn from(value: $name) -> u32 {
                u32::from(value.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

bounded!(
    /// Digits in an extension of a dial plan (NumberOfDigitsInExtension, 1-20, required).
    ExtensionLength, "NumberOfDigitsInExtension", 1..=20, default 5
);
bounded!(
    /// Failed sign-ins in one call before it is disconnected (LogonFailuresBeforeDisconnect).
    LogonFailuresBeforeDisconnect, "LogonFailuresBeforeDisconnect", 1..=20, default 3
);
bounded!(
    /// Invalid inputs in one call before it is disconnected (InputFailuresBeforeDisconnect).
    InputFailuresBeforeDisconnect, "InputFailuresBeforeDisconnect", 1..=20, default 3
);
bounded!(
    /// The minimum number of digits in a PIN (MinPINLength).
    MinPinLength, "MinPINLength", 4..=24, default 6
);
bounded!(
    /// How many previous PINs, the current one included, a new PIN may not repeat
    /// (PINHistoryCount).
    PinHistoryCount, "PINHistoryCount", 1..=20, default 5
);
bounded!(
    /// Failed sign-ins in successive calls before the mailbox is locked (MaxLogonAttempts).
    MaxLogonAttempts, "MaxLogonAttempts", 1..=999, default 15
);

/// How long a PIN lasts before the user must change it (PINLifetime).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PinLifetime {
    /// A number of days from the last change, 1-999.
    Days(u16),
    /// PINs never expire.
    Unlimited,
}

impl PinLifetime {
    /// Exchange's name for this setting.
    pub const FIELD: &'static str = "PINLifetime";

    /// A lifetime in days, 1-999.
    pub fn days(days: u32) -> Result<Self, InvalidValue> {
        if (1..=999).contains(&days) {
            Ok(Self::Days(days as u16))
        } else {
            Err(out_of_range(Self::FIELD, "1 to 999 or unlimited", days))
        }
    }

    /// The lifetime as a duration, `None` when unlimited.
    pub fn duration(self) -> Option<Duration> {
        match self {
            Self::Days(days) => Some(Duration::days(i64::from(days))),
            Self::Unlimited => None,
        }
    }
}

impl Default for PinLifetime {
    fn default() -> Self {
        Self::Days(60)
    }
}

/// Sequential failed sign-ins before the PIN is reset automatically
/// (LogonFailuresBeforePINReset).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PinResetThreshold {
    /// Reset after this many sequential failures, 1-998.
    After(u16),
    /// Never reset automatically.
    Unlimited,
}

impl PinResetThreshold {
    /// Exchange's name for this setting.
    pub const FIELD: &'static str = "LogonFailuresBeforePINReset";

    /// A threshold of 1-998 failures.
    pub fn after(failures: u32) -> Result<Self, InvalidValue> {
        if (1..=998).contains(&failures) {
            Ok(Self::After(failures as u16))
        } else {
            Err(out_of_range(Self::FIELD, "1 to 998 or unlimited", failures))
        }
    }
}

impl Default for PinResetThreshold {
    fn default() -> Self {
        Self::After(5)
    }
}

/// Unlimited-or-number settings in text: `unlimited` or a number, as the cmdlets take them.
macro_rules! unlimited_text {
    ($name:ident, $ctor:ident, $variant:ident, $allowed:literal) => {
        impl std::str::FromStr for $name {
            type Err = InvalidValue;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                let text = text.trim();
                if text.eq_ignore_ascii_case("unlimited") {
                    return Ok(Self::Unlimited);
                }
                text.parse::<u32>().map_err(|_| out_of_range(Self::FIELD, $allowed, text)).and_then(Self::$ctor)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    Self::$variant(n) => n.fmt(f),
                    Self::Unlimited => f.write_str("Unlimited"),
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                match self {
                    Self::$variant(n) => s.serialize_u16(*n),
                    Self::Unlimited => s.serialize_str("unlimited"),
                }
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                #[derive(Deserialize)]
                #[serde(untagged)]
                enum Raw {
                    Number(u32),
                    Text(String),
                }
                match Raw::deserialize(d)? {
                    Raw::Number(n) => Self::$ctor(n),
                    Raw::Text(text) => text.parse(),
                }
                .map_err(serde::de::Error::custom)
            }
        }
    };
}

unlimited_text!(PinLifetime, days, Days, "1 to 999 or unlimited");
unlimited_text!(PinResetThreshold, after, After, "1 to 998 or unlimited");

/// A policy text (ResetPINText, UMEnabledText): at most 512 characters of simple HTML.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PolicyText(String);

impl PolicyText {
    /// Checks the length for the parameter `field`.
    pub fn parse(field: &'static str, text: &str) -> Result<Self, InvalidValue> {
        let count = text.chars().count();
        if count > MAX_TEXT_LENGTH {
            return Err(out_of_range(field, "at most 512 characters", format!("{count} characters")));
        }
        Ok(Self(text.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the text is empty (the default text is used then).
    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }
}

/// The extended PIN checks beyond Exchange (Cisco Unity Connection's trivial checks and more).
/// Each is a named switch, off in a new policy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ExtendedChecks {
    /// The PIN may not contain any of the mailbox's extensions, nor one reversed.
    pub block_extension_in_pin: bool,
    /// The PIN may not be the first or last name spelled on the keypad.
    pub block_name_on_keypad: bool,
    /// The PIN may not repeat a group of three or more digits (408408).
    pub block_repeated_groups: bool,
    /// The PIN must have at least three different digits.
    pub require_three_distinct_digits: bool,
    /// No digit may appear more than twice in a row (28883).
    pub block_digit_runs: bool,
    /// The PIN may not contain three keys in a straight keypad line (159, 147, 123).
    pub block_keypad_lines: bool,
    /// The PIN may not be one of the most common PINs.
    pub block_common_pins: bool,
    /// The PIN may not be a previous PIN reversed.
    pub block_reversed_history: bool,
}

/// The PIN rules of a UM mailbox policy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PinPolicy {
    /// MinPINLength, 4-24, default 6.
    pub min_pin_length: MinPinLength,
    /// PINLifetime, default 60 days.
    pub pin_lifetime: PinLifetime,
    /// PINHistoryCount, 1-20, default 5.
    pub pin_history_count: PinHistoryCount,
    /// AllowCommonPatterns, default false.
    pub allow_common_patterns: bool,
    /// LogonFailuresBeforePINReset, default 5; below MaxLogonAttempts unless unlimited.
    pub logon_failures_before_pin_reset: PinResetThreshold,
    /// MaxLogonAttempts, 1-999, default 15.
    pub max_logon_attempts: MaxLogonAttempts,
    /// The extended checks, all off by default.
    pub extended: ExtendedChecks,
}

impl PinPolicy {
    /// Checks the rules that tie two settings together.
    pub fn check_consistency(&self) -> Result<(), InvalidValue> {
        if let PinResetThreshold::After(reset) = self.logon_failures_before_pin_reset {
            let max = self.max_logon_attempts.get();
            if reset >= max {
                return Err(InvalidValue::new(
                    PinResetThreshold::FIELD,
                    &format!("less than MaxLogonAttempts ({max}) or unlimited"),
                    reset.to_string(),
                ));
            }
        }
        Ok(())
    }

    /// The length of a generated PIN: max(MinPINLength, 6).
    pub fn generated_length(&self) -> usize {
        usize::from(self.min_pin_length.get()).max(6)
    }
}

/// A UM dial plan: extension length, access numbers and per-call limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DialPlan {
    /// Stable identifier.
    pub id: DialPlanId,
    /// Version for optimistic concurrency.
    pub revision: Revision,
    /// Name, unique.
    pub name: ObjectName,
    /// NumberOfDigitsInExtension.
    pub extension_length: ExtensionLength,
    /// AccessTelephoneNumbers: the numbers users dial to reach voice access.
    pub access_numbers: Vec<AccessNumber>,
    /// LogonFailuresBeforeDisconnect.
    pub logon_failures_before_disconnect: LogonFailuresBeforeDisconnect,
    /// InputFailuresBeforeDisconnect.
    pub input_failures_before_disconnect: InputFailuresBeforeDisconnect,
}

/// An access (pilot) telephone number: digits with an optional leading `+`, at most 32.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccessNumber(String);

impl AccessNumber {
    /// Exchange's name for the list of access numbers.
    pub const FIELD: &'static str = "AccessTelephoneNumbers";

    /// Checks an access number.
    pub fn parse(text: &str) -> Result<Self, InvalidValue> {
        let text = text.trim();
        let digits = text.strip_prefix('+').unwrap_or(text);
        let ok =
            !digits.is_empty() && text.len() <= MAX_ACCESS_NUMBER_LENGTH && digits.bytes().all(|b| b.is_ascii_digit());
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(out_of_range(Self::FIELD, "digits with an optional leading +, at most 32 characters", text))
        }
    }

    /// The number as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccessNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A UM mailbox policy: the PIN rules, email texts and feature switches of its mailboxes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailboxPolicy {
    /// Stable identifier.
    pub id: PolicyId,
    /// Version for optimistic concurrency.
    pub revision: Revision,
    /// Name, unique.
    pub name: ObjectName,
    /// The one dial plan this policy belongs to.
    pub dial_plan_id: DialPlanId,
    /// The PIN rules.
    pub pin: PinPolicy,
    /// ResetPINText: added to the PIN reset email; a default text when empty.
    pub reset_pin_text: PolicyText,
    /// UMEnabledText: added at the bottom of the welcome email.
    pub um_enabled_text: PolicyText,
    /// AllowSubscriberAccess: whether users may sign in by phone at all.
    pub allow_subscriber_access: bool,
    /// AllowPinlessVoiceMailAccess: voice mail without a PIN from the user's own phone.
    pub allow_pinless_voice_mail_access: bool,
}

impl MailboxPolicy {
    /// A new policy in `dial_plan` with every setting at Exchange's default.
    pub fn with_defaults(name: ObjectName, dial_plan_id: DialPlanId) -> Self {
        Self {
            id: PolicyId::new_random(),
            revision: Revision::NEW,
            name,
            dial_plan_id,
            pin: PinPolicy::default(),
            reset_pin_text: PolicyText::default(),
            um_enabled_text: PolicyText::default(),
            allow_subscriber_access: true,
            allow_pinless_voice_mail_access: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_exchange() {
        let policy = PinPolicy::default();
        assert_eq!(policy.min_pin_length.get(), 6);
        assert_eq!(policy.pin_lifetime, PinLifetime::Days(60));
        assert_eq!(policy.pin_history_count.get(), 5);
        assert!(!policy.allow_common_patterns);
        assert_eq!(policy.logon_failures_before_pin_reset, PinResetThreshold::After(5));
        assert_eq!(policy.max_logon_attempts.get(), 15);
        assert_eq!(policy.extended, ExtendedChecks::default());
        assert!(policy.check_consistency().is_ok());
        assert_eq!(LogonFailuresBeforeDisconnect::default().get(), 3);
        assert_eq!(InputFailuresBeforeDisconnect::default().get(), 3);
    }

    #[test]
    fn ranges_are_enforced() {
        assert!(MinPinLength::new(3).is_err());
        assert!(MinPinLength::new(4).is_ok());
        assert!(MinPinLength::new(24).is_ok());
        assert!(MinPinLength::new(25).is_err());
        assert!(PinHistoryCount::new(0).is_err());
        assert!(PinHistoryCount::new(21).is_err());
        assert!(MaxLogonAttempts::new(0).is_err());
        assert!(MaxLogonAttempts::new(1000).is_err());
        assert!(ExtensionLength::new(0).is_err());
        assert!(ExtensionLength::new(21).is_err());
        assert!(PinLifetime::days(0).is_err());
        assert!(PinLifetime::days(1000).is_err());
        assert!(PinResetThreshold::after(999).is_err());
        let err = MinPinLength::new(3).unwrap_err();
        assert_eq!(err.field, "MinPINLength");
        assert_eq!(err.allowed, "4 to 24");
    }

    #[test]
    fn unlimited_parses_in_any_case() {
        assert_eq!("Unlimited".parse::<PinLifetime>().unwrap(), PinLifetime::Unlimited);
        assert_eq!("unlimited".parse::<PinResetThreshold>().unwrap(), PinResetThreshold::Unlimited);
        assert_eq!("90".parse::<PinLifetime>().unwrap(), PinLifetime::Days(90));
        assert!("never".parse::<PinLifetime>().is_err());
    }

    #[test]
    fn reset_threshold_must_be_below_lockout() {
        let mut policy =
            PinPolicy { logon_failures_before_pin_reset: PinResetThreshold::After(15), ..PinPolicy::default() };
        let err = policy.check_consistency().unwrap_err();
        assert_eq!(err.field, "LogonFailuresBeforePINReset");
        policy.logon_failures_before_pin_reset = PinResetThreshold::Unlimited;
        assert!(policy.check_consistency().is_ok());
    }

    #[test]
    fn texts_are_limited_to_512_characters() {
        assert!(PolicyText::parse("ResetPINText", &"é".repeat(512)).is_ok());
        assert!(PolicyText::parse("ResetPINText", &"a".repeat(513)).is_err());
    }

    #[test]
    fn names_and_access_numbers_are_checked() {
        assert!(ObjectName::parse("Name", "  ").is_err());
        assert!(ObjectName::parse("Name", &"n".repeat(65)).is_err());
        assert_eq!(ObjectName::parse("Name", " Contoso DP ").unwrap().as_str(), "Contoso DP");
        assert!(AccessNumber::parse("+14255550100").is_ok());
        assert!(AccessNumber::parse("4255550100").is_ok());
        assert!(AccessNumber::parse("+").is_err());
        assert!(AccessNumber::parse("425-555").is_err());
    }

    #[test]
    fn generated_length_is_at_least_six() {
        let mut policy = PinPolicy { min_pin_length: MinPinLength::new(4).unwrap(), ..PinPolicy::default() };
        assert_eq!(policy.generated_length(), 6);
        policy.min_pin_length = MinPinLength::new(10).unwrap();
        assert_eq!(policy.generated_length(), 10);
    }
}
