//! The figures of one run of a stream (one connection, from the request to its end): what a
//! finite stream — an LLM answer — is judged by. The connection builds it from what it sees
//! through a [`RunTracker`].

use crate::llm::{EndSentinel, LlmSummary, LlmTracker};
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EndReason {
    /// An end sentinel arrived (`[DONE]`, `message_stop`, `response.completed`, or the
    /// subscription's own end event): a clean end even if the server keeps the socket open.
    DoneSentinel,
    /// The server closed the body cleanly.
    CleanClose,
    /// The body broke (a network error, an oversized event).
    Error,
    /// Nothing arrived within the idle timeout.
    Timeout,
}

impl EndReason {
    /// The kebab-case name, as in JSON and the timeline's table.
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::DoneSentinel => "done-sentinel",
            EndReason::CleanClose => "clean-close",
            EndReason::Error => "error",
            EndReason::Timeout => "timeout",
        }
    }

    /// The reason named `name` (as [`EndReason::as_str`] writes it).
    pub fn parse(name: &str) -> Option<EndReason> {
        [
            EndReason::DoneSentinel,
            EndReason::CleanClose,
            EndReason::Error,
            EndReason::Timeout,
        ]
        .into_iter()
        .find(|r| r.as_str() == name)
    }

    /// Whether the stream ended as the server meant it to.
    pub fn is_clean(self) -> bool {
        matches!(self, EndReason::DoneSentinel | EndReason::CleanClose)
    }
}

/// One run's figures. Times count from the moment the request was sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunSummary {
    /// The HTTP status the stream opened with.
    pub status: u16,
    /// Time to the response headers.
    pub ttfb_ms: u64,
    /// Time to the first event, if one came.
    pub first_event_ms: Option<u64>,
    /// Time to the first token of a recognised LLM format, if one came.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_token_ms: Option<u64>,
    /// Time to the end.
    pub duration_ms: u64,
    /// Events received.
    pub events: u64,
    /// Body bytes received (after decompression).
    pub bytes: u64,
    /// How it ended.
    pub end: EndReason,
    /// The sentinel that ended it, as it reads on the wire (`[DONE]`, `message_stop`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sentinel: Option<String>,
    /// For a recognised LLM format: the format, the assembled text, the finish reason and
    /// the usage figures.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub llm: Option<LlmSummary>,
    /// Without a recognised LLM format, the events' data joined by newlines (at most the
    /// tracker's cap), when the tracker kept it ([`RunTracker::keep_raw`]): the answer a run
    /// rule matches and the runs table shows.
    #[serde(skip)]
    pub raw: Option<String>,
}

impl RunSummary {
    /// The run in a few words: "[DONE] after 3.2 s, 120 events" (the front ends' timeline
    /// entry and the finished state say this).
    pub fn words(&self) -> String {
        self.ending().words()
    }

    /// What a status snapshot and the timeline keep of it.
    pub fn ending(&self) -> RunEnding {
        RunEnding {
            end: self.end,
            sentinel: self.sentinel.clone(),
            duration_ms: self.duration_ms,
            events: self.events,
        }
    }
}

/// How a finished run ended, in the few figures its words need (small: status snapshots are
/// cloned on every change).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunEnding {
    /// How it ended.
    pub end: EndReason,
    /// The sentinel that ended it, as it reads on the wire.
    pub sentinel: Option<String>,
    /// From the request to the end.
    pub duration_ms: u64,
    /// Events received.
    pub events: u64,
}

impl RunEnding {
    /// "[DONE] after 3.2 s, 120 events".
    pub fn words(&self) -> String {
        run_words(
            self.end,
            self.sentinel.as_deref(),
            Duration::from_millis(self.duration_ms),
            self.events,
        )
    }
}

/// [`RunSummary::words`] from the figures a timeline row keeps.
pub fn run_words(
    end: EndReason,
    sentinel: Option<&str>,
    duration: Duration,
    events: u64,
) -> String {
    let how = match (end, sentinel) {
        (EndReason::DoneSentinel, Some(s)) => s.to_string(),
        (EndReason::DoneSentinel, None) => "end event".to_string(),
        (EndReason::CleanClose, _) => "closed by the server".to_string(),
        (EndReason::Error, _) => "broken".to_string(),
        (EndReason::Timeout, _) => "timed out".to_string(),
    };
    let noun = if events == 1 { "event" } else { "events" };
    format!(
        "{how} after {}, {events} {noun}",
        crate::liveness::words(duration)
    )
}

/// How a sentinel reads on the wire.
pub fn sentinel_label(s: EndSentinel) -> &'static str {
    match s {
        EndSentinel::Done => "[DONE]",
        EndSentinel::MessageStop => "message_stop",
        EndSentinel::ResponseCompleted => "response.completed",
    }
}

