//! [`Change`]s: one transaction each, revisions checked on every update and delete,
//! constraint violations turned into the errors the use cases expect.
//!
//! Under PostgreSQL's READ COMMITTED several commits run at once: every update and delete
//! is `WHERE id = ? AND revision = ?`, which waits for the row's lock and re-checks the
//! revision once it has it, so two writers of one object never both succeed; deletes and
//! mailbox updates read the row `FOR UPDATE` first, which also holds off a concurrent
//! insert that would reference it. Under SQLite the write lock, taken up front, serialises
//! the commits.

use sqlx::Pool;
use voicepin_core::StoreError;
use voicepin_core::accounts::{AdminAccount, Session};
use voicepin_core::audit::AuditEvent;
use voicepin_core::ids::{AccountId, DialPlanId, MailboxId, PolicyId, Revision};
use voicepin_core::links::PinResetLink;
use voicepin_core::mailbox::{Extension, Mailbox};
use voicepin_core::notify::OutboundMail;
use voicepin_core::policy::{DialPlan, MailboxPolicy, PinLifetime, PinResetThreshold};
use voicepin_core::ports::{Change, Write};
use voicepin_core::recording::Recording;
use voicepin_core::tokens::ApiToken;

use super::Backend;
use super::errors::{DbError, Violation, db, duplicate};
use super::read::{self, MailboxColumn};
use super::statement::{Exec, Sql, get};
use crate::MailSealer;
use crate::codec;

/// The revision every insert stores.
const FIRST_REVISION: Revision = Revision(Revision::NEW.0 + 1);

/// Applies a change atomically.
pub(super) async fn commit<B: Backend>(pool: &Pool<B>, sealer: &MailSealer, change: Change) -> Result<(), StoreError> {
    if change.is_empty() {
        return Ok(());
    }
    // Seal before taking the write lock: the lock is held for SQL only.
    let bodies = change.mail.iter().map(|mail| sealer.seal(mail)).collect::<Result<Vec<_>, _>>()?;
    let mut tx = pool.begin_with(B::BEGIN_WRITE).await.map_err(db::<B>)?;
    for write in &change.writes {
        apply::<B>(&mut *tx, write).await?;
    }
    for (mail, body) in change.mail.iter().zip(bodies) {
        queue_mail(&mut *tx, mail, body).await?;
    }
    for event in &change.audit {
        append_audit(&mut *tx, event).await?;
    }
    // Dropping the transaction on an early return rolls it back.
    tx.commit().await.map_err(db::<B>)
}

