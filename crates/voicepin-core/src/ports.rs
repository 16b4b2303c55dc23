//! The ports: what the use cases need from the world, as traits the adapters implement.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::accounts::{AdminAccount, Session};
use crate::audit::{AuditAction, AuditEvent, Channel};
use crate::error::StoreError;
use crate::ids::{AccountId, AuditId, DialPlanId, LinkId, MailId, MailboxId, PolicyId, Revision, SessionId, TokenId};
use crate::links::PinResetLink;
use crate::mailbox::Mailbox;
use crate::notify::OutboundMail;
use crate::policy::{DialPlan, MailboxPolicy};
use crate::recording::{Recording, RecordingInfo, RecordingKind};
use crate::tokens::ApiToken;

/// The time.
pub trait Clock: Send + Sync {
    /// Now, in UTC.
    fn now(&self) -> OffsetDateTime;
}

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// Waiting: how the use cases make an answer leave no earlier than a given time (every
/// failed sign-in at the same time after it began; a throttled source later still). The
/// core decides when; the adapter waits.
#[async_trait]
pub trait Pause: Send + Sync {
    /// Returns at `at` ([`Clock`] time), or at once when that has passed.
    async fn until(&self, at: OffsetDateTime);
}

/// No waiting at all: for tools and tests that measure nothing by time.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoPause;

#[async_trait]
impl Pause for NoPause {
    async fn until(&self, _at: OffsetDateTime) {}
}

/// One write of a [`Change`]. Updates and deletes name the revision they read; the store
/// refuses them with [`StoreError::Conflict`] when the stored revision differs.
#[derive(Clone, Debug)]
pub enum Write {
    /// Insert a new dial plan.
    InsertDialPlan(DialPlan),
    /// Update a dial plan read at its `revision`.
    UpdateDialPlan(DialPlan),
    /// Delete a dial plan and its policies.
    DeleteDialPlan(DialPlanId, Revision),
    /// Insert a new policy.
    InsertPolicy(MailboxPolicy),
    /// Update a policy read at its `revision`.
    UpdatePolicy(MailboxPolicy),
    /// Delete a policy; refused with [`StoreError::InUse`] while a mailbox uses it.
    DeletePolicy(PolicyId, Revision),
    /// Insert a new mailbox.
    InsertMailbox(Mailbox),
    /// Update a mailbox read at its `revision`.
    UpdateMailbox(Mailbox),
    /// Delete a mailbox.
    DeleteMailbox(MailboxId, Revision),
    /// Insert a new API token.
    InsertToken(ApiToken),
    /// Update an API token read at its `revision` (revocation).
    UpdateToken(ApiToken),
    /// Insert a new administrator account.
    InsertAccount(AdminAccount),
    /// Update an administrator account read at its `revision` (failures count this way, so
    /// none is lost).
    UpdateAccount(AdminAccount),
    /// Delete an administrator account read at `revision`, and its sessions.
    DeleteAccount(AccountId, Revision),
    /// Insert a new session.
    InsertSession(Session),
    /// Record a session's last request (last writer wins; no session, no change).
    TouchSession(SessionId, OffsetDateTime),
    /// Delete a session, if it is still there.
    DeleteSession(SessionId),
    /// Delete every session of an account (its password was reset, or it was disabled).
    DeleteSessionsOf(AccountId),
    /// Delete every session of an account but one (it changed its own password there).
    DeleteOtherSessions(AccountId, SessionId),
    /// Delete every session, of any account, that has ended by `now`: past its absolute
    /// expiry, or idle since `idle_since`.
    PurgeEndedSessions { now: OffsetDateTime, idle_since: OffsetDateTime },
    /// Insert a new self-service confirmation link.
    InsertPinResetLink(PinResetLink),
    /// Mark a link used at `at`, and every other unused link of its mailbox with it;
    /// refused with [`StoreError::Conflict`] when the link is gone or was used already, so
    /// a link works once even when followed twice at the same moment.
    UsePinResetLink {
        /// The link followed.
        id: LinkId,
        /// Its mailbox.
        mailbox: MailboxId,
        /// When.
        at: OffsetDateTime,
    },
    /// Count one failed sign-in at `at` for each source key (`callerId:+14255550100`,
    /// `address:192.0.2.1`), and forget their failures from before `forget_before`. Counts
    /// add up (never read-modify-write), so concurrent failures on any node are all kept.
    CountSignInFailure {
        /// The sources' keys.
        sources: Vec<String>,
        /// When it failed.
        at: OffsetDateTime,
        /// Older failures of these sources no longer count.
        forget_before: OffsetDateTime,
    },
    /// Store a mailbox's recording, replacing the one of the same kind (last writer wins).
    PutRecording(Recording),
}

