//! What the supervisor tells its consumers: its own file, so the event bus that carries it
//! need not import the supervisor that owns the bus.

use crate::conditions::Conditions;
use crate::ids::SubscriptionId;
use crate::lifecycle::Lifecycle;
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
    /// The machine went offline or online, to sleep, or woke.
    Machine {
        /// The conditions now.
        conditions: Conditions,
    },
}
