//! Reads: rows back into domain objects, checked by the domain's own constructors.

use std::collections::HashMap;

use sqlx::Pool;
use sqlx::pool::PoolConnection;
use voicepin_core::StoreError;
use voicepin_core::access::Role;
use voicepin_core::accounts::{AdminAccount, Session};
use voicepin_core::audit::{AuditAction, AuditEvent, Channel};
use voicepin_core::context::ActorKind;
use voicepin_core::hashing::PinHash;
use voicepin_core::ids::{AccountId, DialPlanId, LinkId, MailboxId, PolicyId, Revision, SessionId, TokenId};
use voicepin_core::links::PinResetLink;
use voicepin_core::mailbox::{E164Number, Extension, Mailbox, PinState, SmtpAddress};
use voicepin_core::policy::{
    AccessNumber, DialPlan, ExtendedChecks, ExtensionLength, InputFailuresBeforeDisconnect,
    LogonFailuresBeforeDisconnect, MailboxPolicy, MaxLogonAttempts, MinPinLength, ObjectName, PinHistoryCount,
    PinLifetime, PinPolicy, PinResetThreshold, PolicyText,
};
use voicepin_core::ports::{AuditQuery, DayCount, MailboxCounts, MailboxLookup, MailboxQuery};
use voicepin_core::recording::{RecordedAudio, Recording, RecordingInfo, RecordingKind, SAMPLE_RATE};
use voicepin_core::tokens::ApiToken;

use super::errors::db;
use super::statement::{Exec, Sql, Values, get};
use super::{Backend, Row};
use crate::codec::{self, corrupt};

/// Ids per `IN (...)` list, well below SQLite's limit on bound parameters.
const IN_CHUNK: usize = 500;

/// A connection of the pool, for reads of one statement.
pub(super) async fn acquire<B: Backend>(pool: &Pool<B>) -> Result<PoolConnection<B>, StoreError> {
    pool.acquire().await.map_err(db::<B>)
}

/// A bounded setting stored as an integer, checked by its domain constructor.
fn setting<T, E: std::fmt::Display>(
    row: &impl Values,
    column: &str,
    make: impl FnOnce(u32) -> Result<T, E>,
) -> Result<T, StoreError> {
    let value: i64 = get(row, column)?;
    let value = u32::try_from(value).map_err(|e| corrupt(column, e))?;
    make(value).map_err(|e| corrupt(column, e))
}

// ---------------------------------------------------------------------------------------
// Dial plans

const DIAL_PLAN_COLUMNS: &str = "SELECT id, revision, name, extension_length, access_numbers, \
     logon_failures_before_disconnect, input_failures_before_disconnect FROM dial_plans";

fn dial_plan_from_row(row: &impl Values) -> Result<DialPlan, StoreError> {
    let access: String = get(row, "access_numbers")?;
    let access_numbers = codec::parse_json_list("access numbers", &access)?
        .iter()
        .map(|n| AccessNumber::parse(n).map_err(|e| corrupt("access number", e)))
        .collect::<Result<_, _>>()?;
    Ok(DialPlan {
        id: codec::id(&get::<String>(row, "id")?)?,
        revision: Revision(get(row, "revision")?),
        name: ObjectName::parse("Name", &get::<String>(row, "name")?).map_err(|e| corrupt("dial plan name", e))?,
        extension_length: setting(row, "extension_length", ExtensionLength::new)?,
        access_numbers,
        logon_failures_before_disconnect: setting(
            row,
            "logon_failures_before_disconnect",
            LogonFailuresBeforeDisconnect::new,
        )?,
        input_failures_before_disconnect: setting(
            row,
            "input_failures_before_disconnect",
            InputFailuresBeforeDisconnect::new,
        )?,
    })
}

pub(super) async fn dial_plan<B: Backend>(pool: &Pool<B>, id: DialPlanId) -> Result<Option<DialPlan>, StoreError> {
    object(pool, Sql::new(format!("{DIAL_PLAN_COLUMNS} WHERE id = ?")).bind(id.to_string()), dial_plan_from_row).await
}

pub(super) async fn dial_plan_by_name<B: Backend>(pool: &Pool<B>, name: &str) -> Result<Option<DialPlan>, StoreError> {
    let sql = Sql::new(format!("{DIAL_PLAN_COLUMNS} WHERE name_key = ?")).bind(codec::name_key(name));
    object(pool, sql, dial_plan_from_row).await
}

