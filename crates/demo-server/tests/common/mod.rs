//! Helpers shared by the integration tests: a server on a free port, a reference WHATWG
//! event-stream parser, and a raw HTTP/1.1 client for what reqwest hides.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use streamwatch_demo_server::{DemoConfig, DemoServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub async fn server(config: DemoConfig) -> DemoServer {
    let addr: SocketAddr = "127.0.0.1:0".parse().expect("literal address");
    DemoServer::start(addr, config)
        .await
        .expect("server starts")
}

/// A server whose events go out as fast as the client reads them.
pub async fn fast_server() -> DemoServer {
    server(DemoConfig {
        rate: 0.0,
        ..DemoConfig::default()
    })
    .await
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client builds")
}

/// A dispatched event, as the WHATWG parser produces it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub event: String,
    pub data: String,
    pub id: String,
}

/// Everything a parser sees in a body.
#[derive(Debug, Default)]
pub struct ParsedBody {
    pub events: Vec<Parsed>,
    pub comments: Vec<String>,
    pub retry: Option<u64>,
}

/// The WHATWG algorithm, written plainly, for a complete body.
pub fn parse(body: &[u8]) -> ParsedBody {
    let text = String::from_utf8_lossy(body);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut out = ParsedBody::default();
    let (mut data, mut event, mut id_buffer) = (String::new(), String::new(), String::new());
    let mut rest = text;
    // An unterminated last line, and any event it belongs to, is dropped.
    while let Some(end) = rest.find(['\r', '\n']) {
        let line = &rest[..end];
        let terminator = if rest[end..].starts_with("\r\n") {
            2
        } else {
            1
        };
        rest = &rest[end + terminator..];
        if line.is_empty() {
            if data.is_empty() {
                event.clear();
                continue;
            }
            if data.ends_with('\n') {
                data.pop();
            }
            out.events.push(Parsed {
                event: if event.is_empty() {
                    "message".into()
                } else {
                    std::mem::take(&mut event)
                },
                data: std::mem::take(&mut data),
                id: id_buffer.clone(),
            });
            event.clear();
            continue;
        }
        if let Some(comment) = line.strip_prefix(':') {
            out.comments.push(comment.to_owned());
            continue;
        }
        let (field, value) = match line.find(':') {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(' ').unwrap_or(value))
            }
            None => (line, ""),
        };
        match field {
            "event" => event = value.to_owned(),
            "data" => {
                data.push_str(value);
                data.push('\n');
            }
            "id" if !value.contains('\0') => id_buffer = value.to_owned(),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                out.retry = value.parse().ok();
            }
            _ => {}
        }
    }
    out
}

/// The ids of `events`, as numbers.
pub fn ids(events: &[Parsed]) -> Vec<u64> {
    events
        .iter()
        .map(|e| e.id.parse().expect("numeric id"))
        .collect()
}

/// Asserts that `ids` are `first, first+1, …` with nothing missing or repeated.
pub fn assert_consecutive(ids: &[u64]) {
    for pair in ids.windows(2) {
        assert_eq!(pair[1], pair[0] + 1, "ids not consecutive: {ids:?}");
    }
}

/// A raw HTTP/1.1 GET: returns the response head and the raw (still chunked) body bytes read
/// until the server closes or `wait` passes without a byte.
pub async fn raw_get(addr: SocketAddr, path: &str, wait: Duration) -> (String, Vec<u8>, bool) {
    let mut tcp = TcpStream::connect(addr).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    tcp.write_all(request.as_bytes())
        .await
        .expect("send request");
    let mut all = Vec::new();
    let mut buf = [0u8; 8192];
    let closed = loop {
        match tokio::time::timeout(wait, tcp.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break true,
            Ok(Ok(n)) => all.extend_from_slice(&buf[..n]),
            Err(_) => break false,
        }
    };
    let split = all
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response head");
    let head = String::from_utf8_lossy(&all[..split]).into_owned();
    (head, all[split + 4..].to_vec(), closed)
}

/// Decodes a chunked body; the flag tells whether the terminating chunk was there.
pub fn dechunk(mut raw: &[u8]) -> (Vec<u8>, bool) {
    let mut body = Vec::new();
    loop {
        let Some(line_end) = raw.windows(2).position(|w| w == b"\r\n") else {
            return (body, false);
        };
        let size_text = String::from_utf8_lossy(&raw[..line_end]);
        let size = usize::from_str_radix(size_text.trim(), 16).expect("chunk size");
        raw = &raw[line_end + 2..];
        if size == 0 {
            return (body, true);
        }
        if raw.len() < size + 2 {
            body.extend_from_slice(&raw[..raw.len().min(size)]);
            return (body, false);
        }
        body.extend_from_slice(&raw[..size]);
        raw = &raw[size + 2..];
    }
}
