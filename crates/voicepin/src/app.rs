//! Wiring: the data directory, its key files, the store, the hasher and the mail transport,
//! assembled into the one [`VoicePin`] every front end calls.

use std::num::NonZeroUsize;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::{Context, Result, bail};
use async_trait::async_trait;
use tokio::sync::oneshot;
use voicepin_core::VoicePin;
use voicepin_core::hashing::{Argon2Hasher, HashError, PepperKey, PinHash, PinHasher, Verification};
use voicepin_core::ids::MailId;
use voicepin_core::ports::{Pause, Store, SystemClock};
use voicepin_core::signin::SignInOutcome;
use voicepin_core::telemetry::{QueuedNotice, Telemetry};
use voicepin_core::throttle::SourceKind;
use voicepin_mail::{
    Attempted, DeliveryReport, MailSettings, MessageInfo, PickupFolder, SmtpConfig, SmtpTransport, Transport,
    deliver_due_observed, render_test,
};
use voicepin_store::{Backend, KeyFingerprint, MailSealer, PgStore, SqlStore, SqliteStore};
use voicepin_web::Metrics;
use voicepin_web::metrics::MailDelivery;
use zeroize::Zeroizing;

use crate::config::{Config, MailConfig};
use crate::sender::{self, MailSender};
use crate::{datadir, keys};

/// The assembled application.
pub struct App {
    /// The use cases.
    pub voicepin: VoicePin,
    /// The store, given by the wiring to mail delivery only (every front end goes through
    /// the use cases).
    store: Arc<dyn Store>,
    /// The metrics of `/metrics`: the use cases report to them (sign-ins, resets, lockouts)
    /// and so does mail delivery.
    pub metrics: Arc<Metrics>,
    mail_settings: MailSettings,
    transport: Box<dyn Transport>,
    data_dir: std::path::PathBuf,
    observer: Arc<Observer>,
}

impl App {
    /// Opens (and on first use creates) the data directory with its keys and database.
    ///
    /// Keys are made only for a new database, and a database that holds data opens only
    /// with the keys it was written with (see [`check_keys`]).
    pub async fn open(config: &Config) -> Result<Self> {
        let root = config.data_dir();
        datadir::prepare(root, &[config.pepper_file(), config.mail_key_file()])?;
        let (store, peppers) = open_keyed_store(config).await?;
        let hasher = Argon2Hasher::new(peppers, config.argon2_cost()).context("configuring Argon2id")?;
        let metrics = Arc::new(Metrics::new());
        let observer = Arc::new(Observer { metrics: metrics.clone(), queued: Mutex::new(Some(Vec::new())) });
        let voicepin = VoicePin::new(store.clone(), Arc::new(HashPool::start(hasher)?), Arc::new(SystemClock))
            .with_telemetry(observer.clone())
            .with_sign_in(config.sign_in_settings(), Arc::new(TokioPause))
            .with_token_lifetime(config.token_lifetime()?);
        let mut mail_settings = mail_settings(&config.mail)?;
        if config.store.url.is_some() {
            // PostgreSQL is for several nodes: each sender leases what it claims.
            mail_settings.claim_lease = voicepin_mail::CLAIM_LEASE;
        }
        let transport = transport(config)?;
        let data_dir = root.to_path_buf();
        Ok(Self { voicepin, store, metrics, mail_settings, transport, data_dir, observer })
    }

    /// The data directory.
    pub fn data_dir(&self) -> &std::path::Path {
        &self.data_dir
    }

