//! Each subscription's health as a glance shows it (open, stale, retrying, down, failed,
//! paused) and the aggregate the tray icon shows. Time-based conditions (stale, down longer
//! than the threshold) need a clock, so snapshots take `now`.

use super::stale::{self, IntervalEstimator};
use crate::ids::SubscriptionId;
use crate::status::{State, Status};
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

/// What one subscription looks like at a glance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// Open and delivering.
    Open,
    /// Open but silent for longer than usual.
    Stale,
    /// Open, and no message yet since it (re)opened: a 200 is not data.
    Waiting,
    /// A request is on its way (not yet down for long).
    Connecting,
    /// Waiting to reconnect (not yet down for long).
    Retrying {
        /// Consecutive failed attempts.
        attempt: u32,
    },
    /// Not open for longer than its "down after" threshold, still trying.
    Down {
        /// Consecutive failed attempts.
        attempt: u32,
    },
    /// Gave up, or a failure retrying cannot fix.
    Failed,
    /// Paused by the user.
    Paused,
    /// The server said there is nothing more (204).
    Stopped,
    /// The machine is offline or asleep: waiting without attempts.
    Offline,
}

impl Condition {
    /// The word shown for it.
    pub fn word(self) -> String {
        match self {
            Condition::Open => "open".into(),
            Condition::Stale => "stale".into(),
            Condition::Waiting => "waiting for data".into(),
            Condition::Connecting => "connecting".into(),
            Condition::Retrying { attempt } => format!("retrying {attempt}"),
            Condition::Down { attempt: 0 } => "down".into(),
            Condition::Down { attempt } => format!("down · retrying {attempt}"),
            Condition::Failed => "failed".into(),
            Condition::Paused => "paused".into(),
            Condition::Stopped => "stopped".into(),
            Condition::Offline => "offline".into(),
        }
    }

    /// The level it contributes to the aggregate.
    pub fn level(self) -> Level {
        match self {
            Condition::Open | Condition::Stopped => Level::Ok,
            Condition::Stale
            | Condition::Waiting
            | Condition::Connecting
            | Condition::Retrying { .. } => Level::Warning,
            Condition::Down { .. } | Condition::Failed => Level::Down,
            // Grey, like paused: nothing is wrong with the servers, and nothing is watched.
            Condition::Paused | Condition::Offline => Level::Paused,
        }
    }
}

/// The aggregate the tray icon shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    /// Everything that runs is open (green).
    Ok,
    /// Something is connecting, retrying or stale (amber).
    Warning,
    /// Something failed or has been down longer than its threshold (red).
    Down,
    /// Everything is paused, or there is nothing to watch (grey).
    Paused,
}

impl Level {
    /// A stable lower-case name (icon file names, tests).
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Ok => "ok",
            Level::Warning => "warning",
            Level::Down => "down",
            Level::Paused => "paused",
        }
    }
}

/// One subscription in a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubHealth {
    /// Which subscription.
    pub id: SubscriptionId,
    /// Its name.
    pub name: String,
    /// How it looks.
    pub condition: Condition,
}

/// Every subscription's health and the aggregate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// In id order (the order they were added).
    pub subs: Vec<SubHealth>,
    /// Streams open (stale and waiting ones included: the socket is up).
    pub open: usize,
    /// Streams connecting or retrying.
    pub retrying: usize,
    /// Streams open but silent.
    pub stale: usize,
    /// Streams down longer than their threshold (also counted in `retrying`).
    pub down: usize,
    /// Streams that failed.
    pub failed: usize,
    /// Streams paused.
    pub paused: usize,
    /// Streams waiting for the machine's network (or its wake).
    pub offline: usize,
    /// The icon's level.
    pub level: Level,
}

#[derive(Debug, Clone)]
struct Track {
    name: String,
    down_after: Option<Duration>,
    down_since: Option<SystemTime>,
    estimator: IntervalEstimator,
    status: Option<Status>,
}

