//! Each subscription's finite run that ended cleanly and was not started again, so a restart
//! of the app or the daemon shows it finished instead of sending its request again. The writer
//! keeps it: it is set by the run's `run-finished` timeline record and cleared by the next
//! connection attempt, in the order the supervisor sent them.

use super::error::Result;
use super::store::Store;
use super::time::to_ms;
use crate::ids::SubscriptionId;
use crate::run_summary::{EndReason, RunEnding};
use rusqlite::{params, Connection, OptionalExtension};
use std::time::SystemTime;

impl Store {
    /// How the last run of `id` ended, if it finished and was not started again since.
    pub fn run_finished(&self, id: SubscriptionId) -> Result<Option<RunEnding>> {
        let conn = self.conn();
        let row = conn
            .query_row(
                "SELECT end_reason, sentinel, duration_ms, events
                 FROM run_finished WHERE subscription_id = ?1",
                [id.0 as i64],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, i64>(3)?,
                    ))
                },
            )
            .optional()
            .map_err(|e| self.sql(e))?;
        // A reason this build does not know (a newer version wrote it) still means finished.
        Ok(row.map(|(end, sentinel, duration_ms, events)| RunEnding {
            end: EndReason::parse(&end).unwrap_or(EndReason::CleanClose),
            sentinel,
            duration_ms: u64::try_from(duration_ms).unwrap_or(0),
            events: u64::try_from(events).unwrap_or(0),
        }))
    }

    /// Forgets that the last run of `id` finished (its settings were edited: the next start
    /// runs it).
    pub fn clear_run_finished(&self, id: SubscriptionId) -> Result<()> {
        clear(&self.conn(), id.0 as i64).map_err(|e| self.sql(e))
    }
}

/// Records that the run of the subscription with row id `key` finished as `ending` says.
pub(crate) fn set(
    conn: &Connection,
    key: i64,
    at: SystemTime,
    ending: &RunEnding,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO run_finished (subscription_id, at, end_reason, sentinel, duration_ms, events)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (subscription_id) DO UPDATE SET at = ?2, end_reason = ?3, sentinel = ?4,
             duration_ms = ?5, events = ?6",
    )?
    .execute(params![
        key,
        to_ms(at),
        ending.end.as_str(),
        ending.sentinel,
        i64::try_from(ending.duration_ms).unwrap_or(i64::MAX),
        i64::try_from(ending.events).unwrap_or(i64::MAX)
    ])?;
    Ok(())
}

/// Records that the subscription with row id `key` runs again.
pub(crate) fn clear(conn: &Connection, key: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM run_finished WHERE subscription_id = ?1")?
        .execute([key])?;
    Ok(())
}
