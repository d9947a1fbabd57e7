//! What a subscription's timeline records beside its state changes: each connection step with
//! the numbers that say it (the status it opened with, an error's kind and chain, each backoff
//! step's attempt and wait) and each edit of its settings. Stored as data, not words, so the
//! timeline reads the same live and after a restart: front ends word it in one place.

use crate::lifecycle::{ErrorKind, Lifecycle};
use crate::run_summary::{EndReason, RunEnding};
use serde::Serialize;
use std::time::SystemTime;

/// One timeline event, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum TimelineEvent {
    /// The stream opened with this HTTP status.
    Started {
        /// The HTTP status.
        status: u16,
    },
    /// A request or the stream failed.
    Error {
        /// What kind of failure.
        error_kind: ErrorKind,
        /// The HTTP status, for HTTP failures.
        status: Option<u16>,
        /// The error chain as the engine words it (credentials already masked).
        message: String,
    },
    /// The stream ended.
    Finished,
    /// A backoff step: reconnecting after a wait.
    Retrying {
        /// Consecutive failed attempts so far, from 1.
        attempt: u32,
        /// The wait applied.
        delay_ms: u64,
    },
    /// The retry budget is spent.
    RetriesFailed {
        /// How many retries were made.
        attempts: u32,
    },
    /// The server set a new reconnection delay with `retry:`.
    RetryChanged {
        /// The new base delay.
        retry_ms: u64,
    },
    /// A finite stream's run ended cleanly and, by its reconnect mode, for good.
    RunFinished {
        /// The HTTP status the stream opened with.
        status: u16,
        /// How it ended.
        ending: RunEnding,
    },
    /// The user changed the subscription's settings.
    Edited {
        /// What changed, in plain words without values ("URL, headers").
        fields: String,
    },
    /// The saved subscription could not be started (its secret is unreadable, its settings
    /// no longer valid): no request was made.
    NotStarted {
        /// Why, as the engine words it (no secret values).
        message: String,
    },
}

impl TimelineEvent {
    /// The timeline event a lifecycle event is, if it belongs in the timeline (connecting
    /// precedes every start or error; messages, comments, gaps and resets are told elsewhere).
    pub fn from_lifecycle(event: &Lifecycle) -> Option<TimelineEvent> {
        Some(match event {
            Lifecycle::Started { status, .. } => TimelineEvent::Started { status: *status },
            Lifecycle::Error {
                kind,
                message,
                status,
                ..
            } => TimelineEvent::Error {
                error_kind: *kind,
                status: *status,
                message: message.clone(),
            },
            Lifecycle::Finished => TimelineEvent::Finished,
            Lifecycle::Retrying { attempt, delay_ms } => TimelineEvent::Retrying {
                attempt: *attempt,
                delay_ms: *delay_ms,
            },
            Lifecycle::RetriesFailed { attempts } => TimelineEvent::RetriesFailed {
                attempts: *attempts,
            },
            Lifecycle::RetryChanged { retry_ms } => TimelineEvent::RetryChanged {
                retry_ms: *retry_ms,
            },
            Lifecycle::Connecting { .. }
            | Lifecycle::Message { .. }
            | Lifecycle::Comment { .. }
            | Lifecycle::Gap { .. }
            | Lifecycle::Reset { .. } => return None,
        })
    }

    /// The kebab-case name stored in the `kind` column.
    pub fn name(&self) -> &'static str {
        match self {
            TimelineEvent::Started { .. } => "started",
            TimelineEvent::Error { .. } => "error",
            TimelineEvent::Finished => "finished",
            TimelineEvent::Retrying { .. } => "retrying",
            TimelineEvent::RetriesFailed { .. } => "retries-failed",
            TimelineEvent::RetryChanged { .. } => "retry-changed",
            TimelineEvent::Edited { .. } => "edited",
            TimelineEvent::RunFinished { .. } => "run-finished",
            TimelineEvent::NotStarted { .. } => "not-started",
        }
    }

    /// The event's columns: (kind, attempt, delay_ms, status, error_kind, detail).
    pub fn columns(&self) -> Columns<'_> {
        let mut c = Columns {
            kind: self.name(),
            ..Columns::default()
        };
        match self {
            TimelineEvent::Started { status } => c.status = Some(*status),
            TimelineEvent::Error {
                error_kind,
                status,
                message,
            } => {
                c.error_kind = Some(error_kind.as_str());
                c.status = *status;
                c.detail = message;
            }
            TimelineEvent::Finished => {}
            TimelineEvent::Retrying { attempt, delay_ms } => {
                c.attempt = Some(*attempt);
                c.delay_ms = Some(*delay_ms);
            }
            TimelineEvent::RetriesFailed { attempts } => c.attempt = Some(*attempts),
            TimelineEvent::RetryChanged { retry_ms } => c.delay_ms = Some(*retry_ms),
            TimelineEvent::Edited { fields } => c.detail = fields,
            TimelineEvent::NotStarted { message } => c.detail = message,
            // The generic columns hold it: the end reason where an error's kind goes, the
            // events where an attempt number goes, the duration as a delay.
            TimelineEvent::RunFinished { status, ending } => {
                c.status = Some(*status);
                c.error_kind = Some(ending.end.as_str());
                c.attempt = Some(u32::try_from(ending.events).unwrap_or(u32::MAX));
                c.delay_ms = Some(ending.duration_ms);
                c.detail = ending.sentinel.as_deref().unwrap_or("");
            }
        }
        c
    }

    /// Reads the event back from its columns; `None` for a kind this build does not know (a
    /// newer version wrote it).
    pub fn from_columns(c: &Columns<'_>) -> Option<TimelineEvent> {
        Some(match c.kind {
            "started" => TimelineEvent::Started { status: c.status? },
            "error" => TimelineEvent::Error {
                error_kind: error_kind(c.error_kind?)?,
                status: c.status,
                message: c.detail.to_string(),
            },
            "finished" => TimelineEvent::Finished,
            "retrying" => TimelineEvent::Retrying {
                attempt: c.attempt?,
                delay_ms: c.delay_ms?,
            },
            "retries-failed" => TimelineEvent::RetriesFailed {
                attempts: c.attempt?,
            },
            "retry-changed" => TimelineEvent::RetryChanged {
                retry_ms: c.delay_ms?,
            },
            "edited" => TimelineEvent::Edited {
                fields: c.detail.to_string(),
            },
            "not-started" => TimelineEvent::NotStarted {
                message: c.detail.to_string(),
            },
            "run-finished" => TimelineEvent::RunFinished {
                status: c.status?,
                ending: RunEnding {
                    end: EndReason::parse(c.error_kind?)?,
                    sentinel: (!c.detail.is_empty()).then(|| c.detail.to_string()),
                    duration_ms: c.delay_ms?,
                    events: u64::from(c.attempt?),
                },
            },
            _ => return None,
        })
    }
}

