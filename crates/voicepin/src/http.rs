//! The HTTP side of `voicepin serve`: the API router of voicepin-web, authenticated by the
//! API tokens in the store.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, Result};
use async_trait::async_trait;
use tokio::net::TcpListener;
use voicepin_core::VoicePin;
use voicepin_core::tokens::TokenSecret;
use voicepin_core::usecases::Principal;
use voicepin_web::limits::SignInLimiter;
use voicepin_web::{ApiState, AuthError, Authenticator, Metrics};

use crate::config::HttpConfig;

/// Bearer tokens checked against the stored API tokens, by the core's use case.
struct StoredTokens(VoicePin);

#[async_trait]
impl Authenticator for StoredTokens {
    async fn authenticate(&self, bearer: &str) -> Result<Principal, AuthError> {
        match self.0.authenticate_token(&TokenSecret::new(bearer)).await {
            Ok(principal) => Ok(principal),
            Err(voicepin_core::Error::AuthenticationFailed) => Err(AuthError::Invalid),
            Err(other) => Err(AuthError::Backend(other.code().to_owned())),
        }
    }
}

/// Binds the listening address, so a taken port fails the start at once.
pub async fn bind(listen: &str) -> Result<TcpListener> {
    TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen} (http.listen, VOICEPIN_HTTP__LISTEN)"))
}

/// Serves the API until `shutdown` completes; requests in flight finish first.
pub async fn serve(
    listener: TcpListener,
    voicepin: VoicePin,
    metrics: Arc<Metrics>,
    settings: HttpConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let mut state = ApiState::with_metrics(voicepin.clone(), Arc::new(StoredTokens(voicepin)), metrics)
        .with_secure_cookies(settings.secure_cookies());
    state.sign_in_limiter = Arc::new(SignInLimiter::with_limits(
        settings.sign_in_attempts_per_source,
        settings.sign_in_attempts_per_account,
    ));
    let app = voicepin_web::router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await.context("serving HTTP")
}
