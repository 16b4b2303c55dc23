//! Shared helpers: sample messages and a small MIME reader.

use time::OffsetDateTime;
use time::macros::datetime;
use voicepin_core::Pin;
use voicepin_core::ids::{MailId, MailboxId};
use voicepin_core::links::LinkUrl;
use voicepin_core::mailbox::SmtpAddress;
use voicepin_core::notify::{Notification, OutboundMail, Recipient, ResetReason};

/// The PIN every sample message carries.
pub const PIN: &str = "7391645";

pub const CREATED: OffsetDateTime = datetime!(2025-03-14 09:30:05 UTC);

/// One notification of each kind, all carrying [`PIN`] where they carry one.
pub fn every_kind() -> Vec<Notification> {
    vec![
        Notification::Welcome {
            pin: Pin::new(PIN),
            change_required: true,
            um_enabled_text: "<b>Welcome</b> aboard.".to_owned(),
        },
        Notification::PinReset {
            pin: Pin::new(PIN),
            change_required: true,
            reset_pin_text: String::new(),
            reason: ResetReason::Administrator,
            locked_out: false,
        },
        Notification::PinReset {
            pin: Pin::new(PIN),
            change_required: false,
            reset_pin_text: "Questions? Call 4357.".to_owned(),
            reason: ResetReason::SelfService,
            locked_out: false,
        },
        Notification::PinReset {
            pin: Pin::new(PIN),
            change_required: true,
            reset_pin_text: String::new(),
            reason: ResetReason::TooManyFailures,
            locked_out: false,
        },
        Notification::PinReset {
            pin: Pin::new(PIN),
            change_required: true,
            reset_pin_text: String::new(),
            reason: ResetReason::SelfService,
            locked_out: true,
        },
        Notification::LockedOut,
        Notification::PinChanged,
        Notification::PinResetLink {
            url: LinkUrl::new("https://voicepin.contoso.com/my/voicemail/confirm?link=vpl_0_secret"),
            expires_at: time::macros::datetime!(2025-03-14 09:45:05 UTC),
        },
    ]
}

/// Whether a notification carries a PIN.
pub fn carries_pin(notification: &Notification) -> bool {
    matches!(notification, Notification::Welcome { .. } | Notification::PinReset { .. })
}

/// A queued message to tony@contoso.com.
pub fn mail(notification: Notification) -> OutboundMail {
    mail_at(notification, CREATED)
}

/// A queued message to tony@contoso.com, queued at `created_at`.
pub fn mail_at(notification: Notification, created_at: OffsetDateTime) -> OutboundMail {
    let address = SmtpAddress::parse("To", "tony@contoso.com").unwrap();
    OutboundMail {
        id: MailId::new_random(),
        mailbox_id: MailboxId::new_random(),
        to: address.clone(),
        recipient: Recipient {
            smtp_address: address,
            display_name: "Tony Smith".to_owned(),
            extension: Some("4567".to_owned()),
            access_numbers: vec!["+14255550100".to_owned()],
        },
        notification,
        created_at,
    }
}

/// A message split into its header blocks (the message's and each part's) and its
/// decoded part bodies.
#[derive(Debug)]
pub struct Parsed {
    pub headers: Vec<String>,
    pub bodies: Vec<(String, String)>,
}

/// Reads a message as lettre formats it: one multipart/alternative of single parts.
pub fn parse(raw: &[u8]) -> Parsed {
    let raw = String::from_utf8(raw.to_vec()).unwrap();
    let (top, rest) = raw.split_once("\r\n\r\n").unwrap();
    let boundary = top.split("boundary=\"").nth(1).and_then(|b| b.split('"').next()).unwrap().to_owned();
    let mut headers = vec![top.to_owned()];
    let mut bodies = Vec::new();
    for section in rest.split(&format!("--{boundary}")).skip(1) {
        if section.starts_with("--") {
            break;
        }
        let section = section.trim_start_matches("\r\n");
        let (part_headers, body) = section.split_once("\r\n\r\n").unwrap();
        let content_type = part_headers.lines().find_map(|l| l.strip_prefix("Content-Type: ")).unwrap().to_owned();
        let body = if part_headers.contains("Content-Transfer-Encoding: quoted-printable") {
            decode_quoted_printable(body)
        } else {
            body.to_owned()
        };
        headers.push(part_headers.to_owned());
        bodies.push((content_type, body));
    }
    Parsed { headers, bodies }
}

