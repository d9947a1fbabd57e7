//! A TCP server that answers each accepted connection with the next scripted reply, byte for
//! byte, and records every request. Unlike a framework server it can send anything: a broken
//! chunked body, a stall, a wrong header, garbage.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How a reply ends.
#[derive(Clone, Debug)]
pub enum End {
    /// Close the socket after the body (a clean end for a close-delimited body).
    Close,
    /// Keep the socket open and silent until the server is dropped.
    Hold,
    /// Abort the connection with a TCP reset (`SO_LINGER` 0), as a crashed peer or a middlebox
    /// does: the client's next read fails instead of seeing an end of stream.
    Reset,
}

/// One scripted response.
#[derive(Clone, Debug)]
pub struct Reply {
    /// Status line and headers, each ending in CRLF, without the blank line.
    pub head: String,
    /// Body writes, each after its delay.
    pub parts: Vec<(Duration, Vec<u8>)>,
    /// What happens after the last part.
    pub end: End,
}

impl Reply {
    /// A 200 event stream whose body is `body`, then a clean close.
    pub fn sse(body: &str) -> Self {
        Reply::raw(
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n",
            body.as_bytes(),
        )
    }

    /// Any head and body, then close.
    pub fn raw(head: &str, body: &[u8]) -> Self {
        Reply {
            head: head.to_string(),
            parts: vec![(Duration::ZERO, body.to_vec())],
            end: End::Close,
        }
    }

    /// A status with a short text body.
    pub fn status(code: u16, extra_headers: &str) -> Self {
        Reply::raw(
            &format!(
                "HTTP/1.1 {code} Whatever\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n{extra_headers}"
            ),
            b"no",
        )
    }

    /// A chunked event stream cut off in the middle of a chunk: the client sees a body error.
    pub fn sse_then_abort(body: &str) -> Self {
        let mut bytes = format!("{:x}\r\n{body}\r\n", body.len()).into_bytes();
        bytes.extend_from_slice(b"40\r\npartial");
        Reply::raw(
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n",
            &bytes,
        )
    }

    /// Sends `body` then stays open and silent.
    pub fn sse_then_hold(body: &str) -> Self {
        let mut r = Reply::sse(body);
        r.end = End::Hold;
        r
    }

    /// Adds a body write after `delay`.
    pub fn then(mut self, delay: Duration, bytes: &[u8]) -> Self {
        self.parts.push((delay, bytes.to_vec()));
        self
    }
}

/// A request as the server saw it.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// When it arrived.
    pub at: Instant,
    /// The request line's method.
    pub method: String,
    /// The request target.
    pub path: String,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body (by Content-Length).
    pub body: String,
}

impl Recorded {
    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The server; dropping it stops accepting and releases held sockets.
pub struct ScriptedServer {
    /// Base URL, e.g. `http://127.0.0.1:4242`.
    pub base: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ScriptedServer {
    /// Serves `replies` in order; once used up, the last one repeats.
    pub async fn start(replies: Vec<Reply>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = requests.clone();
        let task = tokio::spawn(async move {
            let mut next = 0usize;
            let mut held = Vec::new();
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    return;
                };
                let reply = replies[next.min(replies.len() - 1)].clone();
                next += 1;
                let log = log.clone();
                held.push(tokio::spawn(serve(sock, reply, log)));
            }
        });
        ScriptedServer {
            base,
            requests,
            task,
        }
    }

    /// `base` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().expect("lock").clone()
    }
}

async fn serve(mut sock: TcpStream, reply: Reply, log: Arc<Mutex<Vec<Recorded>>>) {
    let Some(req) = read_request(&mut sock).await else {
        return;
    };
    log.lock().expect("lock").push(req);
    let mut out = reply.head.into_bytes();
    out.extend_from_slice(b"\r\n");
    if sock.write_all(&out).await.is_err() {
        return;
    }
    for (delay, bytes) in reply.parts {
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        if sock.write_all(&bytes).await.is_err() {
            return;
        }
        let _ = sock.flush().await;
    }
    match reply.end {
        End::Close => {
            let _ = sock.shutdown().await;
        }
        End::Reset => {
            // Dropping a zero-linger socket sends RST, discarding anything unsent.
            let _ = sock.set_zero_linger();
            drop(sock);
        }
        End::Hold => {
            // Read until the client goes away, so the socket stays open and silent.
            let mut buf = [0u8; 256];
            while matches!(sock.read(&mut buf).await, Ok(n) if n > 0) {}
        }
    }
}

async fn read_request(sock: &mut TcpStream) -> Option<Recorded> {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 4096];
    let head_end = loop {
        let n = sock.read(&mut tmp).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&tmp[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let request_line = lines.next()?;
    let mut parts = request_line.split(' ');
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < len {
        let n = sock.read(&mut tmp).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&tmp[..n]);
    }
    Some(Recorded {
        at: Instant::now(),
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&body).to_string(),
    })
}
