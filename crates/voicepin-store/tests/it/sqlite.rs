//! The suites on SQLite files, and what is particular to SQLite.

use std::sync::Arc;

use voicepin_core::ids::MailId;
use voicepin_core::notify::{Notification, OutboundMail, Recipient};
use voicepin_core::ports::{Change, MailStatus, Store};
use voicepin_store::{MailSealer, SqliteStore};

use super::contract::store_contract;
use super::support::{sqlite, sqlite_fixture, t0};
use super::usecases::usecase_stories;

store_contract!(sqlite);
usecase_stories!(sqlite);

fn notice(address: &str) -> OutboundMail {
    let smtp_address = voicepin_core::mailbox::SmtpAddress::parse("To", address).unwrap();
    OutboundMail {
        id: MailId::new_random(),
        mailbox_id: voicepin_core::ids::MailboxId::new_random(),
        to: smtp_address.clone(),
        recipient: Recipient { smtp_address, display_name: "Tony".into(), extension: None, access_numbers: vec![] },
        notification: Notification::PinChanged,
        created_at: t0(),
    }
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
    let lost = notice("lost@contoso.com");
    fixture.store.commit(Change { mail: vec![lost.clone()], ..Change::default() }).await.unwrap();
    fixture.store.close().await;

    // Reopened with another key: the old message cannot be opened; a new one can.
    let key = [9; 32];
    let store = SqliteStore::open(&fixture.path, MailSealer::new(key)).await.unwrap();
    let fresh = notice("fresh@contoso.com");
    store.commit(Change { mail: vec![fresh.clone()], ..Change::default() }).await.unwrap();
    let due = store.due_mail(t0(), 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].mail, fresh);
    let records = store.mail_records(false, 10).await.unwrap();
    let failed = records.iter().find(|r| r.id == lost.id).unwrap();
    assert_eq!(failed.status, MailStatus::Failed);
    assert!(failed.last_error.as_deref().unwrap().contains("cannot be opened"));
    // Requeued, it fails again under this key; its sealed body is still there.
    assert!(store.requeue_mail(lost.id, t0()).await.unwrap());
    assert_eq!(store.due_mail(t0(), 10).await.unwrap().len(), 1);
}
