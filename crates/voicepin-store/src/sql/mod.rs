//! The SQL engine both adapters share: every statement is written once, in the SQL that
//! SQLite and PostgreSQL both speak, and runs over a [`Backend`] that supplies the few words
//! in which they differ (`dialect`).
//!
//! - `statement`: `Sql`, a statement with `?` for its values, and the traits that run it on
//!   either backend's connection;
//! - `errors`: database errors as [`StoreError`]s, constraint violations by kind;
//! - `read`, `write`, `outbox`: the [`Store`] operations.

mod dialect;
mod errors;
mod keyring;
mod outbox;
mod read;
mod statement;
mod write;

use std::fmt;

use async_trait::async_trait;
use sqlx::{Database, Pool};
use time::OffsetDateTime;
use voicepin_core::StoreError;
use voicepin_core::accounts::{AdminAccount, Session};
use voicepin_core::audit::AuditEvent;
use voicepin_core::ids::{AccountId, DialPlanId, LinkId, MailId, MailboxId, PolicyId, SessionId, TokenId};
use voicepin_core::links::PinResetLink;
use voicepin_core::mailbox::Mailbox;
use voicepin_core::policy::{DialPlan, MailboxPolicy};
use voicepin_core::ports::{
    AuditQuery, Change, ClaimedMail, DayCount, MailQueueStats, MailRecord, MailboxCounts, MailboxLookup, MailboxQuery,
    QueuedMail, Store,
};
use voicepin_core::recording::{Recording, RecordingInfo, RecordingKind};
use voicepin_core::tokens::ApiToken;

use crate::MailSealer;
pub(crate) use dialect::Dialect;
pub(crate) use errors::db;
pub use keyring::KeyFingerprint;
use statement::Exec;

/// A database [`SqlStore`] runs on: [`sqlx::Sqlite`] or [`sqlx::Postgres`]. Sealed.
pub trait Backend: Dialect + Database<Connection: Exec> {}

impl<DB> Backend for DB where DB: Dialect + Database<Connection: Exec> {}

/// A result row of the backend `B`.
type Row<B> = <<B as Database>::Connection as Exec>::Row;

/// The [`Store`] over an SQL database, one implementation for both backends: see
/// [`SqliteStore`](crate::SqliteStore) and [`PgStore`](crate::PgStore), which open one.
///
/// Every commit is one transaction; updates and deletes name the revision they read
/// (`WHERE id = ? AND revision = ?`) and fail with [`StoreError::Conflict`] when it moved.
pub struct SqlStore<B: Backend> {
    pool: Pool<B>,
    sealer: MailSealer,
}

impl<B: Backend> SqlStore<B> {
    /// A store over a connected and migrated pool.
    pub(crate) fn new(pool: Pool<B>, sealer: MailSealer) -> Self {
        Self { pool, sealer }
    }

    /// Closes every connection (SQLite checkpoints its WAL into the database file). Calls
    /// after this fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The same store, sealing and opening queued message bodies with `sealer` instead.
    #[must_use]
    pub fn with_sealer(self, sealer: MailSealer) -> Self {
        Self { pool: self.pool, sealer }
    }

    /// The keys the database was written with, as recorded by [`Self::record_key`].
    pub async fn key_fingerprints(&self) -> Result<Vec<KeyFingerprint>, StoreError> {
        keyring::fingerprints(&self.pool).await
    }

    /// Records that the database is written with `key`; a key already recorded under the
    /// same purpose and id keeps its first fingerprint.
    pub async fn record_key(&self, key: &KeyFingerprint, now: OffsetDateTime) -> Result<(), StoreError> {
        keyring::record(&self.pool, key, now).await
    }

    /// Whether the database holds any data (a dial plan, a policy, a mailbox, an account,
    /// a token, mail or an audit event): a database without is new.
    pub async fn holds_data(&self) -> Result<bool, StoreError> {
        keyring::holds_data(&self.pool).await
    }
}

impl<B: Backend> Clone for SqlStore<B> {
    fn clone(&self) -> Self {
        Self { pool: self.pool.clone(), sealer: self.sealer.clone() }
    }
}

impl<B: Backend> fmt::Debug for SqlStore<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlStore").field("backend", &B::NAME).field("pool", &self.pool).finish_non_exhaustive()
    }
}

#[async_trait]
impl<B: Backend> Store for SqlStore<B> {
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

