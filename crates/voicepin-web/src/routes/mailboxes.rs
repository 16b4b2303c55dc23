//! Mailboxes and their PINs: Enable-, Disable-, Get-, Set-UMMailbox and Get-, Set-UMMailboxPIN.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use voicepin_core::usecases::{EnableMailbox, MailboxSettings, SetPin};

use crate::ApiState;
use crate::auth::Caller;
use crate::dto::{
    DisableQuery, EnableMailboxRequest, MailboxListQuery, MailboxPage, MailboxView, PinInfoPage, PinInfoView,
    SetMailboxRequest, SetPinRequest,
};
use crate::extract::{Json, Path, Query};
use crate::problem::{ApiError, Problem};

/// Enable-UMMailbox: enables a mailbox for voice access and queues its welcome message with
/// the PIN. With `validateOnly`, checks everything and changes nothing (200).
#[utoipa::path(
    post, path = "/api/v1/mailboxes", tag = "mailboxes",
    request_body = EnableMailboxRequest,
    responses(
        (status = 201, description = "Enabled", body = MailboxView),
        (status = 200, description = "Validated only; nothing changed", body = MailboxView),
        (status = "4XX", description = "Refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn enable(
    caller: Caller,
    State(state): State<ApiState>,
    Json(body): Json<EnableMailboxRequest>,
) -> Result<Response, ApiError> {
    let status = if body.validate_only { StatusCode::OK } else { StatusCode::CREATED };
    let enabled = state.voicepin.enable_mailbox(&caller.context, EnableMailbox::from(body)).await?;
    Ok((status, axum::Json(MailboxView::from(&enabled))).into_response())
}

/// Get-UMMailbox without an identity: a page of mailboxes in address order.
#[utoipa::path(
    get, path = "/api/v1/mailboxes", tag = "mailboxes",
    params(MailboxListQuery),
    responses(
        (status = 200, description = "A page of mailboxes", body = MailboxPage),
        (status = "4XX", description = "Refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    caller: Caller,
    State(state): State<ApiState>,
    Query(query): Query<MailboxListQuery>,
) -> Result<axum::Json<MailboxPage>, ApiError> {
    let page = state.voicepin.list_mailboxes(&caller.context, &query.into()).await?;
    Ok(axum::Json(MailboxPage { items: page.items.iter().map(MailboxView::from).collect(), next: page.next }))
}

/// Get-UMMailbox for one mailbox.
#[utoipa::path(
    get, path = "/api/v1/mailboxes/{identity}", tag = "mailboxes",
    params(("identity" = String, Path, description = "An SMTP address, an id, an extension or an alias")),
    responses(
        (status = 200, description = "The mailbox", body = MailboxView),
        (status = "4XX", description = "Refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get(
    caller: Caller,
    State(state): State<ApiState>,
    Path(identity): Path<String>,
) -> Result<axum::Json<MailboxView>, ApiError> {
    Ok(axum::Json(MailboxView::from(&state.voicepin.get_mailbox(&caller.context, &identity).await?)))
}

/// Set-UMMailbox: changes the properties given.
#[utoipa::path(
    patch, path = "/api/v1/mailboxes/{identity}", tag = "mailboxes",
    params(("identity" = String, Path, description = "An SMTP address, an id, an extension or an alias")),
    request_body = SetMailboxRequest,
    responses(
        (status = 200, description = "The changed mailbox", body = MailboxView),
        (status = "4XX", description = "Refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn update(
    caller: Caller,
    State(state): State<ApiState>,
    Path(identity): Path<String>,
    Json(body): Json<SetMailboxRequest>,
) -> Result<axum::Json<MailboxView>, ApiError> {
    let changed = state.voicepin.set_mailbox(&caller.context, &identity, MailboxSettings::from(body)).await?;
    Ok(axum::Json(MailboxView::from(&changed)))
}

/// Disable-UMMailbox.
#[utoipa::path(
    delete, path = "/api/v1/mailboxes/{identity}", tag = "mailboxes",
    params(("identity" = String, Path, description = "An SMTP address, an id, an extension or an alias"), DisableQuery),
    responses(
        (status = 204, description = "Disabled"),
        (status = "4XX", description = "Refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn disable(
    caller: Caller,
    State(state): State<ApiState>,
    Path(identity): Path<String>,
    Query(query): Query<DisableQuery>,
) -> Result<StatusCode, ApiError> {
    let keep = query.keep_properties.unwrap_or(true);
    state.voicepin.disable_mailbox(&caller.context, &identity, keep).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Get-UMMailboxPIN without an identity: the PIN state of the UM-enabled mailboxes, a page in
/// address order (never a PIN).
#[utoipa::path(
    get, path = "/api/v1/pins", tag = "pins",
    params(MailboxListQuery),
    responses(
        (status = 200, description = "A page of PIN states", body = PinInfoPage),
        (status = "4XX", description = "Refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_pins(
    caller: Caller,
    State(state): State<ApiState>,
    Query(query): Query<MailboxListQuery>,
) -> Result<axum::Json<PinInfoPage>, ApiError> {
    let page = state.voicepin.list_pin_info(&caller.context, &query.into()).await?;
    Ok(axum::Json(PinInfoPage { items: page.items.iter().map(PinInfoView::from).collect(), next: page.next }))
}

/// Get-UMMailboxPIN: the PIN state (never the PIN).
#[utoipa::path(
    get, path = "/api/v1/mailboxes/{identity}/pin", tag = "pins",
    params(("identity" = String, Path, description = "An SMTP address, an id, an extension or an alias")),
    responses(
        (status = 200, description = "The PIN state", body = PinInfoView),
        (status = "4XX", description = "Refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_pin(
    caller: Caller,
    State(state): State<ApiState>,
    Path(identity): Path<String>,
) -> Result<axum::Json<PinInfoView>, ApiError> {
    let info = state.voicepin.get_pin_info(&caller.context, &identity).await?;
    Ok(axum::Json(PinInfoView::from(&info)))
}

/// Set-UMMailboxPIN: sets or resets the PIN (generated unless given) and emails it; with
/// only `lockedOut: false`, unlocks. Returns the PIN state.
#[utoipa::path(
    put, path = "/api/v1/mailboxes/{identity}/pin", tag = "pins",
    params(("identity" = String, Path, description = "An SMTP address, an id, an extension or an alias")),
    request_body = SetPinRequest,
    responses(
        (status = 200, description = "The new PIN state", body = PinInfoView),
        (status = "4XX", description = "Refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn set_pin(
    caller: Caller,
    State(state): State<ApiState>,
    Path(identity): Path<String>,
    Json(body): Json<SetPinRequest>,
) -> Result<axum::Json<PinInfoView>, ApiError> {
    let set = state.voicepin.set_pin(&caller.context, &identity, SetPin::from(body)).await?;
    Ok(axum::Json(PinInfoView::from(&set.info)))
}

/// Locks a mailbox out of sign-in by phone.
#[utoipa::path(
    post, path = "/api/v1/mailboxes/{identity}/lock", tag = "pins",
    params(("identity" = String, Path, description = "An SMTP address, an id, an extension or an alias")),
    responses(
        (status = 200, description = "The new PIN state", body = PinInfoView),
        (status = "4XX", description = "Refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn lock(
    caller: Caller,
    State(state): State<ApiState>,
    Path(identity): Path<String>,
) -> Result<axum::Json<PinInfoView>, ApiError> {
    let locked = state.voicepin.lock(&caller.context, &identity).await?;
    Ok(axum::Json(PinInfoView::from(&locked.info)))
}

/// Unlocks a mailbox.
#[utoipa::path(
    post, path = "/api/v1/mailboxes/{identity}/unlock", tag = "pins",
    params(("identity" = String, Path, description = "An SMTP address, an id, an extension or an alias")),
    responses(
        (status = 200, description = "The new PIN state", body = PinInfoView),
        (status = "4XX", description = "Refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn unlock(
    caller: Caller,
    State(state): State<ApiState>,
    Path(identity): Path<String>,
) -> Result<axum::Json<PinInfoView>, ApiError> {
    let unlocked = state.voicepin.unlock(&caller.context, &identity).await?;
    Ok(axum::Json(PinInfoView::from(&unlocked.info)))
}
