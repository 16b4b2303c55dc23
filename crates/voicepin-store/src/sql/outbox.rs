//! The mail outbox: bodies opened for delivery, then dropped once sent.

use sqlx::Pool;
use time::OffsetDateTime;
use voicepin_core::StoreError;
use voicepin_core::ids::MailId;
use voicepin_core::notify::OutboundMail;
use voicepin_core::ports::{ClaimedMail, MailQueueStats, MailRecord, MailStatus, QueuedMail};

use super::Backend;
use super::read::{acquire, objects};
use super::statement::{Sql, Values, get};
use crate::MailSealer;
use crate::codec::{self, backend};

const RECORD_COLUMNS: &str = "SELECT id, mailbox_id, to_address, kind, status, attempts, \
     created_at, next_attempt_at, sent_at, last_error FROM outbox";

fn record_from_row(row: &impl Values) -> Result<MailRecord, StoreError> {
    Ok(MailRecord {
        id: codec::id(&get::<String>(row, "id")?)?,
        mailbox_id: codec::id(&get::<String>(row, "mailbox_id")?)?,
        to: get(row, "to_address")?,
        kind: get(row, "kind")?,
        status: codec::parse_status(&get::<String>(row, "status")?)?,
        attempts: codec::count(get(row, "attempts")?)?,
        created_at: codec::time(get(row, "created_at")?)?,
        next_attempt_at: codec::time(get(row, "next_attempt_at")?)?,
        sent_at: codec::time_opt(get(row, "sent_at")?)?,
        last_error: get(row, "last_error")?,
    })
}

/// Queued messages due at `now`, oldest first, bodies opened ([`open_due`]), claiming none.
pub(super) async fn due_mail<B: Backend>(
    pool: &Pool<B>,
    sealer: &MailSealer,
    now: OffsetDateTime,
    limit: u32,
) -> Result<Vec<QueuedMail>, StoreError> {
    let query = Sql::new(format!(
        "SELECT {DUE_COLUMNS} FROM outbox \
         WHERE status = '{}' AND next_attempt_at <= ? ORDER BY created_at, seq LIMIT ?",
        codec::status_text(MailStatus::Queued)
    ));
    let rows = query.bind(codec::nanos(now)?).bind(i64::from(limit)).fetch_all(&mut *acquire(pool).await?).await?;
    Ok(open_due(pool, sealer, &rows).await?.due)
}

/// The columns of a due message, its sealed body included.
const DUE_COLUMNS: &str = "id, mailbox_id, to_address, kind, status, attempts, created_at, next_attempt_at, \
     sent_at, last_error, body, seq";

/// Claims the messages due at `now` until `lease_until`, oldest first: one statement that
/// moves their next attempt to the end of the lease and returns them. PostgreSQL skips the
/// rows another node is claiming at the same moment; SQLite runs one writer at a time.
pub(super) async fn claim_due_mail<B: Backend>(
    pool: &Pool<B>,
    sealer: &MailSealer,
    now: OffsetDateTime,
    lease_until: OffsetDateTime,
    limit: u32,
) -> Result<ClaimedMail, StoreError> {
    let query = Sql::new(format!(
        "UPDATE outbox SET next_attempt_at = ? WHERE id IN (SELECT id FROM outbox \
         WHERE status = '{}' AND next_attempt_at <= ? ORDER BY created_at, seq LIMIT ?{}) \
         RETURNING {DUE_COLUMNS}",
        codec::status_text(MailStatus::Queued),
        B::SKIP_LOCKED,
    ));
    let mut rows = query
        .bind(codec::nanos(lease_until)?)
        .bind(codec::nanos(now)?)
        .bind(i64::from(limit))
        .fetch_all(&mut *acquire(pool).await?)
        .await?;
    // RETURNING keeps no order: oldest first again.
    let mut keyed = Vec::with_capacity(rows.len());
    for row in rows.drain(..) {
        let key: (i64, i64) = (get(&row, "created_at")?, get(&row, "seq")?);
        keyed.push((key, row));
    }
    keyed.sort_by_key(|(key, _)| *key);
    let rows: Vec<_> = keyed.into_iter().map(|(_, row)| row).collect();
    open_due(pool, sealer, &rows).await
}

/// Opens the bodies of due messages. A body that does not open (another key, a damaged row)
/// is marked failed with the reason rather than blocking the queue, and returned as
/// unopened so that the sender counts it; its sealed body stays for a requeue once the
/// right key is configured.
async fn open_due<B: Backend>(
    pool: &Pool<B>,
    sealer: &MailSealer,
    rows: &[impl Values],
) -> Result<ClaimedMail, StoreError> {
    let mut due = Vec::with_capacity(rows.len());
    let mut unopened = Vec::new();
    for row in rows {
        let record = record_from_row(row)?;
        let body: Option<Vec<u8>> = get(row, "body")?;
        let opened = body
            .ok_or_else(|| backend(format!("queued mail {} has no body", record.id)))
            .and_then(|body| sealer.open(record.id, &body));
        match opened {
            Ok(opened) => due.push(QueuedMail {
                mail: OutboundMail {
                    id: record.id,
                    mailbox_id: record.mailbox_id,
                    to: opened.to,
                    recipient: opened.recipient,
                    notification: opened.notification,
                    created_at: record.created_at,
                },
                status: record.status,
                attempts: record.attempts,
                next_attempt_at: record.next_attempt_at,
                last_error: record.last_error,
            }),
            Err(error) => {
                let reason = error.to_string();
                mark_attempt_failed(pool, record.id, &reason, None).await?;
                unopened.push(MailRecord {
                    status: MailStatus::Failed,
                    attempts: record.attempts.saturating_add(1),
                    last_error: Some(reason),
                    ..record
                });
            }
        }
    }
    Ok(ClaimedMail { due, unopened })
}

