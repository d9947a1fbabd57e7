//! Secret header values between the user and the OS keyring: the database only ever holds a
//! reference (`keyring:streamwatch/…`), and the commands here never print a secret unless
//! `export --with-secrets` asks for it.
//!
//! Every call blocks on the keyring (a D-Bus round trip on Linux); the commands that use it are
//! synchronous, so that is fine. Nothing here touches the keyring for a subscription without
//! secret headers.

use streamwatch_engine::secrets::{SecretError, SecretRef, SecretStore};
use streamwatch_engine::storage::{StoredHeader, SubscriptionRecord};

/// What is shown in place of a secret value.
pub const MASK: &str = "••••";

/// Streamwatch's keyring service.
pub fn store() -> SecretStore {
    SecretStore::default()
}

/// Moves the plain secret values of `record` into the keyring. A secret header whose value is
/// one of `old`'s references (the saved record being edited) is already sealed and kept as is;
/// every other secret value is treated as plain text, so an imported file can never point a
/// header at an existing keyring item. Returns the record to save and the references created,
/// which the caller deletes again if saving fails.
pub fn seal(
    secrets: &SecretStore,
    record: &SubscriptionRecord,
    old: Option<&SubscriptionRecord>,
) -> Result<(SubscriptionRecord, Vec<SecretRef>), SecretError> {
    let existing: Vec<&str> = old
        .map(|o| secret_headers(o).map(|h| h.value.as_str()).collect())
        .unwrap_or_default();
    let mut sealed = record.clone();
    let mut created = Vec::new();
    for h in sealed.headers.iter_mut().filter(|h| h.secret) {
        if existing.contains(&h.value.as_str()) {
            continue;
        }
        match secrets.put(&h.name, &h.value) {
            Ok(r) => {
                h.value = r.to_string();
                created.push(r);
            }
            Err(e) => {
                forget(secrets, &created);
                return Err(e);
            }
        }
    }
    Ok((sealed, created))
}

/// Deletes keyring items, best effort: a failure is reported on stderr (the item then holds a
/// value nothing points at any more) but does not fail the command.
pub fn forget(secrets: &SecretStore, refs: &[SecretRef]) {
    for r in refs {
        if let Err(e) = secrets.delete(r) {
            eprintln!("streamwatch: warning: could not delete the keyring item {r}: {e}");
        }
    }
}

/// The references `record` holds.
pub fn refs(record: &SubscriptionRecord) -> Vec<SecretRef> {
    secret_headers(record)
        .filter_map(|h| h.value.parse().ok())
        .collect()
}

/// The references `old` held that `new` no longer uses.
pub fn dropped(old: &SubscriptionRecord, new: &SubscriptionRecord) -> Vec<SecretRef> {
    let kept: Vec<&str> = secret_headers(new).map(|h| h.value.as_str()).collect();
    refs(old)
        .into_iter()
        .filter(|r| !kept.contains(&r.as_str()))
        .collect()
}

/// `record` with each secret reference replaced by the value it stands for.
pub fn reveal(
    secrets: &SecretStore,
    record: &SubscriptionRecord,
) -> Result<SubscriptionRecord, SecretError> {
    let mut plain = record.clone();
    for h in plain.headers.iter_mut().filter(|h| h.secret) {
        let r: SecretRef = h.value.parse()?;
        h.value = secrets.get(&r)?;
    }
    Ok(plain)
}

/// Whether `record` has any secret header.
pub fn has_secrets(record: &SubscriptionRecord) -> bool {
    record.headers.iter().any(|h| h.secret)
}

fn secret_headers(record: &SubscriptionRecord) -> impl Iterator<Item = &StoredHeader> {
    record.headers.iter().filter(|h| h.secret)
}
