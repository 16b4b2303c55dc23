//! The PIN rules: one function, [`check_pin`], returns every rule a candidate breaks.
//!
//! Exchange's rules (exchange-um.md §3): digits only; MinPINLength..=24 digits; not one of the
//! last PINHistoryCount PINs; when AllowCommonPatterns is false, not all consecutive digits
//! (ascending or descending, no wrap from 9 to 0) and not all one digit; and always, not a
//! suffix of one of the mailbox's extensions. The extended checks of [`ExtendedChecks`] follow
//! Cisco Unity Connection's trivial-PIN checks (peers.md §2.3) and go beyond them.

use std::fmt;

use crate::common_pins;
use crate::keypad;
use crate::pin::{MAX_PIN_LENGTH, Pin};
use crate::policy::{ExtendedChecks, PinPolicy};

/// One rule a candidate PIN breaks. Front ends word each one for their medium (a phone
/// prompt, a web page, a CLI line); [`PinRuleViolation::code`] is stable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PinRuleViolation {
    /// The PIN has characters other than the digits 0-9.
    NotNumeric,
    /// The PIN has fewer digits than MinPINLength.
    TooShort {
        /// MinPINLength.
        min: u16,
    },
    /// The PIN has more than 24 digits.
    TooLong {
        /// The longest PIN allowed.
        max: u16,
    },
    /// The PIN is one of the last PINHistoryCount PINs.
    RecentlyUsed {
        /// PINHistoryCount.
        count: u16,
    },
    /// All digits are consecutive, ascending or descending (1234, 65432).
    Consecutive,
    /// All digits are the same (11111).
    SameDigit,
    /// The PIN is the end of one of the mailbox's extensions (6697 for 36697).
    ExtensionSuffix,
    /// The PIN contains one of the mailbox's extensions, or one reversed.
    ContainsExtension,
    /// The PIN is the first or last name spelled on the keypad.
    NameOnKeypad,
    /// The PIN repeats a group of three or more digits (408408).
    RepeatedGroup,
    /// The PIN has fewer than three different digits (121212).
    TooFewDistinctDigits,
    /// A digit appears more than twice in a row (28883).
    DigitRun,
    /// The PIN contains three keys in a straight line on the keypad (159, 147, 123).
    KeypadLine,
    /// The PIN is one of the most commonly chosen PINs.
    CommonPin,
    /// The PIN is a previous PIN reversed.
    ReversedPreviousPin,
}

impl PinRuleViolation {
    /// A stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotNumeric => "not-numeric",
            Self::TooShort { .. } => "too-short",
            Self::TooLong { .. } => "too-long",
            Self::RecentlyUsed { .. } => "recently-used",
            Self::Consecutive => "consecutive-digits",
            Self::SameDigit => "same-digit",
            Self::ExtensionSuffix => "extension-suffix",
            Self::ContainsExtension => "contains-extension",
            Self::NameOnKeypad => "name-on-keypad",
            Self::RepeatedGroup => "repeated-group",
            Self::TooFewDistinctDigits => "too-few-distinct-digits",
            Self::DigitRun => "digit-run",
            Self::KeypadLine => "keypad-line",
            Self::CommonPin => "common-pin",
            Self::ReversedPreviousPin => "reversed-previous-pin",
        }
    }
}

impl fmt::Display for PinRuleViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotNumeric => f.write_str("a PIN may contain only the digits 0-9"),
            Self::TooShort { min } => write!(f, "a PIN must have at least {min} digits"),
            Self::TooLong { max } => write!(f, "a PIN may have at most {max} digits"),
            Self::RecentlyUsed { count } => {
                write!(f, "a PIN may not be one of the last {count} PINs used")
            }
            Self::Consecutive => f.write_str("a PIN may not be all consecutive digits, like 1234 or 65432"),
            Self::SameDigit => f.write_str("a PIN may not be one digit repeated, like 11111"),
            Self::ExtensionSuffix => f.write_str("a PIN may not be the end of your extension"),
            Self::ContainsExtension => f.write_str("a PIN may not contain your extension or your extension reversed"),
            Self::NameOnKeypad => f.write_str("a PIN may not spell your first or last name on the keypad"),
            Self::RepeatedGroup => f.write_str("a PIN may not repeat a group of digits, like 408408"),
            Self::TooFewDistinctDigits => f.write_str("a PIN must contain at least three different digits"),
            Self::DigitRun => f.write_str("a digit may not appear more than twice in a row, like 28883"),
            Self::KeypadLine => f.write_str("a PIN may not contain keys in a straight line on the keypad, like 159"),
            Self::CommonPin => f.write_str("a PIN may not be one of the most common PINs"),
            Self::ReversedPreviousPin => f.write_str("a PIN may not be a previous PIN reversed"),
        }
    }
}

