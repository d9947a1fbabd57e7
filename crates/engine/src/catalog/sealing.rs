//! Secret header values on their way to and from the OS keyring, under one rule for every front
//! end: a secret header's value is either the plain secret (sealed into the keyring on save) or
//! a reference the same subscription already held (kept). A reference to any other keyring item
//! is refused, so no form, flag or imported file can point a header at someone else's secret.

use super::validate::{Field, Invalid};
use crate::secrets::{SecretError, SecretRef, SecretStore};
use crate::storage::{StoredHeader, SubscriptionRecord};

/// What every front end shows in place of a secret value.
pub const MASK: &str = "••••";

/// Why sealing failed; nothing it created is left in the keyring.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// A header holds a keyring reference that is not its own.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The keyring refused.
    #[error(transparent)]
    Secret(#[from] SecretError),
}

/// A record ready to save, and the keyring items made for it (to delete if saving fails).
#[derive(Debug)]
pub struct Sealed {
    /// The record with every secret value replaced by its reference.
    pub record: SubscriptionRecord,
    /// The references created now.
    pub created: Vec<SecretRef>,
}

fn secret_headers(record: &SubscriptionRecord) -> impl Iterator<Item = &StoredHeader> {
    record.headers.iter().filter(|h| h.secret)
}

/// `record`'s headers as a front end shows them: a secret one's value replaced by `mask`
/// ("••••" in text, "" in a form that keeps the stored value).
pub fn masked_headers(record: &SubscriptionRecord, mask: &str) -> Vec<StoredHeader> {
    record
        .headers
        .iter()
        .map(|h| StoredHeader {
            value: if h.secret {
                mask.to_string()
            } else {
                h.value.clone()
            },
            ..h.clone()
        })
        .collect()
}

/// Whether `record` has any secret header (only those reach the keyring).
pub fn has_secrets(record: &SubscriptionRecord) -> bool {
    secret_headers(record).next().is_some()
}

/// Moves the plain secret values of `record` into the keyring. `old` is the saved record being
/// edited: a value equal to one of its references is already sealed and kept. On failure every
/// item created here is deleted again.
pub fn seal(
    secrets: &SecretStore,
    record: &SubscriptionRecord,
    old: Option<&SubscriptionRecord>,
) -> Result<Sealed, SealError> {
    let own: Vec<&str> = old
        .map(|o| secret_headers(o).map(|h| h.value.as_str()).collect())
        .unwrap_or_default();
    let mut sealed = record.clone();
    let mut created = Vec::new();
    for (i, h) in sealed.headers.iter_mut().enumerate() {
        if !h.secret || own.contains(&h.value.as_str()) {
            continue;
        }
        if h.value.parse::<SecretRef>().is_ok() {
            forget(secrets, &created);
            return Err(Invalid::new(
                Field::HeaderValue(i),
                format!(
                    "Header {:?} holds a keyring reference: enter the secret itself.",
                    h.name
                ),
            )
            .into());
        }
        match secrets.put(&h.name, &h.value) {
            Ok(r) => {
                h.value = r.to_string();
                created.push(r);
            }
            Err(e) => {
                forget(secrets, &created);
                return Err(e.into());
            }
        }
    }
    Ok(Sealed {
        record: sealed,
        created,
    })
}

/// Deletes keyring items, best effort, returning the ones that could not be deleted (each then
/// holds a value nothing points at; the caller may warn).
pub fn forget(secrets: &SecretStore, refs: &[SecretRef]) -> Vec<(SecretRef, SecretError)> {
    refs.iter()
        .filter_map(|r| secrets.delete(r).err().map(|e| (r.clone(), e)))
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn with_secret(value: &str) -> SubscriptionRecord {
        let mut r = SubscriptionRecord::new("feed", "http://127.0.0.1:1/");
        r.headers.push(StoredHeader {
            name: "X-Key".into(),
            value: value.into(),
            secret: true,
        });
        r
    }

    #[test]
    fn a_foreign_reference_is_refused_before_the_keyring_is_touched() {
        // An unusable service name: any keyring call would fail with another error.
        let secrets = SecretStore::new("no such/service");
        let r = with_secret("keyring:streamwatch/x-key-0123");
        match seal(&secrets, &r, None) {
            Err(SealError::Invalid(e)) => assert_eq!(e.field, Field::HeaderValue(0)),
            other => panic!("expected a refusal, got {other:?}"),
        }
        let old = with_secret("keyring:streamwatch/other-1");
        assert!(matches!(
            seal(&secrets, &r, Some(&old)),
            Err(SealError::Invalid(_))
        ));
    }

    #[test]
    fn the_subscriptions_own_reference_is_kept_without_the_keyring() {
        let secrets = SecretStore::new("no such/service");
        let old = with_secret("keyring:streamwatch/x-key-0123");
        let sealed = seal(&secrets, &old, Some(&old)).unwrap();
        assert_eq!(sealed.record, old);
        assert!(sealed.created.is_empty());
    }

    #[test]
    fn dropped_lists_only_references_no_longer_used() {
        let old = with_secret("keyring:streamwatch/x-key-1");
        let mut new = old.clone();
        assert!(dropped(&old, &new).is_empty());
        new.headers.clear();
        assert_eq!(dropped(&old, &new), refs(&old));
    }
}
