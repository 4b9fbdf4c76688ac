//! Prometheus text metrics: request counts, a latency histogram, errors, and whatever a
//! service adds through a collector (pool use, cache hits).
//!
//! Hand-rolled on atomics and one short-held mutex: the exposition format is small and stable,
//! and it keeps the metrics path free of a registry crate and its dependencies.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds (seconds) of the latency histogram buckets.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

type Collector = Box<dyn Fn(&mut String) + Send + Sync>;

/// One service's metrics; share it as `web::Data<Metrics>` (one per process and service).
pub struct Metrics {
    service: String,
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
    errors: AtomicU64,
    collectors: Mutex<Vec<Collector>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics")
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}

impl Metrics {
    /// Metrics labelled with `service="<name>"`.
    pub fn new(service: &str) -> Self {
        Self {
            service: service.to_owned(),
            requests: Mutex::new(BTreeMap::new()),
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            count: AtomicU64::new(0),
            sum_micros: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            collectors: Mutex::new(Vec::new()),
        }
    }

    /// Counts one finished request. `route` is the matched pattern (bounded cardinality).
    pub fn record(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        {
            let mut requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
            *requests
                .entry((method.to_owned(), route.to_owned(), status))
                .or_insert(0) += 1;
        }
        let secs = elapsed.as_secs_f64();
        for (bucket, bound) in self.buckets.iter().zip(BUCKETS) {
            if secs <= bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add(
            u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
        if status >= 500 {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Number of requests counted so far with this method, route and status.
    pub fn requests(&self, method: &str, route: &str, status: u16) -> u64 {
        let requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        requests
            .get(&(method.to_owned(), route.to_owned(), status))
            .copied()
            .unwrap_or(0)
    }

    /// Adds a collector that appends its own lines (with `# TYPE`) to every scrape.
    pub fn add_collector(&self, collector: impl Fn(&mut String) + Send + Sync + 'static) {
        self.collectors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Box::new(collector));
    }

    /// The service label value.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// Renders the Prometheus text exposition.
    pub fn render(&self) -> String {
        let svc = &self.service;
        let mut out = String::with_capacity(2048);
        out.push_str(
            "# HELP http_requests_total Requests answered, by method, route and status.\n",
        );
        out.push_str("# TYPE http_requests_total counter\n");
        {
            let requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
            for ((method, route, status), n) in requests.iter() {
                let route = route.replace('\\', "\\\\").replace('"', "\\\"");
                let _ = writeln!(
                    out,
                    "http_requests_total{{service=\"{svc}\",method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}"
                );
            }
        }
        out.push_str("# HELP http_request_errors_total Requests answered with a 5xx status.\n");
        out.push_str("# TYPE http_request_errors_total counter\n");
        let _ = writeln!(
            out,
            "http_request_errors_total{{service=\"{svc}\"}} {}",
            self.errors.load(Ordering::Relaxed)
        );
        out.push_str("# HELP http_request_duration_seconds Time to answer a request.\n");
        out.push_str("# TYPE http_request_duration_seconds histogram\n");
        for (bucket, bound) in self.buckets.iter().zip(BUCKETS) {
            let _ = writeln!(
                out,
                "http_request_duration_seconds_bucket{{service=\"{svc}\",le=\"{bound}\"}} {}",
                bucket.load(Ordering::Relaxed)
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "http_request_duration_seconds_bucket{{service=\"{svc}\",le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            out,
            "http_request_duration_seconds_sum{{service=\"{svc}\"}} {}",
            self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(
            out,
            "http_request_duration_seconds_count{{service=\"{svc}\"}} {count}"
        );
        for collector in self
            .collectors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            collector(&mut out);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_counts_requests_errors_and_buckets() {
        let m = Metrics::new("models");
        m.record("GET", "/articles", 200, Duration::from_millis(3));
        m.record("GET", "/articles", 200, Duration::from_millis(30));
        m.record("GET", "/ready", 503, Duration::from_millis(1));
        m.add_collector(|out| out.push_str("db_pool_connections{state=\"idle\"} 4\n"));
        let text = m.render();
        assert!(text.contains(
            "http_requests_total{service=\"models\",method=\"GET\",route=\"/articles\",status=\"200\"} 2"
        ));
        assert!(text.contains("http_request_errors_total{service=\"models\"} 1"));
        assert!(
            text.contains(
                "http_request_duration_seconds_bucket{service=\"models\",le=\"0.005\"} 2"
            )
        );
        assert!(
            text.contains("http_request_duration_seconds_bucket{service=\"models\",le=\"+Inf\"} 3")
        );
        assert!(text.contains("db_pool_connections{state=\"idle\"} 4"));
        assert_eq!(m.requests("GET", "/articles", 200), 2);
    }
}
