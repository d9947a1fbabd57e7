//! Secret header values and URL credentials on their way to and from the OS keyring, under one
//! rule for every front end: a secret is either the plain value (sealed into the keyring on
//! save) or a reference the same subscription already held (kept). A reference to any other
//! keyring item is refused, so no form, flag or imported file can point a subscription at
//! someone else's secret.
//!
//! URL credentials (userinfo, token query parameters, parameters the user marked; see
//! [`crate::url_credentials`]) are stored in the URL itself as their keyring reference, so the
//! saved URL says which of its parts are secret. A form that shows the masked URL sends
//! [`MASK`] back for a credential it did not change: that keeps the stored reference.

use super::network_sealing;
use super::validate::{Field, Invalid};
use crate::secrets::{SecretError, SecretRef, SecretStore};
use crate::storage::{StoredHeader, SubscriptionRecord};
use crate::url_credentials::{self, UrlSlot};
use url::Url;

pub use crate::secrets::MASK;

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

/// Where a save puts the secrets it seals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Keeping {
    /// The OS keyring: the only place a secret survives a restart.
    #[default]
    Keyring,
    /// This session's memory only, chosen by the user for this save because no keyring was
    /// available ([`SecretError::Unavailable`]): the subscription is saved with references to
    /// values that are gone after a restart, and then asks for them again.
    SessionOnly,
}

