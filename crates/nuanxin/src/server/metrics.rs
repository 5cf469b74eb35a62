//! Prometheus metrics (`prometheus-client`), served as text at `/metrics`.
//!
//! - `nuanxin_http_requests_total{method, route, status}`: requests answered;
//! - `nuanxin_http_request_duration_seconds{method, route, status}`: latency histogram;
//! - `nuanxin_index_points{kind}`: points in the spatial index, set at each scrape;
//! - `nuanxin_analyses_running`, `nuanxin_analyses_queued`: heavy analyses computing and
//!   waiting, and `nuanxin_analyses_stopped_total{reason}` (`queue_full`, `per_client`,
//!   `time_budget`), set at each scrape from [`super::throttle::AnalysisGate`];
//! - `nuanxin_outbox_rows{state}` (`pending`, `delivered`, `failed` = given up) and
//!   `nuanxin_outbox_oldest_pending_seconds`, set at each scrape from the database;
//!   `nuanxin_outbox_deliveries_total{channel, result}` (`delivered`, `retry`, `gave_up`),
//!   counted by this server's delivery worker ([`super::notify`]);
//! - `nuanxin_build_info{version, rustc}` and the `process_*` families ([`super::exposition`]).
//!
//! Every family has HELP and TYPE lines; [`Metrics::encode_for`] answers OpenMetrics or the
//! classic text format 0.0.4 by the scraper's `Accept` header.
//!
//! `route` is the matched route template (`/api/v1/points/{id}`, not the concrete path, so the
//! number of series stays bounded); requests that match no route count as `unmatched`.
//! `method` is one of the nine methods of RFC 9110 §9 and RFC 5789 (PATCH); any other
//! (clients may invent methods) counts as `other`, again to keep the series bounded.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::time::Duration;

/// Labels of the per-request series.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct RequestLabels {
    /// HTTP method, e.g. `GET`.
    pub method: String,
    /// Matched route template, or `unmatched`.
    pub route: String,
    /// Response status code.
    pub status: u16,
}

/// Labels of the index-size gauge.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct KindLabels {
    /// Service kind code.
    pub kind: String,
}

/// Labels of the stopped-analyses counter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct ReasonLabels {
    /// `queue_full`, `per_client` or `time_budget`.
    pub reason: &'static str,
}

/// Labels of the outbox row gauge.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct StateLabels {
    /// `pending`, `delivered` or `failed`.
    pub state: &'static str,
}

/// Labels of the delivery counter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct DeliveryLabels {
    /// `webhook` or `email`.
    pub channel: &'static str,
    /// `delivered`, `retry` or `gave_up`.
    pub result: &'static str,
}

/// Latency histogram bucket bounds, seconds: 50 µs … 10 s.
pub const LATENCY_BUCKETS_S: [f64; 17] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 2.5, 5.0, 10.0,
];

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS_S)
}

/// The `method` label for `method`: itself when standard (RFC 9110 §9, RFC 5789), else
/// `other`.
pub fn method_label(method: &str) -> &'static str {
    const STANDARD: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
    ];
    STANDARD
        .iter()
        .find(|m| **m == method)
        .copied()
        .unwrap_or("other")
}

