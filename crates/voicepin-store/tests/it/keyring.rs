//! The record of the keys a database was written with (issue 11, finding 1), on both
//! backends: fingerprints kept as first recorded, and whether the database holds data.

use std::sync::Arc;

use voicepin_core::ports::Store;
use voicepin_store::{Backend, KeyFingerprint, SqlStore};

use super::support::{pg_fixture, plan_and_policy, sqlite_fixture, t0};

fn key(purpose: &str, id: &str, fingerprint: &str) -> KeyFingerprint {
    KeyFingerprint { purpose: purpose.into(), key_id: id.into(), fingerprint: fingerprint.into() }
}

async fn keyring_story<B: Backend>(store: Arc<SqlStore<B>>)
where
    SqlStore<B>: Store,
{
    assert!(store.key_fingerprints().await.unwrap().is_empty());
    assert!(!store.holds_data().await.unwrap(), "a new database holds nothing");
    store.record_key(&key("pin-pepper", "k1", "aa"), t0()).await.unwrap();
    store.record_key(&key("mail", "m1", "bb"), t0()).await.unwrap();
    // Recorded once: a second record under the same id keeps the first fingerprint.
    store.record_key(&key("pin-pepper", "k1", "cc"), t0()).await.unwrap();
    assert_eq!(store.key_fingerprints().await.unwrap(), [key("mail", "m1", "bb"), key("pin-pepper", "k1", "aa")]);
    assert!(!store.holds_data().await.unwrap(), "keys alone are not data");
    let dyn_store: Arc<dyn Store> = store.clone();
    plan_and_policy(&dyn_store, "Contoso", 5).await;
    assert!(store.holds_data().await.unwrap());
}

#[tokio::test]
async fn sqlite_records_its_keys() {
    keyring_story(sqlite_fixture().await.store).await;
}

#[tokio::test]
async fn postgres_records_its_keys() {
    let Some(fixture) = pg_fixture().await else { return };
    keyring_story(fixture.store.clone()).await;
}
