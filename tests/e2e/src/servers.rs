//! The servers the app under test talks to: the project's demo server (stopped and started
//! again on the same port to make an outage), and a tiny hand-written SSE server for bodies the
//! demo server cannot send.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use streamwatch_demo_server::{DemoConfig, DemoServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

/// The demo server on a loopback port that stays the same across [`Demo::stop`] and
/// [`Demo::restart`].
pub struct Demo {
    server: Option<DemoServer>,
    addr: SocketAddr,
    config: DemoConfig,
}

impl Demo {
    /// Starts it on a free loopback port.
    pub async fn start(config: DemoConfig) -> Demo {
        let server = DemoServer::start((Ipv4Addr::LOCALHOST, 0).into(), config.clone())
            .await
            .expect("the demo server starts on a free port");
        Demo {
            addr: server.addr(),
            server: Some(server),
            config,
        }
    }

    /// An absolute URL on it, e.g. `url("/events?rate=20")`.
    pub fn url(&self, path_and_query: &str) -> String {
        let slash = if path_and_query.starts_with('/') {
            ""
        } else {
            "/"
        };
        format!("http://{}{slash}{path_and_query}", self.addr)
    }

    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its request log (`GET /requests`: method, path, headers and body of each request it
    /// took), oldest first; what a test checks was or was not sent. Asked over HTTP/1.0, so
    /// the answer is the whole body up to the close.
    pub async fn requests(&self) -> Result<Vec<serde_json::Value>, String> {
        let ask = async {
            let mut sock = tokio::net::TcpStream::connect(self.addr).await?;
            sock.write_all(b"GET /requests HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                .await?;
            let mut answer = Vec::new();
            sock.read_to_end(&mut answer).await?;
            io::Result::Ok(answer)
        };
        let answer = tokio::time::timeout(Duration::from_secs(5), ask)
            .await
            .map_err(|_| "no answer from /requests within 5 s".to_string())?
            .map_err(|e| format!("/requests: {e}"))?;
        let answer = String::from_utf8_lossy(&answer);
        let (_, body) = answer
            .split_once("\r\n\r\n")
            .ok_or_else(|| format!("no body in {answer:?}"))?;
        match serde_json::from_str(body)
            .map_err(|e| format!("/requests is not JSON ({e}): {body}"))?
        {
            serde_json::Value::Array(list) => Ok(list),
            other => Err(format!("/requests is not a list: {other}")),
        }
    }

    /// Stops accepting and drops every open stream (the outage begins).
    pub async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
    }

    /// Starts a fresh server on the same port (the outage ends). The port can be briefly
    /// unavailable right after the shutdown, so binding is retried for up to 5 s.
    ///
    /// A fresh server numbers its events from its own start: a client that resumes with
    /// `Last-Event-ID: k` gets `k+1…` once the new server has published that far (the replay
    /// rule), so the stream resumes about as long after the restart as the first server ran.
    pub async fn restart(&mut self) {
        assert!(self.server.is_none(), "restart() needs stop() first");
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            match DemoServer::start(self.addr, self.config.clone()).await {
                Ok(server) => {
                    self.server = Some(server);
                    return;
                }
                Err(e) if e.kind() == io::ErrorKind::AddrInUse && Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("cannot bind the demo server again on {}: {e}", self.addr),
            }
        }
    }
}

/// A minimal SSE server: every request to any path gets `200 text/event-stream`, then `body`
/// as written, then a comment every second to keep the connection open.
pub struct RawSse {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl RawSse {
    /// Starts it on a free loopback port.
    pub async fn start(body: impl Into<String>) -> RawSse {
        let body: String = body.into();
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("a free loopback port");
        let addr = listener.local_addr().expect("a bound address");
        let task = tokio::spawn(async move {
            // Aborting this task drops the set, which aborts every connection.
            let mut connections = JoinSet::new();
            while let Ok((mut tcp, _)) = listener.accept().await {
                while connections.try_join_next().is_some() {}
                let body = body.clone();
                connections.spawn(async move {
                    // Read the request head; its content does not matter.
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match tcp.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let response = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
                         Cache-Control: no-cache\r\nConnection: keep-alive\r\n\r\n{body}"
                    );
                    if tcp.write_all(response.as_bytes()).await.is_err() {
                        return;
                    }
                    loop {
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        if tcp.write_all(b": keep-alive\n\n").await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        RawSse { addr, task }
    }

    /// An absolute URL on it.
    pub fn url(&self, path: &str) -> String {
        let slash = if path.starts_with('/') { "" } else { "/" };
        format!("http://{}{slash}{path}", self.addr)
    }
}

impl Drop for RawSse {
    fn drop(&mut self) {
        self.task.abort();
    }
}
