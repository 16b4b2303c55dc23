//! The HTTP API under load, driven by `scripts/bench-http.sh`: a small keep-alive load client
//! (hyper, one connection per task), the seeding of a large SQLite data directory, and the raw
//! Argon2id verification rate that the sign-in endpoint is compared with.
//!
//! Modes (the first argument; cargo's own `--bench` flag is ignored):
//!
//! * `seed DATA_DIR TEMPLATE COUNT`: clones the mailbox `TEMPLATE` (enabled through the CLI,
//!   with its PIN hashed at the server's cost) `COUNT` times through the store, in
//!   transactions of 1,000: the real schema, children and search keys included, and PIN
//!   hashes the server verifies. Prints the time it took.
//! * `load URL TOKEN NAME CONNECTIONS SECONDS METHOD PATH [BODY]`: `CONNECTIONS` keep-alive
//!   connections send requests for `SECONDS`; `{n}` in the path or body becomes a random
//!   mailbox number (0 to `VOICEPIN_BENCH_MAILBOXES`), `{c}` the connection's number. Prints
//!   a Markdown table row: requests, throughput, p50, p99 and max latency.
//! * `argon2 THREADS SECONDS`: `THREADS` threads verify a PIN at the default Argon2id cost
//!   (or `VOICEPIN_SECURITY__ARGON2_*`) for `SECONDS`; prints the verifications per second.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark: a failure should stop it loudly

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use time::OffsetDateTime;
use voicepin_core::Pin;
use voicepin_core::hashing::{Argon2Cost, Argon2Hasher, PepperKey};
use voicepin_core::ids::{MailboxId, Revision};
use voicepin_core::mailbox::{Extension, SmtpAddress};
use voicepin_core::ports::{Change, MailboxLookup, Store, Write};
use voicepin_store::{MailSealer, SqliteStore};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["seed", dir, template, count] => runtime().block_on(seed(dir, template, count.parse().unwrap())),
        ["load", url, token, name, connections, seconds, method, path, body @ ..] => {
            let load = Load {
                url: url.trim_end_matches('/').to_owned(),
                token: (*token).to_owned(),
                method: method.parse().unwrap(),
                path: (*path).to_owned(),
                body: body.first().map(|b| (*b).to_owned()),
                mailboxes: std::env::var("VOICEPIN_BENCH_MAILBOXES").map_or(1, |n| n.parse().unwrap()),
            };
            let duration = Duration::from_secs_f64(seconds.parse().unwrap());
            let result = runtime().block_on(load.run(connections.parse().unwrap(), duration));
            result.print(name, connections);
        }
        ["argon2", threads, seconds] => {
            argon2(threads.parse().unwrap(), Duration::from_secs_f64(seconds.parse().unwrap()))
        }
        // `cargo bench` without arguments (as in `cargo bench --workspace`): nothing to do.
        [] => eprintln!("http bench: driven by scripts/bench-http.sh"),
        other => panic!("unknown arguments {other:?}; see the module documentation"),
    }
}

/// The client's runtime: one thread, so that the server keeps the other cores.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

// ---------------------------------------------------------------------------------------
// Seeding

async fn seed(dir: &str, template: &str, count: u32) {
    let path = std::path::Path::new(dir).join("voicepin.db");
    // No mail is queued here, so the sealing key does not matter.
    let store = SqliteStore::open(&path, MailSealer::new([0; 32])).await.unwrap();
    let found = store.find_mailboxes(&MailboxLookup::SmtpAddress(template.to_owned())).await.unwrap();
    let template = found.into_iter().next().expect("the template mailbox");
    let started = Instant::now();
    let now = OffsetDateTime::now_utc();
    let mut n = 0;
    while n < count {
        let mut change = Change::default();
        for i in n..(n + 1000).min(count) {
            let mut mailbox = template.clone();
            mailbox.id = MailboxId::new_random();
            mailbox.revision = Revision::NEW;
            mailbox.smtp_address = SmtpAddress::parse("Identity", &address(i)).unwrap();
            mailbox.alias = format!("user{i:06}");
            mailbox.first_name = format!("First{i:06}");
            mailbox.last_name = format!("Last{i:06}");
            mailbox.display_name = format!("First{i:06} Last{i:06}");
            mailbox.extensions = vec![Extension::from_stored(extension(i))];
            mailbox.phone_numbers = Vec::new();
            mailbox.created_at = now;
            change.writes.push(Write::InsertMailbox(mailbox));
        }
        n = (n + 1000).min(count);
        store.commit(change).await.unwrap();
    }
    let elapsed = started.elapsed();
    println!(
        "seeded {count} mailboxes in {:.1} s ({:.0} mailboxes/s)",
        elapsed.as_secs_f64(),
        f64::from(count) / elapsed.as_secs_f64()
    );
}

/// The address of seeded mailbox `i`.
fn address(i: u32) -> String {
    format!("user{i:06}@bench.example")
}

/// The extension of seeded mailbox `i` (the dial plan has 7 digits).
fn extension(i: u32) -> String {
    format!("{}", 2_000_000 + i)
}

// ---------------------------------------------------------------------------------------
// Load

struct Load {
    url: String,
    token: String,
    method: hyper::Method,
    path: String,
    body: Option<String>,
    mailboxes: u32,
}

struct LoadResult {
    latencies_us: Vec<u64>,
    elapsed: Duration,
    errors: u64,
}

