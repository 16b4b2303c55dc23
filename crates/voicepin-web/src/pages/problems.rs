//! Errors as pages, and the pages that explain the API's problem types
//! (`/problems/{code}`: the `type` of a problem details object resolves here).

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;

use super::{Layout, PageResult, html};
use crate::extract::Path;
use crate::problem::{ApiError, Problem};

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    l: Layout,
    status: u16,
    problem: Problem,
    why: &'static str,
}

/// The page of a refused or failed request: the API's status, title and detail, and what
/// the problem type means (a 403 names the role and the operation it does not allow).
pub fn error_page(error: &ApiError) -> Response {
    let problem = error.problem();
    if problem.status >= 500 {
        tracing::error!(code = %problem.code, %error, "page request failed");
    }
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let why = explanation(&problem.code).map_or("", |(_, why)| why);
    html(status, &ErrorPage { l: Layout::anonymous(problem.title.clone()), status: problem.status, problem, why })
}

#[derive(Template)]
#[template(path = "problem_type.html")]
struct ProblemTypePage {
    l: Layout,
    code: String,
    why: &'static str,
}

/// `GET /problems/{code}`: what a problem type of the API means and what to do about it.
pub async fn explain(Path(code): Path<String>) -> PageResult {
    match explanation(&code) {
        Some((title, why)) => Ok(html(StatusCode::OK, &ProblemTypePage { l: Layout::anonymous(title), code, why })),
        None => Err(ApiError::NoSuchRoute.into()),
    }
}

/// Every problem type of the API: its title and what it means. A test keeps this table
/// and [`crate::problem`] in step.
pub(crate) const PROBLEM_TYPES: &[(&str, &str, &str)] = &[
    (
        "invalid-value",
        "Invalid value",
        "A parameter is out of range or malformed. The field names the parameter (parameter gives its Exchange name), value the value refused, and allowed says what it takes.",
    ),
    (
        "pin-rejected",
        "PIN rejected by the policy",
        "The PIN breaks one or more rules of the mailbox's UM mailbox policy; violations lists every rule it breaks by code, and reasons says each one in words. Choose another PIN, or let voicepin generate one.",
    ),
    ("not-found", "Not found", "No dial plan, policy, mailbox, account or token has this identity."),
    (
        "ambiguous-identity",
        "Ambiguous identity",
        "The identity matches more than one object; use the SMTP address or the id instead.",
    ),
    (
        "already-exists",
        "Already exists",
        "An object with this name, address or extension exists already; the field names which.",
    ),
    (
        "in-use",
        "In use",
        "The object is still used (a dial plan by policies, a policy by mailboxes) and cannot be removed.",
    ),
    (
        "not-um-enabled",
        "Not enabled for Unified Messaging",
        "The mailbox is not enabled for voice mail; enable it first.",
    ),
    ("already-um-enabled", "Already enabled for Unified Messaging", "The mailbox is enabled for voice mail already."),
    (
        "authentication-failed",
        "Credentials not accepted",
        "The name and password, or the PIN, were not accepted. Failures are counted; too many lock the account or mailbox.",
    ),
    (
        "link-invalid",
        "Link not valid",
        "The confirmation link has expired, was used already, or never existed. Links work once, for 15 minutes: ask for a new one at /my/voicemail.",
    ),
    (
        "password-change-required",
        "Password change required",
        "The account signed in with a one-time password; change it (PUT /api/v1/account/password, or the admin center's password page) before anything else.",
    ),
    (
        "last-administrator",
        "Last administrator",
        "This would leave no enabled Organization Management account, and nobody could manage accounts any more.",
    ),
    ("conflict", "Conflict", "Someone else changed the object at the same moment; try again."),
    (
        "generation-failed",
        "No PIN could be generated",
        "The policy's rules leave no PIN to generate; loosen the extended rules or raise the minimum length.",
    ),
    (
        "forbidden",
        "Forbidden",
        "Your role does not allow this operation. Roles are Exchange's role groups: Organization Management may do everything; UM Management manages policies, dial plans, mailboxes and PINs; Help Desk views mailboxes, resets PINs and unlocks; View-Only reads and changes nothing. Ask an Organization Management administrator for another role.",
    ),
    ("hashing-failed", "Internal error", "The server failed to hash a secret; its log says why."),
    ("random-failed", "Internal error", "The server's random number generator failed; its log says why."),
    ("storage-failed", "Internal error", "The server's database failed; its log says why."),
    (
        "authentication-unavailable",
        "Authentication unavailable",
        "The credentials could not be checked because the database did not answer; try again.",
    ),
    (
        "unauthenticated",
        "Authentication required",
        "Send Authorization: Bearer with an API token, or sign in (the admin center, or POST /api/v1/sessions).",
    ),
    ("malformed-json", "Malformed JSON", "The body is not valid JSON; detail gives the position."),
    (
        "invalid-body",
        "Invalid request body",
        "The body is JSON (or a form) of the wrong shape: a property has the wrong type or is missing.",
    ),
    ("unknown-field", "Unknown property", "The body names a property this request does not take; field names it."),
    ("invalid-query", "Invalid query", "A query parameter could not be read."),
    ("unsupported-media-type", "Unsupported media type", "Send the body as application/json."),
    ("payload-too-large", "Payload too large", "The body is larger than 64 KiB."),
    ("body-unreadable", "Unreadable body", "The body could not be read."),
    ("no-such-route", "Not found", "No page or resource has this path."),
    (
        "csrf-token-invalid",
        "CSRF token missing or wrong",
        "A change made with a session cookie must carry the session's CSRF token (X-CSRF-Token, or the form's hidden field). Reload the page and try again.",
    ),
    (
        "rate-limited",
        "Too many attempts",
        "Too many attempts from this address or for this account; wait for the time Retry-After gives.",
    ),
    (
        "method-not-allowed",
        "Method not allowed",
        "This resource does not take this method; the Allow header lists the ones it takes.",
    ),
];

