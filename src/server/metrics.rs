//! Prometheus metrics (stub; the server issue fills it in).

/// Request counters and latency histograms per route.
#[derive(Debug, Default)]
pub struct Metrics {}
