//! Fixtures shared by the suites.

use std::any::Any;
use std::path::PathBuf;
use std::sync::Arc;

use time::OffsetDateTime;
use voicepin_core::VoicePin;
use voicepin_core::audit::RequestContext;
use voicepin_core::hashing::{Argon2Cost, Argon2Hasher, PepperKey, PinHash};
use voicepin_core::ids::{DialPlanId, MailboxId, Revision};
use voicepin_core::mailbox::{E164Number, Extension, Mailbox, PinState, SmtpAddress};
use voicepin_core::notify::OutboundMail;
use voicepin_core::policy::{
    AccessNumber, DialPlan, ExtensionLength, InputFailuresBeforeDisconnect, LogonFailuresBeforeDisconnect,
    MailboxPolicy, ObjectName,
};
use voicepin_core::ports::{Change, Store, SystemClock, Write};
use voicepin_store::{MailSealer, PgStore, SqliteStore};

/// A store under test and whatever must live as long as it (a temporary directory, a
/// PostgreSQL schema). The suites' factories return `None` only when a backend is skipped
/// on purpose.
pub struct Fixture {
    pub store: Arc<dyn Store>,
    _keep: Box<dyn Any + Send + Sync>,
}

impl Fixture {
    pub fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }
}

/// An SQLite store in a fresh temporary directory, with its file path.
pub struct SqliteFixture {
    pub store: Arc<SqliteStore>,
    pub path: PathBuf,
    pub dir: tempfile::TempDir,
}

pub async fn sqlite_fixture() -> SqliteFixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("voicepin.db");
    let store = SqliteStore::open(&path, MailSealer::generate().unwrap()).await.unwrap();
    SqliteFixture { store: Arc::new(store), path, dir }
}

/// The factory the suites take for SQLite.
pub async fn sqlite() -> Option<Fixture> {
    let fixture = sqlite_fixture().await;
    Some(Fixture { store: fixture.store.clone(), _keep: Box::new(fixture) })
}

/// Where the PostgreSQL tests run; `skip` skips them (and nothing else does: a server that
/// cannot be reached fails them).
pub const POSTGRES_URL_VARIABLE: &str = "VOICEPIN_TEST_POSTGRES_URL";
const POSTGRES_DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The server's URL, or `None` when the PostgreSQL tests are skipped.
pub fn postgres_url() -> Option<String> {
    match std::env::var(POSTGRES_URL_VARIABLE) {
        Ok(url) if url == "skip" => {
            eprintln!("{POSTGRES_URL_VARIABLE}=skip: PostgreSQL test skipped");
            None
        }
        Ok(url) if !url.is_empty() => Some(url),
        _ => Some(POSTGRES_DEFAULT_URL.to_owned()),
    }
}

/// `url` without its password, for messages.
fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if scheme + 3 < at => match url[scheme + 3..at].find(':') {
            Some(colon) => format!("{}:***{}", &url[..scheme + 3 + colon], &url[at..]),
            None => url.to_owned(),
        },
        _ => url.to_owned(),
    }
}

/// A schema of its own for one test, dropped (best effort) when the test ends, passed or
/// failed. Every connection to `url()` works in it alone.
pub struct PgSchema {
    server: String,
    pub name: String,
}

impl PgSchema {
    /// Creates a fresh schema; fails the test, saying why, when the server is out of reach.
    pub async fn create(server: &str) -> PgSchema {
        let name = format!("voicepin_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = Self::admin(server).await;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {name}"))).execute(&mut conn).await.unwrap();
        PgSchema { server: server.to_owned(), name }
    }

    /// A connection to the server (in no test schema), or a clear failure.
    async fn admin(server: &str) -> sqlx::PgConnection {
        use sqlx::Connection;
        match sqlx::PgConnection::connect(server).await {
            Ok(conn) => conn,
            Err(error) => panic!(
                "cannot reach PostgreSQL at {}: {error}\nStart it, point {POSTGRES_URL_VARIABLE} at a server \
                 (postgres://user@host:port/database), or set {POSTGRES_URL_VARIABLE}=skip to skip the \
                 PostgreSQL tests.",
                redacted(server)
            ),
        }
    }

    /// The server's URL with this schema as the search path.
    pub fn url(&self) -> String {
        let separator = if self.server.contains('?') { '&' } else { '?' };
        format!("{}{separator}options=-csearch_path%3D{}", self.server, self.name)
    }

    /// A connection working in this schema, to look at what the store wrote.
    pub async fn connect(&self) -> sqlx::PgConnection {
        use sqlx::Connection;
        sqlx::PgConnection::connect(&self.url()).await.unwrap()
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        // Drop runs outside any async context we could await in: a thread of its own with
        // its own runtime. A lock timeout keeps a connection left mid-transaction by a
        // failed test from hanging the run.
        let server = self.server.clone();
        let sql = format!("SET lock_timeout = '10s'; DROP SCHEMA IF EXISTS {} CASCADE", self.name);
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                use sqlx::{Connection, Executor};
                let mut conn = sqlx::PgConnection::connect(&server).await.ok()?;
                conn.execute(sqlx::raw_sql(sqlx::AssertSqlSafe(sql))).await.ok()?;
                conn.close().await.ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(()))) {
            eprintln!("could not drop the test schema {}", self.name);
        }
    }
}

/// A PostgreSQL store in a fresh schema. The store is declared first: it goes before its
/// schema does.
pub struct PgFixture {
    pub store: Arc<PgStore>,
    pub schema: PgSchema,
}

/// A store in a fresh schema, or `None` when the PostgreSQL tests are skipped.
pub async fn pg_fixture() -> Option<PgFixture> {
    let server = postgres_url()?;
    let schema = PgSchema::create(&server).await;
    let store = PgStore::connect(&schema.url(), MailSealer::generate().unwrap()).await.unwrap();
    Some(PgFixture { store: Arc::new(store), schema })
}