/// A [`TimelineEvent`] as table columns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Columns<'a> {
    /// The event's name.
    pub kind: &'a str,
    /// Attempt number (retrying, retries-failed).
    pub attempt: Option<u32>,
    /// A delay in ms (retrying, retry-changed).
    pub delay_ms: Option<u64>,
    /// An HTTP status (started, HTTP errors).
    pub status: Option<u16>,
    /// An error's kind.
    pub error_kind: Option<&'a str>,
    /// Words: an error's chain, an edit's fields.
    pub detail: &'a str,
}

fn error_kind(name: &str) -> Option<ErrorKind> {
    [
        ErrorKind::Network,
        ErrorKind::HttpStatus,
        ErrorKind::ContentType,
        ErrorKind::Timeout,
        ErrorKind::Protocol,
    ]
    .into_iter()
    .find(|k| k.as_str() == name)
}

/// A stored timeline event with when it happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimelineRecord {
    /// When.
    pub at: SystemTime,
    /// What.
    pub event: TimelineEvent,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_reads_back_from_its_columns() {
        for e in [
            TimelineEvent::Started { status: 200 },
            TimelineEvent::Error {
                error_kind: ErrorKind::HttpStatus,
                status: Some(401),
                message: "server answered 401 Unauthorized".into(),
            },
            TimelineEvent::Error {
                error_kind: ErrorKind::Network,
                status: None,
                message: "tcp connect error: Connection refused (os error 111)".into(),
            },
            TimelineEvent::Finished,
            TimelineEvent::Retrying {
                attempt: 6,
                delay_ms: 29_986,
            },
            TimelineEvent::RetriesFailed { attempts: 5 },
            TimelineEvent::RetryChanged { retry_ms: 3000 },
            TimelineEvent::Edited {
                fields: "URL, headers".into(),
            },
            TimelineEvent::NotStarted {
                message: "the secret header Authorization is not in the keyring".into(),
            },
            TimelineEvent::RunFinished {
                status: 200,
                ending: RunEnding {
                    end: EndReason::DoneSentinel,
                    sentinel: Some("[DONE]".into()),
                    duration_ms: 3200,
                    events: 120,
                },
            },
            TimelineEvent::RunFinished {
                status: 200,
                ending: RunEnding {
                    end: EndReason::CleanClose,
                    sentinel: None,
                    duration_ms: 10,
                    events: 0,
                },
            },
        ] {
            assert_eq!(TimelineEvent::from_columns(&e.columns()), Some(e.clone()));
        }
        let unknown = Columns {
            kind: "from-the-future",
            ..Columns::default()
        };
        assert_eq!(TimelineEvent::from_columns(&unknown), None);
    }

    #[test]
    fn only_steps_worth_listing_come_from_lifecycle_events() {
        let retry = Lifecycle::Retrying {
            attempt: 2,
            delay_ms: 1800,
        };
        assert_eq!(
            TimelineEvent::from_lifecycle(&retry),
            Some(TimelineEvent::Retrying {
                attempt: 2,
                delay_ms: 1800
            })
        );
        assert_eq!(
            TimelineEvent::from_lifecycle(&Lifecycle::Connecting { attempt: 1 }),
            None
        );
        assert_eq!(
            TimelineEvent::from_lifecycle(&Lifecycle::Comment { text: "hb".into() }),
            None
        );
    }
}
