//! Audit events: who did what, through which channel, when. Never a PIN.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::context::ActorKind;
pub use crate::context::{Channel, RequestContext};
use crate::ids::{AuditId, MailboxId};

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AuditAction {
    /// A dial plan was created.
    DialPlanCreated,
    /// A dial plan was changed.
    DialPlanChanged,
    /// A dial plan was removed.
    DialPlanRemoved,
    /// A policy was created.
    PolicyCreated,
    /// A policy was changed.
    PolicyChanged,
    /// A policy was removed.
    PolicyRemoved,
    /// A mailbox was enabled for UM.
    MailboxEnabled,
    /// A mailbox was disabled for UM.
    MailboxDisabled,
    /// A mailbox's properties were changed.
    MailboxChanged,
    /// An administrator set or reset a PIN.
    PinSet,
    /// The user changed their PIN.
    PinChanged,
    /// The user reset their own PIN (self-service).
    PinSelfReset,
    /// Too many failures reset the PIN.
    PinAutoReset,
    /// The mailbox was locked (by an administrator or by too many failures).
    MailboxLocked,
    /// The mailbox was unlocked.
    MailboxUnlocked,
    /// A sign-in succeeded.
    SignInSucceeded,
    /// A sign-in failed.
    SignInFailed,
    /// A PIN hash was re-made with the current key.
    PinRehashed,
    /// An API token was created.
    TokenCreated,
    /// An API token was revoked.
    TokenRevoked,
    /// A message could not be delivered and was given up (a 5xx, or too many attempts).
    MailFailed,
    /// An administrator account was created (with a one-time password).
    AccountCreated,
    /// An administrator account's role or disabled flag was changed.
    AccountChanged,
    /// An administrator account was removed.
    AccountRemoved,
    /// An administrator reset another account's password to a one-time password.
    AccountPasswordReset,
    /// Break-glass: whoever holds the data directory set a one-time password.
    AccountRecovered,
    /// An administrator changed their own password.
    AccountPasswordChanged,
    /// An administrator signed in with a password.
    AccountSignedIn,
    /// A password sign-in failed (the reason is in the details).
    AccountSignInFailed,
    /// Too many failed password sign-ins locked the account for a while.
    AccountLocked,
    /// An administrator signed out.
    AccountSignedOut,
    /// Someone asked for a self-service confirmation link (sent, or not: the outcome is
    /// in the details).
    PinResetLinkRequested,
    /// A mailbox owner followed a confirmation link to their voice mail settings.
    PinResetLinkOpened,
    /// A source's failed sign-ins (across mailboxes) reached a limit: its attempts are now
    /// delayed, or refused (PIN spraying). The target is the source.
    SourceThrottled,
    /// The owner recorded their name or a greeting (the kind is in the details).
    RecordingSaved,
    /// The owner turned the out-of-office greeting on or off.
    OutOfOfficeChanged,
    /// A first-time user finished the setup (name and greeting recorded).
    FirstTimeSetupCompleted,
}

