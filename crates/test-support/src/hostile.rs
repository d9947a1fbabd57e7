//! The hostile servers of the peak-RSS benchmarks (issue 11, "memory is bounded by bytes,
//! whatever the server does"): real loopback sockets that answer every request with a stream
//! built to make a client hold memory. Shared by `crates/cli/benches/peak_rss.rs` (watch, the
//! daemon, the app's data path) and `tests/e2e/src/bin/app_rss.rs` (the real app, webview and
//! all), so both measure against the same bytes.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

/// Data bytes of one [`Hostile::Big`] event: just under the default 16 MiB event cap, so every
/// event is delivered (and stored, and shown) rather than refused.
pub const BIG_EVENT: usize = (16 << 20) - 1024;

/// What a hostile server writes, as fast as the client reads, until the client goes away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hostile {
    /// `data: ` then one `x` per write, forever: one endless line in 1-byte reads.
    Trickle,
    /// Events of [`BIG_EVENT`] bytes of data, back to back.
    Big,
    /// `data: x` events, 4,096 per write.
    Tiny,
}

impl Hostile {
    /// Every kind, in the order the benchmarks print them.
    pub const ALL: [Hostile; 3] = [Hostile::Trickle, Hostile::Big, Hostile::Tiny];

    /// The name the benchmarks print.
    pub fn name(self) -> &'static str {
        match self {
            Hostile::Trickle => "trickle",
            Hostile::Big => "big",
            Hostile::Tiny => "tiny",
        }
    }

    /// Starts a server on 127.0.0.1 and a free port and returns its stream URL. It serves every
    /// connection on a thread of its own and lives until the process ends: benchmarks start
    /// one per run, and each connection's thread ends when its client goes away.
    pub fn serve(self) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let url = format!(
            "http://{}/events",
            listener.local_addr().expect("the listener's address")
        );
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                std::thread::spawn(move || {
                    // A write error is the client leaving: the only way a stream ends.
                    let _ = self.stream(conn);
                });
            }
        });
        url
    }

    fn stream(self, mut conn: TcpStream) -> std::io::Result<()> {
        // The request is read and ignored: every request gets the stream.
        let mut req = [0u8; 4096];
        let _ = conn.read(&mut req)?;
        conn.write_all(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\nconnection: close\r\n\r\n",
        )?;
        // Each 1-byte write leaves as its own segment, so the client sees 1-byte reads.
        conn.set_nodelay(true)?;
        match self {
            Hostile::Trickle => {
                conn.write_all(b"data: ")?;
                loop {
                    conn.write_all(b"x")?;
                }
            }
            Hostile::Big => {
                let mut event = Vec::with_capacity(BIG_EVENT + 16);
                event.extend_from_slice(b"data: ");
                event.resize(BIG_EVENT + 6, b'x');
                event.extend_from_slice(b"\n\n");
                loop {
                    conn.write_all(&event)?;
                }
            }
            Hostile::Tiny => {
                let chunk = b"data: x\n\n".repeat(4096);
                loop {
                    conn.write_all(&chunk)?;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The body's first `n` bytes, after the response head.
    fn body_start(kind: Hostile, n: usize) -> Vec<u8> {
        let url = kind.serve();
        let addr = url
            .strip_prefix("http://")
            .and_then(|rest| rest.strip_suffix("/events"))
            .expect("an http URL ending in /events");
        let mut conn = TcpStream::connect(addr).expect("connect");
        conn.write_all(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
            .expect("request");
        let mut got = Vec::new();
        let mut buf = vec![0u8; 1 << 16];
        let head_end = loop {
            let k = conn.read(&mut buf).expect("read");
            assert!(k > 0, "the server closed early");
            got.extend_from_slice(&buf[..k]);
            if let Some(i) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                if got.len() >= i + 4 + n {
                    break i + 4;
                }
            }
        };
        assert!(got.starts_with(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"));
        got[head_end..head_end + n].to_vec()
    }

    #[test]
    fn a_trickle_is_one_endless_data_line() {
        let body = body_start(Hostile::Trickle, 64);
        assert_eq!(&body[..6], b"data: ");
        assert!(body[6..].iter().all(|&b| b == b'x'));
    }

    #[test]
    fn big_events_are_just_under_the_event_cap() {
        let body = body_start(Hostile::Big, BIG_EVENT + 8 + 6);
        assert_eq!(&body[..6], b"data: ");
        assert!(body[6..BIG_EVENT + 6].iter().all(|&b| b == b'x'));
        assert_eq!(&body[BIG_EVENT + 6..BIG_EVENT + 8], b"\n\n");
        assert_eq!(&body[BIG_EVENT + 8..], b"data: ");
    }

    #[test]
    fn tiny_events_follow_each_other() {
        let body = body_start(Hostile::Tiny, 9 * 10);
        assert_eq!(body, b"data: x\n\n".repeat(10));
    }
}
