//! Liveness: telling a silent stream from a quiet one, in the engine itself (the daemon has no
//! window to do it). Two rules, both learned from what arrives:
//!
//! - **stale** ([`Liveness`]): an open stream with no message for longer than its stale
//!   threshold ([`IntervalEstimator::threshold`], the rule the window also uses, or the
//!   subscription's own `stale_after`) is stale until a message arrives. The supervisor feeds
//!   it messages and asks it on a timer; going stale and fresh again are recorded and notified.
//! - **auto idle timeout** ([`AutoIdle`]): a connection with no idle timeout set reconnects
//!   after [`AUTO_IDLE_FACTOR`] times its usual gap between byte arrivals (comments count, so
//!   heartbeats keep a quiet stream alive), at least a floor of [`AUTO_IDLE_FLOOR`]: a half-open
//!   socket is noticed. The connection learns the gap itself, from its own reads.
//!
//! Pure: times come in as arguments, so the rules are tested without a clock.

use crate::alerts::stale::{IntervalEstimator, STALE_ABSOLUTE};
use std::time::{Duration, SystemTime};

/// The automatic idle timeout is never shorter than this: a quiet stream is not a dead one,
/// and a reconnect costs the server a request.
pub const AUTO_IDLE_FLOOR: Duration = Duration::from_secs(45);
/// The automatic idle timeout is this many usual gaps between byte arrivals.
pub const AUTO_IDLE_FACTOR: u32 = 3;
/// Before a stream's habits are known, its usual gap is taken to be this (the stale rule's
/// "no habits known" threshold), so the first timeout is [`AUTO_IDLE_FACTOR`] times it.
pub const UNLEARNED_GAP: Duration = STALE_ABSOLUTE;
/// The longest an unlearned timeout grows to (see [`AutoIdle::timed_out`]).
pub const MAX_UNLEARNED_IDLE: Duration = Duration::from_secs(3600);

/// The automatic idle timeout of one subscription's connection. It survives reconnects (it
/// lives in the connection's state), so what was learned is kept.
#[derive(Debug, Clone)]
pub struct AutoIdle {
    gaps: IntervalEstimator,
    floor: Duration,
    /// Timeouts in a row that saw no byte at all while nothing was learned: each doubles the
    /// next timeout, so a stream whose events are rarer than the unlearned timeout is not
    /// reconnected forever before its first byte.
    quiet_timeouts: u32,
    /// When the current attempt's response arrived: gaps spanning a reconnect are not gaps.
    attempt_since: Option<SystemTime>,
    bytes_this_attempt: bool,
}

impl Default for AutoIdle {
    fn default() -> Self {
        Self::with_floor(AUTO_IDLE_FLOOR)
    }
}

impl AutoIdle {
    /// An automatic idle timeout that is never below `floor` ([`AUTO_IDLE_FLOOR`] outside
    /// tests).
    pub fn with_floor(floor: Duration) -> Self {
        AutoIdle {
            gaps: IntervalEstimator::default(),
            floor,
            quiet_timeouts: 0,
            attempt_since: None,
            bytes_this_attempt: false,
        }
    }

    /// A new attempt starts (request sent) at `at`.
    pub fn attempt_started(&mut self, at: SystemTime) {
        self.attempt_since = Some(at);
        self.bytes_this_attempt = false;
    }

    /// Bytes arrived at `at` (a read from the socket, whatever it held).
    pub fn bytes_arrived(&mut self, at: SystemTime) {
        self.gaps.observe(Some(at), self.attempt_since);
        self.bytes_this_attempt = true;
        self.quiet_timeouts = 0;
    }

    /// The timeout fired.
    pub fn timed_out(&mut self) {
        if !self.bytes_this_attempt {
            self.quiet_timeouts = self.quiet_timeouts.saturating_add(1).min(16);
        }
    }

    /// How long to wait for the next bytes now.
    pub fn timeout(&self) -> Duration {
        match self.gaps.usual() {
            Some(usual) => (usual * AUTO_IDLE_FACTOR).max(self.floor),
            None => {
                let first = (UNLEARNED_GAP * AUTO_IDLE_FACTOR).max(self.floor);
                let grown = first.saturating_mul(1u32 << self.quiet_timeouts.min(16));
                grown.min(MAX_UNLEARNED_IDLE.max(first))
            }
        }
    }
}

/// A change of liveness to record and tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// No message for `silent_for` (the threshold in force) on an open stream.
    Stale {
        /// How long it has been silent.
        silent_for: Duration,
        /// The learned usual gap between messages, when known.
        usual: Option<Duration>,
    },
    /// A message arrived on a stale stream.
    Fresh {
        /// How long the silence lasted, from the last message (or open) to this one.
        silent_for: Duration,
    },
}

