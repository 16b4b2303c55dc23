//! Audit events: who did what, through which channel, when. Never a PIN.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::access::{Operation, Role};
use crate::error::Error;
use crate::ids::{AuditId, MailboxId};

/// The front end a request came through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Channel {
    /// The `voicepin` command line on the server's data directory.
    Cli,
    /// The HTTP API.
    Api,
    /// The web admin center or self-service pages.
    Web,
    /// The telephone front end.
    Phone,
    /// voicepin itself (automatic resets, mail delivery).
    System,
}

impl Channel {
    /// The channel as stored and printed.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cli => "cli",
            Self::Api => "api",
            Self::Web => "web",
            Self::Phone => "phone",
            Self::System => "system",
        }
    }

    /// Parses a stored channel.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Cli, Self::Api, Self::Web, Self::Phone, Self::System].into_iter().find(|c| c.as_str() == text)
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who is asking, and from where: passed to every use case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestContext {
    /// The actor: an administrator's name, a user's address, or `system`.
    pub actor: String,
    /// The actor's role; `None` for whoever holds the data directory (the local CLI, the
    /// phone front end, voicepin itself), who may do everything.
    pub role: Option<Role>,
    /// The front end.
    pub channel: Channel,
    /// The source: an IP address, a caller ID, or a host name.
    pub source: Option<String>,
}

impl RequestContext {
    /// A request from the local command line.
    pub fn cli(actor: impl Into<String>) -> Self {
        Self { actor: actor.into(), role: None, channel: Channel::Cli, source: None }
    }

    /// voicepin itself, acting on its own (mail delivery, timers).
    pub fn system() -> Self {
        Self { actor: "system".into(), role: None, channel: Channel::System, source: None }
    }

    /// Refuses the operation unless the role allows it.
    pub fn authorize(&self, operation: Operation) -> Result<(), Error> {
        match self.role {
            Some(role) if !role.allows(operation) => Err(Error::Forbidden { role, operation }),
            _ => Ok(()),
        }
    }
}

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
        }
    }

    /// Every action, for parsing.
    pub const ALL: [AuditAction; 31] = [
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
    /// Who.
    pub actor: String,
    /// The actor's role, if any.
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
            actor: context.actor.clone(),
            role: context.role.map(|r| r.as_str().to_owned()),
            channel: context.channel,
            source: context.source.clone(),
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
