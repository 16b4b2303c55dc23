#![allow(clippy::unwrap_used)] // a benchmark: a failure should stop it loudly
//! Core benchmarks: rule checks, PIN generation and Argon2id verification.
//!
//! Run: `cargo bench -p voicepin-core --bench core`. Numbers go to BENCHMARKS.md.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use voicepin_core::Pin;
use voicepin_core::generate::{OsRandom, generate_pin};
use voicepin_core::hashing::{Argon2Cost, Argon2Hasher, PepperKey};
use voicepin_core::policy::{ExtendedChecks, PinPolicy};
use voicepin_core::rules::{NoHistory, RuleContext, check_pin};

fn context<'a>(policy: &'a PinPolicy, extensions: &'a [String]) -> RuleContext<'a> {
    RuleContext { policy, extensions, first_name: "Tony", last_name: "Smith", history: &NoHistory }
}

fn rules(c: &mut Criterion) {
    let extensions = vec!["36697".to_owned()];
    let default = PinPolicy::default();
    let strict = PinPolicy {
        extended: ExtendedChecks {
            block_extension_in_pin: true,
            block_name_on_keypad: true,
            block_repeated_groups: true,
            require_three_distinct_digits: true,
            block_digit_runs: true,
            block_keypad_lines: true,
            block_common_pins: true,
            block_reversed_history: true,
        },
        ..PinPolicy::default()
    };
    // A mix of passing and failing candidates, as people type them.
    let candidates: Vec<Pin> = ["1985848", "123456", "482913", "111111", "6697", "90210487", "12a456", "730195"]
        .into_iter()
        .map(Pin::new)
        .collect();
    let mut group = c.benchmark_group("rules");
    group.throughput(Throughput::Elements(candidates.len() as u64));
    group.bench_function("check_pin/default_policy", |b| {
        let ctx = context(&default, &extensions);
        b.iter(|| {
            for pin in &candidates {
                black_box(check_pin(black_box(pin), &ctx));
            }
        })
    });
    group.bench_function("check_pin/every_extended_check", |b| {
        let ctx = context(&strict, &extensions);
        b.iter(|| {
            for pin in &candidates {
                black_box(check_pin(black_box(pin), &ctx));
            }
        })
    });
    group.finish();

    let mut group = c.benchmark_group("generate");
    group.throughput(Throughput::Elements(1));
    group.bench_function("generate_pin/default_policy", |b| {
        let ctx = context(&default, &extensions);
        b.iter(|| black_box(generate_pin(&ctx, &mut OsRandom)))
    });
    group.bench_function("generate_pin/every_extended_check", |b| {
        let ctx = context(&strict, &extensions);
        b.iter(|| black_box(generate_pin(&ctx, &mut OsRandom)))
    });
    group.finish();
}

fn argon2(c: &mut Criterion) {
    let hasher = Argon2Hasher::new(vec![PepperKey::new("k1", [7; 32]).unwrap()], Argon2Cost::default()).unwrap();
    let pin = Pin::new("1985848");
    let hash = hasher.hash_blocking(&pin).unwrap();
    let mut group = c.benchmark_group("argon2id");
    group.sample_size(20);
    group.throughput(Throughput::Elements(1));
    group.bench_function("verify/default_cost_19MiB_t2_p1", |b| {
        b.iter(|| black_box(hasher.verify_blocking(&pin, &hash)))
    });
    group.finish();
}

criterion_group!(benches, rules, argon2);
criterion_main!(benches);