impl Load {
    async fn run(self, connections: u32, duration: Duration) -> LoadResult {
        let load = Arc::new(self);
        let stop = Arc::new(AtomicBool::new(false));
        let started = Instant::now();
        let tasks: Vec<_> = (0..connections)
            .map(|c| tokio::spawn(connection(load.clone(), c, stop.clone(), started + duration)))
            .collect();
        let mut result = LoadResult { latencies_us: Vec::new(), elapsed: Duration::ZERO, errors: 0 };
        for task in tasks {
            let (latencies, errors) = task.await.unwrap();
            result.latencies_us.extend(latencies);
            result.errors += errors;
        }
        result.elapsed = started.elapsed();
        result
    }

    fn request(&self, connection: u32, rng: &mut u64) -> hyper::Request<Full<Bytes>> {
        let n = (next(rng) % u64::from(self.mailboxes.max(1))) as u32;
        let fill = |text: &str| {
            text.replace("{n}", &format!("{n:06}"))
                .replace("{x}", &extension(n))
                .replace("{c}", &connection.to_string())
        };
        let body = self.body.as_deref().map(fill).unwrap_or_default();
        let mut request = hyper::Request::builder()
            .method(self.method.clone())
            .uri(format!("{}{}", self.url, fill(&self.path)))
            .header("host", "127.0.0.1");
        // `cookie:VALUE` stands for a browser session (the admin center's pages).
        request = match self.token.strip_prefix("cookie:") {
            Some(session) => request.header("cookie", format!("voicepin_session={session}")),
            None => request.header("authorization", format!("Bearer {}", self.token)),
        };
        if self.body.is_some() {
            request = request.header("content-type", "application/json");
        }
        request.body(Full::new(Bytes::from(body))).unwrap()
    }
}

/// A xorshift step: random enough to spread lookups over the table.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

async fn connection(load: Arc<Load>, c: u32, stop: Arc<AtomicBool>, deadline: Instant) -> (Vec<u64>, u64) {
    let authority = load.url.trim_start_matches("http://").to_owned();
    let stream = tokio::net::TcpStream::connect(&authority).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
    tokio::spawn(conn);
    let mut rng = 0x9E37_79B9_7F4A_7C15_u64 ^ (u64::from(c) + 1).wrapping_mul(0x2545_F491_4F6C_DD1D);
    let mut latencies = Vec::new();
    let mut errors = 0;
    while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
        let request = load.request(c, &mut rng);
        let sent = Instant::now();
        let response = sender.send_request(request).await.unwrap();
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let micros = u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX);
        if status.is_success() && !body.windows(8).any(|w| w == b"\"failed\"") {
            latencies.push(micros);
        } else {
            errors += 1;
            if errors == 1 {
                eprintln!("connection {c}: {status} {}", String::from_utf8_lossy(&body));
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    (latencies, errors)
}

impl LoadResult {
    fn print(mut self, name: &str, connections: &str) {
        self.latencies_us.sort_unstable();
        let n = self.latencies_us.len();
        let at = |q: f64| {
            let index = ((n as f64 * q).ceil() as usize).clamp(1, n.max(1)) - 1;
            self.latencies_us.get(index).copied().unwrap_or(0) as f64 / 1000.0
        };
        println!(
            "| {name} | {connections} | {n} | {:.0}/s | {:.2} ms | {:.2} ms | {:.2} ms | {} |",
            n as f64 / self.elapsed.as_secs_f64(),
            at(0.50),
            at(0.99),
            at(1.0),
            self.errors
        );
    }
}

// ---------------------------------------------------------------------------------------
// Raw Argon2id

fn env_number(name: &str, default: u32) -> u32 {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok()).unwrap_or(default)
}

fn argon2(threads: u32, duration: Duration) {
    let default = Argon2Cost::default();
    let cost = Argon2Cost {
        memory_kib: env_number("VOICEPIN_SECURITY__ARGON2_MEMORY_KIB", default.memory_kib),
        iterations: env_number("VOICEPIN_SECURITY__ARGON2_ITERATIONS", default.iterations),
        parallelism: env_number("VOICEPIN_SECURITY__ARGON2_PARALLELISM", default.parallelism),
    };
    let hasher = Arc::new(Argon2Hasher::new(vec![PepperKey::new("bench", [7; 32]).unwrap()], cost).unwrap());
    let pin = Pin::new("20240604");
    let hash = Arc::new(hasher.hash_blocking(&pin).unwrap());
    let started = Instant::now();
    let deadline = started + duration;
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (hasher, hash) = (hasher.clone(), hash.clone());
            std::thread::spawn(move || {
                let pin = Pin::new("20240604");
                let mut done = 0_u64;
                while Instant::now() < deadline {
                    std::hint::black_box(hasher.verify_blocking(&pin, &hash).unwrap());
                    done += 1;
                }
                done
            })
        })
        .collect();
    let total: u64 = workers.into_iter().map(|w| w.join().unwrap()).sum();
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "| raw Argon2id verify (m={} KiB, t={}, p={}) | {threads} threads | {total} | {:.1}/s | {:.1} ms per verification per thread |",
        cost.memory_kib,
        cost.iterations,
        cost.parallelism,
        total as f64 / elapsed,
        elapsed * 1000.0 * f64::from(threads) / total as f64
    );
}