    /// Stops noting the messages the use cases queue: a server reports none of them.
    pub fn stop_noting_queued_mail(&self) {
        *self.observer.queued.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// Delivers the queued messages that are due, through the configured transport.
    pub async fn deliver_mail(&self) -> Result<DeliveryReport> {
        self.deliver_observed(&|_| {}).await
    }

    /// A local command's mail: left to `voicepin serve` when it runs on this data directory
    /// (see [`crate::sender`]), delivered here with this process's configuration otherwise.
    /// Says on standard error, in one line per message, what became of each message the
    /// command queued or sent; never a body. `None` when the server sends.
    pub async fn deliver_or_leave_to_server(&self) -> Result<Option<DeliveryReport>> {
        let queued = self.observer.queued.lock().unwrap_or_else(PoisonError::into_inner).replace(Vec::new());
        let queued = queued.unwrap_or_default();
        let MailSender::Local(_turn) = sender::who_sends(&self.data_dir)? else {
            sender::wake_server(&self.data_dir);
            for mail in &queued {
                eprintln!("voicepin: mail {} to {}: queued for the running server", mail.kind, mail.to);
            }
            return Ok(None);
        };
        let attempted = Mutex::new(Vec::new());
        let result = self
            .deliver_observed(&|a| {
                eprintln!("voicepin: mail {} to {}: {}", a.kind, a.to, a.outcome);
                attempted.lock().unwrap_or_else(PoisonError::into_inner).push(a.id);
            })
            .await;
        let attempted = attempted.into_inner().unwrap_or_else(PoisonError::into_inner);
        for mail in queued.iter().filter(|m| !attempted.contains(&m.id)) {
            eprintln!(
                "voicepin: mail {} to {}: queued, not sent yet (`voicepin mail queue` shows it)",
                mail.kind, mail.to
            );
        }
        result.map(Some)
    }

    async fn deliver_observed(&self, observe: &(dyn Fn(&Attempted<'_>) + Sync)) -> Result<DeliveryReport> {
        let now = time::OffsetDateTime::now_utc();
        let report =
            deliver_due_observed(self.store.as_ref(), self.transport.as_ref(), &self.mail_settings, now, observe)
                .await
                .context("delivering mail")?;
        self.metrics.mail_delivered(MailDelivery {
            sent: report.sent.into(),
            retried: report.retried.into(),
            failed: report.failed.into(),
        });
        Ok(report)
    }

    /// Sends the test message of `voicepin mail test` through the configured transport.
    pub async fn send_test_mail(&self, to: &str) -> Result<()> {
        let id = voicepin_core::ids::MailId::new_random();
        let now = time::OffsetDateTime::now_utc();
        let message = render_test(to, id, now, &self.mail_settings)
            .map_err(|e| voicepin_core::InvalidValue::new("To", "an email address", format!("{to} ({e})")))?;
        self.transport
            .send(&message, &MessageInfo { id, created_at: now })
            .await
            .context("sending the test message")?;
        Ok(())
    }
}

/// The core's waits (a failed sign-in's floor, a throttled source's delay) on tokio's timer.
struct TokioPause;

#[async_trait]
impl Pause for TokioPause {
    async fn until(&self, at: time::OffsetDateTime) {
        let wait = at - time::OffsetDateTime::now_utc();
        if let Ok(wait) = std::time::Duration::try_from(wait) {
            tokio::time::sleep(wait).await;
        }
    }
}

/// A message a use case queued, as a local command reports it.
struct Noted {
    id: MailId,
    kind: &'static str,
    to: String,
}

/// The use cases' observer: the metrics, and the messages queued, noted for a local
/// command's report (until [`App::stop_noting_queued_mail`]).
struct Observer {
    metrics: Arc<Metrics>,
    queued: Mutex<Option<Vec<Noted>>>,
}

impl Telemetry for Observer {
    fn sign_in(&self, outcome: SignInOutcome) {
        self.metrics.sign_in(outcome);
    }

    fn pin_auto_reset(&self) {
        self.metrics.pin_auto_reset();
    }

    fn locked_out(&self) {
        self.metrics.locked_out();
    }

    fn sign_in_throttled(&self, source: SourceKind, refused: bool) {
        self.metrics.sign_in_throttled(source, refused);
    }

    fn mail_queued(&self, mail: &QueuedNotice<'_>) {
        self.metrics.mail_queued(mail);
        if let Some(noted) = self.queued.lock().unwrap_or_else(PoisonError::into_inner).as_mut() {
            noted.push(Noted { id: mail.id, kind: mail.kind, to: mail.to.to_owned() });
        }
    }
}

/// SQLite in the data directory, or PostgreSQL when `store.url` is set, opened with the
/// key files that go with it.
async fn open_keyed_store(config: &Config) -> Result<(Arc<dyn Store>, Vec<PepperKey>)> {
    // Bodies are opened only once the mail key is known to be the database's own.
    let unchecked = MailSealer::new([0; voicepin_store::KEY_LENGTH]);
    if let Some(url) = &config.store.url {
        let store = PgStore::connect(url.expose(), unchecked).await.context("connecting to PostgreSQL (store.url)")?;
        let (peppers, mail_key) = check_keys(&store, config, "the PostgreSQL database (store.url)").await?;
        return Ok((Arc::new(store.with_sealer(MailSealer::new(*mail_key))), peppers));
    }
    let path = config.data_dir().join("voicepin.db");
    let database = path.display().to_string();
    match std::fs::metadata(&path) {
        Ok(metadata) if metadata.len() == 0 => bail!(
            "the database {database} is empty (0 bytes): this is not a first start. Restore it from its backup, \
             or remove it and the key files to start afresh"
        ),
        Ok(_) => {}
        Err(_) => datadir::create_private_file(&path)?,
    }
    let store =
        SqliteStore::open(&path, unchecked).await.with_context(|| format!("opening the database {database}"))?;
    let (peppers, mail_key) = check_keys(&store, config, &database).await?;
    Ok((Arc::new(store.with_sealer(MailSealer::new(*mail_key))), peppers))
}

/// The pepper keys and the mail key for `store`.
///
/// A new database (no key recorded, no data) gets new key files, and their fingerprints
/// are recorded; key files already there without their database are refused. A database
/// that holds data needs every key it recorded, each with the same fingerprint; keys it
/// has not recorded yet (a rotation, a database from before the record) are recorded.
async fn check_keys<B: Backend>(
    store: &SqlStore<B>,
    config: &Config,
    database: &str,
) -> Result<(Vec<PepperKey>, Zeroizing<[u8; 32]>)> {
    let (pepper_file, mail_file) = (config.pepper_file(), config.mail_key_file());
    let recorded = store.key_fingerprints().await?;
    let new = recorded.is_empty() && !store.holds_data().await?;
    let (peppers, (mail_id, mail_key)) = if new {
        for file in [&pepper_file, &mail_file] {
            if file.exists() {
                bail!(
                    "the key file {} exists but the database {database} is new: keys without their database are \
                     not a first start. Restore the database written with these keys, or move the key files away \
                     to start afresh",
                    file.display()
                );
            }
        }
        (keys::create_peppers(&pepper_file)?, keys::create_mail_key(&mail_file)?)
    } else {
        for file in [&pepper_file, &mail_file] {
            if !file.exists() {
                bail!(
                    "the key file {} is missing, and the database {database} holds data written with it: restore \
                     the key file from its backup (a new key would make every PIN fail)",
                    file.display()
                );
            }
        }
        (keys::load_peppers(&pepper_file)?, keys::load_mail_key(&mail_file)?)
    };
    let mut present: Vec<KeyFingerprint> = peppers
        .iter()
        .map(|key| KeyFingerprint {
            purpose: keys::PEPPER_PURPOSE.to_owned(),
            key_id: key.id().to_owned(),
            fingerprint: keys::fingerprint(keys::PEPPER_PURPOSE, key.id(), key.secret()),
        })
        .collect();
    present.push(KeyFingerprint {
        purpose: keys::MAIL_PURPOSE.to_owned(),
        fingerprint: keys::fingerprint(keys::MAIL_PURPOSE, &mail_id, mail_key.as_slice()),
        key_id: mail_id,
    });
    for wanted in &recorded {
        let file = if wanted.purpose == keys::MAIL_PURPOSE { &mail_file } else { &pepper_file };
        match present.iter().find(|k| k.purpose == wanted.purpose && k.key_id == wanted.key_id) {
            None => bail!(
                "the key file {} has no key {:?}, which the database {database} was written with: restore the key \
                 file from its backup",
                file.display(),
                wanted.key_id
            ),
            Some(key) if key.fingerprint != wanted.fingerprint => bail!(
                "the key file {} holds another key {:?} than the one the database {database} was written with \
                 (the fingerprints differ): restore the right key file from its backup",
                file.display(),
                wanted.key_id
            ),
            Some(_) => {}
        }
    }
    let now = time::OffsetDateTime::now_utc();
    for key in present.iter().filter(|k| !recorded.contains(k)) {
        store.record_key(key, now).await.context("recording the key fingerprints in the database")?;
    }
    Ok((peppers, mail_key))
}

/// `mail.from`, `mail.organisation` and `mail.help_desk`.
fn mail_settings(mail: &MailConfig) -> Result<MailSettings> {
    let mut settings = MailSettings::new(&mail.from).context("mail.from (VOICEPIN_MAIL__FROM)")?;
    if let Some(name) = &mail.organisation {
        settings = settings.with_organisation(name.clone());
    }
    if let Some(contact) = &mail.help_desk {
        settings = settings.with_help_desk(contact.clone());
    }
    Ok(settings)
}

/// SMTP when `mail.smtp_url` is set, otherwise the pickup folder of the data directory.
fn transport(config: &Config) -> Result<Box<dyn Transport>> {
    let mail = &config.mail;
    let Some(url) = &mail.smtp_url else {
        return Ok(Box::new(PickupFolder::new(config.data_dir().join("mail"))));
    };
    let mut smtp = SmtpConfig::new(url.expose()).context("mail.smtp_url (VOICEPIN_MAIL__SMTP_URL)")?;
    smtp.helo_name = mail.helo_name.clone();
    smtp.ca_file = mail.smtp_ca_file.clone();
    smtp.password_file = mail.smtp_password_file.clone();
    Ok(Box::new(SmtpTransport::new(&smtp).context("configuring SMTP")?))
}

/// A job of the hashing pool: runs on one of its threads with the shared hasher.
type Job = Box<dyn FnOnce(&Argon2Hasher) + Send>;

/// Runs Argon2id on a fixed pool of dedicated threads, one per core, off the async executor.
///
/// Each hash takes tens of milliseconds of CPU and m KiB of memory (19 MiB at the default
/// cost). Jobs wait in one FIFO queue and the requests await their answers, so the async
/// workers never block, at most one hash per core runs at a time, and each pool thread keeps
/// its Argon2 memory from one hash to the next (the core's per-thread scratch memory): the
/// memory is bounded by threads × m. The pool replaces `block_in_place`, whose hand-off of
/// the worker and fresh allocation per hash made a sign-in cost up to twice the hash.
struct HashPool {
    hasher: Arc<Argon2Hasher>,
    jobs: Sender<Job>,
}

impl HashPool {
    /// Starts one thread per available core (`voicepin-argon2-1`, ...). The threads end when
    /// the pool is dropped.
    fn start(hasher: Argon2Hasher) -> Result<Self> {
        let threads = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        let hasher = Arc::new(hasher);
        let (jobs, queue) = channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for number in 1..=threads {
            let (hasher, queue) = (hasher.clone(), queue.clone());
            std::thread::Builder::new()
                .name(format!("voicepin-argon2-{number}"))
                .spawn(move || work(&hasher, &queue))
                .context("starting the Argon2 hashing threads")?;
        }
        Ok(Self { hasher, jobs })
    }

    /// Queues `work` and awaits its result. Fails when the pool's threads are gone.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Argon2Hasher) -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let (answer, result) = oneshot::channel();
        let job: Job = Box::new(move |hasher| {
            // A request that went away (its client disconnected) needs no answer.
            if !answer.is_closed() {
                let _ = answer.send(work(hasher));
            }
        });
        self.jobs.send(job).map_err(|_| HashError::Stopped)?;
        result.await.map_err(|_| HashError::Stopped)
    }
}

/// A pool thread: takes jobs in turn until the pool is dropped.
fn work(hasher: &Argon2Hasher, queue: &Mutex<Receiver<Job>>) {
    loop {
        // The lock is held while waiting, so one idle thread waits on the queue and the
        // others on the lock; a job never panics while it is held, poisoned or not.
        let next = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
        match next {
            Ok(job) => job(hasher),
            Err(_) => return,
        }
    }
}

/// A copy of a secret for a job on another thread, wiped when the job is done.
fn secret_copy(secret: &[u8]) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(secret.to_vec())
}

#[async_trait]
impl PinHasher for HashPool {
    async fn hash_secret(&self, secret: &[u8]) -> Result<PinHash, HashError> {
        let secret = secret_copy(secret);
        self.run(move |h| h.hash_secret_blocking(&secret)).await?
    }