/// The series of one method label and status of a route: its counter and histogram
/// (handles sharing the families' values).
type SeriesHandles = (&'static str, u16, Counter, Histogram);

/// Request counters and latency histograms per route, and the index size.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RequestLabels, Histogram, fn() -> Histogram>,
    index_points: Family<KindLabels, Gauge>,
    analyses_running: Gauge,
    analyses_queued: Gauge,
    analyses_stopped: Family<ReasonLabels, Counter>,
    outbox_rows: Family<StateLabels, Gauge>,
    outbox_oldest: Gauge<f64, std::sync::atomic::AtomicU64>,
    outbox_deliveries: Family<DeliveryLabels, Counter>,
    /// The request series already resolved, by route: [`Metrics::observe`] finds them with
    /// one lookup of the route and no allocation, instead of building the label set and
    /// looking it up in both families per request.
    resolved: std::sync::RwLock<std::collections::HashMap<Box<str>, Vec<SeriesHandles>>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("nuanxin");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RequestLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        let index_points = Family::<KindLabels, Gauge>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, matched route and status",
            requests.clone(),
        );
        registry.register_with_unit(
            "http_request_duration",
            "HTTP request latency from receipt to response headers",
            prometheus_client::registry::Unit::Seconds,
            latency.clone(),
        );
        registry.register(
            "index_points",
            "Service points in the spatial index, by kind",
            index_points.clone(),
        );
        let analyses_running = Gauge::default();
        let analyses_queued = Gauge::default();
        let analyses_stopped = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "analyses_running",
            "Heavy analyses (coverage, proposals, what-if, network service areas) computing",
            analyses_running.clone(),
        );
        registry.register(
            "analyses_queued",
            "Heavy analyses waiting for a slot",
            analyses_queued.clone(),
        );
        registry.register(
            "analyses_stopped",
            "Heavy analyses refused (queue_full: 503, per_client: 429) or stopped at their time budget (time_budget: 503)",
            analyses_stopped.clone(),
        );
        let outbox_rows = Family::<StateLabels, Gauge>::default();
        let outbox_oldest = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
        let outbox_deliveries = Family::<DeliveryLabels, Counter>::default();
        registry.register(
            "outbox_rows",
            "Notification outbox rows by state (pending, delivered, failed = given up after too many attempts)",
            outbox_rows.clone(),
        );
        registry.register_with_unit(
            "outbox_oldest_pending",
            "Age of the oldest notification waiting for delivery",
            prometheus_client::registry::Unit::Seconds,
            outbox_oldest.clone(),
        );
        registry.register(
            "outbox_deliveries",
            "Notification delivery attempts of this server, by channel and result",
            outbox_deliveries.clone(),
        );
        Self {
            registry,
            outbox_rows,
            outbox_oldest,
            outbox_deliveries,
            requests,
            latency,
            index_points,
            analyses_running,
            analyses_queued,
            analyses_stopped,
            resolved: Default::default(),
        }
    }
}