pub(super) async fn dial_plans<B: Backend>(pool: &Pool<B>) -> Result<Vec<DialPlan>, StoreError> {
    objects(pool, Sql::new(format!("{DIAL_PLAN_COLUMNS} ORDER BY name_key, id")), dial_plan_from_row).await
}

// ---------------------------------------------------------------------------------------
// Policies

const POLICY_COLUMNS: &str = "SELECT id, revision, name, dial_plan_id, min_pin_length, \
     pin_lifetime_days, pin_history_count, allow_common_patterns, \
     logon_failures_before_pin_reset, max_logon_attempts, block_extension_in_pin, \
     block_name_on_keypad, block_repeated_groups, require_three_distinct_digits, \
     block_digit_runs, block_keypad_lines, block_common_pins, block_reversed_history, \
     reset_pin_text, um_enabled_text, allow_subscriber_access, \
     allow_pinless_voice_mail_access FROM policies";

fn policy_from_row(row: &impl Values) -> Result<MailboxPolicy, StoreError> {
    let pin_lifetime = match get::<Option<i64>>(row, "pin_lifetime_days")? {
        None => PinLifetime::Unlimited,
        Some(_) => setting(row, "pin_lifetime_days", PinLifetime::days)?,
    };
    let logon_failures_before_pin_reset = match get::<Option<i64>>(row, "logon_failures_before_pin_reset")? {
        None => PinResetThreshold::Unlimited,
        Some(_) => setting(row, "logon_failures_before_pin_reset", PinResetThreshold::after)?,
    };
    let pin = PinPolicy {
        min_pin_length: setting(row, "min_pin_length", MinPinLength::new)?,
        pin_lifetime,
        pin_history_count: setting(row, "pin_history_count", PinHistoryCount::new)?,
        allow_common_patterns: get(row, "allow_common_patterns")?,
        logon_failures_before_pin_reset,
        max_logon_attempts: setting(row, "max_logon_attempts", MaxLogonAttempts::new)?,
        extended: ExtendedChecks {
            block_extension_in_pin: get(row, "block_extension_in_pin")?,
            block_name_on_keypad: get(row, "block_name_on_keypad")?,
            block_repeated_groups: get(row, "block_repeated_groups")?,
            require_three_distinct_digits: get(row, "require_three_distinct_digits")?,
            block_digit_runs: get(row, "block_digit_runs")?,
            block_keypad_lines: get(row, "block_keypad_lines")?,
            block_common_pins: get(row, "block_common_pins")?,
            block_reversed_history: get(row, "block_reversed_history")?,
        },
    };
    Ok(MailboxPolicy {
        id: codec::id(&get::<String>(row, "id")?)?,
        revision: Revision(get(row, "revision")?),
        name: ObjectName::parse("Name", &get::<String>(row, "name")?).map_err(|e| corrupt("policy name", e))?,
        dial_plan_id: codec::id(&get::<String>(row, "dial_plan_id")?)?,
        pin,
        reset_pin_text: PolicyText::parse("ResetPINText", &get::<String>(row, "reset_pin_text")?)
            .map_err(|e| corrupt("ResetPINText", e))?,
        um_enabled_text: PolicyText::parse("UMEnabledText", &get::<String>(row, "um_enabled_text")?)
            .map_err(|e| corrupt("UMEnabledText", e))?,
        allow_subscriber_access: get(row, "allow_subscriber_access")?,
        allow_pinless_voice_mail_access: get(row, "allow_pinless_voice_mail_access")?,
    })
}

pub(super) async fn policy<B: Backend>(pool: &Pool<B>, id: PolicyId) -> Result<Option<MailboxPolicy>, StoreError> {
    object(pool, Sql::new(format!("{POLICY_COLUMNS} WHERE id = ?")).bind(id.to_string()), policy_from_row).await
}

pub(super) async fn policy_by_name<B: Backend>(
    pool: &Pool<B>,
    name: &str,
) -> Result<Option<MailboxPolicy>, StoreError> {
    let sql = Sql::new(format!("{POLICY_COLUMNS} WHERE name_key = ?")).bind(codec::name_key(name));
    object(pool, sql, policy_from_row).await
}

