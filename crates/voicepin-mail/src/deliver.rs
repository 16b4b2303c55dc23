//! Outbox delivery: due messages are rendered, sent and marked, failures retried with
//! exponential backoff or given up.
//!
//! Nothing here logs a PIN or a body: log lines name the mail id and kind only.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use time::OffsetDateTime;
use voicepin_core::audit::{AuditAction, AuditEvent, RequestContext};
use voicepin_core::ids::MailId;
use voicepin_core::notify::OutboundMail;
use voicepin_core::ports::{Change, MailRecord, QueuedMail, Store};

use crate::error::{MailError, SendError};
use crate::settings::MailSettings;
use crate::templates::render;
use crate::transport::{MessageInfo, Transport};

/// How many due messages are claimed from the store at a time.
pub const BATCH_SIZE: u32 = 50;

/// How long a claimed batch is ours alone when several nodes share the store
/// ([`MailSettings::claim_lease`]): another node sends a message of it only after this, if
/// this sender never marked it sent or failed. Much longer
/// than a batch takes (the transport's timeout bounds each message, and a run stops after
/// [`STOP_AFTER_TRANSIENT_FAILURES`] transient failures in a row), short enough that a crash
/// delays a PIN by minutes, not hours.
pub const CLAIM_LEASE: time::Duration = time::Duration::minutes(10);

/// After this many transient failures in a row, the run stops: the server is most likely
/// down, and every further attempt would only wait for its timeout.
pub const STOP_AFTER_TRANSIENT_FAILURES: u32 = 3;

/// When to try again after a transient failure, and when to give up.
///
/// The n-th retry waits `first_delay * 2^(n-1)`, at most `max_delay`, give or take
/// `jitter_percent` so that many messages failing together do not retry together. The
/// message is given up after `max_attempts` attempts. The defaults (30 s doubling to an
/// hour, 54 attempts) keep trying for about 48 hours; the count, not the age, decides,
/// because an operator's requeue starts a fresh count for an old message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The wait after the first failure.
    pub first_delay: Duration,
    /// The longest wait.
    pub max_delay: Duration,
    /// Random spread of each wait, in percent either way.
    pub jitter_percent: u8,
    /// Attempts, the first included, before giving up.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            first_delay: Duration::from_secs(30),
            max_delay: Duration::from_secs(3600),
            jitter_percent: 20,
            max_attempts: 54,
        }
    }
}

impl RetryPolicy {
    /// The wait after `attempts_made` failed attempts, before jitter.
    pub fn nominal_delay(&self, attempts_made: u32) -> Duration {
        let doublings = attempts_made.saturating_sub(1).min(31);
        self.first_delay.saturating_mul(1u32 << doublings).min(self.max_delay)
    }

    /// The wait after `attempts_made` failed attempts, spread by `random` (any value: a
    /// uniform draw maps to a uniform spread).
    pub fn delay(&self, attempts_made: u32, random: u32) -> Duration {
        let nominal = self.nominal_delay(attempts_made);
        let spread = u64::from(self.jitter_percent.min(100)) * 10; // per mille either way
        let factor = 1000 - spread + u64::from(random) % (2 * spread + 1);
        let millis = u64::try_from(nominal.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(millis.saturating_mul(factor) / 1000)
    }

    /// When to try again after `attempts_made` failed attempts, or `None` to give up.
    pub fn next_attempt(&self, attempts_made: u32, now: OffsetDateTime, random: u32) -> Option<OffsetDateTime> {
        if attempts_made >= self.max_attempts {
            return None;
        }
        now.checked_add(time::Duration::try_from(self.delay(attempts_made, random)).ok()?)
    }
}

/// What one delivery run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Messages delivered.
    pub sent: u32,
    /// Messages that failed for now and were scheduled again.
    pub retried: u32,
    /// Messages given up: a permanent error, too many attempts, or a message that cannot be
    /// rendered. Their bodies stay for `voicepin mail retry`.
    pub failed: u32,
    /// Whether the run stopped early after [`STOP_AFTER_TRANSIENT_FAILURES`] transient
    /// failures in a row; the rest stays due for the next run.
    pub stopped_early: bool,
}

impl DeliveryReport {
    /// Whether nothing was attempted.
    pub fn is_empty(&self) -> bool {
        self.sent == 0 && self.retried == 0 && self.failed == 0
    }
}