    async fn verify_secret(&self, secret: &[u8], hash: &PinHash) -> Result<Verification, HashError> {
        let (secret, hash) = (secret_copy(secret), hash.clone());
        self.run(move |h| h.verify_secret_blocking(&secret, &hash)).await?
    }

    async fn verify_decoy_secret(&self, secret: &[u8]) {
        let secret = secret_copy(secret);
        // Only the time spent matters; a stopped pool has nothing to spend it on.
        let _ = self.run(move |h| h.verify_decoy_secret_blocking(&secret)).await;
    }

    fn needs_rehash(&self, hash: &PinHash) -> bool {
        self.hasher.needs_rehash(hash)
    }
}

#[cfg(test)]
mod tests {
    use voicepin_core::Pin;
    use voicepin_core::hashing::{Argon2Cost, PepperKey};

    use super::*;

    fn pool() -> HashPool {
        let cheap = Argon2Cost { memory_kib: 64, iterations: 1, parallelism: 1 };
        HashPool::start(Argon2Hasher::new(vec![PepperKey::new("k1", [1; 32]).unwrap()], cheap).unwrap()).unwrap()
    }

    #[tokio::test]
    async fn the_pool_hashes_and_verifies() {
        let pool = pool();
        let hash = pool.hash(&Pin::new("482913")).await.unwrap();
        assert_eq!(pool.verify(&Pin::new("482913"), &hash).await.unwrap(), Verification::Match);
        assert_eq!(pool.verify(&Pin::new("482914"), &hash).await.unwrap(), Verification::Mismatch);
        pool.verify_decoy(&Pin::new("482913")).await;
        assert!(!pool.needs_rehash(&hash));
    }

