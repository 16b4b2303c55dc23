//! Wiring: the data directory, its key files, the store, the hasher and the mail transport,
//! assembled into the one [`VoicePin`] every front end calls.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use voicepin_core::Pin;
use voicepin_core::VoicePin;
use voicepin_core::hashing::{Argon2Cost, Argon2Hasher, HashError, PinHash, PinHasher, Verification};
use voicepin_core::ports::{Store, SystemClock};
use voicepin_mail::{
    DeliveryReport, MailSettings, MessageInfo, PickupFolder, SmtpConfig, SmtpTransport, Transport, deliver_due,
    render_test,
};
use voicepin_store::{MailSealer, SqliteStore};

use crate::keys;

/// Where things live in a data directory.
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// The data directory at `root`.
    pub fn new(root: &Path) -> Self {
        Self { root: root.to_owned() }
    }

    /// The SQLite database.
    pub fn database(&self) -> PathBuf {
        self.root.join("voicepin.db")
    }

    /// The pepper key file, unless configured elsewhere.
    pub fn pepper_file(&self) -> PathBuf {
        env_path("VOICEPIN_SECURITY__PEPPER_FILE").unwrap_or_else(|| self.root.join("keys").join("pin-pepper.key"))
    }

    /// The mail sealing key file, unless configured elsewhere.
    pub fn mail_key_file(&self) -> PathBuf {
        env_path("VOICEPIN_SECURITY__MAIL_KEY_FILE").unwrap_or_else(|| self.root.join("keys").join("mail.key"))
    }

    /// The pickup folder for outgoing mail.
    pub fn mail_folder(&self) -> PathBuf {
        self.root.join("mail")
    }
}

fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from)
}

fn env_number(name: &str) -> Result<Option<u32>> {
    match std::env::var(name) {
        Ok(text) if !text.trim().is_empty() => {
            Ok(Some(text.trim().parse().with_context(|| format!("{name} must be a number"))?))
        }
        _ => Ok(None),
    }
}

/// Argon2id cost: OWASP's minimum unless overridden from the environment.
fn argon2_cost() -> Result<Argon2Cost> {
    let default = Argon2Cost::default();
    Ok(Argon2Cost {
        memory_kib: env_number("VOICEPIN_SECURITY__ARGON2_MEMORY_KIB")?.unwrap_or(default.memory_kib),
        iterations: env_number("VOICEPIN_SECURITY__ARGON2_ITERATIONS")?.unwrap_or(default.iterations),
        parallelism: env_number("VOICEPIN_SECURITY__ARGON2_PARALLELISM")?.unwrap_or(default.parallelism),
    })
}

/// The assembled application.
pub struct App {
    /// The use cases.
    pub voicepin: VoicePin,
    /// The store, for mail delivery.
    pub store: Arc<dyn Store>,
    mail_settings: MailSettings,
    transport: Box<dyn Transport>,
}

impl App {
    /// Opens (and on first use creates) the data directory with its keys and database.
    pub async fn open(root: &Path) -> Result<Self> {
        let data_dir = DataDir::new(root);
        std::fs::create_dir_all(root).with_context(|| format!("creating the data directory {}", root.display()))?;
        let peppers = keys::load_or_create_peppers(&data_dir.pepper_file())?;
        let mail_key = keys::load_or_create_mail_key(&data_dir.mail_key_file())?;
        let hasher = Argon2Hasher::new(peppers, argon2_cost()?).context("configuring Argon2id")?;
        let store = SqliteStore::open(&data_dir.database(), MailSealer::new(*mail_key))
            .await
            .with_context(|| format!("opening the database {}", data_dir.database().display()))?;
        let store: Arc<dyn Store> = Arc::new(store);
        let voicepin = VoicePin::new(store.clone(), Arc::new(Offloaded(hasher)), Arc::new(SystemClock));
        let mail_settings = mail_settings()?;
        let transport = transport(&data_dir)?;
        Ok(Self { voicepin, store, mail_settings, transport })
    }

    /// Delivers the queued messages that are due, through the configured transport.
    pub async fn deliver_mail(&self) -> Result<DeliveryReport> {
        let now = time::OffsetDateTime::now_utc();
        let report = deliver_due(self.store.as_ref(), self.transport.as_ref(), &self.mail_settings, now)
            .await
            .context("delivering mail")?;
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

fn env_text(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// `mail.from`, `mail.organisation` and `mail.help_desk` from the environment.
fn mail_settings() -> Result<MailSettings> {
    let mut settings = match env_text("VOICEPIN_MAIL__FROM") {
        Some(from) => MailSettings::new(&from).context("VOICEPIN_MAIL__FROM")?,
        None => MailSettings::default(),
    };
    if let Some(name) = env_text("VOICEPIN_MAIL__ORGANISATION") {
        settings = settings.with_organisation(name);
    }
    if let Some(contact) = env_text("VOICEPIN_MAIL__HELP_DESK") {
        settings = settings.with_help_desk(contact);
    }
    Ok(settings)
}

/// SMTP when `mail.smtp_url` is set, otherwise the pickup folder of the data directory.
fn transport(data_dir: &DataDir) -> Result<Box<dyn Transport>> {
    let Some(url) = env_text("VOICEPIN_MAIL__SMTP_URL") else {
        return Ok(Box::new(PickupFolder::new(data_dir.mail_folder())));
    };
    let mut config = SmtpConfig::new(&url).context("VOICEPIN_MAIL__SMTP_URL")?;
    config.helo_name = env_text("VOICEPIN_MAIL__HELO_NAME");
    config.ca_file = env_path("VOICEPIN_MAIL__SMTP_CA_FILE");
    config.password_file = env_path("VOICEPIN_MAIL__SMTP_PASSWORD_FILE");
    Ok(Box::new(SmtpTransport::new(&config).context("configuring SMTP")?))
}

/// Runs Argon2 off the async executor's worker (it takes tens of milliseconds).
struct Offloaded(Argon2Hasher);

impl Offloaded {
    fn run<T>(&self, work: impl FnOnce(&Argon2Hasher) -> T) -> T {
        let multi_thread = tokio::runtime::Handle::try_current()
            .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
        if multi_thread { tokio::task::block_in_place(|| work(&self.0)) } else { work(&self.0) }
    }
}

impl PinHasher for Offloaded {
    fn hash(&self, pin: &Pin) -> Result<PinHash, HashError> {
        self.run(|h| h.hash(pin))
    }

    fn verify(&self, pin: &Pin, hash: &PinHash) -> Result<Verification, HashError> {
        self.run(|h| h.verify(pin, hash))
    }

    fn verify_decoy(&self, pin: &Pin) {
        self.run(|h| h.verify_decoy(pin))
    }

    fn hash_secret(&self, secret: &[u8]) -> Result<PinHash, HashError> {
        self.run(|h| h.hash_secret(secret))
    }

    fn verify_secret(&self, secret: &[u8], hash: &PinHash) -> Result<Verification, HashError> {
        self.run(|h| h.verify_secret(secret, hash))
    }

    fn verify_decoy_secret(&self, secret: &[u8]) {
        self.run(|h| h.verify_decoy_secret(secret))
    }

    fn needs_rehash(&self, hash: &PinHash) -> bool {
        self.0.needs_rehash(hash)
    }
}
