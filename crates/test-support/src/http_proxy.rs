//! A real HTTP proxy on the loopback: `CONNECT host:port` tunnels (what a client does for
//! https, and for any URL through an https-capable proxy) and absolute-form requests
//! (`GET http://host/path`, what a client sends through a plain http proxy for http URLs). It
//! counts what went through it and can require `Proxy-Authorization` (Basic), so a test proves
//! the traffic went through it and with the right credentials.

use base64::Engine;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

#[derive(Default)]
struct Counts {
    tunnels: AtomicUsize,
    forwarded: AtomicUsize,
    refused: AtomicUsize,
    targets: Mutex<Vec<String>>,
}

/// A running proxy; stops when dropped.
pub struct HttpProxy {
    /// Where it listens (127.0.0.1).
    pub addr: SocketAddr,
    counts: Arc<Counts>,
    task: JoinHandle<()>,
}

impl HttpProxy {
    /// A proxy anyone may use.
    pub async fn start() -> HttpProxy {
        Self::start_with(None).await
    }

    /// A proxy that answers 407 unless the request carries these Basic credentials.
    pub async fn start_with_credentials(user: &str, password: &str) -> HttpProxy {
        Self::start_with(Some(format!("{user}:{password}"))).await
    }

    async fn start_with(credentials: Option<String>) -> HttpProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let counts = Arc::new(Counts::default());
        let expected = credentials.map(|c| {
            format!(
                "basic {}",
                base64::engine::general_purpose::STANDARD.encode(c)
            )
        });
        let c = counts.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (c, expected) = (c.clone(), expected.clone());
                tokio::spawn(async move {
                    let _ = serve(client, &c, expected.as_deref()).await;
                });
            }
        });
        HttpProxy { addr, counts, task }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The same with credentials in its userinfo.
    pub fn url_with(&self, user: &str, password: &str) -> String {
        format!("http://{user}:{password}@{}", self.addr)
    }

    /// `CONNECT` tunnels opened.
    pub fn tunnels(&self) -> usize {
        self.counts.tunnels.load(Ordering::SeqCst)
    }

    /// Absolute-form requests forwarded.
    pub fn forwarded(&self) -> usize {
        self.counts.forwarded.load(Ordering::SeqCst)
    }

    /// Requests refused with 407.
    pub fn refused(&self) -> usize {
        self.counts.refused.load(Ordering::SeqCst)
    }

    /// Everything that went through: tunnels and forwarded requests.
    pub fn total(&self) -> usize {
        self.tunnels() + self.forwarded()
    }

    /// The `host:port` of each tunnel or request, in order.
    pub fn targets(&self) -> Vec<String> {
        self.counts
            .targets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl Drop for HttpProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads up to the blank line; returns the head and any bytes after it.
async fn read_head(s: &mut TcpStream) -> std::io::Result<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = buf.split_off(end + 4);
            return Ok((String::from_utf8_lossy(&buf).into_owned(), rest));
        }
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

async fn serve(mut client: TcpStream, c: &Counts, expected: Option<&str>) -> std::io::Result<()> {
    let (head, rest) = read_head(&mut client).await?;
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default().to_string();
    let mut parts = request_line.split(' ');
    let (method, target, version) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or("HTTP/1.1"),
    );
    let headers: Vec<&str> = lines.filter(|l| !l.is_empty()).collect();
    if let Some(expected) = expected {
        let given = headers.iter().find_map(|h| {
            let (name, value) = h.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("proxy-authorization")
                .then(|| value.trim().to_ascii_lowercase())
        });
        if given.as_deref() != Some(&expected.to_ascii_lowercase()) {
            c.refused.fetch_add(1, Ordering::SeqCst);
            client
                .write_all(
                    b"HTTP/1.1 407 Proxy Authentication Required\r\n\
                      Proxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\
                      Connection: close\r\n\r\n",
                )
                .await?;
            return Ok(());
        }
    }
    if method.eq_ignore_ascii_case("CONNECT") {
        let mut upstream = match TcpStream::connect(target).await {
            Ok(u) => u,
            Err(_) => {
                client
                    .write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                    .await?;
                return Ok(());
            }
        };
        c.tunnels.fetch_add(1, Ordering::SeqCst);
        push(c, target);
        client
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .await?;
        upstream.write_all(&rest).await?;
        tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
        return Ok(());
    }
    // Absolute form: http://host:port/path → connect to host:port, send the origin form.
    let Some(after) = target.strip_prefix("http://") else {
        client
            .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            .await?;
        return Ok(());
    };
    let (authority, path) = match after.find('/') {
        Some(i) => (&after[..i], &after[i..]),
        None => (after, "/"),
    };
    let host_port = if authority.contains(':') {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    let mut upstream = TcpStream::connect(&host_port).await?;
    c.forwarded.fetch_add(1, Ordering::SeqCst);
    push(c, &host_port);
    let mut out = format!("{method} {path} {version}\r\n");
    for h in headers {
        let name = h.split(':').next().unwrap_or_default().trim();
        // Hop-by-hop: the proxy's own credentials never go on to the server.
        if name.eq_ignore_ascii_case("proxy-authorization")
            || name.eq_ignore_ascii_case("proxy-connection")
        {
            continue;
        }
        out.push_str(h);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    upstream.write_all(out.as_bytes()).await?;
    upstream.write_all(&rest).await?;
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}

fn push(c: &Counts, target: &str) {
    c.targets
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(target.to_string());
}
