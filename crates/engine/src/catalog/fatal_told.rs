//! The fatal stops already told, kept across restarts so a relaunch does not tell the same one
//! again (the rule is [`crate::alerts::fatal_occurrence`]; the notifier decides, this keeps).

use super::error::CatalogError;
use super::saved::Catalog;
use crate::alerts::OccurrenceChange;
use crate::ids::SubscriptionId;
use crate::storage::FatalTold;
use std::time::SystemTime;

impl Catalog {
    /// The fatal stop told for `id` and not ended since, if the subscription's settings have
    /// not changed after it was told (an edit is the user acting on it: a new occurrence).
    pub fn fatal_told(&self, id: SubscriptionId) -> Result<Option<FatalTold>, CatalogError> {
        let Some(told) = self.store().fatal_told(id)? else {
            return Ok(None);
        };
        let edited_since = self.subscription(id)?.updated_at > told.at;
        Ok((!edited_since).then_some(told))
    }

    /// Keeps one change the notifier reported ([`crate::alerts::Notifier::drain_occurrences`])
    /// that happened at `at`.
    pub fn record_occurrence(
        &self,
        change: &OccurrenceChange,
        at: SystemTime,
    ) -> Result<(), CatalogError> {
        match change {
            OccurrenceChange::Told { id, key } => self.store().set_fatal_told(*id, key, at)?,
            OccurrenceChange::Ended { id } => self.store().clear_fatal_told(*id)?,
        }
        Ok(())
    }
}
