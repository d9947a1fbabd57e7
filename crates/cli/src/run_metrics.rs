//! The daemon's run metrics: per subscription, histograms of each run's time to first byte, to
//! first token and in total, and a counter of runs by result, fed by the supervisor's
//! `RunEnded` events (probe runs and finite streams' runs) and encoded with the other metrics.
//!
//! | metric | type | meaning |
//! |---|---|---|
//! | `streamwatch_run_ttfb_seconds` | histogram | time to the response headers, per run that opened |
//! | `streamwatch_run_first_token_seconds` | histogram | time to the first token, per run of a recognised LLM format |
//! | `streamwatch_run_duration_seconds` | histogram | from the request to the end, per run that opened |
//! | `streamwatch_runs_total{result="ok\|failed"}` | counter | runs ended since `run` started |

use std::collections::BTreeMap;
use std::fmt;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::MetricType;
use streamwatch_engine::{SubscriptionId, SupervisorEvent};

/// Bucket bounds in seconds: from a fast local answer to a slow model's long one.
pub const BUCKETS: [f64; 12] = [
    0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
];

/// One subscription's run figures.
#[derive(Debug, Clone)]
struct SubRuns {
    name: String,
    ttfb: Histogram,
    first_token: Histogram,
    duration: Histogram,
    ok: u64,
    failed: u64,
}

impl SubRuns {
    fn new(name: String) -> Self {
        SubRuns {
            name,
            ttfb: Histogram::new(BUCKETS),
            first_token: Histogram::new(BUCKETS),
            duration: Histogram::new(BUCKETS),
            ok: 0,
            failed: 0,
        }
    }
}

/// Run figures of every subscription since the daemon started. Cloning shares the
/// histograms (a scrape encodes a clone).
#[derive(Debug, Clone, Default)]
pub struct RunMetrics {
    subs: BTreeMap<SubscriptionId, SubRuns>,
}

fn secs(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

impl RunMetrics {
    /// Takes in a supervisor event; a `RunEnded` of a subscription named `name(id)` is counted.
    pub fn observe(
        &mut self,
        event: &SupervisorEvent,
        name: impl Fn(SubscriptionId) -> Option<String>,
    ) {
        match event {
            SupervisorEvent::RunEnded { id, result, .. } => {
                let Some(named) = name(*id) else { return };
                let sub = self
                    .subs
                    .entry(*id)
                    .or_insert_with(|| SubRuns::new(named.clone()));
                sub.name = named;
                if result.ok {
                    sub.ok += 1;
                } else {
                    sub.failed += 1;
                }
                if let Some(s) = &result.summary {
                    sub.ttfb.observe(secs(s.ttfb_ms));
                    sub.duration.observe(secs(s.duration_ms));
                    if let Some(t) = s.first_token_ms {
                        sub.first_token.observe(secs(t));
                    }
                }
            }
            SupervisorEvent::Removed { id } => {
                self.subs.remove(id);
            }
            _ => {}
        }
    }
}

/// A histogram family: name, help, and which of a subscription's histograms it shows.
type HistogramFamily = (&'static str, &'static str, fn(&SubRuns) -> &Histogram);

fn labels(id: SubscriptionId, s: &SubRuns) -> Vec<(&'static str, String)> {
    vec![("subscription", s.name.clone()), ("id", id.to_string())]
}

impl Collector for RunMetrics {
    fn encode(&self, mut enc: DescriptorEncoder) -> fmt::Result {
        let histograms: [HistogramFamily; 3] = [
            (
                "streamwatch_run_ttfb_seconds",
                "Time to the response headers of each run that opened",
                |s| &s.ttfb,
            ),
            (
                "streamwatch_run_first_token_seconds",
                "Time to the first token of each run of a recognised LLM format",
                |s| &s.first_token,
            ),
            (
                "streamwatch_run_duration_seconds",
                "Time from the request to the end of each run that opened",
                |s| &s.duration,
            ),
        ];
        for (name, help, pick) in histograms {
            let mut metric = enc.encode_descriptor(name, help, None, MetricType::Histogram)?;
            for (id, s) in &self.subs {
                pick(s).encode(metric.encode_family(&labels(*id, s))?)?;
            }
        }
        let mut metric = enc.encode_descriptor(
            "streamwatch_runs",
            "Runs of probes and finite streams ended since the daemon started, by result",
            None,
            MetricType::Counter,
        )?;
        for (id, s) in &self.subs {
            for (result, n) in [("ok", s.ok), ("failed", s.failed)] {
                let mut l = labels(*id, s);
                l.push(("result", result.to_owned()));
                ConstCounter::new(n).encode(metric.encode_family(&l)?)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::SystemTime;
    use streamwatch_engine::run_result::RunResult;
    use streamwatch_engine::run_summary::{EndReason, RunSummary};

    #[test]
    fn runs_fill_the_histograms_and_the_counter() {
        let mut m = RunMetrics::default();
        let id = SubscriptionId(4);
        let summary = RunSummary {
            status: 200,
            ttfb_ms: 40,
            first_event_ms: Some(50),
            first_token_ms: Some(700),
            duration_ms: 2500,
            events: 9,
            bytes: 900,
            end: EndReason::DoneSentinel,
            sentinel: Some("[DONE]".into()),
            llm: None,
            raw: None,
        };
        for result in [
            RunResult::ended(summary),
            RunResult::failed(None, "connection refused".into()),
        ] {
            let event = SupervisorEvent::RunEnded {
                id,
                at: SystemTime::now(),
                probe: true,
                result: Box::new(result),
            };
            m.observe(&event, |_| Some("LLM \"probe\"".into()));
        }
        let mut registry = prometheus_client::registry::Registry::default();
        registry.register_collector(Box::new(m));
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
        let l = r#"subscription="LLM \"probe\"",id="4""#;
        for line in [
            format!("streamwatch_run_first_token_seconds_bucket{{le=\"1.0\",{l}}} 1"),
            format!("streamwatch_run_first_token_seconds_bucket{{le=\"0.5\",{l}}} 0"),
            format!("streamwatch_run_duration_seconds_sum{{{l}}} 2.5"),
            format!("streamwatch_run_ttfb_seconds_count{{{l}}} 1"),
            format!("streamwatch_runs_total{{{l},result=\"ok\"}} 1"),
            format!("streamwatch_runs_total{{{l},result=\"failed\"}} 1"),
        ] {
            assert!(text.contains(&line), "{line} not in\n{text}");
        }
    }
}
