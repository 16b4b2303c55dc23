//! Administrator accounts and API tokens: Organization Management manages them, View-Only may
//! read them; a secret (a one-time password, a token) is in the one response that creates it.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use voicepin_core::InvalidValue;
use voicepin_core::access::Role;
use voicepin_core::tokens::TokenLifetime;
use voicepin_core::usecases::AccountSettings;

use crate::ApiState;
use crate::auth::Caller;
use crate::dto::{
    AdminAccountView, ApiTokenCreated, ApiTokenView, NewAdminAccountRequest, NewApiTokenRequest,
    OneTimePasswordResponse, SetAdminAccountRequest,
};
use crate::extract::{Json, Path};
use crate::problem::{ApiError, Problem};

fn role(text: &str) -> Result<Role, ApiError> {
    Ok(text.parse::<Role>().map_err(voicepin_core::Error::from)?)
}

/// Every administrator account.
#[utoipa::path(
    get, path = "/api/v1/admin-accounts", tag = "accounts",
    responses(
        (status = 200, description = "The accounts, by name", body = Vec<AdminAccountView>),
        (status = "4XX", description = "Refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    caller: Caller,
    State(state): State<ApiState>,
) -> Result<axum::Json<Vec<AdminAccountView>>, ApiError> {
    let accounts = state.voicepin.list_accounts(&caller.context).await?;
    Ok(axum::Json(accounts.iter().map(AdminAccountView::from).collect()))
}

/// Creates an administrator account; the response carries its one-time password, once.
#[utoipa::path(
    post, path = "/api/v1/admin-accounts", tag = "accounts",
    request_body = NewAdminAccountRequest,
    responses(
        (status = 201, description = "Created; the one-time password is shown this once", body = OneTimePasswordResponse),
        (status = "4XX", description = "Refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    caller: Caller,
    State(state): State<ApiState>,
    Json(body): Json<NewAdminAccountRequest>,
) -> Result<Response, ApiError> {
    let role = role(&body.role)?;
    let (account, password) = state.voicepin.new_account(&caller.context, &body.name, role).await?;
    let body = OneTimePasswordResponse {
        account: AdminAccountView::from(&account),
        one_time_password: password.expose().to_owned(),
    };
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

/// One administrator account, by name or id.
#[utoipa::path(
    get, path = "/api/v1/admin-accounts/{name}", tag = "accounts",
    params(("name" = String, Path, description = "The account's name or id")),
    responses(
        (status = 200, description = "The account", body = AdminAccountView),
        (status = "4XX", description = "Refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get(
    caller: Caller,
    State(state): State<ApiState>,
    Path(name): Path<String>,
) -> Result<axum::Json<AdminAccountView>, ApiError> {
    let account = state.voicepin.get_account(&caller.context, &name).await?;
    Ok(axum::Json(AdminAccountView::from(&account)))
}

/// Changes an account's role or disabled flag (disabling ends its sessions). The last enabled
/// Organization Management account cannot be demoted or disabled.
#[utoipa::path(
    patch, path = "/api/v1/admin-accounts/{name}", tag = "accounts",
    params(("name" = String, Path, description = "The account's name or id")),
    request_body = SetAdminAccountRequest,
    responses(
        (status = 200, description = "The changed account", body = AdminAccountView),
        (status = "4XX", description = "Refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn update(
    caller: Caller,
    State(state): State<ApiState>,
    Path(name): Path<String>,
    Json(body): Json<SetAdminAccountRequest>,
) -> Result<axum::Json<AdminAccountView>, ApiError> {
    let settings = AccountSettings { role: body.role.as_deref().map(role).transpose()?, disabled: body.disabled };
    let account = state.voicepin.set_account(&caller.context, &name, settings).await?;
    Ok(axum::Json(AdminAccountView::from(&account)))
}

/// Removes an account and its sessions. The last enabled Organization Management account
/// cannot be removed.
#[utoipa::path(
    delete, path = "/api/v1/admin-accounts/{name}", tag = "accounts",
    params(("name" = String, Path, description = "The account's name or id")),
    responses(
        (status = 204, description = "Removed"),
        (status = "4XX", description = "Refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn remove(
    caller: Caller,
    State(state): State<ApiState>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.voicepin.remove_account(&caller.context, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sets a new one-time password (shown once), unlocks the account and ends its sessions.
#[utoipa::path(
    post, path = "/api/v1/admin-accounts/{name}/reset-password", tag = "accounts",
    params(("name" = String, Path, description = "The account's name or id")),
    responses(
        (status = 200, description = "The one-time password, shown this once", body = OneTimePasswordResponse),
        (status = "4XX", description = "Refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn reset_password(
    caller: Caller,
    State(state): State<ApiState>,
    Path(name): Path<String>,
) -> Result<axum::Json<OneTimePasswordResponse>, ApiError> {
    let (account, password) = state.voicepin.reset_account_password(&caller.context, &name).await?;
    Ok(axum::Json(OneTimePasswordResponse {
        account: AdminAccountView::from(&account),
        one_time_password: password.expose().to_owned(),
    }))
}

/// Every API token (never their secrets).
#[utoipa::path(
    get, path = "/api/v1/api-tokens", tag = "accounts",
    responses(
        (status = 200, description = "The tokens, by name", body = Vec<ApiTokenView>),
        (status = "4XX", description = "Refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_tokens(
    caller: Caller,
    State(state): State<ApiState>,
) -> Result<axum::Json<Vec<ApiTokenView>>, ApiError> {
    let tokens = state.voicepin.list_tokens(&caller.context).await?;
    Ok(axum::Json(tokens.iter().map(ApiTokenView::from).collect()))
}

/// Creates an API token bound to a role; the response carries the token, once.
#[utoipa::path(
    post, path = "/api/v1/api-tokens", tag = "accounts",
    request_body = NewApiTokenRequest,
    responses(
        (status = 201, description = "Created; the token is shown this once", body = ApiTokenCreated),
        (status = "4XX", description = "Refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn create_token(
    caller: Caller,
    State(state): State<ApiState>,
    Json(body): Json<NewApiTokenRequest>,
) -> Result<Response, ApiError> {
    let role = role(&body.role)?;
    let lifetime = match (body.expires_in_days, body.never_expires) {
        (None, false) => None,
        (Some(days), false) => Some(TokenLifetime::Days(days)),
        (None, true) => Some(TokenLifetime::Never),
        (Some(days), true) => {
            let refused = InvalidValue::new(
                "expiresInDays",
                "a number of days, or neverExpires: true, not both",
                format!("{days} with neverExpires"),
            );
            return Err(voicepin_core::Error::from(refused).into());
        }
    };
    let (token, secret) = state.voicepin.create_token(&caller.context, &body.name, role, lifetime).await?;
    let body = ApiTokenCreated { api_token: ApiTokenView::from(&token), token: secret.expose().to_owned() };
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

/// Revokes a token, by name or id: it stops working at once.
#[utoipa::path(
    delete, path = "/api/v1/api-tokens/{identity}", tag = "accounts",
    params(("identity" = String, Path, description = "The token's name or id")),
    responses(
        (status = 200, description = "The revoked token", body = ApiTokenView),
        (status = "4XX", description = "Refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn revoke_token(
    caller: Caller,
    State(state): State<ApiState>,
    Path(identity): Path<String>,
) -> Result<axum::Json<ApiTokenView>, ApiError> {
    let token = state.voicepin.revoke_token(&caller.context, &identity).await?;
    Ok(axum::Json(ApiTokenView::from(&token)))
}
