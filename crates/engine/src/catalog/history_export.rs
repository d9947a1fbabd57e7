//! Stored messages written out as a history file ([`crate::history_format`]), read a page at a
//! time so a history of any size takes a bounded amount of memory.

use std::io::{self, Write};
use std::time::SystemTime;

use super::error::CatalogError;
use super::saved::Catalog;
use crate::history_format::HistoryWriter;
use crate::ids::SubscriptionId;
use crate::storage::HistoryQuery;

/// Rows read from the database at a time.
pub const PAGE_ROWS: usize = 5000;
/// A page also ends once its messages' data reaches this many bytes (one message may pass it:
/// a message is bounded by its subscription's event size cap).
pub const PAGE_BYTES: usize = 8 << 20;

/// Which messages, by the time they were received; both ends included, `None` is open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeRange {
    /// At or after.
    pub since: Option<SystemTime>,
    /// At or before.
    pub until: Option<SystemTime>,
}

/// Why a history could not be written.
#[derive(Debug, thiserror::Error)]
pub enum HistoryExportError {
    /// Reading the database failed (or a subscription is gone).
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// Writing the output failed (a full disk, a closed pipe…).
    #[error(transparent)]
    Write(#[from] io::Error),
}

impl Catalog {
    /// Writes the stored messages of each of `ids` received within `range`, a subscription at a
    /// time and oldest first within it, to `out`; returns how many were written.
    pub fn export_history<W: Write>(
        &self,
        ids: &[SubscriptionId],
        range: TimeRange,
        out: &mut HistoryWriter<W>,
    ) -> Result<u64, HistoryExportError> {
        let before = out.written();
        for &id in ids {
            let name = self.subscription(id)?.record.name;
            let mut after = None;
            loop {
                let q = HistoryQuery {
                    since: range.since,
                    until: range.until,
                    after_seq: after,
                    limit: PAGE_ROWS,
                    max_bytes: PAGE_BYTES,
                    ..Default::default()
                };
                let rows = self.history(id, &q)?;
                for m in &rows {
                    out.write(&name, m)?;
                }
                let full = rows.len() == PAGE_ROWS
                    || rows.iter().map(|m| m.data.len()).sum::<usize>() >= PAGE_BYTES;
                match rows.last() {
                    Some(last) if full => after = Some(last.seq),
                    _ => break,
                }
            }
        }
        Ok(out.written() - before)
    }
}
