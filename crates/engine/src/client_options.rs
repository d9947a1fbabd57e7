//! What the HTTP client of a subscription is built with: its proxy, the extra CA certificates it
//! trusts beside the system's, and the client certificate it presents (mTLS). reqwest builds a
//! client (and its connection pool) once per such settings, so subscriptions that share them
//! share one client ([`crate::client_cache::ClientCache`]).
//!
//! There is deliberately no "accept any certificate" switch: a private CA is trusted by adding
//! it, a self-signed server by adding its certificate.

use crate::cert_problem::DiagnosingVerifier;
use crate::http_client::HttpClient;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

/// Proxy and TLS settings of one subscription; the default is the environment's proxy
/// (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`) and the system's CAs.
#[derive(Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ClientOptions {
    /// Every request of the subscription goes through this proxy (`http://`, `https://`,
    /// `socks5://` or `socks5h://`, credentials in its userinfo), and the environment's proxy
    /// settings do not apply to it. `None`: the environment's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<String>,
    /// PEM certificates of CAs trusted for this subscription beside the system's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_ca_pem: Option<String>,
    /// PEM certificate chain presented to a server that asks for one (mTLS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_cert_pem: Option<String>,
    /// The client certificate's PEM private key: a secret (kept in the keyring when saved).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_key_pem: Option<String>,
}

// Written by hand: the key and the proxy's password must never reach a log through `{:?}`.
impl std::fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientOptions")
            .field(
                "proxy",
                &self
                    .proxy
                    .as_deref()
                    .map(|p| crate::url_credentials::mask_url(p, &[])),
            )
            .field("extra_ca_pem", &self.extra_ca_pem.as_ref().map(|p| p.len()))
            .field(
                "client_cert_pem",
                &self.client_cert_pem.as_ref().map(|p| p.len()),
            )
            .field(
                "client_key_pem",
                &self.client_key_pem.as_ref().map(|_| "••••"),
            )
            .finish()
    }
}

/// Settings a client cannot be built with. The words never quote a key or a password.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ClientOptionsError {
    /// The proxy URL does not parse or has an unsupported scheme.
    #[error("invalid proxy {proxy:?}: {reason}")]
    Proxy {
        /// The proxy URL, credentials masked.
        proxy: String,
        /// Why it was refused.
        reason: String,
    },
    /// The extra CA certificates are not PEM certificates.
    #[error("the CA certificates are not valid PEM certificates: {0}")]
    CaCertificate(String),
    /// The client certificate is not a PEM certificate.
    #[error("the client certificate is not a valid PEM certificate: {0}")]
    ClientCertificate(String),
    /// The client key is missing, unreadable, or does not go with the certificate.
    #[error("the client key is not usable: {0}")]
    ClientKey(String),
    /// A key without a certificate, or a certificate without a key.
    #[error("a client certificate needs both the certificate and its private key")]
    ClientPairIncomplete,
    /// reqwest or rustls refused the settings.
    #[error("could not set up the HTTP client: {0}")]
    Build(String),
}

impl ClientOptionsError {
    /// The subscription form's field this error is about.
    pub fn form_field(&self) -> &'static str {
        match self {
            ClientOptionsError::Proxy { .. } => "proxy",
            ClientOptionsError::CaCertificate(_) => "caCertificates",
            ClientOptionsError::ClientCertificate(_) | ClientOptionsError::ClientPairIncomplete => {
                "clientCertificate"
            }
            ClientOptionsError::ClientKey(_) => "clientKey",
            ClientOptionsError::Build(_) => "proxy",
        }
    }
}

/// What every request names as its client.
pub const USER_AGENT: &str = concat!("streamwatch/", env!("CARGO_PKG_VERSION"));

/// Proxy schemes a subscription may use.
pub const PROXY_SCHEMES: [&str; 4] = ["http", "https", "socks5", "socks5h"];

impl ClientOptions {
    /// Whether these are the defaults (environment proxy, system CAs, no client certificate).
    pub fn is_default(&self) -> bool {
        *self == ClientOptions::default()
    }

    /// Checks every field without building a client.
    pub fn validate(&self) -> Result<(), ClientOptionsError> {
        if let Some(proxy) = &self.proxy {
            check_proxy(proxy)?;
        }
        self.extra_roots()?;
        self.identity()?;
        Ok(())
    }

