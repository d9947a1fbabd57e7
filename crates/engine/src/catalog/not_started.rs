//! A saved subscription that could not be started is down, not unknown: its timeline says why
//! and its uptime counts the time until it starts (see [`crate::monitor::Monitor`], which
//! notes each new reason once, not on every retry).

use super::error::CatalogError;
use super::saved::Catalog;
use crate::ids::SubscriptionId;
use crate::status::State;
use crate::timeline::TimelineEvent;
use std::time::SystemTime;

impl Catalog {
    /// Records that `id` could not start, for `message`: a timeline entry, and a state change
    /// to failed so the time until it starts counts as down.
    pub fn note_not_started(&self, id: SubscriptionId, message: &str) -> Result<(), CatalogError> {
        let now = SystemTime::now();
        let words = format!("could not start: {message}");
        // The step first, at the same instant: the timeline then tells it once, as a step.
        self.store().add_timeline(
            id,
            now,
            &TimelineEvent::NotStarted {
                message: message.to_string(),
            },
        )?;
        self.store().add_transition(
            id,
            now,
            State::Connecting.as_str(),
            State::Failed.as_str(),
            &words,
        )?;
        Ok(())
    }

    /// Records that `id`, noted as not started, starts now: the failed time ends here and
    /// the running stream's own state changes carry on from it.
    pub fn note_started_again(&self, id: SubscriptionId) -> Result<(), CatalogError> {
        self.store().add_transition(
            id,
            SystemTime::now(),
            State::Failed.as_str(),
            State::Connecting.as_str(),
            "started",
        )?;
        Ok(())
    }
}
