//! The rules for a subscription's proxy, extra CA certificates and client certificate, as
//! saved (the proxy's credentials and the client key may be keyring references, which are not
//! resolved here) and as run. No message quotes a key or a proxy password.

use crate::client_options::{check_private_key, check_proxy, count_certificates, ClientOptions};
use crate::secrets::{SecretRef, MASK};

/// Which network setting a problem is about (the catalog's [`super::validate::Field`] has
/// one of each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkField {
    /// The proxy URL.
    Proxy,
    /// The extra CA certificates.
    CaCertificates,
    /// The client certificate.
    ClientCertificate,
    /// The client key.
    ClientKey,
}

/// A network setting that cannot be used, with why in words (never a key or a password).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct NetworkProblem {
    /// Which setting.
    pub field: NetworkField,
    /// What is wrong, as a sentence.
    pub message: String,
}

impl NetworkProblem {
    fn new(field: NetworkField, message: impl Into<String>) -> Self {
        NetworkProblem {
            field,
            message: message.into(),
        }
    }
}

/// Longest proxy URL accepted, in bytes.
pub const MAX_PROXY_BYTES: usize = 2048;

/// Largest extra CA text accepted (1 MiB: a few hundred certificates): a hostile file must
/// not make every connection parse megabytes.
pub const MAX_CA_PEM_BYTES: usize = 1024 * 1024;

/// Largest client certificate chain or key accepted (64 KiB).
pub const MAX_CLIENT_PEM_BYTES: usize = 64 * 1024;

/// Whether a client key field holds no key material itself: a keyring reference, or the mask
/// a form sends back for "keep the stored key".
pub fn is_sealed_key(key: &str) -> bool {
    key == MASK || key.parse::<SecretRef>().is_ok()
}

/// Checks `network` as saved or as run.
pub fn check_network(network: &ClientOptions) -> Result<(), NetworkProblem> {
    if let Some(proxy) = &network.proxy {
        if proxy.len() > MAX_PROXY_BYTES {
            return Err(NetworkProblem::new(
                NetworkField::Proxy,
                format!("The proxy URL is longer than {MAX_PROXY_BYTES} bytes."),
            ));
        }
        check_proxy(proxy).map_err(|e| NetworkProblem::new(NetworkField::Proxy, e.to_string()))?;
    }
    if let Some(pem) = &network.extra_ca_pem {
        if pem.len() > MAX_CA_PEM_BYTES {
            return Err(NetworkProblem::new(
                NetworkField::CaCertificates,
                format!(
                    "The extra CA certificates are {} bytes; at most {MAX_CA_PEM_BYTES} are \
                     accepted.",
                    pem.len()
                ),
            ));
        }
        count_certificates(pem).map_err(|why| {
            NetworkProblem::new(
                NetworkField::CaCertificates,
                format!("The extra CA certificates are not PEM certificates: {why}."),
            )
        })?;
    }
    match (&network.client_cert_pem, &network.client_key_pem) {
        (None, None) => {}
        (Some(_), None) => {
            return Err(NetworkProblem::new(
                NetworkField::ClientKey,
                "A client certificate needs its private key.",
            ))
        }
        (None, Some(_)) => {
            return Err(NetworkProblem::new(
                NetworkField::ClientCertificate,
                "A client key needs its certificate.",
            ))
        }
        (Some(cert), Some(key)) => {
            if cert.len() > MAX_CLIENT_PEM_BYTES {
                return Err(NetworkProblem::new(
                    NetworkField::ClientCertificate,
                    format!(
                        "The client certificate is {} bytes; at most {MAX_CLIENT_PEM_BYTES} \
                         are accepted.",
                        cert.len()
                    ),
                ));
            }
            count_certificates(cert).map_err(|why| {
                NetworkProblem::new(
                    NetworkField::ClientCertificate,
                    format!("The client certificate is not a PEM certificate: {why}."),
                )
            })?;
            if !is_sealed_key(key) {
                if key.len() > MAX_CLIENT_PEM_BYTES {
                    return Err(NetworkProblem::new(
                        NetworkField::ClientKey,
                        format!(
                            "The client key is longer than {MAX_CLIENT_PEM_BYTES} bytes (not \
                             shown)."
                        ),
                    ));
                }
                check_private_key(key).map_err(|why| {
                    NetworkProblem::new(
                        NetworkField::ClientKey,
                        format!("The client key is not a PEM private key ({why}; not shown)."),
                    )
                })?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_key_is_refused_without_quoting_it() {
        let cert = streamwatch_test_support::tls_certs::self_signed_server();
        let n = ClientOptions {
            client_cert_pem: Some(cert.cert_pem),
            client_key_pem: Some("-----BEGIN PRIVATE KEY-----\nc2VjcmV0c2VjcmV0\n".into()),
            ..ClientOptions::default()
        };
        let e = check_network(&n).expect_err("refused");
        assert_eq!(e.field, NetworkField::ClientKey);
        assert!(!e.message.contains("c2VjcmV0"), "{e}");
        let sealed = ClientOptions {
            client_key_pem: Some("keyring:streamwatch/client-key-1".into()),
            ..n.clone()
        };
        assert_eq!(check_network(&sealed), Ok(()));
    }

    #[test]
    fn oversized_or_foreign_ca_text_is_refused() {
        let huge = ClientOptions {
            extra_ca_pem: Some("x".repeat(MAX_CA_PEM_BYTES + 1)),
            ..ClientOptions::default()
        };
        assert_eq!(
            check_network(&huge).map_err(|e| e.field),
            Err(NetworkField::CaCertificates)
        );
        let garbage = ClientOptions {
            extra_ca_pem: Some("hello".into()),
            ..ClientOptions::default()
        };
        assert_eq!(
            check_network(&garbage).map_err(|e| e.field),
            Err(NetworkField::CaCertificates)
        );
        let proxy = ClientOptions {
            proxy: Some("ftp://u:hunter2@127.0.0.1:21".into()),
            ..ClientOptions::default()
        };
        let e = check_network(&proxy).expect_err("ftp");
        assert_eq!(e.field, NetworkField::Proxy);
        assert!(!e.message.contains("hunter2"), "{e}");
    }
}
