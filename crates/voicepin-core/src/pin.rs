//! The PIN as a secret value.

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// The longest PIN any policy accepts (Exchange: "4 through 24 numeric characters").
pub const MAX_PIN_LENGTH: usize = 24;

/// A PIN as typed or generated: a secret.
///
/// It never shows itself in `Debug` or `Display`, is wiped from memory when dropped and
/// compares in constant time. The text is not validated here: a caller may key in anything,
/// and only [`crate::rules`] decides whether it is an acceptable new PIN.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Pin(String);

impl Pin {
    /// Wraps typed or generated text as a secret PIN.
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The PIN's characters: call only where the secret must leave this type (hashing,
    /// the sealed notification body).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Number of characters keyed in.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether nothing was keyed in.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether the PIN is made of ASCII digits only.
    pub fn is_numeric(&self) -> bool {
        !self.0.is_empty() && self.0.bytes().all(|b| b.is_ascii_digit())
    }

    /// The digits in reverse order, itself a secret.
    pub fn reversed(&self) -> Pin {
        Pin(self.0.chars().rev().collect())
    }
}

impl From<&str> for Pin {
    fn from(text: &str) -> Self {
        Self::new(text)
    }
}

impl PartialEq for Pin {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl Eq for Pin {}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(<redacted>)")
    }
}

impl fmt::Display for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_digits() {
        let pin = Pin::new("1985848");
        assert_eq!(format!("{pin:?}"), "Pin(<redacted>)");
        assert_eq!(format!("{pin}"), "<redacted>");
        assert!(!format!("{pin:?}{pin}{pin:#?}").contains("1985848"));
    }

    #[test]
    fn equality_compares_contents() {
        assert_eq!(Pin::new("1234"), Pin::new("1234"));
        assert_ne!(Pin::new("1234"), Pin::new("12345"));
        assert_ne!(Pin::new("1234"), Pin::new("1235"));
    }

    #[test]
    fn numeric_means_digits_only() {
        assert!(Pin::new("0123").is_numeric());
        assert!(!Pin::new("12a4").is_numeric());
        assert!(!Pin::new("").is_numeric());
        assert!(!Pin::new("12 4").is_numeric());
    }

    #[test]
    fn zeroize_clears_the_buffer() {
        let mut pin = Pin::new("246810");
        pin.zeroize();
        assert!(pin.is_empty());
    }
}
