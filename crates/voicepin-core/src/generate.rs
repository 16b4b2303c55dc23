//! PIN generation: uniform over the PINs that pass every enabled rule for the mailbox.
//!
//! Digits come from the operating system's CSPRNG, each drawn without modulo bias. A
//! candidate that breaks a rule is thrown away and a new one drawn (rejection sampling), so
//! every passing PIN of the length is equally likely and no fixed pattern ever appears.

use zeroize::Zeroize;

use crate::pin::Pin;
use crate::rules::{RuleContext, check_history_rules, check_pattern_rules};

/// How many candidates to draw before giving up: with any sane policy nearly every candidate
/// passes, so reaching this means the rules leave (almost) nothing to choose from.
const MAX_CANDIDATES: usize = 100_000;

/// A source of random bytes.
pub trait RandomSource {
    /// Fills `buffer` with random bytes.
    fn fill(&mut self, buffer: &mut [u8]) -> Result<(), RandomError>;
}

/// The random source failed.
#[derive(Debug, thiserror::Error)]
#[error("the random source failed")]
pub struct RandomError;

/// The operating system's CSPRNG (getrandom).
#[derive(Clone, Copy, Debug, Default)]
pub struct OsRandom;

impl RandomSource for OsRandom {
    fn fill(&mut self, buffer: &mut [u8]) -> Result<(), RandomError> {
        getrandom::fill(buffer).map_err(|_| RandomError)
    }
}

/// Why no PIN was generated.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// The random source failed.
    #[error(transparent)]
    Random(#[from] RandomError),
    /// The rules rejected every candidate drawn.
    #[error("no PIN passing the policy was found in {MAX_CANDIDATES} candidates")]
    Exhausted,
}

/// Generates a PIN of the policy's generated length (max(MinPINLength, 6)) that passes every
/// rule of `context`, its history included.
pub fn generate_pin(context: &RuleContext<'_>, random: &mut dyn RandomSource) -> Result<Pin, GenerateError> {
    let length = context.policy.generated_length();
    let mut digits = DigitStream::default();
    for _ in 0..MAX_CANDIDATES {
        let mut text = String::with_capacity(length);
        for _ in 0..length {
            text.push(char::from(b'0' + digits.next(random)?));
        }
        let candidate = Pin::new(text);
        if check_pattern_rules(&candidate, context).is_empty() && check_history_rules(&candidate, context).is_empty() {
            return Ok(candidate);
        }
    }
    Err(GenerateError::Exhausted)
}

/// Uniform decimal digits from random bytes: bytes 250-255 are skipped so that each digit
/// has exactly 25 byte values (no modulo bias).
struct DigitStream {
    buffer: [u8; 64],
    next: usize,
    filled: bool,
}

impl Default for DigitStream {
    fn default() -> Self {
        Self { buffer: [0; 64], next: 0, filled: false }
    }
}

impl DigitStream {
    fn next(&mut self, random: &mut dyn RandomSource) -> Result<u8, RandomError> {
        loop {
            if !self.filled || self.next == self.buffer.len() {
                random.fill(&mut self.buffer)?;
                self.next = 0;
                self.filled = true;
            }
            let byte = self.buffer[self.next];
            self.next += 1;
            if byte < 250 {
                return Ok(byte % 10);
            }
        }
    }
}