pub(super) async fn policies<B: Backend>(
    pool: &Pool<B>,
    dial_plan: Option<DialPlanId>,
) -> Result<Vec<MailboxPolicy>, StoreError> {
    let mut sql = Sql::new(POLICY_COLUMNS);
    if let Some(plan) = dial_plan {
        sql.push(" WHERE dial_plan_id = ").push_bind(plan.to_string());
    }
    sql.push(" ORDER BY name_key, id");
    objects(pool, sql, policy_from_row).await
}

pub(super) async fn count_mailboxes_with_policy(conn: &mut impl Exec, policy: PolicyId) -> Result<u64, StoreError> {
    count_mailboxes(conn, MailboxColumn::Policy, &policy.to_string()).await
}

pub(super) async fn count_mailboxes_in_dial_plan(
    conn: &mut impl Exec,
    dial_plan: DialPlanId,
) -> Result<u64, StoreError> {
    count_mailboxes(conn, MailboxColumn::DialPlan, &dial_plan.to_string()).await
}

/// A column of `mailboxes` that names another object.
#[derive(Clone, Copy, Debug)]
pub(super) enum MailboxColumn {
    Policy,
    DialPlan,
}

/// How many mailboxes name `id` in `column`.
pub(super) async fn count_mailboxes(conn: &mut impl Exec, column: MailboxColumn, id: &str) -> Result<u64, StoreError> {
    let column = match column {
        MailboxColumn::Policy => "policy_id",
        MailboxColumn::DialPlan => "dial_plan_id",
    };
    count(conn, Sql::new(format!("SELECT COUNT(*) AS n FROM mailboxes WHERE {column} = ?")).bind(id)).await
}

/// The result of a `SELECT COUNT(*) AS n`.
async fn count(conn: &mut impl Exec, sql: Sql) -> Result<u64, StoreError> {
    let count: i64 = get(&sql.fetch_one(conn).await?, "n")?;
    u64::try_from(count).map_err(|e| corrupt("count", e))
}

// ---------------------------------------------------------------------------------------
// Mailboxes

const MAILBOX_COLUMNS: &str = "SELECT m.id, m.revision, m.smtp_address, m.alias, \
     m.display_name, m.first_name, m.last_name, m.policy_id, m.dial_plan_id, m.um_enabled, \
     m.subscriber_access_enabled, m.pinless_access_to_voice_mail_enabled, m.pin_hash, \
     m.pin_set_at, m.pin_expired, m.first_time_user, m.locked_out, m.consecutive_failures, \
     m.total_failures, m.last_failure_at, m.last_sign_in_at, m.pin_history, m.created_at, \
     m.out_of_office FROM mailboxes m";

/// A mailbox row, without its extensions and phone numbers.
fn mailbox_from_row(row: &impl Values) -> Result<Mailbox, StoreError> {
    let history: String = get(row, "pin_history")?;
    let pin = PinState {
        hash: get::<Option<String>>(row, "pin_hash")?.map(PinHash::from_stored),
        set_at: codec::time_opt(get(row, "pin_set_at")?)?,
        expired: get(row, "pin_expired")?,
        first_time_user: get(row, "first_time_user")?,
        locked_out: get(row, "locked_out")?,
        consecutive_failures: codec::count(get(row, "consecutive_failures")?)?,
        total_failures: codec::count(get(row, "total_failures")?)?,
        last_failure_at: codec::time_opt(get(row, "last_failure_at")?)?,
        last_sign_in_at: codec::time_opt(get(row, "last_sign_in_at")?)?,
        history: codec::parse_json_list("PIN history", &history)?.into_iter().map(PinHash::from_stored).collect(),
    };
    Ok(Mailbox {
        id: codec::id(&get::<String>(row, "id")?)?,
        revision: Revision(get(row, "revision")?),
        smtp_address: SmtpAddress::from_stored("Identity", &get::<String>(row, "smtp_address")?)
            .map_err(|e| corrupt("SMTP address", e))?,
        alias: get(row, "alias")?,
        display_name: get(row, "display_name")?,
        first_name: get(row, "first_name")?,
        last_name: get(row, "last_name")?,
        policy_id: codec::id(&get::<String>(row, "policy_id")?)?,
        dial_plan_id: codec::id(&get::<String>(row, "dial_plan_id")?)?,
        extensions: Vec::new(),
        phone_numbers: Vec::new(),
        um_enabled: get(row, "um_enabled")?,
        subscriber_access_enabled: get(row, "subscriber_access_enabled")?,
        pinless_access_to_voice_mail_enabled: get(row, "pinless_access_to_voice_mail_enabled")?,
        out_of_office: get(row, "out_of_office")?,
        pin,
        created_at: codec::time(get(row, "created_at")?)?,
    })
}