/// Builds a [`RunSummary`] while a run goes on: fed the response, every chunk and every event.
#[derive(Debug)]
pub struct RunTracker {
    sent_at: Instant,
    status: u16,
    ttfb: Duration,
    first_event: Option<Duration>,
    first_token: Option<Duration>,
    events: u64,
    bytes: u64,
    end_event: Option<String>,
    llm: LlmTracker,
    /// The events' data, up to `raw_cap` bytes, when asked for.
    raw: Option<String>,
    raw_cap: usize,
    raw_cut: bool,
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl RunTracker {
    /// A run whose request went out at `sent_at` and was answered with `status` now; an event
    /// of type `end_event` ends it like a sentinel.
    pub fn new(sent_at: Instant, status: u16, end_event: Option<String>) -> RunTracker {
        RunTracker {
            sent_at,
            status,
            ttfb: sent_at.elapsed(),
            first_event: None,
            first_token: None,
            events: 0,
            bytes: 0,
            end_event: end_event.filter(|e| !e.is_empty()),
            llm: LlmTracker::new(None),
            raw: None,
            raw_cap: 0,
            raw_cut: false,
        }
    }

    /// Also keeps the events' data, up to `cap` bytes (a finite run's answer when no LLM format
    /// is recognised); an endless stream's tracker keeps none.
    pub fn keep_raw(mut self, cap: usize) -> RunTracker {
        self.raw = Some(String::new());
        self.raw_cap = cap;
        self
    }

    /// Counts body bytes.
    pub fn bytes(&mut self, n: usize) {
        self.bytes = self.bytes.saturating_add(n as u64);
    }

    /// Takes in one event; returns the sentinel label when it ends the run.
    pub fn event(&mut self, event_type: &str, data: &str) -> Option<String> {
        let now = self.sent_at.elapsed();
        self.events += 1;
        self.first_event.get_or_insert(now);
        if let Some(raw) = self.raw.as_mut().filter(|_| !self.raw_cut) {
            let sep = usize::from(!raw.is_empty());
            if raw.len() + sep + data.len() <= self.raw_cap {
                if sep == 1 {
                    raw.push('\n');
                }
                raw.push_str(data);
            } else {
                self.raw_cut = true;
            }
        }
        let seen = self.llm.observe(event_type, data);
        if seen.first_token {
            self.first_token.get_or_insert(now);
        }
        if self.end_event.as_deref() == Some(event_type) {
            return Some(event_type.to_string());
        }
        seen.end.map(|s| sentinel_label(s).to_string())
    }

    /// The run's figures, ending now for `end` (by `sentinel`, when one ended it).
    pub fn finish(&self, end: EndReason, sentinel: Option<String>) -> RunSummary {
        RunSummary {
            status: self.status,
            ttfb_ms: ms(self.ttfb),
            first_event_ms: self.first_event.map(ms),
            first_token_ms: self.first_token.map(ms),
            duration_ms: ms(self.sent_at.elapsed()),
            events: self.events,
            bytes: self.bytes,
            end,
            sentinel,
            llm: self.llm.summary(),
            raw: self.raw.clone().filter(|_| self.llm.summary().is_none()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentinels_and_the_users_end_event_end_a_run() {
        let mut t = RunTracker::new(Instant::now(), 200, Some("bye".into()));
        assert_eq!(t.event("message", "hello"), None);
        assert_eq!(t.event("message", "[DONE]").as_deref(), Some("[DONE]"));
        assert_eq!(
            t.event("message_stop", "{}").as_deref(),
            Some("message_stop")
        );
        assert_eq!(
            t.event("message", r#"{"type":"response.completed"}"#)
                .as_deref(),
            Some("response.completed")
        );
        assert_eq!(t.event("bye", "").as_deref(), Some("bye"));
        t.bytes(10);
        let s = t.finish(EndReason::DoneSentinel, Some("bye".into()));
        assert_eq!((s.status, s.events, s.bytes), (200, 5, 10));
        assert!(s.first_event_ms.is_some());
    }

    #[test]
    fn an_empty_end_event_is_none() {
        let mut t = RunTracker::new(Instant::now(), 200, Some(String::new()));
        assert_eq!(t.event("", "x"), None);
    }

    #[test]
    fn words_say_how_long_and_how_many() {
        let s = run_words(
            EndReason::DoneSentinel,
            Some("[DONE]"),
            Duration::from_millis(3200),
            120,
        );
        assert_eq!(s, "[DONE] after 3.2 s, 120 events");
        let s = run_words(EndReason::CleanClose, None, Duration::from_secs(1), 1);
        assert_eq!(s, "closed by the server after 1 s, 1 event");
    }

    #[test]
    fn json_has_the_llm_fields_only_for_a_recognised_format() {
        let mut t = RunTracker::new(Instant::now(), 200, None);
        t.event("message", "plain");
        let v = serde_json::to_value(t.finish(EndReason::CleanClose, None)).unwrap();
        assert_eq!(v["end"], "clean-close");
        assert!(v.get("text").is_none() && v.get("format").is_none(), "{v}");
        let chunk = r#"{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":"stop"}]}"#;
        t.event("message", chunk);
        let v =
            serde_json::to_value(t.finish(EndReason::DoneSentinel, Some("[DONE]".into()))).unwrap();
        assert_eq!(
            (v["format"].as_str(), v["text"].as_str()),
            (Some("openai-chat"), Some("Hi"))
        );
        assert_eq!(v["finish_reason"], "stop");
        assert!(v["first_token_ms"].is_u64(), "{v}");
    }
}
