//! The secrets of a subscription's network settings on their way to and from the keyring,
//! under the rule of [`super::sealing`]: the proxy's user name and password (kept inside the
//! proxy URL as their keyring references, as URL credentials are) and the client
//! certificate's private key (the field holds its reference). A form that shows them masked
//! sends [`MASK`] back for "unchanged", which keeps the stored reference.

use super::validate::{Field, Invalid};
use crate::client_options::ClientOptions;
use crate::secrets::{SecretError, SecretRef, SecretStore, MASK};
use crate::url_credentials;
use url::Url;

/// Why sealing the network settings failed (the caller deletes what was created).
#[derive(Debug, thiserror::Error)]
pub enum NetworkSealError {
    /// A masked or foreign secret with nothing of the subscription's own behind it.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The keyring refused.
    #[error(transparent)]
    Secret(#[from] SecretError),
}

/// Puts one plain secret (label hint, value) where the save keeps its secrets.
pub(super) type Put<'a> = &'a dyn Fn(&str, &str) -> Result<SecretRef, SecretError>;

/// The keyring label hint of a client key.
const KEY_HINT: &str = "client-key";

fn proxy_refs(network: &ClientOptions) -> Vec<SecretRef> {
    network
        .proxy
        .as_deref()
        .and_then(|p| Url::parse(p).ok())
        .map(|u| {
            url_credentials::slots(&u, &[])
                .into_iter()
                .filter_map(|s| s.value.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// The keyring references `network` holds (proxy credentials, client key).
pub fn refs(network: &ClientOptions) -> Vec<SecretRef> {
    let mut out = proxy_refs(network);
    out.extend(
        network
            .client_key_pem
            .as_deref()
            .and_then(|k| k.parse::<SecretRef>().ok()),
    );
    out
}

/// Whether `network` has anything for the keyring (proxy credentials or a client key).
pub fn has_secrets(network: &ClientOptions) -> bool {
    network.client_key_pem.is_some()
        || network
            .proxy
            .as_deref()
            .and_then(|p| Url::parse(p).ok())
            .is_some_and(|u| !url_credentials::slots(&u, &[]).is_empty())
}

/// The proxy as every front end shows it: credentials replaced by [`MASK`].
pub fn display_proxy(network: &ClientOptions) -> Option<String> {
    network
        .proxy
        .as_deref()
        .map(|p| url_credentials::mask_url(p, &[]))
}

/// Moves the plain proxy credentials and client key of `network` into the keyring, adding
/// what it creates to `created`; `old` is the saved settings being edited. The caller deletes
/// `created` if this fails.
pub(super) fn seal(
    put: Put<'_>,
    network: &mut ClientOptions,
    old: Option<&ClientOptions>,
    created: &mut Vec<SecretRef>,
) -> Result<(), NetworkSealError> {
    let own = old.map(refs).unwrap_or_default();
    if let Some(proxy) = network.proxy.clone() {
        network.proxy = Some(seal_proxy(put, &proxy, old, &own, created)?);
    }
    if let Some(key) = network.client_key_pem.clone() {
        network.client_key_pem = Some(if key == MASK {
            match old
                .and_then(|o| o.client_key_pem.as_deref())
                .filter(|k| k.parse::<SecretRef>().is_ok())
            {
                Some(kept) => kept.to_string(),
                None => {
                    return Err(Invalid::new(
                        Field::ClientKey,
                        format!("The client key is masked ({MASK}): choose the key file again."),
                    )
                    .into())
                }
            }
        } else if let Ok(r) = key.parse::<SecretRef>() {
            if !own.contains(&r) {
                return Err(Invalid::new(
                    Field::ClientKey,
                    "The client key holds a keyring reference: give the key itself.",
                )
                .into());
            }
            key
        } else {
            let r = put(KEY_HINT, &key)?;
            created.push(r.clone());
            r.to_string()
        });
    }
    Ok(())
}

fn seal_proxy(
    put: Put<'_>,
    proxy: &str,
    old: Option<&ClientOptions>,
    own: &[SecretRef],
    created: &mut Vec<SecretRef>,
) -> Result<String, NetworkSealError> {
    let Ok(mut url) = Url::parse(proxy.trim()) else {
        // Not a URL: the check names the problem; there is nothing to seal.
        return Ok(proxy.to_string());
    };
    let old_url = old
        .and_then(|o| o.proxy.as_deref())
        .and_then(|p| Url::parse(p).ok());
    // The display masks the whole userinfo as one "••••": sent back, it keeps the user name
    // and the password both.
    let whole_mask = url.password().is_none()
        && percent_encoding::percent_decode_str(url.username()).decode_utf8_lossy() == MASK;
    if whole_mask && old_url.as_ref().is_some_and(|u| u.password().is_some()) {
        let _ = url.set_password(Some(MASK));
    }
    let found = url_credentials::slots(&url, &[]);
    if found.is_empty() {
        return Ok(proxy.trim().to_string());
    }
    let old_slots = old_url
        .map(|u| url_credentials::slots(&u, &[]))
        .unwrap_or_default();
    let mut values = Vec::with_capacity(found.len());
    for slot in &found {
        let label = slot.part.label().replacen("URL", "proxy", 1);
        let value = if slot.value.is_empty() {
            None
        } else if slot.value == MASK {
            match old_slots
                .iter()
                .find(|o| o.part == slot.part && o.value.parse::<SecretRef>().is_ok())
            {
                Some(o) => Some(o.value.clone()),
                None => {
                    return Err(Invalid::new(
                        Field::Proxy,
                        format!("The {label} is masked ({MASK}): enter the secret itself."),
                    )
                    .into())
                }
            }
        } else if let Ok(r) = slot.value.parse::<SecretRef>() {
            if !own.contains(&r) {
                return Err(Invalid::new(
                    Field::Proxy,
                    format!("The {label} holds a keyring reference: enter the secret itself."),
                )
                .into());
            }
            None
        } else {
            let hint = slot.part.hint().replacen("url", "proxy", 1);
            let r = put(&hint, &slot.value)?;
            created.push(r.clone());
            Some(r.to_string())
        };
        values.push(value);
    }
    let mut next = values.into_iter();
    Ok(url_credentials::replace(&url, &[], |_| next.next().flatten()).to_string())
}

/// `network` with each keyring reference replaced by the value it stands for.
pub(super) fn reveal(
    secrets: &SecretStore,
    network: &mut ClientOptions,
) -> Result<(), SecretError> {
    if let Some(key) = &network.client_key_pem {
        if let Ok(r) = key.parse::<SecretRef>() {
            network.client_key_pem = Some(secrets.get(&r)?);
        }
    }
    let Some(url) = network.proxy.as_deref().and_then(|p| Url::parse(p).ok()) else {
        return Ok(());
    };
    let found = url_credentials::slots(&url, &[]);
    let mut values = Vec::with_capacity(found.len());
    for slot in &found {
        values.push(match slot.value.parse::<SecretRef>() {
            Ok(r) => Some(secrets.get(&r)?),
            Err(_) => None,
        });
    }
    if values.iter().any(Option::is_some) {
        let mut next = values.into_iter();
        network.proxy =
            Some(url_credentials::replace(&url, &[], |_| next.next().flatten()).to_string());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEALED_PROXY: &str = "http://keyring%3Astreamwatch%2Fproxy-user-1:keyring%3Astreamwatch%2Fproxy-password-2@127.0.0.1:3128/";

    #[test]
    fn masked_proxy_credentials_and_key_keep_their_references_without_the_keyring() {
        let secrets = SecretStore::new("no such/service");
        let old = ClientOptions {
            proxy: Some(SEALED_PROXY.into()),
            client_cert_pem: Some("cert".into()),
            client_key_pem: Some("keyring:streamwatch/client-key-3".into()),
            ..ClientOptions::default()
        };
        let shown = display_proxy(&old).expect("proxy");
        assert_eq!(shown, "http://••••@127.0.0.1:3128/");
        let mut form = ClientOptions {
            proxy: Some(shown),
            client_key_pem: Some(MASK.into()),
            ..old.clone()
        };
        let mut created = Vec::new();
        seal(
            &|h, v| secrets.put(h, v),
            &mut form,
            Some(&old),
            &mut created,
        )
        .expect("kept");
        assert_eq!(form, old);
        assert!(created.is_empty());
        assert_eq!(refs(&old).len(), 3);
    }

    #[test]
    fn a_foreign_key_reference_or_a_mask_with_nothing_stored_is_refused() {
        let secrets = SecretStore::new("no such/service");
        for key in ["keyring:streamwatch/someone-else-9", MASK] {
            let mut n = ClientOptions {
                client_cert_pem: Some("cert".into()),
                client_key_pem: Some(key.into()),
                ..ClientOptions::default()
            };
            match seal(&|h, v| secrets.put(h, v), &mut n, None, &mut Vec::new()) {
                Err(NetworkSealError::Invalid(e)) => assert_eq!(e.field, Field::ClientKey),
                other => panic!("expected a refusal, got {other:?}"),
            }
        }
    }

    #[test]
    fn session_sealing_moves_the_key_and_proxy_password_out_and_back() {
        let secrets = SecretStore::new("streamwatch-network-sealing-test");
        let plain = ClientOptions {
            proxy: Some("socks5://alice:hunter2@127.0.0.1:1080".into()),
            client_cert_pem: Some("cert".into()),
            client_key_pem: Some("-----BEGIN PRIVATE KEY-----\nsecretbytes\n".into()),
            ..ClientOptions::default()
        };
        let mut sealed = plain.clone();
        let mut created = Vec::new();
        seal(
            &|h, v| secrets.put_session(h, v),
            &mut sealed,
            None,
            &mut created,
        )
        .expect("sealed");
        assert_eq!(created.len(), 3);
        let json = serde_json::to_string(&sealed).expect("json");
        for secret in ["alice", "hunter2", "secretbytes"] {
            assert!(!json.contains(secret), "{secret} in {json}");
        }
        let mut back = sealed.clone();
        reveal(&secrets, &mut back).expect("revealed");
        assert_eq!(back, plain);
    }
}
