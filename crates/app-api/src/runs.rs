//! The runs table of a finite stream or probe, for the window: each stored run with its
//! figures and assembled text, newest first, and today's success rate. Tauri-free: the shell's
//! command only calls [`list_runs`].

use crate::error::CommandError;
use crate::stats::local_midnight;
use serde::{Deserialize, Serialize};
use std::time::{SystemTime, UNIX_EPOCH};
use streamwatch_engine::catalog::Catalog;
use streamwatch_engine::llm::LlmFormat;
use streamwatch_engine::run_summary::run_words;
use streamwatch_engine::storage::StoredRun;
use streamwatch_engine::SubscriptionId;
use ts_rs::TS;

/// The most runs one call returns.
pub const MAX_RUNS_PER_CALL: usize = 500;

/// One stored run, as the runs table shows it. Times are Unix milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "RunView.ts")]
pub struct RunView {
    /// The run's id; pass the last one shown as `before` for the next page.
    #[ts(type = "number")]
    pub id: i64,
    /// A scheduled probe run (else a finite stream's run).
    pub probe: bool,
    #[ts(type = "number")]
    pub started_at_ms: i64,
    /// `null` while under way, or when it was cut by a shutdown (`failure` says so).
    #[ts(type = "number | null")]
    pub ended_at_ms: Option<i64>,
    /// `null` while under way.
    pub ok: Option<bool>,
    pub status: Option<u16>,
    #[ts(type = "number | null")]
    pub ttfb_ms: Option<u64>,
    #[ts(type = "number | null")]
    pub first_event_ms: Option<u64>,
    #[ts(type = "number | null")]
    pub first_token_ms: Option<u64>,
    #[ts(type = "number | null")]
    pub duration_ms: Option<u64>,
    #[ts(type = "number | null")]
    pub events: Option<u64>,
    #[ts(type = "number | null")]
    pub bytes: Option<u64>,
    /// `done-sentinel`, `clean-close`, `error` or `timeout`, when the stream opened.
    pub end: Option<String>,
    /// The sentinel that ended it (`[DONE]`, `message_stop`, …).
    pub sentinel: Option<String>,
    /// `openai-chat`, `openai-responses`, `anthropic`, `gemini` or `json-pointer`.
    pub format: Option<String>,
    /// The format by the name people know it ("Anthropic Messages"), for labels.
    pub format_label: Option<String>,
    /// The assembled answer (at most 64 KiB; `textTruncated` when cut).
    pub text: Option<String>,
    pub text_truncated: bool,
    pub finish_reason: Option<String>,
    /// The usage figures as the server sent them.
    #[ts(type = "unknown")]
    pub usage: Option<serde_json::Value>,
    /// Why it failed, in words.
    pub failure: Option<String>,
    /// The same in plain words ("The server refused the connection"), `failure` behind it.
    pub failure_plain: Option<String>,
    /// The run in a few words: "[DONE] after 3.2 s, 120 events", the failure, or "running".
    pub words: String,
}

/// A page of runs with today's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "RunsView.ts")]
pub struct RunsView {
    /// Newest first.
    pub runs: Vec<RunView>,
    /// Older runs exist beyond this page.
    pub has_more: bool,
    /// Runs that ended since local midnight, and how many of them were ok.
    #[ts(type = "number")]
    pub ended_today: u64,
    #[ts(type = "number")]
    pub ok_today: u64,
    /// `okToday / endedToday`, `null` when none ended today.
    pub success_rate_today: Option<f64>,
    /// Runs stored in all (the oldest beyond 1,000 are dropped).
    #[ts(type = "number")]
    pub total: u64,
}

fn ms(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(_) => 0,
    }
}

/// The label of a stored format id; `None` for one this build does not know (a newer file).
fn format_label(id: &str) -> Option<String> {
    serde_json::from_value::<LlmFormat>(serde_json::Value::String(id.to_owned()))
        .ok()
        .map(|f| f.label().to_owned())
}

