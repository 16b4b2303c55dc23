//! Who is asking, and from where: the [`RequestContext`] every use case takes.
//!
//! A front end names the [`Actor`] it has proved (an administrator's token or session, a
//! PBX, a caller who keyed their PIN, the operator holding the data directory, voicepin
//! itself, or nobody yet); the use case then asks [`RequestContext::authorize`], which
//! answers from the one table in [`crate::access`]. No actor means "every right".

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::access::{Operation, Role, Target, permits};
use crate::error::Error;
use crate::ids::MailboxId;

/// How a mailbox owner proved possession of their mailbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Proof {
    /// Keyed the mailbox's PIN (the telephone).
    Pin,
    /// Followed a confirmation link mailed to the mailbox (the self-service page).
    EmailLink,
}

impl Proof {
    /// The stable camelCase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pin => "pin",
            Self::EmailLink => "emailLink",
        }
    }
}

/// Who performs a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// An administrator with a role: an API token or a browser session.
    Administrator {
        /// The account's or token's name.
        name: String,
        /// Its role.
        role: Role,
    },
    /// A PBX that keeps its own voice mail and signs callers in (the Voice Service role).
    CallingSystem {
        /// The token's or account's name.
        name: String,
    },
    /// A user who proved possession of their mailbox; acts on that mailbox only.
    MailboxOwner {
        /// Their mailbox.
        mailbox: MailboxId,
        /// Its primary SMTP address (the actor in the audit log).
        address: String,
        /// How they proved it.
        proof: Proof,
    },
    /// Whoever holds the data directory and runs `voicepin` on it: break-glass, audited with
    /// the operating-system user name.
    LocalOperator {
        /// The operating-system user (`USER`, `LOGNAME`, or `uid<n>`).
        os_user: String,
    },
    /// voicepin itself: automatic resets, lockouts, mail delivery, readiness.
    System,
    /// Nobody proved anything yet: may only sign in.
    Anonymous,
}

/// The kind of an [`Actor`], as the audit log records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ActorKind {
    /// [`Actor::Administrator`].
    Administrator,
    /// [`Actor::CallingSystem`].
    CallingSystem,
    /// [`Actor::MailboxOwner`].
    MailboxOwner,
    /// [`Actor::LocalOperator`].
    LocalOperator,
    /// [`Actor::System`].
    System,
    /// [`Actor::Anonymous`].
    Anonymous,
}

impl ActorKind {
    /// Every kind.
    pub const ALL: [ActorKind; 6] = [
        Self::Administrator,
        Self::CallingSystem,
        Self::MailboxOwner,
        Self::LocalOperator,
        Self::System,
        Self::Anonymous,
    ];

    /// The stable camelCase name (audit log, API).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Administrator => "administrator",
            Self::CallingSystem => "callingSystem",
            Self::MailboxOwner => "mailboxOwner",
            Self::LocalOperator => "localOperator",
            Self::System => "system",
            Self::Anonymous => "anonymous",
        }
    }

    /// Parses a stored kind.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

impl fmt::Display for ActorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Actor {
    /// The actor an authenticated token or account stands for: a calling system for the
    /// Voice Service role, an administrator for any other.
    pub fn from_role(name: impl Into<String>, role: Role) -> Self {
        match role {
            Role::VoiceService => Self::CallingSystem { name: name.into() },
            role => Self::Administrator { name: name.into(), role },
        }
    }

    /// The kind of actor.
    pub fn kind(&self) -> ActorKind {
        match self {
            Self::Administrator { .. } => ActorKind::Administrator,
            Self::CallingSystem { .. } => ActorKind::CallingSystem,
            Self::MailboxOwner { .. } => ActorKind::MailboxOwner,
            Self::LocalOperator { .. } => ActorKind::LocalOperator,
            Self::System => ActorKind::System,
            Self::Anonymous => ActorKind::Anonymous,
        }
    }

    /// The name the audit log records: an account's or token's name, a mailbox's address,
    /// the operating-system user, `system` or `anonymous`.
    pub fn name(&self) -> &str {
        match self {
            Self::Administrator { name, .. } | Self::CallingSystem { name } => name,
            Self::MailboxOwner { address, .. } => address,
            Self::LocalOperator { os_user } => os_user,
            Self::System => "system",
            Self::Anonymous => "anonymous",
        }
    }

    /// The role the actor holds: an administrator's, or Voice Service for a calling system.
    pub fn role(&self) -> Option<Role> {
        match self {
            Self::Administrator { role, .. } => Some(*role),
            Self::CallingSystem { .. } => Some(Role::VoiceService),
            _ => None,
        }
    }
}

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
    /// Who.
    pub actor: Actor,
    /// Through which front end.
    pub channel: Channel,
    /// From where: an IP address, a caller ID, or a host name.
    pub source: Option<String>,
}

impl RequestContext {
    /// A context for `actor` on `channel`, from no known source.
    pub fn new(actor: Actor, channel: Channel) -> Self {
        Self { actor, channel, source: None }
    }

    /// The same context from `source` (an IP address, a caller ID).
    #[must_use]
    pub fn from_source(mut self, source: Option<String>) -> Self {
        self.source = source;
        self
    }

    /// The local operator on the command line (`os_user` as the audit log shows it).
    pub fn local(os_user: impl Into<String>) -> Self {
        Self::new(Actor::LocalOperator { os_user: os_user.into() }, Channel::Cli)
    }

    /// voicepin itself, acting on its own (mail delivery, timers, readiness).
    pub fn system() -> Self {
        Self::new(Actor::System, Channel::System)
    }

    /// Nobody yet, on `channel`: may only sign in.
    pub fn anonymous(channel: Channel) -> Self {
        Self::new(Actor::Anonymous, channel)
    }

    /// The same channel and source, acted on by voicepin itself (the consequences of a
    /// request: an automatic reset, a lockout).
    pub fn as_system(&self) -> Self {
        Self { actor: Actor::System, ..self.clone() }
    }

    /// Refuses `operation` on `target` unless the table in [`crate::access`] allows it for
    /// this actor. Every use case calls this (or [`Self::authorize_any`] followed by this
    /// once the target is known) before it reads or changes anything.
    pub fn authorize(&self, operation: Operation, target: Target) -> Result<(), Error> {
        let on_target = match (&self.actor, target) {
            // An owner acts on their own mailbox, never on "any".
            (Actor::MailboxOwner { mailbox, .. }, Target::Mailbox(id)) => *mailbox == id,
            (Actor::MailboxOwner { .. }, Target::Any) => false,
            _ => true,
        };
        if on_target && permits(&self.actor, operation) { Ok(()) } else { Err(self.forbidden(operation)) }
    }

    /// Whether this actor may perform `operation` on some target: for front ends deciding
    /// which controls to show. Never for enforcing; the use cases enforce.
    pub fn may(&self, operation: Operation) -> bool {
        permits(&self.actor, operation)
    }

    /// The first, target-less half of a check whose target is known only after resolving an
    /// identity: refuses actors that may not perform `operation` on any target, so a refused
    /// caller learns nothing about what exists. [`Self::authorize`] with the target follows.
    pub(crate) fn authorize_any(&self, operation: Operation) -> Result<(), Error> {
        if self.may(operation) { Ok(()) } else { Err(self.forbidden(operation)) }
    }

    fn forbidden(&self, operation: Operation) -> Error {
        Error::Forbidden { actor: self.actor.kind(), role: self.actor.role(), operation }
    }
}
