//! No PIN in clear anywhere in the database, read raw after every step that handles a PIN:
//! for SQLite the files (the main file, the WAL and the shared memory index) as bytes; for
//! PostgreSQL, which keeps its files to itself, every row of every table as text and every
//! BYTEA column as bytes.
//!
//! A backend runs the checks with `no_pin_in_clear!(factory)`, `factory` an async function
//! returning a [`RawDatabase`] (`None`: the backend is skipped).

use std::sync::Arc;

use sqlx::Row;
use time::OffsetDateTime;
use voicepin_core::notify::Notification;
use voicepin_core::pin::Pin;
use voicepin_core::ports::Store;
use voicepin_core::signin::SignInOutcome;
use voicepin_core::usecases::{DialPlanSettings, EnableMailbox, NewDialPlan, PolicySettings, SetPin, SignIn};

use super::support::{PgFixture, SqliteFixture, admin, voicepin};

/// Instantiates the checks as tests over the databases `$factory` makes.
macro_rules! no_pin_in_clear {
    ($factory:path) => {
        $crate::secrets::no_pin_in_clear!(@cases $factory;
            no_pin_is_ever_stored_in_clear,
            a_pin_keyed_as_the_identity_is_not_stored,
            no_password_or_session_secret_is_stored,
        );
    };
    (@cases $factory:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                let Some(database) = $factory().await else { return };
                $crate::secrets::$case(database).await;
            }
        )*
    };
}
pub(crate) use no_pin_in_clear;

/// A store and a way to read what its database holds, bypassing the store.
pub trait RawDatabase {
    fn store(&self) -> Arc<dyn Store>;
    /// Everything stored, in named pieces (files, tables).
    async fn contents(&self) -> Vec<(String, Vec<u8>)>;
    /// Closes the store's connections.
    async fn close(&self);
}

impl RawDatabase for SqliteFixture {
    fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    async fn contents(&self) -> Vec<(String, Vec<u8>)> {
        let prefix = self.path.file_name().unwrap().to_string_lossy().into_owned();
        let mut files = Vec::new();
        for entry in std::fs::read_dir(self.dir.path()).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(&prefix) {
                files.push((name, std::fs::read(entry.path()).unwrap()));
            }
        }
        files
    }

    async fn close(&self) {
        // Checkpoints the WAL into the main file.
        self.store.close().await;
    }
}

impl RawDatabase for PgFixture {
    fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    async fn contents(&self) -> Vec<(String, Vec<u8>)> {
        let mut conn = self.schema.connect().await;
        let columns = sqlx::query(
            "SELECT table_name::text AS table_name, column_name::text AS column_name, data_type::text AS data_type \
             FROM information_schema.columns WHERE table_schema = current_schema() \
             ORDER BY table_name, ordinal_position",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap();
        let mut tables: Vec<String> = columns.iter().map(|c| c.get("table_name")).collect();
        tables.dedup();
        let mut contents = Vec::new();
        for table in tables {
            // Every row as text: catches a PIN in any column, numbers included.
            let sql = format!("SELECT t::text AS line FROM \"{table}\" t");
            let mut bytes = Vec::new();
            for row in sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&mut conn).await.unwrap() {
                bytes.extend(row.get::<String, _>("line").into_bytes());
                bytes.push(b'\n');
            }
            // BYTEA as bytes (the text above shows them in hex).
            for column in columns.iter().filter(|c| c.get::<String, _>("table_name") == table) {
                if column.get::<String, _>("data_type") != "bytea" {
                    continue;
                }
                let name: String = column.get("column_name");
                let sql = format!("SELECT \"{name}\" AS value FROM \"{table}\" WHERE \"{name}\" IS NOT NULL");
                for row in sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&mut conn).await.unwrap() {
                    bytes.extend(row.get::<Vec<u8>, _>("value"));
                }
            }
            contents.push((table, bytes));
        }
        contents
    }

    async fn close(&self) {
        self.store.close().await;
    }
}

