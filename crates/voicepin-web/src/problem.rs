//! Errors as RFC 9457 problem details, and the one place where an error becomes a status.
//!
//! Every failure of the API, whether the core refused a use case or the request could not
//! be read, is an [`ApiError`]; [`ApiError::problem`] maps it to a [`Problem`] once, so a
//! status or a code never differs between two endpoints (kanidm's discipline).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use thiserror::Error;
use utoipa::ToSchema;
use voicepin_core::Error as CoreError;
use voicepin_core::naming::camel_case;

use crate::auth::AuthError;

/// The media type of problem details.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Where the problem types are documented: `type` is this prefix and the stable code, a
/// relative reference (RFC 9457 §3.1.1) that resolves to a page of this server explaining it.
pub const PROBLEM_TYPE_PREFIX: &str = "/problems/";

/// An RFC 9457 problem details object, with voicepin's extension members.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// A URI naming the problem type: the prefix and the stable code.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short summary of the problem type.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong in this request. Never contains a PIN.
    pub detail: String,
    /// The stable, machine-readable code (the core's codes, plus the API's own).
    pub code: String,
    /// The property at fault (camelCase), for invalid values and unreadable bodies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// What the property accepts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed: Option<String>,
    /// The codes of the PIN rules a rejected PIN breaks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub violations: Option<Vec<String>>,
    /// The caller's role, when the role does not allow the operation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The operation the role does not allow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
}

impl Problem {
    /// A problem with a status, a code, a title and a detail.
    pub fn new(status: StatusCode, code: &str, title: &str, detail: impl Into<String>) -> Self {
        Self {
            problem_type: format!("{PROBLEM_TYPE_PREFIX}{code}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            code: code.to_owned(),
            field: None,
            allowed: None,
            violations: None,
            role: None,
            operation: None,
        }
    }

    fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        response
    }
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
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        Self::Unauthenticated(error)
    }
}

