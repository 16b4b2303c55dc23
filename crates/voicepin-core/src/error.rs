//! Errors of the domain, each with a stable code that front ends may show and match on.

use std::fmt;

use thiserror::Error;

pub use crate::invalid::InvalidValue;
use crate::rules::PinRuleViolation;

/// The kinds of stored object, for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectKind {
    /// A UM dial plan.
    DialPlan,
    /// A UM mailbox policy.
    Policy,
    /// A UM mailbox.
    Mailbox,
    /// A queued email message.
    Mail,
    /// An API token.
    Token,
    /// An administrator account.
    Account,
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::DialPlan => "UM dial plan",
            Self::Policy => "UM mailbox policy",
            Self::Mailbox => "UM mailbox",
            Self::Mail => "mail message",
            Self::Token => "API token",
            Self::Account => "administrator account",
        })
    }
}

/// What a storage adapter reports.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The object changed since it was read (optimistic concurrency).
    #[error("the object was changed by someone else")]
    Conflict,
    /// A unique value is taken.
    #[error("{field} {value:?} is already in use")]
    Duplicate {
        /// The parameter whose value is taken (Exchange name).
        field: &'static str,
        /// The value.
        value: String,
    },
    /// The object is referenced and cannot be removed.
    #[error("it is still used by {0}")]
    InUse(String),
    /// The backend failed.
    #[error("storage failure: {0}")]
    Backend(String),
}

/// Errors of the use cases.
#[derive(Debug, Error)]
pub enum Error {
    /// A parameter value is out of range or malformed.
    #[error(transparent)]
    InvalidValue(#[from] InvalidValue),
    /// A new PIN breaks one or more rules of the policy.
    #[error("the PIN does not meet the policy: {}", describe_violations(.0))]
    PinRejected(Vec<PinRuleViolation>),
    /// No such object.
    #[error("{kind} {identity:?} was not found")]
    NotFound {
        /// What was looked for.
        kind: ObjectKind,
        /// The identity given.
        identity: String,
    },
    /// An identity matches more than one object.
    #[error("{kind} identity {identity:?} matches more than one object; use the SMTP address or id")]
    Ambiguous {
        /// What was looked for.
        kind: ObjectKind,
        /// The identity given.
        identity: String,
    },
    /// A unique value is taken.
    #[error("{field} {value:?} is already in use")]
    AlreadyExists {
        /// The parameter (Exchange name).
        field: &'static str,
        /// The value.
        value: String,
    },
    /// The object cannot be removed while something uses it.
    #[error("{kind} {identity:?} cannot be removed: it is still used by {by}")]
    InUse {
        /// What was to be removed.
        kind: ObjectKind,
        /// Its identity.
        identity: String,
        /// What uses it.
        by: String,
    },
    /// The operation needs a UM-enabled mailbox.
    #[error("UM mailbox {0:?} is not enabled for Unified Messaging")]
    NotUmEnabled(String),
    /// The operation needs a mailbox that is not UM-enabled yet.
    #[error("UM mailbox {0:?} is already enabled for Unified Messaging")]
    AlreadyUmEnabled(String),
    /// The credentials were not accepted: the current PIN given to change a PIN, an API
    /// token, a session, or an administrator's name and password (all failures alike).
    #[error("the credentials were not accepted")]
    AuthenticationFailed,
    /// A self-service confirmation link that does not work: unknown, expired or used (all
    /// alike).
    #[error("the confirmation link is not valid: it has expired, was used already, or never existed")]
    LinkInvalid,
    /// The session's account signed in with a one-time password: it may only change its
    /// password or sign out.
    #[error("the password must be changed first (PUT /api/v1/account/password)")]
    PasswordChangeRequired,
    /// The change would leave no enabled Organization Management account.
    #[error("administrator account {0:?} is the last enabled Organization Management account")]
    LastAdministrator(String),
    /// The same object was changed concurrently too many times in a row.
    #[error("the object kept changing while it was being updated; try again")]
    Conflict,
    /// No PIN passing the policy could be generated.
    #[error("no PIN that passes the policy could be generated")]
    GenerationFailed,
    /// Hashing failed (bad parameters or an unreadable stored hash).
    #[error("PIN hashing failed: {0}")]
    Hashing(String),
    /// The operating system's random number generator failed.
    #[error("the system random number generator failed")]
    Random,
    /// The request's actor may not perform the operation (on this target).
    #[error("{}", forbidden_text(*.actor, *.role, *.operation))]
    Forbidden {
        /// The kind of actor asking.
        actor: crate::context::ActorKind,
        /// Its role, when it holds one (administrators, calling systems).
        role: Option<crate::access::Role>,
        /// What it asked to do.
        operation: crate::access::Operation,
    },
    /// Storage failed.
    #[error(transparent)]
    Store(StoreError),
}

impl Error {
    /// A stable, machine-readable code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidValue(_) => "invalid-value",
            Self::PinRejected(_) => "pin-rejected",
            Self::NotFound { .. } => "not-found",
            Self::Ambiguous { .. } => "ambiguous-identity",
            Self::AlreadyExists { .. } => "already-exists",
            Self::InUse { .. } => "in-use",
            Self::NotUmEnabled(_) => "not-um-enabled",
            Self::AlreadyUmEnabled(_) => "already-um-enabled",
            Self::AuthenticationFailed => "authentication-failed",
            Self::LinkInvalid => "link-invalid",
            Self::PasswordChangeRequired => "password-change-required",
            Self::LastAdministrator(_) => "last-administrator",
            Self::Conflict => "conflict",
            Self::GenerationFailed => "generation-failed",
            Self::Hashing(_) => "hashing-failed",
            Self::Random => "random-failed",
            Self::Forbidden { .. } => "forbidden",
            Self::Store(_) => "storage-failed",
        }
    }
}

impl Error {
    /// Names the object when the store refused to remove it because it is in use (a
    /// mailbox appeared between the use case's own check and its commit).
    pub(crate) fn in_use(self, kind: ObjectKind, identity: &str) -> Self {
        match self {
            Self::Store(StoreError::InUse(by)) => Self::InUse { kind, identity: identity.to_owned(), by },
            other => other,
        }
    }
}

impl From<StoreError> for Error {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict => Self::Conflict,
            StoreError::Duplicate { field, value } => Self::AlreadyExists { field, value },
            other => Self::Store(other),
        }
    }
}

fn forbidden_text(
    actor: crate::context::ActorKind,
    role: Option<crate::access::Role>,
    operation: crate::access::Operation,
) -> String {
    match role {
        Some(role) => format!("the role {role} does not allow {}", operation.as_str()),
        None => format!("a {} may not {}", actor.as_str(), operation.as_str()),
    }
}

fn describe_violations(violations: &[PinRuleViolation]) -> String {
    violations.iter().map(|v| v.to_string()).collect::<Vec<_>>().join("; ")
}

/// The result type of the use cases.
pub type Result<T, E = Error> = std::result::Result<T, E>;
