//! `streamwatch run --config FILE`: subscriptions declared in a file (the export format),
//! added or updated by name before the daemon starts. Subscriptions the file does not name are
//! left alone, and one that already matches the file is not touched (so it keeps its connection
//! settings' timestamp and nothing reconnects).

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context as _};
use streamwatch_engine::secrets::{SecretRef, SecretStore};
use streamwatch_engine::storage::{SavedSubscription, StorageError, StoredHeader};

use crate::data_dir::open_store;
use crate::keyring;
use crate::sub_options::check;
use streamwatch_engine::export_format::{parse, ExportedSubscription};

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
    for s in &file.subscriptions {
        let (record, _) = s.to_record();
        check(&record).map_err(|e| anyhow!("subscription {:?} in {what}: {e}", s.name.trim()))?;
    }
    Ok(Declared {
        path: path.to_path_buf(),
        subscriptions: file.subscriptions,
    })
}

/// Adds or updates each declared subscription in the database in `dir`; returns each name with
/// what happened to it (`added`, `updated` or `unchanged`).
pub fn apply(dir: &Path, declared: &Declared) -> anyhow::Result<Vec<(String, &'static str)>> {
    let store = open_store(dir)?;
    let secrets = keyring::store();
    let what = declared.path.display();
    let mut done = Vec::new();
    for s in &declared.subscriptions {
        let (mut record, missing) = s.to_record();
        let saved = match store.find_subscription(&record.name) {
            Ok(saved) => Some(saved),
            Err(StorageError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        };
        let Some(saved) = saved else {
            if let Some(header) = missing.first() {
                bail!(
                    "{what}: subscription {:?} has the secret header {header:?} without a value, \
                     and no saved subscription of that name has it",
                    record.name
                );
            }
            let (sealed, created) = keyring::seal(&secrets, &record, None)
                .with_context(|| format!("cannot store the secret headers of {:?}", record.name))?;
            if let Err(e) = store.add_subscription(&sealed) {
                keyring::forget(&secrets, &created);
                return Err(e.into());
            }
            done.push((record.name, "added"));
            continue;
        };
        record.headers = headers(&secrets, s, &saved)
            .with_context(|| format!("{what}: subscription {:?}", record.name))?;
        if record == saved.record {
            done.push((record.name, "unchanged"));
            continue;
        }
        let (sealed, created) = keyring::seal(&secrets, &record, Some(&saved.record))
            .with_context(|| format!("cannot store the secret headers of {:?}", record.name))?;
        if let Err(e) = store.update_subscription(saved.id, &sealed) {
            keyring::forget(&secrets, &created);
            return Err(e.into());
        }
        keyring::forget(&secrets, &keyring::dropped(&saved.record, &sealed));
        done.push((record.name, "updated"));
    }
    Ok(done)
}

/// The declared headers, in the file's order. A secret header reuses the saved keyring item
/// when the file leaves its value out, or gives the value that item already holds.
fn headers(
    secrets: &SecretStore,
    declared: &ExportedSubscription,
    saved: &SavedSubscription,
) -> anyhow::Result<Vec<StoredHeader>> {
    let saved_secret = |name: &str| {
        saved
            .record
            .headers
            .iter()
            .find(|h| h.secret && h.name.eq_ignore_ascii_case(name))
    };
    let mut out = Vec::with_capacity(declared.headers.len());
    for h in &declared.headers {
        let header = match (&h.value, h.secret) {
            (Some(value), false) => StoredHeader {
                name: h.name.clone(),
                value: value.clone(),
                secret: false,
            },
            (Some(value), true) => match saved_secret(&h.name) {
                Some(old) if holds(secrets, &old.value, value) => StoredHeader {
                    name: h.name.clone(),
                    ..old.clone()
                },
                _ => StoredHeader {
                    name: h.name.clone(),
                    value: value.clone(),
                    secret: true,
                },
            },
            (None, _) => match saved_secret(&h.name) {
                Some(old) => StoredHeader {
                    name: h.name.clone(),
                    ..old.clone()
                },
                None => bail!(
                    "the secret header {:?} has no value, and the saved subscription has none",
                    h.name
                ),
            },
        };
        out.push(header);
    }
    Ok(out)
}

/// Whether the keyring item `reference` holds `value`.
fn holds(secrets: &SecretStore, reference: &str, value: &str) -> bool {
    reference
        .parse::<SecretRef>()
        .and_then(|r| secrets.get(&r))
        .is_ok_and(|v| v == value)
}
