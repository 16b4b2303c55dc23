//! Password sign-in and browser sessions: sign in (a cookie and a CSRF token), the current
//! session, sign out, and changing one's own password.

use std::time::Instant;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use voicepin_core::audit::{Channel, RequestContext};

use crate::ApiState;
use crate::auth::{PeerAddress, SESSION_COOKIE, SessionCaller};
use crate::dto::{ChangePasswordRequest, PasswordSignInRequest, SessionView};
use crate::extract::Json;
use crate::problem::{ApiError, Problem};

/// The `Set-Cookie` value of a session: HttpOnly, SameSite=Strict, and Secure when the
/// server is reached over https. `Max-Age=0` (with an empty value) clears it.
pub(crate) fn session_cookie(value: &str, secure: bool, clear: bool) -> Result<HeaderValue, ApiError> {
    let secure = if secure { "; Secure" } else { "" };
    let clear = if clear { "; Max-Age=0" } else { "" };
    HeaderValue::from_str(&format!("{SESSION_COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/{clear}{secure}"))
        .map_err(|_| ApiError::BodyUnreadable)
}

/// Signs in with an administrator account's name and password. Sets the session cookie
/// (`voicepin_session`, HttpOnly, SameSite=Strict) and answers the session's CSRF token, which
/// every POST, PUT, PATCH and DELETE with the cookie must carry as `X-CSRF-Token`. Failures
/// do not say why; attempts are limited per source address and per account.
#[utoipa::path(
    post, path = "/api/v1/sessions", tag = "sessions",
    request_body = PasswordSignInRequest,
    responses(
        (status = 201, description = "Signed in; the cookie is set", body = SessionView,
            headers(("set-cookie" = String, description = "voicepin_session=...; HttpOnly; SameSite=Strict; Path=/"))),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts", body = Problem, content_type = "application/problem+json",
            headers(("retry-after" = u64, description = "Seconds to wait"))),
        (status = "4XX", description = "Refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
pub async fn sign_in(
    State(state): State<ApiState>,
    PeerAddress(source): PeerAddress,
    Json(body): Json<PasswordSignInRequest>,
) -> Result<Response, ApiError> {
    if let Err(wait) =
        state.sign_in_limiter.attempt(source.map(|a| a.to_string()).as_deref(), &body.name, Instant::now())
    {
        return Err(ApiError::RateLimited { retry_after_seconds: wait.as_secs().max(1) });
    }
    let context = RequestContext::anonymous(Channel::Web).from_address(source);
    let signed_in = match state.voicepin.sign_in_with_password(&context, &body.name, &body.password.0).await {
        Ok(signed_in) => signed_in,
        Err(voicepin_core::Error::AuthenticationFailed) => return Err(ApiError::SignInFailed),
        Err(other) => return Err(other.into()),
    };
    let cookie = session_cookie(signed_in.secret.expose(), state.secure_cookies, false)?;
    let mut response = (StatusCode::CREATED, axum::Json(SessionView::from(&signed_in.auth))).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// The current session: who it is, its CSRF token, whether the password must change first.
#[utoipa::path(
    get, path = "/api/v1/sessions/current", tag = "sessions",
    responses(
        (status = 200, description = "The session", body = SessionView),
        (status = "4XX", description = "Refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []))
)]
pub async fn current(caller: SessionCaller) -> Response {
    let mut response = axum::Json(SessionView::from(&caller.session)).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Signs out: the session ends and the cookie is cleared.
#[utoipa::path(
    delete, path = "/api/v1/sessions/current", tag = "sessions",
    responses(
        (status = 204, description = "Signed out"),
        (status = "4XX", description = "Refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []))
)]
pub async fn sign_out(caller: SessionCaller, State(state): State<ApiState>) -> Result<Response, ApiError> {
    state.voicepin.sign_out(&caller.context, &caller.session).await?;
    let cleared = session_cookie("", state.secure_cookies, true)?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(header::SET_COOKIE, cleared);
    Ok(response)
}

/// Changes the signed-in account's password; needs the current one (or the one-time
/// password). A wrong current password counts as a failed sign-in.
#[utoipa::path(
    put, path = "/api/v1/account/password", tag = "sessions",
    request_body = ChangePasswordRequest,
    responses(
        (status = 200, description = "Changed; the session is replaced by a new one (a new cookie and CSRF token)",
            body = SessionView,
            headers(("set-cookie" = String, description = "voicepin_session=...; HttpOnly; SameSite=Strict; Path=/"))),
        (status = "4XX", description = "Refused", body = Problem, content_type = "application/problem+json"),
    ),
    security(("session" = []))
)]
pub async fn change_password(
    caller: SessionCaller,
    State(state): State<ApiState>,
    Json(body): Json<ChangePasswordRequest>,
) -> Result<Response, ApiError> {
    let signed_in = state
        .voicepin
        .change_own_password(
            &caller.context,
            caller.session.account_id,
            caller.session.session_id,
            &body.current_password.0,
            &body.new_password.0,
        )
        .await?;
    let cookie = session_cookie(signed_in.secret.expose(), state.secure_cookies, false)?;
    let mut response = axum::Json(SessionView::from(&signed_in.auth)).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