impl From<&StoredRun> for RunView {
    fn from(r: &StoredRun) -> Self {
        let words = match (&r.ended_at, r.end, &r.failure) {
            (_, _, Some(f)) => f.clone(),
            (Some(_), Some(end), None) => run_words(
                end,
                r.sentinel.as_deref(),
                std::time::Duration::from_millis(r.duration_ms.unwrap_or(0)),
                r.events.unwrap_or(0),
            ),
            _ => "running".into(),
        };
        RunView {
            id: r.id,
            probe: r.probe,
            started_at_ms: ms(r.started_at),
            ended_at_ms: r.ended_at.map(ms),
            ok: r.ok,
            status: r.status,
            ttfb_ms: r.ttfb_ms,
            first_event_ms: r.first_event_ms,
            first_token_ms: r.first_token_ms,
            duration_ms: r.duration_ms,
            events: r.events,
            bytes: r.bytes,
            end: r.end.map(|e| e.as_str().to_string()),
            sentinel: r.sentinel.clone(),
            format: r.format.clone(),
            format_label: r.format.as_deref().and_then(format_label),
            text: r.text.clone(),
            text_truncated: r.text_truncated,
            finish_reason: r.finish_reason.clone(),
            usage: r.usage.clone(),
            failure: r.failure.clone(),
            failure_plain: r
                .failure
                .as_deref()
                .map(|f| streamwatch_engine::error_words::plain_error(None, r.status, f)),
            words,
        }
    }
}

/// `id`'s runs, newest first: at most `limit` (capped at [`MAX_RUNS_PER_CALL`]), older than
/// the run `before` when given, with today's figures.
pub fn list_runs(
    catalog: &Catalog,
    id: SubscriptionId,
    limit: usize,
    before: Option<i64>,
) -> Result<RunsView, CommandError> {
    let limit = limit.clamp(1, MAX_RUNS_PER_CALL);
    // One more than asked tells whether there is another page.
    let mut runs = catalog.runs(id, limit + 1, before)?;
    let has_more = runs.len() > limit;
    runs.truncate(limit);
    let stats = catalog.run_stats(id, local_midnight(SystemTime::now()))?;
    Ok(RunsView {
        runs: runs.iter().map(RunView::from).collect(),
        has_more,
        ended_today: stats.ended,
        ok_today: stats.ok,
        success_rate_today: stats.success_rate(),
        total: stats.total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use streamwatch_engine::catalog::SubscriptionRecord;
    use streamwatch_engine::monitor::{Monitor, MonitorOptions};
    use streamwatch_engine::record::Record;
    use streamwatch_engine::run_result::RunResult;

    #[test]
    fn stored_formats_read_as_their_labels() {
        assert_eq!(
            format_label("anthropic").as_deref(),
            Some("Anthropic Messages")
        );
        assert_eq!(
            format_label("openai-responses").as_deref(),
            Some("OpenAI Responses")
        );
        assert_eq!(format_label("gemini").as_deref(), Some("Gemini"));
        assert_eq!(format_label("some-future-format"), None);
    }

    #[tokio::test]
    async fn runs_come_newest_first_in_pages_with_todays_rate() {
        let dir = tempfile::tempdir().unwrap();
        let mut options = MonitorOptions::new(dir.path().to_path_buf());
        options.autostart = false;
        options.watch_system = false;
        let m = Monitor::open(options).unwrap();
        let mut record = SubscriptionRecord::new("p", "http://127.0.0.1:1/v1");
        record.paused = true;
        let id = m.add(&record).unwrap();
        let writer =
            streamwatch_engine::storage::Writer::spawn(m.catalog().path(), Default::default())
                .unwrap();
        for failure in [Some("connection refused"), None, None] {
            let sender = writer.sender();
            sender
                .send(Record::RunStarted {
                    sub: id,
                    at: SystemTime::now(),
                    probe: true,
                })
                .await
                .unwrap();
            let result = match failure {
                Some(words) => RunResult::failed(None, words.into()),
                None => RunResult {
                    ok: true,
                    summary: None,
                    failure: None,
                },
            };
            sender
                .send(Record::RunEnded {
                    sub: id,
                    at: SystemTime::now(),
                    result: Box::new(result),
                })
                .await
                .unwrap();
        }
        writer.flush().await.unwrap();
        let page = list_runs(m.catalog(), id, 2, None).unwrap();
        assert_eq!(page.runs.len(), 2);
        assert!(page.has_more);
        assert!(page.runs[0].id > page.runs[1].id, "newest first");
        assert_eq!((page.ended_today, page.ok_today, page.total), (3, 2, 3));
        let rate = page.success_rate_today.unwrap();
        assert!((rate - 2.0 / 3.0).abs() < 1e-9, "{rate}");
        let rest = list_runs(m.catalog(), id, 2, Some(page.runs[1].id)).unwrap();
        assert_eq!(rest.runs.len(), 1);
        assert!(!rest.has_more);
        assert_eq!(rest.runs[0].ok, Some(false));
        assert_eq!(rest.runs[0].words, "connection refused");
        // The failure in plain words too; an ok run has none.
        let plain = rest.runs[0].failure_plain.as_deref().unwrap_or("");
        assert!(plain.to_lowercase().contains("refused"), "{plain:?}");
        assert_eq!(page.runs[0].failure_plain, None);
        writer.shutdown().await.unwrap();
    }
}
