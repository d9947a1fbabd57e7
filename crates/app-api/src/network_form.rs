//! The subscription form's "Network" section: its own proxy, extra CA certificates and client
//! certificate, mapped to and from the engine's [`ClientOptions`]. Secrets behave as secret
//! headers do: the proxy's credentials come back masked "••••" (sent back, they keep the
//! stored ones) and the client key never comes back at all (empty with `hasStoredKey` keeps
//! it); the catalog's sealing puts new ones in the keyring.

use serde::{Deserialize, Serialize};
use streamwatch_engine::catalog::network_sealing::display_proxy;
use streamwatch_engine::client_options::ClientOptions;
use streamwatch_engine::secrets::MASK;
use ts_rs::TS;

/// Proxy and TLS settings as the form edits them; "" is "not set" in each text field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "NetworkForm.ts")]
pub struct NetworkForm {
    /// `http://`, `https://`, `socks5://` or `socks5h://` URL; "": the environment's proxy.
    /// Credentials come back masked "••••"; sending the mask back keeps them.
    pub proxy: String,
    /// PEM certificates of CAs trusted beside the system's (pasted or read from a file).
    pub ca_certificates: String,
    /// PEM client certificate (chain) for servers that ask for one (mTLS).
    pub client_certificate: String,
    /// The certificate's PEM private key: never sent to the window; "" with `hasStoredKey`
    /// keeps the stored one.
    pub client_key: String,
    /// A client key is stored (in the keyring).
    pub has_stored_key: bool,
}

impl NetworkForm {
    /// The section showing saved settings, secrets left behind.
    pub fn from_options(n: &ClientOptions) -> Self {
        NetworkForm {
            proxy: display_proxy(n).unwrap_or_default(),
            ca_certificates: n.extra_ca_pem.clone().unwrap_or_default(),
            client_certificate: n.client_cert_pem.clone().unwrap_or_default(),
            client_key: String::new(),
            has_stored_key: n.client_key_pem.is_some(),
        }
    }

    /// The settings to save: a new key in plain text (sealed by the catalog), or the mask that
    /// keeps `old`'s stored key.
    pub fn to_options(&self, old: Option<&ClientOptions>) -> ClientOptions {
        let text = |s: &str| {
            let s = s.trim();
            (!s.is_empty()).then(|| s.to_string())
        };
        let client_cert_pem = text(&self.client_certificate);
        let stored = old.is_some_and(|o| o.client_key_pem.is_some());
        let client_key_pem = match text(&self.client_key) {
            Some(key) => Some(key),
            // The certificate stays with its stored key; without a certificate the key goes.
            None if self.has_stored_key && stored && client_cert_pem.is_some() => {
                Some(MASK.to_string())
            }
            None => None,
        };
        ClientOptions {
            proxy: text(&self.proxy),
            extra_ca_pem: text(&self.ca_certificates),
            client_cert_pem,
            client_key_pem,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_never_goes_to_the_window_and_an_empty_one_keeps_the_stored_key() {
        let saved = ClientOptions {
            proxy: Some("http://keyring%3Astreamwatch%2Fproxy-password-1@127.0.0.1:3128/".into()),
            extra_ca_pem: Some("CA".into()),
            client_cert_pem: Some("CERT".into()),
            client_key_pem: Some("keyring:streamwatch/client-key-2".into()),
        };
        let form = NetworkForm::from_options(&saved);
        assert_eq!(form.proxy, "http://••••@127.0.0.1:3128/");
        assert_eq!(form.client_key, "");
        assert!(form.has_stored_key);
        let back = form.to_options(Some(&saved));
        assert_eq!(back.client_key_pem.as_deref(), Some(MASK));
        assert_eq!(back.proxy.as_deref(), Some("http://••••@127.0.0.1:3128/"));
        // Clearing the certificate drops the key too.
        let cleared = NetworkForm {
            client_certificate: String::new(),
            ..form
        };
        assert_eq!(cleared.to_options(Some(&saved)).client_key_pem, None);
        assert!(NetworkForm::default().to_options(None).is_default());
    }
}
