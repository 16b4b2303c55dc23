//! The voicepin HTTP API: REST under `/api/v1` over the core use cases, its OpenAPI document
//! and Swagger UI, health checks and Prometheus metrics.
//!
//! The binary mounts [`router`] and serves it with
//! `into_make_service_with_connect_info::<SocketAddr>()`, so the audit log gets the peer
//! address. Every `/api/v1` route needs `Authorization: Bearer <token>`, checked by the
//! [`Authenticator`] the binary provides; the caller's role then decides, in the core's one
//! table, what it may do. Errors are RFC 9457 problem details ([`problem`]).
//!
//! The flow of a request, top to bottom: [`auth`] (who), [`extract`] (the body and query,
//! read without ever echoing a PIN), [`routes`] (one handler per use case), [`problem`]
//! (every failure to one status, in one place).

#![warn(missing_docs)]

pub mod auth;
pub mod error;
pub mod extract;
pub mod limits;
pub mod metrics;
pub mod openapi;
pub mod pages;
pub mod problem;
pub mod request_log;
pub mod routes;

/// The request and response bodies: the wire vocabulary the CLI's client shares.
pub use voicepin_wire as dto;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use utoipa::OpenApi as _;
use utoipa_swagger_ui::SwaggerUi;
use voicepin_core::VoicePin;
use voicepin_core::audit::RequestContext;

pub use auth::{AuthError, Authenticator, Caller, Principal, SessionCaller};
pub use metrics::Metrics;
pub use openapi::ApiDoc;
pub use problem::{ApiError, Problem};

use crate::limits::SignInLimiter;
use crate::routes::{accounts, audit, config, mailboxes, sessions, voice};

/// What every handler shares: the use cases, the authenticator, the metrics and the
/// password sign-in limits.
#[derive(Clone)]
pub struct ApiState {
    /// The use cases.
    pub voicepin: VoicePin,
    /// Checks bearer tokens.
    pub authenticator: Arc<dyn Authenticator>,
    /// The router's metrics.
    pub metrics: Arc<Metrics>,
    /// Password sign-in attempts per source address and per account.
    pub sign_in_limiter: Arc<SignInLimiter>,
    /// Mark the session cookie `Secure` (the server is reached over https).
    pub secure_cookies: bool,
    /// Self-service link requests per source address and per name typed (`/my/voicemail`).
    pub self_service_limiter: Arc<SignInLimiter>,
    /// The address users reach the server at (`http.public_url`): the base of the links
    /// the self-service pages mail. `None`: the request's Host.
    pub public_url: Option<String>,
}

impl ApiState {
    /// The state over the use cases and an authenticator, with fresh metrics and limits.
    pub fn new(voicepin: VoicePin, authenticator: Arc<dyn Authenticator>) -> Self {
        Self::with_metrics(voicepin, authenticator, Arc::new(Metrics::new()))
    }

    /// The state with the given metrics, which the use cases report their sign-ins, resets
    /// and lockouts to (the binary shares them with its other front ends and the mail worker).
    pub fn with_metrics(voicepin: VoicePin, authenticator: Arc<dyn Authenticator>, metrics: Arc<Metrics>) -> Self {
        let voicepin = voicepin.with_telemetry(metrics.clone());
        Self {
            voicepin,
            authenticator,
            metrics,
            sign_in_limiter: Arc::new(SignInLimiter::new()),
            secure_cookies: false,
            self_service_limiter: Arc::new(SignInLimiter::with_limits(
                limits::SELF_SERVICE_PER_SOURCE,
                limits::SELF_SERVICE_PER_NAME,
            )),
            public_url: None,
        }
    }

    /// Marks session cookies `Secure` (set when the public URL is https).
    pub fn with_secure_cookies(mut self, secure: bool) -> Self {
        self.secure_cookies = secure;
        self
    }
}

