//! Continuity of integer event ids: spotting missed events (gaps), re-sent ones (replays) and a
//! server whose counter started again (resets), when a server numbers its events with increasing
//! integer ids.
//!
//! No event is ever dropped here: every verdict delivers the event, some with a note.
//!
//! # The rule
//!
//! After a (re)connect that resumed from integer id `r`, the first event with an integer id `n`:
//! - `n == r + 1` continues; `n > r + 1` is a gap of `n - r - 1` missed events;
//! - `n <= 1` (a counter's first value, while `n <= r`) is a **reset**: the server started
//!   counting again and ignored `Last-Event-ID`;
//! - `1 < n <= r` starts a **replay**: the server re-sends events we already have.
//!
//! While replaying (last replayed id `p`), the next id `n`:
//! - `p < n <= r` is still a replay (rising towards `r`, never past it);
//! - `n == r + 1` ends the replay; `n > r + 1` ends it with a gap after `r`;
//! - `n <= p` (fell back instead of climbing) is a reset from `p` to `n`.
//!
//! Once live (last id `p`), an id that goes down (`n < p`) is a reset, anywhere in a stream; an
//! equal id is not (some servers give several events the same id). A rise past `p + 1` inside
//! one connection is a gap once the counter has shown that it counts by one (a step of exactly
//! one since the connection started or its counter was reset): servers that number sparsely
//! (every tenth id, millisecond timestamps) never take such a step, so they are not flooded
//! with false gaps, while a counter that skips from 3 to 7 is caught. After a reset, continuity
//! follows the new counter and must show again that it counts by one. Events without their own
//! id, or with a non-integer one, are delivered without a judgement; inside a replay an id-less
//! event belongs to it and is marked replayed too.
//!
//! # Ids that are not sequential
//!
//! A subscription may say its ids are not sequential (a server that numbers events from a
//! counter shared with other streams, so its ids rise by uneven steps that can look like one):
//! then no jump is ever a gap, inside a connection or across a reconnect. Everything else
//! stands: the ids are still taken to rise, so ids that climb back to the resumed one are a
//! replay and ids that go down are a reset (a restarted counter is just as real for such a
//! server, and a server whose ids do not even rise has non-integer or random ids that should
//! not be judged as integers at all).

/// What an event's id says about continuity. Every verdict delivers the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Continuity is confirmed (or cannot be judged).
    Deliver,
    /// The server re-sent an event we already have: deliver it, marked as replayed.
    Replay,
    /// Ids jumped: `missed` events between `after` and `next` never arrived.
    Gap {
        /// The last id we had.
        after: u64,
        /// The id that arrived.
        next: u64,
        /// How many ids were skipped.
        missed: u64,
    },
    /// Ids went backwards and do not replay: the server's counter started again.
    Reset {
        /// The id we had before.
        last: u64,
        /// The id that arrived.
        first: u64,
    },
}

/// Parses an id as a plain non-negative decimal integer (no sign, no spaces, no leading `+`).
fn numeric(id: &str) -> Option<u64> {
    if id.is_empty() || id.len() > 20 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    id.parse().ok()
}

/// Where a connection is in the rule above.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Resumed from `from`; no integer id judged yet.
    Resuming { from: u64 },
    /// Re-sending ids up to `upto`; the last one was `prev`.
    Replaying { upto: u64, prev: u64 },
    /// Following the stream; `prev` is the last integer id, if any; `by_one` once the counter
    /// has taken a step of exactly one, so that a jump is a gap.
    Live { prev: Option<u64>, by_one: bool },
}

/// Judges one connection's event ids in order. Pure: no I/O, no clock.
#[derive(Debug, Clone)]
pub struct Tracker {
    phase: Phase,
    /// Whether a jump is a gap: false when the subscription's ids are not sequential.
    gaps: bool,
}

impl Tracker {
    /// A tracker for a connection that sent `last_event_id` ("" for none).
    pub fn resuming(last_event_id: &str) -> Self {
        let phase = match numeric(last_event_id) {
            Some(from) => Phase::Resuming { from },
            None => Phase::Live {
                prev: None,
                by_one: false,
            },
        };
        Tracker { phase, gaps: true }
    }

    /// The same tracker for a subscription whose ids are not sequential when `on`: no jump is
    /// a gap (replays and resets are still told; see the module docs).
    pub fn ids_not_sequential(mut self, on: bool) -> Self {
        self.gaps = !on;
        self
    }

    /// Whether the tracker is inside a replay: the last id delivered is not newer than the
    /// resumed one, so it must not become the last event id.
    pub fn replaying(&self) -> bool {
        matches!(self.phase, Phase::Replaying { .. })
    }

