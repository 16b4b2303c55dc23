//! The sign-in state machine: what one attempt does to a mailbox's PIN state.
//!
//! Counting follows exchange-um.md §4.6: each failure adds to a consecutive and a total
//! counter; the N-th consecutive failure (LogonFailuresBeforePINReset) resets the PIN and
//! restarts the consecutive count; the M-th total failure (MaxLogonAttempts) locks the
//! mailbox, and locking wins when both fall on the same attempt (Exchange: "five more times
//! ... the user is then locked out", not reset a third time). A success clears both counters.
//! Attempts on a locked or disabled mailbox change nothing. Pure: no clock, no storage.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::context::Channel;
use crate::mailbox::{Mailbox, PinState};
use crate::policy::{MailboxPolicy, PinPolicy, PinResetThreshold};

/// What the caller is told. The same `Failed` for a wrong PIN, an unknown identity, a locked
/// mailbox and a disabled one: the answer gives nothing away.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SignInOutcome {
    /// Signed in.
    Success,
    /// Signed in, but the PIN must be changed before anything else.
    PinChangeRequired,
    /// Not signed in.
    Failed,
}

impl SignInOutcome {
    /// The outcome as the CLI and API print it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::PinChangeRequired => "pinChangeRequired",
            Self::Failed => "failed",
        }
    }
}

/// Why a sign-in failed or needs a change: for the audit log only, never for the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SignInReason {
    /// The PIN matched and nothing more is needed.
    Accepted,
    /// PinExpired is set (a reset, or the first sign-in).
    PinExpired,
    /// PINLifetime has passed since the PIN was set.
    LifetimePassed,
    /// The PIN is shorter than a raised MinPINLength.
    BelowMinimumLength,
    /// The PIN did not match.
    WrongPin,
    /// No mailbox has this identity.
    UnknownIdentity,
    /// The mailbox is locked out.
    LockedOut,
    /// The mailbox is not UM-enabled, or phone access is off for it or its policy.
    AccessDisabled,
    /// The mailbox has no PIN (properties removed).
    NoPin,
}

impl SignInReason {
    /// A stable code for audit events.
    pub fn code(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::PinExpired => "pin-expired",
            Self::LifetimePassed => "lifetime-passed",
            Self::BelowMinimumLength => "below-minimum-length",
            Self::WrongPin => "wrong-pin",
            Self::UnknownIdentity => "unknown-identity",
            Self::LockedOut => "locked-out",
            Self::AccessDisabled => "access-disabled",
            Self::NoPin => "no-pin",
        }
    }
}

/// Whether a mailbox may be signed in to at all, before its PIN is looked at.
pub fn refusal(mailbox: &Mailbox, policy: &MailboxPolicy) -> Option<SignInReason> {
    if !mailbox.um_enabled || !mailbox.subscriber_access_enabled || !policy.allow_subscriber_access {
        Some(SignInReason::AccessDisabled)
    } else if mailbox.pin.locked_out {
        Some(SignInReason::LockedOut)
    } else if mailbox.pin.hash.is_none() {
        Some(SignInReason::NoPin)
    } else {
        None
    }
}

/// Whether a full success on `channel` ends a first-time user's first-time status
/// (exchange-um.md §4.2). On the phone the first-time setup ends it once the name and the
/// greeting are recorded, so a caller who hangs up halfway is asked again at the next call;
/// elsewhere (a PBX that keeps its own voice mail and signs its callers in through the API,
/// a PIN test on the command line) the first full success does.
pub fn success_ends_first_time(channel: Channel) -> bool {
    channel != Channel::Phone
}

/// The result of a correct PIN: clears the counters and says whether a change is needed.
/// A full success on `channel` also ends first-time status where
/// [`success_ends_first_time`] says so.
pub fn succeed(
    state: &mut PinState,
    policy: &PinPolicy,
    pin_length: usize,
    channel: Channel,
    now: OffsetDateTime,
) -> (SignInOutcome, SignInReason) {
    state.clear_failures();
    state.last_sign_in_at = Some(now);
    let reason = if state.expired {
        SignInReason::PinExpired
    } else if state.must_change(policy, now) {
        SignInReason::LifetimePassed
    } else if pin_length < usize::from(policy.min_pin_length.get()) {
        SignInReason::BelowMinimumLength
    } else {
        SignInReason::Accepted
    };
    if reason == SignInReason::Accepted {
        if success_ends_first_time(channel) {
            state.first_time_user = false;
        }
        (SignInOutcome::Success, reason)
    } else {
        (SignInOutcome::PinChangeRequired, reason)
    }
}

