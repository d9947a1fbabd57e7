//! The fault matrix (docs/fault-matrix.md): each way a server can misbehave, played by a real
//! server on 127.0.0.1 writing exact bytes, and driven through the supervisor as `watch`, the
//! daemon and the app drive it. Each case asserts the documented lifecycle, the end state, and
//! an error text a user can act on; the comment flood also bounds the process's memory.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use streamwatch_engine::backoff;
use streamwatch_engine::redirects::MAX_HOPS;
use streamwatch_engine::{
    ErrorKind, Lifecycle, State, Status, SubscriptionConfig, SubscriptionId, Supervisor,
    SupervisorEvent,
};
use streamwatch_test_support::comment_flood::{CommentFlood, AFTER_FLOOD};
use streamwatch_test_support::memory::{resident_bytes, RssSampler};
use streamwatch_test_support::scripted_server::{End, Reply, ScriptedServer};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;

const LIMIT: Duration = Duration::from_secs(10);
const ID: SubscriptionId = SubscriptionId(1);

fn config(url: &str) -> SubscriptionConfig {
    let mut c = SubscriptionConfig::new(url).expect("url");
    c.retry.initial_ms = 10;
    c.retry.max_ms = 1000;
    c
}

/// One subscription on its own supervisor, and everything it said.
struct Watched {
    sup: Supervisor,
    rx: mpsc::UnboundedReceiver<SupervisorEvent>,
    /// Lifecycle events but `connecting` and comments (counted instead), as the CLI prints them.
    events: Vec<Lifecycle>,
    /// Every status snapshot announced, in order.
    snapshots: Vec<Status>,
    comments: Arc<AtomicU64>,
    /// Events the broadcast dropped because the reader fell behind (only the flood does).
    lagged: Arc<AtomicU64>,
}

impl Watched {
    fn start(config: SubscriptionConfig) -> Self {
        let sup = Supervisor::new(1024).expect("supervisor");
        let mut bus = sup.subscribe();
        // Comments are counted as they come, not kept: the flood sends hundreds of thousands.
        let (tx, rx) = mpsc::unbounded_channel();
        let comments = Arc::new(AtomicU64::new(0));
        let lagged = Arc::new(AtomicU64::new(0));
        let (c, l) = (comments.clone(), lagged.clone());
        tokio::spawn(async move {
            loop {
                match bus.recv().await {
                    Ok(SupervisorEvent::Lifecycle {
                        event: Lifecycle::Comment { .. },
                        ..
                    }) => {
                        c.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(event) => {
                        if tx.send(event).is_err() {
                            return;
                        }
                    }
                    Err(RecvError::Lagged(n)) => {
                        l.fetch_add(n, Ordering::Relaxed);
                    }
                    Err(RecvError::Closed) => return,
                }
            }
        });
        sup.add(ID, config, false).expect("add");
        Watched {
            sup,
            rx,
            events: Vec::new(),
            snapshots: Vec::new(),
            comments,
            lagged,
        }
    }

    /// Reads events until `done` holds, within `limit`; `done` is asked at least every 50 ms,
    /// so it may look at the status too.
    async fn until(&mut self, limit: Duration, done: impl Fn(&Self) -> bool) {
        let deadline = tokio::time::Instant::now() + limit;
        while !done(self) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out after {limit:?}; got {:#?}, status {:#?}",
                self.events,
                self.status()
            );
            let tick = tokio::time::timeout(Duration::from_millis(50), self.rx.recv()).await;
            match tick {
                Ok(Some(SupervisorEvent::Lifecycle { event, .. })) => {
                    if !matches!(event, Lifecycle::Connecting { .. }) {
                        self.events.push(event);
                    }
                }
                Ok(Some(SupervisorEvent::Status { status, .. })) => self.snapshots.push(*status),
                Ok(Some(_)) | Err(_) => {}
                Ok(None) => panic!("supervisor gone; got {:#?}", self.events),
            }
        }
    }

    fn comments(&self) -> u64 {
        self.comments.load(Ordering::Relaxed)
    }

