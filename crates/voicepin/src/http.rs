//! The HTTP side of `voicepin serve`: the API router of voicepin-web, authenticated by the
//! API tokens in the store, served connection by connection under limits that keep slow or
//! greedy clients from taking the server from everyone else:
//!
//! - a request's headers must arrive within `http.header_read_timeout_secs` (a connection
//!   kept alive waits no longer than that for its next request either);
//! - its body, and the answer, within `http.request_timeout_secs` (408 otherwise);
//! - at most `http.max_connections` connections at once, and `http.max_connections_per_source`
//!   from one address; a connection over either is closed at once, unread.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::{Context, Result};
use async_trait::async_trait;
use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse as _, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt as _;
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

/// The limits every connection is served under.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    /// Time for a request's headers, and for an idle kept-alive connection's next request.
    pub header_read_timeout: Duration,
    /// Time for a request's body and its answer.
    pub request_timeout: Duration,
    /// Connections at once, from everyone.
    pub max_connections: usize,
    /// Connections at once from one address.
    pub max_connections_per_source: usize,
}

impl ConnectionLimits {
    /// The limits of `[http]`.
    pub fn of(settings: &HttpConfig) -> Self {
        Self {
            header_read_timeout: Duration::from_secs(settings.header_read_timeout_secs.into()),
            request_timeout: Duration::from_secs(settings.request_timeout_secs.into()),
            max_connections: settings.max_connections as usize,
            max_connections_per_source: settings.max_connections_per_source as usize,
        }
    }
}

/// Serves the API (and `/metrics` alone on `metrics`, when given) until `shutdown`
/// completes; requests in flight finish first.
pub async fn serve(
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
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
    state.public_url = settings.public_url.clone().or_else(|| own_url(&listener));
    let limits = ConnectionLimits::of(&settings);
    let (stop, stopped) = watch::channel(false);
    let metrics_task = metrics_listener.map(|listener| {
        tokio::spawn(serve_connections(listener, voicepin_web::metrics_router(state.clone()), limits, stopped.clone()))
    });
    let api = tokio::spawn(serve_connections(listener, voicepin_web::router(state), limits, stopped));
    shutdown.await;
    let _ = stop.send(true);
    if let Some(task) = metrics_task {
        task.await.context("the metrics listener")?;
    }
    api.await.context("the API listener")?;
    Ok(())
}

/// Where self-service links lead when `http.public_url` is not set: the address this server
/// listens on, never a request's Host header (anyone may send one, and a link mailed to a
/// user must not lead to a host the requester chose). Listening on every address, there is
/// no one address to name: links then take the request's Host, and the start warns.
fn own_url(listener: &TcpListener) -> Option<String> {
    let address = listener.local_addr().ok()?;
    if address.ip().is_unspecified() {
        tracing::warn!("http.public_url is not set: self-service links take the host each request names");
        eprintln!(
            "voicepin: warning: http.public_url is not set and the server listens on every address: \
             self-service links will take the host each request names; set http.public_url"
        );
        return None;
    }
    Some(format!("http://{address}"))
}

/// Connections at once, per source address, released when a connection ends.
#[derive(Default)]
struct PerSource(Mutex<HashMap<IpAddr, usize>>);

/// One connection's place in [`PerSource`].
struct SourceSlot {
    sources: Arc<PerSource>,
    ip: IpAddr,
}

impl PerSource {
    fn take(self: &Arc<Self>, ip: IpAddr, max: usize) -> Option<SourceSlot> {
        let mut counts = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let count = counts.entry(ip).or_insert(0);
        if *count >= max {
            return None;
        }
        *count += 1;
        Some(SourceSlot { sources: self.clone(), ip })
    }
}

impl Drop for SourceSlot {
    fn drop(&mut self) {
        let mut counts = self.sources.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = counts.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}

/// Accepts and serves connections under `limits` until `stopped` turns true, then waits for
/// the connections in flight to finish their requests.
async fn serve_connections(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    mut stopped: watch::Receiver<bool>,
) {
    let total = Arc::new(Semaphore::new(limits.max_connections));
    let sources = Arc::new(PerSource::default());
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = until_stopped(&mut stopped) => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors, most likely: give the connections time to end.
                tracing::warn!(%error, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = total.clone().try_acquire_owned() else {
            tracing::debug!(%peer, "connection refused: http.max_connections reached");
            continue;
        };
        let Some(slot) = sources.take(peer.ip(), limits.max_connections_per_source) else {
            tracing::debug!(%peer, "connection refused: http.max_connections_per_source reached");
            continue;
        };
        let (router, stopped) = (router.clone(), stopped.clone());
        tokio::spawn(async move {
            serve_one(stream, peer, router, limits, stopped).await;
            drop((permit, slot));
        });
    }
    // Every permit back: the connections in flight are done.
    let _ = total.acquire_many(u32::try_from(limits.max_connections).unwrap_or(u32::MAX)).await;
}

async fn serve_one(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: ConnectionLimits,
    mut stopped: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        let router = router.clone();
        async move {
            match tokio::time::timeout(limits.request_timeout, router.oneshot(request)).await {
                Ok(answer) => answer,
                Err(_) => Ok::<Response, Infallible>(
                    (StatusCode::REQUEST_TIMEOUT, "the request took too long (http.request_timeout_secs)")
                        .into_response(),
                ),
            }
        }
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(Some(limits.header_read_timeout))
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    let mut connection = std::pin::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(error) = result {
                tracing::debug!(%peer, %error, "connection ended");
            }
        }
        () = until_stopped(&mut stopped) => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}

/// Completes when `stopped` turns true (or its sender is gone).
async fn until_stopped(stopped: &mut watch::Receiver<bool>) {
    let _ = stopped.wait_for(|s| *s).await;
}