/// The previous PINs of a mailbox, as the rules see them. Stored PINs are hashed, so the
/// implementation verifies the candidate against each hash.
pub trait PinHistory {
    /// Whether `pin` is one of the `depth` most recent PINs (the current one first).
    fn contains(&self, pin: &Pin, depth: usize) -> bool;
}

/// A history with no PINs, for a new mailbox.
pub struct NoHistory;

impl PinHistory for NoHistory {
    fn contains(&self, _pin: &Pin, _depth: usize) -> bool {
        false
    }
}

/// Everything about a mailbox that the rules look at.
pub struct RuleContext<'a> {
    /// The PIN rules of the mailbox's policy.
    pub policy: &'a PinPolicy,
    /// The mailbox's extensions, primary first.
    pub extensions: &'a [String],
    /// The user's first name, for the name-on-keypad check.
    pub first_name: &'a str,
    /// The user's last name, for the name-on-keypad check.
    pub last_name: &'a str,
    /// The mailbox's previous PINs.
    pub history: &'a dyn PinHistory,
}

/// Returns every rule `candidate` breaks under `context`, empty when it is acceptable.
///
/// A candidate with characters other than digits is reported as [`PinRuleViolation::NotNumeric`]
/// (with the length rules) and not checked further: patterns of non-digits mean nothing.
pub fn check_pin(candidate: &Pin, context: &RuleContext<'_>) -> Vec<PinRuleViolation> {
    let mut violations = check_pattern_rules(candidate, context);
    if candidate.is_numeric() {
        violations.extend(check_history_rules(candidate, context));
    }
    violations
}

/// The history rules alone: each check verifies the candidate against stored hashes, so it
/// is the costly part of [`check_pin`].
pub fn check_history_rules(candidate: &Pin, context: &RuleContext<'_>) -> Vec<PinRuleViolation> {
    let mut violations = Vec::new();
    let count = context.policy.pin_history_count.get();
    if context.history.contains(candidate, usize::from(count)) {
        violations.push(PinRuleViolation::RecentlyUsed { count });
    }
    if context.policy.extended.block_reversed_history {
        let reversed = candidate.reversed();
        if reversed != *candidate && context.history.contains(&reversed, usize::from(count)) {
            violations.push(PinRuleViolation::ReversedPreviousPin);
        }
    }
    violations
}

/// Every rule except the history ones: pure, allocation-free for a passing PIN and cheap.
/// The generator uses it to reject candidates before the (costly) history check.
pub fn check_pattern_rules(candidate: &Pin, context: &RuleContext<'_>) -> Vec<PinRuleViolation> {
    let mut violations = Vec::new();
    let digits = candidate.expose().as_bytes();
    let min = context.policy.min_pin_length.get();
    if !candidate.is_numeric() {
        violations.push(PinRuleViolation::NotNumeric);
    }
    if digits.len() < usize::from(min) {
        violations.push(PinRuleViolation::TooShort { min });
    }
    if digits.len() > MAX_PIN_LENGTH {
        violations.push(PinRuleViolation::TooLong { max: MAX_PIN_LENGTH as u16 });
    }
    if !candidate.is_numeric() {
        return violations;
    }
    if !context.policy.allow_common_patterns {
        if is_consecutive(digits) {
            violations.push(PinRuleViolation::Consecutive);
        }
        if is_same_digit(digits) {
            violations.push(PinRuleViolation::SameDigit);
        }
    }
    if context.extensions.iter().any(|ext| ext.as_bytes().ends_with(digits)) {
        violations.push(PinRuleViolation::ExtensionSuffix);
    }
    check_extended(digits, context, &context.policy.extended, &mut violations);
    violations
}