    async fn token(&self, id: TokenId) -> Result<Option<ApiToken>, StoreError> {
        read::token(&self.pool, id).await
    }

    async fn token_by_name(&self, name: &str) -> Result<Option<ApiToken>, StoreError> {
        read::token_by_name(&self.pool, name).await
    }

    async fn tokens(&self) -> Result<Vec<ApiToken>, StoreError> {
        read::tokens(&self.pool).await
    }

    async fn account(&self, id: AccountId) -> Result<Option<AdminAccount>, StoreError> {
        read::account(&self.pool, id).await
    }

    async fn account_by_name(&self, name: &str) -> Result<Option<AdminAccount>, StoreError> {
        read::account_by_name(&self.pool, name).await
    }

    async fn accounts(&self) -> Result<Vec<AdminAccount>, StoreError> {
        read::accounts(&self.pool).await
    }

    async fn session(&self, id: SessionId) -> Result<Option<Session>, StoreError> {
        read::session(&self.pool, id).await
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
        let mut conn = self.pool.acquire().await.map_err(db::<B>)?;
        read::count_mailboxes_with_policy(&mut *conn, policy).await
    }

    async fn count_mailboxes_in_dial_plan(&self, dial_plan: DialPlanId) -> Result<u64, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db::<B>)?;
        read::count_mailboxes_in_dial_plan(&mut *conn, dial_plan).await
    }

    async fn find_mailboxes(&self, lookup: &MailboxLookup) -> Result<Vec<Mailbox>, StoreError> {
        read::find_mailboxes(&self.pool, lookup).await
    }

    async fn mailboxes(&self, query: &MailboxQuery) -> Result<Vec<Mailbox>, StoreError> {
        read::mailboxes(&self.pool, query).await
    }

    async fn recording(&self, mailbox: MailboxId, kind: RecordingKind) -> Result<Option<Recording>, StoreError> {
        read::recording(&self.pool, mailbox, kind).await
    }

    async fn recordings(&self, mailbox: MailboxId) -> Result<Vec<RecordingInfo>, StoreError> {
        read::recordings(&self.pool, mailbox).await
    }

    async fn audit_events(&self, query: &AuditQuery) -> Result<Vec<AuditEvent>, StoreError> {
        read::audit_events(&self.pool, query).await
    }

    async fn count_audit_events_per_day(&self, query: &AuditQuery) -> Result<Vec<DayCount>, StoreError> {
        read::count_audit_events_per_day(&self.pool, query).await
    }

    async fn count_mailboxes_by_state(&self, now: OffsetDateTime) -> Result<MailboxCounts, StoreError> {
        // One read transaction: the three counts of one snapshot.
        let mut tx = self.pool.begin_with(B::BEGIN_READ).await.map_err(db::<B>)?;
        let counts = read::count_mailboxes_by_state(&mut *tx, now).await?;
        tx.commit().await.map_err(db::<B>)?;
        Ok(counts)
    }

    async fn due_mail(&self, now: OffsetDateTime, limit: u32) -> Result<Vec<QueuedMail>, StoreError> {
        outbox::due_mail(&self.pool, &self.sealer, now, limit).await
    }

    async fn claim_due_mail(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<ClaimedMail, StoreError> {
        outbox::claim_due_mail(&self.pool, &self.sealer, now, lease_until, limit).await
    }

    async fn release_mail_claim(&self, id: MailId, due_at: OffsetDateTime) -> Result<(), StoreError> {
        outbox::release_claim(&self.pool, id, due_at).await
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

    async fn mail_queue_stats(&self) -> Result<MailQueueStats, StoreError> {
        outbox::queue_stats(&self.pool).await
    }

    async fn pin_reset_link(&self, id: LinkId) -> Result<Option<PinResetLink>, StoreError> {
        read::pin_reset_link(&self.pool, id).await
    }

    async fn count_pin_reset_links(&self, mailbox: MailboxId, since: OffsetDateTime) -> Result<u64, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db::<B>)?;
        read::count_pin_reset_links(&mut *conn, mailbox, since).await
    }

    async fn requeue_mail(&self, id: MailId, at: OffsetDateTime) -> Result<bool, StoreError> {
        outbox::requeue(&self.pool, id, at).await
    }

    async fn sign_in_failures(&self, sources: &[String], since: OffsetDateTime) -> Result<Vec<u64>, StoreError> {
        read::sign_in_failures(&self.pool, sources, since).await
    }
}
