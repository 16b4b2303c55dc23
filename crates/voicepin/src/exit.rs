//! How a command ends: its one line on standard error and its exit code. A failure is known
//! by a stable code, whether a server sent it (a problem's `code`), the core refused a local
//! command (the same code, through the same mapping to a problem) or the CLI itself could
//! not run the command; [`exit_code`] is the one table from codes to exit codes, and
//! [`Failure::from_problem`] words a problem from its members, never from its English text.

use std::fmt;

use voicepin_core::InvalidValue;
use voicepin_wire::Problem;

/// Exit code of a refused operation (not found, rejected PIN, in use ...) or a failed
/// sign-in test.
pub const EXIT_REFUSED: u8 = 1;
/// Exit code of bad input (unknown option, value out of range, a command that cannot run).
pub const EXIT_USAGE: u8 = 2;

/// The exit code of a failure's code: bad input is 2, anything else refused is 1.
pub fn exit_code(code: &str) -> u8 {
    match code {
        // A value out of range, locally or on the server.
        "invalid-value"
        // A request the server could not read (HTTP 400).
        | "malformed-json" | "invalid-body" | "unknown-field" | "invalid-query" | "body-unreadable"
        // A command that cannot run as given.
        | LOCAL_ONLY | BAD_SERVER | NO_TOKEN => EXIT_USAGE,
        _ => EXIT_REFUSED,
    }
}

/// The CLI's own codes, for failures that never reached a use case.
pub const LOCAL_ONLY: &str = "local-only";
/// `--server` is not a usable URL.
pub const BAD_SERVER: &str = "bad-server";
/// `--server` without a usable token.
pub const NO_TOKEN: &str = "no-token";
/// The server could not be reached.
pub const UNREACHABLE: &str = "server-unreachable";
/// The server answered something that is not the voicepin API.
pub const UNEXPECTED: &str = "unexpected-answer";
/// Anything else (an unreadable file, a runtime that would not start ...).
pub const FAILED: &str = "failed";

/// What a command ends with when it succeeds, for the exit code.
pub enum Completion {
    /// Done (exit 0).
    Done,
    /// A sign-in test failed (exit 1).
    SignInFailed,
}

/// A failed command: its code and its one line for people. Never holds a PIN or a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The stable code, for [`exit_code`].
    pub code: String,
    /// The line printed after `voicepin: `.
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

impl Failure {
    /// A failure with the CLI's own code.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self { code: code.to_owned(), message: message.into() }
    }

    /// A problem, worded from its members as the same error is worded locally.
    pub fn from_problem(problem: &Problem) -> Self {
        let code = problem.code.as_str();
        let message = match code {
            "unauthenticated" => format!(
                "the server did not accept the API token (--token, --token-file or VOICEPIN_TOKEN): it is unknown, \
                 expired or revoked [{code}]"
            ),
            "invalid-value" => match (&problem.parameter, &problem.value, &problem.allowed) {
                (Some(parameter), Some(value), Some(allowed)) => invalid_value(parameter, value, allowed),
                _ => format!("{} [{code}]", problem.detail),
            },
            "pin-rejected" => match (&problem.reasons, &problem.violations) {
                (Some(reasons), Some(codes)) if reasons.len() == codes.len() => {
                    let reasons: Vec<String> =
                        reasons.iter().zip(codes).map(|(reason, code)| format!("{reason} [{code}]")).collect();
                    format!("PIN (--pin): rejected by the policy: {}", reasons.join("; "))
                }
                _ => format!("PIN (--pin): {} [{code}]", problem.detail),
            },
            "no-such-route" => format!("the server has no such API resource (an older voicepin server?) [{code}]"),
            _ => format!("{} [{code}]", problem.detail),
        };
        Self { code: problem.code.clone(), message }
    }

    /// The failure of a command that ended with `error`: a failure already worded (the
    /// server's client words its own), the core's refusal (through the problem the server
    /// would have sent, so both read alike), or anything else with its context.
    pub fn of(error: &anyhow::Error) -> Self {
        if let Some(failure) = error.downcast_ref::<Failure>() {
            return failure.clone();
        }
        if let Some(core) = error.downcast_ref::<voicepin_core::Error>() {
            let problem = Problem::from(core);
            if problem.status >= 500 {
                // Locally the internals are the operator's to see.
                return Self::new(core.code(), format!("{core} [{}]", core.code()));
            }
            if problem.code == "forbidden" {
                return Self::new(core.code(), format!("{core} [{}]", core.code()));
            }
            return Self::from_problem(&problem);
        }
        if let Some(invalid) = error.downcast_ref::<InvalidValue>() {
            return Self::from_problem(&Problem::from(&voicepin_core::Error::InvalidValue(invalid.clone())));
        }
        Self::new(FAILED, format!("{error:#}"))
    }

    /// The exit code.
    pub fn exit_code(&self) -> u8 {
        exit_code(&self.code)
    }
}

