//! Compressed streams against real local servers: the demo server's gzip, brotli, zstd and
//! deflate bodies (its encoder flushed after every event) show each event when its bytes
//! arrive, and a decompression bomb ends at the parser's event cap with memory bounded.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use flate2::{Compress, Compression, FlushCompress};
use streamwatch_demo_server::{DemoConfig, DemoServer};
use streamwatch_engine::connection::{self, ConnectionState};
use streamwatch_engine::{ErrorKind, Lifecycle, SubscriptionConfig};
use streamwatch_test_support::memory::{resident_bytes, RssSampler};
use streamwatch_test_support::scripted_server::{End, Reply, ScriptedServer};
use tokio::sync::mpsc;

const LIMIT: Duration = Duration::from_secs(20);

/// Runs one connection to `url` and hands back its events as they come, with when each came.
fn watch(url: &str) -> mpsc::UnboundedReceiver<(Instant, Lifecycle)> {
    let mut config = SubscriptionConfig::new(url).expect("url");
    config.retry.initial_ms = 50;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (out_tx, out_rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let client = connection::build_client().expect("client");
        let mut state = ConnectionState::new(&config);
        let mut tx = tx;
        connection::run(&client, &config, &mut state, &mut tx).await;
    });
    // Stamped here, on their way out of the connection, so a slow test loop adds nothing.
    tokio::spawn(async move {
        while let Some(event) = rx.recv().await {
            if out_tx.send((Instant::now(), event)).is_err() {
                return;
            }
        }
    });
    out_rx
}

fn unix_ms_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// At 2 events a second each event must arrive long before the next is sent (500 ms later):
/// an encoder that was not flushed, or a decoder that waited for a block to fill, would hold
/// it back until more bytes came.
async fn events_arrive_as_sent(server: &DemoServer, coding: &str) {
    let started = Instant::now();
    let url = server.url(&format!(
        "/events?rate=2&size=100&heartbeat_ms=0&compress={coding}&test={coding}"
    ));
    let mut rx = watch(&url);
    let mut seen = 0;
    let deadline = tokio::time::Instant::now() + LIMIT;
    while seen < 3 {
        let (at, event) = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("{coding}: timed out after {seen} messages"))
            .expect("connection alive");
        match event {
            Lifecycle::Message { data, .. } => {
                let received_ms = unix_ms_now();
                let event: serde_json::Value = serde_json::from_str(&data).expect("json data");
                let sent_ms = event["ts"].as_u64().expect("ts");
                let lag = received_ms.saturating_sub(sent_ms);
                assert!(
                    lag < 250,
                    "{coding}: event {} arrived {lag} ms after it was sent",
                    event["n"]
                );
                if seen == 0 {
                    let first = at.duration_since(started);
                    assert!(
                        first < Duration::from_millis(900),
                        "{coding}: first after {first:?}"
                    );
                }
                seen += 1;
            }
            Lifecycle::Error { message, .. } => panic!("{coding}: {message}"),
            _ => {}
        }
    }
}

/// What the server really put on the wire for `compress=auto` and a client offering `coding`
/// only: its `Content-Encoding`, read by a client that inflates nothing.
async fn negotiated(server: &DemoServer, coding: &str) -> Option<String> {
    let raw = reqwest::Client::builder()
        .no_gzip()
        .no_brotli()
        .no_zstd()
        .no_deflate()
        .build()
        .expect("client");
    let response = raw
        .get(server.url("/events?rate=0&count=1&compress=auto"))
        .header("accept-encoding", coding)
        .send()
        .await
        .expect("response");
    response
        .headers()
        .get("content-encoding")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

#[tokio::test]
async fn each_compressed_event_is_shown_when_its_bytes_arrive() {
    let server = DemoServer::start("127.0.0.1:0".parse().expect("addr"), DemoConfig::default())
        .await
        .expect("demo server");
    for coding in ["gzip", "br", "zstd", "deflate"] {
        assert_eq!(negotiated(&server, coding).await.as_deref(), Some(coding));
    }
    // The four at once: each paces itself, so this takes as long as one.
    tokio::join!(
        events_arrive_as_sent(&server, "gzip"),
        events_arrive_as_sent(&server, "br"),
        events_arrive_as_sent(&server, "zstd"),
        events_arrive_as_sent(&server, "deflate"),
        events_arrive_as_sent(&server, "auto"),
    );
}

/// Raw deflate of `input`, ended with a sync flush so the next block starts on a byte.
fn deflate_flushed(compress: &mut Compress, input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() / 64 + 1024);
    let mut consumed = 0;
    loop {
        let before = compress.total_in();
        out.reserve(64 * 1024);
        compress
            .compress_vec(&input[consumed..], &mut out, FlushCompress::Sync)
            .expect("deflate");
        consumed += (compress.total_in() - before) as usize;
        if consumed == input.len() && out.len() < out.capacity() {
            return out;
        }
    }
}

/// Mebibytes of `x` the bomb inflates to: one `data:` line with no end, far past any cap.
const BOMB_MIB: usize = 1024;

/// A gzip body of about 1 MiB that inflates to [`BOMB_MIB`] MiB: `data: ` and `x`s, never a
/// line end. One mebibyte of `x` after a window full of `x` always deflates to the same
/// block, so the block is compressed once and repeated (no trailer: it never ends).
fn gzip_bomb() -> Vec<u8> {
    let mib = vec![b'x'; 1 << 20];
    let mut compress = Compress::new(Compression::best(), false);
    let mut first = b"data: ".to_vec();
    first.extend_from_slice(&mib);
    let head = deflate_flushed(&mut compress, &first);
    let repeated = deflate_flushed(&mut compress, &mib);
    let mut body = vec![0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff];
    body.extend_from_slice(&head);
    for _ in 1..BOMB_MIB {
        body.extend_from_slice(&repeated);
    }
    body
}

#[tokio::test]
#[cfg_attr(
    not(target_os = "linux"),
    ignore = "resident memory is read from /proc"
)]
async fn a_decompression_bomb_ends_at_the_event_cap_with_memory_bounded() {
    let bomb = gzip_bomb();
    assert!(bomb.len() < 4 << 20, "the bomb is {} bytes", bomb.len());
    let mut reply = Reply::raw(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Encoding: gzip\r\n",
        &bomb,
    );
    reply.end = End::Hold;
    let server = ScriptedServer::start(vec![reply]).await;
    let before = resident_bytes().expect("VmRSS");
    let sampler = RssSampler::start(Duration::from_millis(10));
    let mut rx = watch(&server.url("/"));
    let deadline = tokio::time::Instant::now() + LIMIT;
    let (kind, message) = loop {
        let (_, event) = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("an error within the limit")
            .expect("connection alive");
        match event {
            Lifecycle::Error { kind, message, .. } => break (kind, message),
            Lifecycle::Message { .. } => panic!("the bomb made an event"),
            _ => {}
        }
    };
    let peak = sampler.finish();
    assert_eq!(kind, ErrorKind::Protocol, "{message}");
    assert_eq!(
        message,
        format!(
            "an event grew past the {}-byte limit",
            streamwatch_engine::parser::DEFAULT_MAX_EVENT_SIZE
        )
    );
    // The parser holds at most the cap (16 MiB); the inflater a window and a read buffer.
    let grew = peak.saturating_sub(before);
    assert!(
        grew < (16 + 64) << 20,
        "resident memory grew by {} MiB",
        grew >> 20
    );
}
