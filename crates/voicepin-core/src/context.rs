//! Who is asking, and from where: the [`RequestContext`] every use case takes.
//!
//! A front end names the [`Actor`] it has proved (an administrator's token or session, a
//! PBX, a caller who keyed their PIN, the operator holding the data directory, voicepin
//! itself, or nobody yet); the use case then asks [`RequestContext::authorize`], which
//! answers from the one table in [`crate::access`]. No actor means "every right".

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::access::{Operation, Role, Target, permits};
use crate::error::{Error, InvalidValue};
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
    /// From where: the client's address, the calling system and the caller ID it reports.
    pub source: Source,
}

impl RequestContext {
    /// A context for `actor` on `channel`, from no known source.
    pub fn new(actor: Actor, channel: Channel) -> Self {
        Self { actor, channel, source: Source::default() }
    }

    /// The same context from `source`.
    #[must_use]
    pub fn from_source(mut self, source: Source) -> Self {
        self.source = source;
        self
    }

    /// The same context from the client's network address, when known.
    #[must_use]
    pub fn from_address(self, address: Option<IpAddr>) -> Self {
        self.from_source(Source { address, ..Source::default() })
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

/// Where a request came from: checked values only, so that nothing a caller sends can
/// forge or hide a line of the audit log. The sign-in use case counts failures per source
/// ([`crate::throttle`]), and the audit log records it as [`Source::audit_text`] renders it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Source {
    /// The client's network address: the HTTP peer, or the SIP source address.
    pub address: Option<IpAddr>,
    /// The system the request speaks for, as it names itself (a PBX's `callingSystem`).
    pub calling_system: Option<SystemName>,
    /// The caller ID reported by a PBX, or the SIP From user of a call.
    pub caller_id: Option<CallerId>,
}

impl Source {
    /// A source known by its address only.
    pub fn address(address: IpAddr) -> Self {
        Self { address: Some(address), ..Self::default() }
    }

    /// The same source with the calling system it names.
    #[must_use]
    pub fn with_calling_system(mut self, system: Option<SystemName>) -> Self {
        self.calling_system = system;
        self
    }

    /// The same source with a caller ID.
    #[must_use]
    pub fn with_caller_id(mut self, caller_id: Option<CallerId>) -> Self {
        self.caller_id = caller_id;
        self
    }

    /// Whether nothing is known about it.
    pub fn is_empty(&self) -> bool {
        self.address.is_none() && self.calling_system.is_none() && self.caller_id.is_none()
    }

    /// The source as the audit log records it (`192.0.2.1 system=pbx-1 callerId=+14255550100`),
    /// or `None` when nothing is known. The one place it is rendered; every part is checked,
    /// so the text holds printable ASCII only.
    pub fn audit_text(&self) -> Option<String> {
        let mut parts = Vec::with_capacity(3);
        if let Some(address) = self.address {
            parts.push(address.to_string());
        }
        if let Some(system) = &self.calling_system {
            parts.push(format!("system={system}"));
        }
        if let Some(caller_id) = &self.caller_id {
            parts.push(format!("callerId={caller_id}"));
        }
        (!parts.is_empty()).then(|| parts.join(" "))
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.audit_text().as_deref().unwrap_or("unknown"))
    }
}

/// A caller ID: an E.164 number (`+` and 1 to 15 digits) or a SIP URI's user part (RFC 3261's
/// unreserved and user-unreserved characters, no escapes), at most 64 characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CallerId(String);

impl CallerId {
    /// What a caller ID may be, for messages.
    pub const ALLOWED: &'static str = "an E.164 number (+ and 1 to 15 digits) or the user part of a SIP URI \
         (at most 64 letters, digits and -_.!~*'()&=+$,;?/)";

    /// Checks a caller ID; `field` names it in the refusal (`callerId`).
    pub fn parse(field: &'static str, text: &str) -> Result<Self, InvalidValue> {
        let valid = match text.strip_prefix('+') {
            Some(digits) => (1..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()),
            None => {
                (1..=64).contains(&text.len())
                    && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.!~*'()&=+$,;?/".contains(&b))
            }
        };
        if valid { Ok(Self(text.to_owned())) } else { Err(InvalidValue::new(field, Self::ALLOWED, shown(text))) }
    }

    /// The caller ID.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CallerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A calling system's name: 1 to 64 letters, digits, `.`, `_` or `-`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SystemName(String);

impl SystemName {
    /// What a system name may be, for messages.
    pub const ALLOWED: &'static str = "a short name: 1 to 64 letters, digits, '.', '_' or '-'";

    /// Checks a system name; `field` names it in the refusal (`callingSystem`).
    pub fn parse(field: &'static str, text: &str) -> Result<Self, InvalidValue> {
        if (1..=64).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)) {
            Ok(Self(text.to_owned()))
        } else {
            Err(InvalidValue::new(field, Self::ALLOWED, shown(text)))
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SystemName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A refused value as a message may show it: its first 32 characters, escaped.
fn shown(text: &str) -> String {
    text.chars().take(32).flat_map(char::escape_default).collect()
}

#[cfg(test)]
mod source_tests {
    use super::*;

    #[test]
    fn caller_ids_and_system_names_are_checked() {
        for good in ["+14255550100", "36697", "alice", "pbx-01.contoso"] {
            assert_eq!(CallerId::parse("callerId", good).map(|c| c.to_string()), Ok(good.to_owned()));
        }
        for bad in ["", "+", "+1234567890123456", "a\nb", "\u{1b}[2J", "x\u{202e}y", "a b", "<script>", &"9".repeat(65)]
        {
            let refused = CallerId::parse("callerId", bad).expect_err(bad);
            assert_eq!(refused.field, "callerId");
            assert!(refused.given.chars().all(|c| c.is_ascii_graphic() || c == ' '), "{:?}", refused.given);
        }
        assert!(SystemName::parse("callingSystem", "CUCM-1.contoso").is_ok());
        for bad in ["", "a b", "a\nb", "x\u{202e}", "a/b", &"s".repeat(65)] {
            assert!(SystemName::parse("callingSystem", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_source_renders_in_one_line_of_its_parts() {
        let source = Source::address("192.0.2.7".parse().expect("address"))
            .with_calling_system(SystemName::parse("callingSystem", "pbx-1").ok())
            .with_caller_id(CallerId::parse("callerId", "+14255550100").ok());
        assert_eq!(source.audit_text().as_deref(), Some("192.0.2.7 system=pbx-1 callerId=+14255550100"));
        assert_eq!(Source::default().audit_text(), None);
        assert!(Source::default().is_empty());
    }
}
