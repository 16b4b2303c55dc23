//! Sealing of queued message bodies: a welcome or reset message carries a PIN in clear
//! until it is sent, so the outbox keeps it encrypted and drops it once delivered.

use std::borrow::Cow;
use std::fmt;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use voicepin_core::StoreError;
use voicepin_core::ids::MailId;
use voicepin_core::links::LinkUrl;
use voicepin_core::mailbox::SmtpAddress;
use voicepin_core::notify::{Notification, OutboundMail, Recipient, ResetReason};
use voicepin_core::pin::Pin;
use zeroize::{Zeroize, Zeroizing};

/// Length of a sealing key.
pub const KEY_LENGTH: usize = 32;
/// Length of the random nonce in front of each sealed body.
const NONCE_LENGTH: usize = 24;
/// Version of the sealed body's layout.
const BODY_VERSION: u8 = 1;

/// Seals and opens queued message bodies with XChaCha20-Poly1305.
///
/// A sealed body is a random 24-byte nonce followed by the ciphertext; the message id is
/// the associated data, so a body moved to another row does not open. The key is wiped
/// when the sealer is dropped and never shows in `Debug`.
#[derive(Clone)]
pub struct MailSealer {
    cipher: XChaCha20Poly1305,
}

impl MailSealer {
    /// A sealer with a 32-byte key (keep it outside the database, like the pepper keys).
    pub fn new(mut key: [u8; KEY_LENGTH]) -> Self {
        let cipher = XChaCha20Poly1305::new(Key::from_slice(&key));
        key.zeroize();
        Self { cipher }
    }

    /// A sealer with a new random key: for tests, or for a queue that need not survive a
    /// restart.
    pub fn generate() -> Result<Self, StoreError> {
        let mut key = Zeroizing::new([0u8; KEY_LENGTH]);
        getrandom::fill(key.as_mut()).map_err(|_| random_failed())?;
        Ok(Self::new(*key))
    }

    /// Seals the body of `mail`: the notification (with its PIN), the recipient facts and
    /// the address.
    pub(crate) fn seal(&self, mail: &OutboundMail) -> Result<Vec<u8>, StoreError> {
        // Room for the whole body up front: a buffer that grew would leave copies of the
        // PIN behind in the memory it gave up.
        let mut plaintext = Zeroizing::new(Vec::with_capacity(body_capacity(mail)));
        serde_json::to_writer(&mut *plaintext, &SealedBody::of(mail))
            .map_err(|e| StoreError::Backend(format!("cannot encode a mail body: {e}")))?;
        let mut nonce = [0u8; NONCE_LENGTH];
        getrandom::fill(&mut nonce).map_err(|_| random_failed())?;
        let id = mail.id.0.into_bytes();
        let ciphertext = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: &plaintext, aad: &id })
            .map_err(|_| StoreError::Backend("cannot seal a mail body".into()))?;
        let mut sealed = Vec::with_capacity(NONCE_LENGTH + ciphertext.len());
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        Ok(sealed)
    }

    /// Opens the sealed body of message `id`.
    pub(crate) fn open(&self, id: MailId, sealed: &[u8]) -> Result<OpenedBody, StoreError> {
        let cannot_open = || {
            StoreError::Backend(format!(
                "the sealed body of mail {id} cannot be opened (wrong mail key or damaged row)"
            ))
        };
        if sealed.len() < NONCE_LENGTH {
            return Err(cannot_open());
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LENGTH);
        let aad = id.0.into_bytes();
        let plaintext = Zeroizing::new(
            self.cipher
                .decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad: &aad })
                .map_err(|_| cannot_open())?,
        );
        let body: SealedBody<'static> = serde_json::from_slice(&plaintext).map_err(|_| cannot_open())?;
        body.into_opened().ok_or_else(cannot_open)
    }
}

impl fmt::Debug for MailSealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MailSealer(<key redacted>)")
    }
}