impl Change {
    /// The words stored in the timeline and used by notifications ("no data for 1 min
    /// (usually every 2 s)").
    pub fn reason(&self) -> String {
        match self {
            Change::Stale { silent_for, usual } => match usual {
                Some(u) => format!(
                    "no data for {} (usually every {})",
                    words(*silent_for),
                    words(*u)
                ),
                None => format!("no data for {}", words(*silent_for)),
            },
            Change::Fresh { silent_for } => {
                format!("data again after {} of silence", words(*silent_for))
            }
        }
    }
}

/// One subscription's stale judgement: the usual gap between its messages, its override, and
/// whether it is stale now.
#[derive(Debug, Clone, Default)]
pub struct Liveness {
    messages: IntervalEstimator,
    stale_after: Option<Duration>,
    /// Since when the silence started (the last message or open), while stale.
    silent_since: Option<SystemTime>,
}

impl Liveness {
    /// A judgement with the subscription's own threshold, or `None` to learn it.
    pub fn new(stale_after: Option<Duration>) -> Self {
        Liveness {
            stale_after: stale_after.filter(|d| !d.is_zero()),
            ..Default::default()
        }
    }

    /// The subscription's settings changed.
    pub fn set_stale_after(&mut self, stale_after: Option<Duration>) {
        self.stale_after = stale_after.filter(|d| !d.is_zero());
    }

    /// How long the stream may be silent before it is stale.
    pub fn threshold(&self) -> Duration {
        self.stale_after
            .unwrap_or_else(|| self.messages.threshold())
    }

    /// The learned usual gap between messages, once trusted.
    pub fn usual(&self) -> Option<Duration> {
        self.messages.usual()
    }

    /// Whether the stream is stale now.
    pub fn is_stale(&self) -> bool {
        self.silent_since.is_some()
    }

    /// A message arrived at `at` on a stream open since `connected_since`; says whether that
    /// ends a stale period.
    pub fn message(
        &mut self,
        at: SystemTime,
        connected_since: Option<SystemTime>,
    ) -> Option<Change> {
        self.messages.observe(Some(at), connected_since);
        let since = self.silent_since.take()?;
        Some(Change::Fresh {
            silent_for: at.duration_since(since).unwrap_or_default(),
        })
    }

    /// The stream stopped for good or was paused: no longer stale, and nothing to tell (the
    /// state change itself is told).
    pub fn ended(&mut self) {
        self.silent_since = None;
    }

    /// Judges an open stream at `now`: says when it has just gone stale. A stream stays stale
    /// across reconnects until a message arrives (a reconnect brings no data).
    pub fn check(
        &mut self,
        open: bool,
        last_message_at: Option<SystemTime>,
        connected_since: Option<SystemTime>,
        now: SystemTime,
    ) -> Option<Change> {
        if !open || self.is_stale() {
            return None;
        }
        let reference = last_message_at.max(connected_since)?;
        let silent_for = now.duration_since(reference).unwrap_or_default();
        if silent_for < self.threshold() {
            return None;
        }
        self.silent_since = Some(reference);
        Some(Change::Stale {
            silent_for,
            usual: if self.stale_after.is_some() {
                None
            } else {
                self.usual()
            },
        })
    }

    /// When to judge next; `None` while there is nothing to judge (not open, or stale
    /// already: only a message ends that).
    pub fn next_check(
        &self,
        open: bool,
        last_message_at: Option<SystemTime>,
        connected_since: Option<SystemTime>,
    ) -> Option<SystemTime> {
        if !open || self.is_stale() {
            return None;
        }
        Some(last_message_at.max(connected_since)? + self.threshold())
    }
}

