//! Who is calling: the authentication port and the extractor that turns a bearer token into
//! the core's [`RequestContext`].

use std::net::SocketAddr;

use async_trait::async_trait;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use thiserror::Error;
use voicepin_core::access::Operation;
use voicepin_core::audit::{Channel, RequestContext};

use crate::ApiState;
use crate::problem::ApiError;

/// An authenticated caller (an API token or, later, an administrator account) and its role:
/// the core's own type, so the binary's authenticator passes it through unchanged.
pub use voicepin_core::usecases::Principal;

/// Why a request is not authenticated.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum AuthError {
    /// No `Authorization: Bearer` header.
    #[error("no bearer token was sent")]
    Missing,
    /// The token is unknown, expired or revoked (deliberately not told apart).
    #[error("the bearer token is not valid")]
    Invalid,
    /// The credentials could not be checked (the store failed).
    #[error("the credentials could not be checked: {0}")]
    Backend(String),
}

/// The authentication port: checks a bearer token. Implemented over stored API tokens by the
/// binary's wiring; tests use a fixed table.
#[async_trait]
pub trait Authenticator: Send + Sync {
    /// The principal a bearer token (the text after `Bearer `) stands for. Returns
    /// [`AuthError::Invalid`] for an unknown, expired or revoked token.
    async fn authenticate(&self, bearer: &str) -> Result<Principal, AuthError>;
}

/// The authenticated caller of an API request, as the core sees it.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The request context handed to the use cases: the principal's name and role, the API
    /// channel and the peer address.
    pub context: RequestContext,
}

impl Caller {
    /// Refuses reads the role may not make (the core checks the writes itself).
    pub fn may(&self, operation: Operation) -> Result<(), ApiError> {
        Ok(self.context.authorize(operation)?)
    }
}

/// The token of an `Authorization: Bearer <token>` header, if there is one.
fn bearer_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

impl FromRequestParts<ApiState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, Self::Rejection> {
        let token = bearer_token(parts).ok_or(AuthError::Missing)?;
        let principal = state.authenticator.authenticate(token).await?;
        if let Some(slot) = parts.extensions.get::<crate::request_log::ActorSlot>() {
            slot.set(&principal.name);
        }
        // The extractor, not the extension: it also finds the address tests mock.
        let source = ConnectInfo::<SocketAddr>::from_request_parts(parts, state)
            .await
            .ok()
            .map(|ConnectInfo(peer)| peer.ip().to_string());
        Ok(Self {
            context: RequestContext {
                actor: principal.name,
                role: Some(principal.role),
                channel: Channel::Api,
                source,
            },
        })
    }
}
