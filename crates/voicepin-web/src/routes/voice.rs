//! Sign-in for PBXs that keep their own voice mail (Asterisk, FreeSWITCH).

use axum::extract::State;
use voicepin_core::InvalidValue;
use voicepin_core::context::{CallerId, SystemName};
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
    // The audit log records where the call came from as well as which PBX asked; the core
    // checks what the PBX reports (it could forge or hide audit lines) and counts failures
    // per source.
    let caller_id = reported("callerId", body.caller_id.as_deref(), CallerId::parse)?;
    let calling_system = reported("callingSystem", body.calling_system.as_deref(), SystemName::parse)?;
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
    context.source = context.source.with_calling_system(calling_system).with_caller_id(caller_id);
    let request = SignIn { identity, dial_plan: body.dial_plan, pin: body.pin.into_pin() };
    let result = state.voicepin.sign_in(&context, &request).await?;
    let outcome = match result.outcome {
        SignInOutcome::Success => SignInOutcomeView::Success,
        SignInOutcome::PinChangeRequired => SignInOutcomeView::PinChangeRequired,
        SignInOutcome::Failed => SignInOutcomeView::Failed,
    };
    Ok(axum::Json(SignInResponse { outcome }))
}

/// A value the PBX reports, checked by the core's type; empty counts as not given.
fn reported<T>(
    field: &'static str,
    value: Option<&str>,
    parse: fn(&'static str, &str) -> Result<T, InvalidValue>,
) -> Result<Option<T>, ApiError> {
    match value {
        Some(text) if !text.is_empty() => {
            parse(field, text).map(Some).map_err(|e| ApiError::from(voicepin_core::Error::from(e)))
        }
        _ => Ok(None),
    }
}