/// "0.2 s", "2 s", "1 min", "1 min 5 s", "2 h 4 min": short enough for a notification title.
pub fn words(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 10_000 && ms % 1000 != 0 {
        let tenths = (ms + 50) / 100;
        return if tenths % 10 == 0 {
            format!("{} s", tenths / 10)
        } else {
            format!("{}.{} s", tenths / 10, tenths % 10)
        };
    }
    let s = d.as_secs();
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 if s % 60 == 0 => format!("{} min", s / 60),
        60..=3599 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::stale::STALE_FLOOR;

    fn at(ms: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_millis(ms)
    }

    /// Messages every `every` ms from `from`, `n` of them, on a stream open since 0.
    fn fed(l: &mut Liveness, from: u64, every: u64, n: u64) -> u64 {
        let mut last = from;
        for i in 0..n {
            last = from + i * every;
            assert_eq!(l.message(at(last), Some(at(0))), None);
        }
        last
    }

    #[test]
    fn a_stream_silent_past_five_usual_gaps_goes_stale_once_and_fresh_on_the_next_message() {
        let mut l = Liveness::new(None);
        let last = fed(&mut l, 0, 2_000, 6);
        assert_eq!(l.threshold(), Duration::from_secs(10));
        assert_eq!(
            l.next_check(true, Some(at(last)), Some(at(0))),
            Some(at(last + 10_000))
        );
        assert_eq!(
            l.check(true, Some(at(last)), Some(at(0)), at(last + 9_999)),
            None
        );
        let stale = l.check(true, Some(at(last)), Some(at(0)), at(last + 10_000));
        assert_eq!(
            stale,
            Some(Change::Stale {
                silent_for: Duration::from_secs(10),
                usual: Some(Duration::from_secs(2))
            })
        );
        assert_eq!(
            stale.unwrap().reason(),
            "no data for 10 s (usually every 2 s)"
        );
        // Told once: later checks (and a reconnect) say nothing until data arrives.
        assert_eq!(
            l.check(true, Some(at(last)), Some(at(0)), at(last + 60_000)),
            None
        );
        assert_eq!(l.next_check(true, Some(at(last)), Some(at(0))), None);
        assert_eq!(
            l.check(
                true,
                Some(at(last)),
                Some(at(last + 70_000)),
                at(last + 90_000)
            ),
            None
        );
        let fresh = l.message(at(last + 95_000), Some(at(last + 70_000)));
        assert_eq!(
            fresh,
            Some(Change::Fresh {
                silent_for: Duration::from_secs(95)
            })
        );
        assert!(!l.is_stale());
    }

    #[test]
    fn without_habits_a_minute_of_silence_is_stale_and_an_override_wins() {
        let mut l = Liveness::new(None);
        assert_eq!(l.check(true, None, None, at(999_999)), None, "never open");
        assert_eq!(l.check(true, None, Some(at(0)), at(59_999)), None);
        assert_eq!(
            l.check(true, None, Some(at(0)), at(60_000)),
            Some(Change::Stale {
                silent_for: STALE_ABSOLUTE,
                usual: None
            })
        );
        let mut own = Liveness::new(Some(Duration::from_secs(300)));
        fed(&mut own, 0, 1_000, 10);
        assert_eq!(own.threshold(), Duration::from_secs(300));
        own.set_stale_after(None);
        assert_eq!(own.threshold(), Duration::from_secs(5));
        own.set_stale_after(Some(Duration::ZERO));
        assert_eq!(own.threshold(), Duration::from_secs(5), "0 means learned");
    }

    #[test]
    fn closed_or_paused_streams_are_not_judged_and_ending_clears_without_a_change() {
        let mut l = Liveness::new(Some(STALE_FLOOR));
        assert_eq!(l.check(false, Some(at(0)), None, at(100_000)), None);
        assert_eq!(l.next_check(false, Some(at(0)), None), None);
        assert!(l
            .check(true, Some(at(0)), Some(at(0)), at(100_000))
            .is_some());
        l.ended();
        assert!(!l.is_stale());
        assert_eq!(l.message(at(200_000), Some(at(150_000))), None);
    }

    #[test]
    fn the_auto_idle_timeout_is_three_usual_gaps_and_never_below_the_floor() {
        let mut idle = AutoIdle::with_floor(Duration::from_secs(1));
        assert_eq!(idle.timeout(), UNLEARNED_GAP * 3, "unknown habits");
        idle.attempt_started(at(0));
        for i in 1..=5 {
            idle.bytes_arrived(at(i * 2_000));
        }
        assert_eq!(idle.timeout(), Duration::from_secs(6));
        // A flood: the floor.
        let mut flood = AutoIdle::default();
        flood.attempt_started(at(0));
        for i in 1..=100 {
            flood.bytes_arrived(at(i));
        }
        assert_eq!(flood.timeout(), AUTO_IDLE_FLOOR);
    }

    #[test]
    fn a_reconnect_is_not_a_gap_and_quiet_timeouts_grow_until_bytes_arrive() {
        let mut idle = AutoIdle::with_floor(Duration::from_secs(1));
        idle.attempt_started(at(0));
        for i in 1..=4 {
            idle.bytes_arrived(at(i * 1_000));
        }
        assert_eq!(idle.timeout(), Duration::from_secs(3));
        idle.timed_out();
        idle.attempt_started(at(600_000));
        idle.bytes_arrived(at(600_500));
        assert_eq!(
            idle.timeout(),
            Duration::from_secs(3),
            "the 10 min outage is not a gap"
        );

        let mut rare = AutoIdle::default();
        let first = rare.timeout();
        rare.attempt_started(at(0));
        rare.timed_out();
        assert_eq!(rare.timeout(), first * 2);
        for _ in 0..20 {
            rare.attempt_started(at(0));
            rare.timed_out();
        }
        assert_eq!(rare.timeout(), MAX_UNLEARNED_IDLE);
        rare.attempt_started(at(0));
        rare.bytes_arrived(at(1));
        assert_eq!(rare.timeout(), first, "bytes end the growth");
    }

    #[test]
    fn durations_in_words() {
        assert_eq!(words(Duration::from_millis(200)), "0.2 s");
        assert_eq!(words(Duration::from_millis(1_960)), "2 s");
        assert_eq!(words(Duration::from_millis(2_500)), "2.5 s");
        assert_eq!(words(Duration::from_secs(60)), "1 min");
        assert_eq!(words(Duration::from_secs(65)), "1 min 5 s");
        assert_eq!(words(Duration::from_secs(7_440)), "2 h 4 min");
    }
}