    /// Judges the next event: `id` is `Some` only when the event carried its own `id:` field.
    pub fn judge(&mut self, id: Option<&str>) -> Verdict {
        let Some(id) = id else {
            return if self.replaying() {
                Verdict::Replay
            } else {
                Verdict::Deliver
            };
        };
        let Some(n) = numeric(id) else {
            // Not judgeable, and it breaks the run: later integer ids start a fresh one.
            self.phase = Phase::Live {
                prev: None,
                by_one: false,
            };
            return Verdict::Deliver;
        };
        let (phase, verdict) = step(self.phase, n);
        self.phase = phase;
        match verdict {
            Verdict::Gap { .. } if !self.gaps => Verdict::Deliver,
            v => v,
        }
    }
}

/// The rule of the module docs: the next phase and the verdict for integer id `n`.
fn step(phase: Phase, n: u64) -> (Phase, Verdict) {
    // Following on from `after`: whether this is a step of one, and the gap if it jumped.
    let onward = |after: u64| {
        let gap = (n > after.saturating_add(1)).then(|| Verdict::Gap {
            after,
            next: n,
            missed: n - after - 1,
        });
        (after.checked_add(1) == Some(n), gap)
    };
    let live = |by_one: bool| Phase::Live {
        prev: Some(n),
        by_one,
    };
    let reset = |last: u64| (live(false), Verdict::Reset { last, first: n });
    match phase {
        Phase::Resuming { from } if n > from => {
            let (one, gap) = onward(from);
            (live(one), gap.unwrap_or(Verdict::Deliver))
        }
        Phase::Resuming { from } if n <= 1 => reset(from),
        Phase::Resuming { from } => (
            Phase::Replaying {
                upto: from,
                prev: n,
            },
            Verdict::Replay,
        ),
        Phase::Replaying { upto, .. } if n > upto => {
            let (one, gap) = onward(upto);
            (live(one), gap.unwrap_or(Verdict::Deliver))
        }
        Phase::Replaying { upto, prev } if n > prev => {
            (Phase::Replaying { upto, prev: n }, Verdict::Replay)
        }
        Phase::Replaying { prev, .. } => reset(prev),
        Phase::Live {
            prev: Some(prev),
            by_one,
        } => {
            if n < prev {
                return reset(prev);
            }
            let (one, gap) = onward(prev);
            match gap {
                // Only a counter that has shown it counts by one can skip.
                Some(gap) if by_one => (live(true), gap),
                _ => (live(by_one || one), Verdict::Deliver),
            }
        }
        Phase::Live { prev: None, .. } => (live(false), Verdict::Deliver),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Verdicts for `ids` after resuming from `from`.
    fn run(from: &str, ids: &[&str]) -> Vec<Verdict> {
        let mut t = Tracker::resuming(from);
        ids.iter().map(|id| t.judge(Some(id))).collect()
    }

    fn gap(after: u64, next: u64) -> Verdict {
        Verdict::Gap {
            after,
            next,
            missed: next - after - 1,
        }
    }

    fn reset(last: u64, first: u64) -> Verdict {
        Verdict::Reset { last, first }
    }

    use Verdict::{Deliver as D, Replay as R};

    #[test]
    fn consecutive_ids_deliver() {
        assert_eq!(run("41", &["42", "43"]), [D, D]);
    }

    #[test]
    fn a_jump_is_a_gap_of_the_skipped_count() {
        assert_eq!(run("41", &["57"]), [gap(41, 57)]);
        assert_eq!(
            gap(41, 57),
            Verdict::Gap {
                after: 41,
                next: 57,
                missed: 15
            }
        );
    }

    #[test]
    fn a_replay_rises_to_the_resumed_id_then_continues() {
        assert_eq!(run("41", &["39", "40", "41", "42"]), [R, R, R, D]);
    }

    #[test]
    fn a_jump_past_the_resumed_id_after_a_replay_is_still_a_gap() {
        assert_eq!(run("41", &["40", "41", "45"]), [R, R, gap(41, 45)]);
        // Ending the replay early is fine: what matters is what follows the resumed id.
        assert_eq!(run("41", &["39", "42"]), [R, D]);
    }

    #[test]
    fn a_first_id_of_zero_or_one_is_a_reset() {
        assert_eq!(run("2785", &["1", "2", "3"]), [reset(2785, 1), D, D]);
        assert_eq!(run("2785", &["0"]), [reset(2785, 0)]);
        assert_eq!(run("1", &["1", "2"]), [reset(1, 1), D]);
    }

    #[test]
    fn a_replay_that_falls_back_is_a_reset() {
        assert_eq!(run("41", &["39", "40", "7", "8"]), [R, R, reset(40, 7), D]);
        assert_eq!(run("41", &["39", "39"]), [R, reset(39, 39)]);
    }

    #[test]
    fn going_down_mid_stream_is_a_reset_and_the_new_counter_is_followed() {
        assert_eq!(
            run("", &["5", "6", "2", "3", "9"]),
            [D, D, reset(6, 2), D, gap(3, 9)]
        );
        // Equal ids are not a step back.
        assert_eq!(run("", &["5", "5", "6"]), [D, D, D]);
    }

    #[test]
    fn sparse_ids_within_a_stream_are_not_gaps() {
        assert_eq!(run("", &["10", "20", "30"]), [D, D, D]);
        // Millisecond timestamps, some equal: never a step of one.
        let stamps = [
            "1700000000000",
            "1700000000137",
            "1700000000137",
            "1700000000420",
        ];
        assert_eq!(run("", &stamps), [D, D, D, D]);
        assert_eq!(
            run("1700000000420", &["1700000000999"]),
            [gap(1_700_000_000_420, 1_700_000_000_999)]
        );
    }

    #[test]
    fn a_counter_that_counts_by_one_and_skips_inside_a_connection_is_a_gap() {
        assert_eq!(run("", &["1", "2", "3", "7", "8"]), [D, D, D, gap(3, 7), D]);
        // Every later jump is one too, not only the first.
        assert_eq!(run("", &["1", "2", "5", "9"]), [D, D, gap(2, 5), gap(5, 9)]);
        // The step from the resumed id counts as counting by one.
        assert_eq!(run("41", &["42", "50"]), [D, gap(42, 50)]);
        // So does a replay's own climb, and the step out of it.
        assert_eq!(run("41", &["40", "41", "42", "44"]), [R, R, D, gap(42, 44)]);
        // Equal ids neither count nor break the run.
        assert_eq!(run("", &["4", "5", "5", "8"]), [D, D, D, gap(5, 8)]);
    }

    #[test]
    fn a_reset_must_show_again_that_the_new_counter_counts_by_one() {
        assert_eq!(
            run("", &["1", "2", "3", "1", "10", "11", "13"]),
            [D, D, D, reset(3, 1), D, D, gap(11, 13)]
        );
        // A non-integer id breaks the run as well.
        assert_eq!(run("", &["1", "2", "x", "5", "9"]), [D, D, D, D, D]);
    }

    #[test]
    fn the_largest_ids_neither_overflow_nor_count_as_a_gap() {
        let max = u64::MAX.to_string();
        let below = (u64::MAX - 1).to_string();
        assert_eq!(run("", &[&below, &max, &max]), [D, D, D]);
        assert_eq!(run(&below, &[&max]), [D]);
        assert_eq!(run("", &["1", "2", &max]), [D, D, gap(2, u64::MAX)]);
    }

    #[test]
    fn id_less_events_inside_a_replay_are_replayed() {
        let mut t = Tracker::resuming("41");
        assert_eq!(t.judge(None), D);
        assert_eq!(t.judge(Some("40")), R);
        assert!(t.replaying());
        assert_eq!(t.judge(None), R);
        assert_eq!(t.judge(Some("42")), D);
        assert_eq!(t.judge(None), D);
    }

    /// Verdicts for `ids` after resuming from `from`, for ids that are not sequential.
    fn run_not_sequential(from: &str, ids: &[&str]) -> Vec<Verdict> {
        let mut t = Tracker::resuming(from).ids_not_sequential(true);
        ids.iter().map(|id| t.judge(Some(id))).collect()
    }

    #[test]
    fn ids_that_are_not_sequential_never_make_a_gap() {
        // Inside a connection, after counting by one…
        assert_eq!(
            run_not_sequential("", &["1", "2", "3", "7", "8", "20"]),
            [D, D, D, D, D, D]
        );
        // …and across a reconnect, or out of a replay.
        assert_eq!(run_not_sequential("41", &["57", "90"]), [D, D]);
        assert_eq!(run_not_sequential("41", &["40", "41", "45"]), [R, R, D]);
        // Off (the default), the same ids are gaps.
        assert_eq!(run("41", &["57"]), [gap(41, 57)]);
        assert_eq!(
            Tracker::resuming("41")
                .ids_not_sequential(false)
                .judge(Some("57")),
            gap(41, 57)
        );
    }

    #[test]
    fn ids_that_are_not_sequential_still_replay_and_reset() {
        assert_eq!(
            run_not_sequential("41", &["39", "41", "50"]),
            [R, R, D],
            "a climb back to the resumed id is a replay"
        );
        assert_eq!(
            run_not_sequential("2785", &["1", "5"]),
            [reset(2785, 1), D],
            "a first id of 1 is a restarted counter"
        );
        assert_eq!(
            run_not_sequential("", &["10", "30", "12", "40"]),
            [D, D, reset(30, 12), D],
            "ids that go down are a reset"
        );
    }

    #[test]
    fn non_integer_ids_cannot_be_judged() {
        assert_eq!(run("abc", &["abd"]), [D]);
        assert_eq!(run("41", &["x-42", "3"]), [D, D]);
        assert_eq!(run("-1", &["5"]), [D]);
        assert_eq!(run("", &["5"]), [D]);
        assert_eq!(run("99999999999999999999999", &["5"]), [D]);
        assert_eq!(run("18446744073709551615", &["1"]), [reset(u64::MAX, 1)]);
    }
}