/// More than the JSON of `mail` can take: room for the names and punctuation, plus every
/// string six times over (the longest JSON escape, `\u001f`, is six bytes for one).
fn body_capacity(mail: &OutboundMail) -> usize {
    let recipient = &mail.recipient;
    let texts = match &mail.notification {
        Notification::Welcome { pin, um_enabled_text, .. } => pin.len() + um_enabled_text.len(),
        Notification::PinReset { pin, reset_pin_text, .. } => pin.len() + reset_pin_text.len(),
        Notification::PinSetBySomeoneElse { sent_to } => sent_to.as_ref().map_or(0, String::len),
        Notification::PinResetLink { url, .. } => url.len(),
        Notification::LockedOut | Notification::PinChanged => 0,
    };
    let strings = texts
        + mail.to.as_str().len()
        + recipient.smtp_address.as_str().len()
        + recipient.display_name.len()
        + recipient.extension.as_ref().map_or(0, String::len)
        + recipient.access_numbers.iter().map(|n| n.len() + 4).sum::<usize>();
    512 + 6 * strings
}

fn random_failed() -> StoreError {
    StoreError::Backend("the system random number generator failed".into())
}

/// What a sealed body holds, rebuilt.
pub(crate) struct OpenedBody {
    /// Where the message goes.
    pub to: SmtpAddress,
    /// About whom.
    pub recipient: Recipient,
    /// What it says.
    pub notification: Notification,
}

/// The sealed plaintext. Private to this module: the layout can change with
/// [`BODY_VERSION`]. Strings borrow when sealing (the PIN is never copied out of its
/// [`Pin`]) and are owned when opening (the PIN string moves into a new [`Pin`]).
#[derive(Serialize, Deserialize)]
struct SealedBody<'a> {
    v: u8,
    to: Cow<'a, str>,
    recipient: RecipientBody<'a>,
    notification: NotificationBody<'a>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RecipientBody<'a> {
    smtp_address: Cow<'a, str>,
    display_name: Cow<'a, str>,
    extension: Option<Cow<'a, str>>,
    access_numbers: Vec<Cow<'a, str>>,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
enum NotificationBody<'a> {
    Welcome {
        pin: Cow<'a, str>,
        change_required: bool,
        um_enabled_text: Cow<'a, str>,
    },
    PinReset {
        pin: Cow<'a, str>,
        change_required: bool,
        reset_pin_text: Cow<'a, str>,
        reason: Cow<'a, str>,
        // Bodies sealed before the field existed: not locked.
        #[serde(default)]
        locked_out: bool,
    },
    PinResetLink {
        url: Cow<'a, str>,
        expires_at: i64,
    },
    LockedOut,
    PinChanged,
    PinSetBySomeoneElse {
        sent_to: Option<Cow<'a, str>>,
    },
}

impl<'a> SealedBody<'a> {
    fn of(mail: &'a OutboundMail) -> Self {
        let recipient = &mail.recipient;
        let notification = match &mail.notification {
            Notification::Welcome { pin, change_required, um_enabled_text } => NotificationBody::Welcome {
                pin: Cow::Borrowed(pin.expose()),
                change_required: *change_required,
                um_enabled_text: Cow::Borrowed(um_enabled_text),
            },
            Notification::PinReset { pin, change_required, reset_pin_text, reason, locked_out } => {
                NotificationBody::PinReset {
                    pin: Cow::Borrowed(pin.expose()),
                    change_required: *change_required,
                    reset_pin_text: Cow::Borrowed(reset_pin_text),
                    reason: Cow::Borrowed(reason.as_str()),
                    locked_out: *locked_out,
                }
            }
            Notification::PinResetLink { url, expires_at } => NotificationBody::PinResetLink {
                url: Cow::Borrowed(url.expose()),
                // Within the storable range: a link expires minutes after it is made.
                expires_at: i64::try_from(expires_at.unix_timestamp_nanos()).unwrap_or(i64::MAX),
            },
            Notification::LockedOut => NotificationBody::LockedOut,
            Notification::PinChanged => NotificationBody::PinChanged,
            Notification::PinSetBySomeoneElse { sent_to } => {
                NotificationBody::PinSetBySomeoneElse { sent_to: sent_to.as_deref().map(Cow::Borrowed) }
            }
        };
        Self {
            v: BODY_VERSION,
            to: Cow::Borrowed(mail.to.as_str()),
            recipient: RecipientBody {
                smtp_address: Cow::Borrowed(recipient.smtp_address.as_str()),
                display_name: Cow::Borrowed(&recipient.display_name),
                extension: recipient.extension.as_deref().map(Cow::Borrowed),
                access_numbers: recipient.access_numbers.iter().map(|n| Cow::Borrowed(n.as_str())).collect(),
            },
            notification,
        }
    }

