//! HTTPS for the demo server: a certificate authority made at start (rcgen), a certificate for
//! `localhost`, `127.0.0.1` and `::1` signed by it, and ALPN offering `h2` before `http/1.1`,
//! so HTTP/2 clients get HTTP/2. A client trusts the server by adding [`Tls::ca_pem`] as a root.

use std::io;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

/// The names the server's certificate is valid for: loopback only.
const NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// A server's TLS setup, made fresh for each server.
pub(crate) struct Tls {
    /// The authority's certificate (PEM): what a client must trust.
    pub(crate) ca_pem: String,
    pub(crate) acceptor: TlsAcceptor,
}

fn tls_error(what: &str, err: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("{what}: {err}"))
}

impl Tls {
    /// Generates the authority and the server's certificate.
    pub(crate) fn generate() -> io::Result<Tls> {
        let mut ca_params =
            CertificateParams::new(Vec::<String>::new()).map_err(|e| tls_error("CA", e))?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "Streamwatch demo server CA");
        let ca_key = KeyPair::generate().map_err(|e| tls_error("CA key", e))?;
        let ca = CertifiedIssuer::self_signed(ca_params, ca_key).map_err(|e| tls_error("CA", e))?;

        let names: Vec<String> = NAMES.iter().map(|n| (*n).to_owned()).collect();
        let mut leaf_params = CertificateParams::new(names).map_err(|e| tls_error("cert", e))?;
        leaf_params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        let leaf_key = KeyPair::generate().map_err(|e| tls_error("key", e))?;
        let leaf = leaf_params
            .signed_by(&leaf_key, &ca)
            .map_err(|e| tls_error("cert", e))?;

        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
        // The provider named, not the process default: another crate in the same binary may
        // bring a second one, and then there is no default.
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| tls_error("TLS", e))?
            .with_no_client_auth()
            .with_single_cert(vec![leaf.der().clone(), ca.der().clone()], key)
            .map_err(|e| tls_error("TLS", e))?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Tls {
            ca_pem: ca.pem(),
            acceptor: TlsAcceptor::from(Arc::new(config)),
        })
    }
}