impl Metrics {
    /// Records one answered request; `method` is folded by [`method_label`].
    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let method = method_label(method);
        let seconds = elapsed.as_secs_f64();
        if let Ok(resolved) = self.resolved.read() {
            if let Some((_, _, counter, histogram)) = resolved
                .get(route)
                .and_then(|series| series.iter().find(|s| s.0 == method && s.1 == status))
            {
                counter.inc();
                histogram.observe(seconds);
                return;
            }
        }
        let labels = RequestLabels {
            method: method.to_string(),
            route: route.to_string(),
            status,
        };
        let counter = self.requests.get_or_create(&labels).clone();
        let histogram = self.latency.get_or_create(&labels).clone();
        counter.inc();
        histogram.observe(seconds);
        if let Ok(mut resolved) = self.resolved.write() {
            let series = resolved.entry(route.into()).or_default();
            if !series.iter().any(|s| s.0 == method && s.1 == status) {
                series.push((method, status, counter, histogram));
            }
        }
    }

    /// Sets the index-size gauge of `kind` to `points`.
    pub fn set_index_points(&self, kind: &str, points: usize) {
        self.index_points
            .get_or_create(&KindLabels {
                kind: kind.to_string(),
            })
            .set(i64::try_from(points).unwrap_or(i64::MAX));
    }

    /// Sets the analysis gauges and counters from the gate's counts `c`.
    pub fn set_analyses(&self, c: super::throttle::GateCounts) {
        self.analyses_running
            .set(i64::try_from(c.running).unwrap_or(i64::MAX));
        self.analyses_queued
            .set(i64::try_from(c.queued).unwrap_or(i64::MAX));
        for (reason, total) in [
            ("queue_full", c.rejected_queue_full),
            ("per_client", c.rejected_per_client),
            ("time_budget", c.over_budget),
        ] {
            let counter = self
                .analyses_stopped
                .get_or_create(&ReasonLabels { reason });
            counter.inc_by(total.saturating_sub(counter.get()));
        }
    }

    /// Sets the outbox gauges from the database's counts.
    pub fn set_outbox(&self, c: &crate::suggestions::outbox::OutboxCounts) {
        for (state, n) in [
            ("pending", c.pending),
            ("delivered", c.delivered),
            ("failed", c.failed),
        ] {
            self.outbox_rows
                .get_or_create(&StateLabels { state })
                .set(i64::try_from(n).unwrap_or(i64::MAX));
        }
        self.outbox_oldest.set(c.oldest_pending_s);
    }

    /// Counts one delivery attempt of `channel` with `result`.
    pub fn count_outbox(&self, channel: &'static str, result: &'static str) {
        self.outbox_deliveries
            .get_or_create(&DeliveryLabels { channel, result })
            .inc();
    }

    /// The OpenMetrics text exposition of every series, with the process and build-info
    /// families.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        let extra = super::exposition::build_info_family() + &super::exposition::process_families();
        super::exposition::with_families(out, &extra)
    }

    /// `(content type, body)` for a scrape with this `Accept` header value: OpenMetrics 1.0.0
    /// when asked for, else the classic text format 0.0.4.
    pub fn encode_for(&self, accept: &str) -> (&'static str, String) {
        use super::exposition::{to_text_004, wants_openmetrics, OPENMETRICS, TEXT_004};
        let om = self.encode();
        if wants_openmetrics(accept) {
            (OPENMETRICS, om)
        } else {
            (TEXT_004, to_text_004(&om))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_histograms_appear_in_text() {
        let m = Metrics::default();
        m.observe("GET", "/api/v1/nearest", 200, Duration::from_micros(300));
        m.observe("GET", "/api/v1/nearest", 200, Duration::from_micros(700));
        // Same route, resolved series: another status and method are series of their own.
        m.observe("GET", "/api/v1/nearest", 400, Duration::from_micros(20));
        m.observe("HEAD", "/api/v1/nearest", 200, Duration::from_micros(20));
        m.set_index_points("station", 42);
        let text = m.encode();
        assert!(
            text.contains(
                r#"nuanxin_http_requests_total{method="GET",route="/api/v1/nearest",status="200"} 2"#
            ),
            "{text}"
        );
        // 300 µs and 700 µs are both ≤ 1 ms, one of them ≤ 0.5 ms.
        let series = r#"method="GET",route="/api/v1/nearest",status="200"}"#;
        assert!(
            text.contains(&format!(r#"le="0.0005",{series} 1"#)),
            "{text}"
        );
        assert!(
            text.contains(&format!(r#"le="0.001",{series} 2"#)),
            "{text}"
        );
        assert!(text.contains(
            r#"nuanxin_http_requests_total{method="GET",route="/api/v1/nearest",status="400"} 1"#
        ));
        assert!(text.contains(
            r#"nuanxin_http_requests_total{method="HEAD",route="/api/v1/nearest",status="200"} 1"#
        ));
        assert!(text.contains(r#"nuanxin_index_points{kind="station"} 42"#));
    }

    #[test]
    fn invented_methods_share_one_series() {
        let m = Metrics::default();
        for method in ["AAAA1", "AAAA2", "get", "PROPFIND"] {
            m.observe(method, "unmatched", 405, Duration::from_micros(10));
        }
        m.observe("PATCH", "unmatched", 405, Duration::from_micros(10));
        let text = m.encode();
        assert!(
            text.contains(
                r#"nuanxin_http_requests_total{method="other",route="unmatched",status="405"} 4"#
            ),
            "{text}"
        );
        assert!(text.contains(r#"method="PATCH""#), "{text}");
        assert!(!text.contains("AAAA"), "{text}");
    }
}