    /// The domain values, or `None` if the body is not one this version wrote.
    fn into_opened(self) -> Option<OpenedBody> {
        if self.v != BODY_VERSION {
            return None;
        }
        let notification = match self.notification {
            NotificationBody::Welcome { pin, change_required, um_enabled_text } => Notification::Welcome {
                pin: Pin::new(pin.into_owned()),
                change_required,
                um_enabled_text: um_enabled_text.into_owned(),
            },
            NotificationBody::PinReset { pin, change_required, reset_pin_text, reason, locked_out } => {
                Notification::PinReset {
                    pin: Pin::new(pin.into_owned()),
                    change_required,
                    reset_pin_text: reset_pin_text.into_owned(),
                    reason: ResetReason::parse(&reason)?,
                    locked_out,
                }
            }
            NotificationBody::PinResetLink { url, expires_at } => Notification::PinResetLink {
                url: LinkUrl::new(url.into_owned()),
                expires_at: time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(expires_at)).ok()?,
            },
            NotificationBody::LockedOut => Notification::LockedOut,
            NotificationBody::PinChanged => Notification::PinChanged,
            NotificationBody::PinSetBySomeoneElse { sent_to } => {
                Notification::PinSetBySomeoneElse { sent_to: sent_to.map(Cow::into_owned) }
            }
        };
        Some(OpenedBody {
            to: SmtpAddress::from_stored("To", &self.to).ok()?,
            recipient: Recipient {
                smtp_address: SmtpAddress::from_stored("Identity", &self.recipient.smtp_address).ok()?,
                display_name: self.recipient.display_name.into_owned(),
                extension: self.recipient.extension.map(Cow::into_owned),
                access_numbers: self.recipient.access_numbers.into_iter().map(Cow::into_owned).collect(),
            },
            notification,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::OffsetDateTime;
    use voicepin_core::ids::MailboxId;

    fn mail(notification: Notification) -> OutboundMail {
        OutboundMail {
            id: MailId::new_random(),
            mailbox_id: MailboxId::new_random(),
            to: SmtpAddress::parse("To", "helpdesk@contoso.com").unwrap(),
            recipient: Recipient {
                smtp_address: SmtpAddress::parse("Identity", "tony@contoso.com").unwrap(),
                display_name: "Tony Smith".into(),
                extension: Some("36697".into()),
                access_numbers: vec!["+14255550100".into()],
            },
            notification,
            created_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn bodies_round_trip_and_hide_the_pin() {
        let sealer = MailSealer::generate().unwrap();
        for notification in [
            Notification::Welcome {
                pin: Pin::new("1985848"),
                change_required: true,
                um_enabled_text: "Welcome".into(),
            },
            Notification::PinReset {
                pin: Pin::new("1985848"),
                change_required: false,
                reset_pin_text: String::new(),
                reason: ResetReason::TooManyFailures,
                locked_out: true,
            },
            Notification::PinResetLink {
                url: LinkUrl::new("https://voicepin.contoso.com/my/voicemail/confirm?link=vpl_1_x"),
                expires_at: OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
            },
            Notification::LockedOut,
            Notification::PinChanged,
            Notification::PinSetBySomeoneElse { sent_to: None },
            Notification::PinSetBySomeoneElse { sent_to: Some("helpdesk@contoso.com".into()) },
        ] {
            let mail = mail(notification);
            let sealed = sealer.seal(&mail).unwrap();
            assert!(!sealed.windows(7).any(|w| w == b"1985848"));
            let opened = sealer.open(mail.id, &sealed).unwrap();
            assert_eq!(opened.notification, mail.notification);
            assert_eq!(opened.recipient, mail.recipient);
            assert_eq!(opened.to, mail.to);
        }
    }

    #[test]
    fn a_body_opens_only_with_its_key_and_its_id() {
        let sealer = MailSealer::new([1; 32]);
        let mail = mail(Notification::PinChanged);
        let sealed = sealer.seal(&mail).unwrap();
        assert!(MailSealer::new([2; 32]).open(mail.id, &sealed).is_err());
        assert!(sealer.open(MailId::new_random(), &sealed).is_err());
        let mut damaged = sealed.clone();
        if let Some(last) = damaged.last_mut() {
            *last ^= 1;
        }
        assert!(sealer.open(mail.id, &damaged).is_err());
        assert!(sealer.open(mail.id, &sealed[..10]).is_err());
    }

    #[test]
    fn the_key_never_shows() {
        let text = format!("{:?}", MailSealer::new([0x41; 32]));
        assert_eq!(text, "MailSealer(<key redacted>)");
    }
}
