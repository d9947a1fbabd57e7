//! The `runs` table: one row per run of a finite stream or probe, opened by the writer when the
//! run starts and completed when it ends (see [`crate::record::Record::RunStarted`]), read back
//! for the runs table, the probe schedule, the "finished stays finished" rule and the metrics.

use super::error::{Result, StorageError};
use super::store::Store;
use super::time::{from_ms, to_ms};
use crate::ids::SubscriptionId;
use crate::run_result::RunResult;
use crate::run_summary::EndReason;
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;
use std::time::SystemTime;

/// The most assembled text one run row keeps; the rest is dropped and `text_truncated` set.
pub const RUN_TEXT_CAP_BYTES: usize = 64 * 1024;

/// The most runs kept per subscription (the oldest go first): a probe every 10 s keeps about
/// three hours, one every 5 min about a week.
pub const MAX_RUNS_PER_SUBSCRIPTION: i64 = 1_000;

/// The most rows one [`Store::runs`] read returns.
pub const MAX_RUNS_PER_READ: usize = 1_000;

/// What an open row that never ended says once another run starts after it.
pub const CUT_WORDS: &str = "cut off before it ended (the app stopped or the run was interrupted)";

/// One stored run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredRun {
    /// The row's id: increasing, newer runs have larger ids.
    pub id: i64,
    /// Whether it was a scheduled probe run.
    pub probe: bool,
    /// When its request went out.
    pub started_at: SystemTime,
    /// When it ended; `None` while under way or when it was cut by a shutdown.
    pub ended_at: Option<SystemTime>,
    /// Whether it opened and ended cleanly; `None` while under way.
    pub ok: Option<bool>,
    /// The HTTP status it opened with.
    pub status: Option<u16>,
    /// Time to the response headers.
    pub ttfb_ms: Option<u64>,
    /// Time to the first event.
    pub first_event_ms: Option<u64>,
    /// Time to the first token of a recognised LLM format.
    pub first_token_ms: Option<u64>,
    /// From the request to the end.
    pub duration_ms: Option<u64>,
    /// Events received.
    pub events: Option<u64>,
    /// Body bytes received.
    pub bytes: Option<u64>,
    /// How the stream ended, when it opened.
    pub end: Option<EndReason>,
    /// The sentinel that ended it, as on the wire.
    pub sentinel: Option<String>,
    /// The recognised LLM format (`openai-chat`, …).
    pub format: Option<String>,
    /// The assembled text, at most [`RUN_TEXT_CAP_BYTES`].
    pub text: Option<String>,
    /// More text came than is kept.
    pub text_truncated: bool,
    /// The server's finish reason.
    pub finish_reason: Option<String>,
    /// The usage figures as the server sent them.
    pub usage: Option<serde_json::Value>,
    /// Why it failed, in words.
    pub failure: Option<String>,
}

impl StoredRun {
    /// Whether the run ended cleanly (it finished, as a finite stream should).
    pub fn finished_cleanly(&self) -> bool {
        self.ended_at.is_some() && self.ok == Some(true)
    }
}

/// Aggregate figures over a subscription's runs since a moment (e.g. midnight).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RunStats {
    /// Runs that ended since then.
    pub ended: u64,
    /// Of which ok.
    pub ok: u64,
    /// Runs stored in all.
    pub total: u64,
}

impl RunStats {
    /// The share of ended runs that were ok (0.0 to 1.0), `None` when none ended.
    pub fn success_rate(&self) -> Option<f64> {
        (self.ended > 0).then(|| self.ok as f64 / self.ended as f64)
    }
}

/// Opens a run row for `key` (the writer, inside its transaction). Rows it left open are from
/// runs cut by a shutdown or an interruption: they are marked failed as such.
pub(super) fn start(
    conn: &Connection,
    key: i64,
    at: SystemTime,
    probe: bool,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE runs SET ok = 0, failure = coalesce(failure, ?2)
         WHERE subscription_id = ?1 AND ended_at IS NULL",
    )?
    .execute(params![key, CUT_WORDS])?;
    conn.prepare_cached(
        "INSERT INTO runs (subscription_id, probe, started_at) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![key, probe, to_ms(at)])?;
    // Bounded per subscription: drop the oldest beyond the cap.
    conn.prepare_cached(
        "DELETE FROM runs WHERE subscription_id = ?1 AND id <= (
             SELECT id FROM runs WHERE subscription_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)",
    )?
    .execute(params![key, MAX_RUNS_PER_SUBSCRIPTION])?;
    Ok(())
}