/// Everything one use case writes, committed atomically: the objects, the messages they
/// cause and the audit events. Either all of it is stored or none.
#[derive(Clone, Debug, Default)]
pub struct Change {
    /// Object writes, applied in order.
    pub writes: Vec<Write>,
    /// Messages to queue.
    pub mail: Vec<OutboundMail>,
    /// Audit events to append.
    pub audit: Vec<AuditEvent>,
}

impl Change {
    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.writes.is_empty() && self.mail.is_empty() && self.audit.is_empty()
    }
}

/// How to find a mailbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MailboxLookup {
    /// By id.
    Id(MailboxId),
    /// By primary SMTP address (lower case).
    SmtpAddress(String),
    /// By alias (case-insensitive).
    Alias(String),
    /// By primary or secondary extension, optionally within one dial plan.
    Extension {
        /// The dial plan, when known (a call to one of its access numbers).
        dial_plan: Option<DialPlanId>,
        /// The digits.
        extension: String,
    },
    /// By E.164 phone number (caller ID).
    PhoneNumber(String),
}

/// A page of mailboxes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailboxQuery {
    /// Only mailboxes of this policy.
    pub policy: Option<PolicyId>,
    /// Only mailboxes of this dial plan.
    pub dial_plan: Option<DialPlanId>,
    /// Ambiguous name resolution: a case-insensitive substring of the address, display,
    /// first or last name, or a prefix of an extension.
    pub search: Option<String>,
    /// Only UM-enabled mailboxes (`Some(true)`), only disabled ones, or both.
    pub um_enabled: Option<bool>,
    /// Only locked-out mailboxes.
    pub locked_out: Option<bool>,
    /// Start after this address (keyset paging in address order).
    pub after: Option<String>,
    /// At most this many.
    pub limit: u32,
}

/// Which audit events to list, newest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only about this mailbox.
    pub mailbox: Option<MailboxId>,
    /// Only this action.
    pub action: Option<AuditAction>,
    /// Only by this actor.
    pub actor: Option<String>,
    /// Only through this channel.
    pub channel: Option<Channel>,
    /// Only at or after.
    pub since: Option<OffsetDateTime>,
    /// Only before.
    pub until: Option<OffsetDateTime>,
    /// The cursor of the next page: only events listed after this one (newest first), so
    /// that events with the same time are neither skipped nor repeated.
    pub before: Option<(OffsetDateTime, AuditId)>,
    /// At most this many.
    pub limit: u32,
}

/// How many audit events fell on one day (UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DayCount {
    /// The day.
    pub day: time::Date,
    /// The events on it.
    pub count: u64,
}

/// The UM-enabled mailboxes, counted by the database.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MailboxCounts {
    /// UM-enabled mailboxes.
    pub um_enabled: u64,
    /// Of them, locked out.
    pub locked_out: u64,
    /// Of them, whose PIN must be changed at the next sign-in: marked expired, or past the
    /// lifetime its policy gives a PIN.
    pub pin_expired: u64,
}

/// The page size of a list when the front end asks for none.
pub const DEFAULT_PAGE_SIZE: u32 = 100;
/// The largest page a list gives (and a store query reads when not told otherwise).
pub const MAX_PAGE_SIZE: u32 = 1000;

impl Default for MailboxQuery {
    fn default() -> Self {
        Self {
            policy: None,
            dial_plan: None,
            search: None,
            um_enabled: None,
            locked_out: None,
            after: None,
            limit: MAX_PAGE_SIZE,
        }
    }
}

impl Default for AuditQuery {
    fn default() -> Self {
        Self {
            mailbox: None,
            action: None,
            actor: None,
            channel: None,
            since: None,
            until: None,
            before: None,
            limit: DEFAULT_PAGE_SIZE,
        }
    }
}

/// The delivery state of a queued message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailStatus {
    /// Waiting to be sent (perhaps after a failed attempt).
    Queued,
    /// Delivered; the body is gone.
    Sent,
    /// Given up after a permanent error; kept (sealed) for a requeue.
    Failed,
}