/// `MinPINLength (--min-pin-length): "30" is not allowed; allowed: 4-24`.
fn invalid_value(parameter: &str, value: &str, allowed: &str) -> String {
    format!("{parameter} ({}): {value:?} is not allowed; allowed: {allowed}", option_for(parameter))
}

/// The CLI option of an Exchange parameter name.
pub fn option_for(field: &str) -> String {
    match field {
        "Identity" => "IDENTITY".into(),
        "Extensions" => "--extension".into(),
        "PhoneNumbers" => "--phone-number".into(),
        "UMMailboxPolicy" => "--policy".into(),
        "UMDialPlan" => "--dial-plan".into(),
        other => format!("--{}", voicepin_core::naming::kebab_case(other)),
    }
}

#[cfg(test)]
mod tests {
    use voicepin_core::rules::PinRuleViolation;

    use super::*;

    fn problem(status: u16, code: &str, detail: &str) -> Problem {
        Problem { status, code: code.into(), detail: detail.into(), ..Problem::default() }
    }

    #[test]
    fn problems_read_like_local_errors_from_their_members() {
        let invalid = voicepin_core::Error::InvalidValue(InvalidValue::new("MinPINLength", "4-24", "30".into()));
        let remote = Failure::from_problem(&Problem::from(&invalid));
        assert_eq!(remote.message, r#"MinPINLength (--min-pin-length): "30" is not allowed; allowed: 4-24"#);
        assert_eq!(remote, Failure::of(&anyhow::Error::from(invalid)));
        assert_eq!(remote.exit_code(), EXIT_USAGE);
        // The English detail is never parsed: a problem without the members says its detail.
        let bare = problem(422, "invalid-value", r#"MinPINLength: "30" is not allowed (allowed: 4-24)"#);
        assert_eq!(Failure::from_problem(&bare).message, format!("{} [invalid-value]", bare.detail));

        let rejected =
            voicepin_core::Error::PinRejected(vec![PinRuleViolation::TooShort { min: 6 }, PinRuleViolation::CommonPin]);
        let failure = Failure::from_problem(&Problem::from(&rejected));
        assert!(failure.message.starts_with("PIN (--pin): rejected by the policy: "), "{}", failure.message);
        assert!(failure.message.contains(" [too-short]; ") && failure.message.ends_with(" [common-pin]"));
        assert_eq!(failure, Failure::of(&anyhow::Error::from(rejected)));
        assert_eq!(failure.exit_code(), EXIT_REFUSED);

        let forbidden = problem(403, "forbidden", "the role Help Desk (helpDesk) does not allow managePolicies");
        assert_eq!(
            Failure::from_problem(&forbidden).message,
            "the role Help Desk (helpDesk) does not allow managePolicies [forbidden]"
        );
        assert_eq!(Failure::from_problem(&forbidden).exit_code(), EXIT_REFUSED);
        let unauthenticated = problem(401, "unauthenticated", "authentication required");
        assert!(Failure::from_problem(&unauthenticated).message.contains("did not accept the API token"));
        assert_eq!(Failure::from_problem(&problem(400, "unknown-field", "x")).exit_code(), EXIT_USAGE);
    }

    #[test]
    fn the_cli_s_own_failures_have_codes_in_the_same_table() {
        assert_eq!(exit_code(LOCAL_ONLY), EXIT_USAGE);
        assert_eq!(exit_code(NO_TOKEN), EXIT_USAGE);
        assert_eq!(exit_code(UNREACHABLE), EXIT_REFUSED);
        assert_eq!(Failure::of(&anyhow::anyhow!("disk full")).exit_code(), EXIT_REFUSED);
    }
}