/// Puts one plain secret where `keep` says.
fn put(
    secrets: &SecretStore,
    keep: Keeping,
    hint: &str,
    value: &str,
) -> Result<SecretRef, SecretError> {
    match keep {
        Keeping::Keyring => secrets.put(hint, value),
        Keeping::SessionOnly => secrets.put_session(hint, value),
    }
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

/// Whether `record` has any secret header or URL credential (only those reach the keyring).
pub fn has_secrets(record: &SubscriptionRecord) -> bool {
    secret_headers(record).next().is_some()
        || !url_slots(record).is_empty()
        || network_sealing::has_secrets(&record.network)
}

/// Whether `record`'s URL holds a credential in plain text (saved by a version before URL
/// credentials were secrets, or not yet sealed).
pub fn has_plain_url_credentials(record: &SubscriptionRecord) -> bool {
    url_slots(record)
        .iter()
        .any(|s| !s.value.is_empty() && s.value != MASK && s.value.parse::<SecretRef>().is_err())
}

/// `record`'s URL as every front end shows it: credentials replaced by [`MASK`].
pub fn display_url(record: &SubscriptionRecord) -> String {
    url_credentials::mask_url(&record.url, &record.secret_params)
}

/// The credential slots of `record`'s URL (none when it does not parse: then it cannot be
/// saved either).
fn url_slots(record: &SubscriptionRecord) -> Vec<UrlSlot> {
    Url::parse(&record.url)
        .map(|u| url_credentials::slots(&u, &record.secret_params))
        .unwrap_or_default()
}

fn url_refs(record: &SubscriptionRecord) -> Vec<SecretRef> {
    url_slots(record)
        .into_iter()
        .filter_map(|s| s.value.parse().ok())
        .collect()
}

/// Moves the plain secret values of `record` into the keyring. `old` is the saved record being
/// edited: a value equal to one of its references is already sealed and kept. On failure every
/// item created here is deleted again.
pub fn seal(
    secrets: &SecretStore,
    record: &SubscriptionRecord,
    old: Option<&SubscriptionRecord>,
) -> Result<Sealed, SealError> {
    seal_keeping(secrets, record, old, Keeping::Keyring)
}

/// [`seal`], putting new secrets where `keep` says.
pub fn seal_keeping(
    secrets: &SecretStore,
    record: &SubscriptionRecord,
    old: Option<&SubscriptionRecord>,
    keep: Keeping,
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
        match put(secrets, keep, &h.name, &h.value) {
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
    if let Err(e) = seal_url(secrets, keep, &mut sealed, old, &mut created) {
        forget(secrets, &created);
        return Err(e);
    }
    let old_network = old.map(|o| &o.network);
    let put_one = |hint: &str, value: &str| put(secrets, keep, hint, value);
    if let Err(e) = network_sealing::seal(&put_one, &mut sealed.network, old_network, &mut created)
    {
        forget(secrets, &created);
        return Err(match e {
            network_sealing::NetworkSealError::Invalid(e) => e.into(),
            network_sealing::NetworkSealError::Secret(e) => e.into(),
        });
    }
    Ok(Sealed {
        record: sealed,
        created,
    })
}

/// Moves the plain credentials of `record.url` into the keyring (adding what it creates to
/// `created`); a credential given as [`MASK`] keeps the reference `old` had in the same place.
fn seal_url(
    secrets: &SecretStore,
    keep: Keeping,
    record: &mut SubscriptionRecord,
    old: Option<&SubscriptionRecord>,
    created: &mut Vec<SecretRef>,
) -> Result<(), SealError> {
    let Ok(url) = Url::parse(&record.url) else {
        // Not a URL: the record's own check names the problem; there is nothing to seal.
        return Ok(());
    };
    let found = url_credentials::slots(&url, &record.secret_params);
    if found.is_empty() {
        return Ok(());
    }
    let old_slots = old.map(url_slots).unwrap_or_default();
    let own = old.map(refs).unwrap_or_default();
    let mut values = Vec::with_capacity(found.len());
    for slot in &found {
        let label = slot.part.label();
        let value = if slot.value.is_empty() {
            None
        } else if slot.value == MASK {
            let kept = old_slots
                .iter()
                .find(|o| o.part == slot.part && o.value.parse::<SecretRef>().is_ok());
            match kept {
                Some(o) => Some(o.value.clone()),
                None => {
                    return Err(Invalid::new(
                        Field::Url,
                        format!("The {label} is masked ({MASK}): enter the secret itself."),
                    )
                    .into())
                }
            }
        } else if let Ok(r) = slot.value.parse::<SecretRef>() {
            if !own.contains(&r) {
                return Err(Invalid::new(
                    Field::Url,
                    format!("The {label} holds a keyring reference: enter the secret itself."),
                )
                .into());
            }
            None
        } else {
            let r = put(secrets, keep, &slot.part.hint(), &slot.value)?;
            created.push(r.clone());
            Some(r.to_string())
        };
        values.push(value);
    }
    let mut next = values.into_iter();
    let sealed = url_credentials::replace(&url, &record.secret_params, |_| next.next().flatten());
    record.url = sealed.to_string();
    Ok(())
}

/// Deletes keyring items, best effort, returning the ones that could not be deleted (each then
/// holds a value nothing points at; the caller may warn).
pub fn forget(secrets: &SecretStore, refs: &[SecretRef]) -> Vec<(SecretRef, SecretError)> {
    refs.iter()
        .filter_map(|r| secrets.delete(r).err().map(|e| (r.clone(), e)))
        .collect()
}

/// The references `record` holds (secret headers and URL credentials).
pub fn refs(record: &SubscriptionRecord) -> Vec<SecretRef> {
    let mut out: Vec<SecretRef> = secret_headers(record)
        .filter_map(|h| h.value.parse().ok())
        .collect();
    out.extend(url_refs(record));
    out.extend(network_sealing::refs(&record.network));
    out
}

/// The references `old` held that `new` no longer uses.
pub fn dropped(old: &SubscriptionRecord, new: &SubscriptionRecord) -> Vec<SecretRef> {
    let kept = refs(new);
    refs(old)
        .into_iter()
        .filter(|r| !kept.contains(r))
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
    if let Ok(url) = Url::parse(&record.url) {
        let found = url_credentials::slots(&url, &record.secret_params);
        let mut values = Vec::with_capacity(found.len());
        for slot in &found {
            values.push(match slot.value.parse::<SecretRef>() {
                Ok(r) => Some(secrets.get(&r)?),
                Err(_) => None,
            });
        }
        if values.iter().any(Option::is_some) {
            let mut next = values.into_iter();
            plain.url =
                url_credentials::replace(&url, &record.secret_params, |_| next.next().flatten())
                    .to_string();
        }
    }
    network_sealing::reveal(secrets, &mut plain.network)?;
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
    fn session_only_sealing_keeps_values_in_memory_and_references_in_the_record() {
        // A service of its own: the session's secrets are the store's, and the keyring is
        // never asked.
        let secrets = SecretStore::new("streamwatch-sealing-test");
        let mut draft = with_secret("Bearer s3cret");
        draft.url = "http://u:p4ss@h.test/s?token=t0k".into();
        let sealed = seal_keeping(&secrets, &draft, None, Keeping::SessionOnly).unwrap();
        assert_eq!(sealed.created.len(), 4, "{:?}", sealed.created);
        assert!(sealed.created.iter().all(SecretRef::is_session));
        let saved = format!("{:?}", sealed.record);
        for plain in ["s3cret", "p4ss", "t0k"] {
            assert!(!saved.contains(plain), "{plain} in {saved}");
        }
        let plain = reveal(&secrets, &sealed.record).unwrap();
        assert_eq!(plain.headers[0].value, "Bearer s3cret");
        assert_eq!(plain.url, "http://u:p4ss@h.test/s?token=t0k");
        // Edited with nothing changed: its own session references are kept.
        let again = seal_keeping(
            &secrets,
            &sealed.record,
            Some(&sealed.record),
            Keeping::Keyring,
        );
        assert!(again.unwrap().created.is_empty());
    }

    #[test]
    fn dropped_lists_only_references_no_longer_used() {
        let old = with_secret("keyring:streamwatch/x-key-1");
        let mut new = old.clone();
        assert!(dropped(&old, &new).is_empty());
        new.headers.clear();
        assert_eq!(dropped(&old, &new), refs(&old));
    }

    const SEALED_URL: &str =
        "http://keyring%3Astreamwatch%2Furl-user-1@h.test/s?token=keyring%3Astreamwatch%2Furl-token-2&q=1";

    #[test]
    fn a_masked_url_credential_keeps_the_stored_reference_without_the_keyring() {
        let secrets = SecretStore::new("no such/service");
        let old = SubscriptionRecord::new("feed", SEALED_URL);
        let shown = SubscriptionRecord::new("feed", display_url(&old));
        assert_eq!(shown.url, "http://••••@h.test/s?token=••••&q=1");
        let sealed = seal(&secrets, &shown, Some(&old)).unwrap();
        assert_eq!(sealed.record.url, SEALED_URL);
        assert!(sealed.created.is_empty());
        assert!(dropped(&old, &sealed.record).is_empty());
        assert_eq!(refs(&old).len(), 2);
        assert!(has_secrets(&old));
    }

    #[test]
    fn a_mask_with_nothing_stored_and_a_foreign_url_reference_are_refused() {
        let secrets = SecretStore::new("no such/service");
        let masked = SubscriptionRecord::new("feed", "http://h.test/s?token=••••");
        match seal(&secrets, &masked, None) {
            Err(SealError::Invalid(e)) => {
                assert_eq!(e.field, Field::Url);
                assert!(e.message.contains("URL parameter token"), "{e}");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        let foreign = SubscriptionRecord::new("feed", SEALED_URL);
        assert!(matches!(
            seal(&secrets, &foreign, None),
            Err(SealError::Invalid(Invalid {
                field: Field::Url,
                ..
            }))
        ));
    }
}