    fn status(&self) -> Status {
        self.sup.status(ID).expect("status")
    }

    fn names(&self) -> Vec<&'static str> {
        self.events.iter().map(|e| e.name()).collect()
    }

    fn count(&self, name: &str) -> usize {
        self.events.iter().filter(|e| e.name() == name).count()
    }

    fn messages(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Lifecycle::Message { data, .. } => Some(data.to_string()),
                _ => None,
            })
            .collect()
    }

    /// Every error as (kind, status, will_retry, message).
    fn errors(&self) -> Vec<(ErrorKind, Option<u16>, bool, String)> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Lifecycle::Error {
                    kind,
                    status,
                    will_retry,
                    message,
                } => Some((*kind, *status, *will_retry, message.clone())),
                _ => None,
            })
            .collect()
    }

    /// Waits for the subscription to settle in `state`.
    async fn settles_in(&mut self, state: State) -> Status {
        let deadline = tokio::time::Instant::now() + LIMIT;
        loop {
            let s = self.status();
            if s.state == state {
                return s;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "never {state:?}; last {s:#?}, events {:#?}",
                self.events
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// A port nobody listens on: bound, then released.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port")
}

#[tokio::test]
async fn refused_is_a_plain_network_error_and_the_backoff_grows() {
    let mut w = Watched::start(config(&format!("http://127.0.0.1:{}/", free_port())));
    w.until(LIMIT, |w| w.count("retrying") == 4).await;
    assert_eq!(w.names(), ["error", "retrying"].repeat(4));
    for (kind, status, will_retry, message) in w.errors() {
        assert_eq!((kind, status, will_retry), (ErrorKind::Network, None, true));
        assert!(
            message.to_lowercase().contains("connection refused"),
            "plain reason: {message}"
        );
    }
    // Each wait lies in [d/2, d] of the doubling delay, so the fourth is past the first.
    let delays: Vec<u64> = w
        .events
        .iter()
        .filter_map(|e| match e {
            Lifecycle::Retrying { delay_ms, .. } => Some(*delay_ms),
            _ => None,
        })
        .collect();
    for (i, d) in delays.iter().enumerate() {
        let full = backoff::exponential_ms(i as u32 + 1, 10, 1000);
        assert!((full / 2..=full).contains(d), "retry {}: {d} ms", i + 1);
    }
    assert!(delays[3] > delays[0], "backoff grows: {delays:?}");
    let s = w.status();
    assert!(
        matches!(s.state, State::Retrying | State::Connecting),
        "{s:#?}"
    );
    assert!(s.attempt >= 4, "{s:#?}");
    let why = s.last_error.unwrap_or_default().to_lowercase();
    assert!(why.contains("connection refused"), "{why}");
}

/// A body cut by a TCP reset in the middle of an event: the half event is never delivered,
/// and the reconnect resumes from the last complete one.
#[tokio::test]
async fn reset_mid_event_drops_the_half_event_and_resumes_from_the_last_whole_one() {
    // Close-delimited, so only the reset (not a framing rule) ends the body. The pauses let
    // the client read each write before the reset, which discards unread bytes.
    let cut = Reply {
        head: "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n".into(),
        parts: vec![
            (Duration::ZERO, b"id: 1\ndata: one\n\n".to_vec()),
            (Duration::from_millis(100), b"id: 2\ndata: tw".to_vec()),
            (Duration::from_millis(100), Vec::new()),
        ],
        end: End::Reset,
    };
    let server =
        ScriptedServer::start(vec![cut, Reply::sse_then_hold("id: 2\ndata: two\n\n")]).await;
    let mut w = Watched::start(config(&server.url("/")));
    w.until(LIMIT, |w| w.messages().len() == 2).await;
    assert_eq!(
        w.names(),
        ["started", "message", "error", "retrying", "started", "message"]
    );
    assert_eq!(
        w.messages(),
        ["one", "two"],
        "the half event is not delivered"
    );
    let (kind, _, will_retry, message) = &w.errors()[0];
    assert_eq!((*kind, *will_retry), (ErrorKind::Network, true));
    assert!(
        message.to_lowercase().contains("reset"),
        "says the connection was reset: {message}"
    );
    assert_eq!(server.requests()[1].header("last-event-id"), Some("1"));
    assert_eq!(w.status().state, State::Open);
}

/// The same cut by a plain close: for a close-delimited body that is the end of the stream,
/// and an event without its blank line is incomplete, so it is dropped as the spec says.
#[tokio::test]
async fn close_mid_event_is_an_end_of_stream_and_drops_the_half_event() {
    let cut = Reply::sse("id: 1\ndata: one\n\nid: 2\ndata: tw");
    let server =
        ScriptedServer::start(vec![cut, Reply::sse_then_hold("id: 2\ndata: two\n\n")]).await;
    let mut w = Watched::start(config(&server.url("/")));
    w.until(LIMIT, |w| w.messages().len() == 2).await;
    assert_eq!(
        w.names(),
        ["started", "message", "finished", "retrying", "started", "message"]
    );
    assert_eq!(w.messages(), ["one", "two"]);
    assert_eq!(server.requests()[1].header("last-event-id"), Some("1"));
}

/// A server that sends headers and one event, then neither speaks nor closes.
#[tokio::test]
async fn half_open_is_cut_by_the_idle_timeout_which_says_so() {
    let server = ScriptedServer::start(vec![
        Reply::sse_then_hold("id: 7\ndata: a\n\n"),
        Reply::sse_then_hold("id: 8\ndata: b\n\n"),
    ])
    .await;
    let mut c = config(&server.url("/"));
    c.idle_timeout = Some(Duration::from_millis(300));
    let mut w = Watched::start(c);
    w.until(LIMIT, |w| w.messages().len() == 2).await;
    assert_eq!(
        w.names(),
        ["started", "message", "error", "retrying", "started", "message"]
    );
    let (kind, _, will_retry, message) = &w.errors()[0];
    assert_eq!((*kind, *will_retry), (ErrorKind::Timeout, true));
    assert_eq!(message, "no data for 0.3 s (idle timeout)");
    // While it waits to reconnect, the status says why.
    let retrying = w
        .snapshots
        .iter()
        .find(|s| s.state == State::Retrying)
        .expect("a retrying snapshot");
    assert_eq!(retrying.last_error.as_deref(), Some(message.as_str()));
    let reqs = server.requests();
    assert!(reqs[1].at - reqs[0].at >= Duration::from_millis(300));
    assert_eq!(reqs[1].header("last-event-id"), Some("7"));
    assert_eq!(w.status().state, State::Open);
}

/// HTTP/1.0: no Content-Length, no chunking; the body ends when the server closes.
#[tokio::test]
async fn http_1_0_close_delimited_body_is_delivered_then_ends_like_any_stream() {
    let head = "HTTP/1.0 200 OK\r\nContent-Type: text/event-stream\r\n";
    let mut again = Reply::raw(head, b"id: 3\ndata: c\n\n");
    again.end = End::Hold;
    let server = ScriptedServer::start(vec![
        Reply::raw(head, b"id: 1\ndata: a\n\nid: 2\ndata: b\n\n"),
        again,
    ])
    .await;
    let mut w = Watched::start(config(&server.url("/")));
    w.until(LIMIT, |w| w.messages().len() == 3).await;
    assert_eq!(
        w.names(),
        ["started", "message", "message", "finished", "retrying", "started", "message"]
    );
    assert_eq!(w.messages(), ["a", "b", "c"]);
    assert!(
        w.errors().is_empty(),
        "a close is a normal end: {:?}",
        w.errors()
    );
    assert_eq!(server.requests()[1].header("last-event-id"), Some("2"));
}

/// A 200 whose body is a web page (a login or error page, a wrong path): retrying cannot help.
#[tokio::test]
async fn html_is_a_fatal_error_naming_the_content_type() {
    let page = b"<!doctype html><title>Sign in</title>\ndata: not an event\n\n";
    let server = ScriptedServer::start(vec![Reply::raw(
        &format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n",
            page.len()
        ),
        page,
    )])
    .await;
    let mut w = Watched::start(config(&server.url("/")));
    w.until(LIMIT, |w| w.count("error") == 1).await;
    let s = w.settles_in(State::Failed).await;
    assert_eq!(w.names(), ["error"]);
    let (kind, status, will_retry, message) = &w.errors()[0];
    assert_eq!(
        (*kind, *status, *will_retry),
        (ErrorKind::ContentType, Some(200), false)
    );
    assert_eq!(
        message,
        "expected Content-Type text/event-stream, got text/html; charset=utf-8"
    );
    assert_eq!(s.last_error.as_deref(), Some(message.as_str()));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(server.requests().len(), 1, "not retried");
}

/// `printf 'id: 1\ndata: hello\n\n' | gzip -n -9`
const GZIPPED_EVENT: [u8; 39] = [
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xcb, 0x4c, 0xb1, 0x52, 0x30, 0xe4,
    0x4a, 0x49, 0x2c, 0x49, 0xb4, 0x52, 0xc8, 0x48, 0xcd, 0xc9, 0xc9, 0xe7, 0xe2, 0x02, 0x00, 0x46,
    0x4b, 0xc7, 0xe3, 0x13, 0x00, 0x00, 0x00,
];

/// A gzipped stream is asked for (`Accept-Encoding`) and inflated as it arrives.
#[tokio::test]
async fn gzip_is_inflated() {
    let mut reply = Reply::raw(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Encoding: gzip\r\n",
        &GZIPPED_EVENT,
    );
    reply.end = End::Hold;
    let server = ScriptedServer::start(vec![reply]).await;
    let mut w = Watched::start(config(&server.url("/")));
    w.until(LIMIT, |w| w.messages().len() == 1).await;
    assert_eq!(w.names(), ["started", "message"]);
    assert_eq!(w.messages(), ["hello"]);
    assert_eq!(&*w.status().last_id, "1");
    let accepted = server.requests()[0]
        .header("accept-encoding")
        .map(str::to_owned)
        .unwrap_or_default();
    for coding in ["gzip", "br", "zstd", "deflate"] {
        assert!(
            accepted.contains(coding),
            "{coding} not offered: {accepted:?}"
        );
    }
}

/// A coding the client does not inflate (here `compress`, LZW) must not leave the stream
/// "open" while its bytes are parsed as text: a fatal error naming what is supported.
#[tokio::test]
async fn an_unsupported_encoding_is_a_fatal_error_naming_the_supported_ones() {
    let mut reply = Reply::raw(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Encoding: compress\r\n",
        &GZIPPED_EVENT,
    );
    reply.end = End::Hold;
    let server = ScriptedServer::start(vec![reply]).await;
    let mut w = Watched::start(config(&server.url("/")));
    w.until(LIMIT, |w| w.count("error") == 1).await;
    let s = w.settles_in(State::Failed).await;
    assert_eq!(w.names(), ["error"], "no started, no garbage events");
    assert_eq!(w.comments(), 0);
    let (kind, status, will_retry, message) = &w.errors()[0];
    assert_eq!(
        (*kind, *status, *will_retry),
        (ErrorKind::ContentType, Some(200), false)
    );
    assert_eq!(
        message,
        "the server compressed the stream with compress, which Streamwatch cannot decode \
         (it decodes gzip, br, zstd, deflate)"
    );
    assert_eq!(s.last_error.as_deref(), Some(message.as_str()));
}

/// `Content-Encoding: identity` is no compression at all.
#[tokio::test]
async fn identity_encoding_streams_as_usual() {
    let mut reply = Reply::raw(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Encoding: identity\r\n",
        b"data: plain\n\n",
    );
    reply.end = End::Hold;
    let server = ScriptedServer::start(vec![reply]).await;
    let mut w = Watched::start(config(&server.url("/")));
    w.until(LIMIT, |w| w.messages().len() == 1).await;
    assert_eq!(w.names(), ["started", "message"]);
}

fn redirect(to: &str) -> Reply {
    Reply::raw(
        &format!(
            "HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n"
        ),
        b"",
    )
}

/// A → B → A: stopped at the first repeat, before asking A again; fatal.
#[tokio::test]
async fn a_redirect_loop_is_a_fatal_error_naming_the_repeated_url() {
    let server = ScriptedServer::start(vec![redirect("/b"), redirect("/a")]).await;
    let mut w = Watched::start(config(&server.url("/a")));
    w.until(LIMIT, |w| w.count("error") == 1).await;
    let s = w.settles_in(State::Failed).await;
    let (kind, status, will_retry, message) = &w.errors()[0];
    assert_eq!(
        (*kind, *status, *will_retry),
        (ErrorKind::HttpStatus, Some(302), false)
    );
    assert_eq!(
        message,
        &format!(
            "redirect loop: server answered 302 Found back to {}, already requested",
            server.url("/a")
        )
    );
    assert_eq!(s.last_error.as_deref(), Some(message.as_str()));
    let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/a", "/b"]);
}

/// A chain that never repeats a URL ends at the hop limit.
#[tokio::test]
async fn an_endless_redirect_chain_stops_at_the_limit() {
    let hops: Vec<Reply> = (1..=MAX_HOPS + 5)
        .map(|n| redirect(&format!("/hop{n}")))
        .collect();
    let server = ScriptedServer::start(hops).await;
    let mut w = Watched::start(config(&server.url("/hop0")));
    w.until(LIMIT, |w| w.count("error") == 1).await;
    w.settles_in(State::Failed).await;
    let (kind, status, will_retry, message) = &w.errors()[0];
    assert_eq!(
        (*kind, *status, *will_retry),
        (ErrorKind::HttpStatus, Some(302), false)
    );
    assert_eq!(
        message,
        &format!("too many redirects: more than {MAX_HOPS}, the last answered 302 Found")
    );
    assert_eq!(server.requests().len(), MAX_HOPS + 1);
}

const MIB: u64 = 1024 * 1024;

/// Hundreds of MiB of comment lines: no events, no error, the stream stays open, and memory
/// stays flat. The 10 GB run is `cargo bench -p streamwatch-engine --bench fault_comments_flood`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(target_os = "linux"),
    ignore = "resident memory is read from /proc"
)]
async fn a_flood_of_comments_keeps_the_stream_open_with_bounded_memory() {
    const TOTAL: u64 = 256 * MIB;
    const LINE: usize = 1024;
    let server = CommentFlood::start(TOTAL, LINE).await;
    let before = resident_bytes().expect("VmRSS");
    let sampler = RssSampler::start(Duration::from_millis(20));
    let mut w = Watched::start(config(&server.url()));
    // The status is the truth here: the reader may lag behind the flood and miss events.
    w.until(Duration::from_secs(60), |w| {
        let s = w.status();
        s.messages > 0 || s.last_error.is_some() || s.state != State::Open && s.reconnects > 0
    })
    .await;
    let peak = sampler.finish();
    let s = w.status();
    assert_eq!(s.last_error, None, "no error");
    assert_eq!((s.state, s.messages, s.reconnects), (State::Open, 1, 0));
    assert_eq!(server.written(), TOTAL / LINE as u64 * LINE as u64);
    assert_eq!(server.connections(), 1, "never reconnected");
    w.until(LIMIT, |w| !w.messages().is_empty()).await;
    assert_eq!(w.messages(), [AFTER_FLOOD]);
    assert!(w.comments() + w.lagged.load(Ordering::Relaxed) > 0);
    assert!(
        w.events
            .iter()
            .all(|e| matches!(e, Lifecycle::Started { .. } | Lifecycle::Message { .. })),
        "{:#?}",
        w.events
    );
    let grew = peak.saturating_sub(before);
    assert!(
        grew < 64 * MIB,
        "resident memory grew by {} MiB over {} MiB of comments (from {} MiB)",
        grew / MIB,
        TOTAL / MIB,
        before / MIB
    );
}