/// Runs a mailbox query and fills in the children, all in one read snapshot.
async fn load_mailboxes<B: Backend>(pool: &Pool<B>, query: Sql) -> Result<Vec<Mailbox>, StoreError> {
    let mut tx = pool.begin_with(B::BEGIN_READ).await.map_err(db::<B>)?;
    let rows = query.fetch_all(&mut *tx).await?;
    let mut mailboxes = rows.iter().map(mailbox_from_row).collect::<Result<Vec<_>, _>>()?;
    fill_children(&mut *tx, &mut mailboxes).await?;
    tx.commit().await.map_err(db::<B>)?;
    Ok(mailboxes)
}

/// Reads the extensions and phone numbers of `mailboxes`, in their stored order.
async fn fill_children(conn: &mut impl Exec, mailboxes: &mut [Mailbox]) -> Result<(), StoreError> {
    let mut extensions: HashMap<MailboxId, Vec<Extension>> = HashMap::new();
    let mut numbers: HashMap<MailboxId, Vec<E164Number>> = HashMap::new();
    for chunk in mailboxes.chunks(IN_CHUNK) {
        let query = children("SELECT mailbox_id, extension AS value FROM mailbox_extensions", chunk);
        for row in query.fetch_all(conn).await? {
            let id = codec::id(&get::<String>(&row, "mailbox_id")?)?;
            let value: String = get(&row, "value")?;
            extensions.entry(id).or_default().push(Extension::from_stored(value));
        }
        let query = children("SELECT mailbox_id, number AS value FROM mailbox_phone_numbers", chunk);
        for row in query.fetch_all(conn).await? {
            let id = codec::id(&get::<String>(&row, "mailbox_id")?)?;
            let value: String = get(&row, "value")?;
            let number = E164Number::parse(&value).map_err(|e| corrupt("phone number", e))?;
            numbers.entry(id).or_default().push(number);
        }
    }
    for mailbox in mailboxes {
        mailbox.extensions = extensions.remove(&mailbox.id).unwrap_or_default();
        mailbox.phone_numbers = numbers.remove(&mailbox.id).unwrap_or_default();
    }
    Ok(())
}

/// The rows of a child table for `mailboxes`, in their stored order.
fn children(select: &str, mailboxes: &[Mailbox]) -> Sql {
    let mut query = Sql::new(select);
    query.push(" WHERE mailbox_id IN (");
    for (i, mailbox) in mailboxes.iter().enumerate() {
        query.push(if i == 0 { "?" } else { ", ?" }).arg(mailbox.id.to_string());
    }
    query.push(") ORDER BY mailbox_id, position");
    query
}

pub(super) async fn find_mailboxes<B: Backend>(
    pool: &Pool<B>,
    lookup: &MailboxLookup,
) -> Result<Vec<Mailbox>, StoreError> {
    let mut query = Sql::new(MAILBOX_COLUMNS);
    match lookup {
        MailboxLookup::Id(id) => {
            query.push(" WHERE m.id = ").push_bind(id.to_string());
        }
        MailboxLookup::SmtpAddress(address) => {
            query.push(" WHERE m.smtp_address = ").push_bind(address.trim().to_lowercase());
        }
        MailboxLookup::Alias(alias) => {
            query.push(" WHERE m.alias_key = ").push_bind(codec::name_key(alias));
        }
        MailboxLookup::Extension { dial_plan, extension } => {
            query
                .push(" WHERE m.id IN (SELECT mailbox_id FROM mailbox_extensions WHERE extension = ")
                .push_bind(extension.trim().to_owned());
            if let Some(plan) = dial_plan {
                query.push(" AND dial_plan_id = ").push_bind(plan.to_string());
            }
            query.push(")");
        }
        MailboxLookup::PhoneNumber(number) => {
            query
                .push(" WHERE m.id IN (SELECT mailbox_id FROM mailbox_phone_numbers WHERE number = ")
                .push_bind(number.trim().to_owned())
                .push(")");
        }
    }
    query.push(" ORDER BY m.smtp_address");
    load_mailboxes(pool, query).await
}

