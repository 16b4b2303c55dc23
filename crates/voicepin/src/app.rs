//! Wiring: the data directory, its key files, the store, the hasher and the mail transport,
//! assembled into the one [`VoicePin`] every front end calls.

use std::sync::Arc;

use anyhow::{Context, Result};
use voicepin_core::Pin;
use voicepin_core::VoicePin;
use voicepin_core::hashing::{Argon2Hasher, HashError, PinHash, PinHasher, Verification};
use voicepin_core::ports::{Store, SystemClock};
use voicepin_mail::{
    DeliveryReport, MailSettings, MessageInfo, PickupFolder, SmtpConfig, SmtpTransport, Transport, deliver_due,
    render_test,
};
use voicepin_store::{MailSealer, PgStore, SqliteStore};
use voicepin_web::Metrics;
use voicepin_web::metrics::MailDelivery;

use crate::config::{Config, MailConfig};
use crate::keys;

/// The assembled application.
pub struct App {
    /// The use cases.
    pub voicepin: VoicePin,
    /// The store, for mail delivery.
    pub store: Arc<dyn Store>,
    /// The metrics of `/metrics`: the use cases report to them (sign-ins, resets, lockouts)
    /// and so does mail delivery.
    pub metrics: Arc<Metrics>,
    mail_settings: MailSettings,
    transport: Box<dyn Transport>,
}

impl App {
    /// Opens (and on first use creates) the data directory with its keys and database.
    pub async fn open(config: &Config) -> Result<Self> {
        let root = config.data_dir();
        std::fs::create_dir_all(root).with_context(|| format!("creating the data directory {}", root.display()))?;
        let peppers = keys::load_or_create_peppers(&config.pepper_file())?;
        let mail_key = keys::load_or_create_mail_key(&config.mail_key_file())?;
        let hasher = Argon2Hasher::new(peppers, config.argon2_cost()).context("configuring Argon2id")?;
        let store = open_store(config, MailSealer::new(*mail_key)).await?;
        let metrics = Arc::new(Metrics::new());
        let voicepin = VoicePin::new(store.clone(), Arc::new(Offloaded(hasher)), Arc::new(SystemClock))
            .with_telemetry(metrics.clone());
        let mail_settings = mail_settings(&config.mail)?;
        let transport = transport(config)?;
        Ok(Self { voicepin, store, metrics, mail_settings, transport })
    }

    /// Delivers the queued messages that are due, through the configured transport.
    pub async fn deliver_mail(&self) -> Result<DeliveryReport> {
        let now = time::OffsetDateTime::now_utc();
        let report = deliver_due(self.store.as_ref(), self.transport.as_ref(), &self.mail_settings, now)
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

/// SQLite in the data directory, or PostgreSQL when `store.url` is set.
async fn open_store(config: &Config, sealer: MailSealer) -> Result<Arc<dyn Store>> {
    if let Some(url) = &config.store.url {
        let store = PgStore::connect(url.expose(), sealer).await.context("connecting to PostgreSQL (store.url)")?;
        return Ok(Arc::new(store));
    }
    let path = config.data_dir().join("voicepin.db");
    let store =
        SqliteStore::open(&path, sealer).await.with_context(|| format!("opening the database {}", path.display()))?;
    Ok(Arc::new(store))
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
