//! How one run of a finite stream or probe came out, as it is stored and judged: its figures
//! when the stream opened, and the words of its failure when it failed (before opening too:
//! a probe that could not connect is a failed run).

use crate::run_summary::RunSummary;
use serde::Serialize;

/// One run's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunResult {
    /// Whether the run did what it should: the stream opened and ended cleanly.
    pub ok: bool,
    /// The figures, when the stream opened.
    pub summary: Option<RunSummary>,
    /// Why it failed, in words already redacted ("connection refused", "server answered 503").
    pub failure: Option<String>,
}

impl RunResult {
    /// A run that opened and ended: ok when it ended cleanly.
    pub fn ended(summary: RunSummary) -> RunResult {
        RunResult {
            ok: summary.end.is_clean(),
            failure: (!summary.end.is_clean()).then(|| summary.words()),
            summary: Some(summary),
        }
    }

    /// Bytes of answer it carries (assembled text and raw data): what queues count it as.
    pub fn text_bytes(&self) -> usize {
        self.summary.as_ref().map_or(0, |s| {
            s.llm.as_ref().map_or(0, |l| l.text.len()) + s.raw.as_ref().map_or(0, String::len)
        })
    }

    /// A run that failed, with its figures when it had opened.
    pub fn failed(summary: Option<RunSummary>, failure: String) -> RunResult {
        RunResult {
            ok: false,
            summary,
            failure: Some(failure),
        }
    }
}
