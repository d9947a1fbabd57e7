//! `streamwatch run --metrics ADDR`: Prometheus metrics on `http://ADDR/metrics`, in the
//! OpenMetrics text format (which Prometheus scrapes natively), encoded by `prometheus-client`.
//!
//! Values are read from the supervisor's status snapshots at scrape time: the HTTP handler asks
//! the daemon's loop (which owns the monitor) for the text and waits for it, so nothing is
//! cached and nothing outlives the monitor. Every series has the labels
//! `subscription="<name>"` and `id="<id>"`:
//!
//! | metric | type | meaning |
//! |---|---|---|
//! | `streamwatch_up` | gauge | 1 while the stream is open, else 0 |
//! | `streamwatch_state{state=…}` | gauge | one series per state (`connecting`, `open`, `retrying`, `paused`, `failed`, `stopped`, `offline`): 1 for the current one, 0 for the others |
//! | `streamwatch_messages_total` | counter | messages received since `run` started |
//! | `streamwatch_bytes_total` | counter | bytes of message data received |
//! | `streamwatch_reconnects_total` | counter | successful reconnections after the first open |
//! | `streamwatch_gaps_total` | counter | gaps detected in integer ids after reconnects |
//! | `streamwatch_missed_events_total` | counter | events missed across those gaps |
//! | `streamwatch_replayed_events_total` | counter | events the server re-sent after a reconnect (delivered, marked) |
//! | `streamwatch_resets_total` | counter | times integer ids went backwards (the server restarted its counter) |
//! | `streamwatch_schema_mismatches_total` | counter | events whose data did not match their expected JSON Schema |
//! | `streamwatch_retry_attempt` | gauge | consecutive failed attempts (0 when healthy) |
//! | `streamwatch_last_message_age_seconds` | gauge | time since the last message (absent before the first) |
//! | `streamwatch_connected_seconds` | gauge | how long the current stream has been open (0 when not open) |
//! | `streamwatch_stale` | gauge | 1 while the stream is stale (no message for longer than its own stale threshold, learned or `--stale-after`), else 0 |
//!
//! plus `streamwatch_subscriptions` (gauge, no labels): how many subscriptions run, and the
//! run histograms and counter of [`crate::run_metrics`]. Counters
//! start at 0 when `run` starts, as Prometheus expects of a restarted process.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::time::SystemTime;

use axum::extract::State as AxumState;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeGaugeValue, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;
use streamwatch_engine::{State, Status, SubscriptionId};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// The OpenMetrics text content type.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Every state, in the order `streamwatch_state` lists them.
const STATES: [State; 7] = [
    State::Connecting,
    State::Open,
    State::Retrying,
    State::Paused,
    State::Failed,
    State::Stopped,
    State::Offline,
];

/// One subscription at scrape time.
#[derive(Debug, Clone)]
pub struct Sample {
    /// Its id.
    pub id: SubscriptionId,
    /// Its name.
    pub name: String,
    /// Its status snapshot.
    pub status: Status,
}

/// A scrape waiting for its text.
pub type Scrape = oneshot::Sender<String>;

/// The metrics text for `samples`, as of `now` (no runs yet).
#[cfg(test)]
pub fn render(samples: Vec<Sample>, now: SystemTime) -> String {
    render_with_runs(samples, crate::run_metrics::RunMetrics::default(), now)
}

/// [`render`], with the run histograms and counter (see [`crate::run_metrics`]).
pub fn render_with_runs(
    samples: Vec<Sample>,
    runs: crate::run_metrics::RunMetrics,
    now: SystemTime,
) -> String {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(Snapshot { samples, now }));
    registry.register_collector(Box::new(runs));
    let mut text = String::new();
    // Writing to a String cannot fail.
    let _ = prometheus_client::encoding::text::encode(&mut text, &registry);
    text
}