fn decode_quoted_printable(text: &str) -> String {
    let text = text.replace("=\r\n", "");
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// A fresh SQLite store in a temporary directory (kept alive by the returned guard).
pub async fn store() -> (voicepin_store::SqliteStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = voicepin_store::SqliteStore::open(
        &dir.path().join("voicepin.db"),
        voicepin_store::MailSealer::new([7; voicepin_store::KEY_LENGTH]),
    )
    .await
    .unwrap();
    (store, dir)
}

/// Queues messages the way a use case does: in a committed change.
pub async fn queue(store: &dyn voicepin_core::ports::Store, mail: Vec<OutboundMail>) {
    store.commit(voicepin_core::ports::Change { mail, ..Default::default() }).await.unwrap();
}

/// The outbox record of one message.
pub async fn record(store: &dyn voicepin_core::ports::Store, id: MailId) -> voicepin_core::ports::MailRecord {
    store.mail_records(true, 1000).await.unwrap().into_iter().find(|r| r.id == id).unwrap()
}

/// A transport that answers from a script, then with a default answer, and remembers
/// what it delivered.
pub struct ScriptedTransport {
    script: std::sync::Mutex<std::collections::VecDeque<Result<(), voicepin_mail::SendError>>>,
    otherwise: Result<(), voicepin_mail::SendError>,
    delivered: std::sync::Mutex<Vec<(MailId, Vec<u8>)>>,
}

impl ScriptedTransport {
    /// Accepts everything.
    pub fn accepting() -> Self {
        Self::new(Vec::new(), Ok(()))
    }

    /// Answers `script` in order, then `otherwise`.
    pub fn new(
        script: Vec<Result<(), voicepin_mail::SendError>>,
        otherwise: Result<(), voicepin_mail::SendError>,
    ) -> Self {
        Self { script: std::sync::Mutex::new(script.into()), otherwise, delivered: std::sync::Mutex::new(Vec::new()) }
    }

    /// The ids delivered, in order.
    pub fn delivered(&self) -> Vec<MailId> {
        self.delivered.lock().unwrap().iter().map(|(id, _)| *id).collect()
    }

    /// The bytes delivered, in order.
    pub fn delivered_bytes(&self) -> Vec<Vec<u8>> {
        self.delivered.lock().unwrap().iter().map(|(_, b)| b.clone()).collect()
    }
}

#[async_trait::async_trait]
impl voicepin_mail::Transport for ScriptedTransport {
    async fn send(
        &self,
        message: &lettre::Message,
        info: &voicepin_mail::MessageInfo,
    ) -> Result<(), voicepin_mail::SendError> {
        let answer = self.script.lock().unwrap().pop_front().unwrap_or_else(|| self.otherwise.clone());
        if answer.is_ok() {
            self.delivered.lock().unwrap().push((info.id, message.formatted()));
        }
        answer
    }
}

/// Everything logged while the guard of [`capture_logs`] lives, at every level.
#[derive(Clone, Default)]
pub struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Captured {
    /// The log text so far.
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Captures the logs of this thread (a `#[tokio::test]` runs on one) at TRACE.
pub fn capture_logs() -> (Captured, tracing::subscriber::DefaultGuard) {
    // While a single dispatcher exists, tracing caches a callsite's interest from the
    // default of the thread that reaches it first: a test on another thread, without a
    // subscriber, would turn "mail sent" off for this one too. A second dispatcher, kept
    // for good, makes tracing ask every dispatcher, and each event its thread's.
    static SECOND: std::sync::OnceLock<tracing::Dispatch> = std::sync::OnceLock::new();
    SECOND.get_or_init(|| tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default()));
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber =
        tracing_subscriber::fmt().with_max_level(tracing::Level::TRACE).with_writer(move || writer.clone()).finish();
    (captured, tracing::subscriber::set_default(subscriber))
}
