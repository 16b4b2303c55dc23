//! Errors as RFC 9457 problem details, and the one place where an error becomes a status.
//!
//! Every failure of the API, whether the core refused a use case or the request could not
//! be read, is an [`ApiError`]; [`ApiError::problem`] maps it to a [`Problem`] once, so a
//! status or a code never differs between two endpoints (kanidm's discipline). The core's
//! errors are mapped by the wire vocabulary (`voicepin_wire::problem`), which the CLI shares.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use voicepin_wire::problem::status::*;
pub use voicepin_wire::problem::{PROBLEM_JSON, PROBLEM_TYPE_PREFIX, Problem};

pub use crate::error::{ApiError, AuthError};

/// The response of a problem: its status, `application/problem+json` and the JSON.
pub fn problem_response(problem: &Problem) -> Response {
    let status =
        axum::http::StatusCode::from_u16(problem.status).unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(problem).unwrap_or_default();
    let mut response = (status, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    response
}

impl ApiError {
    /// The problem details of this error: the one mapping from errors to HTTP statuses.
    pub fn problem(&self) -> Problem {
        match self {
            Self::Core(error) => Problem::from(error),
            Self::Unauthenticated(AuthError::Backend(_)) => Problem::new(
                SERVICE_UNAVAILABLE,
                "authentication-unavailable",
                "Authentication unavailable",
                "the credentials could not be checked; try again",
            ),
            Self::Unauthenticated(error) => Problem::new(
                UNAUTHORIZED,
                "unauthenticated",
                "Authentication required",
                format!("{error}; send Authorization: Bearer <token>, or sign in (POST /api/v1/sessions)"),
            ),
            Self::MalformedJson(detail) => {
                Problem::new(BAD_REQUEST, "malformed-json", "Malformed JSON", detail.clone())
            }
            Self::InvalidBody { field, detail } => {
                let problem = Problem::new(BAD_REQUEST, "invalid-body", "Invalid request body", detail.clone());
                match field {
                    Some(field) => problem.with_field(field.clone()),
                    None => problem,
                }
            }
            Self::UnknownField { field } => Problem::new(
                BAD_REQUEST,
                "unknown-field",
                "Unknown property",
                format!("the property {field:?} is not part of this request"),
            )
            .with_field(field.clone()),
            Self::InvalidQuery { detail } => {
                Problem::new(BAD_REQUEST, "invalid-query", "Invalid query", detail.clone())
            }
            Self::UnsupportedMediaType => Problem::new(
                UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
                "send the body as application/json",
            ),
            Self::PayloadTooLarge { limit } => Problem::new(
                PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Payload too large",
                format!("the body may have at most {limit} bytes"),
            ),
            Self::BodyUnreadable => {
                Problem::new(BAD_REQUEST, "body-unreadable", "Unreadable body", "the body could not be read")
            }
            Self::NoSuchRoute => Problem::new(NOT_FOUND, "no-such-route", "Not found", "no resource has this path"),
            Self::CsrfTokenInvalid => Problem::new(
                FORBIDDEN,
                "csrf-token-invalid",
                "CSRF token missing or wrong",
                "with a session cookie, send the session's csrfToken as X-CSRF-Token on POST, PUT, PATCH and DELETE",
            ),
            Self::RateLimited { retry_after_seconds } => Problem::new(
                TOO_MANY_REQUESTS,
                "rate-limited",
                "Too many sign-in attempts",
                format!(
                    "too many sign-in attempts from this address or for this account; retry in {retry_after_seconds} s"
                ),
            ),
            Self::MethodNotAllowed => Problem::new(
                METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
                "this resource does not take this method; see the Allow header",
            ),
            Self::SignInFailed => Problem::new(
                UNAUTHORIZED,
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
        let mut response = problem_response(&problem);
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