    /// Polls a future to completion on this thread, with no runtime around.
    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        struct Unpark(std::thread::Thread);
        impl std::task::Wake for Unpark {
            fn wake(self: Arc<Self>) {
                self.0.unpark();
            }
        }
        let waker = std::task::Waker::from(Arc::new(Unpark(std::thread::current())));
        let mut context = std::task::Context::from_waker(&waker);
        let mut future = std::pin::pin!(future);
        loop {
            if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut context) {
                return output;
            }
            std::thread::park();
        }
    }

    #[test]
    fn the_pool_works_outside_a_runtime() {
        let pool = pool();
        let hash = block_on(pool.hash(&Pin::new("482913"))).unwrap();
        assert_eq!(block_on(pool.verify(&Pin::new("482913"), &hash)).unwrap(), Verification::Match);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn many_requests_share_the_pool() {
        let pool = Arc::new(pool());
        let hash = pool.hash(&Pin::new("482913")).await.unwrap();
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let (pool, hash) = (pool.clone(), hash.clone());
                tokio::spawn(async move { pool.verify(&Pin::new("482913"), &hash).await })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap(), Verification::Match);
        }
    }

    #[tokio::test]
    async fn a_stopped_pool_is_an_error() {
        let pool = pool();
        let (jobs, queue) = channel::<Job>();
        drop(queue);
        let stopped = HashPool { hasher: pool.hasher.clone(), jobs };
        assert!(matches!(stopped.hash(&Pin::new("482913")).await, Err(HashError::Stopped)));
    }
}
