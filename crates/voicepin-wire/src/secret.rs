//! Secrets in request bodies (a PIN, a password): read from a JSON string straight into the
//! core's secret types, which redact themselves and are wiped when dropped; never echoed,
//! not even in the message that refuses a value of the wrong type.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use voicepin_core::Pin;
use voicepin_core::accounts::Password;

/// The start of every message of voicepin's own deserializers: such a message never contains
/// the value, so a front end may pass it on (serde's own messages may quote the value).
pub const OWN_MESSAGE: &str = "voicepin: ";

/// A PIN in a request body. It is read as text and wrapped at once in the core's secret
/// [`Pin`], which redacts itself and is wiped when dropped; it is never echoed.
#[derive(Debug)]
pub struct PinText(pub Pin);

impl<'de> Deserialize<'de> for PinText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SecretVisitor {
            what: "a PIN as a string of digits",
            wrap: |text| PinText(Pin::new(text)),
        })
    }
}

/// Reads a secret (a PIN, a password) from a JSON string straight into its secret type; a
/// number is refused without its value in the message (`deserialize_any`, so that a number
/// reaches `visit_u64` and the like instead of serde's own message, which quotes it).
struct SecretVisitor<T> {
    /// What the field takes, for messages: "a PIN as a string of digits".
    what: &'static str,
    /// Moves the text into the secret type, which wipes it on drop.
    wrap: fn(String) -> T,
}

impl<T> serde::de::Visitor<'_> for SecretVisitor<T> {
    type Value = T;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.what)
    }
    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<T, E> {
        Ok((self.wrap)(text.to_owned()))
    }
    fn visit_string<E: serde::de::Error>(self, text: String) -> Result<T, E> {
        Ok((self.wrap)(text))
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<T, E> {
        Err(self.not_a_string())
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<T, E> {
        Err(self.not_a_string())
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<T, E> {
        Err(self.not_a_string())
    }
}

impl<T> SecretVisitor<T> {
    fn not_a_string<E: serde::de::Error>(&self) -> E {
        E::custom(format_args!("{}{} (in quotes)", OWN_MESSAGE, self.what))
    }
}

/// An optional PIN from a form field: an absent or empty field is none. Never echoed.
#[derive(Debug, Default)]
pub struct PinTextOption(Option<Pin>);

impl<'de> Deserialize<'de> for PinTextOption {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let PinText(pin) = PinText::deserialize(deserializer)?;
        Ok(Self((!pin.is_empty()).then_some(pin)))
    }
}

impl PinTextOption {
    /// The secret PIN, if one was typed.
    pub fn into_pin(self) -> Option<Pin> {
        self.0
    }
}

/// The CLI's client sends a PIN: written straight from the secret into the request body
/// (which the client wipes), never through an intermediate string.
impl Serialize for PinText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.expose())
    }
}

impl PinText {
    /// The secret PIN.
    pub fn into_pin(self) -> Pin {
        self.0
    }
}

/// A password in a request body, wrapped at once in the core's secret [`Password`] (redacted,
/// wiped on drop); never echoed, and refused without its value when it is not a string.
#[derive(Debug)]
pub struct PasswordText(pub Password);

impl<'de> Deserialize<'de> for PasswordText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SecretVisitor {
            what: "a password as a string",
            wrap: |text| PasswordText(Password::new(text)),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn secrets_are_read_from_strings_and_never_echoed_otherwise() {
        let pin: PinText = serde_json::from_str("\"1985848\"").unwrap();
        assert_eq!(pin.into_pin(), Pin::new("1985848"));
        let password: PasswordText = serde_json::from_str("\"correct horse battery\"").unwrap();
        assert_eq!(password.0.expose(), "correct horse battery");
        let error = serde_json::from_str::<PinText>("1985848").unwrap_err().to_string();
        assert!(error.starts_with("voicepin: a PIN as a string of digits (in quotes)"), "{error}");
        assert!(!error.contains("1985848"), "{error}");
        let error = serde_json::from_str::<PasswordText>("123456789012").unwrap_err().to_string();
        assert!(error.starts_with("voicepin: a password as a string (in quotes)"), "{error}");
        assert!(!error.contains("123456789012"), "{error}");
    }
}
