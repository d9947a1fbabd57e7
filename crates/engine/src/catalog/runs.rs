//! A subscription's stored runs through the catalog: the runs table and its figures for front
//! ends, and what they say about starting it again after a restart (see
//! [`crate::supervisor::RunHistory`]).

use super::error::CatalogError;
use super::saved::Catalog;
use crate::ids::SubscriptionId;
use crate::reconnect_mode::ReconnectMode;
use crate::run_history::RunHistory;
use crate::storage::{RunStats, SavedSubscription, StoredRun};
use std::time::SystemTime;

impl Catalog {
    /// `id`'s runs, newest first: at most `limit`, older than the run `before` when given.
    pub fn runs(
        &self,
        id: SubscriptionId,
        limit: usize,
        before: Option<i64>,
    ) -> Result<Vec<StoredRun>, CatalogError> {
        Ok(self.store().runs(id, limit, before)?)
    }

    /// `id`'s run figures since `since` (e.g. midnight, for "success rate today").
    pub fn run_stats(
        &self,
        id: SubscriptionId,
        since: SystemTime,
    ) -> Result<RunStats, CatalogError> {
        Ok(self.store().run_stats(id, since)?)
    }

    /// How `saved` starts after a restart: a probe waits for its next slot after its last
    /// run; a finite stream (reconnect mode `error` or `never`) whose newest run finished
    /// cleanly, with no attempt and no edit other than a rename since, starts finished.
    pub fn run_history(&self, saved: &SavedSubscription) -> Result<RunHistory, CatalogError> {
        let record = &saved.record;
        let Some(last) = self.store().last_run(saved.id)? else {
            return Ok(RunHistory::default());
        };
        if record.probe_every_ms.is_some() {
            return Ok(RunHistory {
                finished: None,
                last_probe_start: Some(last.started_at),
            });
        }
        let mode = ReconnectMode::resolve(record.reconnect, &record.method);
        let finished = mode != ReconnectMode::Always
            && !record.paused
            && last.finished_cleanly()
            && !self.store().edited_since(saved.id, last.started_at)?;
        Ok(RunHistory {
            finished: finished.then(|| ending(&last)).flatten(),
            last_probe_start: None,
        })
    }
}

/// The few figures the finished state's words need, from a stored run.
fn ending(run: &StoredRun) -> Option<crate::run_summary::RunEnding> {
    Some(crate::run_summary::RunEnding {
        end: run.end?,
        sentinel: run.sentinel.clone(),
        duration_ms: run.duration_ms.unwrap_or(0),
        events: run.events.unwrap_or(0),
    })
}
