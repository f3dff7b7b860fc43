//! Prometheus metrics. The names are a contract with cfgen's generated recording and
//! alerting rules; see the README before renaming anything.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

/// The window in which a user counts as active.
pub const ACTIVE_WINDOW: Duration = Duration::from_secs(300);

/// `dependency` label of `app_dependency_up` for the database (as in `/ready`'s `checks`).
pub const DEPENDENCY_DATABASE: &str = "database";
/// `dependency` label of `app_dependency_up` for Redis.
pub const DEPENDENCY_REDIS: &str = "redis";

/// Upper bound on tracked active users (memory bound; beyond it the gauge saturates).
const ACTIVE_USERS_CAP: usize = 100_000;

/// All metrics of one process.
pub struct Metrics {
    registry: Registry,
    /// `http_requests_total{route,method,status}`.
    pub http_requests: IntCounterVec,
    /// `http_request_duration_seconds{route,method}`.
    pub http_duration: HistogramVec,
    /// `http_request_errors_total{route,method,status}` (5xx only).
    pub http_errors: IntCounterVec,
    /// `active_users`.
    active_users_gauge: IntGauge,
    active_users: Mutex<HashMap<u64, Instant>>,
    /// `user_registrations_total`.
    pub registrations: IntCounter,
    /// `orders_total{outcome}`.
    pub orders: IntCounterVec,
    /// `payments_total{outcome}`.
    pub payments: IntCounterVec,
    /// `app_dependency_up{dependency}`: 1 when the last readiness check of it passed.
    dependency_up: IntGaugeVec,
}

/// The outcome label of `orders_total` and `payments_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// `outcome="success"`.
    Success,
    /// `outcome="failed"`.
    Failed,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failed => "failed",
        }
    }
}