const TONY: &str = "tonysmith@contoso.com";
/// Twelve digits, and the policy asks for twelve: neither the known PIN nor a generated
/// one can turn up by chance in a hex id or a base64 hash.
const KNOWN: &str = "739164820573";

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Asserts that no PIN is anywhere, and that the scan does see the data (the address).
async fn assert_no_pin(database: &impl RawDatabase, pins: &[String], step: &str) {
    let files = database.contents().await;
    assert!(files.iter().any(|(_, bytes)| contains(bytes, TONY.as_bytes())), "{step}: the scan sees no data at all");
    for (name, bytes) in &files {
        for pin in pins {
            assert!(!contains(bytes, pin.as_bytes()), "{step}: a PIN is in clear in {name}");
        }
    }
}

/// The PINs of every queued message, read the way the mail sender reads them.
async fn queued_pins(store: &Arc<dyn Store>) -> Vec<String> {
    let later = OffsetDateTime::now_utc() + time::Duration::minutes(1);
    store
        .due_mail(later, 100)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|queued| match queued.mail.notification {
            Notification::Welcome { pin, .. } | Notification::PinReset { pin, .. } => Some(pin.expose().to_owned()),
            _ => None,
        })
        .collect()
}

pub async fn no_pin_is_ever_stored_in_clear(database: impl RawDatabase) {
    let store = database.store();
    let vp = voicepin(store.clone());
    vp.new_dial_plan(
        &admin(),
        NewDialPlan {
            name: "Contoso".into(),
            settings: DialPlanSettings { number_of_digits_in_extension: Some(5), ..DialPlanSettings::default() },
            generate_policy: true,
        },
    )
    .await
    .unwrap();
    vp.set_policy(
        &admin(),
        "Contoso Default Policy",
        PolicySettings { min_pin_length: Some(12), ..PolicySettings::default() },
    )
    .await
    .unwrap();
    let mut pins = vec![KNOWN.to_owned()];

    // Enabled with a known PIN: the hash and the sealed welcome message.
    vp.enable_mailbox(
        &admin(),
        EnableMailbox {
            identity: TONY.into(),
            policy: Some("Contoso Default Policy".into()),
            extensions: vec!["36697".into()],
            pin: Some(Pin::new(KNOWN)),
            pin_expired: Some(false),
            ..EnableMailbox::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(queued_pins(&store).await, [KNOWN]);
    assert_no_pin(&database, &pins, "after Enable-UMMailbox").await;

    // A sign-in with it (a rewrite of the mailbox row).
    let result =
        vp.sign_in(&admin(), &SignIn { identity: TONY.into(), dial_plan: None, pin: Pin::new(KNOWN) }).await.unwrap();
    assert_eq!(result.outcome, SignInOutcome::Success);
    assert_no_pin(&database, &pins, "after a sign-in").await;

    // An administrator's reset: a generated PIN, queued.
    vp.set_pin(&admin(), TONY, SetPin::default()).await.unwrap();
    let queued = queued_pins(&store).await;
    assert_eq!(queued.len(), 2);
    pins.extend(queued);
    assert_no_pin(&database, &pins, "after Set-UMMailboxPIN").await;

    // An automatic reset after five failures.
    for _ in 0..5 {
        vp.sign_in(&admin(), &SignIn { identity: TONY.into(), dial_plan: None, pin: Pin::new("000000000000") })
            .await
            .unwrap();
    }
    let queued = queued_pins(&store).await;
    assert_eq!(queued.len(), 3);
    pins.extend(queued);
    pins.sort();
    pins.dedup();
    assert_eq!(pins.len(), 3);
    assert!(pins.iter().all(|p| p.len() == 12));
    assert_no_pin(&database, &pins, "after an automatic reset").await;

    // Delivered, then closed (SQLite checkpoints its WAL into the main file).
    let now = OffsetDateTime::now_utc();
    for queued in store.due_mail(now + time::Duration::minutes(1), 100).await.unwrap() {
        store.mark_mail_sent(queued.mail.id, now).await.unwrap();
    }
    assert_no_pin(&database, &pins, "after delivery").await;
    database.close().await;
    assert_no_pin(&database, &pins, "after closing").await;
}

/// A caller who keys the PIN at the extension prompt must not leave it in the audit log.
pub async fn a_pin_keyed_as_the_identity_is_not_stored(database: impl RawDatabase) {
    let store = database.store();
    let vp = voicepin(store.clone());
    vp.new_dial_plan(
        &admin(),
        NewDialPlan {
            name: "Contoso".into(),
            settings: DialPlanSettings { number_of_digits_in_extension: Some(5), ..DialPlanSettings::default() },
            generate_policy: true,
        },
    )
    .await
    .unwrap();
    vp.enable_mailbox(
        &admin(),
        EnableMailbox {
            identity: TONY.into(),
            policy: Some("Contoso Default Policy".into()),
            extensions: vec!["36697".into()],
            pin: Some(Pin::new(KNOWN)),
            ..EnableMailbox::default()
        },
    )
    .await
    .unwrap();
    let result =
        vp.sign_in(&admin(), &SignIn { identity: KNOWN.into(), dial_plan: None, pin: Pin::new(KNOWN) }).await.unwrap();
    assert_eq!(result.outcome, SignInOutcome::Failed);
    assert_no_pin(&database, &[KNOWN.to_owned()], "after a PIN keyed as the identity").await;
}

/// Passwords (one-time and chosen, right and wrong), session cookies and CSRF tokens are
/// nowhere in the database.
pub async fn no_password_or_session_secret_is_stored(database: impl RawDatabase) {
    use voicepin_core::access::Role;
    use voicepin_core::accounts::Password;
    use voicepin_core::audit::{Channel, RequestContext};

    let store = database.store();
    let vp = voicepin(store.clone());
    let web = RequestContext::anonymous(Channel::Web);
    let (_, one_time) = vp.new_account(&admin(), "jane.admin", Role::OrganizationManagement).await.unwrap();
    let wrong = Password::new("Wrong-Password-Typed-4711");
    assert!(vp.sign_in_with_password(&web, "jane.admin", &wrong).await.is_err());
    let typed_as_name = "Password-In-The-Name-Field-0815";
    assert!(vp.sign_in_with_password(&web, typed_as_name, &wrong).await.is_err());
    let first = vp.sign_in_with_password(&web, "jane.admin", &one_time).await.unwrap();
    let chosen = Password::new("Chosen-Passphrase-1234");
    let context = RequestContext::new(
        voicepin_core::context::Actor::Administrator { name: "jane.admin".into(), role: Role::OrganizationManagement },
        Channel::Web,
    );
    vp.change_own_password(&context, first.auth.account_id, first.auth.session_id, &one_time, &chosen).await.unwrap();
    let second = vp.sign_in_with_password(&web, "jane.admin", &chosen).await.unwrap();
    let (_, recovered) = vp.recover_account(&admin(), Some("jane.admin")).await.unwrap();
    let secrets: Vec<String> = vec![
        one_time.expose().to_owned(),
        wrong.expose().to_owned(),
        typed_as_name.to_owned(),
        chosen.expose().to_owned(),
        recovered.expose().to_owned(),
        first.secret.expose().to_owned(),
        second.secret.expose().to_owned(),
        first.auth.csrf_token.clone(),
        second.auth.csrf_token.clone(),
    ];
    for step in ["after the sign-ins", "after closing"] {
        if step == "after closing" {
            database.close().await;
        }
        let files = database.contents().await;
        assert!(files.iter().any(|(_, bytes)| contains(bytes, b"jane.admin")), "{step}: the scan sees no data");
        for (name, bytes) in &files {
            for secret in &secrets {
                assert!(!contains(bytes, secret.as_bytes()), "{step}: a secret is in clear in {name}");
            }
        }
    }
}