pub(super) async fn mailboxes<B: Backend>(pool: &Pool<B>, filter: &MailboxQuery) -> Result<Vec<Mailbox>, StoreError> {
    let mut query = Sql::new(MAILBOX_COLUMNS);
    query.push(" WHERE 1 = 1");
    if let Some(policy) = filter.policy {
        query.push(" AND m.policy_id = ").push_bind(policy.to_string());
    }
    if let Some(plan) = filter.dial_plan {
        query.push(" AND m.dial_plan_id = ").push_bind(plan.to_string());
    }
    if let Some(enabled) = filter.um_enabled {
        query.push(" AND m.um_enabled = ").push_bind(enabled);
    }
    if let Some(locked) = filter.locked_out {
        query.push(" AND m.locked_out = ").push_bind(locked);
    }
    if let Some(after) = &filter.after {
        query.push(" AND m.smtp_address > ").push_bind(after.trim().to_lowercase());
    }
    if let Some(search) = filter.search.as_deref().map(str::trim)
        && !search.is_empty()
    {
        let search = search.to_lowercase();
        query.push(" AND (");
        // The key holds one field per line: a term with a line break would match across two.
        if search.contains('\n') {
            query.push("1 = 0");
        } else {
            query.push(&format!("{}(m.search_key, ?) > 0", B::POSITION)).arg(search.clone());
        }
        // One pass over the extensions for the whole query, not a lookup per mailbox
        // (a correlated EXISTS made a search of 100,000 mailboxes take a second).
        query
            .push(" OR m.id IN (SELECT e.mailbox_id FROM mailbox_extensions e")
            .push(" WHERE substr(e.extension, 1, length(?)) = ?))")
            .arg(search.clone())
            .arg(search);
    }
    query.push(" ORDER BY m.smtp_address LIMIT ").push_bind(i64::from(filter.limit));
    load_mailboxes(pool, query).await
}

// ---------------------------------------------------------------------------------------
// Audit events

fn audit_from_row(row: &impl Values) -> Result<AuditEvent, StoreError> {
    let action: String = get(row, "action")?;
    let channel: String = get(row, "channel")?;
    let actor_kind: String = get(row, "actor_kind")?;
    Ok(AuditEvent {
        id: codec::id(&get::<String>(row, "id")?)?,
        at: codec::time(get(row, "at")?)?,
        actor: get(row, "actor")?,
        actor_kind: ActorKind::parse(&actor_kind).ok_or_else(|| corrupt("audit actor kind", &actor_kind))?,
        role: get(row, "role")?,
        channel: Channel::parse(&channel).ok_or_else(|| corrupt("audit channel", &channel))?,
        source: get(row, "source")?,
        action: AuditAction::parse(&action).ok_or_else(|| corrupt("audit action", &action))?,
        mailbox_id: get::<Option<String>>(row, "mailbox_id")?.as_deref().map(codec::id).transpose()?,
        target: get(row, "target")?,
        details: codec::parse_details(&get::<String>(row, "details")?)?,
    })
}

/// The `WHERE` of an audit query: its filters and cursor (not its limit).
fn audit_where(mut query: Sql, filter: &AuditQuery) -> Result<Sql, StoreError> {
    query.push(" WHERE 1 = 1");
    if let Some(mailbox) = filter.mailbox {
        query.push(" AND mailbox_id = ").push_bind(mailbox.to_string());
    }
    if let Some(action) = filter.action {
        query.push(" AND action = ").push_bind(action.as_str());
    }
    if let Some(actor) = &filter.actor {
        query.push(" AND actor = ").push_bind(actor.clone());
    }
    if let Some(channel) = filter.channel {
        query.push(" AND channel = ").push_bind(channel.as_str());
    }
    if let Some(since) = filter.since {
        query.push(" AND at >= ").push_bind(codec::nanos(since)?);
    }
    if let Some(until) = filter.until {
        query.push(" AND at < ").push_bind(codec::nanos(until)?);
    }
    Ok(query)
}