fn check_extended(
    digits: &[u8],
    context: &RuleContext<'_>,
    checks: &ExtendedChecks,
    violations: &mut Vec<PinRuleViolation>,
) {
    if checks.block_extension_in_pin && contains_extension(digits, context.extensions) {
        violations.push(PinRuleViolation::ContainsExtension);
    }
    if checks.block_name_on_keypad && keypad::spells_name(digits, context.first_name, context.last_name) {
        violations.push(PinRuleViolation::NameOnKeypad);
    }
    if checks.block_repeated_groups && has_repeated_group(digits) {
        violations.push(PinRuleViolation::RepeatedGroup);
    }
    if checks.require_three_distinct_digits && distinct_digits(digits) < 3 {
        violations.push(PinRuleViolation::TooFewDistinctDigits);
    }
    if checks.block_digit_runs && digits.windows(3).any(|w| w[0] == w[1] && w[1] == w[2]) {
        violations.push(PinRuleViolation::DigitRun);
    }
    if checks.block_keypad_lines && keypad::contains_straight_line(digits) {
        violations.push(PinRuleViolation::KeypadLine);
    }
    if checks.block_common_pins && common_pins::is_common(digits) {
        violations.push(PinRuleViolation::CommonPin);
    }
}

/// All steps +1, or all steps -1, with no wrap between 9 and 0.
fn is_consecutive(digits: &[u8]) -> bool {
    if digits.len() < 2 {
        return false;
    }
    let ascending = digits.windows(2).all(|w| w[1] == w[0] + 1);
    let descending = digits.windows(2).all(|w| w[0] == w[1] + 1);
    ascending || descending
}

fn is_same_digit(digits: &[u8]) -> bool {
    digits.len() >= 2 && digits.iter().all(|&d| d == digits[0])
}

/// Extensions of three digits or more are searched inside the PIN, forwards and reversed;
/// shorter ones would forbid most PINs, so they are only compared whole.
fn contains_extension(digits: &[u8], extensions: &[String]) -> bool {
    extensions.iter().any(|ext| {
        let ext = ext.as_bytes();
        if ext.is_empty() {
            return false;
        }
        if ext.len() < 3 {
            return digits == ext;
        }
        let reversed: Vec<u8> = ext.iter().rev().copied().collect();
        contains_slice(digits, ext) || contains_slice(digits, &reversed)
    })
}

