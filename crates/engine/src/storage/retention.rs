//! Keeping each subscription's history within its bounds, a little at a time.
//!
//! Runs inside the writer's transaction, only for the subscriptions the batch touched, and only
//! ever deletes a bounded run of the oldest rows through the (subscription, seq) key: never a
//! table-wide scan or rewrite on the hot path. Because rows are only ever removed from the old
//! end, a subscription's seqs stay contiguous, so its row count is `last_seq - min_seq + 1`
//! without counting.

use rusqlite::{params, Connection};
use std::time::Duration;

/// A subscription's bounds as stored (SQLite integers).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SubRetention {
    pub max_rows: i64,
    pub max_age_ms: i64,
}

/// Age is checked at most this often per subscription: it needs a scan of old rows, and a
/// minute of extra history does not matter.
pub(crate) const AGE_CHECK_INTERVAL: Duration = Duration::from_secs(60);

/// Beyond the rows a batch added, how many more old rows one pass may delete. Lets a lowered
/// `max_rows` converge over a few batches without one long transaction.
const EXTRA_ROWS_PER_PASS: i64 = 1024;

/// How many of the oldest rows one age pass looks at.
const AGE_SCAN: i64 = 4096;

/// Deletes the oldest rows above `max_rows`, at most `written + EXTRA_ROWS_PER_PASS` of them.
/// Returns how many were deleted.
pub(crate) fn prune_rows(
    conn: &Connection,
    sub: i64,
    last_seq: i64,
    written: i64,
    r: &SubRetention,
) -> rusqlite::Result<u64> {
    let min_seq: Option<i64> = conn
        .prepare_cached("SELECT min(seq) FROM messages WHERE subscription_id = ?1")?
        .query_row([sub], |row| row.get(0))?;
    let Some(min_seq) = min_seq else {
        return Ok(0);
    };
    let excess = (last_seq - min_seq + 1) - r.max_rows.max(0);
    if excess <= 0 {
        return Ok(0);
    }
    let n = excess.min(written.saturating_add(EXTRA_ROWS_PER_PASS));
    let deleted = conn
        .prepare_cached("DELETE FROM messages WHERE subscription_id = ?1 AND seq < ?2")?
        .execute(params![sub, min_seq + n])?;
    Ok(deleted as u64)
}

/// Deletes rows received before `now_ms - max_age_ms`, walking from the oldest and stopping at
/// the first young-enough row or after `AGE_SCAN` rows; old transitions, gaps and id resets go too.
/// Returns how many messages were deleted and whether the pass reached young rows (if not,
/// the next batch continues).
pub(crate) fn prune_age(
    conn: &Connection,
    sub: i64,
    now_ms: i64,
    r: &SubRetention,
) -> rusqlite::Result<(u64, bool)> {
    let cutoff = now_ms.saturating_sub(r.max_age_ms.max(0));
    let mut cut: Option<i64> = None;
    let mut complete = false;
    let mut seen = 0;
    {
        let mut stmt = conn.prepare_cached(
            "SELECT seq, received_at FROM messages WHERE subscription_id = ?1
             ORDER BY seq LIMIT ?2",
        )?;
        let mut rows = stmt.query(params![sub, AGE_SCAN])?;
        while let Some(row) = rows.next()? {
            seen += 1;
            let (seq, at): (i64, i64) = (row.get(0)?, row.get(1)?);
            if at >= cutoff {
                // Stop at the first young row, even if an older one follows (a clock step):
                // deleting only a prefix keeps seqs contiguous.
                complete = true;
                break;
            }
            cut = Some(seq + 1);
        }
    }
    if seen < AGE_SCAN {
        complete = true;
    }
    let mut deleted = 0;
    if let Some(cut) = cut {
        deleted = conn
            .prepare_cached("DELETE FROM messages WHERE subscription_id = ?1 AND seq < ?2")?
            .execute(params![sub, cut])? as u64;
    }
    for table in ["transitions", "gaps", "resets", "timeline"] {
        conn.prepare_cached(&format!(
            "DELETE FROM {table} WHERE id IN (SELECT id FROM {table}
             WHERE subscription_id = ?1 AND at < ?2 ORDER BY at LIMIT ?3)"
        ))?
        .execute(params![sub, cutoff, AGE_SCAN])?;
    }
    Ok((deleted, complete))
}
