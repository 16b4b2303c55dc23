//! Email delivery: how fast the outbox empties, and what queueing a message costs a PIN reset.
//!
//! Run: `cargo bench -p voicepin-mail --bench delivery`. Numbers go to BENCHMARKS.md.
//!
//! - `delivery`: one [`deliver_due`] run over a SQLite outbox (temporary file, WAL,
//!   `synchronous = NORMAL`) holding [`MESSAGES`] PIN-reset messages, each rendered, sent
//!   and marked sent. Throughput is in messages. `smtp` sends to the tests' SMTP server on
//!   127.0.0.1 (plain, in this process, on the runtime's worker threads) through one
//!   [`SmtpTransport`] kept for the whole benchmark, so its pooled connection is reused, as
//!   in `voicepin serve`; `pickup` writes `.eml` files (each flushed to disk) instead.
//!   Refilling the outbox is not measured.
//! - `outbox_cost`: Set-UMMailboxPIN without a PIN (so one is generated, which passes the
//!   history rule every time) with `SendEmail $false` and `$true`; the difference is what
//!   the outbox adds to a reset: building the message, sealing it (PIN included) and
//!   inserting it in the same transaction; rendering waits for delivery. Argon2id runs at a deliberately CHEAP cost
//!   (64 KiB, t=1, p=1), not the default 19 MiB, t=2, so the hash does not drown the
//!   difference; note that each reset still verifies the generated PIN against up to 5
//!   stored hashes (PINHistoryCount) and hashes it once. With the default cost, a reset
//!   takes about six default Argon2id computations longer, in both variants alike.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark: a failure should stop it loudly

#[allow(dead_code)] // the tests use more of it than the benchmark does
#[path = "../tests/it/smtp_server.rs"]
mod smtp_server;

use std::cell::Cell;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use time::OffsetDateTime;
use tokio::runtime::Runtime;
use voicepin_core::audit::RequestContext;
use voicepin_core::hashing::{Argon2Cost, Argon2Hasher, PepperKey};
use voicepin_core::ids::{MailId, MailboxId};
use voicepin_core::mailbox::SmtpAddress;
use voicepin_core::notify::{Notification, OutboundMail, Recipient, ResetReason};
use voicepin_core::ports::{Change, Store, SystemClock};
use voicepin_core::usecases::{DialPlanSettings, EnableMailbox, NewDialPlan, SetPin};
use voicepin_core::{Pin, VoicePin};
use voicepin_mail::{MailSettings, PickupFolder, SmtpConfig, SmtpTransport, Transport, deliver_due};
use voicepin_store::{MailSealer, SqliteStore};

use smtp_server::{Behaviour, SmtpServer};

/// Messages in the outbox at the start of each measured delivery run.
const MESSAGES: usize = 200;

async fn open_store(dir: &Path) -> SqliteStore {
    SqliteStore::open(&dir.join("bench.db"), MailSealer::new([9; voicepin_store::KEY_LENGTH])).await.unwrap()
}

/// A PIN-reset message with a PIN, as Set-UMMailboxPIN queues it.
fn reset_mail(n: usize, now: OffsetDateTime) -> OutboundMail {
    let address = SmtpAddress::parse("To", &format!("user{n}@contoso.com")).unwrap();
    OutboundMail {
        id: MailId::new_random(),
        mailbox_id: MailboxId::new_random(),
        to: address.clone(),
        recipient: Recipient {
            smtp_address: address,
            display_name: format!("User {n}"),
            extension: Some(format!("{}", 30_000 + n)),
            access_numbers: vec!["+14255550100".to_owned()],
        },
        notification: Notification::PinReset {
            pin: Pin::new(format!("{:08}", 73_916_450 + n)),
            change_required: true,
            reset_pin_text: String::new(),
            reason: ResetReason::Administrator,
            locked_out: false,
        },
        created_at: now,
    }
}

/// Queues [`MESSAGES`] messages in one committed change.
async fn fill(store: &dyn Store) {
    let now = OffsetDateTime::now_utc();
    let mail = (0..MESSAGES).map(|n| reset_mail(n, now)).collect();
    store.commit(Change { mail, ..Change::default() }).await.unwrap();
}