pub(super) async fn audit_events<B: Backend>(
    pool: &Pool<B>,
    filter: &AuditQuery,
) -> Result<Vec<AuditEvent>, StoreError> {
    let mut query = audit_where(
        Sql::new(
            "SELECT id, at, actor, actor_kind, role, channel, source, action, mailbox_id, target, details FROM audit_events",
        ),
        filter,
    )?;
    if let Some((at, id)) = filter.before {
        // After the cursor in the listing order (time, then the order of writing): events
        // with the cursor's time are neither skipped nor repeated. A cursor whose event is
        // gone falls back to the time alone.
        let at = codec::nanos(at)?;
        query
            .push(" AND (at < ")
            .push_bind(at)
            .push(" OR (at = ")
            .push_bind(at)
            .push(" AND seq < COALESCE((SELECT c.seq FROM audit_events c WHERE c.id = ")
            .push_bind(id.to_string())
            .push("), 0)))");
    }
    query.push(" ORDER BY at DESC, seq DESC LIMIT ").push_bind(i64::from(filter.limit));
    objects(pool, query, audit_from_row).await
}

/// Nanoseconds in a day: `at / DAY_NANOS` is the day number since 1970 (UTC).
const DAY_NANOS: i64 = 86_400_000_000_000;

pub(super) async fn count_audit_events_per_day<B: Backend>(
    pool: &Pool<B>,
    filter: &AuditQuery,
) -> Result<Vec<DayCount>, StoreError> {
    let day = format!("at / {DAY_NANOS}");
    let mut query = audit_where(Sql::new(format!("SELECT {day} AS day, COUNT(*) AS n FROM audit_events")), filter)?;
    query.push(&format!(" GROUP BY {day} ORDER BY {day}"));
    let epoch = time::Date::from_calendar_date(1970, time::Month::January, 1).map_err(|e| corrupt("date", e))?;
    objects(pool, query, |row| {
        let day: i64 = get(row, "day")?;
        let count: i64 = get(row, "n")?;
        Ok(DayCount {
            day: epoch.checked_add(time::Duration::days(day)).ok_or_else(|| corrupt("audit time", day))?,
            count: u64::try_from(count).map_err(|e| corrupt("count", e))?,
        })
    })
    .await
}

pub(super) async fn count_mailboxes_by_state(
    conn: &mut impl Exec,
    now: time::OffsetDateTime,
) -> Result<MailboxCounts, StoreError> {
    let enabled = Sql::new("SELECT COUNT(*) AS n FROM mailboxes WHERE um_enabled = ?").bind(true);
    let um_enabled = count(conn, enabled).await?;
    let locked =
        Sql::new("SELECT COUNT(*) AS n FROM mailboxes WHERE um_enabled = ? AND locked_out = ?").bind(true).bind(true);
    let locked_out = count(conn, locked).await?;
    // PinState::must_change: marked expired, or set at least the policy's lifetime ago.
    let expired = Sql::new(format!(
        "SELECT COUNT(*) AS n FROM mailboxes m JOIN policies p ON p.id = m.policy_id \
         WHERE m.um_enabled = ? AND (m.pin_expired = ? OR (p.pin_lifetime_days IS NOT NULL \
         AND m.pin_set_at IS NOT NULL AND m.pin_set_at + p.pin_lifetime_days * {DAY_NANOS} <= ?))"
    ))
    .bind(true)
    .bind(true)
    .bind(codec::nanos(now)?);
    let pin_expired = count(conn, expired).await?;
    Ok(MailboxCounts { um_enabled, locked_out, pin_expired })
}

// ---------------------------------------------------------------------------------------
// API tokens

const TOKEN_COLUMNS: &str = "SELECT id, revision, name, role, secret_digest, created_by, created_by_kind, \
     created_at, expires_at, revoked_at FROM api_tokens";

fn token_from_row(row: &impl Values) -> Result<ApiToken, StoreError> {
    let role: String = get(row, "role")?;
    Ok(ApiToken {
        id: codec::id(&get::<String>(row, "id")?)?,
        revision: Revision(get(row, "revision")?),
        name: get(row, "name")?,
        role: role.parse::<Role>().map_err(|e| corrupt("token role", e))?,
        secret_digest: get(row, "secret_digest")?,
        created_by: get(row, "created_by")?,
        created_by_kind: ActorKind::parse(&get::<String>(row, "created_by_kind")?)
            .ok_or_else(|| corrupt("token maker kind", "not an actor kind"))?,
        created_at: codec::time(get(row, "created_at")?)?,
        expires_at: codec::time_opt(get(row, "expires_at")?)?,
        revoked_at: codec::time_opt(get(row, "revoked_at")?)?,
    })
}

pub(super) async fn token<B: Backend>(pool: &Pool<B>, id: TokenId) -> Result<Option<ApiToken>, StoreError> {
    object(pool, Sql::new(format!("{TOKEN_COLUMNS} WHERE id = ?")).bind(id.to_string()), token_from_row).await
}

