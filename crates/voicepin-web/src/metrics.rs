//! Prometheus metrics: HTTP requests by route, method and status, their latency, and
//! sign-in outcomes. One registry per router, so tests (and two routers) never share counts.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Labels of a request counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: String,
}

/// Labels of a latency histogram.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LatencyLabels {
    route: String,
    method: String,
}

/// Labels of the sign-in counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: String,
}

type HistogramFamily = Family<LatencyLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 0.5 ms to about 16 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

/// The metrics of one router.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily,
    sign_ins: Family<OutcomeLabels, Counter>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with every metric at zero.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("voicepin");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: HistogramFamily = Family::new_with_constructor(latency_histogram);
        let sign_ins = Family::<OutcomeLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests by route, method and status", requests.clone());
        registry.register("http_request_duration_seconds", "HTTP request latency by route and method", latency.clone());
        registry.register("sign_ins", "Voice access sign-ins through the API by outcome", sign_ins.clone());
        for outcome in ["success", "pinChangeRequired", "failed"] {
            // Present from the start, so a rate over them is defined before the first call.
            sign_ins.get_or_create(&OutcomeLabels { outcome: outcome.to_owned() }).inc_by(0);
        }
        Self { registry, requests, latency, sign_ins }
    }

    /// Counts a sign-in outcome (`success`, `pinChangeRequired`, `failed`).
    pub fn sign_in(&self, outcome: &str) {
        self.sign_ins.get_or_create(&OutcomeLabels { outcome: outcome.to_owned() }).inc();
    }

    fn request(&self, route: &str, method: &str, status: u16, seconds: f64) {
        let labels = RequestLabels { route: route.to_owned(), method: method.to_owned(), status: status.to_string() };
        self.requests.get_or_create(&labels).inc();
        self.latency
            .get_or_create(&LatencyLabels { route: route.to_owned(), method: method.to_owned() })
            .observe(seconds);
    }

    /// The metrics in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut text = String::new();
        if prometheus_client::encoding::text::encode(&mut text, &self.registry).is_err() {
            text.clear();
        }
        text
    }
}

/// Middleware: counts and times every request under its route pattern (never its path, so
/// identities do not become label values).
pub async fn track(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()).to_owned();
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.request(&route, &method, response.status().as_u16(), started.elapsed().as_secs_f64());
    response
}
