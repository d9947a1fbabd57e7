//! Binding, accepting and shutting down.
//!
//! Connections are served by hand rather than with `axum::serve` so that shutdown can abort
//! every open stream at once instead of waiting for endless bodies to finish. Each speaks
//! HTTP/1.1 or HTTP/2: over cleartext a client with HTTP/2 prior knowledge (h2c) is told by its
//! preface, over TLS ([`DemoServer::start_tls`]) ALPN offers `h2` first.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;

use crate::config::DemoConfig;
use crate::routes::{router, App};
use crate::tls::Tls;

/// Streams one HTTP/2 connection may carry at once. Far above what servers usually allow
/// (100 to 250) so that a scale test can put a thousand subscriptions on a few connections.
const MAX_STREAMS_PER_CONNECTION: u32 = 100_000;

/// A running demo server; dropping it stops it too, without waiting.
#[derive(Debug)]
pub struct DemoServer {
    addr: SocketAddr,
    /// The authority's certificate (PEM) when serving HTTPS.
    ca_pem: Option<String>,
    accepted: Arc<AtomicU64>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl DemoServer {
    /// Binds `addr` (port 0 picks a free port) and serves plain HTTP (1.1, or HTTP/2 to a
    /// client that starts with its preface) in a background task.
    pub async fn start(addr: SocketAddr, config: DemoConfig) -> io::Result<DemoServer> {
        Self::start_with(addr, config, None).await
    }

    /// Like [`DemoServer::start`] but HTTPS, with a certificate authority made now: trust
    /// [`DemoServer::ca_pem`] to connect. ALPN offers HTTP/2 and HTTP/1.1.
    pub async fn start_tls(addr: SocketAddr, config: DemoConfig) -> io::Result<DemoServer> {
        Self::start_with(addr, config, Some(Tls::generate()?)).await
    }

    async fn start_with(
        addr: SocketAddr,
        config: DemoConfig,
        tls: Option<Tls>,
    ) -> io::Result<DemoServer> {
        if !(config.rate.is_finite() && config.rate >= 0.0) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("rate must be a finite number >= 0, not {}", config.rate),
            ));
        }
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let router = router(Arc::new(App::new(config)));
        let (stop, stopped) = oneshot::channel();
        let accepted = Arc::new(AtomicU64::new(0));
        let (ca_pem, acceptor) = match tls {
            Some(tls) => (Some(tls.ca_pem), Some(tls.acceptor)),
            None => (None, None),
        };
        let listening = Listening {
            listener,
            router,
            acceptor,
            accepted: accepted.clone(),
        };
        let task = tokio::spawn(accept_loop(listening, stopped));
        tracing::info!(%addr, tls = ca_pem.is_some(), "demo server started");
        Ok(DemoServer {
            addr,
            ca_pem,
            accepted,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The address actually bound.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The PEM certificate of the authority that signed this server's certificate, when it
    /// serves HTTPS.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// TCP connections accepted so far: with HTTP/2, many streams share one.
    pub fn connections_accepted(&self) -> u64 {
        self.accepted.load(Ordering::Relaxed)
    }

    /// An absolute URL on this server, e.g. `url("/events?rate=0")`.
    pub fn url(&self, path_and_query: &str) -> String {
        // A wildcard address is not something a client can connect to.
        let host = match self.addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        let origin = SocketAddr::new(host, self.addr.port());
        let slash = if path_and_query.starts_with('/') {
            ""
        } else {
            "/"
        };
        let scheme = if self.ca_pem.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{origin}{slash}{path_and_query}")
    }

    /// Stops accepting and drops every open connection, then returns.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        tracing::info!(addr = %self.addr, "demo server stopped");
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts every connection.
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// What the accept loop serves with.
struct Listening {
    listener: TcpListener,
    router: Router,
    acceptor: Option<TlsAcceptor>,
    accepted: Arc<AtomicU64>,
}

async fn accept_loop(listening: Listening, mut stopped: oneshot::Receiver<()>) {
    let Listening {
        listener,
        router,
        acceptor,
        accepted,
    } = listening;
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            accepted_now = listener.accept() => match accepted_now {
                Ok((tcp, peer)) => {
                    accepted.fetch_add(1, Ordering::Relaxed);
                    // Events are small and latency matters more than packet count.
                    let _ = tcp.set_nodelay(true);
                    let service = TowerToHyperService::new(router.clone());
                    connections.spawn(serve_connection(tcp, acceptor.clone(), service, peer));
                }
                Err(err) => {
                    // Usually out of file descriptors: back off instead of spinning.
                    tracing::warn!(%err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    connections.shutdown().await;
}

/// Serves one connection, HTTP/1.1 or HTTP/2, after the TLS handshake if there is one.
async fn serve_connection(
    tcp: TcpStream,
    acceptor: Option<TlsAcceptor>,
    service: TowerToHyperService<Router>,
    peer: SocketAddr,
) {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new());
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(MAX_STREAMS_PER_CONNECTION);
    let served = match acceptor {
        None => builder.serve_connection(TokioIo::new(tcp), service).await,
        Some(acceptor) => match acceptor.accept(tcp).await {
            Ok(tls) => builder.serve_connection(TokioIo::new(tls), service).await,
            Err(err) => {
                tracing::debug!(%peer, %err, "TLS handshake failed");
                return;
            }
        },
    };
    if let Err(err) = served {
        tracing::debug!(%peer, %err, "connection ended with an error");
    }
}