pub(super) async fn token_by_name<B: Backend>(pool: &Pool<B>, name: &str) -> Result<Option<ApiToken>, StoreError> {
    object(pool, Sql::new(format!("{TOKEN_COLUMNS} WHERE name_key = ?")).bind(codec::name_key(name)), token_from_row)
        .await
}

pub(super) async fn tokens<B: Backend>(pool: &Pool<B>) -> Result<Vec<ApiToken>, StoreError> {
    objects(pool, Sql::new(format!("{TOKEN_COLUMNS} ORDER BY name_key, id")), token_from_row).await
}

// ---------------------------------------------------------------------------------------
// Administrator accounts and sessions

const ACCOUNT_COLUMNS: &str = "SELECT id, revision, name, role, password_hash, must_change_password, \
     failed_sign_ins, locked_until, disabled, created_at, changed_at, last_sign_in_at FROM admin_accounts";

fn account_from_row(row: &impl Values) -> Result<AdminAccount, StoreError> {
    let role: String = get(row, "role")?;
    Ok(AdminAccount {
        id: codec::id(&get::<String>(row, "id")?)?,
        revision: Revision(get(row, "revision")?),
        name: get(row, "name")?,
        role: role.parse::<Role>().map_err(|e| corrupt("account role", e))?,
        password_hash: PinHash::from_stored(get::<String>(row, "password_hash")?),
        must_change_password: get(row, "must_change_password")?,
        failed_sign_ins: codec::count(get(row, "failed_sign_ins")?)?,
        locked_until: codec::time_opt(get(row, "locked_until")?)?,
        disabled: get(row, "disabled")?,
        created_at: codec::time(get(row, "created_at")?)?,
        changed_at: codec::time(get(row, "changed_at")?)?,
        last_sign_in_at: codec::time_opt(get(row, "last_sign_in_at")?)?,
    })
}

pub(super) async fn account<B: Backend>(pool: &Pool<B>, id: AccountId) -> Result<Option<AdminAccount>, StoreError> {
    object(pool, Sql::new(format!("{ACCOUNT_COLUMNS} WHERE id = ?")).bind(id.to_string()), account_from_row).await
}

pub(super) async fn account_by_name<B: Backend>(
    pool: &Pool<B>,
    name: &str,
) -> Result<Option<AdminAccount>, StoreError> {
    let sql = Sql::new(format!("{ACCOUNT_COLUMNS} WHERE name_key = ?")).bind(codec::name_key(name));
    object(pool, sql, account_from_row).await
}

pub(super) async fn accounts<B: Backend>(pool: &Pool<B>) -> Result<Vec<AdminAccount>, StoreError> {
    objects(pool, Sql::new(format!("{ACCOUNT_COLUMNS} ORDER BY name_key, id")), account_from_row).await
}

fn session_from_row(row: &impl Values) -> Result<Session, StoreError> {
    Ok(Session {
        id: codec::id(&get::<String>(row, "id")?)?,
        account_id: codec::id(&get::<String>(row, "account_id")?)?,
        secret_digest: get(row, "secret_digest")?,
        created_at: codec::time(get(row, "created_at")?)?,
        last_seen_at: codec::time(get(row, "last_seen_at")?)?,
        expires_at: codec::time(get(row, "expires_at")?)?,
    })
}

pub(super) async fn session<B: Backend>(pool: &Pool<B>, id: SessionId) -> Result<Option<Session>, StoreError> {
    let sql = Sql::new(
        "SELECT id, account_id, secret_digest, created_at, last_seen_at, expires_at FROM sessions WHERE id = ?",
    )
    .bind(id.to_string());
    object(pool, sql, session_from_row).await
}

// ---------------------------------------------------------------------------------------
// Self-service confirmation links

fn link_from_row(row: &impl Values) -> Result<PinResetLink, StoreError> {
    Ok(PinResetLink {
        id: codec::id(&get::<String>(row, "id")?)?,
        mailbox_id: codec::id(&get::<String>(row, "mailbox_id")?)?,
        secret_digest: get(row, "secret_digest")?,
        created_at: codec::time(get(row, "created_at")?)?,
        expires_at: codec::time(get(row, "expires_at")?)?,
        used_at: codec::time_opt(get(row, "used_at")?)?,
    })
}