fn contains_slice(haystack: &[u8], needle: &[u8]) -> bool {
    needle.len() <= haystack.len() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// A group of three or more digits that appears twice without overlapping (408408, 408510408).
fn has_repeated_group(digits: &[u8]) -> bool {
    let n = digits.len();
    (3..=n / 2).any(|len| {
        (0..=n - 2 * len).any(|i| {
            let group = &digits[i..i + len];
            (i + len..=n - len).any(|j| &digits[j..j + len] == group)
        })
    })
}

fn distinct_digits(digits: &[u8]) -> u32 {
    digits.iter().fold(0u16, |seen, &d| seen | 1 << (d - b'0')).count_ones()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::MinPinLength;

    struct Remembered(Vec<&'static str>);

    impl PinHistory for Remembered {
        fn contains(&self, pin: &Pin, depth: usize) -> bool {
            self.0.iter().take(depth).any(|old| Pin::new(*old) == *pin)
        }
    }

    fn check_with(
        policy: &PinPolicy,
        extensions: &[&str],
        history: &[&'static str],
        pin: &str,
    ) -> Vec<PinRuleViolation> {
        let extensions: Vec<String> = extensions.iter().map(|e| e.to_string()).collect();
        let history = Remembered(history.to_vec());
        let context =
            RuleContext { policy, extensions: &extensions, first_name: "John", last_name: "Doe", history: &history };
        check_pin(&Pin::new(pin), &context)
    }

    fn check(pin: &str) -> Vec<PinRuleViolation> {
        check_with(&PinPolicy::default(), &["36697"], &[], pin)
    }

    fn all_extended() -> PinPolicy {
        PinPolicy {
            min_pin_length: MinPinLength::new(4).unwrap(),
            extended: ExtendedChecks {
                block_extension_in_pin: true,
                block_name_on_keypad: true,
                block_repeated_groups: true,
                require_three_distinct_digits: true,
                block_digit_runs: true,
                block_keypad_lines: true,
                block_common_pins: true,
                block_reversed_history: true,
            },
            ..PinPolicy::default()
        }
    }

    use PinRuleViolation::*;

    #[test]
    fn the_seeds_example_passes_a_default_policy() {
        assert_eq!(check("1985848"), vec![]);
    }

    #[test]
    fn digits_only() {
        assert_eq!(check("12a456"), vec![NotNumeric]);
        assert_eq!(check("12 456"), vec![NotNumeric]);
        assert_eq!(check("１２３４５６"), vec![NotNumeric]);
        assert_eq!(check(""), vec![NotNumeric, TooShort { min: 6 }]);
    }

    #[test]
    fn length_from_min_pin_length_to_24() {
        assert_eq!(check("19858"), vec![TooShort { min: 6 }]);
        assert_eq!(check("198584"), vec![]);
        assert_eq!(check("198584819858481985848198"), vec![]);
        assert_eq!(check("1985848198584819858481985"), vec![TooLong { max: 24 }]);
        let four = PinPolicy { min_pin_length: MinPinLength::new(4).unwrap(), ..PinPolicy::default() };
        assert_eq!(check_with(&four, &[], &[], "4821"), vec![]);
    }

    #[test]
    fn consecutive_digits_exchange_examples() {
        let four = PinPolicy { min_pin_length: MinPinLength::new(4).unwrap(), ..PinPolicy::default() };
        assert_eq!(check_with(&four, &[], &[], "1234"), vec![Consecutive]);
        assert_eq!(check_with(&four, &[], &[], "65432"), vec![Consecutive]);
        assert_eq!(check("123456"), vec![Consecutive]);
        assert_eq!(check("987654"), vec![Consecutive]);
        assert_eq!(check("012345"), vec![Consecutive]);
        // No wrap from 9 to 0, and a mere run inside a PIN is allowed.
        assert_eq!(check("789012"), vec![]);
        assert_eq!(check("123457"), vec![]);
    }

    #[test]
    fn repeated_digit_exchange_examples() {
        let four = PinPolicy { min_pin_length: MinPinLength::new(4).unwrap(), ..PinPolicy::default() };
        assert_eq!(check_with(&four, &[], &[], "11111"), vec![SameDigit]);
        assert_eq!(check_with(&four, &[], &[], "22222"), vec![SameDigit]);
        assert_eq!(check("000000"), vec![SameDigit]);
        assert_eq!(check("000001"), vec![]);
    }

    #[test]
    fn common_patterns_allowed_still_blocks_extension_suffix() {
        let relaxed = PinPolicy {
            min_pin_length: MinPinLength::new(4).unwrap(),
            allow_common_patterns: true,
            ..PinPolicy::default()
        };
        assert_eq!(check_with(&relaxed, &["36697"], &[], "1234"), vec![]);
        assert_eq!(check_with(&relaxed, &["36697"], &[], "11111"), vec![]);
        // Exchange's example: with extension 36697 the PIN can't be 6697.
        assert_eq!(check_with(&relaxed, &["36697"], &[], "6697"), vec![ExtensionSuffix]);
        assert_eq!(check_with(&relaxed, &["36697"], &[], "36697"), vec![ExtensionSuffix]);
        assert_eq!(check_with(&relaxed, &["36697", "5551234"], &[], "51234"), vec![ExtensionSuffix]);
        // A prefix is not a suffix.
        assert_eq!(check_with(&relaxed, &["36697"], &[], "3669"), vec![]);
    }

    #[test]
    fn history_counts_the_last_n_pins() {
        let policy = PinPolicy::default();
        let history = ["482913", "731946", "205817", "619034", "845270", "390651"];
        assert_eq!(check_with(&policy, &[], &history, "482913"), vec![RecentlyUsed { count: 5 }]);
        assert_eq!(check_with(&policy, &[], &history, "845270"), vec![RecentlyUsed { count: 5 }]);
        // The sixth PIN back is out of a history of five.
        assert_eq!(check_with(&policy, &[], &history, "390651"), vec![]);
    }

    #[test]
    fn every_broken_rule_is_reported() {
        let relaxed = PinPolicy { min_pin_length: MinPinLength::new(6).unwrap(), ..PinPolicy::default() };
        assert_eq!(
            check_with(&relaxed, &["12345"], &[], "2345"),
            vec![TooShort { min: 6 }, Consecutive, ExtensionSuffix]
        );
    }

    #[test]
    fn extended_checks_are_off_by_default() {
        for pin in ["408408", "121212", "288830", "159730", "147365", "564363", "363", "111222"] {
            let found = check(pin);
            assert!(found.iter().all(|v| matches!(v, TooShort { .. })), "{pin}: {found:?}");
        }
    }

    #[test]
    fn contains_extension_or_reverse() {
        let policy = all_extended();
        assert!(check_with(&policy, &["36697"], &[], "8366970").contains(&ContainsExtension));
        assert!(check_with(&policy, &["36697"], &[], "0796630").contains(&ContainsExtension));
        assert!(check_with(&policy, &["36697", "48213"], &[], "9482130").contains(&ContainsExtension));
        assert!(!check_with(&policy, &["36697"], &[], "3669812").contains(&ContainsExtension));
        assert!(check_with(&policy, &["3669712"], &[], "3669712").contains(&ContainsExtension));
    }

    #[test]
    fn name_on_keypad() {
        let policy = all_extended();
        // John Doe: JOHN = 5646, DOE = 363, JOHNDOE = 5646363, JDOE = 5363, JOHND = 56463.
        for pin in ["5646363", "5363", "56463", "5646"] {
            assert!(check_with(&policy, &[], &[], pin).contains(&NameOnKeypad), "{pin}");
        }
        assert!(check_with(&policy, &[], &[], "9564681").contains(&NameOnKeypad));
        assert!(!check_with(&policy, &[], &[], "5364").contains(&NameOnKeypad));
    }

    #[test]
    fn cisco_trivial_checks() {
        let policy = all_extended();
        assert!(check_with(&policy, &[], &[], "408408").contains(&RepeatedGroup));
        assert!(check_with(&policy, &[], &[], "123123").contains(&RepeatedGroup));
        assert!(check_with(&policy, &[], &[], "408510408").contains(&RepeatedGroup));
        assert!(!check_with(&policy, &[], &[], "408518").contains(&RepeatedGroup));
        assert!(check_with(&policy, &[], &[], "121212").contains(&TooFewDistinctDigits));
        assert!(!check_with(&policy, &[], &[], "121213").contains(&TooFewDistinctDigits));
        assert!(check_with(&policy, &[], &[], "28883").contains(&DigitRun));
        assert!(!check_with(&policy, &[], &[], "28833").contains(&DigitRun));
        for pin in ["159", "159730", "147", "147365", "123", "123597", "2580", "9513", "7532"] {
            assert!(check_with(&policy, &[], &[], pin).contains(&KeypadLine), "{pin}");
        }
        assert!(!check_with(&policy, &[], &[], "1985848").contains(&KeypadLine));
        assert!(!check_with(&policy, &[], &[], "718204").contains(&KeypadLine));
    }

    #[test]
    fn common_pins_are_blocked() {
        let policy = all_extended();
        for pin in
            ["1234", "1111", "0000", "1212", "7777", "1004", "2000", "6969", "123456", "654321", "112233", "5683"]
        {
            assert!(check_with(&policy, &[], &[], pin).contains(&CommonPin), "{pin}");
        }
        assert!(!check_with(&policy, &[], &[], "1985848").contains(&CommonPin));
    }

    #[test]
    fn reversed_previous_pin() {
        let policy = all_extended();
        assert!(check_with(&policy, &[], &["482913"], "319284").contains(&ReversedPreviousPin));
        assert!(!check_with(&policy, &[], &["482913"], "319285").contains(&ReversedPreviousPin));
    }

    #[test]
    fn seeds_example_passes_every_extended_check() {
        let policy = all_extended();
        assert_eq!(check_with(&policy, &["36697"], &[], "1985848"), vec![]);
    }

    #[test]
    fn codes_are_distinct() {
        let all = [
            NotNumeric,
            TooShort { min: 1 },
            TooLong { max: 1 },
            RecentlyUsed { count: 1 },
            Consecutive,
            SameDigit,
            ExtensionSuffix,
            ContainsExtension,
            NameOnKeypad,
            RepeatedGroup,
            TooFewDistinctDigits,
            DigitRun,
            KeypadLine,
            CommonPin,
            ReversedPreviousPin,
        ];
        let codes: std::collections::HashSet<_> = all.iter().map(|v| v.code()).collect();
        assert_eq!(codes.len(), all.len());
    }
}
