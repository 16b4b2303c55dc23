//! The telemetry port: what the use cases report as it happens, for metrics. Sign-in
//! outcomes, automatic PIN resets and lockouts happen inside the core, so they are counted
//! here, once, whichever front end (the HTTP API, the CLI, the telephone) made the attempt.
//!
//! Every method has a no-op default, so an observer implements only what it counts; the
//! [`VoicePin`](crate::VoicePin) starts with [`NoTelemetry`]. Calls are made after the change
//! is committed, never for an attempt that was rolled back and retried.

use crate::ids::MailId;
use crate::signin::SignInOutcome;
use crate::throttle::SourceKind;

/// An observer of the use cases. Called on the request's task: keep it cheap (counters).
pub trait Telemetry: Send + Sync {
    /// A sign-in ended with this outcome.
    fn sign_in(&self, outcome: SignInOutcome) {
        let _ = outcome;
    }

    /// Too many consecutive wrong PINs (LogonFailuresBeforePINReset): the PIN was replaced
    /// by a generated one and emailed.
    fn pin_auto_reset(&self) {}

    /// Too many wrong PINs in all (MaxLogonAttempts): the mailbox was locked out.
    fn locked_out(&self) {}

    /// A sign-in came from a source with too many failures (PIN spraying): it was delayed,
    /// or `refused` (answered as failed, unchecked). `source` is the kind that decided it.
    fn sign_in_throttled(&self, source: SourceKind, refused: bool) {
        let _ = (source, refused);
    }

    /// A message was committed to the outbox, for delivery by whichever sender runs
    /// (the local CLI reports each one it caused on standard error). Never the body.
    fn mail_queued(&self, mail: &QueuedNotice<'_>) {
        let _ = mail;
    }
}

/// What [`Telemetry::mail_queued`] is told about a message: who it is for, never its body.
#[derive(Clone, Copy, Debug)]
pub struct QueuedNotice<'a> {
    /// The outbox id.
    pub id: MailId,
    /// The kind of notification (`welcome`, `pin-reset`, ...).
    pub kind: &'static str,
    /// The recipient's address.
    pub to: &'a str,
}

/// The observer that ignores everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoTelemetry;

impl Telemetry for NoTelemetry {}
