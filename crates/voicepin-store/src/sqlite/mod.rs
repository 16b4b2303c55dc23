//! The SQLite store: one database file, WAL journaling, a small pool of connections.
//!
//! Writes take the write lock up front (`BEGIN IMMEDIATE`), so two commits never deadlock
//! upgrading a read lock; a busy connection waits up to ten seconds for its turn.
//! Reads that need several statements run in one read transaction, a consistent snapshot.

mod errors;
mod outbox;
mod read;
mod write;

use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use time::OffsetDateTime;
use voicepin_core::StoreError;
use voicepin_core::audit::AuditEvent;
use voicepin_core::ids::{DialPlanId, MailId, PolicyId};
use voicepin_core::mailbox::Mailbox;
use voicepin_core::policy::{DialPlan, MailboxPolicy};
use voicepin_core::ports::{AuditQuery, Change, MailRecord, MailboxLookup, MailboxQuery, QueuedMail, Store};

use crate::MailSealer;
use errors::db;

/// How long a connection waits for a lock held by another before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections in the pool: SQLite has one writer at a time, so a handful is plenty.
const MAX_CONNECTIONS: u32 = 5;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// The [`Store`] over an SQLite database file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    sealer: MailSealer,
}

impl SqliteStore {
    /// Opens (creating it if missing) the database at `path` and brings its schema up to
    /// date. Queued message bodies are sealed and opened with `sealer`.
    ///
    /// The connections use WAL journaling, `synchronous = NORMAL`, foreign keys and a
    /// busy timeout of ten seconds.
    pub async fn open(path: &Path, sealer: MailSealer) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Backend(format!("cannot open database {}: {e}", path.display())))?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::Backend(format!("cannot migrate database {}: {e}", path.display())))?;
        Ok(Self { pool, sealer })
    }

    /// Closes every connection, checkpointing the WAL into the database file. Calls after
    /// this fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn commit(&self, change: Change) -> Result<(), StoreError> {
        write::commit(&self.pool, &self.sealer, change).await
    }

    async fn dial_plan(&self, id: DialPlanId) -> Result<Option<DialPlan>, StoreError> {
        read::dial_plan(&self.pool, id).await
    }

    async fn dial_plan_by_name(&self, name: &str) -> Result<Option<DialPlan>, StoreError> {
        read::dial_plan_by_name(&self.pool, name).await
    }

    async fn dial_plans(&self) -> Result<Vec<DialPlan>, StoreError> {
        read::dial_plans(&self.pool).await
    }

    async fn policy(&self, id: PolicyId) -> Result<Option<MailboxPolicy>, StoreError> {
        read::policy(&self.pool, id).await
    }

    async fn policy_by_name(&self, name: &str) -> Result<Option<MailboxPolicy>, StoreError> {
        read::policy_by_name(&self.pool, name).await
    }

    async fn policies(&self, dial_plan: Option<DialPlanId>) -> Result<Vec<MailboxPolicy>, StoreError> {
        read::policies(&self.pool, dial_plan).await
    }

    async fn count_mailboxes_with_policy(&self, policy: PolicyId) -> Result<u64, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        read::count_mailboxes_with_policy(&mut conn, policy).await
    }

    async fn count_mailboxes_in_dial_plan(&self, dial_plan: DialPlanId) -> Result<u64, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        read::count_mailboxes_in_dial_plan(&mut conn, dial_plan).await
    }

    async fn find_mailboxes(&self, lookup: &MailboxLookup) -> Result<Vec<Mailbox>, StoreError> {
        read::find_mailboxes(&self.pool, lookup).await
    }

    async fn mailboxes(&self, query: &MailboxQuery) -> Result<Vec<Mailbox>, StoreError> {
        read::mailboxes(&self.pool, query).await
    }

    async fn audit_events(&self, query: &AuditQuery) -> Result<Vec<AuditEvent>, StoreError> {
        read::audit_events(&self.pool, query).await
    }

    async fn due_mail(&self, now: OffsetDateTime, limit: u32) -> Result<Vec<QueuedMail>, StoreError> {
        outbox::due_mail(&self.pool, &self.sealer, now, limit).await
    }

    async fn mark_mail_sent(&self, id: MailId, at: OffsetDateTime) -> Result<(), StoreError> {
        outbox::mark_sent(&self.pool, id, at).await
    }

    async fn mark_mail_attempt_failed(
        &self,
        id: MailId,
        error: &str,
        retry_at: Option<OffsetDateTime>,
    ) -> Result<(), StoreError> {
        outbox::mark_attempt_failed(&self.pool, id, error, retry_at).await
    }

    async fn mail_records(&self, include_sent: bool, limit: u32) -> Result<Vec<MailRecord>, StoreError> {
        outbox::records(&self.pool, include_sent, limit).await
    }

    async fn requeue_mail(&self, id: MailId, at: OffsetDateTime) -> Result<bool, StoreError> {
        outbox::requeue(&self.pool, id, at).await
    }
}