/// Makes a claimed message due again at `due_at`; a message sent or failed meanwhile stays
/// as it is.
pub(super) async fn release_claim<B: Backend>(
    pool: &Pool<B>,
    id: MailId,
    due_at: OffsetDateTime,
) -> Result<(), StoreError> {
    Sql::new("UPDATE outbox SET next_attempt_at = ? WHERE id = ? AND status = 'queued'")
        .bind(codec::nanos(due_at)?)
        .bind(id.to_string())
        .execute(&mut *acquire(pool).await?)
        .await?;
    Ok(())
}

/// Marks a message delivered and drops its body. Marking it again changes nothing.
pub(super) async fn mark_sent<B: Backend>(pool: &Pool<B>, id: MailId, at: OffsetDateTime) -> Result<(), StoreError> {
    let updated = Sql::new(
        "UPDATE outbox SET status = 'sent', sent_at = ?, body = NULL \
         WHERE id = ? AND status <> 'sent'",
    )
    .bind(codec::nanos(at)?)
    .bind(id.to_string())
    .execute(&mut *acquire(pool).await?)
    .await?;
    if updated == 0 && !exists(pool, id).await? {
        return Err(backend(format!("there is no mail {id}")));
    }
    Ok(())
}

/// Counts a failed attempt on a queued message: due again at `retry_at`, or failed.
pub(super) async fn mark_attempt_failed<B: Backend>(
    pool: &Pool<B>,
    id: MailId,
    error: &str,
    retry_at: Option<OffsetDateTime>,
) -> Result<(), StoreError> {
    let query = match retry_at {
        Some(at) => Sql::new(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? \
             WHERE id = ? AND status = 'queued'",
        )
        .bind(error)
        .bind(codec::nanos(at)?),
        None => Sql::new(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, status = 'failed' \
             WHERE id = ? AND status = 'queued'",
        )
        .bind(error),
    };
    let updated = query.bind(id.to_string()).execute(&mut *acquire(pool).await?).await?;
    if updated == 0 {
        return Err(backend(format!("there is no queued mail {id}")));
    }
    Ok(())
}

/// Metadata, oldest first.
pub(super) async fn records<B: Backend>(
    pool: &Pool<B>,
    include_sent: bool,
    limit: u32,
) -> Result<Vec<MailRecord>, StoreError> {
    let query = Sql::new(format!("{RECORD_COLUMNS} WHERE (? OR status <> 'sent') ORDER BY created_at, seq LIMIT ?"))
        .bind(include_sent)
        .bind(i64::from(limit));
    objects(pool, query, record_from_row).await
}

/// The queued and failed counts and the oldest queued time, per status in one statement
/// (the `(status, next_attempt_at)` index finds the unsent rows).
pub(super) async fn queue_stats<B: Backend>(pool: &Pool<B>) -> Result<MailQueueStats, StoreError> {
    let query = Sql::new(
        "SELECT status, COUNT(*) AS messages, MIN(created_at) AS oldest FROM outbox \
         WHERE status IN ('queued', 'failed') GROUP BY status",
    );
    let rows = query.fetch_all(&mut *acquire(pool).await?).await?;
    let mut stats = MailQueueStats::default();
    for row in &rows {
        let messages = u64::try_from(get::<i64>(row, "messages")?).unwrap_or_default();
        match codec::parse_status(&get::<String>(row, "status")?)? {
            MailStatus::Queued => {
                stats.queued = messages;
                stats.oldest_queued_at = Some(codec::time(get(row, "oldest")?)?);
            }
            MailStatus::Failed => stats.failed = messages,
            MailStatus::Sent => {}
        }
    }
    Ok(stats)
}

/// Puts a failed message back in the queue with a fresh count of attempts (the last error
/// stays for the record).
pub(super) async fn requeue<B: Backend>(pool: &Pool<B>, id: MailId, at: OffsetDateTime) -> Result<bool, StoreError> {
    let updated = Sql::new(
        "UPDATE outbox SET status = 'queued', attempts = 0, next_attempt_at = ? \
         WHERE id = ? AND status = 'failed'",
    )
    .bind(codec::nanos(at)?)
    .bind(id.to_string())
    .execute(&mut *acquire(pool).await?)
    .await?;
    Ok(updated == 1)
}

async fn exists<B: Backend>(pool: &Pool<B>, id: MailId) -> Result<bool, StoreError> {
    let query = Sql::new("SELECT 1 AS found FROM outbox WHERE id = ?").bind(id.to_string());
    Ok(query.fetch_optional(&mut *acquire(pool).await?).await?.is_some())
}
