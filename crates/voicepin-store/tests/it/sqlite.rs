//! The suites on SQLite files, and what is particular to SQLite.

use std::sync::Arc;

use voicepin_core::ports::Store;
use voicepin_store::{MailSealer, SqliteStore};

use super::accounts::account_stories;
use super::contract::{another_key, store_contract};
use super::secrets::no_pin_in_clear;
use super::support::{sqlite, sqlite_fixture};
use super::usecases::usecase_stories;

store_contract!(sqlite);
account_stories!(sqlite);
usecase_stories!(sqlite);
no_pin_in_clear!(sqlite_fixture_for_secrets);

async fn sqlite_fixture_for_secrets() -> Option<super::support::SqliteFixture> {
    Some(sqlite_fixture().await)
}

#[tokio::test]
async fn reopening_keeps_everything_and_migrations_run_once() {
    let fixture = sqlite_fixture().await;
    let store: Arc<dyn Store> = fixture.store.clone();
    let (plan, _) = super::support::plan_and_policy(&store, "Contoso", 5).await;
    fixture.store.close().await;
    let reopened = SqliteStore::open(&fixture.path, MailSealer::generate().unwrap()).await.unwrap();
    assert_eq!(reopened.dial_plan(plan.id).await.unwrap(), Some(plan));
}

#[tokio::test]
async fn the_file_is_created_when_missing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    assert!(!path.exists());
    let store = SqliteStore::open(&path, MailSealer::generate().unwrap()).await.unwrap();
    assert!(path.exists());
    assert!(store.dial_plans().await.unwrap().is_empty());
    let missing = dir.path().join("no/such/dir/x.db");
    assert!(SqliteStore::open(&missing, MailSealer::generate().unwrap()).await.is_err());
}

#[tokio::test]
async fn mail_sealed_with_another_key_fails_instead_of_blocking_the_queue() {
    let fixture = sqlite_fixture().await;
    let other_key = SqliteStore::open(&fixture.path, MailSealer::new([9; 32])).await.unwrap();
    another_key(fixture.store.clone(), Arc::new(other_key)).await;
}