fn int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// `text` cut to at most `cap` bytes on a character boundary; whether it was cut.
fn capped(text: &str, cap: usize) -> (&str, bool) {
    if text.len() <= cap {
        return (text, false);
    }
    let mut end = cap;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (&text[..end], true)
}

/// Completes the newest open run row of `key` with `result` (the writer). A run whose start
/// was never stored (it began before this build stored runs) gets a row of its own.
pub(super) fn end(
    conn: &Connection,
    key: i64,
    at: SystemTime,
    result: &RunResult,
) -> rusqlite::Result<()> {
    let open: Option<i64> = conn
        .prepare_cached(
            "SELECT id FROM runs WHERE subscription_id = ?1 AND ended_at IS NULL
             ORDER BY id DESC LIMIT 1",
        )?
        .query_row([key], |r| r.get(0))
        .optional()?;
    let row = match open {
        Some(row) => row,
        None => {
            let started = result
                .summary
                .as_ref()
                .map_or(to_ms(at), |s| to_ms(at) - int(s.duration_ms));
            conn.prepare_cached("INSERT INTO runs (subscription_id, started_at) VALUES (?1, ?2)")?
                .execute(params![key, started])?;
            conn.last_insert_rowid()
        }
    };
    let s = result.summary.as_ref();
    let llm = s.and_then(|s| s.llm.as_ref());
    // Without a recognised format, the events' data is the answer.
    let (text, cut) = match (llm, s.and_then(|s| s.raw.as_deref())) {
        (Some(l), _) => {
            let (t, cut) = capped(&l.text, RUN_TEXT_CAP_BYTES);
            (Some(t), cut || l.text_truncated)
        }
        (None, Some(raw)) => {
            let (t, cut) = capped(raw, RUN_TEXT_CAP_BYTES);
            (Some(t), cut)
        }
        (None, None) => (None, false),
    };
    let format = llm.and_then(|l| {
        serde_json::to_value(l.format)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
    });
    let usage = llm.and_then(|l| l.usage.as_ref()).map(|u| u.to_string());
    conn.prepare_cached(
        "UPDATE runs SET ended_at = ?2, ok = ?3, status = ?4, ttfb_ms = ?5, first_event_ms = ?6,
             first_token_ms = ?7, duration_ms = ?8, events = ?9, bytes = ?10, end_reason = ?11,
             sentinel = ?12, format = ?13, text = ?14, text_truncated = ?15,
             finish_reason = ?16, usage = ?17, failure = ?18
         WHERE id = ?1",
    )?
    .execute(params![
        row,
        to_ms(at),
        result.ok,
        s.map(|s| s.status),
        s.map(|s| int(s.ttfb_ms)),
        s.and_then(|s| s.first_event_ms).map(int),
        s.and_then(|s| s.first_token_ms).map(int),
        s.map(|s| int(s.duration_ms)),
        s.map(|s| int(s.events)),
        s.map(|s| int(s.bytes)),
        s.map(|s| s.end.as_str()),
        s.and_then(|s| s.sentinel.as_deref()),
        format,
        text,
        cut,
        llm.and_then(|l| l.finish_reason.as_deref()),
        usage,
        result.failure.as_deref(),
    ])?;
    Ok(())
}

const RUN_COLUMNS: &str = "id, probe, started_at, ended_at, ok, status, ttfb_ms, first_event_ms, \
     first_token_ms, duration_ms, events, bytes, end_reason, sentinel, format, text, \
     text_truncated, finish_reason, usage, failure";

