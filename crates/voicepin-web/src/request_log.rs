//! One log line per HTTP request, at info level on the target `voicepin::http`: the request
//! id, method, route template, path, status, latency, peer address and the authenticated
//! actor. With `log.format = "json"` each becomes one JSON object.
//!
//! Never logged: query strings, headers (so no `Authorization` or cookie), bodies (so no PIN
//! or password). The path is kept (it names a mailbox, which an operator needs) without its
//! query string; no route carries a secret in its path.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::connect_info::{ConnectInfo, MockConnectInfo};
use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

/// The response header (and accepted request header) carrying the request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The longest path logged; longer ones are cut (they are not ours).
const MAX_LOGGED_PATH: usize = 256;

/// Where the authentication extractor leaves the caller's name for the request log; in the
/// request's extensions.
#[derive(Clone, Debug, Default)]
pub struct ActorSlot(Arc<OnceLock<String>>);

impl ActorSlot {
    /// Records who made the request (the first name recorded stays).
    pub fn set(&self, actor: &str) {
        let _ = self.0.set(actor.to_owned());
    }

    fn get(&self) -> Option<&str> {
        self.0.get().map(String::as_str)
    }
}

/// Middleware: logs the request once it is answered, and returns its id in `x-request-id`.
pub async fn log(mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_plain_id(v))
        .map_or_else(|| uuid::Uuid::new_v4().simple().to_string(), str::to_owned);
    let method = request.method().as_str().to_owned();
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()).to_owned();
    let path: String = request.uri().path().chars().take(MAX_LOGGED_PATH).collect();
    let peer = peer(&request);
    let actor = ActorSlot::default();
    request.extensions_mut().insert(actor.clone());

    let mut response = next.run(request).await;

    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    tracing::info!(
        target: "voicepin::http",
        request_id = %id,
        method = %method,
        route = %route,
        path = %path,
        status = response.status().as_u16(),
        latency_ms = (latency_ms * 1000.0).round() / 1000.0,
        peer = %peer.as_deref().unwrap_or("-"),
        actor = %actor.get().unwrap_or("-"),
        "request"
    );
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

/// The peer address, from the server (or, in tests, from `MockConnectInfo`).
fn peer(request: &Request) -> Option<String> {
    let extensions = request.extensions();
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.to_string())
        .or_else(|| extensions.get::<MockConnectInfo<SocketAddr>>().map(|MockConnectInfo(peer)| peer.to_string()))
}

/// A request id a proxy may hand us: short, letters, digits and `-._` only (it is echoed
/// into a header and the log).
fn is_plain_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_request_ids_are_taken_over() {
        assert!(is_plain_id("3f2a-11.b_c"));
        assert!(!is_plain_id(""));
        assert!(!is_plain_id("a b"));
        assert!(!is_plain_id("a\r\nSet-Cookie: x"));
        assert!(!is_plain_id(&"a".repeat(65)));
    }
}