async fn apply<B: Backend>(conn: &mut B::Connection, write: &Write) -> Result<(), StoreError> {
    match write {
        Write::InsertDialPlan(plan) => insert_dial_plan(conn, plan).await,
        Write::UpdateDialPlan(plan) => update_dial_plan(conn, plan).await,
        Write::DeleteDialPlan(id, revision) => delete_dial_plan::<B>(conn, *id, *revision).await,
        Write::InsertPolicy(policy) => insert_policy(conn, policy).await,
        Write::UpdatePolicy(policy) => update_policy(conn, policy).await,
        Write::DeletePolicy(id, revision) => delete_policy::<B>(conn, *id, *revision).await,
        Write::InsertMailbox(mailbox) => insert_mailbox(conn, mailbox).await,
        Write::UpdateMailbox(mailbox) => update_mailbox::<B>(conn, mailbox).await,
        Write::DeleteMailbox(id, revision) => delete_mailbox(conn, *id, *revision).await,
        Write::InsertToken(token) => insert_token(conn, token).await,
        Write::UpdateToken(token) => update_token(conn, token).await,
        Write::InsertAccount(account) => insert_account(conn, account).await,
        Write::UpdateAccount(account) => update_account(conn, account).await,
        Write::DeleteAccount(id, revision) => delete_account(conn, *id, *revision).await,
        Write::InsertSession(session) => insert_session(conn, session).await,
        Write::CountSignInFailure { sources, at, forget_before } => {
            count_sign_in_failure(conn, sources, *at, *forget_before).await
        }
        Write::TouchSession(id, at) => {
            Sql::new("UPDATE sessions SET last_seen_at = ? WHERE id = ?")
                .bind(codec::nanos(*at)?)
                .bind(id.to_string())
                .execute(conn)
                .await?;
            Ok(())
        }
        Write::DeleteSession(id) => {
            Sql::new("DELETE FROM sessions WHERE id = ?").bind(id.to_string()).execute(conn).await?;
            Ok(())
        }
        Write::DeleteSessionsOf(account) => {
            Sql::new("DELETE FROM sessions WHERE account_id = ?").bind(account.to_string()).execute(conn).await?;
            Ok(())
        }
        Write::PurgeEndedSessions { now, idle_since } => {
            Sql::new("DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at <= ?")
                .bind(codec::nanos(*now)?)
                .bind(codec::nanos(*idle_since)?)
                .execute(conn)
                .await?;
            Ok(())
        }
        Write::InsertPinResetLink(link) => insert_pin_reset_link(conn, link).await,
        Write::UsePinResetLink { id, mailbox, at } => {
            let at = codec::nanos(*at)?;
            let used = Sql::new("UPDATE pin_reset_links SET used_at = ? WHERE id = ? AND used_at IS NULL")
                .bind(at)
                .bind(id.to_string());
            guarded(conn, used, StoreError::from).await?;
            Sql::new("UPDATE pin_reset_links SET used_at = ? WHERE mailbox_id = ? AND used_at IS NULL")
                .bind(at)
                .bind(mailbox.to_string())
                .execute(conn)
                .await?;
            Ok(())
        }
        Write::PutRecording(recording) => put_recording::<B>(conn, recording).await,
        Write::DeleteOtherSessions(account, keep) => {
            Sql::new("DELETE FROM sessions WHERE account_id = ? AND id <> ?")
                .bind(account.to_string())
                .bind(keep.to_string())
                .execute(conn)
                .await?;
            Ok(())
        }
    }
}

/// Stores a recording, replacing the mailbox's one of that kind.
async fn put_recording<B: Backend>(conn: &mut B::Connection, recording: &Recording) -> Result<(), StoreError> {
    let id = recording.mailbox_id.to_string();
    let kind = recording.kind.as_str();
    Sql::new("DELETE FROM mailbox_recordings WHERE mailbox_id = ? AND kind = ?")
        .bind(id.clone())
        .bind(kind)
        .execute(conn)
        .await?;
    Sql::new("INSERT INTO mailbox_recordings (mailbox_id, kind, audio, recorded_at) VALUES (?, ?, ?, ?)")
        .bind(id)
        .bind(kind)
        .bind(recording.audio.mulaw().to_vec())
        .bind(codec::nanos(recording.recorded_at)?)
        .execute(conn)
        .await
        .map_err(|error| match error.violation() {
            // The mailbox is gone since it was read.
            Some(Violation::ForeignKey) => StoreError::Conflict,
            _ => error.into(),
        })?;
    Ok(())
}

/// Runs an update or delete guarded by `revision = ?`: no row means someone else wrote
/// (or removed) the object since it was read.
async fn guarded(
    conn: &mut impl Exec,
    query: Sql,
    on_error: impl FnOnce(DbError) -> StoreError,
) -> Result<(), StoreError> {
    let changed = query.execute(conn).await.map_err(on_error)?;
    if changed == 0 { Err(StoreError::Conflict) } else { Ok(()) }
}

/// Errors of a write to a named object (dial plan or policy).
fn named_object_error(error: DbError, name: &str, id: String) -> StoreError {
    match error.violation() {
        Some(Violation::Unique(message)) if message.contains("name_key") => duplicate("Name", name),
        Some(Violation::Unique(_)) => duplicate("Identity", id),
        // The parent is gone (removed since it was read): a stale read like any other.
        Some(Violation::ForeignKey) => StoreError::Conflict,
        None => error.into(),
    }
}

// ---------------------------------------------------------------------------------------
// API tokens