impl Drop for DigitStream {
    fn drop(&mut self) {
        self.buffer.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{ExtendedChecks, MinPinLength, PinPolicy};
    use crate::rules::{NoHistory, PinHistory, check_pin};
    use proptest::prelude::*;

    /// A deterministic source for reproducible tests (xorshift).
    pub(crate) struct Seeded(pub u64);

    impl RandomSource for Seeded {
        fn fill(&mut self, buffer: &mut [u8]) -> Result<(), RandomError> {
            for byte in buffer {
                self.0 ^= self.0 << 13;
                self.0 ^= self.0 >> 7;
                self.0 ^= self.0 << 17;
                *byte = (self.0 >> 24) as u8;
            }
            Ok(())
        }
    }

    fn context<'a>(policy: &'a PinPolicy, extensions: &'a [String], history: &'a dyn PinHistory) -> RuleContext<'a> {
        RuleContext { policy, extensions, first_name: "Tony", last_name: "Smith", history }
    }

    fn strict(min: u32) -> PinPolicy {
        PinPolicy {
            min_pin_length: MinPinLength::new(min).unwrap(),
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

    #[test]
    fn default_length_is_six() {
        let policy = PinPolicy::default();
        let pin = generate_pin(&context(&policy, &[], &NoHistory), &mut OsRandom).unwrap();
        assert_eq!(pin.len(), 6);
        assert!(pin.is_numeric());
    }

    struct Everything;
    impl PinHistory for Everything {
        fn contains(&self, _pin: &Pin, _depth: usize) -> bool {
            true
        }
    }

    #[test]
    fn gives_up_when_nothing_passes() {
        let policy = PinPolicy::default();
        let result = generate_pin(&context(&policy, &[], &Everything), &mut Seeded(7));
        assert!(matches!(result, Err(GenerateError::Exhausted)));
    }

    /// A history that remembers one PIN, to prove the generator avoids it.
    struct Only(Pin);
    impl PinHistory for Only {
        fn contains(&self, pin: &Pin, _depth: usize) -> bool {
            *pin == self.0
        }
    }

    #[test]
    fn avoids_history() {
        // With a 4-digit space and a seeded source, find the first PIN it would draw, then
        // forbid it: the generator must draw another.
        let policy = PinPolicy { min_pin_length: MinPinLength::new(4).unwrap(), ..PinPolicy::default() };
        let first = generate_pin(&context(&policy, &[], &NoHistory), &mut Seeded(42)).unwrap();
        let history = Only(first.clone());
        let second = generate_pin(&context(&policy, &[], &history), &mut Seeded(42)).unwrap();
        assert_ne!(first, second);
    }

    #[test]
    fn digits_are_well_spread() {
        // Chi-squared over 10 digits in 60,000 digits from the OS source; 9 degrees of
        // freedom, p = 0.001 critical value 27.88.
        let policy = PinPolicy::default();
        let mut counts = [0u32; 10];
        for _ in 0..10_000 {
            let pin = generate_pin(&context(&policy, &[], &NoHistory), &mut OsRandom).unwrap();
            for b in pin.expose().bytes() {
                counts[usize::from(b - b'0')] += 1;
            }
        }
        let total: u32 = counts.iter().sum();
        let expected = f64::from(total) / 10.0;
        let chi2: f64 = counts.iter().map(|&c| (f64::from(c) - expected).powi(2) / expected).sum();
        assert!(chi2 < 27.88, "digit counts {counts:?}, chi2 {chi2}");
    }

    #[test]
    fn positions_are_well_spread() {
        // Each position on its own must be uniform too (no fixed patterns).
        let policy = PinPolicy::default();
        let mut counts = [[0u32; 10]; 6];
        for _ in 0..6_000 {
            let pin = generate_pin(&context(&policy, &[], &NoHistory), &mut OsRandom).unwrap();
            for (position, b) in pin.expose().bytes().enumerate() {
                counts[position][usize::from(b - b'0')] += 1;
            }
        }
        for position in counts {
            let expected = 600.0;
            let chi2: f64 = position.iter().map(|&c| (f64::from(c) - expected).powi(2) / expected).sum();
            assert!(chi2 < 27.88, "position counts {position:?}, chi2 {chi2}");
        }
    }

    proptest! {
        #[test]
        fn every_generated_pin_passes_its_mailboxs_rules(
            seed in 1u64..,
            min in 4u32..=12,
            extension in "[0-9]{3,7}",
            all_checks in any::<bool>(),
            allow_common in any::<bool>(),
        ) {
            let mut policy = if all_checks { strict(min) } else {
                PinPolicy { min_pin_length: MinPinLength::new(min).unwrap(), ..PinPolicy::default() }
            };
            policy.allow_common_patterns = allow_common;
            let extensions = vec![extension];
            let ctx = context(&policy, &extensions, &NoHistory);
            let pin = generate_pin(&ctx, &mut Seeded(seed)).unwrap();
            prop_assert_eq!(pin.len(), policy.generated_length());
            prop_assert_eq!(check_pin(&pin, &ctx), vec![]);
        }
    }
}