/// Delivers the messages due at `now`, oldest first, in batches of [`BATCH_SIZE`].
///
/// Each message is rendered, sent and marked sent. A transient failure schedules a retry
/// following `settings.retry`; a permanent failure, the last allowed attempt, or a message
/// that cannot be rendered marks it failed (its sealed body kept for a requeue). A store
/// error stops the run: a message sent but not yet marked will be sent again later with
/// the same Message-ID.
pub async fn deliver_due(
    store: &dyn Store,
    transport: &dyn Transport,
    settings: &MailSettings,
    now: OffsetDateTime,
) -> Result<DeliveryReport, MailError> {
    deliver_due_observed(store, transport, settings, now, &|_| {}).await
}

/// What became of one message in a delivery run, for a person watching (the CLI prints a
/// line per message). Never the body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempted<'a> {
    /// The outbox id.
    pub id: MailId,
    /// The kind of notification (`welcome`, `pinReset`, ...).
    pub kind: &'a str,
    /// The recipient's address.
    pub to: &'a str,
    /// What happened.
    pub outcome: AttemptOutcome,
}

/// The outcome of one message's attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// Delivered; where to, as the transport says it ([`Transport::destination`]).
    Sent(String),
    /// Not delivered for now; tried again at this time.
    Retry(String, OffsetDateTime),
    /// Given up, with the reason.
    GivenUp(String),
}

impl std::fmt::Display for AttemptOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sent(destination) => f.write_str(destination),
            Self::Retry(error, _) => write!(f, "not sent yet, will retry: {error}"),
            Self::GivenUp(reason) => write!(f, "given up: {reason}"),
        }
    }
}