/// The factory the suites take for PostgreSQL.
pub async fn postgres() -> Option<Fixture> {
    let fixture = pg_fixture().await?;
    Some(Fixture { store: fixture.store.clone(), _keep: Box::new(fixture) })
}

/// The application over `store`, with cheap Argon2 parameters.
pub fn voicepin(store: Arc<dyn Store>) -> VoicePin {
    let hasher = Argon2Hasher::new(
        vec![PepperKey::new("k1", [7; 32]).unwrap()],
        Argon2Cost { memory_kib: 64, iterations: 1, parallelism: 1 },
    )
    .unwrap();
    VoicePin::new(store, Arc::new(hasher), Arc::new(SystemClock))
}

pub fn admin() -> RequestContext {
    RequestContext::local("admin")
}

/// A fixed instant with nanoseconds, to prove times round-trip exactly.
pub fn t0() -> OffsetDateTime {
    time::macros::datetime!(2026-11-28 12:00:00.123456789 UTC)
}

pub fn dial_plan(name: &str, digits: u32) -> DialPlan {
    DialPlan {
        id: DialPlanId::new_random(),
        revision: Revision::NEW,
        name: ObjectName::parse("Name", name).unwrap(),
        extension_length: ExtensionLength::new(digits).unwrap(),
        access_numbers: vec![AccessNumber::parse("+14255550100").unwrap(), AccessNumber::parse("4255550101").unwrap()],
        logon_failures_before_disconnect: LogonFailuresBeforeDisconnect::new(4).unwrap(),
        input_failures_before_disconnect: InputFailuresBeforeDisconnect::new(5).unwrap(),
    }
}

pub fn policy(name: &str, plan: &DialPlan) -> MailboxPolicy {
    MailboxPolicy::with_defaults(ObjectName::parse("Name", name).unwrap(), plan.id)
}

pub fn mailbox(address: &str, policy: &MailboxPolicy, extensions: &[&str]) -> Mailbox {
    let smtp_address = SmtpAddress::parse("Identity", address).unwrap();
    let mut pin = PinState::default();
    pin.install(PinHash::from_stored("$argon2id$old"), false, t0());
    pin.install(PinHash::from_stored("$argon2id$current"), true, t0());
    Mailbox {
        id: MailboxId::new_random(),
        revision: Revision::NEW,
        alias: smtp_address.local_part().to_owned(),
        display_name: smtp_address.local_part().to_owned(),
        smtp_address,
        first_name: String::new(),
        last_name: String::new(),
        policy_id: policy.id,
        dial_plan_id: policy.dial_plan_id,
        extensions: extensions.iter().map(|e| Extension::from_stored(*e)).collect(),
        phone_numbers: Vec::new(),
        um_enabled: true,
        subscriber_access_enabled: true,
        pinless_access_to_voice_mail_enabled: false,
        out_of_office: false,
        pin,
        created_at: t0(),
    }
}

pub fn phone(number: &str) -> E164Number {
    E164Number::parse(number).unwrap()
}

/// Commits writes only.
pub async fn write(store: &Arc<dyn Store>, writes: Vec<Write>) -> Result<(), voicepin_core::StoreError> {
    store.commit(Change { writes, ..Change::default() }).await
}

/// A dial plan and its policy, stored.
pub async fn plan_and_policy(store: &Arc<dyn Store>, plan_name: &str, digits: u32) -> (DialPlan, MailboxPolicy) {
    let plan = dial_plan(plan_name, digits);
    let policy = policy(&format!("{plan_name} Policy"), &plan);
    write(store, vec![Write::InsertDialPlan(plan.clone()), Write::InsertPolicy(policy.clone())]).await.unwrap();
    (stored(plan), stored_policy(policy))
}

/// The object as the store returns it after its insert.
pub fn stored(mut plan: DialPlan) -> DialPlan {
    plan.revision = plan.revision.next();
    plan
}

pub fn stored_policy(mut policy: MailboxPolicy) -> MailboxPolicy {
    policy.revision = policy.revision.next();
    policy
}

pub fn stored_mailbox(mut mailbox: Mailbox) -> Mailbox {
    mailbox.revision = mailbox.revision.next();
    mailbox
}

/// Every message due now, marked sent: what a delivery run would have sent.
pub async fn deliver(store: &Arc<dyn Store>) -> Vec<OutboundMail> {
    let now = OffsetDateTime::now_utc() + time::Duration::minutes(1);
    let due = store.due_mail(now, 1000).await.unwrap();
    for queued in &due {
        store.mark_mail_sent(queued.mail.id, now).await.unwrap();
    }
    due.into_iter().map(|q| q.mail).collect()
}

/// A clock the test moves by hand.
pub struct FakeClock(std::sync::Mutex<OffsetDateTime>);

impl FakeClock {
    pub fn new(at: OffsetDateTime) -> Arc<Self> {
        Arc::new(Self(std::sync::Mutex::new(at)))
    }

    pub fn advance(&self, by: time::Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl voicepin_core::ports::Clock for FakeClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap()
    }
}

/// The application over `store` with cheap Argon2 and a clock of the test's.
pub fn voicepin_at(store: Arc<dyn Store>, clock: Arc<FakeClock>) -> VoicePin {
    let hasher = Argon2Hasher::new(
        vec![PepperKey::new("k1", [7; 32]).unwrap()],
        Argon2Cost { memory_kib: 64, iterations: 1, parallelism: 1 },
    )
    .unwrap();
    VoicePin::new(store, Arc::new(hasher), clock)
}