fn read_run(r: &Row<'_>) -> rusqlite::Result<StoredRun> {
    let u = |i: usize| -> rusqlite::Result<Option<u64>> {
        Ok(r.get::<_, Option<i64>>(i)?
            .and_then(|v| u64::try_from(v).ok()))
    };
    let end: Option<String> = r.get(12)?;
    let usage: Option<String> = r.get(18)?;
    Ok(StoredRun {
        id: r.get(0)?,
        probe: r.get(1)?,
        started_at: from_ms(r.get(2)?),
        ended_at: r.get::<_, Option<i64>>(3)?.map(from_ms),
        ok: r.get(4)?,
        status: r.get(5)?,
        ttfb_ms: u(6)?,
        first_event_ms: u(7)?,
        first_token_ms: u(8)?,
        duration_ms: u(9)?,
        events: u(10)?,
        bytes: u(11)?,
        end: end.as_deref().and_then(EndReason::parse),
        sentinel: r.get(13)?,
        format: r.get(14)?,
        text: r.get(15)?,
        text_truncated: r.get(16)?,
        finish_reason: r.get(17)?,
        // Written by us as JSON; a row edited by hand into something else reads as none.
        usage: usage.and_then(|u| serde_json::from_str(&u).ok()),
        failure: r.get(19)?,
    })
}

fn key(id: SubscriptionId) -> Result<i64> {
    i64::try_from(id.0).map_err(|_| StorageError::NotFound(format!("with id {id}")))
}

impl Store {
    /// `id`'s runs, newest first: at most `limit` (capped at [`MAX_RUNS_PER_READ`]), only those
    /// older than the run `before` when given (the next page).
    pub fn runs(
        &self,
        id: SubscriptionId,
        limit: usize,
        before: Option<i64>,
    ) -> Result<Vec<StoredRun>> {
        let key = key(id)?;
        let limit = i64::try_from(limit.min(MAX_RUNS_PER_READ)).unwrap_or(0);
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {RUN_COLUMNS} FROM runs WHERE subscription_id = ?1 AND id < ?2
                 ORDER BY id DESC LIMIT ?3"
            ))
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map(params![key, before.unwrap_or(i64::MAX), limit], read_run)
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| self.sql(e))?;
        Ok(rows)
    }

    /// `id`'s newest run, if any.
    pub fn last_run(&self, id: SubscriptionId) -> Result<Option<StoredRun>> {
        Ok(self.runs(id, 1, None)?.into_iter().next())
    }

    /// How many of `id`'s runs ended at or after `since`, how many of those were ok, and how
    /// many are stored.
    pub fn run_stats(&self, id: SubscriptionId, since: SystemTime) -> Result<RunStats> {
        let key = key(id)?;
        let conn = self.conn();
        conn.query_row(
            "SELECT count(ended_at >= ?2 OR NULL), count((ended_at >= ?2 AND ok) OR NULL),
                    count(*)
             FROM runs WHERE subscription_id = ?1",
            params![key, to_ms(since)],
            |r| {
                let n = |i: usize| -> rusqlite::Result<u64> {
                    Ok(u64::try_from(r.get::<_, i64>(i)?).unwrap_or(0))
                };
                Ok(RunStats {
                    ended: n(0)?,
                    ok: n(1)?,
                    total: n(2)?,
                })
            },
        )
        .map_err(|e| self.sql(e))
    }

    /// Whether `id`'s settings were edited at or after `since` in a way other than a rename
    /// (the timeline's `edited` entries name the fields).
    pub fn edited_since(&self, id: SubscriptionId, since: SystemTime) -> Result<bool> {
        let key = key(id)?;
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT detail FROM timeline
                 WHERE subscription_id = ?1 AND kind = 'edited' AND at >= ?2",
            )
            .map_err(|e| self.sql(e))?;
        let details = stmt
            .query_map(params![key, to_ms(since)], |r| r.get::<_, String>(0))
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| self.sql(e))?;
        Ok(details
            .iter()
            .any(|d| d.split(", ").any(|field| field != "name")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_cut_on_a_character_boundary() {
        assert_eq!(capped("abc", 3), ("abc", false));
        assert_eq!(capped("aé", 2), ("a", true));
        assert_eq!(capped("aéb", 3), ("aé", true));
    }
}
