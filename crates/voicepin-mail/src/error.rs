//! The errors of this crate, each with a stable code.

use thiserror::Error;
use voicepin_core::StoreError;

/// What went wrong while rendering, configuring or delivering mail.
///
/// No variant ever carries a PIN or a message body.
#[derive(Debug, Error)]
pub enum MailError {
    /// An address cannot be used in a message header.
    #[error("{field}: {value:?} is not a usable email address")]
    InvalidAddress {
        /// Which address (`From`, `To`).
        field: &'static str,
        /// The address given.
        value: String,
    },
    /// lettre refused to build the message.
    #[error("the message could not be built: {0}")]
    Build(String),
    /// The transport configuration is wrong (SMTP URL, CA file, password file).
    #[error("invalid mail configuration: {0}")]
    Config(String),
    /// A file or directory could not be read or written.
    #[error("{what}: {source}")]
    Io {
        /// What was being done, naming the path.
        what: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The store failed.
    #[error("the mail outbox failed: {0}")]
    Store(#[from] StoreError),
}

impl MailError {
    /// A stable, machine-readable code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidAddress { .. } => "mail-invalid-address",
            Self::Build(_) => "mail-build-failed",
            Self::Config(_) => "mail-config-invalid",
            Self::Io { .. } => "mail-io-failed",
            Self::Store(_) => "mail-store-failed",
        }
    }

    pub(crate) fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io { what: what.into(), source }
    }
}

/// Why a transport did not deliver a message: worth a retry, or not.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum SendError {
    /// Try again later: the server was unreachable or answered 4xx, a timeout, a local
    /// write failure.
    #[error("temporary delivery failure: {0}")]
    Transient(String),
    /// Retrying will not help: the server answered 5xx for this message.
    #[error("permanent delivery failure: {0}")]
    Permanent(String),
}

impl SendError {
    /// A stable, machine-readable code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Transient(_) => "mail-send-transient",
            Self::Permanent(_) => "mail-send-permanent",
        }
    }

    /// Whether a later attempt may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient(_))
    }
}
