//! What the supervisor tells its consumers: its own file, so the event bus that carries it
//! need not import the supervisor that owns the bus.

use crate::conditions::Conditions;
use crate::ids::SubscriptionId;
use crate::lifecycle::Lifecycle;
use crate::run_result::RunResult;
use crate::status::Status;
use serde::Serialize;
use std::time::SystemTime;

/// What the supervisor tells its consumers.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum SupervisorEvent {
    /// A subscription's connection spoke.
    Lifecycle {
        /// Which subscription.
        id: SubscriptionId,
        /// When it happened.
        at: SystemTime,
        /// What happened.
        event: Lifecycle,
    },
    /// A subscription's state changed (not sent for counter-only changes).
    Status {
        /// Which subscription.
        id: SubscriptionId,
        /// The new snapshot.
        status: Box<Status>,
    },
    /// A subscription was removed.
    Removed {
        /// Which subscription.
        id: SubscriptionId,
    },
    /// A run of a finite stream or probe ended (as stored): for run notification rules and
    /// run metrics.
    RunEnded {
        /// Which subscription.
        id: SubscriptionId,
        /// When it ended.
        at: SystemTime,
        /// Whether it was a scheduled probe run.
        probe: bool,
        /// How it came out.
        result: Box<RunResult>,
    },
    /// The machine went offline or online, to sleep, or woke.
    Machine {
        /// The conditions now.
        conditions: Conditions,
    },
}