/// Follows every subscription's status to judge its condition.
#[derive(Debug, Clone, Default)]
pub struct HealthTracker {
    subs: BTreeMap<SubscriptionId, Track>,
}

impl HealthTracker {
    /// An empty tracker.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a subscription or changes its name and threshold (`None`: never "down", only
    /// retrying).
    pub fn upsert(&mut self, id: SubscriptionId, name: &str, down_after: Option<Duration>) {
        let track = self.subs.entry(id).or_insert_with(|| Track {
            name: String::new(),
            down_after: None,
            down_since: None,
            estimator: IntervalEstimator::default(),
            status: None,
        });
        track.name = name.to_string();
        track.down_after = down_after;
    }

    /// Forgets a subscription.
    pub fn remove(&mut self, id: SubscriptionId) {
        self.subs.remove(&id);
    }

    /// The subscriptions tracked.
    pub fn ids(&self) -> impl Iterator<Item = SubscriptionId> + '_ {
        self.subs.keys().copied()
    }

    /// Folds in a status snapshot taken at `now`. Unknown ids are ignored (added by `upsert`).
    pub fn observe(&mut self, id: SubscriptionId, status: &Status, now: SystemTime) {
        let Some(track) = self.subs.get_mut(&id) else {
            return;
        };
        track
            .estimator
            .observe(status.last_message_at, status.connected_since);
        if is_down_state(status.state) {
            track.down_since.get_or_insert(now);
        } else {
            track.down_since = None;
        }
        track.status = Some(status.clone());
    }

    /// When subscription `id` went down, if it is down.
    pub fn down_since(&self, id: SubscriptionId) -> Option<SystemTime> {
        self.subs.get(&id).and_then(|t| t.down_since)
    }

    /// Every subscription's condition at `now`, and the aggregate.
    pub fn snapshot(&self, now: SystemTime) -> Snapshot {
        let subs: Vec<SubHealth> = self
            .subs
            .iter()
            .map(|(id, t)| SubHealth {
                id: *id,
                name: t.name.clone(),
                condition: condition(t, now),
            })
            .collect();
        let count = |f: fn(Condition) -> bool| subs.iter().filter(|s| f(s.condition)).count();
        let open = count(|c| matches!(c, Condition::Open | Condition::Stale | Condition::Waiting));
        let retrying = count(|c| {
            matches!(
                c,
                Condition::Connecting | Condition::Retrying { .. } | Condition::Down { .. }
            )
        });
        let stale = count(|c| c == Condition::Stale);
        let down = count(|c| matches!(c, Condition::Down { .. }));
        let failed = count(|c| c == Condition::Failed);
        let paused = count(|c| c == Condition::Paused);
        let offline = count(|c| c == Condition::Offline);
        let level = aggregate(subs.iter().map(|s| s.condition));
        Snapshot {
            subs,
            open,
            retrying,
            stale,
            down,
            failed,
            paused,
            offline,
            level,
        }
    }
}

/// States in which a subscription wants to be open and is not.
fn is_down_state(state: State) -> bool {
    matches!(state, State::Connecting | State::Retrying | State::Failed)
}

fn condition(t: &Track, now: SystemTime) -> Condition {
    let Some(status) = &t.status else {
        return Condition::Connecting;
    };
    let down_long = match (t.down_since, t.down_after) {
        (Some(since), Some(limit)) => now.duration_since(since).unwrap_or_default() >= limit,
        _ => false,
    };
    match status.state {
        State::Open => {
            let silent = stale::silence(status.last_message_at, status.connected_since, now);
            // The engine's own verdict (liveness, with the subscription's stale_after) wins;
            // the estimate here covers a status from before the engine judged.
            if status.stale_since.is_some() || silent.is_some_and(|s| s > t.estimator.threshold()) {
                Condition::Stale
            } else if no_message_since_open(status) {
                Condition::Waiting
            } else {
                Condition::Open
            }
        }
        State::Connecting | State::Retrying if down_long => Condition::Down {
            attempt: status.attempt,
        },
        State::Connecting => Condition::Connecting,
        State::Retrying => Condition::Retrying {
            attempt: status.attempt,
        },
        State::Failed => Condition::Failed,
        State::Paused => Condition::Paused,
        State::Stopped => Condition::Stopped,
        State::Offline => Condition::Offline,
    }
}