impl ApiError {
    /// The problem details of this error: the one mapping from errors to HTTP statuses.
    pub fn problem(&self) -> Problem {
        match self {
            Self::Core(error) => core_problem(error),
            Self::Unauthenticated(AuthError::Backend(_)) => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "authentication-unavailable",
                "Authentication unavailable",
                "the credentials could not be checked; try again",
            ),
            Self::Unauthenticated(error) => Problem::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Authentication required",
                format!("{error}; send Authorization: Bearer <token>, or sign in (POST /api/v1/sessions)"),
            ),
            Self::MalformedJson(detail) => {
                Problem::new(StatusCode::BAD_REQUEST, "malformed-json", "Malformed JSON", detail.clone())
            }
            Self::InvalidBody { field, detail } => {
                let problem =
                    Problem::new(StatusCode::BAD_REQUEST, "invalid-body", "Invalid request body", detail.clone());
                match field {
                    Some(field) => problem.with_field(field.clone()),
                    None => problem,
                }
            }
            Self::UnknownField { field } => Problem::new(
                StatusCode::BAD_REQUEST,
                "unknown-field",
                "Unknown property",
                format!("the property {field:?} is not part of this request"),
            )
            .with_field(field.clone()),
            Self::InvalidQuery { detail } => {
                Problem::new(StatusCode::BAD_REQUEST, "invalid-query", "Invalid query", detail.clone())
            }
            Self::UnsupportedMediaType => Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
                "send the body as application/json",
            ),
            Self::PayloadTooLarge { limit } => Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Payload too large",
                format!("the body may have at most {limit} bytes"),
            ),
            Self::BodyUnreadable => Problem::new(
                StatusCode::BAD_REQUEST,
                "body-unreadable",
                "Unreadable body",
                "the body could not be read",
            ),
            Self::NoSuchRoute => {
                Problem::new(StatusCode::NOT_FOUND, "no-such-route", "Not found", "no resource has this path")
            }
            Self::CsrfTokenInvalid => Problem::new(
                StatusCode::FORBIDDEN,
                "csrf-token-invalid",
                "CSRF token missing or wrong",
                "with a session cookie, send the session's csrfToken as X-CSRF-Token on POST, PUT, PATCH and DELETE",
            ),
            Self::RateLimited { retry_after_seconds } => Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                "Too many sign-in attempts",
                format!(
                    "too many sign-in attempts from this address or for this account; retry in {retry_after_seconds} s"
                ),
            ),
            Self::SignInFailed => Problem::new(
                StatusCode::UNAUTHORIZED,
                "authentication-failed",
                "Sign-in failed",
                "the name or password was not accepted, or the account is locked or disabled",
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = self.problem();
        if problem.status >= 500 {
            // The internals go to the log, never to the client.
            tracing::error!(code = %problem.code, error = %self, "request failed");
        }
        let mut response = problem.into_response();
        if matches!(self, Self::Unauthenticated(AuthError::Missing | AuthError::Invalid)) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Self::RateLimited { retry_after_seconds } = self
            && let Ok(value) = HeaderValue::from_str(&retry_after_seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

fn core_problem(error: &CoreError) -> Problem {
    let code = error.code();
    match error {
        CoreError::InvalidValue(invalid) => {
            let mut problem = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, code, "Invalid value", error.to_string())
                .with_field(camel_case(invalid.field));
            problem.allowed = Some(invalid.allowed.clone());
            problem
        }
        CoreError::PinRejected(violations) => {
            let mut problem =
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, code, "PIN rejected by the policy", error.to_string())
                    .with_field("pin");
            problem.violations = Some(violations.iter().map(|v| v.code().to_owned()).collect());
            problem
        }
        CoreError::NotFound { .. } => Problem::new(StatusCode::NOT_FOUND, code, "Not found", error.to_string()),
        CoreError::Ambiguous { .. } => {
            Problem::new(StatusCode::CONFLICT, code, "Ambiguous identity", error.to_string()).with_field("identity")
        }
        CoreError::AlreadyExists { field, .. } => {
            Problem::new(StatusCode::CONFLICT, code, "Already exists", error.to_string()).with_field(camel_case(field))
        }
        CoreError::InUse { .. } => Problem::new(StatusCode::CONFLICT, code, "In use", error.to_string()),
        CoreError::NotUmEnabled(_) => {
            Problem::new(StatusCode::CONFLICT, code, "Not enabled for Unified Messaging", error.to_string())
        }
        CoreError::AlreadyUmEnabled(_) => {
            Problem::new(StatusCode::CONFLICT, code, "Already enabled for Unified Messaging", error.to_string())
        }
        CoreError::AuthenticationFailed => {
            Problem::new(StatusCode::UNPROCESSABLE_ENTITY, code, "Credentials not accepted", error.to_string())
        }
        CoreError::LinkInvalid => Problem::new(StatusCode::GONE, code, "Link not valid", error.to_string()),
        CoreError::PasswordChangeRequired => {
            Problem::new(StatusCode::FORBIDDEN, code, "Password change required", error.to_string())
        }
        CoreError::LastAdministrator(_) => {
            Problem::new(StatusCode::CONFLICT, code, "Last administrator", error.to_string())
        }
        CoreError::Conflict => Problem::new(StatusCode::CONFLICT, code, "Conflict", error.to_string()),
        CoreError::GenerationFailed => {
            Problem::new(StatusCode::UNPROCESSABLE_ENTITY, code, "No PIN could be generated", error.to_string())
        }
        CoreError::Forbidden { actor, role, operation } => {
            let detail = match role {
                Some(role) => format!(
                    "the role {} ({}) does not allow {}",
                    role.display_name(),
                    role.as_str(),
                    operation.as_str()
                ),
                None => format!("a {} may not {}", actor.as_str(), operation.as_str()),
            };
            let mut problem = Problem::new(StatusCode::FORBIDDEN, code, "Forbidden", detail);
            problem.role = role.map(|r| r.as_str().to_owned());
            problem.operation = Some(operation.as_str().to_owned());
            problem
        }
        CoreError::Hashing(_) | CoreError::Random | CoreError::Store(_) => {
            Problem::new(StatusCode::INTERNAL_SERVER_ERROR, code, "Internal error", "the server failed; see its log")
        }
    }
}
