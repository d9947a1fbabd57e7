//! Certificate problems in plain words, each naming its fix: self-signed, expired, wrong host
//! name, unknown CA, and a client certificate the server wants or refuses. The one place that
//! reads rustls's errors out of reqwest's error chain.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    AlertDescription, CertificateError, DigitallySignedStruct, OtherError, SignatureScheme,
};
use std::sync::Arc;

/// What is wrong with a TLS connection, as far as a person can fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertProblem {
    /// The server's certificate signed itself.
    SelfSigned,
    /// The certificate's issuer is not among the trusted CAs.
    UnknownCa,
    /// The certificate is past its end date.
    Expired {
        /// The date it ended, when rustls said (YYYY-MM-DD).
        on: Option<String>,
    },
    /// The certificate is not valid yet (or this machine's clock is behind).
    NotYetValid,
    /// The certificate names other hosts.
    WrongHost {
        /// The names it is for, when rustls said.
        presented: Vec<String>,
    },
    /// The server asks for a client certificate and none was given.
    ClientCertRequired,
    /// The server refused the client certificate given.
    ClientCertRefused,
}

/// Where to add a CA certificate, in the CLI and in the window.
const ADD_CA: &str = "--ca-cert FILE, or CA certificates in the subscription's form";

impl CertProblem {
    /// Finds a certificate problem in an error's chain (reqwest → hyper → io → rustls).
    pub fn from_error(err: &(dyn std::error::Error + 'static)) -> Option<CertProblem> {
        let mut next = Some(err);
        while let Some(e) = next {
            if let Some(tls) = e.downcast_ref::<rustls::Error>() {
                return Self::from_rustls(tls);
            }
            // io::Error::source() skips the error it wraps (often another io::Error around
            // rustls's): step inside it instead.
            next = match e
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
            {
                Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
                None => e.source(),
            };
        }
        None
    }

    fn from_rustls(err: &rustls::Error) -> Option<CertProblem> {
        match err {
            rustls::Error::InvalidCertificate(cert) => Self::from_certificate_error(cert),
            rustls::Error::AlertReceived(AlertDescription::CertificateRequired) => {
                Some(CertProblem::ClientCertRequired)
            }
            rustls::Error::AlertReceived(
                AlertDescription::BadCertificate
                | AlertDescription::UnknownCA
                | AlertDescription::CertificateUnknown
                | AlertDescription::UnsupportedCertificate
                | AlertDescription::CertificateExpired
                | AlertDescription::AccessDenied,
            ) => Some(CertProblem::ClientCertRefused),
            _ => None,
        }
    }

    fn from_certificate_error(err: &CertificateError) -> Option<CertProblem> {
        Some(match err {
            CertificateError::UnknownIssuer => CertProblem::UnknownCa,
            CertificateError::Other(other) if other.0.downcast_ref::<SelfSigned>().is_some() => {
                CertProblem::SelfSigned
            }
            CertificateError::Expired => CertProblem::Expired { on: None },
            CertificateError::ExpiredContext { not_after, .. } => {
                CertProblem::Expired { on: day(not_after) }
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                CertProblem::NotYetValid
            }
            CertificateError::NotValidForName => CertProblem::WrongHost {
                presented: Vec::new(),
            },
            CertificateError::NotValidForNameContext { presented, .. } => CertProblem::WrongHost {
                presented: presented.clone(),
            },
            _ => return None,
        })
    }

    /// The plain sentence, naming the fix (no final full stop).
    pub fn words(&self) -> String {
        match self {
            CertProblem::SelfSigned => format!(
                "the server's certificate is self-signed: if you trust it, add that certificate \
                 as a CA certificate ({ADD_CA})"
            ),
            CertProblem::UnknownCa => format!(
                "the server's certificate is signed by an unknown CA (one this machine does not \
                 trust): add that CA's certificate ({ADD_CA})"
            ),
            CertProblem::Expired { on: Some(day) } => format!(
                "the server's certificate expired on {day}: the server's operator must renew it \
                 (or this machine's clock is wrong)"
            ),
            CertProblem::Expired { on: None } => "the server's certificate has expired: the \
                server's operator must renew it (or this machine's clock is wrong)"
                .into(),
            CertProblem::NotYetValid => "the server's certificate is not valid yet: check this \
                machine's date and time"
                .into(),
            CertProblem::WrongHost { presented } if !presented.is_empty() => format!(
                "the server's certificate is for a wrong host name ({}): use a name it is for \
                 in the URL, or ask for a certificate that names this host",
                presented.join(", ")
            ),
            CertProblem::WrongHost { .. } => "the server's certificate is for a wrong host \
                name: use a name it is for in the URL, or ask for a certificate that names this \
                host"
                .into(),
            CertProblem::ClientCertRequired => "the server requires a client certificate: set \
                one and its key (--client-cert FILE --client-key FILE, or Client certificate in \
                the subscription's form)"
                .into(),
            CertProblem::ClientCertRefused => "the server refused the client certificate: \
                check it is the one the server expects, signed by a CA it trusts, and not \
                expired"
                .into(),
        }
    }
}

/// The plain sentence at the start of a message the connection worded with
/// [`CertProblem::words`] (it puts `"; "` and the raw chain after it).
pub fn words_in(message: &str) -> Option<&str> {
    let head = message.split("; ").next()?;
    let ours = head.starts_with("the server's certificate ")
        || head.starts_with("the server requires a client certificate")
        || head.starts_with("the server refused the client certificate");
    ours.then_some(head)
}

fn day(t: &UnixTime) -> Option<String> {
    let secs = i64::try_from(t.as_secs()).ok()?;
    let ts = jiff::Timestamp::from_second(secs).ok()?;
    Some(ts.strftime("%Y-%m-%d").to_string())
}

/// The marker [`DiagnosingVerifier`] puts in an unknown-issuer error when the certificate
/// issued itself.
#[derive(Debug)]
struct SelfSigned;

impl std::fmt::Display for SelfSigned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("self-signed certificate")
    }
}