/// The time of `iters` delivery runs, each over a freshly filled outbox; `after` checks
/// and cleans up after each run, unmeasured.
fn timed_runs(
    runtime: &Runtime,
    store: &dyn Store,
    transport: &dyn Transport,
    iters: u64,
    mut after: impl FnMut(),
) -> Duration {
    let settings = MailSettings::new("Voice Mail <voicemail@contoso.com>").unwrap();
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        runtime.block_on(fill(store));
        let start = Instant::now();
        let report = runtime.block_on(deliver_due(store, transport, &settings, OffsetDateTime::now_utc())).unwrap();
        total += start.elapsed();
        assert_eq!(report.sent as usize, MESSAGES, "{report:?}");
        after();
    }
    total
}

fn delivery(c: &mut Criterion) {
    // Worker threads for the server, so that it answers while the bench thread delivers.
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = runtime.block_on(open_store(dir.path()));
    let server = runtime.block_on(SmtpServer::start(Behaviour::default()));
    let mut config = SmtpConfig::new(&server.url("")).unwrap();
    config.helo_name = Some("voicepin.contoso.com".to_owned());
    let smtp = SmtpTransport::new(&config).unwrap();

    let mut group = c.benchmark_group("delivery");
    group.throughput(Throughput::Elements(MESSAGES as u64));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));

    let delivered = Cell::new(0);
    group.bench_function("smtp", |b| {
        b.iter_custom(|iters| {
            timed_runs(&runtime, &store, &smtp, iters, || {
                assert_eq!(server.take_received().len(), MESSAGES);
                delivered.set(delivered.get() + MESSAGES);
            })
        })
    });
    eprintln!("delivery/smtp: {} connection(s) opened for {} messages", server.connections(), delivered.get());

    let pickup_root = dir.path().join("pickup");
    group.bench_function("pickup", |b| {
        b.iter_custom(|iters| {
            let folder = PickupFolder::new(&pickup_root);
            timed_runs(&runtime, &store, &folder, iters, || {
                let written = std::fs::read_dir(&pickup_root).unwrap().count();
                assert_eq!(written, MESSAGES);
                std::fs::remove_dir_all(&pickup_root).unwrap();
            })
        })
    });
    group.finish();

    // The server's tasks and the pooled connection's socket belong to the runtime.
    let _guard = runtime.enter();
    drop(smtp);
    drop(server);
}

fn outbox_cost(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cheap = Argon2Cost { memory_kib: 64, iterations: 1, parallelism: 1 };
    let hasher = Argon2Hasher::new(vec![PepperKey::new("k1", [7; 32]).unwrap()], cheap).unwrap();
    let context = RequestContext::local("bench");
    let app = runtime.block_on(async {
        let store = open_store(dir.path()).await;
        let app = VoicePin::new(Arc::new(store), Arc::new(hasher), Arc::new(SystemClock));
        let settings = DialPlanSettings { number_of_digits_in_extension: Some(5), ..DialPlanSettings::default() };
        app.new_dial_plan(&context, NewDialPlan { name: "DP".into(), settings, generate_policy: true }).await.unwrap();
        for (identity, extension) in [("quiet@contoso.com", "36697"), ("mailed@contoso.com", "36698")] {
            let enable = EnableMailbox {
                identity: identity.into(),
                policy: Some("DP Default Policy".into()),
                extensions: vec![extension.into()],
                ..EnableMailbox::default()
            };
            app.enable_mailbox(&context, enable).await.unwrap();
        }
        app
    });

    let mut group = c.benchmark_group("outbox_cost");
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(10));
    for (name, identity, send_email) in [
        ("set_pin/send_email_false", "quiet@contoso.com", false),
        ("set_pin/send_email_true", "mailed@contoso.com", true),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let request = SetPin { send_email: Some(send_email), ..SetPin::default() };
                runtime.block_on(app.set_pin(&context, identity, request)).unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, delivery, outbox_cost);
criterion_main!(benches);
