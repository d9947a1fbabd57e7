//! A subscription's status snapshot, folded from its lifecycle events.

use crate::lifecycle::Lifecycle;
use crate::run_summary::RunEnding;
use crate::shared_str::SharedStr;
use serde::Serialize;
use std::time::{Duration, SystemTime};

/// Where a subscription is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// A request is on its way.
    Connecting,
    /// The stream is open.
    Open,
    /// Waiting to reconnect.
    Retrying,
    /// Paused by the user.
    Paused,
    /// Gave up, or hit a failure retrying cannot fix.
    Failed,
    /// The server said there is nothing more (204).
    Stopped,
    /// The machine is offline or asleep: waiting for it, without attempts.
    Offline,
}

impl State {
    /// The kebab-case name, as in JSON and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Connecting => "connecting",
            State::Open => "open",
            State::Retrying => "retrying",
            State::Paused => "paused",
            State::Failed => "failed",
            State::Stopped => "stopped",
            State::Offline => "offline",
        }
    }
}

/// Everything a monitor shows about one subscription.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Status {
    /// Current state.
    pub state: State,
    /// Consecutive failed attempts (0 when healthy).
    pub attempt: u32,
    /// When the next reconnection is due, while retrying.
    pub next_retry_at: Option<SystemTime>,
    /// The last event id.
    pub last_id: SharedStr,
    /// When the last message arrived.
    pub last_message_at: Option<SystemTime>,
    /// Messages received.
    pub messages: u64,
    /// Bytes of message data received.
    pub bytes: u64,
    /// Successful reconnections after the first open.
    pub reconnects: u64,
    /// When the current stream opened.
    pub connected_since: Option<SystemTime>,
    /// The latest error, kept until the stream opens again.
    pub last_error: Option<String>,
    /// The URL after redirects, once connected.
    pub final_url: Option<String>,
    /// Gaps detected in integer ids after reconnects.
    pub gaps: u64,
    /// Events missed across those gaps.
    pub missed_events: u64,
    /// Events the server re-sent after a reconnect (delivered, and counted in `messages`).
    pub replayed: u64,
    /// Times the ids went backwards without a replay (the server's counter started again).
    pub resets: u64,
    /// Messages whose data did not match their expected JSON Schema.
    pub schema_mismatches: u64,
    /// While stale (open, or reconnecting, with no message for longer than the stale
    /// threshold): when the silence began, at the last message or the open.
    pub stale_since: Option<SystemTime>,
    /// The usual gap between messages, once learned (see [`crate::liveness`]).
    pub usual_interval_ms: Option<u64>,
    /// While not open after a failure or a drop: since when (the moment the working
    /// connection was lost, or the first failure if there was none). Cleared when it opens.
    pub down_since: Option<SystemTime>,
    /// A finite stream that ended cleanly and is done (its reconnect mode is `error` or
    /// `never`): how its run ended. Cleared when it connects again ("Run again").
    pub finished: Option<RunEnding>,
    /// A probe between runs: when its next run is due.
    pub next_run_at: Option<SystemTime>,
    /// Paused since the last open: the next open is a resume, not a reconnect.
    #[serde(skip)]
    pub(crate) resuming: bool,
}

impl Status {
    /// A subscription that has not connected yet.
    pub fn new(last_id: SharedStr, paused: bool) -> Self {
        Status {
            state: if paused {
                State::Paused
            } else {
                State::Connecting
            },
            attempt: 0,
            next_retry_at: None,
            last_id,
            last_message_at: None,
            messages: 0,
            bytes: 0,
            reconnects: 0,
            connected_since: None,
            last_error: None,
            final_url: None,
            gaps: 0,
            missed_events: 0,
            replayed: 0,
            resets: 0,
            schema_mismatches: 0,
            stale_since: None,
            usual_interval_ms: None,
            down_since: None,
            finished: None,
            next_run_at: None,
            resuming: false,
        }
    }

    /// Folds one event in; returns whether the state (not just counters) changed.
    pub fn apply(&mut self, event: &Lifecycle, now: SystemTime) -> bool {
        let before = (self.state, self.attempt);
        match event {
            Lifecycle::Connecting { .. } => {
                self.state = State::Connecting;
                self.next_retry_at = None;
                self.finished = None;
                self.next_run_at = None;
            }
            Lifecycle::Started { url, .. } => {
                let opened_before = self.connected_since.is_some() || self.final_url.is_some();
                if opened_before && !self.resuming {
                    self.reconnects += 1;
                }
                self.resuming = false;
                self.state = State::Open;
                self.connected_since = Some(now);
                self.next_retry_at = None;
                self.last_error = None;
                self.final_url = Some(url.clone());
                self.down_since = None;
            }
            Lifecycle::Message {
                data,
                id,
                replayed,
                mismatch,
                ..
            } => {
                self.messages += 1;
                if mismatch.is_some() {
                    self.schema_mismatches += 1;
                }
                self.bytes += data.len() as u64;
                self.last_message_at = Some(now);
                // A replayed id is older than the one we have; it must not move the last id back.
                if *replayed {
                    self.replayed += 1;
                } else {
                    self.last_id = id.clone();
                }
                self.attempt = 0;
            }
            Lifecycle::Error {
                message,
                will_retry,
                ..
            } => {
                self.last_error = Some(message.clone());
                self.connected_since = None;
                self.down_since.get_or_insert(now);
                if !will_retry {
                    self.state = State::Failed;
                }
            }
            Lifecycle::Finished => {
                self.connected_since = None;
                self.down_since.get_or_insert(now);
            }
            Lifecycle::Retrying { attempt, delay_ms } => {
                self.state = State::Retrying;
                self.down_since.get_or_insert(now);
                self.attempt = *attempt;
                self.next_retry_at = Some(now + Duration::from_millis(*delay_ms));
            }
            Lifecycle::RetriesFailed { .. } => {
                self.state = State::Failed;
                self.next_retry_at = None;
            }
            Lifecycle::Gap { missed, .. } => {
                self.gaps += 1;
                self.missed_events += missed;
            }
            Lifecycle::Reset { .. } => self.resets += 1,
            Lifecycle::Comment { .. } | Lifecycle::RetryChanged { .. } => {}
        }
        before != (self.state, self.attempt)
    }

