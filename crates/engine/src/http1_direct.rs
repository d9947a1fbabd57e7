//! One HTTP/1.1 request over a new plain TCP connection, its answer's body read by
//! [`Http1Body`]: what a subscription to an `http://` URL uses when no proxy applies. Bodies are
//! decompressed by tower-http's layer, the one reqwest itself uses, so the codings offered and
//! how they decode are the same on either path.

use crate::http1_body::Http1Body;
use crate::http1_head::{self, HeadError, ResponseHead};
use bytes::Bytes;
use http::header::USER_AGENT;
use http::{HeaderMap, HeaderValue, Method};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use url::{Host, Url};

/// How long a TCP connect may take, as for the shared client.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// Why a request got no answer. The words follow the shared client's ("tcp connect error: …",
/// "dns error: …") so an error reads, and is classified, the same on either path; no URL is
/// quoted (it may hold tokens), only host and port.
#[derive(Debug, thiserror::Error)]
pub enum DirectError {
    /// The URL has no host to connect to.
    #[error("the URL has no host")]
    NoHost,
    /// The host's name did not resolve.
    #[error("dns error: {0}")]
    Dns(io::Error),
    /// No address of the host accepted the connection.
    #[error("tcp connect error: {0}")]
    Connect(io::Error),
    /// The connection was not made within [`CONNECT_TIMEOUT`].
    #[error("tcp connect error: timed out after {} s", CONNECT_TIMEOUT.as_secs())]
    ConnectTimeout,
    /// Writing the request failed.
    #[error("error writing the request: {0}")]
    Write(io::Error),
    /// Reading the answer's head failed.
    #[error("error reading the response head: {0}")]
    Read(io::Error),
    /// The server closed the connection before its answer's head was complete.
    #[error("connection closed before message completed")]
    ClosedBeforeHead,
    /// The answer's head is malformed or hostile.
    #[error(transparent)]
    Head(#[from] HeadError),
}

/// The request [`exchange`] sends: what reqwest's request holds, its body as bytes.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The method.
    pub method: Method,
    /// The URL (only `http://` is sent here).
    pub url: Url,
    /// Every header but `Host` and framing, which are written from the URL and the body.
    pub headers: HeaderMap,
    /// The body, if any.
    pub body: Option<Bytes>,
}

/// Connects, sends `request` and reads the answer's head; the body is left on the connection.
/// `user_agent` goes out unless the request names its own.
pub async fn exchange(
    request: Outgoing,
    user_agent: &HeaderValue,
) -> Result<http::Response<Http1Body>, DirectError> {
    let mut stream = connect(&request.url).await?;
    let mut headers = request.headers;
    if !headers.contains_key(USER_AGENT) {
        headers.insert(USER_AGENT, user_agent.clone());
    }
    let body_len = request.body.as_ref().map(Bytes::len);
    let mut head = http1_head::write_request(&request.method, &request.url, &headers, body_len);
    if let Some(body) = &request.body {
        head.extend_from_slice(body);
    }
    stream.write_all(&head).await.map_err(DirectError::Write)?;
    drop(head);
    let (head, rest) = read_head(&mut stream).await?;
    let mut response = http::Response::new(Http1Body::new(stream, head.framing, rest));
    *response.status_mut() = head.status;
    *response.version_mut() = head.version;
    *response.headers_mut() = head.headers;
    Ok(response)
}

async fn connect(url: &Url) -> Result<TcpStream, DirectError> {
    let port = url.port_or_known_default().unwrap_or(80);
    let addrs: Vec<SocketAddr> = match url.host() {
        None => return Err(DirectError::NoHost),
        Some(Host::Ipv4(ip)) => vec![SocketAddr::from((ip, port))],
        Some(Host::Ipv6(ip)) => vec![SocketAddr::from((ip, port))],
        Some(Host::Domain(name)) => {
            let lookup = tokio::net::lookup_host((name, port));
            match tokio::time::timeout(CONNECT_TIMEOUT, lookup).await {
                Err(_) => return Err(DirectError::ConnectTimeout),
                Ok(Err(e)) => return Err(DirectError::Dns(e)),
                Ok(Ok(found)) => found.collect(),
            }
        }
    };
    let attempt = async {
        let mut last = io::Error::new(io::ErrorKind::NotFound, "the name has no address");
        for addr in addrs {
            match TcpStream::connect(addr).await {
                Ok(stream) => return Ok(stream),
                Err(e) => last = e,
            }
        }
        Err(last)
    };
    let stream = match tokio::time::timeout(CONNECT_TIMEOUT, attempt).await {
        Err(_) => return Err(DirectError::ConnectTimeout),
        Ok(Err(e)) => return Err(DirectError::Connect(e)),
        Ok(Ok(stream)) => stream,
    };
    // Events are small and must not wait for Nagle (as `tcp_nodelay` on the shared client).
    stream.set_nodelay(true).map_err(DirectError::Connect)?;
    Ok(stream)
}

/// Reads until a final (non-1xx) head is complete; returns it and the bytes after it.
async fn read_head(stream: &mut TcpStream) -> Result<(ResponseHead, Bytes), DirectError> {
    let mut buf: Vec<u8> = Vec::with_capacity(1024);
    loop {
        // Informational answers (100 Continue, 103 Early Hints) come before the real one.
        while let Some((head, len)) = http1_head::parse_response(&buf)? {
            if !head.status.is_informational() {
                let rest = Bytes::copy_from_slice(&buf[len..]);
                return Ok((head, rest));
            }
            buf.drain(..len);
        }
        if buf.len() == buf.capacity() {
            buf.reserve(buf.capacity().min(http1_head::MAX_HEAD));
        }
        let n = stream.read_buf(&mut buf).await.map_err(DirectError::Read)?;
        if n == 0 {
            return Err(DirectError::ClosedBeforeHead);
        }
    }
}

/// [`exchange`] as a tower service, so tower-http's decompression layer can wrap it.
#[derive(Debug, Clone)]
pub struct DirectService {
    user_agent: HeaderValue,
}

impl DirectService {
    /// A service sending `user_agent` by default.
    pub fn new(user_agent: HeaderValue) -> Self {
        Self { user_agent }
    }
}

type Pending = Pin<Box<dyn Future<Output = Result<http::Response<Http1Body>, DirectError>> + Send>>;

impl tower_service::Service<http::Request<Outgoing>> for DirectService {
    type Response = http::Response<Http1Body>;
    type Error = DirectError;
    type Future = Pending;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), DirectError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Outgoing>) -> Pending {
        // The layer may have added headers (Accept-Encoding): they are the request's now.
        let (parts, mut outgoing) = request.into_parts();
        outgoing.headers = parts.headers;
        let user_agent = self.user_agent.clone();
        Box::pin(async move { exchange(outgoing, &user_agent).await })
    }
}