pub(super) async fn pin_reset_link<B: Backend>(pool: &Pool<B>, id: LinkId) -> Result<Option<PinResetLink>, StoreError> {
    let sql = Sql::new(
        "SELECT id, mailbox_id, secret_digest, created_at, expires_at, used_at FROM pin_reset_links WHERE id = ?",
    )
    .bind(id.to_string());
    object(pool, sql, link_from_row).await
}

pub(super) async fn count_pin_reset_links(
    conn: &mut impl Exec,
    mailbox: MailboxId,
    since: time::OffsetDateTime,
) -> Result<u64, StoreError> {
    let sql = Sql::new("SELECT COUNT(*) AS n FROM pin_reset_links WHERE mailbox_id = ? AND created_at >= ?")
        .bind(mailbox.to_string())
        .bind(codec::nanos(since)?);
    count(conn, sql).await
}

// ---------------------------------------------------------------------------------------
// Shared

/// The rows of a query, each made an object by `from_row`.
pub(super) async fn objects<B: Backend, T>(
    pool: &Pool<B>,
    query: Sql,
    from_row: impl Fn(&Row<B>) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut conn = acquire(pool).await?;
    query.fetch_all(&mut *conn).await?.iter().map(from_row).collect()
}

/// The one row a query by a unique key finds, if any, as an object.
async fn object<B: Backend, T>(
    pool: &Pool<B>,
    query: Sql,
    from_row: impl Fn(&Row<B>) -> Result<T, StoreError>,
) -> Result<Option<T>, StoreError> {
    let mut conn = acquire(pool).await?;
    query.fetch_optional(&mut *conn).await?.as_ref().map(from_row).transpose()
}

// ---------------------------------------------------------------------------------------
// Failed sign-ins per source

/// The failures counted for each source key in the minutes from `since`'s on.
pub(super) async fn sign_in_failures<B: Backend>(
    pool: &Pool<B>,
    sources: &[String],
    since: time::OffsetDateTime,
) -> Result<Vec<u64>, StoreError> {
    let since = codec::minute(since)?;
    let mut conn = acquire(pool).await?;
    let mut counts = Vec::with_capacity(sources.len());
    for key in sources {
        let sql = Sql::new(
            "SELECT CAST(COALESCE(SUM(failures), 0) AS BIGINT) AS n FROM sign_in_failures \
             WHERE source_key = ? AND minute_start >= ?",
        )
        .bind(key.as_str())
        .bind(since);
        counts.push(count(&mut *conn, sql).await?);
    }
    Ok(counts)
}

// Recordings

pub(super) async fn recording<B: Backend>(
    pool: &Pool<B>,
    mailbox: MailboxId,
    kind: RecordingKind,
) -> Result<Option<Recording>, StoreError> {
    let mut conn = acquire(pool).await?;
    let row = Sql::new("SELECT audio, recorded_at FROM mailbox_recordings WHERE mailbox_id = ? AND kind = ?")
        .bind(mailbox.to_string())
        .bind(kind.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let audio: Option<Vec<u8>> = get(&row, "audio")?;
    let audio = RecordedAudio::from_mulaw(audio.unwrap_or_default()).map_err(|e| corrupt("recording", e))?;
    Ok(Some(Recording { mailbox_id: mailbox, kind, audio, recorded_at: codec::time(get(&row, "recorded_at")?)? }))
}

pub(super) async fn recordings<B: Backend>(
    pool: &Pool<B>,
    mailbox: MailboxId,
) -> Result<Vec<RecordingInfo>, StoreError> {
    let mut conn = acquire(pool).await?;
    let rows = Sql::new(
        "SELECT kind, CAST(length(audio) AS BIGINT) AS samples, recorded_at FROM mailbox_recordings \
         WHERE mailbox_id = ?",
    )
    .bind(mailbox.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let mut list = Vec::with_capacity(rows.len());
    for row in &rows {
        let kind = RecordingKind::parse(&get::<String>(row, "kind")?).map_err(|e| corrupt("recording kind", e))?;
        let samples = u64::try_from(get::<i64>(row, "samples")?).map_err(|e| corrupt("recording length", e))?;
        list.push(RecordingInfo {
            kind,
            duration_ms: samples * 1000 / u64::from(SAMPLE_RATE),
            recorded_at: codec::time(get(row, "recorded_at")?)?,
        });
    }
    list.sort_by_key(|r| r.kind);
    Ok(list)
}