/// The whole HTTP surface: `/api/v1/...`, `/api/openapi.json`, `/api/docs`, `/healthz`,
/// `/readyz` and `/metrics` (to an authenticated caller only: its counters move with
/// sign-in outcomes, which must not be public; see [`metrics_router`] for a scraper).
pub fn router(state: ApiState) -> Router {
    let api = Router::new()
        .route("/api/v1/mailboxes", post(mailboxes::enable).get(mailboxes::list))
        .route("/api/v1/mailboxes/{identity}", get(mailboxes::get).patch(mailboxes::update).delete(mailboxes::disable))
        .route("/api/v1/pins", get(mailboxes::list_pins))
        .route("/api/v1/mailboxes/{identity}/pin", get(mailboxes::get_pin).put(mailboxes::set_pin))
        .route("/api/v1/mailboxes/{identity}/lock", post(mailboxes::lock))
        .route("/api/v1/mailboxes/{identity}/unlock", post(mailboxes::unlock))
        .route("/api/v1/policies", get(config::list_policies).post(config::create_policy))
        .route(
            "/api/v1/policies/{identity}",
            get(config::get_policy).patch(config::update_policy).delete(config::remove_policy),
        )
        .route("/api/v1/dial-plans", get(config::list_dial_plans).post(config::create_dial_plan))
        .route(
            "/api/v1/dial-plans/{identity}",
            get(config::get_dial_plan).patch(config::update_dial_plan).delete(config::remove_dial_plan),
        )
        .route("/api/v1/audit-events", get(audit::list))
        .route("/api/v1/voice-access/sign-in", post(voice::sign_in))
        .route("/api/v1/admin-accounts", get(accounts::list).post(accounts::create))
        .route("/api/v1/admin-accounts/{name}", get(accounts::get).patch(accounts::update).delete(accounts::remove))
        .route("/api/v1/admin-accounts/{name}/reset-password", post(accounts::reset_password))
        .route("/api/v1/api-tokens", get(accounts::list_tokens).post(accounts::create_token))
        .route("/api/v1/api-tokens/{identity}", axum::routing::delete(accounts::revoke_token))
        .route("/api/v1/sessions", post(sessions::sign_in))
        .route("/api/v1/sessions/current", get(sessions::current).delete(sessions::sign_out))
        .route("/api/v1/account/password", axum::routing::put(sessions::change_password))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(authenticated_metrics))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(extract::MAX_BODY_BYTES))
        .with_state(state.clone());
    let docs: Router = SwaggerUi::new("/api/docs").url("/api/openapi.json", ApiDoc::openapi()).into();
    let pages = pages::router().with_state(state.clone());
    api.merge(docs)
        .merge(pages)
        .layer(axum::middleware::from_fn_with_state(state.metrics.clone(), metrics::track))
        .layer(axum::middleware::from_fn(request_log::log))
}

async fn not_found() -> ApiError {
    ApiError::NoSuchRoute
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// `GET /healthz`: the process is up.
async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`: the store answers a cheap read.
async fn readyz(State(state): State<ApiState>) -> Response {
    match state.voicepin.check_ready(&RequestContext::system()).await {
        Ok(_) => "ready".into_response(),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "the store is not reachable").into_response()
        }
    }
}

/// `/metrics` alone and without authentication, for a listener of its own
/// (`http.metrics_listen`, on loopback or a monitoring network).
pub fn metrics_router(state: ApiState) -> Router {
    Router::new().route("/metrics", get(render_metrics)).fallback(not_found).with_state(state)
}

/// `GET /metrics` on the API's address: any API token or session (a View-Only token for
/// Prometheus), never anonymous.
async fn authenticated_metrics(_caller: auth::Caller, state: State<ApiState>) -> Response {
    render_metrics(state).await
}

/// `GET /metrics`: the Prometheus text format. The mail queue gauges are read from the store
/// at each scrape, so they are right whichever process queued or delivered.
async fn render_metrics(State(state): State<ApiState>) -> Response {
    match state.voicepin.mail_queue_stats(&RequestContext::system()).await {
        Ok(stats) => state.metrics.observe_mail_queue(&stats, time::OffsetDateTime::now_utc()),
        Err(error) => tracing::warn!(%error, "reading the mail queue for the metrics failed"),
    }
    let mut response = state.metrics.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    response
}