/// A queued message with its delivery state.
#[derive(Clone, Debug)]
pub struct QueuedMail {
    /// The message, body unsealed.
    pub mail: OutboundMail,
    /// Delivery state.
    pub status: MailStatus,
    /// Attempts so far.
    pub attempts: u32,
    /// When the next attempt is due.
    pub next_attempt_at: OffsetDateTime,
    /// The last error.
    pub last_error: Option<String>,
}

/// What a sender claimed: the messages to send, and those whose body did not open.
#[derive(Clone, Debug, Default)]
pub struct ClaimedMail {
    /// Messages to send, oldest first, bodies opened.
    pub due: Vec<QueuedMail>,
    /// Messages whose sealed body did not open (the mail key is lost or another one), now
    /// marked failed with the reason in [`MailRecord::last_error`]; kept for a requeue.
    pub unopened: Vec<MailRecord>,
}

impl ClaimedMail {
    /// How many messages were claimed, opened or not.
    pub fn len(&self) -> usize {
        self.due.len() + self.unopened.len()
    }

    /// Whether nothing was due.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The outbox in numbers (the metrics' mail queue gauges).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MailQueueStats {
    /// Messages waiting to be sent.
    pub queued: u64,
    /// Messages given up (kept for a retry).
    pub failed: u64,
    /// When the oldest waiting message was queued.
    pub oldest_queued_at: Option<OffsetDateTime>,
}

/// Metadata of a queued, sent or failed message: never its body.
#[derive(Clone, Debug)]
pub struct MailRecord {
    /// Identifier.
    pub id: MailId,
    /// The mailbox it is about.
    pub mailbox_id: MailboxId,
    /// Recipient address.
    pub to: String,
    /// The kind of notification.
    pub kind: String,
    /// Delivery state.
    pub status: MailStatus,
    /// Attempts so far.
    pub attempts: u32,
    /// When it was queued.
    pub created_at: OffsetDateTime,
    /// When the next attempt is due.
    pub next_attempt_at: OffsetDateTime,
    /// When it was sent.
    pub sent_at: Option<OffsetDateTime>,
    /// The last error.
    pub last_error: Option<String>,
}

/// Storage of dial plans, policies, mailboxes, the mail outbox and the audit log.
///
/// Reads return what is committed; [`Store::commit`] applies a [`Change`] atomically.
#[async_trait]
pub trait Store: Send + Sync {
    /// Applies every write, queues every message and appends every audit event in one
    /// transaction. Unique values taken give [`StoreError::Duplicate`], stale revisions
    /// [`StoreError::Conflict`], removing something in use [`StoreError::InUse`].
    async fn commit(&self, change: Change) -> Result<(), StoreError>;

    /// A dial plan by id.
    async fn dial_plan(&self, id: DialPlanId) -> Result<Option<DialPlan>, StoreError>;
    /// A dial plan by name, case-insensitive.
    async fn dial_plan_by_name(&self, name: &str) -> Result<Option<DialPlan>, StoreError>;
    /// All dial plans, by name.
    async fn dial_plans(&self) -> Result<Vec<DialPlan>, StoreError>;

    /// A policy by id.
    async fn policy(&self, id: PolicyId) -> Result<Option<MailboxPolicy>, StoreError>;
    /// A policy by name, case-insensitive.
    async fn policy_by_name(&self, name: &str) -> Result<Option<MailboxPolicy>, StoreError>;
    /// All policies, optionally of one dial plan, by name.
    async fn policies(&self, dial_plan: Option<DialPlanId>) -> Result<Vec<MailboxPolicy>, StoreError>;
    /// How many mailboxes use the policy.
    async fn count_mailboxes_with_policy(&self, policy: PolicyId) -> Result<u64, StoreError>;
    /// How many mailboxes are in the dial plan.
    async fn count_mailboxes_in_dial_plan(&self, dial_plan: DialPlanId) -> Result<u64, StoreError>;

    /// The mailboxes matching a lookup (more than one only for an ambiguous alias or extension).
    async fn find_mailboxes(&self, lookup: &MailboxLookup) -> Result<Vec<Mailbox>, StoreError>;
    /// A page of mailboxes in address order.
    async fn mailboxes(&self, query: &MailboxQuery) -> Result<Vec<Mailbox>, StoreError>;

    /// A mailbox's recording of one kind, with its audio.
    async fn recording(&self, mailbox: MailboxId, kind: RecordingKind) -> Result<Option<Recording>, StoreError>;
    /// Every recording of a mailbox, without audio, in [`RecordingKind::ALL`]'s order.
    async fn recordings(&self, mailbox: MailboxId) -> Result<Vec<RecordingInfo>, StoreError>;

