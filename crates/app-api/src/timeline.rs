//! The timeline in one wording. Every entry — a connection step, an edit, a stale period, a
//! pause, a gap, an id reset — is worded here from the stored data by [`describe`], the one
//! function that says it, so an entry reads the same while it happens and after a restart,
//! and says each thing once (an error says why, the backoff step after it says when).

use crate::dto::{gap_words, ms, reset_words, ErrorView, TimelineEntry, TimelineKind, Tone};
use std::time::{Duration, SystemTime};
use streamwatch_engine::catalog::{GapRecord, ResetRecord, Transition};
use streamwatch_engine::error_words::plain_error;
use streamwatch_engine::liveness::words as duration_words;
use streamwatch_engine::timeline::{TimelineEvent, TimelineRecord};

/// What happened, from any of the stored sources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact<'a> {
    /// A connection step or an edit.
    Step(&'a TimelineEvent),
    /// The stream went silent past its threshold; `reason` is the liveness verdict's words.
    Stale { reason: &'a str },
    /// Data came again after a stale period that lasted `stale_for` (when its start is
    /// known), else `reason`'s words.
    Fresh {
        stale_for: Option<Duration>,
        reason: &'a str,
    },
    /// Paused by the user.
    Paused,
    /// Resumed by the user.
    Resumed,
    /// A state change stored by an older version.
    Legacy(&'a Transition),
    /// Ids jumped.
    Gap(&'a GapRecord),
    /// Ids went backwards.
    Reset(&'a ResetRecord),
}

/// The one wording of a timeline entry: `fact` at `at`.
pub fn describe(at: SystemTime, fact: &Fact<'_>) -> TimelineEntry {
    let mut e = TimelineEntry {
        at_ms: ms(at),
        kind: TimelineKind::Transition,
        from: None,
        to: None,
        reason: String::new(),
        missed: None,
        title: String::new(),
        detail: String::new(),
        tone: Tone::Neutral,
        error: None,
        attempt: None,
        delay_ms: None,
    };
    let (kind, title, detail, tone): (TimelineKind, &str, String, Tone) = match fact {
        Fact::Step(step) => match step {
            TimelineEvent::Started { status } => (
                TimelineKind::Started,
                "connected",
                format!("HTTP {status}"),
                Tone::Good,
            ),
            TimelineEvent::Error {
                error_kind,
                status,
                message,
            } => {
                let plain = plain_error(Some(*error_kind), *status, message);
                e.error = Some(ErrorView {
                    plain: plain.clone(),
                    raw: message.clone(),
                });
                e.reason = message.clone();
                (TimelineKind::Error, "error", plain, Tone::Bad)
            }
            TimelineEvent::Finished => (
                TimelineKind::Finished,
                "stream ended",
                String::new(),
                Tone::Neutral,
            ),
            TimelineEvent::Retrying { attempt, delay_ms } => {
                e.attempt = Some(*attempt);
                e.delay_ms = Some(*delay_ms);
                (
                    TimelineKind::Retrying,
                    "retrying",
                    format!("attempt {attempt}, next in {}", delay_words(*delay_ms)),
                    Tone::Warn,
                )
            }
            TimelineEvent::RetriesFailed { attempts } => {
                e.attempt = Some(*attempts);
                (
                    TimelineKind::RetriesFailed,
                    "gave up",
                    format!(
                        "after {attempts} {}",
                        if *attempts == 1 { "retry" } else { "retries" }
                    ),
                    Tone::Bad,
                )
            }
            TimelineEvent::RetryChanged { retry_ms } => {
                e.delay_ms = Some(*retry_ms);
                (
                    TimelineKind::RetryChanged,
                    "server retry delay",
                    format!("now {}", delay_words(*retry_ms)),
                    Tone::Neutral,
                )
            }
            // "finished: [DONE] after 3.2 s, 120 events": a finite stream done for good.
            TimelineEvent::RunFinished { ending, .. } => (
                TimelineKind::Finished,
                "finished",
                ending.words(),
                Tone::Good,
            ),
            TimelineEvent::Edited { fields } => (
                TimelineKind::Edited,
                "edited",
                fields.clone(),
                Tone::Neutral,
            ),
            // Said as the status line says it, with the engine's words a click away.
            TimelineEvent::NotStarted { message } => {
                let raw = format!("could not start: {message}");
                // The title says "could not start"; the plain words say why.
                let plain = plain_error(None, None, message);
                e.error = Some(ErrorView {
                    plain: plain.clone(),
                    raw: raw.clone(),
                });
                e.reason = raw;
                (
                    TimelineKind::NotStarted,
                    "could not start",
                    plain,
                    Tone::Bad,
                )
            }
        },
        Fact::Stale { reason } => {
            e.reason = reason.to_string();
            (TimelineKind::Stale, "stale", reason.to_string(), Tone::Warn)
        }
        Fact::Fresh { stale_for, reason } => {
            e.reason = reason.to_string();
            let detail = match stale_for {
                Some(d) => format!("stale for {}", duration_words(*d)),
                None => reason.to_string(),
            };
            (TimelineKind::Fresh, "data again", detail, Tone::Good)
        }
        Fact::Paused => (TimelineKind::Paused, "paused", String::new(), Tone::Neutral),
        Fact::Resumed => (TimelineKind::Resumed, "resumed", String::new(), Tone::Good),
        Fact::Legacy(t) => {
            e.from = Some(t.from.clone());
            e.to = Some(t.to.clone());
            e.reason = t.reason.clone();
            let failing = matches!(t.to.as_str(), "retrying" | "failed");
            let detail = if failing && !t.reason.trim().is_empty() {
                let plain = plain_error(None, None, &t.reason);
                e.error = Some(ErrorView {
                    plain: plain.clone(),
                    raw: t.reason.clone(),
                });
                plain
            } else {
                t.reason.clone()
            };
            let tone = match t.to.as_str() {
                "open" => Tone::Good,
                "failed" => Tone::Bad,
                "retrying" | "stale" => Tone::Warn,
                _ => Tone::Neutral,
            };
            e.title = format!("{} → {}", t.from, t.to);
            (TimelineKind::Transition, "", detail, tone)
        }
        Fact::Gap(g) => {
            e.missed = Some(g.missed);
            let words = gap_words(g.after, g.next, g.missed);
            e.reason = words.clone();
            (TimelineKind::Gap, "events missed", words, Tone::Warn)
        }
        Fact::Reset(r) => {
            let words = reset_words(r.last, r.first);
            e.reason = words.clone();
            (TimelineKind::Reset, "ids reset", words, Tone::Warn)
        }
    };
    e.kind = kind;
    if e.title.is_empty() {
        e.title = title.to_string();
    }
    e.detail = detail;
    e.tone = tone;
    e
}

/// A delay as people read it: "870 ms", "1.8 s", "30 s", "2 min".
pub fn delay_words(delay_ms: u64) -> String {
    if delay_ms < 1000 {
        format!("{delay_ms} ms")
    } else if delay_ms < 10_000 {
        duration_words(Duration::from_millis(delay_ms))
    } else {
        // Jitter makes 29,986 ms of a 30 s cap: whole seconds, rounded.
        duration_words(Duration::from_secs(delay_ms.saturating_add(500) / 1000))
    }
}

/// One subscription's timeline from what storage holds, oldest first: connection steps and
/// edits (`steps`), stale periods, pauses and resumes (from `transitions`), gaps and resets
/// at or after `since`. State changes that the steps tell already (opened, retrying) are left
/// out, except those stored before the first step (by a version that kept no steps).
pub fn merge(
    steps: &[TimelineRecord],
    transitions: &[Transition],
    gaps: &[GapRecord],
    resets: &[ResetRecord],
    since: Option<SystemTime>,
) -> Vec<TimelineEntry> {
    let first_step = steps.first().map(|s| s.at);
    let mut dated: Vec<(SystemTime, TimelineEntry)> = steps
        .iter()
        .map(|s| (s.at, describe(s.at, &Fact::Step(&s.event))))
        .collect();
    let mut stale_since: Option<SystemTime> = None;
    for t in transitions {
        let fact = if t.to == "stale" {
            stale_since = Some(t.at);
            Some(Fact::Stale { reason: &t.reason })
        } else if t.from == "stale" {
            let stale_for = stale_since.take().and_then(|s| t.at.duration_since(s).ok());
            Some(Fact::Fresh {
                stale_for,
                reason: &t.reason,
            })
        } else if t.to == "paused" {
            Some(Fact::Paused)
        } else if t.from == "paused" {
            Some(Fact::Resumed)
        } else if first_step.is_none_or(|f| t.at < f) {
            Some(Fact::Legacy(t))
        } else {
            None
        };
        if let Some(fact) = fact {
            dated.push((t.at, describe(t.at, &fact)));
        }
    }
    let after = |at: SystemTime| since.is_none_or(|s| at >= s);
    dated.extend(
        gaps.iter()
            .filter(|g| after(g.at))
            .map(|g| (g.at, describe(g.at, &Fact::Gap(g)))),
    );
    dated.extend(
        resets
            .iter()
            .filter(|r| after(r.at))
            .map(|r| (r.at, describe(r.at, &Fact::Reset(r)))),
    );
    // Stable: entries at the same millisecond keep the order above.
    dated.sort_by_key(|(at, _)| *at);
    dated.into_iter().map(|(_, e)| e).collect()
}

/// An entry as one line of text ("retrying: attempt 6, next in 30 s"), for the CLI and tests.
pub fn line(e: &TimelineEntry) -> String {
    if e.detail.is_empty() {
        e.title.clone()
    } else {
        format!("{}: {}", e.title, e.detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;
    use streamwatch_engine::ErrorKind;

    fn at(ms: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(ms)
    }

    fn step(ms: u64, event: TimelineEvent) -> TimelineRecord {
        TimelineRecord { at: at(ms), event }
    }

    fn transition(ms: u64, from: &str, to: &str, reason: &str) -> Transition {
        Transition {
            at: at(ms),
            from: from.into(),
            to: to.into(),
            reason: reason.into(),
        }
    }

    const REFUSED: &str = "error sending request for url (http://127.0.0.1:9/events): client \
                           error (Connect): tcp connect error: Connection refused (os error 111)";

    #[test]
    fn a_backoff_step_says_its_attempt_and_wait_once() {
        let e = describe(
            at(5),
            &Fact::Step(&TimelineEvent::Retrying {
                attempt: 6,
                delay_ms: 29_986,
            }),
        );
        assert_eq!(line(&e), "retrying: attempt 6, next in 30 s");
        assert_eq!((e.attempt, e.delay_ms), (Some(6), Some(29_986)));
        assert_eq!(e.kind, TimelineKind::Retrying);
        let short = describe(
            at(5),
            &Fact::Step(&TimelineEvent::Retrying {
                attempt: 1,
                delay_ms: 870,
            }),
        );
        assert_eq!(line(&short), "retrying: attempt 1, next in 870 ms");
    }

    #[test]
    fn an_error_is_plain_words_first_with_the_raw_chain_beside() {
        let e = describe(
            at(1),
            &Fact::Step(&TimelineEvent::Error {
                error_kind: ErrorKind::Network,
                status: None,
                message: REFUSED.into(),
            }),
        );
        assert_eq!(line(&e), "error: The server refused the connection");
        let err = e.error.expect("an error view");
        assert_eq!(err.plain, "The server refused the connection");
        assert_eq!(err.raw, REFUSED);
        assert!(
            !e.detail.contains("os error"),
            "the raw chain is not in the line"
        );
    }

    #[test]
    fn a_start_that_failed_says_so_with_the_reason_in_plain_words() {
        let message = "method \"NOT A METHOD\" is not a valid HTTP method";
        let steps = [step(
            100,
            TimelineEvent::NotStarted {
                message: message.into(),
            },
        )];
        // The state change stored with it is not told twice.
        let transitions = [transition(100, "connecting", "failed", "could not start")];
        let entries = merge(&steps, &transitions, &[], &[], None);
        assert_eq!(entries.len(), 1, "{entries:?}");
        let e = &entries[0];
        assert_eq!(e.kind, TimelineKind::NotStarted);
        assert_eq!(e.tone, Tone::Bad);
        assert!(line(e).starts_with("could not start: "), "{}", line(e));
        let err = e.error.as_ref().expect("an error view");
        assert_eq!(err.raw, format!("could not start: {message}"));
        assert_eq!(err.plain, e.detail);
    }

    #[test]
    fn edits_and_stale_periods_read_in_plain_words() {
        let steps = [step(
            100,
            TimelineEvent::Edited {
                fields: "URL, headers".into(),
            },
        )];
        let transitions = [
            transition(
                1_000,
                "open",
                "stale",
                "no data for 4 s (usually every 1 s)",
            ),
            transition(
                121_000,
                "stale",
                "open",
                "data again after 2 min of silence",
            ),
            transition(130_000, "open", "paused", "paused"),
            transition(140_000, "paused", "connecting", "resumed"),
        ];
        let lines: Vec<_> = merge(&steps, &transitions, &[], &[], None)
            .iter()
            .map(line)
            .collect();
        assert_eq!(
            lines,
            [
                "edited: URL, headers",
                "stale: no data for 4 s (usually every 1 s)",
                "data again: stale for 2 min",
                "paused",
                "resumed",
            ]
        );
    }

    #[test]
    fn state_changes_the_steps_tell_are_not_repeated_but_older_ones_are_kept() {
        let steps = [
            step(2_000, TimelineEvent::Started { status: 200 }),
            step(
                3_000,
                TimelineEvent::Error {
                    error_kind: ErrorKind::Network,
                    status: None,
                    message: REFUSED.into(),
                },
            ),
            step(
                3_001,
                TimelineEvent::Retrying {
                    attempt: 1,
                    delay_ms: 1000,
                },
            ),
        ];
        let transitions = [
            // Stored by a version without steps.
            transition(1_000, "connecting", "retrying", REFUSED),
            // Told by the steps.
            transition(2_000, "connecting", "open", "stream opened (200)"),
            transition(3_001, "open", "retrying", "…; retry 1 in 1000 ms"),
        ];
        let entries = merge(&steps, &transitions, &[], &[], None);
        let lines: Vec<_> = entries.iter().map(line).collect();
        assert_eq!(
            lines,
            [
                "connecting → retrying: The server refused the connection",
                "connected: HTTP 200",
                "error: The server refused the connection",
                "retrying: attempt 1, next in 1 s",
            ]
        );
        assert_eq!(
            entries[0].error.as_ref().map(|e| e.raw.as_str()),
            Some(REFUSED)
        );
    }

    #[test]
    fn the_same_step_reads_the_same_wherever_it_comes_from() {
        // Live: from the lifecycle event; stored: from the columns it is kept in.
        let live = streamwatch_engine::Lifecycle::Retrying {
            attempt: 3,
            delay_ms: 4200,
        };
        let step = TimelineEvent::from_lifecycle(&live).expect("a timeline step");
        let stored = TimelineEvent::from_columns(&step.columns()).expect("reads back");
        assert_eq!(
            describe(at(9), &Fact::Step(&step)),
            describe(at(9), &Fact::Step(&stored))
        );
    }

    #[test]
    fn gaps_and_resets_from_since_in_time_order() {
        let g = |ms| GapRecord {
            at: at(ms),
            after: 1,
            next: 5,
            missed: 3,
        };
        let r = |ms| ResetRecord {
            at: at(ms),
            last: 41,
            first: 1,
        };
        let entries = merge(&[], &[], &[g(5), g(20)], &[r(2), r(25)], Some(at(10)));
        let got: Vec<_> = entries.iter().map(|e| (e.at_ms, e.kind)).collect();
        assert_eq!(got, [(20, TimelineKind::Gap), (25, TimelineKind::Reset)]);
        assert_eq!(entries[0].missed, Some(3));
        assert_eq!(
            line(&entries[1]),
            "ids reset: ids went backwards from 41 to 1: did the server restart?"
        );
    }
}
