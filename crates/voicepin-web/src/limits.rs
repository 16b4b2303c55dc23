//! Rate limits of password sign-in, in memory: per source address and per account name, in
//! fixed one-minute windows. The lockout after repeated failures is the core's (stored); this
//! only slows down whoever tries many names or many passwords from one place.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Attempts per window from one source address.
pub const PER_SOURCE: u32 = 10;
/// Attempts per window for one account name.
pub const PER_ACCOUNT: u32 = 5;
/// Self-service link requests per window from one source address.
pub const SELF_SERVICE_PER_SOURCE: u32 = 10;
/// Self-service link requests per window for one address or extension typed.
pub const SELF_SERVICE_PER_NAME: u32 = 3;
/// The window.
pub const WINDOW: Duration = Duration::from_secs(60);
/// Above this many tracked keys, expired windows are dropped.
const PRUNE_ABOVE: usize = 10_000;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Source(String),
    Account(String),
}

#[derive(Clone, Copy, Debug)]
struct Window {
    started: Instant,
    attempts: u32,
}

/// Counts password sign-in attempts.
#[derive(Debug)]
pub struct SignInLimiter {
    windows: Mutex<HashMap<Key, Window>>,
    per_source: u32,
    per_account: u32,
}

impl Default for SignInLimiter {
    fn default() -> Self {
        Self::with_limits(PER_SOURCE, PER_ACCOUNT)
    }
}

impl SignInLimiter {
    /// A limiter with the default limits ([`PER_SOURCE`], [`PER_ACCOUNT`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// A limiter with other limits per window.
    pub fn with_limits(per_source: u32, per_account: u32) -> Self {
        Self { windows: Mutex::new(HashMap::new()), per_source, per_account }
    }

    /// Counts an attempt from `source` for `account` at `now`, or refuses it with the time
    /// until the fuller window ends (a refused attempt is not counted).
    pub fn attempt(&self, source: Option<&str>, account: &str, now: Instant) -> Result<(), Duration> {
        let mut windows = self.windows.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if windows.len() > PRUNE_ABOVE {
            windows.retain(|_, w| now.duration_since(w.started) < WINDOW);
        }
        let mut keys = vec![(Key::Account(account.trim().to_lowercase()), self.per_account)];
        if let Some(source) = source {
            keys.push((Key::Source(source.to_owned()), self.per_source));
        }
        let mut wait = Duration::ZERO;
        for (key, limit) in &keys {
            if let Some(window) = windows.get(key)
                && now.duration_since(window.started) < WINDOW
                && window.attempts >= *limit
            {
                wait = wait.max(WINDOW.saturating_sub(now.duration_since(window.started)));
            }
        }
        if !wait.is_zero() {
            return Err(wait);
        }
        for (key, _) in keys {
            let window = windows.entry(key).or_insert(Window { started: now, attempts: 0 });
            if now.duration_since(window.started) >= WINDOW {
                *window = Window { started: now, attempts: 0 };
            }
            window.attempts += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_per_account_ten_per_source_per_minute() {
        let limiter = SignInLimiter::new();
        let start = Instant::now();
        for _ in 0..PER_ACCOUNT {
            limiter.attempt(Some("192.0.2.1"), "admin", start).unwrap();
        }
        let wait = limiter.attempt(Some("192.0.2.9"), "ADMIN", start + Duration::from_secs(20)).unwrap_err();
        assert_eq!(wait, Duration::from_secs(40));
        for i in 0..(PER_SOURCE - PER_ACCOUNT) {
            limiter.attempt(Some("192.0.2.1"), &format!("user{i}"), start).unwrap();
        }
        assert!(limiter.attempt(Some("192.0.2.1"), "someone-else", start).is_err());
        assert!(limiter.attempt(Some("192.0.2.2"), "someone-else", start).is_ok());
        // A new window.
        limiter.attempt(Some("192.0.2.1"), "admin", start + WINDOW).unwrap();
    }
}
