//! Stored runs written out as a runs file ([`crate::runs_format`]), read a page at a time: a
//! subscription keeps at most 1,000 runs, but each may hold 64 KiB of answer text.

use std::io::Write;

use super::history_export::HistoryExportError;
use super::saved::Catalog;
use crate::ids::SubscriptionId;
use crate::runs_format::RunsWriter;

/// Runs read from the database at a time (at most 64 KiB of text each).
pub const RUN_PAGE: usize = 100;

impl Catalog {
    /// Writes every stored run of `id`, newest first, to `out`; returns how many were written.
    pub fn export_runs<W: Write>(
        &self,
        id: SubscriptionId,
        out: &mut RunsWriter<W>,
    ) -> Result<u64, HistoryExportError> {
        let before_count = out.written();
        let mut before = None;
        loop {
            let page = self.runs(id, RUN_PAGE, before)?;
            for r in &page {
                out.write(r)?;
            }
            match page.last() {
                Some(last) if page.len() == RUN_PAGE => before = Some(last.id),
                _ => break,
            }
        }
        Ok(out.written() - before_count)
    }
}