impl std::error::Error for SelfSigned {}

/// The platform's verifier, unchanged in what it accepts; when it rejects a certificate of an
/// unknown issuer that names itself as its issuer, the error says "self-signed" instead, so
/// the advice can be right (webpki cannot tell the two apart).
#[derive(Debug)]
pub struct DiagnosingVerifier<V> {
    inner: V,
}

impl<V> DiagnosingVerifier<V> {
    /// Wraps `inner`.
    pub fn new(inner: V) -> Self {
        DiagnosingVerifier { inner }
    }
}

fn issued_by_itself(cert: &CertificateDer<'_>) -> bool {
    webpki::EndEntityCert::try_from(cert).is_ok_and(|c| c.issuer() == c.subject())
}

impl<V: ServerCertVerifier> ServerCertVerifier for DiagnosingVerifier<V> {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map_err(|e| match e {
                rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)
                    if intermediates.is_empty() && issued_by_itself(end_entity) =>
                {
                    rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(
                        Arc::new(SelfSigned),
                    )))
                }
                other => other,
            })
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }

    fn requires_raw_public_keys(&self) -> bool {
        self.inner.requires_raw_public_keys()
    }

    fn root_hint_subjects(&self) -> Option<&[rustls::DistinguishedName]> {
        self.inner.root_hint_subjects()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_in_finds_only_ours() {
        let w = CertProblem::SelfSigned.words();
        let msg = format!("{w}; error sending request: invalid peer certificate");
        assert_eq!(words_in(&msg), Some(w.as_str()));
        assert_eq!(words_in("connection refused"), None);
    }

    #[test]
    fn an_unknown_issuer_in_an_io_error_is_found() {
        let tls = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        let io = std::io::Error::other(tls);
        assert_eq!(CertProblem::from_error(&io), Some(CertProblem::UnknownCa));
    }

    #[test]
    fn every_sentence_names_a_fix() {
        for p in [
            CertProblem::SelfSigned,
            CertProblem::UnknownCa,
            CertProblem::Expired {
                on: Some("2020-01-01".into()),
            },
            CertProblem::WrongHost {
                presented: vec!["a.example".into()],
            },
            CertProblem::ClientCertRequired,
        ] {
            let w = p.words();
            assert!(w.contains(": "), "{w}");
            assert_eq!(words_in(&w), Some(w.as_str()));
        }
    }
}