/// Whether an open stream has had no message since it (re)opened.
fn no_message_since_open(status: &Status) -> bool {
    match (status.last_message_at, status.connected_since) {
        (None, _) => true,
        (Some(last), Some(opened)) => last < opened,
        (Some(_), None) => false,
    }
}

/// The icon's level: red beats amber beats green; all paused (or none at all) is grey.
/// Stopped streams (the server said it is done) count as fine.
pub fn aggregate(conditions: impl IntoIterator<Item = Condition>) -> Level {
    let mut any_running = false;
    let mut level = Level::Ok;
    for c in conditions {
        match c.level() {
            Level::Paused => continue,
            Level::Down => return Level::Down,
            Level::Warning => level = Level::Warning,
            Level::Ok => {}
        }
        any_running = true;
    }
    if any_running {
        level
    } else {
        Level::Paused
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared_str::SharedStr;

    fn at(s: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000 + s)
    }

    fn status(state: State, attempt: u32) -> Status {
        let mut s = Status::new(SharedStr::default(), false);
        s.state = state;
        s.attempt = attempt;
        s
    }

    fn open_since(t: SystemTime) -> Status {
        let mut s = status(State::Open, 0);
        s.connected_since = Some(t);
        s.last_message_at = Some(t);
        s
    }

    fn tracker(n: u64) -> HealthTracker {
        let mut h = HealthTracker::new();
        for i in 1..=n {
            h.upsert(
                SubscriptionId(i),
                &format!("s{i}"),
                Some(Duration::from_secs(10)),
            );
        }
        h
    }

    #[test]
    fn all_open_is_green_and_nothing_is_grey() {
        let mut h = tracker(2);
        h.observe(SubscriptionId(1), &open_since(at(0)), at(0));
        h.observe(SubscriptionId(2), &open_since(at(0)), at(0));
        let s = h.snapshot(at(1));
        assert_eq!(
            (s.level, s.open, s.retrying, s.failed),
            (Level::Ok, 2, 0, 0)
        );
        assert_eq!(HealthTracker::new().snapshot(at(0)).level, Level::Paused);
    }

    #[test]
    fn a_retrying_stream_is_amber_until_its_threshold_then_red() {
        let mut h = tracker(2);
        h.observe(SubscriptionId(1), &open_since(at(0)), at(0));
        h.observe(SubscriptionId(2), &open_since(at(0)), at(0));
        h.observe(SubscriptionId(2), &status(State::Retrying, 1), at(5));
        let s = h.snapshot(at(6));
        assert_eq!(s.level, Level::Warning);
        assert_eq!(s.subs[1].condition, Condition::Retrying { attempt: 1 });
        // Attempts come and go; the outage is counted from the first one.
        h.observe(SubscriptionId(2), &status(State::Connecting, 1), at(8));
        h.observe(SubscriptionId(2), &status(State::Retrying, 2), at(9));
        let s = h.snapshot(at(15));
        assert_eq!(s.level, Level::Down);
        assert_eq!(s.subs[1].condition, Condition::Down { attempt: 2 });
        assert_eq!((s.retrying, s.down), (1, 1));
        assert_eq!(h.down_since(SubscriptionId(2)), Some(at(5)));
        // Back: green again, and the outage clock is reset.
        h.observe(SubscriptionId(2), &open_since(at(16)), at(16));
        assert_eq!(h.snapshot(at(16)).level, Level::Ok);
        assert_eq!(h.down_since(SubscriptionId(2)), None);
    }

    #[test]
    fn failed_is_red_at_once() {
        let mut h = tracker(1);
        h.observe(SubscriptionId(1), &status(State::Failed, 0), at(0));
        assert_eq!(h.snapshot(at(0)).level, Level::Down);
    }

    #[test]
    fn without_a_threshold_a_stream_is_never_down() {
        let mut h = HealthTracker::new();
        h.upsert(SubscriptionId(1), "s", None);
        h.observe(SubscriptionId(1), &status(State::Retrying, 9), at(0));
        assert_eq!(h.snapshot(at(3_600)).level, Level::Warning);
    }

    #[test]
    fn all_paused_is_grey_and_paused_streams_do_not_hide_others() {
        let mut h = tracker(2);
        h.observe(SubscriptionId(1), &status(State::Paused, 0), at(0));
        h.observe(SubscriptionId(2), &status(State::Paused, 0), at(0));
        assert_eq!(h.snapshot(at(0)).level, Level::Paused);
        h.observe(SubscriptionId(2), &open_since(at(0)), at(0));
        let s = h.snapshot(at(0));
        assert_eq!((s.level, s.paused, s.open), (Level::Ok, 1, 1));
    }

    #[test]
    fn a_silent_open_stream_turns_stale_and_amber() {
        let mut h = tracker(1);
        let mut s = open_since(at(0));
        for i in 0..5 {
            s.last_message_at = Some(at(i));
            h.observe(SubscriptionId(1), &s, at(i));
        }
        assert_eq!(h.snapshot(at(5)).level, Level::Ok);
        let snap = h.snapshot(at(20));
        assert_eq!(snap.subs[0].condition, Condition::Stale);
        assert_eq!((snap.level, snap.stale, snap.open), (Level::Warning, 1, 1));
    }

    #[test]
    fn the_engines_stale_verdict_is_the_trays() {
        let mut h = tracker(1);
        let mut s = open_since(at(0));
        s.last_message_at = Some(at(1));
        // A per-subscription threshold shorter than anything learned here.
        s.stale_since = Some(at(2));
        h.observe(SubscriptionId(1), &s, at(3));
        assert_eq!(h.snapshot(at(3)).subs[0].condition, Condition::Stale);
    }

    #[test]
    fn an_open_stream_without_data_since_it_opened_is_waiting_not_green() {
        let mut h = tracker(1);
        let mut s = status(State::Open, 0);
        s.connected_since = Some(at(0));
        h.observe(SubscriptionId(1), &s, at(0));
        let snap = h.snapshot(at(2));
        assert_eq!(snap.subs[0].condition, Condition::Waiting);
        assert_eq!((snap.level, snap.open), (Level::Warning, 1));
        assert_eq!(Condition::Waiting.word(), "waiting for data");
        s.last_message_at = Some(at(3));
        h.observe(SubscriptionId(1), &s, at(3));
        assert_eq!(h.snapshot(at(3)).subs[0].condition, Condition::Open);
        // Reopened after a drop: the message from before does not count.
        s.connected_since = Some(at(8));
        h.observe(SubscriptionId(1), &s, at(8));
        assert_eq!(h.snapshot(at(9)).subs[0].condition, Condition::Waiting);
        // Silent past the threshold: stale says more than waiting.
        assert_eq!(h.snapshot(at(600)).subs[0].condition, Condition::Stale);
    }

    #[test]
    fn words_name_the_attempt() {
        assert_eq!(Condition::Retrying { attempt: 3 }.word(), "retrying 3");
        assert_eq!(Condition::Down { attempt: 4 }.word(), "down · retrying 4");
        assert_eq!(Condition::Stale.word(), "stale");
    }

    #[test]
    fn removed_and_unknown_subscriptions_are_ignored() {
        let mut h = tracker(1);
        h.observe(SubscriptionId(9), &status(State::Failed, 0), at(0));
        h.remove(SubscriptionId(1));
        assert!(h.snapshot(at(0)).subs.is_empty());
    }
}
