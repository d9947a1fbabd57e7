//! `streamwatch run --config FILE`: subscriptions declared in a file (the export format),
//! added or updated by name before the daemon starts (the catalog's `declare`). Subscriptions
//! the file does not name are left alone, and one that already matches the file is not touched
//! (so it keeps its connection settings' timestamp and nothing reconnects).

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use streamwatch_engine::catalog::file_entries::check_entries;
use streamwatch_engine::export_format::{parse, ExportedSubscription};

use crate::data_dir::open_catalog;

/// A checked config file.
#[derive(Debug)]
pub struct Declared {
    /// Where it was read from.
    pub path: PathBuf,
    subscriptions: Vec<ExportedSubscription>,
}

/// Reads and checks `path`; nothing is saved yet.
pub fn read(path: &Path) -> anyhow::Result<Declared> {
    let what = path.display().to_string();
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {what}"))?;
    let file = parse(&text, &what)?;
    check_entries(&file.subscriptions, &what)?;
    Ok(Declared {
        path: path.to_path_buf(),
        subscriptions: file.subscriptions,
    })
}

/// Adds or updates each declared subscription in the database in `dir`; returns each name with
/// what happened to it (`added`, `updated` or `unchanged`).
pub fn apply(dir: &Path, declared: &Declared) -> anyhow::Result<Vec<(String, &'static str)>> {
    let catalog = open_catalog(dir)?;
    let what = declared.path.display().to_string();
    let done = catalog.declare(&declared.subscriptions, &what)?;
    Ok(done
        .into_iter()
        .map(|(name, how)| (name, how.as_str()))
        .collect())
}
