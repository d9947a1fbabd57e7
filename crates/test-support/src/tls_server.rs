//! A real TLS server on the loopback that answers every request with a short event stream
//! (`id: 1 … 3`, then a clean close), with the certificate a test gives it, optionally
//! requiring a client certificate signed by a given CA (mTLS). It counts finished handshakes
//! and requests so a test can tell a refused certificate from a refused request.

use crate::tls_certs::CertAndKey;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The body every request gets: three events, then the server closes.
pub const BODY: &str =
    "id: 1\ndata: secure 1\n\nid: 2\ndata: secure 2\n\nid: 3\ndata: secure 3\n\n";

/// A running TLS event-stream server; stops when dropped.
pub struct TlsServer {
    /// Where it listens (127.0.0.1).
    pub addr: SocketAddr,
    handshakes: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl TlsServer {
    /// Serves with `cert`; with `client_ca` (PEM), only clients presenting a certificate that
    /// CA signed complete the handshake.
    pub async fn start(cert: &CertAndKey, client_ca: Option<&str>) -> TlsServer {
        let chain = CertificateDer::pem_slice_iter(cert.cert_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .expect("server certificate PEM");
        let key = PrivateKeyDer::from_pem_slice(cert.key_pem.as_bytes()).expect("server key PEM");
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .expect("protocol versions");
        let builder = match client_ca {
            None => builder.with_no_client_auth(),
            Some(ca) => {
                let mut roots = rustls::RootCertStore::empty();
                for c in CertificateDer::pem_slice_iter(ca.as_bytes()) {
                    roots.add(c.expect("client CA PEM")).expect("client CA");
                }
                let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                    Arc::new(roots),
                    provider,
                )
                .build()
                .expect("client verifier");
                builder.with_client_cert_verifier(verifier)
            }
        };
        let mut config = builder
            .with_single_cert(chain, key)
            .expect("server certificate and key");
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let handshakes = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(AtomicUsize::new(0));
        let (h, r) = (handshakes.clone(), requests.clone());
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, h, r) = (acceptor.clone(), h.clone(), r.clone());
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    h.fetch_add(1, Ordering::SeqCst);
                    let mut head = Vec::new();
                    let mut buf = [0u8; 4096];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match tls.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    r.fetch_add(1, Ordering::SeqCst);
                    let reply = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
                         Cache-Control: no-cache\r\nConnection: close\r\n\r\n{BODY}"
                    );
                    let _ = tls.write_all(reply.as_bytes()).await;
                    let _ = tls.shutdown().await;
                });
            }
        });
        TlsServer {
            addr,
            handshakes,
            requests,
            task,
        }
    }

    /// `https://127.0.0.1:PORT/events`.
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}/events", self.addr.port())
    }

    /// The same address by the name `localhost`.
    pub fn localhost_url(&self) -> String {
        format!("https://localhost:{}/events", self.addr.port())
    }

    /// Handshakes completed so far.
    pub fn handshakes(&self) -> usize {
        self.handshakes.load(Ordering::SeqCst)
    }

    /// Requests read so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