impl AuditAction {
    /// The stable name of the action.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DialPlanCreated => "dialPlanCreated",
            Self::DialPlanChanged => "dialPlanChanged",
            Self::DialPlanRemoved => "dialPlanRemoved",
            Self::PolicyCreated => "policyCreated",
            Self::PolicyChanged => "policyChanged",
            Self::PolicyRemoved => "policyRemoved",
            Self::MailboxEnabled => "mailboxEnabled",
            Self::MailboxDisabled => "mailboxDisabled",
            Self::MailboxChanged => "mailboxChanged",
            Self::PinSet => "pinSet",
            Self::PinChanged => "pinChanged",
            Self::PinSelfReset => "pinSelfReset",
            Self::PinAutoReset => "pinAutoReset",
            Self::MailboxLocked => "mailboxLocked",
            Self::MailboxUnlocked => "mailboxUnlocked",
            Self::SignInSucceeded => "signInSucceeded",
            Self::SignInFailed => "signInFailed",
            Self::PinRehashed => "pinRehashed",
            Self::TokenCreated => "tokenCreated",
            Self::TokenRevoked => "tokenRevoked",
            Self::MailFailed => "mailFailed",
            Self::AccountCreated => "accountCreated",
            Self::AccountChanged => "accountChanged",
            Self::AccountRemoved => "accountRemoved",
            Self::AccountPasswordReset => "accountPasswordReset",
            Self::AccountRecovered => "accountRecovered",
            Self::AccountPasswordChanged => "accountPasswordChanged",
            Self::AccountSignedIn => "accountSignedIn",
            Self::AccountSignInFailed => "accountSignInFailed",
            Self::AccountLocked => "accountLocked",
            Self::AccountSignedOut => "accountSignedOut",
            Self::PinResetLinkRequested => "pinResetLinkRequested",
            Self::PinResetLinkOpened => "pinResetLinkOpened",
            Self::SourceThrottled => "sourceThrottled",
            Self::RecordingSaved => "recordingSaved",
            Self::OutOfOfficeChanged => "outOfOfficeChanged",
            Self::FirstTimeSetupCompleted => "firstTimeSetupCompleted",
        }
    }

    /// Every action, for parsing.
    pub const ALL: [AuditAction; 37] = [
        Self::DialPlanCreated,
        Self::DialPlanChanged,
        Self::DialPlanRemoved,
        Self::PolicyCreated,
        Self::PolicyChanged,
        Self::PolicyRemoved,
        Self::MailboxEnabled,
        Self::MailboxDisabled,
        Self::MailboxChanged,
        Self::PinSet,
        Self::PinChanged,
        Self::PinSelfReset,
        Self::PinAutoReset,
        Self::MailboxLocked,
        Self::MailboxUnlocked,
        Self::SignInSucceeded,
        Self::SignInFailed,
        Self::PinRehashed,
        Self::TokenCreated,
        Self::TokenRevoked,
        Self::MailFailed,
        Self::AccountCreated,
        Self::AccountChanged,
        Self::AccountRemoved,
        Self::AccountPasswordReset,
        Self::AccountRecovered,
        Self::AccountPasswordChanged,
        Self::AccountSignedIn,
        Self::AccountSignInFailed,
        Self::AccountLocked,
        Self::AccountSignedOut,
        Self::PinResetLinkRequested,
        Self::PinResetLinkOpened,
        Self::SourceThrottled,
        Self::RecordingSaved,
        Self::OutOfOfficeChanged,
        Self::FirstTimeSetupCompleted,
    ];

    /// Parses a stored action name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str().eq_ignore_ascii_case(text))
    }
}

/// One audit event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEvent {
    /// Identifier.
    pub id: AuditId,
    /// When.
    pub at: OffsetDateTime,
    /// Who: an account's or token's name, a mailbox's address, the operating-system user,
    /// `system` or `anonymous`.
    pub actor: String,
    /// What kind of actor (administrator, calling system, mailbox owner, local operator ...).
    pub actor_kind: ActorKind,
    /// The actor's role: an administrator's, or Voice Service for a calling system.
    pub role: Option<String>,
    /// Through which front end.
    pub channel: Channel,
    /// From where.
    pub source: Option<String>,
    /// What happened.
    pub action: AuditAction,
    /// The mailbox concerned, if any.
    pub mailbox_id: Option<MailboxId>,
    /// The object concerned, by name (a mailbox address, a policy name, an identity typed).
    pub target: String,
    /// Further facts, by name (`pinExpired`, `reason`, `notifyEmail` ...). Never a PIN.
    pub details: BTreeMap<String, String>,
}

impl AuditEvent {
    /// An event for `context` now.
    pub fn new(context: &RequestContext, at: OffsetDateTime, action: AuditAction, target: impl Into<String>) -> Self {
        Self {
            id: AuditId::new_random(),
            at,
            actor: context.actor.name().to_owned(),
            actor_kind: context.actor.kind(),
            role: context.actor.role().map(|r| r.as_str().to_owned()),
            channel: context.channel,
            source: context.source.audit_text(),
            action,
            mailbox_id: None,
            target: target.into(),
            details: BTreeMap::new(),
        }
    }

    /// Names the mailbox concerned.
    pub fn for_mailbox(mut self, id: MailboxId) -> Self {
        self.mailbox_id = Some(id);
        self
    }

    /// Adds a detail.
    pub fn with(mut self, name: &str, value: impl ToString) -> Self {
        self.details.insert(name.to_owned(), value.to_string());
        self
    }
}