/// The values of one scrape, encoded by `prometheus-client`.
#[derive(Debug)]
struct Snapshot {
    samples: Vec<Sample>,
    now: SystemTime,
}

impl Collector for Snapshot {
    fn encode(&self, mut enc: DescriptorEncoder) -> fmt::Result {
        let n = self.samples.len() as i64;
        ConstGauge::new(n).encode(enc.encode_descriptor(
            "streamwatch_subscriptions",
            "Subscriptions this daemon runs",
            None,
            MetricType::Gauge,
        )?)?;
        self.gauge(
            &mut enc,
            "streamwatch_up",
            "1 while the stream is open",
            |s| Some(i64::from(s.status.state == State::Open)),
        )?;
        {
            let mut metric = enc.encode_descriptor(
                "streamwatch_state",
                "The current state: 1 for it, 0 for every other state",
                None,
                MetricType::Gauge,
            )?;
            for s in &self.samples {
                for state in STATES {
                    let mut labels = labels(s);
                    labels.push(("state", state.as_str().to_owned()));
                    let value = i64::from(s.status.state == state);
                    ConstGauge::new(value).encode(metric.encode_family(&labels)?)?;
                }
            }
        }
        let counters: [Counter; 8] = [
            (
                "streamwatch_messages",
                "Messages received since the daemon started",
                |s| s.messages,
            ),
            (
                "streamwatch_bytes",
                "Bytes of message data received since the daemon started",
                |s| s.bytes,
            ),
            (
                "streamwatch_reconnects",
                "Successful reconnections after the first open",
                |s| s.reconnects,
            ),
            (
                "streamwatch_gaps",
                "Gaps detected in integer event ids after reconnects",
                |s| s.gaps,
            ),
            (
                "streamwatch_missed_events",
                "Events missed across detected gaps",
                |s| s.missed_events,
            ),
            (
                "streamwatch_replayed_events",
                "Events the server re-sent after a reconnect (delivered and marked)",
                |s| s.replayed,
            ),
            (
                "streamwatch_resets",
                "Times integer event ids went backwards (the server restarted its counter)",
                |s| s.resets,
            ),
            (
                "streamwatch_schema_mismatches",
                "Events whose data did not match their expected JSON Schema",
                |s| s.schema_mismatches,
            ),
        ];
        for (name, help, value) in counters {
            let mut metric = enc.encode_descriptor(name, help, None, MetricType::Counter)?;
            for s in &self.samples {
                ConstCounter::new(value(&s.status)).encode(metric.encode_family(&labels(s))?)?;
            }
        }
        self.gauge(
            &mut enc,
            "streamwatch_retry_attempt",
            "Consecutive failed connection attempts (0 when healthy)",
            |s| Some(i64::from(s.status.attempt)),
        )?;
        self.gauge(
            &mut enc,
            "streamwatch_last_message_age_seconds",
            "Seconds since the last message arrived (absent before the first)",
            |s| s.status.last_message_at.map(|t| self.seconds_since(t)),
        )?;
        self.gauge(
            &mut enc,
            "streamwatch_connected_seconds",
            "Seconds the current stream has been open (0 when not open)",
            |s| {
                Some(
                    s.status
                        .connected_since
                        .map_or(0.0, |t| self.seconds_since(t)),
                )
            },
        )?;
        // The engine's own verdict, so an alert honours each subscription's threshold (learned
        // from its usual interval, or set) instead of one number for every stream.
        self.gauge(
            &mut enc,
            "streamwatch_stale",
            "1 while no message came for longer than the subscription's stale threshold",
            |s| Some(i64::from(s.status.stale_since.is_some())),
        )?;
        Ok(())
    }
}

impl Snapshot {
    /// A gauge family with one series per subscription that has a value.
    fn gauge<N: EncodeGaugeValue>(
        &self,
        enc: &mut DescriptorEncoder,
        name: &str,
        help: &str,
        value: impl Fn(&Sample) -> Option<N>,
    ) -> fmt::Result {
        let mut metric = enc.encode_descriptor(name, help, None, MetricType::Gauge)?;
        for s in &self.samples {
            if let Some(v) = value(s) {
                ConstGauge::new(v).encode(metric.encode_family(&labels(s))?)?;
            }
        }
        Ok(())
    }