    fn extra_roots(&self) -> Result<Vec<CertificateDer<'static>>, ClientOptionsError> {
        match &self.extra_ca_pem {
            None => Ok(Vec::new()),
            Some(pem) => {
                parse_certs(pem).map_err(|e| ClientOptionsError::CaCertificate(e.to_string()))
            }
        }
    }

    #[allow(clippy::type_complexity)]
    fn identity(
        &self,
    ) -> Result<Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>, ClientOptionsError>
    {
        match (&self.client_cert_pem, &self.client_key_pem) {
            (None, None) => Ok(None),
            (Some(cert), Some(key)) => {
                let certs = parse_certs(cert)
                    .map_err(|e| ClientOptionsError::ClientCertificate(e.to_string()))?;
                // The parser's error names only the PEM section kind, never the key's bytes.
                let key = PrivateKeyDer::from_pem_slice(key.as_bytes())
                    .map_err(|e| ClientOptionsError::ClientKey(e.to_string()))?;
                Ok(Some((certs, key)))
            }
            _ => Err(ClientOptionsError::ClientPairIncomplete),
        }
    }

    /// Builds the client these settings ask for. It follows no redirects:
    /// [`crate::redirects::send`] does, deciding per hop which headers go along.
    pub fn build_client(&self) -> Result<HttpClient, ClientOptionsError> {
        let tls = self.tls_config()?;
        let mut builder = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(Duration::from_secs(15))
            .tcp_nodelay(true)
            // reqwest's policy would carry any header but a few well-known ones to another host.
            .redirect(reqwest::redirect::Policy::none())
            // A Referer tells the next server where we came from, query tokens included.
            .referer(false)
            .tls_backend_preconfigured(tls);
        if let Some(proxy) = &self.proxy {
            let url = check_proxy(proxy)?;
            // Setting a proxy turns off the environment's for this client: the subscription's
            // own choice wins, NO_PROXY included.
            let proxy =
                reqwest::Proxy::all(url.as_str()).map_err(|e| ClientOptionsError::Proxy {
                    proxy: crate::url_credentials::mask_url(proxy, &[]),
                    reason: e.to_string(),
                })?;
            builder = builder.proxy(proxy);
        }
        let shared = builder
            .build()
            .map_err(|e| ClientOptionsError::Build(e.to_string()))?;
        Ok(HttpClient::new(shared, self.proxy.is_some(), USER_AGENT))
    }

    /// The rustls configuration reqwest would build, with a verifier that tells a self-signed
    /// certificate from one of an unknown CA ([`DiagnosingVerifier`]).
    fn tls_config(&self) -> Result<rustls::ClientConfig, ClientOptionsError> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let platform = rustls_platform_verifier::Verifier::new_with_extra_roots(
            self.extra_roots()?,
            provider.clone(),
        )
        .map_err(|e| ClientOptionsError::Build(e.to_string()))?;
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| ClientOptionsError::Build(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(DiagnosingVerifier::new(platform)));
        let mut config = match self.identity()? {
            None => builder.with_no_client_auth(),
            Some((certs, key)) => builder
                .with_client_auth_cert(certs, key)
                .map_err(|e| ClientOptionsError::ClientKey(e.to_string()))?,
        };
        // What reqwest offers itself with HTTP/2 enabled: h2 where the server speaks it.
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(config)
    }
}

/// How many certificates a PEM text holds; the error says why none could be read.
pub fn count_certificates(pem: &str) -> Result<usize, String> {
    parse_certs(pem).map(|c| c.len())
}

/// Whether a PEM text holds a private key; the error names only the section kind, never the
/// key's bytes.
pub fn check_private_key(pem: &str) -> Result<(), String> {
    PrivateKeyDer::from_pem_slice(pem.as_bytes())
        .map(drop)
        .map_err(|e| e.to_string())
}

fn parse_certs(pem: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    if certs.is_empty() {
        return Err("no \"BEGIN CERTIFICATE\" section found".into());
    }
    Ok(certs)
}

/// Parses a proxy URL and checks its scheme; errors mask its credentials.
pub fn check_proxy(proxy: &str) -> Result<url::Url, ClientOptionsError> {
    let refuse = |reason: String| ClientOptionsError::Proxy {
        proxy: crate::url_credentials::mask_url(proxy, &[]),
        reason,
    };
    let url = url::Url::parse(proxy.trim()).map_err(|e| refuse(e.to_string()))?;
    if !PROXY_SCHEMES.contains(&url.scheme()) {
        return Err(refuse(format!(
            "unsupported scheme {:?}: use http://, https://, socks5:// or socks5h://",
            url.scheme()
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(refuse("no host".into()));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_key_and_the_proxy_password() {
        let o = ClientOptions {
            proxy: Some("http://user:hunter2@proxy.example:3128".into()),
            client_key_pem: Some("-----BEGIN PRIVATE KEY-----\nsecretbytes\n".into()),
            ..ClientOptions::default()
        };
        let text = format!("{o:?}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(!text.contains("secretbytes"), "{text}");
        assert!(text.contains("proxy.example"), "{text}");
    }

    #[test]
    fn proxies_must_be_http_https_or_socks5() {
        assert!(check_proxy("socks5://127.0.0.1:1080").is_ok());
        assert!(check_proxy("http://127.0.0.1:3128").is_ok());
        let err = check_proxy("ftp://user:pw@127.0.0.1:21")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unsupported scheme"), "{err}");
        assert!(!err.contains("pw@"), "{err}");
        assert!(check_proxy("not a url").is_err());
    }

    #[test]
    fn a_key_without_a_certificate_is_refused() {
        let o = ClientOptions {
            client_key_pem: Some("x".into()),
            ..ClientOptions::default()
        };
        assert_eq!(o.validate(), Err(ClientOptionsError::ClientPairIncomplete));
    }

    #[test]
    fn garbage_is_not_a_ca_certificate() {
        let o = ClientOptions {
            extra_ca_pem: Some("hello".into()),
            ..ClientOptions::default()
        };
        assert!(matches!(
            o.validate(),
            Err(ClientOptionsError::CaCertificate(_))
        ));
    }

    #[test]
    fn the_default_builds() {
        assert!(ClientOptions::default().build_client().is_ok());
    }
}
