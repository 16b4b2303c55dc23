//! The keys a database was written with, by id and fingerprint (never the key), and whether
//! it holds any data yet: what the binary checks before it trusts its key files.

use sqlx::Pool;
use time::OffsetDateTime;
use voicepin_core::StoreError;

use super::Backend;
use super::read::acquire;
use super::statement::{Sql, get};
use crate::codec;

/// One key the database was written with: its purpose (`pin-pepper`, `mail`), its id in its
/// key file and a fingerprint that identifies the key without revealing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFingerprint {
    /// What the key is for, e.g. `pin-pepper` or `mail`.
    pub purpose: String,
    /// The key's id in its file (`k1`, `m1`).
    pub key_id: String,
    /// A one-way digest of the key under a fixed label (hex).
    pub fingerprint: String,
}

/// The tables whose rows make a database one that holds data (anything an operator would
/// miss). The outbox and the audit log count: they carry sealed PINs and history.
const DATA_TABLES: [&str; 7] =
    ["dial_plans", "policies", "mailboxes", "admin_accounts", "api_tokens", "outbox", "audit_events"];

pub(super) async fn fingerprints<B: Backend>(pool: &Pool<B>) -> Result<Vec<KeyFingerprint>, StoreError> {
    let rows = Sql::new("SELECT purpose, key_id, fingerprint FROM key_fingerprints ORDER BY purpose, key_id")
        .fetch_all(&mut *acquire(pool).await?)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(KeyFingerprint {
                purpose: get(row, "purpose")?,
                key_id: get(row, "key_id")?,
                fingerprint: get(row, "fingerprint")?,
            })
        })
        .collect()
}

pub(super) async fn record<B: Backend>(
    pool: &Pool<B>,
    key: &KeyFingerprint,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    Sql::new(
        "INSERT INTO key_fingerprints (purpose, key_id, fingerprint, recorded_at) VALUES (?, ?, ?, ?) \
         ON CONFLICT (purpose, key_id) DO NOTHING",
    )
    .bind(key.purpose.as_str())
    .bind(key.key_id.as_str())
    .bind(key.fingerprint.as_str())
    .bind(codec::nanos(now)?)
    .execute(&mut *acquire(pool).await?)
    .await?;
    Ok(())
}

pub(super) async fn holds_data<B: Backend>(pool: &Pool<B>) -> Result<bool, StoreError> {
    let probes: Vec<String> = DATA_TABLES.iter().map(|t| format!("EXISTS (SELECT 1 FROM {t})")).collect();
    let query = format!("SELECT CAST(CASE WHEN {} THEN 1 ELSE 0 END AS BIGINT) AS found", probes.join(" OR "));
    let row = Sql::new(query).fetch_one(&mut *acquire(pool).await?).await?;
    let found: i64 = get(&row, "found")?;
    Ok(found != 0)
}
