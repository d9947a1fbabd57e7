//! Subscriptions declared in a file (`streamwatch run --config`, the export format): added or
//! updated by name, each only when it differs, so a config management tool can apply the same
//! file again and again without anything reconnecting.

use super::error::CatalogError;
use super::saved::Catalog;
use super::validate::{Field, Invalid};
use crate::export_format::ExportedSubscription;
use crate::secrets::{SecretRef, SecretStore};
use crate::storage::{SavedSubscription, StoredHeader};

/// What applying a declaration did to one subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Declared {
    /// It was not saved; now it is.
    Added,
    /// It was saved with other settings; now it has the declared ones.
    Updated,
    /// It already matched.
    Unchanged,
}

impl Declared {
    /// The word the daemon logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Declared::Added => "added",
            Declared::Updated => "updated",
            Declared::Unchanged => "unchanged",
        }
    }
}

impl Catalog {
    /// Adds or updates each of `declared` (from the file `what`) by name; subscriptions the
    /// file does not name are left alone. A secret header the file gives without a value keeps
    /// the saved one; one whose value is what the keyring already holds keeps its item.
    pub fn declare(
        &self,
        declared: &[ExportedSubscription],
        what: &str,
    ) -> Result<Vec<(String, Declared)>, CatalogError> {
        let mut done = Vec::new();
        for s in declared {
            let (mut record, missing) = s.to_record();
            let entry = |message: String| CatalogError::ImportEntry {
                name: record.name.clone(),
                what: what.to_string(),
                source: Box::new(CatalogError::Invalid(Invalid::new(
                    Field::HeaderValue(0),
                    message,
                ))),
            };
            let saved = match self.find(&record.name) {
                Ok(saved) => Some(saved),
                Err(CatalogError::NotFound(_)) => None,
                Err(e) => return Err(e),
            };
            let Some(saved) = saved else {
                if let Some(header) = missing.first() {
                    return Err(entry(format!(
                        "the secret header {header:?} has no value, and no saved subscription \
                         of that name has it"
                    )));
                }
                self.add(&record)?;
                done.push((record.name, Declared::Added));
                continue;
            };
            record.headers = headers(self.secrets(), s, &saved).map_err(entry)?;
            if record == saved.record {
                done.push((record.name, Declared::Unchanged));
                continue;
            }
            self.edit(saved.id, &record)?;
            done.push((record.name, Declared::Updated));
        }
        Ok(done)
    }
}

/// The declared headers, in the file's order. A secret header reuses the saved keyring item
/// when the file leaves its value out, or gives the value that item already holds.
fn headers(
    secrets: &SecretStore,
    declared: &ExportedSubscription,
    saved: &SavedSubscription,
) -> Result<Vec<StoredHeader>, String> {
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
                None => {
                    return Err(format!(
                        "the secret header {:?} has no value, and the saved subscription has none",
                        h.name
                    ))
                }
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