async fn insert_token(conn: &mut impl Exec, token: &ApiToken) -> Result<(), StoreError> {
    Sql::new(
        "INSERT INTO api_tokens (id, revision, name, name_key, role, secret_digest, created_by, created_by_kind, \
         created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(token.id.to_string())
    .bind(FIRST_REVISION.0)
    .bind(token.name.clone())
    .bind(codec::name_key(&token.name))
    .bind(token.role.as_str().to_owned())
    .bind(token.secret_digest.clone())
    .bind(token.created_by.clone())
    .bind(token.created_by_kind.as_str())
    .bind(codec::nanos(token.created_at)?)
    .bind(codec::nanos_opt(token.expires_at)?)
    .bind(codec::nanos_opt(token.revoked_at)?)
    .execute(conn)
    .await
    .map_err(|e| named_object_error(e, &token.name, token.id.to_string()))?;
    Ok(())
}

/// Only the revocation and the expiry change after a token is made.
async fn update_token(conn: &mut impl Exec, token: &ApiToken) -> Result<(), StoreError> {
    let query = Sql::new(
        "UPDATE api_tokens SET revision = revision + 1, expires_at = ?, revoked_at = ? WHERE id = ? AND revision = ?",
    )
    .bind(codec::nanos_opt(token.expires_at)?)
    .bind(codec::nanos_opt(token.revoked_at)?)
    .bind(token.id.to_string())
    .bind(token.revision.0);
    guarded(conn, query, |e| named_object_error(e, &token.name, token.id.to_string())).await
}

// ---------------------------------------------------------------------------------------
// Administrator accounts and sessions

fn bind_account(query: Sql, account: &AdminAccount) -> Result<Sql, StoreError> {
    Ok(query
        .bind(account.name.clone())
        .bind(codec::name_key(&account.name))
        .bind(account.role.as_str())
        .bind(account.password_hash.as_str())
        .bind(account.must_change_password)
        .bind(codec::count_column(account.failed_sign_ins))
        .bind(codec::nanos_opt(account.locked_until)?)
        .bind(account.disabled)
        .bind(codec::nanos(account.created_at)?)
        .bind(codec::nanos(account.changed_at)?)
        .bind(codec::nanos_opt(account.last_sign_in_at)?))
}

async fn insert_account(conn: &mut impl Exec, account: &AdminAccount) -> Result<(), StoreError> {
    let query = Sql::new(
        "INSERT INTO admin_accounts (id, revision, name, name_key, role, password_hash, must_change_password, \
         failed_sign_ins, locked_until, disabled, created_at, changed_at, last_sign_in_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(account.id.to_string())
    .bind(FIRST_REVISION.0);
    bind_account(query, account)?
        .execute(conn)
        .await
        .map_err(|e| named_object_error(e, &account.name, account.id.to_string()))?;
    Ok(())
}

async fn update_account(conn: &mut impl Exec, account: &AdminAccount) -> Result<(), StoreError> {
    let query = Sql::new(
        "UPDATE admin_accounts SET revision = revision + 1, name = ?, name_key = ?, role = ?, password_hash = ?, \
         must_change_password = ?, failed_sign_ins = ?, locked_until = ?, disabled = ?, created_at = ?, \
         changed_at = ?, last_sign_in_at = ? WHERE id = ? AND revision = ?",
    );
    let query = bind_account(query, account)?.bind(account.id.to_string()).bind(account.revision.0);
    guarded(conn, query, |e| named_object_error(e, &account.name, account.id.to_string())).await
}

async fn delete_account(conn: &mut impl Exec, id: AccountId, revision: Revision) -> Result<(), StoreError> {
    // Its sessions go with it (ON DELETE CASCADE).
    let query =
        Sql::new("DELETE FROM admin_accounts WHERE id = ? AND revision = ?").bind(id.to_string()).bind(revision.0);
    guarded(conn, query, StoreError::from).await
}

async fn insert_session(conn: &mut impl Exec, session: &Session) -> Result<(), StoreError> {
    Sql::new(
        "INSERT INTO sessions (id, account_id, secret_digest, created_at, last_seen_at, expires_at) \
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(session.id.to_string())
    .bind(session.account_id.to_string())
    .bind(session.secret_digest.clone())
    .bind(codec::nanos(session.created_at)?)
    .bind(codec::nanos(session.last_seen_at)?)
    .bind(codec::nanos(session.expires_at)?)
    .execute(conn)
    .await
    .map_err(|e| match e.violation() {
        // The account was removed since it was read.
        Some(Violation::ForeignKey) => StoreError::Conflict,
        _ => unique_or_db(e, "Identity", &session.id.to_string()),
    })?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Self-service confirmation links

async fn insert_pin_reset_link(conn: &mut impl Exec, link: &PinResetLink) -> Result<(), StoreError> {
    Sql::new(
        "INSERT INTO pin_reset_links (id, mailbox_id, secret_digest, created_at, expires_at, used_at) \
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(link.id.to_string())
    .bind(link.mailbox_id.to_string())
    .bind(link.secret_digest.clone())
    .bind(codec::nanos(link.created_at)?)
    .bind(codec::nanos(link.expires_at)?)
    .bind(codec::nanos_opt(link.used_at)?)
    .execute(conn)
    .await
    .map_err(|e| match e.violation() {
        // The mailbox was removed since it was read.
        Some(Violation::ForeignKey) => StoreError::Conflict,
        _ => unique_or_db(e, "Identity", &link.id.to_string()),
    })?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Dial plans

fn bind_dial_plan(query: Sql, plan: &DialPlan) -> Result<Sql, StoreError> {
    Ok(query
        .bind(plan.name.as_str().to_owned())
        .bind(codec::name_key(plan.name.as_str()))
        .bind(i64::from(plan.extension_length.get()))
        .bind(codec::json_list(plan.access_numbers.iter().map(|n| n.as_str()))?)
        .bind(i64::from(plan.logon_failures_before_disconnect.get()))
        .bind(i64::from(plan.input_failures_before_disconnect.get())))
}

async fn insert_dial_plan(conn: &mut impl Exec, plan: &DialPlan) -> Result<(), StoreError> {
    let query = Sql::new(
        "INSERT INTO dial_plans (id, revision, name, name_key, extension_length, \
         access_numbers, logon_failures_before_disconnect, input_failures_before_disconnect) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(plan.id.to_string())
    .bind(FIRST_REVISION.0);
    bind_dial_plan(query, plan)?
        .execute(conn)
        .await
        .map_err(|e| named_object_error(e, plan.name.as_str(), plan.id.to_string()))?;
    Ok(())
}

async fn update_dial_plan(conn: &mut impl Exec, plan: &DialPlan) -> Result<(), StoreError> {
    let query = Sql::new(
        "UPDATE dial_plans SET revision = revision + 1, name = ?, name_key = ?, \
         extension_length = ?, access_numbers = ?, logon_failures_before_disconnect = ?, \
         input_failures_before_disconnect = ? WHERE id = ? AND revision = ?",
    );
    let query = bind_dial_plan(query, plan)?.bind(plan.id.to_string()).bind(plan.revision.0);
    guarded(conn, query, |e| named_object_error(e, plan.name.as_str(), plan.id.to_string())).await
}

async fn delete_dial_plan<B: Backend>(
    conn: &mut B::Connection,
    id: DialPlanId,
    revision: Revision,
) -> Result<(), StoreError> {
    // The plan is locked (the write lock in SQLite, its row in PostgreSQL): no policy joins
    // it until the commit. A mailbox joining one of its policies meanwhile holds off the
    // policies' delete below, which then finds it and fails as "in use". A stale revision
    // wins over "in use": the caller must re-read before anything else.
    lock_unused::<B>(conn, "dial_plans", MailboxColumn::DialPlan, &id.to_string(), revision).await?;
    // The port's contract: the plan goes with its policies. The use case deletes them
    // first (and audits each); this also takes one created since it listed them.
    Sql::new("DELETE FROM policies WHERE dial_plan_id = ?").bind(id.to_string()).execute(conn).await.map_err(in_use)?;
    let query = Sql::new("DELETE FROM dial_plans WHERE id = ? AND revision = ?").bind(id.to_string()).bind(revision.0);
    guarded(conn, query, in_use).await
}

/// Checks that the object is stored at `revision`, or fails with a conflict; in
/// PostgreSQL, locks its row until the commit.
async fn current_revision<B: Backend>(
    conn: &mut B::Connection,
    table: &'static str,
    id: &str,
    revision: Revision,
) -> Result<(), StoreError> {
    let query = Sql::new(format!("SELECT revision FROM {table} WHERE id = ?{}", B::LOCK_ROW)).bind(id.to_owned());
    let stored: Option<i64> = match query.fetch_optional(conn).await? {
        Some(row) => Some(get(&row, "revision")?),
        None => None,
    };
    if stored == Some(revision.0) { Ok(()) } else { Err(StoreError::Conflict) }
}

/// Checks that the object is stored at `revision` (locking it in PostgreSQL), and refuses
/// while mailboxes name it in `column`.
async fn lock_unused<B: Backend>(
    conn: &mut B::Connection,
    table: &'static str,
    column: MailboxColumn,
    id: &str,
    revision: Revision,
) -> Result<(), StoreError> {
    current_revision::<B>(conn, table, id, revision).await?;
    let mailboxes = read::count_mailboxes(conn, column, id).await?;
    if mailboxes > 0 { Err(StoreError::InUse(format!("{mailboxes} UM mailbox(es)"))) } else { Ok(()) }
}

fn in_use(error: DbError) -> StoreError {
    match error.violation() {
        Some(Violation::ForeignKey) => StoreError::InUse("other objects".into()),
        _ => error.into(),
    }
}

// ---------------------------------------------------------------------------------------
// Policies

fn bind_policy(query: Sql, policy: &MailboxPolicy) -> Sql {
    let pin = &policy.pin;
    let lifetime = match pin.pin_lifetime {
        PinLifetime::Days(days) => Some(i64::from(days)),
        PinLifetime::Unlimited => None,
    };
    let reset = match pin.logon_failures_before_pin_reset {
        PinResetThreshold::After(failures) => Some(i64::from(failures)),
        PinResetThreshold::Unlimited => None,
    };
    let checks = &pin.extended;
    query
        .bind(policy.dial_plan_id.to_string())
        .bind(policy.name.as_str().to_owned())
        .bind(codec::name_key(policy.name.as_str()))
        .bind(i64::from(pin.min_pin_length.get()))
        .bind(lifetime)
        .bind(i64::from(pin.pin_history_count.get()))
        .bind(pin.allow_common_patterns)
        .bind(reset)
        .bind(i64::from(pin.max_logon_attempts.get()))
        .bind(checks.block_extension_in_pin)
        .bind(checks.block_name_on_keypad)
        .bind(checks.block_repeated_groups)
        .bind(checks.require_three_distinct_digits)
        .bind(checks.block_digit_runs)
        .bind(checks.block_keypad_lines)
        .bind(checks.block_common_pins)
        .bind(checks.block_reversed_history)
        .bind(policy.reset_pin_text.as_str().to_owned())
        .bind(policy.um_enabled_text.as_str().to_owned())
        .bind(policy.allow_subscriber_access)
        .bind(policy.allow_pinless_voice_mail_access)
}

async fn insert_policy(conn: &mut impl Exec, policy: &MailboxPolicy) -> Result<(), StoreError> {
    let query = Sql::new(
        "INSERT INTO policies (id, revision, dial_plan_id, name, name_key, min_pin_length, \
         pin_lifetime_days, pin_history_count, allow_common_patterns, \
         logon_failures_before_pin_reset, max_logon_attempts, block_extension_in_pin, \
         block_name_on_keypad, block_repeated_groups, require_three_distinct_digits, \
         block_digit_runs, block_keypad_lines, block_common_pins, block_reversed_history, \
         reset_pin_text, um_enabled_text, allow_subscriber_access, \
         allow_pinless_voice_mail_access) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(policy.id.to_string())
    .bind(FIRST_REVISION.0);
    bind_policy(query, policy)
        .execute(conn)
        .await
        .map_err(|e| named_object_error(e, policy.name.as_str(), policy.id.to_string()))?;
    Ok(())
}

async fn update_policy(conn: &mut impl Exec, policy: &MailboxPolicy) -> Result<(), StoreError> {
    let query = Sql::new(
        "UPDATE policies SET revision = revision + 1, dial_plan_id = ?, name = ?, \
         name_key = ?, min_pin_length = ?, pin_lifetime_days = ?, pin_history_count = ?, \
         allow_common_patterns = ?, logon_failures_before_pin_reset = ?, \
         max_logon_attempts = ?, block_extension_in_pin = ?, block_name_on_keypad = ?, \
         block_repeated_groups = ?, require_three_distinct_digits = ?, block_digit_runs = ?, \
         block_keypad_lines = ?, block_common_pins = ?, block_reversed_history = ?, \
         reset_pin_text = ?, um_enabled_text = ?, allow_subscriber_access = ?, \
         allow_pinless_voice_mail_access = ? WHERE id = ? AND revision = ?",
    );
    let query = bind_policy(query, policy).bind(policy.id.to_string()).bind(policy.revision.0);
    guarded(conn, query, |e| named_object_error(e, policy.name.as_str(), policy.id.to_string())).await
}

async fn delete_policy<B: Backend>(
    conn: &mut B::Connection,
    id: PolicyId,
    revision: Revision,
) -> Result<(), StoreError> {
    // Locked: no mailbox joins the policy between the count and the delete.
    lock_unused::<B>(conn, "policies", MailboxColumn::Policy, &id.to_string(), revision).await?;
    let query = Sql::new("DELETE FROM policies WHERE id = ? AND revision = ?").bind(id.to_string()).bind(revision.0);
    guarded(conn, query, in_use).await
}

// ---------------------------------------------------------------------------------------
// Mailboxes

fn bind_mailbox(query: Sql, mailbox: &Mailbox) -> Result<Sql, StoreError> {
    let pin = &mailbox.pin;
    Ok(query
        .bind(mailbox.smtp_address.as_str().to_owned())
        .bind(mailbox.alias.clone())
        .bind(codec::name_key(&mailbox.alias))
        .bind(mailbox.display_name.clone())
        .bind(mailbox.first_name.clone())
        .bind(mailbox.last_name.clone())
        .bind(codec::search_key(mailbox))
        .bind(mailbox.policy_id.to_string())
        .bind(mailbox.dial_plan_id.to_string())
        .bind(mailbox.um_enabled)
        .bind(mailbox.subscriber_access_enabled)
        .bind(mailbox.pinless_access_to_voice_mail_enabled)
        .bind(pin.hash.as_ref().map(|h| h.as_str().to_owned()))
        .bind(codec::nanos_opt(pin.set_at)?)
        .bind(pin.expired)
        .bind(pin.first_time_user)
        .bind(pin.locked_out)
        .bind(codec::count_column(pin.consecutive_failures))
        .bind(codec::count_column(pin.total_failures))
        .bind(codec::nanos_opt(pin.last_failure_at)?)
        .bind(codec::nanos_opt(pin.last_sign_in_at)?)
        .bind(codec::history_json(&pin.history)?)
        .bind(codec::nanos(mailbox.created_at)?)
        .bind(mailbox.out_of_office))
}

fn mailbox_error(error: DbError, mailbox: &Mailbox) -> StoreError {
    match error.violation() {
        Some(Violation::Unique(message)) if message.contains("smtp_address") => {
            duplicate("Identity", mailbox.smtp_address.as_str())
        }
        Some(Violation::Unique(_)) => duplicate("Identity", mailbox.id.to_string()),
        // The policy is gone, or no longer in that dial plan: a stale read.
        Some(Violation::ForeignKey) => StoreError::Conflict,
        None => error.into(),
    }
}

async fn insert_mailbox(conn: &mut impl Exec, mailbox: &Mailbox) -> Result<(), StoreError> {
    let query = Sql::new(
        "INSERT INTO mailboxes (id, revision, smtp_address, alias, alias_key, display_name, \
         first_name, last_name, search_key, policy_id, dial_plan_id, um_enabled, \
         subscriber_access_enabled, pinless_access_to_voice_mail_enabled, pin_hash, \
         pin_set_at, pin_expired, first_time_user, locked_out, consecutive_failures, \
         total_failures, last_failure_at, last_sign_in_at, pin_history, created_at, out_of_office) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(mailbox.id.to_string())
    .bind(FIRST_REVISION.0);
    bind_mailbox(query, mailbox)?.execute(conn).await.map_err(|e| mailbox_error(e, mailbox))?;
    insert_children(conn, mailbox).await
}

async fn update_mailbox<B: Backend>(conn: &mut B::Connection, mailbox: &Mailbox) -> Result<(), StoreError> {
    let id = mailbox.id.to_string();
    // Locked first, so that concurrent writers of the mailbox (sign-ins counting failures)
    // queue on its row and the losers fail here, before touching the children.
    current_revision::<B>(conn, "mailboxes", &id, mailbox.revision).await?;
    // Most updates (every sign-in counts into the PIN state) leave the extensions and phone
    // numbers as they are: two small reads are cheaper than rewriting their rows and indexes.
    let children_unchanged = stored_children_match(conn, mailbox).await?;
    if !children_unchanged {
        // The extensions go first: their key includes the mailbox's dial plan, which may change.
        Sql::new("DELETE FROM mailbox_extensions WHERE mailbox_id = ?").bind(id.clone()).execute(conn).await?;
        Sql::new("DELETE FROM mailbox_phone_numbers WHERE mailbox_id = ?").bind(id.clone()).execute(conn).await?;
    }
    let query = Sql::new(
        "UPDATE mailboxes SET revision = revision + 1, smtp_address = ?, alias = ?, \
         alias_key = ?, display_name = ?, first_name = ?, last_name = ?, search_key = ?, \
         policy_id = ?, dial_plan_id = ?, um_enabled = ?, subscriber_access_enabled = ?, \
         pinless_access_to_voice_mail_enabled = ?, pin_hash = ?, pin_set_at = ?, \
         pin_expired = ?, first_time_user = ?, locked_out = ?, consecutive_failures = ?, \
         total_failures = ?, last_failure_at = ?, last_sign_in_at = ?, pin_history = ?, \
         created_at = ?, out_of_office = ? WHERE id = ? AND revision = ?",
    );
    let query = bind_mailbox(query, mailbox)?.bind(id).bind(mailbox.revision.0);
    guarded(conn, query, |e| mailbox_error(e, mailbox)).await?;
    if children_unchanged { Ok(()) } else { insert_children(conn, mailbox).await }
}

/// Whether the stored extensions (in the mailbox's dial plan) and phone numbers are exactly
/// the mailbox's, in order.
async fn stored_children_match(conn: &mut impl Exec, mailbox: &Mailbox) -> Result<bool, StoreError> {
    let id = mailbox.id.to_string();
    let plan = mailbox.dial_plan_id.to_string();
    let rows =
        Sql::new("SELECT dial_plan_id, extension FROM mailbox_extensions WHERE mailbox_id = ? ORDER BY position")
            .bind(id.clone())
            .fetch_all(conn)
            .await?;
    let mut stored = Vec::with_capacity(rows.len());
    for row in &rows {
        if get::<String>(row, "dial_plan_id")? != plan {
            return Ok(false);
        }
        stored.push(get::<String>(row, "extension")?);
    }
    if !stored.iter().map(String::as_str).eq(mailbox.extensions.iter().map(Extension::as_str)) {
        return Ok(false);
    }
    let rows = Sql::new("SELECT number FROM mailbox_phone_numbers WHERE mailbox_id = ? ORDER BY position")
        .bind(id)
        .fetch_all(conn)
        .await?;
    let stored = rows.iter().map(|row| get::<String>(row, "number")).collect::<Result<Vec<_>, _>>()?;
    Ok(stored.iter().map(String::as_str).eq(mailbox.phone_numbers.iter().map(|n| n.as_str())))
}

async fn insert_children(conn: &mut impl Exec, mailbox: &Mailbox) -> Result<(), StoreError> {
    let id = mailbox.id.to_string();
    let plan = mailbox.dial_plan_id.to_string();
    for (position, extension) in mailbox.extensions.iter().enumerate() {
        insert_extension(conn, &id, &plan, position, extension).await?;
    }
    for (position, number) in mailbox.phone_numbers.iter().enumerate() {
        Sql::new("INSERT INTO mailbox_phone_numbers (mailbox_id, position, number) VALUES (?, ?, ?)")
            .bind(id.clone())
            .bind(position_column(position)?)
            .bind(number.as_str())
            .execute(conn)
            .await?;
    }
    Ok(())
}

async fn insert_extension(
    conn: &mut impl Exec,
    mailbox: &str,
    plan: &str,
    position: usize,
    extension: &Extension,
) -> Result<(), StoreError> {
    Sql::new(
        "INSERT INTO mailbox_extensions (dial_plan_id, extension, mailbox_id, position) \
         VALUES (?, ?, ?, ?)",
    )
    .bind(plan)
    .bind(extension.as_str())
    .bind(mailbox)
    .bind(position_column(position)?)
    .execute(conn)
    .await
    .map_err(|e| unique_or_db(e, Extension::FIELD, extension.as_str()))?;
    Ok(())
}

fn position_column(position: usize) -> Result<i64, StoreError> {
    i64::try_from(position).map_err(codec::backend)
}

async fn delete_mailbox(conn: &mut impl Exec, id: MailboxId, revision: Revision) -> Result<(), StoreError> {
    // Extensions and phone numbers go with it (ON DELETE CASCADE).
    let query = Sql::new("DELETE FROM mailboxes WHERE id = ? AND revision = ?").bind(id.to_string()).bind(revision.0);
    guarded(conn, query, StoreError::from).await
}

/// A unique key taken gives a duplicate `field`; anything else is the database's failure.
fn unique_or_db(error: DbError, field: &'static str, value: &str) -> StoreError {
    match error.violation() {
        Some(Violation::Unique(_)) => duplicate(field, value),
        _ => error.into(),
    }
}

// ---------------------------------------------------------------------------------------
// Outbox and audit log

async fn queue_mail(conn: &mut impl Exec, mail: &OutboundMail, body: Vec<u8>) -> Result<(), StoreError> {
    let created = codec::nanos(mail.created_at)?;
    Sql::new(
        "INSERT INTO outbox (id, mailbox_id, to_address, kind, status, attempts, created_at, \
         next_attempt_at, body) VALUES (?, ?, ?, ?, 'queued', 0, ?, ?, ?)",
    )
    .bind(mail.id.to_string())
    .bind(mail.mailbox_id.to_string())
    .bind(mail.to.as_str())
    .bind(mail.notification.kind())
    .bind(created)
    .bind(created)
    .bind(body)
    .execute(conn)
    .await
    .map_err(|e| unique_or_db(e, "Identity", &mail.id.to_string()))?;
    Ok(())
}

async fn append_audit(conn: &mut impl Exec, event: &AuditEvent) -> Result<(), StoreError> {
    Sql::new(
        "INSERT INTO audit_events (id, at, actor, actor_kind, role, channel, source, action, mailbox_id, \
         target, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(event.id.to_string())
    .bind(codec::nanos(event.at)?)
    .bind(event.actor.clone())
    .bind(event.actor_kind.as_str())
    .bind(event.role.clone())
    .bind(event.channel.as_str())
    .bind(event.source.clone())
    .bind(event.action.as_str())
    .bind(event.mailbox_id.map(|id| id.to_string()))
    .bind(event.target.clone())
    .bind(codec::details_json(&event.details)?)
    .execute(conn)
    .await
    .map_err(|e| unique_or_db(e, "Identity", &event.id.to_string()))?;
    Ok(())
}

/// Adds one failed sign-in to each source's row for the minute of `at`, and forgets its
/// minutes before `forget_before`'s. The upsert adds in the database, so concurrent failures
/// (on any node) are all counted; the sources come in the core's fixed order, so two
/// transactions lock their rows in the same order.
async fn count_sign_in_failure(
    conn: &mut impl Exec,
    sources: &[String],
    at: time::OffsetDateTime,
    forget_before: time::OffsetDateTime,
) -> Result<(), StoreError> {
    let minute = codec::minute(at)?;
    let forget = codec::minute(forget_before)?;
    for key in sources {
        Sql::new("DELETE FROM sign_in_failures WHERE source_key = ? AND minute_start < ?")
            .bind(key.as_str())
            .bind(forget)
            .execute(conn)
            .await?;
        Sql::new(
            "INSERT INTO sign_in_failures (source_key, minute_start, failures) VALUES (?, ?, 1) \
             ON CONFLICT (source_key, minute_start) DO UPDATE SET failures = sign_in_failures.failures + 1",
        )
        .bind(key.as_str())
        .bind(minute)
        .execute(conn)
        .await?;
    }
    Ok(())
}
