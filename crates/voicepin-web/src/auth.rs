//! Who is calling: the authentication port for API tokens, and the extractors that turn a
//! bearer token or a session cookie into the core's [`RequestContext`].
//!
//! Sessions are the core's own (`VoicePin::authenticate_session`); with a cookie, every
//! unsafe method must carry the session's CSRF token in `X-CSRF-Token`.

use std::net::SocketAddr;

use async_trait::async_trait;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Method, header};
use voicepin_core::accounts::SessionSecret;
use voicepin_core::audit::{Channel, RequestContext};
use voicepin_core::context::Actor;
use voicepin_core::usecases::SessionAuth;

use crate::ApiState;
use crate::error::ApiError;
pub use crate::error::AuthError;

/// An authenticated caller (an API token or, later, an administrator account) and its role:
/// the core's own type, so the binary's authenticator passes it through unchanged.
pub use voicepin_core::usecases::Principal;

/// The authentication port: checks a bearer token. Implemented over stored API tokens by the
/// binary's wiring; tests use a fixed table.
#[async_trait]
pub trait Authenticator: Send + Sync {
    /// The principal a bearer token (the text after `Bearer `) stands for. Returns
    /// [`AuthError::Invalid`] for an unknown, expired or revoked token.
    async fn authenticate(&self, bearer: &str) -> Result<Principal, AuthError>;
}

/// The cookie that carries a browser session.
pub const SESSION_COOKIE: &str = "voicepin_session";
/// The header that must carry the session's CSRF token on every unsafe request.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The authenticated caller of an API request, as the core sees it. Accepts an API token
/// (`Authorization: Bearer`) or a session cookie; a session whose account must change its
/// password is refused here (see [`SessionCaller`] for the endpoints it may use).
#[derive(Clone, Debug)]
pub struct Caller {
    /// The request context handed to the use cases: the principal as an administrator (or a
    /// calling system, for the Voice Service role), the channel (`api` for a token, `web` for
    /// a session) and the peer address. The use cases decide what it may do.
    pub context: RequestContext,
    /// The session, when the caller came with a cookie.
    pub session: Option<SessionAuth>,
}

/// A caller with a session cookie (no token), whose account may still have to change its
/// password: for the session and password endpoints only.
#[derive(Clone, Debug)]
pub struct SessionCaller {
    /// The request context (channel `web`).
    pub context: RequestContext,
    /// The session.
    pub session: SessionAuth,
}

/// The token of an `Authorization: Bearer <token>` header, if there is one.
fn bearer_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The value of the session cookie, if one was sent.
pub fn session_cookie(headers: &axum::http::HeaderMap) -> Option<&str> {
    cookies(headers, SESSION_COOKIE).find(|value| !value.is_empty()).map(|value| value.trim_matches('"'))
}

/// Every value sent for the cookie `name`, in the order of the `Cookie` headers.
pub fn cookies<'a>(headers: &'a axum::http::HeaderMap, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(move |(found, _)| *found == name)
        .map(|(_, value)| value)
}

/// The peer address, for the audit log.
async fn source(parts: &mut Parts, state: &ApiState) -> Option<std::net::IpAddr> {
    // The extractor, not the extension: it also finds the address tests mock.
    ConnectInfo::<SocketAddr>::from_request_parts(parts, state).await.ok().map(|ConnectInfo(peer)| peer.ip())
}

/// The peer's address, when known: for requests that need no authentication.
#[derive(Clone, Debug)]
pub struct PeerAddress(pub Option<std::net::IpAddr>);

impl FromRequestParts<ApiState> for PeerAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, Self::Rejection> {
        Ok(Self(source(parts, state).await))
    }
}

/// Whether a method changes something (and so needs the CSRF token with a cookie).
fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Tells the request log who is calling.
fn note_actor(parts: &Parts, actor: &str) {
    if let Some(slot) = parts.extensions.get::<crate::request_log::ActorSlot>() {
        slot.set(actor);
    }
}

/// Authenticates a request by token or by session cookie (a token wins when both are sent).
async fn authenticate(parts: &mut Parts, state: &ApiState) -> Result<Caller, ApiError> {
    if let Some(token) = bearer_token(parts) {
        let principal = state.authenticator.authenticate(token).await?;
        note_actor(parts, &principal.name);
        let context = RequestContext::new(Actor::from_role(principal.name, principal.role), Channel::Api)
            .from_address(source(parts, state).await);
        return Ok(Caller { context, session: None });
    }
    let cookie = session_cookie(&parts.headers).ok_or(AuthError::Missing)?;
    let secret = SessionSecret::new(cookie);
    let session = match state.voicepin.authenticate_session(&secret).await {
        Ok(session) => session,
        Err(voicepin_core::Error::AuthenticationFailed) => return Err(AuthError::Invalid.into()),
        Err(other) => return Err(AuthError::Backend(other.code().to_owned()).into()),
    };
    note_actor(parts, &session.principal.name);
    if is_unsafe(&parts.method) {
        let presented = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
        if !secret.csrf_matches(presented) {
            return Err(ApiError::CsrfTokenInvalid);
        }
    }
    let actor = Actor::from_role(session.principal.name.clone(), session.principal.role);
    let context = RequestContext::new(actor, Channel::Web).from_address(source(parts, state).await);
    Ok(Caller { context, session: Some(session) })
}

impl FromRequestParts<ApiState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, Self::Rejection> {
        let caller = authenticate(parts, state).await?;
        if let Some(session) = &caller.session {
            session.require_password_changed()?;
        }
        Ok(caller)
    }
}

impl FromRequestParts<ApiState> for SessionCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, Self::Rejection> {
        let caller = authenticate(parts, state).await?;
        match caller.session {
            Some(session) => Ok(Self { context: caller.context, session }),
            None => Err(AuthError::SessionRequired.into()),
        }
    }
}
