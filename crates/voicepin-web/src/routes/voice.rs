//! Sign-in for PBXs that keep their own voice mail (Asterisk, FreeSWITCH).

use axum::extract::State;
use voicepin_core::InvalidValue;
use voicepin_core::signin::SignInOutcome;
use voicepin_core::usecases::SignIn;

use crate::ApiState;
use crate::auth::Caller;
use crate::dto::{SignInOutcomeView, SignInRequest, SignInResponse};
use crate::extract::Json;
use crate::problem::{ApiError, Problem};

/// Signs in to a mailbox with an extension (or identity) and the PIN the caller keyed in.
/// `success`, `pinChangeRequired` and `failed` all answer 200; `failed` does not say why.
#[utoipa::path(
    post, path = "/api/v1/voice-access/sign-in", tag = "voice access",
    request_body = SignInRequest,
    responses(
        (status = 200, description = "The outcome", body = SignInResponse),
        (status = "4XX", description = "Refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn sign_in(
    caller: Caller,
    State(state): State<ApiState>,
    Json(body): Json<SignInRequest>,
) -> Result<axum::Json<SignInResponse>, ApiError> {
    let started = tokio::time::Instant::now();
    check_source("callerId", body.caller_id.as_deref(), is_caller_id, CALLER_ID_ALLOWED)?;
    check_source("callingSystem", body.calling_system.as_deref(), is_system_name, SYSTEM_NAME_ALLOWED)?;
    let identity = match (body.extension, body.identity) {
        (Some(extension), None) => extension,
        (None, Some(identity)) => identity,
        (extension, _) => {
            let given = if extension.is_some() { "both" } else { "neither" };
            return Err(voicepin_core::Error::from(InvalidValue::new(
                "identity",
                "an extension or an identity (exactly one of the two)",
                given.to_owned(),
            ))
            .into());
        }
    };
    let mut context = caller.context;
    // The audit log records where the call came from as well as which PBX asked.
    let mut source = context.source.take().unwrap_or_default();
    if let Some(system) = body.calling_system.as_deref().filter(|s| !s.is_empty()) {
        source = format!("{source} system={system}").trim().to_owned();
    }
    if let Some(caller_id) = body.caller_id.as_deref().filter(|s| !s.is_empty()) {
        source = format!("{source} callerId={caller_id}").trim().to_owned();
    }
    context.source = (!source.is_empty()).then_some(source);
    let request = SignIn { identity, dial_plan: body.dial_plan, pin: body.pin.into_pin() };
    let result = state.voicepin.sign_in(&context, &request).await;
    if !matches!(&result, Ok(r) if r.outcome != SignInOutcome::Failed) {
        // Every failed answer leaves at the same time after the request came in.
        tokio::time::sleep_until(started + state.failed_sign_in_answer).await;
    }
    let result = result?;
    let outcome = match result.outcome {
        SignInOutcome::Success => SignInOutcomeView::Success,
        SignInOutcome::PinChangeRequired => SignInOutcomeView::PinChangeRequired,
        SignInOutcome::Failed => SignInOutcomeView::Failed,
    };
    Ok(axum::Json(SignInResponse { outcome }))
}

const CALLER_ID_ALLOWED: &str = "an E.164 number (+ and 1 to 15 digits) or the user part of a SIP URI \
     (at most 64 letters, digits and -_.!~*'()&=+$,;?/)";
const SYSTEM_NAME_ALLOWED: &str = "a short name: 1 to 64 letters, digits, '.', '_' or '-'";

/// Refuses a caller-reported source that is not of its shape: it goes to the audit log,
/// where newlines, escapes or bidi controls could forge or hide lines.
fn check_source(
    field: &'static str,
    value: Option<&str>,
    valid: fn(&str) -> bool,
    allowed: &'static str,
) -> Result<(), ApiError> {
    match value {
        Some(text) if !text.is_empty() && !valid(text) => {
            let shown: String = text.chars().take(32).flat_map(char::escape_default).collect();
            Err(voicepin_core::Error::from(InvalidValue::new(field, allowed, shown)).into())
        }
        _ => Ok(()),
    }
}

/// E.164 (`+14255550100`) or a SIP URI's user part (RFC 3261's unreserved and user-unreserved
/// characters, no escapes), at most 64 characters.
fn is_caller_id(text: &str) -> bool {
    if let Some(digits) = text.strip_prefix('+') {
        return (1..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    }
    (1..=64).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.!~*'()&=+$,;?/".contains(&b))
}

/// A calling system's name: a short token.
fn is_system_name(text: &str) -> bool {
    (1..=64).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caller_ids_and_system_names_are_checked() {
        for good in ["+14255550100", "36697", "alice", "pbx-01.contoso"] {
            assert!(is_caller_id(good), "{good}");
        }
        for bad in ["+", "+1234567890123456", "a\nb", "\u{1b}[2J", "x\u{202e}y", "a b", "<script>", &"9".repeat(65)] {
            assert!(!is_caller_id(bad), "{bad:?}");
        }
        assert!(is_system_name("CUCM-1.contoso"));
        for bad in ["a b", "a\nb", "x\u{202e}", "a/b", &"s".repeat(65)] {
            assert!(!is_system_name(bad), "{bad:?}");
        }
    }
}
