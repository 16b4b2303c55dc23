//! The sign-in use case against the raw hash: everything around the Argon2id verification
//! (identity lookup, policy load, the counted write, the audit event) must be cheap.
//!
//! Run: `cargo bench -p voicepin-store --bench sign_in`. Both measurements use the default
//! Argon2id cost (19 MiB, t=2, p=1) on one thread, SQLite on a temporary file.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark: a failure should stop it loudly

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use voicepin_core::audit::RequestContext;
use voicepin_core::hashing::{Argon2Cost, Argon2Hasher, PepperKey};
use voicepin_core::ports::SystemClock;
use voicepin_core::usecases::{DialPlanSettings, EnableMailbox, NewDialPlan, SignIn};
use voicepin_core::{Pin, VoicePin};
use voicepin_store::{MailSealer, SqliteStore};

fn hasher() -> Argon2Hasher {
    hasher_with(Argon2Cost::default())
}

fn hasher_with(cost: Argon2Cost) -> Argon2Hasher {
    Argon2Hasher::new(vec![PepperKey::new("k1", [7; 32]).unwrap()], cost).unwrap()
}

/// The cheapest Argon2 there is: what is left of a sign-in is everything around the hash.
const CHEAPEST: Argon2Cost = Argon2Cost { memory_kib: 8, iterations: 1, parallelism: 1 };

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = runtime.block_on(setup(&dir.path().join("bench.db"), hasher()));
    let cheap_app = runtime.block_on(setup(&dir.path().join("cheap.db"), hasher_with(CHEAPEST)));

    let mut group = c.benchmark_group("sign_in");
    group.sample_size(30);
    group.throughput(Throughput::Elements(1));

    let raw = hasher();
    let pin = Pin::new("1985848");
    let hash = raw.hash_blocking(&pin).unwrap();
    group.bench_function("raw_argon2id_verify", |b| b.iter(|| black_box(raw.verify_blocking(&pin, &hash).unwrap())));

    let context = RequestContext::local("bench");
    let request = SignIn { identity: "36697".into(), dial_plan: None, pin: Pin::new("1985848") };
    group.bench_function("use_case_success", |b| {
        b.iter(|| black_box(runtime.block_on(app.sign_in(&context, &request)).unwrap()))
    });
    group.finish();

    let mut group = c.benchmark_group("sign_in_overhead");
    group.throughput(Throughput::Elements(1));
    let cheap = hasher_with(CHEAPEST);
    let cheap_hash = cheap.hash_blocking(&pin).unwrap();
    group.bench_function("raw_verify_cheapest_argon2", |b| {
        b.iter(|| black_box(cheap.verify_blocking(&pin, &cheap_hash).unwrap()))
    });
    group.bench_function("use_case_success_cheapest_argon2", |b| {
        b.iter(|| black_box(runtime.block_on(cheap_app.sign_in(&context, &request)).unwrap()))
    });
    group.finish();
}

async fn setup(path: &std::path::Path, hasher: Argon2Hasher) -> VoicePin {
    {
        let store = SqliteStore::open(path, MailSealer::new([9; 32])).await.unwrap();
        let app = VoicePin::new(Arc::new(store), Arc::new(hasher), Arc::new(SystemClock));
        let context = RequestContext::local("bench");
        let settings = DialPlanSettings { number_of_digits_in_extension: Some(5), ..DialPlanSettings::default() };
        app.new_dial_plan(&context, NewDialPlan { name: "DP".into(), settings, generate_policy: true }).await.unwrap();
        let enable = EnableMailbox {
            identity: "tonysmith@contoso.com".into(),
            policy: Some("DP Default Policy".into()),
            extensions: vec!["36697".into()],
            pin: Some(Pin::new("1985848")),
            pin_expired: Some(false),
            ..EnableMailbox::default()
        };
        app.enable_mailbox(&context, enable).await.unwrap();
        app
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