    fn seconds_since(&self, t: SystemTime) -> f64 {
        self.now
            .duration_since(t)
            .map_or(0.0, |d| (d.as_secs_f64() * 1000.0).round() / 1000.0)
    }
}

/// A counter family: name (without `_total`), help, and its value in a status.
type Counter = (&'static str, &'static str, fn(&Status) -> u64);

fn labels(s: &Sample) -> Vec<(&'static str, String)> {
    vec![("subscription", s.name.clone()), ("id", s.id.to_string())]
}

/// The HTTP server for `/metrics`.
pub struct MetricsServer {
    /// Where to scrape, e.g. `http://127.0.0.1:9464/metrics`.
    pub url: String,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl MetricsServer {
    /// Binds `addr` (port 0 picks a free port); each scrape becomes a [`Scrape`] on `scrapes`.
    pub async fn start(addr: SocketAddr, scrapes: mpsc::Sender<Scrape>) -> io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let bound = listener.local_addr()?;
        let app = Router::new()
            .route("/metrics", get(metrics))
            .with_state(scrapes);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(MetricsServer {
            url: format!("http://{bound}/metrics"),
            stop: Some(stop),
            task,
        })
    }

    /// Stops serving; a scraper holding a connection open does not delay it past a second.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let abort = self.task.abort_handle();
        if tokio::time::timeout(std::time::Duration::from_secs(1), &mut self.task)
            .await
            .is_err()
        {
            abort.abort();
        }
    }
}

async fn metrics(AxumState(scrapes): AxumState<mpsc::Sender<Scrape>>) -> Response {
    let (reply, text) = oneshot::channel();
    if scrapes.send(reply).await.is_err() {
        return unavailable();
    }
    match text.await {
        Ok(text) => ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response(),
        Err(_) => unavailable(),
    }
}

fn unavailable() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        "streamwatch is shutting down\n",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use streamwatch_engine::SharedStr;

    #[test]
    fn renders_every_family_with_escaped_labels() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        let mut status = Status::new(SharedStr::empty(), false);
        status.state = State::Open;
        status.messages = 7;
        status.gaps = 1;
        status.replayed = 4;
        status.resets = 2;
        status.schema_mismatches = 3;
        status.last_message_at = Some(now - Duration::from_millis(1500));
        status.connected_since = Some(now - Duration::from_secs(10));
        status.stale_since = Some(now - Duration::from_secs(70));
        let text = render(
            vec![Sample {
                id: SubscriptionId(3),
                name: "a \"quoted\" name".into(),
                status,
            }],
            now,
        );
        let labels = r#"{subscription="a \"quoted\" name",id="3"}"#;
        for line in [
            "streamwatch_subscriptions 1".to_owned(),
            format!("streamwatch_up{labels} 1"),
            format!("streamwatch_messages_total{labels} 7"),
            format!("streamwatch_gaps_total{labels} 1"),
            format!("streamwatch_replayed_events_total{labels} 4"),
            format!("streamwatch_resets_total{labels} 2"),
            format!("streamwatch_schema_mismatches_total{labels} 3"),
            format!("streamwatch_last_message_age_seconds{labels} 1.5"),
            format!("streamwatch_connected_seconds{labels} 10.0"),
            format!("streamwatch_stale{labels} 1"),
            r#"streamwatch_state{subscription="a \"quoted\" name",id="3",state="open"} 1"#
                .to_owned(),
            r#"streamwatch_state{subscription="a \"quoted\" name",id="3",state="paused"} 0"#
                .to_owned(),
        ] {
            assert!(text.lines().any(|l| l == line), "{line}\n{text}");
        }
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
