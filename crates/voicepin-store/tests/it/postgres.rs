//! The suites on PostgreSQL, each test in a schema of its own, and what is particular to
//! PostgreSQL: several nodes over one database.
//!
//! The server is `VOICEPIN_TEST_POSTGRES_URL` (by default
//! `postgres://postgres@127.0.0.1:5432/test`); a server out of reach fails these tests, and
//! only `VOICEPIN_TEST_POSTGRES_URL=skip` skips them.

use std::sync::Arc;

use tokio::task::JoinSet;
use voicepin_core::audit::AuditAction;
use voicepin_core::pin::Pin;
use voicepin_core::ports::{AuditQuery, Store, Write};
use voicepin_core::signin::SignInOutcome;
use voicepin_core::usecases::SignIn;
use voicepin_store::{MailSealer, PgStore};

use super::accounts::account_stories;
use super::contract::{another_key, store_contract};
use super::secrets::no_pin_in_clear;
use super::support::{PgFixture, admin, pg_fixture, postgres, voicepin};
use super::usecases::{counting_mailbox, usecase_stories};

store_contract!(postgres);
account_stories!(postgres);
usecase_stories!(postgres);
no_pin_in_clear!(pg_fixture);

/// Another node: a store of its own over the fixture's database.
async fn node(fixture: &PgFixture, sealer: MailSealer) -> Arc<PgStore> {
    Arc::new(PgStore::connect(&fixture.schema.url(), sealer).await.unwrap())
}

#[tokio::test]
async fn another_node_sees_everything_and_migrations_run_once() {
    let Some(fixture) = pg_fixture().await else { return };
    let store: Arc<dyn Store> = fixture.store.clone();
    let (plan, _) = super::support::plan_and_policy(&store, "Contoso", 5).await;
    let other = node(&fixture, MailSealer::generate().unwrap()).await;
    assert_eq!(other.dial_plan(plan.id).await.unwrap(), Some(plan));
    let mut conn = fixture.schema.connect().await;
    let migrations: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations").fetch_one(&mut conn).await.unwrap();
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres")).unwrap().count();
    assert_eq!(migrations, i64::try_from(files).unwrap(), "each migration once, though two nodes started");
}

#[tokio::test]
async fn a_server_out_of_reach_is_an_error() {
    if super::support::postgres_url().is_none() {
        return;
    }
    // Port 1 is privileged and unused: the connection is refused at once.
    let result = PgStore::connect("postgres://postgres@127.0.0.1:1/test", MailSealer::generate().unwrap()).await;
    let Err(error) = result else { panic!("connected to nothing") };
    assert!(error.to_string().contains("cannot connect to PostgreSQL"), "{error}");
}

#[tokio::test]
async fn mail_sealed_with_another_key_fails_instead_of_blocking_the_queue() {
    let Some(fixture) = pg_fixture().await else { return };
    let other_key = node(&fixture, MailSealer::new([9; 32])).await;
    another_key(fixture.store.clone(), other_key).await;
}

/// Two nodes, each with its own pool, take wrong PINs for one mailbox at the same time:
/// every failure is counted once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn wrong_sign_ins_on_two_nodes_are_all_counted() {
    let Some(fixture) = pg_fixture().await else { return };
    let first = counting_mailbox(&(fixture.store.clone() as Arc<dyn Store>)).await;
    let second_store: Arc<dyn Store> = node(&fixture, MailSealer::generate().unwrap()).await;
    let second = voicepin(second_store);
    let mut tasks = JoinSet::new();
    for i in 0..40 {
        let vp = if i % 2 == 0 { first.clone() } else { second.clone() };
        tasks.spawn(async move {
            let request = SignIn {
                identity: super::usecases::TONY.into(),
                dial_plan: None,
                pin: Pin::new(super::usecases::WRONG),
            };
            vp.sign_in(&admin(), &request).await.unwrap().outcome
        });
    }
    let outcomes = tasks.join_all().await;
    assert!(outcomes.iter().all(|o| *o == SignInOutcome::Failed));
    let info = first.get_pin_info(&super::support::admin(), super::usecases::TONY).await.unwrap();
    assert_eq!((info.consecutive_failures, info.total_failures), (40, 40));
    let failures = fixture
        .store
        .audit_events(&AuditQuery { action: Some(AuditAction::SignInFailed), limit: 1000, ..AuditQuery::default() })
        .await
        .unwrap();
    assert_eq!(failures.len(), 40);
}

/// Two commits taking the same extensions in opposite orders deadlock; PostgreSQL aborts
/// one, which the store reports as a conflict (the use cases re-read and retry), not as a
/// failure of the database. (SQLite runs one writer at a time and cannot deadlock.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deadlock_victim_gets_a_conflict() {
    let Some(fixture) = pg_fixture().await else { return };
    let store: Arc<dyn Store> = fixture.store.clone();
    let (_, policy) = super::support::plan_and_policy(&store, "Contoso", 5).await;
    let holder = super::support::mailbox("holder@contoso.com", &policy, &["10000"]);
    super::support::write(&store, vec![Write::InsertMailbox(holder.clone())]).await.unwrap();

    // Another session takes 20002 and keeps it, uncommitted; it waits for deadlocks longer
    // than the store's session, so the store's is the one that notices (and gives way).
    let mut other = fixture.schema.connect().await;
    sqlx::query("SET deadlock_timeout = '20s'").execute(&mut other).await.unwrap();
    sqlx::query("BEGIN").execute(&mut other).await.unwrap();
    let extension = move |digits: &'static str| {
        sqlx::query(
            "INSERT INTO mailbox_extensions (dial_plan_id, extension, mailbox_id, position) VALUES ($1, $2, $3, 9)",
        )
        .bind(holder.dial_plan_id.to_string())
        .bind(digits)
        .bind(holder.id.to_string())
    };
    extension("20002").execute(&mut other).await.unwrap();
    let other_pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(&mut other).await.unwrap();

    // The store's commit takes 20001, then waits for 20002.
    let victim = super::support::mailbox("victim@contoso.com", &policy, &["20001", "20002"]);
    let commit = tokio::spawn({
        let store = store.clone();
        async move { super::support::write(&store, vec![Write::InsertMailbox(victim)]).await }
    });
    let mut watcher = fixture.schema.connect().await;
    loop {
        let waiting: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))")
                .bind(other_pid)
                .fetch_one(&mut watcher)
                .await
                .unwrap();
        if waiting > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // The other session now wants 20001: a cycle.
    let taken = tokio::spawn(async move {
        let result = extension("20001").execute(&mut other).await.map(|_| ());
        sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
        result
    });
    assert!(matches!(commit.await.unwrap(), Err(voicepin_core::StoreError::Conflict)));
    taken.await.unwrap().unwrap();
    assert!(
        store
            .find_mailboxes(&voicepin_core::ports::MailboxLookup::SmtpAddress("victim@contoso.com".into()))
            .await
            .unwrap()
            .is_empty()
    );
}
