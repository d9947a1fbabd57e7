//! Certificates made for a test: a private CA and what it signs (a good server certificate, an
//! expired one, one for another host, a client certificate), and a self-signed one. Nothing
//! here is trusted by the system, so a client trusts them only when told to.

use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};

/// A certificate and its private key, both PEM.
#[derive(Clone, Debug)]
pub struct CertAndKey {
    /// The certificate, PEM.
    pub cert_pem: String,
    /// Its private key, PEM (PKCS#8).
    pub key_pem: String,
}

/// A private CA that signs certificates for tests.
pub struct TestCa {
    /// The CA's certificate, PEM: what a client adds to trust it.
    pub cert_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

/// The names a good server certificate is for: the loopback address and `localhost`.
pub const LOOPBACK_NAMES: [&str; 2] = ["127.0.0.1", "localhost"];

fn params(names: &[&str], common_name: &str) -> CertificateParams {
    let mut p = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
        .expect("certificate names");
    p.distinguished_name.push(DnType::CommonName, common_name);
    p
}

impl TestCa {
    /// A new CA with its own key.
    pub fn new() -> TestCa {
        Self::named("Streamwatch test CA")
    }

    /// A new CA with its own key and name. Two CAs in one test need two names: a verifier
    /// picks the trust anchor by name, and a namesake's signature then does not verify.
    pub fn named(common_name: &str) -> TestCa {
        let key = KeyPair::generate().expect("CA key");
        let mut p = params(&[], common_name);
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let cert = p.self_signed(&key).expect("CA certificate");
        TestCa {
            cert_pem: cert.pem(),
            issuer: Issuer::new(p, key),
        }
    }

    fn sign(&self, p: CertificateParams) -> CertAndKey {
        let key = KeyPair::generate().expect("key");
        let cert = p.signed_by(&key, &self.issuer).expect("signed certificate");
        CertAndKey {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }

    /// A server certificate for `names`, valid now.
    pub fn server(&self, names: &[&str]) -> CertAndKey {
        let mut p = params(names, "streamwatch test server");
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        self.sign(p)
    }

    /// A server certificate for the loopback names that expired in 2021.
    pub fn expired_server(&self) -> CertAndKey {
        let mut p = params(&LOOPBACK_NAMES, "streamwatch expired server");
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        p.not_before = date_time_ymd(2020, 1, 1);
        p.not_after = date_time_ymd(2021, 1, 1);
        self.sign(p)
    }

    /// A client certificate (for mTLS) with `name` as its common name.
    pub fn client(&self, name: &str) -> CertAndKey {
        let mut p = params(&[], name);
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        self.sign(p)
    }
}

impl Default for TestCa {
    fn default() -> Self {
        TestCa::new()
    }
}

/// A server certificate for the loopback names that signed itself.
pub fn self_signed_server() -> CertAndKey {
    let key = KeyPair::generate().expect("key");
    let cert = params(&LOOPBACK_NAMES, "streamwatch self-signed server")
        .self_signed(&key)
        .expect("self-signed certificate");
    CertAndKey {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    }
}
