//! Prometheus metrics: HTTP requests by route, method and status, their latency, sign-in
//! outcomes, throttled sign-ins, automatic PIN resets and lockouts (reported by the core through its
//! [`Telemetry`] port, whatever the front end), mail delivery and the mail queue, and the
//! telephone front end's calls (active, by outcome) and digits by DTMF source. One
//! registry per router, so tests (and two routers) never share counts.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use time::OffsetDateTime;
use voicepin_core::ports::MailQueueStats;
use voicepin_core::signin::SignInOutcome;
use voicepin_core::telemetry::Telemetry;
use voicepin_core::throttle::SourceKind;

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

/// Labels of the throttled sign-in counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ThrottleLabels {
    verdict: String,
    source: String,
}

/// Labels of the mail delivery counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeliveryLabels {
    result: String,
}

/// Labels of the mail queue gauge.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueueLabels {
    status: String,
}

/// Labels of the DTMF digit counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SourceLabels {
    source: String,
}

/// What one delivery run did, for [`Metrics::mail_delivered`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MailDelivery {
    /// Messages delivered.
    pub sent: u64,
    /// Failed attempts scheduled again.
    pub retried: u64,
    /// Messages given up.
    pub failed: u64,
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
    pin_auto_resets: Counter,
    lockouts: Counter,
    sign_ins_throttled: Family<ThrottleLabels, Counter>,
    mail_deliveries: Family<DeliveryLabels, Counter>,
    mail_queue: Family<QueueLabels, Gauge>,
    mail_oldest_age: Gauge<f64, std::sync::atomic::AtomicU64>,
    calls_active: Gauge,
    calls: Family<OutcomeLabels, Counter>,
    dtmf_digits: Family<SourceLabels, Counter>,
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
        registry.register("sign_ins", "Voice access sign-ins by outcome", sign_ins.clone());
        for outcome in [SignInOutcome::Success, SignInOutcome::PinChangeRequired, SignInOutcome::Failed] {
            // Present from the start, so a rate over them is defined before the first call.
            sign_ins.get_or_create(&OutcomeLabels { outcome: outcome.as_str().to_owned() }).inc_by(0);
        }
        let pin_auto_resets = Counter::default();
        registry.register(
            "pin_auto_resets",
            "PINs reset automatically after LogonFailuresBeforePINReset wrong PINs in a row",
            pin_auto_resets.clone(),
        );
        let lockouts = Counter::default();
        registry.register("lockouts", "Mailboxes locked out after MaxLogonAttempts wrong PINs", lockouts.clone());
        let sign_ins_throttled = Family::<ThrottleLabels, Counter>::default();
        registry.register(
            "sign_ins_throttled",
            "Voice sign-ins from a source with too many failures, by verdict (delayed, refused) and the kind of \
             source that decided it (callerId, address, callingSystem)",
            sign_ins_throttled.clone(),
        );
        for verdict in ["delayed", "refused"] {
            for source in SourceKind::ALL {
                let labels = ThrottleLabels { verdict: verdict.to_owned(), source: source.as_str().to_owned() };
                sign_ins_throttled.get_or_create(&labels).inc_by(0);
            }
        }
        let mail_deliveries = Family::<DeliveryLabels, Counter>::default();
        registry.register(
            "mail_deliveries",
            "Mail delivery attempts by result: sent, retried (failed for now), failed (given up)",
            mail_deliveries.clone(),
        );
        for result in ["sent", "retried", "failed"] {
            mail_deliveries.get_or_create(&DeliveryLabels { result: result.to_owned() }).inc_by(0);
        }
        let mail_queue = Family::<QueueLabels, Gauge>::default();
        registry.register(
            "mail_queue_messages",
            "Messages in the outbox by status: queued (waiting to be sent) or failed (given up, kept for a retry)",
            mail_queue.clone(),
        );
        for status in ["queued", "failed"] {
            mail_queue.get_or_create(&QueueLabels { status: status.to_owned() }).set(0);
        }
        let mail_oldest_age = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
        registry.register(
            "mail_queue_oldest_age_seconds",
            "Age of the oldest message waiting to be sent (0 when none waits)",
            mail_oldest_age.clone(),
        );
        let calls_active = Gauge::default();
        registry.register(
            "calls_active",
            "Telephone calls in progress (answered, not yet ended)",
            calls_active.clone(),
        );
        let calls = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "calls",
            "Telephone calls by outcome: completed, caller_hung_up, cancelled, refused, no_ack",
            calls.clone(),
        );
        for outcome in ["completed", "caller_hung_up", "cancelled", "refused", "no_ack"] {
            calls.get_or_create(&OutcomeLabels { outcome: outcome.to_owned() }).inc_by(0);
        }
        let dtmf_digits = Family::<SourceLabels, Counter>::default();
        registry.register(
            "dtmf_digits",
            "Keypad digits received by source: rfc4733, sip-info, inband",
            dtmf_digits.clone(),
        );
        for source in ["rfc4733", "sip-info", "inband"] {
            dtmf_digits.get_or_create(&SourceLabels { source: source.to_owned() }).inc_by(0);
        }
        Self {
            registry,
            requests,
            latency,
            sign_ins,
            pin_auto_resets,
            lockouts,
            sign_ins_throttled,
            mail_deliveries,
            mail_queue,
            mail_oldest_age,
            calls_active,
            calls,
            dtmf_digits,
        }
    }

    /// A telephone call was answered.
    pub fn call_started(&self) {
        self.calls_active.inc();
    }

    /// A telephone call ended with `outcome` (a stable label); `answered` if it had started.
    pub fn call_ended(&self, outcome: &str, answered: bool) {
        if answered {
            self.calls_active.dec();
        }
        self.calls.get_or_create(&OutcomeLabels { outcome: outcome.to_owned() }).inc();
    }

    /// A keypad digit arrived by `source` (a stable label; never the digit itself).
    pub fn dtmf_digit(&self, source: &str) {
        self.dtmf_digits.get_or_create(&SourceLabels { source: source.to_owned() }).inc();
    }

    /// Adds a mail delivery run's outcome.
    pub fn mail_delivered(&self, delivery: MailDelivery) {
        for (result, count) in [("sent", delivery.sent), ("retried", delivery.retried), ("failed", delivery.failed)] {
            self.mail_deliveries.get_or_create(&DeliveryLabels { result: result.to_owned() }).inc_by(count);
        }
    }

    /// Sets the mail queue gauges from the outbox's counts ([`voicepin_core::ports::Store::mail_queue_stats`]).
    pub fn observe_mail_queue(&self, stats: &MailQueueStats, now: OffsetDateTime) {
        let gauge = |status: &str, count: u64| {
            self.mail_queue
                .get_or_create(&QueueLabels { status: status.to_owned() })
                .set(i64::try_from(count).unwrap_or(i64::MAX));
        };
        gauge("queued", stats.queued);
        gauge("failed", stats.failed);
        let age = stats.oldest_queued_at.map_or(0.0, |created| (now - created).as_seconds_f64().max(0.0));
        self.mail_oldest_age.set(age);
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

/// The core reports here: the counters are the same whichever front end made the attempt.
impl Telemetry for Metrics {
    fn sign_in(&self, outcome: SignInOutcome) {
        self.sign_ins.get_or_create(&OutcomeLabels { outcome: outcome.as_str().to_owned() }).inc();
    }

    fn pin_auto_reset(&self) {
        self.pin_auto_resets.inc();
    }

    fn locked_out(&self) {
        self.lockouts.inc();
    }

    fn sign_in_throttled(&self, source: SourceKind, refused: bool) {
        let verdict = if refused { "refused" } else { "delayed" };
        self.sign_ins_throttled
            .get_or_create(&ThrottleLabels { verdict: verdict.to_owned(), source: source.as_str().to_owned() })
            .inc();
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
