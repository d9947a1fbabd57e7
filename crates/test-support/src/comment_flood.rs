//! A server whose event stream is nothing but comment lines, written as fast as the socket
//! takes them up to a byte count, then one event, then silence. The fault matrix's flood case
//! streams a few hundred MiB of it; the `fault_comments_flood` benchmark streams 10 GB.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The data of the one event sent after the flood, to show the stream survived it.
pub const AFTER_FLOOD: &str = "flood over";

/// How much is written per socket write: whole lines, about this many bytes.
const BLOCK: usize = 256 * 1024;

/// The server; dropping it stops accepting and ends the connections it serves.
pub struct CommentFlood {
    /// Base URL, e.g. `http://127.0.0.1:4242`.
    pub base: String,
    written: Arc<AtomicU64>,
    connections: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for CommentFlood {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl CommentFlood {
    /// Serves, on every connection, `total` bytes of comment lines of `line_len` bytes each
    /// (`: xxx…\n`; the total is rounded down to whole lines), then one event whose data is
    /// [`AFTER_FLOOD`], then holds the connection open and silent.
    pub async fn start(total: u64, line_len: usize) -> Self {
        let line_len = line_len.max(3);
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let written = Arc::new(AtomicU64::new(0));
        let connections = Arc::new(AtomicUsize::new(0));
        let (w, c) = (written.clone(), connections.clone());
        let task = tokio::spawn(async move {
            let mut served = tokio::task::JoinSet::new();
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    return;
                };
                c.fetch_add(1, Ordering::SeqCst);
                served.spawn(serve(sock, total, line_len, w.clone()));
            }
        });
        CommentFlood {
            base,
            written,
            connections,
            task,
        }
    }

    /// The stream's URL.
    pub fn url(&self) -> String {
        format!("{}/flood", self.base)
    }

    /// Body bytes written so far, over all connections.
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::SeqCst)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// One block of whole comment lines, about [`BLOCK`] bytes.
fn block(line_len: usize) -> Vec<u8> {
    let mut line = vec![b'x'; line_len];
    line[0] = b':';
    line[1] = b' ';
    line[line_len - 1] = b'\n';
    let lines = (BLOCK / line_len).max(1);
    line.repeat(lines)
}

async fn serve(mut sock: TcpStream, total: u64, line_len: usize, written: Arc<AtomicU64>) {
    // The request head is read and ignored: every request gets the flood.
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match sock.read(&mut buf).await {
            Ok(n) if n > 0 => head.extend_from_slice(&buf[..n]),
            _ => return,
        }
    }
    // Close-delimited, as the cheapest framing: no chunk headers to write or parse.
    let reply =
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\r\n";
    if sock.write_all(reply).await.is_err() {
        return;
    }
    let block = block(line_len);
    let whole_lines = total / line_len as u64 * line_len as u64;
    let mut left = whole_lines;
    while left > 0 {
        let n = block.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        if sock.write_all(&block[..n]).await.is_err() {
            return;
        }
        left -= n as u64;
        written.fetch_add(n as u64, Ordering::Relaxed);
    }
    let tail = format!("data: {AFTER_FLOOD}\n\n");
    if sock.write_all(tail.as_bytes()).await.is_err() {
        return;
    }
    // Open and silent until the client goes away.
    while matches!(sock.read(&mut buf).await, Ok(n) if n > 0) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_is_whole_lines_of_the_given_length() {
        let b = block(100);
        assert_eq!(b.len() % 100, 0);
        assert!(b
            .chunks(100)
            .all(|l| l.starts_with(b": ") && l.ends_with(b"x\n")));
    }
}
