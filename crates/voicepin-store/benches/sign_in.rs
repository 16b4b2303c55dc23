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
use voicepin_core::hashing::{Argon2Cost, Argon2Hasher, PepperKey, PinHasher};
use voicepin_core::ports::SystemClock;
use voicepin_core::usecases::{DialPlanSettings, EnableMailbox, NewDialPlan, SignIn};
use voicepin_core::{Pin, VoicePin};
use voicepin_store::{MailSealer, SqliteStore};

fn hasher() -> Argon2Hasher {
    Argon2Hasher::new(vec![PepperKey::new("k1", [7; 32]).unwrap()], Argon2Cost::default()).unwrap()
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = runtime.block_on(async {
        let store = SqliteStore::open(&dir.path().join("bench.db"), MailSealer::new([9; 32])).await.unwrap();
        let app = VoicePin::new(Arc::new(store), Arc::new(hasher()), Arc::new(SystemClock));
        let context = RequestContext::cli("bench");
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
    });

    let mut group = c.benchmark_group("sign_in");
    group.sample_size(30);
    group.throughput(Throughput::Elements(1));

    let raw = hasher();
    let pin = Pin::new("1985848");
    let hash = raw.hash(&pin).unwrap();
    group.bench_function("raw_argon2id_verify", |b| b.iter(|| black_box(raw.verify(&pin, &hash).unwrap())));

    let context = RequestContext::cli("bench");
    let request = SignIn { identity: "36697".into(), dial_plan: None, pin: Pin::new("1985848") };
    group.bench_function("use_case_success", |b| {
        b.iter(|| black_box(runtime.block_on(app.sign_in(&context, &request)).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
