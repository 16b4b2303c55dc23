//! Why a request failed: the API's errors, before they become problem details
//! ([`crate::problem`] maps each to its status and members, in one place).

use thiserror::Error;
use voicepin_core::Error as CoreError;

/// Why a request is not authenticated.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum AuthError {
    /// No `Authorization: Bearer` header and no session cookie.
    #[error("no bearer token or session cookie was sent")]
    Missing,
    /// The token or session is unknown, expired or revoked (deliberately not told apart).
    #[error("the bearer token or session is not valid")]
    Invalid,
    /// The endpoint is for browser sessions, and none was sent.
    #[error("this endpoint needs a session: sign in with POST /api/v1/sessions")]
    SessionRequired,
    /// The credentials could not be checked (the store failed).
    #[error("the credentials could not be checked: {0}")]
    Backend(String),
}

/// Why a request failed.
#[derive(Debug, Error)]
pub enum ApiError {
    /// The core refused or failed the use case.
    #[error(transparent)]
    Core(#[from] CoreError),
    /// No bearer token, or one that does not authenticate.
    #[error("authentication required: {0}")]
    Unauthenticated(#[source] AuthError),
    /// The body is not JSON at all.
    #[error("the body is not valid JSON: {0}")]
    MalformedJson(String),
    /// The body is JSON, but not of the expected shape (wrong type, missing property).
    #[error("{detail}")]
    InvalidBody {
        /// The property at fault, as a JSON path.
        field: Option<String>,
        /// What was expected; never the value sent.
        detail: String,
    },
    /// The body names a property the endpoint does not take.
    #[error("unknown property {field:?}")]
    UnknownField {
        /// The property, as a JSON path.
        field: String,
    },
    /// A query parameter could not be read.
    #[error("{detail}")]
    InvalidQuery {
        /// What was wrong; never the value sent.
        detail: String,
    },
    /// The body is not `application/json`.
    #[error("the body must be application/json")]
    UnsupportedMediaType,
    /// The body is larger than the limit.
    #[error("the body is larger than {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The body could not be read.
    #[error("the body could not be read")]
    BodyUnreadable,
    /// No route has this path.
    #[error("no such resource")]
    NoSuchRoute,
    /// A request with a session cookie changes something without the session's CSRF token.
    #[error("the X-CSRF-Token header is missing or wrong")]
    CsrfTokenInvalid,
    /// Too many password sign-ins from this address or for this account.
    #[error("too many sign-in attempts; retry in {retry_after_seconds} s")]
    RateLimited {
        /// Seconds until an attempt is taken again.
        retry_after_seconds: u64,
    },
    /// A password sign-in failed (unknown, wrong, locked or disabled: not told apart).
    #[error("the name or password was not accepted")]
    SignInFailed,
    /// The resource does not take this method.
    #[error("this resource does not take this method")]
    MethodNotAllowed,
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        Self::Unauthenticated(error)
    }
}