/// The title and explanation of a problem code.
pub(crate) fn explanation(code: &str) -> Option<(&'static str, &'static str)> {
    PROBLEM_TYPES.iter().find(|(c, _, _)| *c == code).map(|(_, title, why)| (*title, *why))
}

#[cfg(test)]
mod tests {
    use voicepin_core::access::{Operation, Role};

    use super::*;
    use crate::auth::AuthError;

    #[test]
    fn every_problem_the_api_answers_has_a_page() {
        let errors = [
            ApiError::Core(voicepin_core::Error::Conflict),
            ApiError::Core(voicepin_core::Error::AuthenticationFailed),
            ApiError::Core(voicepin_core::Error::LinkInvalid),
            ApiError::Core(voicepin_core::Error::PasswordChangeRequired),
            ApiError::Core(voicepin_core::Error::GenerationFailed),
            ApiError::Core(voicepin_core::Error::Random),
            ApiError::Core(voicepin_core::Error::PinRejected(Vec::new())),
            ApiError::Core(voicepin_core::Error::Forbidden {
                actor: voicepin_core::context::ActorKind::Administrator,
                role: Some(Role::HelpDesk),
                operation: Operation::ManagePolicies,
            }),
            ApiError::Unauthenticated(AuthError::Missing),
            ApiError::Unauthenticated(AuthError::Backend(String::new())),
            ApiError::MalformedJson(String::new()),
            ApiError::InvalidBody { field: None, detail: String::new() },
            ApiError::UnknownField { field: String::new() },
            ApiError::InvalidQuery { detail: String::new() },
            ApiError::UnsupportedMediaType,
            ApiError::PayloadTooLarge { limit: 1 },
            ApiError::BodyUnreadable,
            ApiError::NoSuchRoute,
            ApiError::CsrfTokenInvalid,
            ApiError::RateLimited { retry_after_seconds: 1 },
            ApiError::SignInFailed,
            ApiError::MethodNotAllowed,
        ];
        for error in errors {
            let code = error.problem().code;
            assert!(explanation(&code).is_some(), "no page for {code}");
        }
    }
}