    /// Moves to `state` by the supervisor's own decision; returns whether it changed.
    pub fn set_state(&mut self, state: State) -> bool {
        let changed = self.state != state;
        self.state = state;
        if state != State::Retrying {
            self.next_retry_at = None;
        }
        if state != State::Open {
            self.connected_since = None;
        }
        if state == State::Paused {
            self.resuming = true;
        }
        // Paused or done on purpose is not down; nor is a machine without a network.
        if matches!(state, State::Paused | State::Stopped | State::Offline) {
            self.down_since = None;
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::ErrorKind;

    #[test]
    fn folds_a_drop_and_a_recovery() {
        let t = SystemTime::UNIX_EPOCH;
        let mut s = Status::new(SharedStr::empty(), false);
        let started = Lifecycle::Started {
            url: "http://x/".into(),
            status: 200,
        };
        assert!(s.apply(&started, t));
        let msg = Lifecycle::Message {
            event: "tick".into(),
            data: "abc".into(),
            id: "7".into(),
            replayed: false,
            mismatch: None,
        };
        assert!(!s.apply(&msg, t));
        assert_eq!((s.messages, s.bytes, s.last_id.as_str()), (1, 3, "7"));
        assert_eq!(s.schema_mismatches, 0);
        let flagged = Lifecycle::Message {
            event: "tick".into(),
            data: "[".into(),
            id: "8".into(),
            replayed: false,
            mismatch: Some("not JSON".into()),
        };
        s.apply(&flagged, t);
        assert_eq!((s.messages, s.schema_mismatches), (2, 1));
        let err = Lifecycle::Error {
            kind: ErrorKind::Network,
            message: "reset".into(),
            status: None,
            will_retry: true,
        };
        s.apply(&err, t);
        assert!(s.apply(
            &Lifecycle::Retrying {
                attempt: 1,
                delay_ms: 500
            },
            t
        ));
        assert_eq!(s.state, State::Retrying);
        assert_eq!(s.next_retry_at, Some(t + Duration::from_millis(500)));
        s.apply(&started, t);
        assert_eq!(
            (s.state, s.reconnects, s.last_error.clone()),
            (State::Open, 1, None)
        );
    }

    #[test]
    fn replays_and_resets_are_counted_and_a_replay_keeps_the_last_id() {
        let t = SystemTime::UNIX_EPOCH;
        let mut s = Status::new("41".into(), false);
        let replay = Lifecycle::Message {
            event: "tick".into(),
            data: "x".into(),
            id: "40".into(),
            replayed: true,
            mismatch: None,
        };
        s.apply(&replay, t);
        assert_eq!((s.messages, s.replayed, s.last_id.as_str()), (1, 1, "41"));
        s.apply(&Lifecycle::Reset { last: 41, first: 1 }, t);
        assert_eq!(s.resets, 1);
    }

    #[test]
    fn resuming_after_a_pause_is_not_a_reconnect() {
        let t = SystemTime::UNIX_EPOCH;
        let mut s = Status::new(SharedStr::empty(), false);
        let started = Lifecycle::Started {
            url: "http://x/".into(),
            status: 200,
        };
        s.apply(&started, t);
        s.set_state(State::Paused);
        s.apply(&started, t);
        assert_eq!(s.reconnects, 0);
        s.apply(&Lifecycle::Finished, t);
        s.apply(&started, t);
        assert_eq!(s.reconnects, 1, "a drop after the resume is one");
    }

    #[test]
    fn down_since_is_the_first_failure_of_an_outage_and_opening_clears_it() {
        let at = |s: u64| SystemTime::UNIX_EPOCH + Duration::from_secs(s);
        let mut s = Status::new(SharedStr::empty(), false);
        let started = Lifecycle::Started {
            url: "http://x/".into(),
            status: 200,
        };
        let err = Lifecycle::Error {
            kind: ErrorKind::Network,
            message: "refused".into(),
            status: None,
            will_retry: true,
        };
        s.apply(&started, at(0));
        assert_eq!(s.down_since, None);
        s.apply(&Lifecycle::Finished, at(10));
        s.apply(
            &Lifecycle::Retrying {
                attempt: 1,
                delay_ms: 100,
            },
            at(11),
        );
        s.apply(&err, at(20));
        assert_eq!(s.down_since, Some(at(10)), "when the working stream ended");
        s.apply(&started, at(30));
        assert_eq!(s.down_since, None);
        s.apply(&err, at(40));
        s.set_state(State::Paused);
        assert_eq!(s.down_since, None, "paused on purpose is not down");
    }

    #[test]
    fn fatal_error_fails() {
        let mut s = Status::new(SharedStr::empty(), false);
        let err = Lifecycle::Error {
            kind: ErrorKind::HttpStatus,
            message: "404".into(),
            status: Some(404),
            will_retry: false,
        };
        assert!(s.apply(&err, SystemTime::UNIX_EPOCH));
        assert_eq!(s.state, State::Failed);
    }
}
