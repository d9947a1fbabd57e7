//! The `timeline` table: connection steps and edits (see [`crate::timeline`]), written by the
//! writer as they happen and by the catalog on an edit, read back for the timeline view.

use super::error::{Result, StorageError};
use super::store::Store;
use super::time::{from_ms, to_ms};
use crate::ids::SubscriptionId;
use crate::timeline::{Columns, TimelineEvent, TimelineRecord};
use rusqlite::params;
use std::time::SystemTime;

/// The most entries one read returns (the newest); a stream that fails every second for a day
/// must not make one read return 100,000 rows.
pub const MAX_TIMELINE_ROWS: usize = 2_000;

impl Store {
    /// Stores one timeline event of `id` now (the writer stores the connection's own).
    pub fn add_timeline(
        &self,
        id: SubscriptionId,
        at: SystemTime,
        event: &TimelineEvent,
    ) -> Result<()> {
        let key = key(id)?;
        let c = event.columns();
        let delay = c.delay_ms.map(|d| i64::try_from(d).unwrap_or(i64::MAX));
        let n = self
            .conn()
            .execute(
                "INSERT INTO timeline
                     (subscription_id, at, kind, attempt, delay_ms, status, error_kind, detail)
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 WHERE EXISTS
                     (SELECT 1 FROM subscriptions WHERE id = ?1)",
                params![
                    key,
                    to_ms(at),
                    c.kind,
                    c.attempt,
                    delay,
                    c.status,
                    c.error_kind,
                    c.detail
                ],
            )
            .map_err(|e| self.sql(e))?;
        if n == 0 {
            return Err(StorageError::NotFound(format!("with id {id}")));
        }
        Ok(())
    }

    /// `id`'s timeline events at or after `since` (all when `None`), oldest first: the newest
    /// [`MAX_TIMELINE_ROWS`] of them. Kinds a newer version wrote are left out.
    pub fn timeline(
        &self,
        id: SubscriptionId,
        since: Option<SystemTime>,
    ) -> Result<Vec<TimelineRecord>> {
        let key = key(id)?;
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT at, kind, attempt, delay_ms, status, error_kind, detail FROM (
                     SELECT id, at, kind, attempt, delay_ms, status, error_kind, detail
                     FROM timeline WHERE subscription_id = ?1 AND at >= ?2
                     ORDER BY at DESC, id DESC LIMIT ?3)
                 ORDER BY at, id",
            )
            .map_err(|e| self.sql(e))?;
        let since = since.map_or(i64::MIN, to_ms);
        let limit = i64::try_from(MAX_TIMELINE_ROWS).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(params![key, since, limit], |r| {
                let at: i64 = r.get(0)?;
                let kind: String = r.get(1)?;
                let delay: Option<i64> = r.get(3)?;
                let error_kind: Option<String> = r.get(5)?;
                let detail: String = r.get(6)?;
                let c = Columns {
                    kind: &kind,
                    attempt: r.get(2)?,
                    delay_ms: delay.and_then(|d| u64::try_from(d).ok()),
                    status: r.get(4)?,
                    error_kind: error_kind.as_deref(),
                    detail: &detail,
                };
                Ok(TimelineEvent::from_columns(&c).map(|event| TimelineRecord {
                    at: from_ms(at),
                    event,
                }))
            })
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| self.sql(e))?;
        Ok(rows.into_iter().flatten().collect())
    }
}

fn key(id: SubscriptionId) -> Result<i64> {
    i64::try_from(id.0).map_err(|_| StorageError::NotFound(format!("with id {id}")))
}