/// [`deliver_due`], telling `observe` what became of each message attempted.
pub async fn deliver_due_observed(
    store: &dyn Store,
    transport: &dyn Transport,
    settings: &MailSettings,
    now: OffsetDateTime,
    observe: &(dyn Fn(&Attempted<'_>) + Sync),
) -> Result<DeliveryReport, MailError> {
    let mut report = DeliveryReport::default();
    let mut seen = HashSet::new();
    let mut transient_in_a_row = 0;
    loop {
        let lease_until = now + settings.claim_lease;
        let claimed = store.claim_due_mail(now, lease_until, BATCH_SIZE).await?;
        let complete = claimed.len() < BATCH_SIZE as usize;
        let mut progressed = false;
        for record in &claimed.unopened {
            // Its body did not open (the mail key is lost or another one): the store marked
            // it failed; it counts as failed, is audited and reported like any given up.
            if !seen.insert(record.id) {
                continue;
            }
            progressed = true;
            report.failed += 1;
            let reason = record.last_error.clone().unwrap_or_else(|| "the body does not open".to_owned());
            tracing::error!(mail_id = %record.id, kind = %record.kind, error = %reason,
                "mail body cannot be opened (is keys/mail.key the one it was sealed with?); given up");
            audit_unopened(store, record, &reason, now).await?;
            observe(&Attempted {
                id: record.id,
                kind: record.kind.as_str(),
                to: record.to.as_str(),
                outcome: AttemptOutcome::GivenUp(reason),
            });
        }
        let batch = claimed.due;
        let mut untried: Vec<_> = batch.iter().map(|q| q.mail.id).collect();
        untried.reverse();
        for queued in batch {
            untried.pop();
            // A store that failed to record an outcome could hand the same message back.
            if !seen.insert(queued.mail.id) {
                continue;
            }
            progressed = true;
            match deliver_one(store, transport, settings, now, &queued, observe).await? {
                Outcome::Sent => {
                    report.sent += 1;
                    transient_in_a_row = 0;
                }
                Outcome::Retried => {
                    report.retried += 1;
                    transient_in_a_row += 1;
                }
                Outcome::Failed { transient } => {
                    report.failed += 1;
                    transient_in_a_row = if transient { transient_in_a_row + 1 } else { 0 };
                }
            }
            if transient_in_a_row >= STOP_AFTER_TRANSIENT_FAILURES {
                tracing::warn!(failures = transient_in_a_row, "mail delivery paused: the transport keeps failing");
                report.stopped_early = true;
                // The rest of the batch was never tried: due again now, not after the lease.
                for id in untried {
                    store.release_mail_claim(id, now).await?;
                }
                return Ok(report);
            }
        }
        if complete || !progressed {
            break;
        }
    }
    if !report.is_empty() {
        tracing::info!(sent = report.sent, retried = report.retried, failed = report.failed, "mail delivery run");
    }
    Ok(report)
}

enum Outcome {
    Sent,
    Retried,
    Failed { transient: bool },
}

async fn deliver_one(
    store: &dyn Store,
    transport: &dyn Transport,
    settings: &MailSettings,
    now: OffsetDateTime,
    queued: &QueuedMail,
    observe: &(dyn Fn(&Attempted<'_>) + Sync),
) -> Result<Outcome, MailError> {
    let mail = &queued.mail;
    let id = mail.id;
    let kind = mail.notification.kind();
    let tell = |outcome| observe(&Attempted { id, kind, to: mail.to.as_str(), outcome });
    let message = match render(mail, settings) {
        Ok(message) => message,
        Err(e) => {
            tracing::error!(mail_id = %id, kind, code = e.code(), error = %e,
                "mail cannot be rendered; given up");
            let reason = format!("{}: {e}", e.code());
            store.mark_mail_attempt_failed(id, &reason, None).await?;
            audit_given_up(store, mail, &reason, queued.attempts, now).await?;
            tell(AttemptOutcome::GivenUp(reason));
            return Ok(Outcome::Failed { transient: false });
        }
    };
    let info = MessageInfo { id, created_at: mail.created_at };
    let attempts_made = queued.attempts.saturating_add(1);
    match transport.send(&message, &info).await {
        Ok(()) => {
            store.mark_mail_sent(id, now).await?;
            tracing::info!(mail_id = %id, kind, attempts = attempts_made, "mail sent");
            tell(AttemptOutcome::Sent(transport.destination(&info)));
            Ok(Outcome::Sent)
        }
        Err(e @ SendError::Transient(_)) => {
            let retry_at = settings.retry.next_attempt(attempts_made, now, random_u32());
            store.mark_mail_attempt_failed(id, &e.to_string(), retry_at).await?;
            match retry_at {
                Some(at) => {
                    tracing::warn!(mail_id = %id, kind, attempts = attempts_made, error = %e,
                        retry_at = %at, "mail not sent; will retry");
                    tell(AttemptOutcome::Retry(e.to_string(), at));
                    Ok(Outcome::Retried)
                }
                None => {
                    tracing::error!(mail_id = %id, kind, attempts = attempts_made, error = %e,
                        "mail not sent; too many attempts, given up");
                    audit_given_up(store, mail, &e.to_string(), attempts_made, now).await?;
                    tell(AttemptOutcome::GivenUp(e.to_string()));
                    Ok(Outcome::Failed { transient: true })
                }
            }
        }
        Err(e @ SendError::Permanent(_)) => {
            store.mark_mail_attempt_failed(id, &e.to_string(), None).await?;
            tracing::error!(mail_id = %id, kind, attempts = attempts_made, error = %e,
                "mail refused; given up");
            audit_given_up(store, mail, &e.to_string(), attempts_made, now).await?;
            tell(AttemptOutcome::GivenUp(e.to_string()));
            Ok(Outcome::Failed { transient: false })
        }
    }
}

/// The audit log says when a message is given up: a user is waiting for a PIN that will not
/// come, and someone must act (`voicepin mail retry`). The reason is the server's reply or
/// the error, never the body.
async fn audit_given_up(
    store: &dyn Store,
    mail: &OutboundMail,
    reason: &str,
    attempts: u32,
    now: OffsetDateTime,
) -> Result<(), MailError> {
    let event = AuditEvent::new(&RequestContext::system(), now, AuditAction::MailFailed, mail.to.as_str())
        .for_mailbox(mail.mailbox_id)
        .with("mailId", mail.id)
        .with("kind", mail.notification.kind())
        .with("attempts", attempts)
        .with("reason", reason);
    store.commit(Change { audit: vec![event], ..Change::default() }).await?;
    Ok(())
}

/// The audit log says when a message is given up because its body does not open, as for
/// any message given up.
async fn audit_unopened(
    store: &dyn Store,
    record: &MailRecord,
    reason: &str,
    now: OffsetDateTime,
) -> Result<(), MailError> {
    let event = AuditEvent::new(&RequestContext::system(), now, AuditAction::MailFailed, record.to.as_str())
        .for_mailbox(record.mailbox_id)
        .with("mailId", record.id)
        .with("kind", record.kind.as_str())
        .with("attempts", record.attempts)
        .with("reason", reason);
    store.commit(Change { audit: vec![event], ..Change::default() }).await?;
    Ok(())
}

/// Jitter only: if the system generator fails, no jitter is better than no delivery.
fn random_u32() -> u32 {
    getrandom::u32().unwrap_or(0)
}

/// Running totals of delivery, for a metrics endpoint. Cheap to update from any task.
#[derive(Debug, Default)]
pub struct Counters {
    queued: AtomicU64,
    sent: AtomicU64,
    retried: AtomicU64,
    failed: AtomicU64,
}

/// The values of [`Counters`] at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CountersSnapshot {
    /// Messages waiting, as last observed ([`Counters::set_queued`]): a gauge.
    pub queued: u64,
    /// Messages delivered since start.
    pub sent: u64,
    /// Failed attempts scheduled again since start.
    pub retried: u64,
    /// Messages given up since start.
    pub failed: u64,
}

impl Counters {
    /// Zeroed counters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a run's outcome.
    pub fn record(&self, report: &DeliveryReport) {
        self.sent.fetch_add(u64::from(report.sent), Ordering::Relaxed);
        self.retried.fetch_add(u64::from(report.retried), Ordering::Relaxed);
        self.failed.fetch_add(u64::from(report.failed), Ordering::Relaxed);
    }

    /// Sets how many messages are waiting.
    pub fn set_queued(&self, queued: u64) {
        self.queued.store(queued, Ordering::Relaxed);
    }

    /// The current values.
    pub fn snapshot(&self) -> CountersSnapshot {
        CountersSnapshot {
            queued: self.queued.load(Ordering::Relaxed),
            sent: self.sent.load(Ordering::Relaxed),
            retried: self.retried.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn delays_double_from_thirty_seconds_up_to_an_hour() {
        let policy = RetryPolicy::default();
        let secs: Vec<u64> = (1..=9).map(|n| policy.nominal_delay(n).as_secs()).collect();
        assert_eq!(secs, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(policy.nominal_delay(1000).as_secs(), 3600);
    }

    #[test]
    fn jitter_stays_within_twenty_percent() {
        let policy = RetryPolicy::default();
        let delays: Vec<u128> =
            [0, 1, 200, 399, 400, 12_345, u32::MAX].into_iter().map(|r| policy.delay(4, r).as_millis()).collect();
        for d in &delays {
            assert!((192_000..=288_000).contains(d), "{d}");
        }
        assert_eq!(policy.delay(4, 0).as_millis(), 192_000);
        assert_eq!(policy.delay(4, 400).as_millis(), 288_000);
        let none = RetryPolicy { jitter_percent: 0, ..RetryPolicy::default() };
        assert_eq!(none.delay(4, 12_345).as_secs(), 240);
    }

    #[test]
    fn default_policy_keeps_trying_for_about_two_days() {
        let policy = RetryPolicy::default();
        let total: Duration = (1..policy.max_attempts).map(|n| policy.nominal_delay(n)).sum();
        let hours = total.as_secs_f64() / 3600.0;
        assert!((47.0..=49.0).contains(&hours), "{hours}");
    }

    #[test]
    fn gives_up_after_the_last_attempt() {
        let policy = RetryPolicy::default();
        let now = datetime!(2025-03-14 09:30:00 UTC);
        assert_eq!(policy.next_attempt(1, now, 200), Some(datetime!(2025-03-14 09:30:30 UTC)));
        assert!(policy.next_attempt(53, now, 0).is_some());
        assert_eq!(policy.next_attempt(54, now, 0), None);
    }

    #[test]
    fn counters_add_up_runs() {
        let counters = Counters::new();
        counters.record(&DeliveryReport { sent: 2, retried: 1, failed: 0, stopped_early: false });
        counters.record(&DeliveryReport { sent: 1, retried: 0, failed: 3, stopped_early: true });
        counters.set_queued(4);
        assert_eq!(counters.snapshot(), CountersSnapshot { queued: 4, sent: 3, retried: 1, failed: 3 });
    }
}
