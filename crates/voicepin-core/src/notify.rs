//! The email messages use cases queue. Rendering and delivery are the mail adapter's job.

use time::OffsetDateTime;

use crate::ids::{MailId, MailboxId};
use crate::links::LinkUrl;
use crate::mailbox::{Mailbox, SmtpAddress};
use crate::pin::Pin;
use crate::policy::DialPlan;

/// Why a PIN was reset, for the wording of the reset message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResetReason {
    /// An administrator reset it.
    Administrator,
    /// The user reset it from the web.
    SelfService,
    /// Too many failed sign-ins reset it.
    TooManyFailures,
}

impl ResetReason {
    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Administrator => "administrator",
            Self::SelfService => "selfService",
            Self::TooManyFailures => "tooManyFailures",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Administrator, Self::SelfService, Self::TooManyFailures].into_iter().find(|r| r.as_str() == text)
    }
}

/// What a message says. The PIN-carrying kinds hold the PIN as a [`Pin`]: the store seals it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notification {
    /// The mailbox was enabled for voice access (Enable-UMMailbox).
    Welcome {
        /// The new PIN.
        pin: Pin,
        /// Whether it must be changed at the first sign-in.
        change_required: bool,
        /// UMEnabledText, placed at the bottom.
        um_enabled_text: String,
    },
    /// The PIN was reset.
    PinReset {
        /// The new PIN.
        pin: Pin,
        /// Whether it must be changed at the next sign-in.
        change_required: bool,
        /// ResetPINText; empty means the default text.
        reset_pin_text: String,
        /// Who or what reset it.
        reason: ResetReason,
        /// The mailbox stays locked: the PIN works only once an administrator unlocks it.
        locked_out: bool,
    },
    /// The user asked to reset their PIN on the self-service page: a one-time link that
    /// confirms it (the link is a secret; the store seals it like a PIN).
    PinResetLink {
        /// The confirmation page's address with the link's secret.
        url: LinkUrl,
        /// When the link stops working.
        expires_at: OffsetDateTime,
    },
    /// The mailbox was locked out (no PIN).
    LockedOut,
    /// The user changed the PIN (no PIN).
    PinChanged,
    /// Someone else set the PIN and it was not sent to the owner: by NotifyEmail to
    /// another address (`sent_to`), or to nobody (SendEmail false). The owner hears of it
    /// anyway, without the PIN, so a mailbox cannot be taken over quietly.
    PinSetBySomeoneElse {
        /// Where the PIN went instead; `None` when it was not emailed at all.
        sent_to: Option<String>,
    },
}

impl Notification {
    /// The kind's stable name.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Welcome { .. } => "welcome",
            Self::PinReset { .. } => "pinReset",
            Self::LockedOut => "lockedOut",
            Self::PinChanged => "pinChanged",
            Self::PinSetBySomeoneElse { .. } => "pinSetBySomeoneElse",
            Self::PinResetLink { .. } => "pinResetLink",
        }
    }
}

/// Facts about the mailbox every message may use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recipient {
    /// The mailbox's own address.
    pub smtp_address: SmtpAddress,
    /// Display name, for the greeting.
    pub display_name: String,
    /// The primary extension.
    pub extension: Option<String>,
    /// The dial plan's access numbers.
    pub access_numbers: Vec<String>,
}

/// A message queued in the same transaction as the change that causes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboundMail {
    /// Identifier; also the stable base of the Message-ID.
    pub id: MailId,
    /// The mailbox it is about.
    pub mailbox_id: MailboxId,
    /// Where it goes: the mailbox's address or NotifyEmail.
    pub to: SmtpAddress,
    /// About whom.
    pub recipient: Recipient,
    /// What it says.
    pub notification: Notification,
    /// When it was queued.
    pub created_at: OffsetDateTime,
}

impl OutboundMail {
    /// A message about `mailbox`, to `to` (its own address unless redirected).
    pub fn new(
        mailbox: &Mailbox,
        dial_plan: &DialPlan,
        to: Option<&SmtpAddress>,
        notification: Notification,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            id: MailId::new_random(),
            mailbox_id: mailbox.id,
            to: to.unwrap_or(&mailbox.smtp_address).clone(),
            recipient: Recipient {
                smtp_address: mailbox.smtp_address.clone(),
                display_name: mailbox.display_name.clone(),
                extension: mailbox.primary_extension().map(|e| e.as_str().to_owned()),
                access_numbers: dial_plan.access_numbers.iter().map(|n| n.as_str().to_owned()).collect(),
            },
            notification,
            created_at: now,
        }
    }
}
