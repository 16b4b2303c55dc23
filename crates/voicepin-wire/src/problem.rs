//! Problem details (RFC 9457): the one shape of every refusal on the wire, and the one
//! mapping from the core's errors to problems (their status, title and members), shared by the
//! server, which sends them, and the CLI, which reads them (and words a local command's
//! errors the same way).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use voicepin_core::Error as CoreError;
use voicepin_core::naming::camel_case;

/// The media type of problem details.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Where the problem types are documented: `type` is this prefix and the stable code, a
/// relative reference (RFC 9457 §3.1.1) that resolves to a page of this server explaining it.
pub const PROBLEM_TYPE_PREFIX: &str = "/problems/";

/// The HTTP statuses of problems, by name (this crate has no HTTP library).
pub mod status {
    /// 400.
    pub const BAD_REQUEST: u16 = 400;
    /// 401.
    pub const UNAUTHORIZED: u16 = 401;
    /// 403.
    pub const FORBIDDEN: u16 = 403;
    /// 404.
    pub const NOT_FOUND: u16 = 404;
    /// 405.
    pub const METHOD_NOT_ALLOWED: u16 = 405;
    /// 409.
    pub const CONFLICT: u16 = 409;
    /// 410.
    pub const GONE: u16 = 410;
    /// 413.
    pub const PAYLOAD_TOO_LARGE: u16 = 413;
    /// 415.
    pub const UNSUPPORTED_MEDIA_TYPE: u16 = 415;
    /// 422.
    pub const UNPROCESSABLE_ENTITY: u16 = 422;
    /// 429.
    pub const TOO_MANY_REQUESTS: u16 = 429;
    /// 500.
    pub const INTERNAL_SERVER_ERROR: u16 = 500;
    /// 503.
    pub const SERVICE_UNAVAILABLE: u16 = 503;
}

/// An RFC 9457 problem details object, with voicepin's extension members.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
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
    /// The parameter at fault by its Exchange name (`MinPINLength`), for invalid values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
    /// The value refused, as it was given (never a PIN or a password), for invalid values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The codes of the PIN rules a rejected PIN breaks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub violations: Option<Vec<String>>,
    /// What each rule of `violations` says, in the same order, for people.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasons: Option<Vec<String>>,
    /// The caller's role, when the role does not allow the operation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The operation the role does not allow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
}

impl Problem {
    /// A problem with a status, a code, a title and a detail.
    pub fn new(status: u16, code: &str, title: &str, detail: impl Into<String>) -> Self {
        Self {
            problem_type: format!("{PROBLEM_TYPE_PREFIX}{code}"),
            title: title.to_owned(),
            status,
            detail: detail.into(),
            code: code.to_owned(),
            ..Self::default()
        }
    }

    /// The same, naming the property at fault.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

impl From<&CoreError> for Problem {
    /// The problem of a core error: the one exhaustive mapping (no catch-all), so a new
    /// error cannot reach a front end without its status.
    fn from(error: &CoreError) -> Self {
        use status::*;
        let code = error.code();
        match error {
            CoreError::InvalidValue(invalid) => {
                let mut problem = Problem::new(UNPROCESSABLE_ENTITY, code, "Invalid value", error.to_string())
                    .with_field(camel_case(invalid.field));
                problem.allowed = Some(invalid.allowed.clone());
                problem.parameter = Some(invalid.field.to_owned());
                problem.value = Some(invalid.given.clone());
                problem
            }
            CoreError::PinRejected(violations) => {
                let mut problem =
                    Problem::new(UNPROCESSABLE_ENTITY, code, "PIN rejected by the policy", error.to_string())
                        .with_field("pin");
                problem.violations = Some(violations.iter().map(|v| v.code().to_owned()).collect());
                problem.reasons = Some(violations.iter().map(ToString::to_string).collect());
                problem
            }
            CoreError::NotFound { .. } => Problem::new(NOT_FOUND, code, "Not found", error.to_string()),
            CoreError::Ambiguous { .. } => {
                Problem::new(CONFLICT, code, "Ambiguous identity", error.to_string()).with_field("identity")
            }
            CoreError::AlreadyExists { field, .. } => {
                Problem::new(CONFLICT, code, "Already exists", error.to_string()).with_field(camel_case(field))
            }
            CoreError::InUse { .. } => Problem::new(CONFLICT, code, "In use", error.to_string()),
            CoreError::NotUmEnabled(_) => {
                Problem::new(CONFLICT, code, "Not enabled for Unified Messaging", error.to_string())
            }
            CoreError::AlreadyUmEnabled(_) => {
                Problem::new(CONFLICT, code, "Already enabled for Unified Messaging", error.to_string())
            }
            CoreError::AuthenticationFailed => {
                Problem::new(UNPROCESSABLE_ENTITY, code, "Credentials not accepted", error.to_string())
            }
            CoreError::LinkInvalid => Problem::new(GONE, code, "Link not valid", error.to_string()),
            CoreError::PasswordChangeRequired => {
                Problem::new(FORBIDDEN, code, "Password change required", error.to_string())
            }
            CoreError::LastAdministrator(_) => Problem::new(CONFLICT, code, "Last administrator", error.to_string()),
            CoreError::Conflict => Problem::new(CONFLICT, code, "Conflict", error.to_string()),
            CoreError::GenerationFailed => {
                Problem::new(UNPROCESSABLE_ENTITY, code, "No PIN could be generated", error.to_string())
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
                let mut problem = Problem::new(FORBIDDEN, code, "Forbidden", detail);
                problem.role = role.map(|r| r.as_str().to_owned());
                problem.operation = Some(operation.as_str().to_owned());
                problem
            }
            CoreError::Hashing(_) | CoreError::Random | CoreError::Store(_) => {
                Problem::new(INTERNAL_SERVER_ERROR, code, "Internal error", "the server failed; see its log")
            }
        }
    }
}
