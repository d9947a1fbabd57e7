//! What the supervisor hands to storage: one thing to persist, in the order it happened. Its own
//! module so the supervisor builds rows without importing storage.

use crate::ids::SubscriptionId;
use crate::run_result::RunResult;
use crate::shared_str::SharedStr;
use crate::status::State;
use crate::timeline::TimelineEvent;
use std::time::SystemTime;
use tokio::sync::oneshot;

/// One thing to persist, in the order it happened.
#[derive(Debug)]
pub enum Record {
    /// An event; its id becomes the subscription's last event id in the same transaction.
    Message {
        /// Whose.
        sub: SubscriptionId,
        /// When it arrived.
        at: SystemTime,
        /// The event type.
        event: SharedStr,
        /// The last event id in force ("" when none).
        id: SharedStr,
        /// The data.
        data: SharedStr,
        /// Re-sent by the server after a reconnect: stored and flagged, but its (older) id does
        /// not become the last id.
        replayed: bool,
        /// Why the data does not match its expected schema, when it does not.
        mismatch: Option<SharedStr>,
    },
    /// A new last event id without an event (an `id:`-only block).
    LastId {
        /// Whose.
        sub: SubscriptionId,
        /// The new last event id.
        id: SharedStr,
    },
    /// Events were missed across a reconnect.
    Gap {
        /// Whose.
        sub: SubscriptionId,
        /// When it was noticed.
        at: SystemTime,
        /// The last id before the jump.
        after: u64,
        /// The first id after it.
        next: u64,
        /// How many were missed.
        missed: u64,
    },
    /// Ids went backwards: the server's counter started again.
    Reset {
        /// Whose.
        sub: SubscriptionId,
        /// When it was noticed.
        at: SystemTime,
        /// The id before.
        last: u64,
        /// The id that arrived.
        first: u64,
    },
    /// The subscription's state changed.
    Transition {
        /// Whose.
        sub: SubscriptionId,
        /// When.
        at: SystemTime,
        /// The state before.
        from: State,
        /// The state after.
        to: State,
        /// Why, in words.
        reason: String,
    },
    /// The stream went stale (no message past its threshold) or fresh again; stored with the
    /// state changes, as `open → stale` and `stale → open`.
    Liveness {
        /// Whose.
        sub: SubscriptionId,
        /// When.
        at: SystemTime,
        /// Stale now (else fresh again).
        stale: bool,
        /// Why, in words ("no data for 1 min (usually every 2 s)").
        reason: String,
    },
    /// A connection step for the timeline (see [`crate::timeline`]).
    Timeline {
        /// Whose.
        sub: SubscriptionId,
        /// When.
        at: SystemTime,
        /// What.
        event: TimelineEvent,
    },
    /// A run of a finite stream or probe began (its request is about to go out): stored at
    /// once, so a run under way when the app stops is not taken for a finished one.
    RunStarted {
        /// Whose.
        sub: SubscriptionId,
        /// When.
        at: SystemTime,
        /// Whether it is a scheduled probe run.
        probe: bool,
    },
    /// The run under way ended (or was cut); completes the row [`Record::RunStarted`] opened.
    RunEnded {
        /// Whose.
        sub: SubscriptionId,
        /// When.
        at: SystemTime,
        /// How it came out.
        result: Box<RunResult>,
    },
    /// Answered once everything sent before it is committed.
    Flush(oneshot::Sender<()>),
}

impl Record {
    /// Whose record this is; `None` for a flush marker.
    pub(crate) fn sub(&self) -> Option<SubscriptionId> {
        match self {
            Record::Message { sub, .. }
            | Record::LastId { sub, .. }
            | Record::Gap { sub, .. }
            | Record::Reset { sub, .. }
            | Record::Transition { sub, .. }
            | Record::Liveness { sub, .. }
            | Record::Timeline { sub, .. }
            | Record::RunStarted { sub, .. }
            | Record::RunEnded { sub, .. } => Some(*sub),
            Record::Flush(_) => None,
        }
    }
}
