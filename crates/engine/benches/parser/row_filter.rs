//! `STREAMWATCH_PARSER_ROWS=W6,W2`: run only the rows whose label starts with one of these
//! (the whole bench takes minutes, and builds every workload even when criterion's own filter
//! skips its runs). Unset or empty: every row.

use crate::rows::Row;

/// The environment variable read.
const VAR: &str = "STREAMWATCH_PARSER_ROWS";

/// Which rows to run.
pub struct RowFilter {
    prefixes: Vec<String>,
}

impl RowFilter {
    /// Reads `STREAMWATCH_PARSER_ROWS` (comma-separated label prefixes, e.g. `W6` or
    /// `W6 event`).
    pub fn from_env() -> RowFilter {
        let prefixes = std::env::var(VAR)
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect();
        RowFilter { prefixes }
    }

    /// Whether `row` is to run.
    pub fn runs(&self, row: Row) -> bool {
        self.prefixes.is_empty() || self.prefixes.iter().any(|p| row.label().starts_with(p))
    }

    /// Whether any of `rows` is to run.
    pub fn any(&self, rows: &[Row]) -> bool {
        rows.iter().any(|&row| self.runs(row))
    }
}