impl Metrics {
    /// Creates and registers every metric, including the process collector.
    pub fn new() -> Self {
        let registry = Registry::new();
        let http_requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by route template, method and status.",
            ),
            &["route", "method", "status"],
        )
        .expect("valid metric");
        let http_duration = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "HTTP request latency by route template and method.",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                10.0,
            ]),
            &["route", "method"],
        )
        .expect("valid metric");
        let http_errors = IntCounterVec::new(
            Opts::new(
                "http_request_errors_total",
                "HTTP requests answered with a 5xx status.",
            ),
            &["route", "method", "status"],
        )
        .expect("valid metric");
        let active_users_gauge = IntGauge::new(
            "active_users",
            "Distinct user ids that registered, ordered or paid in the last 5 minutes (this process).",
        )
        .expect("valid metric");
        let registrations =
            IntCounter::new("user_registrations_total", "Successful user registrations.")
                .expect("valid metric");
        let orders = IntCounterVec::new(
            Opts::new("orders_total", "Order creation attempts by outcome."),
            &["outcome"],
        )
        .expect("valid metric");
        let payments = IntCounterVec::new(
            Opts::new("payments_total", "Payment attempts by outcome."),
            &["outcome"],
        )
        .expect("valid metric");
        let dependency_up = IntGaugeVec::new(
            Opts::new(
                "app_dependency_up",
                "1 when the readiness check of the dependency passed at the last scrape or /ready, 0 when it failed or timed out.",
            ),
            &["dependency"],
        )
        .expect("valid metric");
        for outcome in ["success", "failed"] {
            orders.with_label_values(&[outcome]);
            payments.with_label_values(&[outcome]);
        }
        for c in [
            Box::new(http_requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(http_duration.clone()),
            Box::new(http_errors.clone()),
            Box::new(active_users_gauge.clone()),
            Box::new(registrations.clone()),
            Box::new(orders.clone()),
            Box::new(payments.clone()),
            Box::new(dependency_up.clone()),
            Box::new(prometheus::process_collector::ProcessCollector::for_self()),
        ] {
            registry.register(c).expect("unique metric names");
        }
        Self {
            registry,
            http_requests,
            http_duration,
            http_errors,
            active_users_gauge,
            active_users: Mutex::new(HashMap::new()),
            registrations,
            orders,
            payments,
            dependency_up,
        }
    }

    /// Records the outcome of a readiness check of `dependency` ([`DEPENDENCY_DATABASE`],
    /// [`DEPENDENCY_REDIS`]).
    pub fn dependency(&self, dependency: &str, up: bool) {
        self.dependency_up
            .with_label_values(&[dependency])
            .set(i64::from(up));
    }

    /// Records one finished HTTP request.
    pub fn observe_request(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        let mut buf = itoa_buf();
        let status = status_str(status, &mut buf);
        self.http_requests
            .with_label_values(&[route, method, status])
            .inc();
        self.http_duration
            .with_label_values(&[route, method])
            .observe(elapsed.as_secs_f64());
        if status.starts_with('5') {
            self.http_errors
                .with_label_values(&[route, method, status])
                .inc();
        }
    }

    /// Counts an order creation outcome.
    pub fn order(&self, outcome: Outcome) {
        self.orders.with_label_values(&[outcome.label()]).inc();
    }

    /// Counts a payment outcome.
    pub fn payment(&self, outcome: Outcome) {
        self.payments.with_label_values(&[outcome.label()]).inc();
    }

    /// Marks a user as active now.
    pub fn user_seen(&self, user_id: u64) {
        let now = Instant::now();
        let mut map = self.active_users.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= ACTIVE_USERS_CAP && !map.contains_key(&user_id) {
            map.retain(|_, seen| now.duration_since(*seen) < ACTIVE_WINDOW);
            if map.len() >= ACTIVE_USERS_CAP {
                return;
            }
        }
        map.insert(user_id, now);
    }

    /// The number of users active within [`ACTIVE_WINDOW`]; prunes older entries.
    pub fn active_users(&self) -> usize {
        let now = Instant::now();
        let mut map = self.active_users.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, seen| now.duration_since(*seen) < ACTIVE_WINDOW);
        map.len()
    }

    /// Renders every metric in the Prometheus text exposition format.
    pub fn render(&self) -> String {
        let active = i64::try_from(self.active_users()).unwrap_or(i64::MAX);
        self.active_users_gauge.set(active);
        let mut buf = Vec::with_capacity(16 * 1024);
        let encoder = TextEncoder::new();
        if let Err(e) = encoder.encode(&self.registry.gather(), &mut buf) {
            tracing::error!(error = %e, "cannot encode metrics");
        }
        String::from_utf8(buf).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

fn itoa_buf() -> [u8; 3] {
    [b'0'; 3]
}

/// Formats a 3-digit HTTP status without allocating.
fn status_str(status: u16, buf: &mut [u8; 3]) -> &str {
    let s = status.clamp(100, 999);
    buf[0] = b'0' + u8::try_from(s / 100).unwrap_or(9);
    buf[1] = b'0' + u8::try_from((s / 10) % 10).unwrap_or(9);
    buf[2] = b'0' + u8::try_from(s % 10).unwrap_or(9);
    std::str::from_utf8(buf).unwrap_or("500")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_formatting() {
        let mut b = itoa_buf();
        assert_eq!(status_str(200, &mut b), "200");
        assert_eq!(status_str(503, &mut b), "503");
        assert_eq!(status_str(404, &mut b), "404");
    }

    #[test]
    fn renders_contract_names() {
        let m = Metrics::new();
        m.observe_request("/orders/{id}", "GET", 500, Duration::from_millis(3));
        m.order(Outcome::Success);
        m.payment(Outcome::Failed);
        m.registrations.inc();
        m.user_seen(7);
        m.user_seen(7);
        m.user_seen(8);
        m.dependency(DEPENDENCY_DATABASE, true);
        m.dependency(DEPENDENCY_REDIS, false);
        let text = m.render();
        for needle in [
            "http_requests_total{method=\"GET\",route=\"/orders/{id}\",status=\"500\"} 1",
            "http_request_duration_seconds_bucket{method=\"GET\",route=\"/orders/{id}\",le=\"0.005\"} 1",
            "http_request_errors_total{method=\"GET\",route=\"/orders/{id}\",status=\"500\"} 1",
            "orders_total{outcome=\"success\"} 1",
            "orders_total{outcome=\"failed\"} 0",
            "payments_total{outcome=\"failed\"} 1",
            "user_registrations_total 1",
            "active_users 2",
            "app_dependency_up{dependency=\"database\"} 1",
            "app_dependency_up{dependency=\"redis\"} 0",
            "process_resident_memory_bytes",
            "process_cpu_seconds_total",
        ] {
            assert!(text.contains(needle), "missing {needle} in\n{text}");
        }
    }
}
