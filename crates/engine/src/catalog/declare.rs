//! Subscriptions declared in a file (`streamwatch run --config`, the export format): added or
//! updated by name, each only when it differs, so a config management tool can apply the same
//! file again and again without anything reconnecting.

use super::error::CatalogError;
use super::file_entries::{check_entries, entry_error, file_key};
use super::saved::Catalog;
use super::validate::{Field, Invalid};
use crate::export_format::ExportedSubscription;
use crate::ids::SubscriptionId;
use crate::secrets::{SecretRef, SecretStore};
use crate::storage::{SavedSubscription, StoredHeader, SubscriptionRecord};

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

/// What the second pass does with one declared subscription.
enum Step {
    Add(SubscriptionRecord),
    Update(SubscriptionId, SubscriptionRecord),
    Keep(String),
}

impl Catalog {
    /// Adds or updates each of `declared` (from the file `what`) by name; subscriptions the
    /// file does not name are left alone. A secret header the file gives without a value keeps
    /// the saved one; one whose value is what the keyring already holds keeps its item. Every
    /// entry is checked before any is saved, so a bad one saves nothing.
    pub fn declare(
        &self,
        declared: &[ExportedSubscription],
        what: &str,
    ) -> Result<Vec<(String, Declared)>, CatalogError> {
        let entries = check_entries(declared, what)?;
        let mut steps = Vec::with_capacity(entries.len());
        for (index, (s, (mut record, missing))) in declared.iter().zip(entries).enumerate() {
            let secret = |(i, message): (usize, String)| {
                let field = Field::HeaderValue(i);
                let source = CatalogError::Invalid(Invalid::new(field, message));
                entry_error(index, &s.name, what, Some(file_key(field)), source)
            };
            let saved = match self.find(&record.name) {
                Ok(saved) => saved,
                Err(CatalogError::NotFound(_)) => {
                    if let Some(header) = missing.first() {
                        let i = s.headers.iter().position(|h| &h.name == header);
                        return Err(secret((
                            i.unwrap_or_default(),
                            format!(
                                "the secret header {header:?} has no value, and no saved \
                                 subscription of that name has it"
                            ),
                        )));
                    }
                    steps.push(Step::Add(record));
                    continue;
                }
                Err(e) => return Err(e),
            };
            record.headers = headers(self.secrets(), s, &saved).map_err(secret)?;
            steps.push(if record == saved.record {
                Step::Keep(record.name)
            } else {
                Step::Update(saved.id, record)
            });
        }
        let mut done = Vec::with_capacity(steps.len());
        for step in steps {
            done.push(match step {
                Step::Add(record) => {
                    self.add(&record)?;
                    (record.name, Declared::Added)
                }
                Step::Update(id, record) => {
                    self.edit(id, &record)?;
                    (record.name, Declared::Updated)
                }
                Step::Keep(name) => (name, Declared::Unchanged),
            });
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
) -> Result<Vec<StoredHeader>, (usize, String)> {
    let saved_secret = |name: &str| {
        saved
            .record
            .headers
            .iter()
            .find(|h| h.secret && h.name.eq_ignore_ascii_case(name))
    };
    let mut out = Vec::with_capacity(declared.headers.len());
    for (i, h) in declared.headers.iter().enumerate() {
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
                    return Err((
                        i,
                        format!(
                            "the secret header {:?} has no value, and the saved subscription \
                             has none",
                            h.name
                        ),
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