/// What a failed attempt leads to, beyond counting it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureConsequence {
    /// Only counted.
    Counted,
    /// LogonFailuresBeforePINReset reached: the caller must install a generated PIN, mark
    /// it expired and email it.
    ResetPin,
    /// MaxLogonAttempts reached: the mailbox is now locked.
    LockedOut,
}

/// Counts a failed attempt and applies what the thresholds say.
pub fn fail(state: &mut PinState, policy: &PinPolicy, now: OffsetDateTime) -> FailureConsequence {
    state.consecutive_failures += 1;
    state.total_failures += 1;
    state.last_failure_at = Some(now);
    if state.total_failures >= u32::from(policy.max_logon_attempts.get()) {
        state.locked_out = true;
        return FailureConsequence::LockedOut;
    }
    match policy.logon_failures_before_pin_reset {
        PinResetThreshold::After(limit) if state.consecutive_failures >= u32::from(limit) => {
            state.consecutive_failures = 0;
            FailureConsequence::ResetPin
        }
        _ => FailureConsequence::Counted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hashing::PinHash;
    use crate::policy::{MaxLogonAttempts, PinLifetime};
    use time::Duration;

    fn now() -> OffsetDateTime {
        time::macros::datetime!(2026-11-28 12:00 UTC)
    }

    fn state() -> PinState {
        let mut state = PinState::default();
        state.install(PinHash::from_stored("h"), false, now());
        state
    }

    #[test]
    fn the_counting_story_of_exchange() {
        // Defaults: reset after 5, lock after 15.
        let policy = PinPolicy::default();
        let mut state = state();
        let mut consequences = Vec::new();
        for _ in 0..15 {
            consequences.push(fail(&mut state, &policy, now()));
        }
        use FailureConsequence::*;
        let expected = [
            Counted, Counted, Counted, Counted, ResetPin, Counted, Counted, Counted, Counted, ResetPin, Counted,
            Counted, Counted, Counted, LockedOut,
        ];
        assert_eq!(consequences, expected);
        assert!(state.locked_out);
        assert_eq!(state.total_failures, 15);
    }

    #[test]
    fn a_success_clears_both_counters() {
        let policy = PinPolicy::default();
        let mut state = state();
        for _ in 0..7 {
            fail(&mut state, &policy, now());
        }
        assert_eq!((state.consecutive_failures, state.total_failures), (2, 7));
        assert_eq!(succeed(&mut state, &policy, 6, Channel::Api, now()).0, SignInOutcome::Success);
        assert_eq!((state.consecutive_failures, state.total_failures), (0, 0));
    }

    #[test]
    fn unlimited_reset_only_locks() {
        let policy = PinPolicy {
            logon_failures_before_pin_reset: PinResetThreshold::Unlimited,
            max_logon_attempts: MaxLogonAttempts::new(3).unwrap(),
            ..PinPolicy::default()
        };
        let mut state = state();
        assert_eq!(fail(&mut state, &policy, now()), FailureConsequence::Counted);
        assert_eq!(fail(&mut state, &policy, now()), FailureConsequence::Counted);
        assert_eq!(fail(&mut state, &policy, now()), FailureConsequence::LockedOut);
    }

    #[test]
    fn change_required_reasons() {
        let policy = PinPolicy::default();
        let mut expired = state();
        expired.expired = true;
        assert_eq!(
            succeed(&mut expired, &policy, 6, Channel::Api, now()),
            (SignInOutcome::PinChangeRequired, SignInReason::PinExpired)
        );

        let mut old = state();
        let later = now() + Duration::days(61);
        assert_eq!(
            succeed(&mut old, &policy, 6, Channel::Api, later),
            (SignInOutcome::PinChangeRequired, SignInReason::LifetimePassed)
        );
        let forever = PinPolicy { pin_lifetime: PinLifetime::Unlimited, ..policy };
        assert_eq!(succeed(&mut old, &forever, 6, Channel::Api, later).0, SignInOutcome::Success);

        let mut short = state();
        assert_eq!(
            succeed(&mut short, &policy, 5, Channel::Api, now()),
            (SignInOutcome::PinChangeRequired, SignInReason::BelowMinimumLength)
        );
    }

    #[test]
    fn first_time_user_clears_on_a_full_success_only() {
        let policy = PinPolicy::default();
        let mut state = state();
        state.first_time_user = true;
        state.expired = true;
        succeed(&mut state, &policy, 6, Channel::Api, now());
        assert!(state.first_time_user);
        state.expired = false;
        succeed(&mut state, &policy, 6, Channel::Phone, now());
        assert!(state.first_time_user, "on the phone, the first-time setup ends it");
        succeed(&mut state, &policy, 6, Channel::Api, now());
        assert!(!state.first_time_user);
    }
}
