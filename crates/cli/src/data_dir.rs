//! Where the database lives, opening it, and finding a saved subscription by name or id.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use streamwatch_engine::storage::{SavedSubscription, StorageError, Store};

/// `--data-dir`, or the per-user data directory.
pub fn resolve(flag: Option<&Path>) -> anyhow::Result<PathBuf> {
    match flag {
        Some(dir) => Ok(dir.to_path_buf()),
        None => Store::default_dir().context("cannot find the data directory"),
    }
}

/// Opens the database in `dir`, creating it if missing. The storage layer's errors already
/// name the file and say what to do (a damaged, foreign or newer file is left untouched).
pub fn open_store(dir: &Path) -> anyhow::Result<Store> {
    Ok(Store::open(dir)?)
}

/// The subscription called `key`, or numbered `key`.
pub fn find(store: &Store, key: &str) -> anyhow::Result<SavedSubscription> {
    match store.find_subscription(key) {
        Ok(saved) => Ok(saved),
        Err(StorageError::NotFound(_)) => Err(anyhow::anyhow!(
            "no saved subscription is named or numbered {:?} (see `streamwatch subs list`)",
            key.trim()
        )),
        Err(e) => Err(e.into()),
    }
}