    /// Audit events, newest first.
    async fn audit_events(&self, query: &AuditQuery) -> Result<Vec<AuditEvent>, StoreError>;
    /// How many audit events match `query` (its limit and cursor ignored), per day (UTC),
    /// oldest day first; days without events are left out.
    async fn count_audit_events_per_day(&self, query: &AuditQuery) -> Result<Vec<DayCount>, StoreError>;
    /// The UM-enabled mailboxes, and of them the locked-out ones and those whose PIN must be
    /// changed at `now`.
    async fn count_mailboxes_by_state(&self, now: OffsetDateTime) -> Result<MailboxCounts, StoreError>;

    /// Queued messages due at `now`, oldest first, with their bodies, claiming nothing (for
    /// inspection; senders use [`Store::claim_due_mail`]). A body that does not open is
    /// marked failed.
    async fn due_mail(&self, now: OffsetDateTime, limit: u32) -> Result<Vec<QueuedMail>, StoreError>;
    /// Claims up to `limit` messages due at `now` for one sender until `lease_until`: the
    /// same as [`Store::due_mail`], but each message returned is no longer due for anyone
    /// else (another node, another process) until the lease ends, so two senders never send
    /// it twice. A sender that dies holding a claim loses nothing: the message is due again
    /// once the lease ends. Marking it sent or failed ends the claim. A message whose body
    /// does not open (a lost or wrong mail key) is marked failed, its sealed body kept, and
    /// returned among [`ClaimedMail::unopened`] so that the sender counts and reports it.
    async fn claim_due_mail(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<ClaimedMail, StoreError>;
    /// Gives back the claim on a message this sender will not try after all: due again at
    /// `due_at`, no attempt counted.
    async fn release_mail_claim(&self, id: MailId, due_at: OffsetDateTime) -> Result<(), StoreError>;
    /// Marks a message delivered and drops its body.
    async fn mark_mail_sent(&self, id: MailId, at: OffsetDateTime) -> Result<(), StoreError>;
    /// Records a failed attempt: retried at `retry_at`, or given up when `None` (the sealed
    /// body stays, so an operator can requeue it).
    async fn mark_mail_attempt_failed(
        &self,
        id: MailId,
        error: &str,
        retry_at: Option<OffsetDateTime>,
    ) -> Result<(), StoreError>;
    /// Metadata of queued and failed messages (or all, with `include_sent`), oldest first.
    async fn mail_records(&self, include_sent: bool, limit: u32) -> Result<Vec<MailRecord>, StoreError>;
    /// How many messages wait and how many were given up, and the oldest waiting one's age:
    /// counted by the database, whatever the queue's length.
    async fn mail_queue_stats(&self) -> Result<MailQueueStats, StoreError>;
    /// An API token by id.
    async fn token(&self, id: TokenId) -> Result<Option<ApiToken>, StoreError>;
    /// An API token by name, case-insensitive.
    async fn token_by_name(&self, name: &str) -> Result<Option<ApiToken>, StoreError>;
    /// Every API token, by name.
    async fn tokens(&self) -> Result<Vec<ApiToken>, StoreError>;

    /// An administrator account by id.
    async fn account(&self, id: AccountId) -> Result<Option<AdminAccount>, StoreError>;
    /// An administrator account by name, case-insensitive.
    async fn account_by_name(&self, name: &str) -> Result<Option<AdminAccount>, StoreError>;
    /// Every administrator account, by name.
    async fn accounts(&self) -> Result<Vec<AdminAccount>, StoreError>;
    /// A session by id.
    async fn session(&self, id: SessionId) -> Result<Option<Session>, StoreError>;

    /// A self-service confirmation link by id.
    async fn pin_reset_link(&self, id: LinkId) -> Result<Option<PinResetLink>, StoreError>;
    /// How many confirmation links were made for `mailbox` at or after `since`.
    async fn count_pin_reset_links(&self, mailbox: MailboxId, since: OffsetDateTime) -> Result<u64, StoreError>;
    /// The failed sign-ins counted for each source key since `since` (in the order of
    /// `sources`; 0 for a key never counted). Counts are kept per minute, so `since` is
    /// rounded down to its minute.
    async fn sign_in_failures(&self, sources: &[String], since: OffsetDateTime) -> Result<Vec<u64>, StoreError>;

    /// Puts a failed message back in the queue, due at `at`; false if there is no such
    /// failed message.
    async fn requeue_mail(&self, id: MailId, at: OffsetDateTime) -> Result<bool, StoreError>;
}
