//! Where the database lives, and opening the catalog of saved subscriptions in it.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use streamwatch_engine::catalog::Catalog;
use streamwatch_engine::secrets::SecretStore;

/// `--data-dir`, or the per-user data directory.
pub fn resolve(flag: Option<&Path>) -> anyhow::Result<PathBuf> {
    match flag {
        Some(dir) => Ok(dir.to_path_buf()),
        None => Catalog::default_dir().context("cannot find the data directory"),
    }
}

/// Opens the catalog in `dir`, creating the database if missing. The storage layer's errors
/// already name the file and say what to do (a damaged, foreign or newer file is left untouched).
pub fn open_catalog(dir: &Path) -> anyhow::Result<Catalog> {
    Ok(Catalog::open(dir, SecretStore::default())?)
}
