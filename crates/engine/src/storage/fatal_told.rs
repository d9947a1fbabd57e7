//! The fatal stops already told, one per subscription, so a relaunch of the app does not tell
//! the same one again (see [`crate::alerts::fatal_occurrence`]).

use super::error::Result;
use super::store::Store;
use super::time::{from_ms, to_ms};
use crate::ids::SubscriptionId;
use rusqlite::{params, OptionalExtension};
use std::time::SystemTime;

/// A fatal stop that was told and has not ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FatalTold {
    /// Its occurrence key (`"http-status 401"`).
    pub key: String,
    /// When it was told.
    pub at: SystemTime,
}

impl Store {
    /// The fatal stop told for `id` and not ended, if any.
    pub fn fatal_told(&self, id: SubscriptionId) -> Result<Option<FatalTold>> {
        let conn = self.conn();
        conn.query_row(
            "SELECT occurrence, at FROM fatal_told WHERE subscription_id = ?1",
            [id.0 as i64],
            |r| {
                Ok(FatalTold {
                    key: r.get(0)?,
                    at: from_ms(r.get(1)?),
                })
            },
        )
        .optional()
        .map_err(|e| self.sql(e))
    }

    /// Records that the fatal stop `key` of `id` was told at `at` (replacing any before it).
    /// A subscription deleted in the meantime is not an error: there is nothing to remember.
    pub fn set_fatal_told(&self, id: SubscriptionId, key: &str, at: SystemTime) -> Result<()> {
        self.conn()
            .execute(
                "INSERT INTO fatal_told (subscription_id, occurrence, at)
                 SELECT id, ?2, ?3 FROM subscriptions WHERE id = ?1
                 ON CONFLICT (subscription_id) DO UPDATE SET occurrence = ?2, at = ?3",
                params![id.0 as i64, key, to_ms(at)],
            )
            .map_err(|e| self.sql(e))?;
        Ok(())
    }

    /// Records that the told fatal stop of `id` ended.
    pub fn clear_fatal_told(&self, id: SubscriptionId) -> Result<()> {
        self.conn()
            .execute(
                "DELETE FROM fatal_told WHERE subscription_id = ?1",
                [id.0 as i64],
            )
            .map_err(|e| self.sql(e))?;
        Ok(())
    }
}
