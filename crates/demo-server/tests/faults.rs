//! The fault knobs: abrupt close, planned close, stall, status sequences, wrong content type, trickle, line
//! ends, BOM, retry and heartbeats.

mod common;

use std::time::{Duration, Instant};

use common::{assert_consecutive, client, dechunk, fast_server, ids, parse, raw_get, server};
use futures_util::StreamExt;
use streamwatch_demo_server::DemoConfig;

/// Reads a whole body with reqwest, chunk by chunk: the bytes, and whether it ended in an error.
async fn read_body(response: reqwest::Response) -> (Vec<u8>, bool) {
    let mut stream = response.bytes_stream();
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(bytes) => body.extend_from_slice(&bytes),
            Err(_) => return (body, true),
        }
    }
    (body, false)
}

#[tokio::test]
async fn abort_after_drops_the_connection_mid_body() {
    let server = fast_server().await;
    let response = client()
        .get(server.url("/events?abort_after=5"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    let (body, failed) = read_body(response).await;
    assert!(failed, "the client saw a clean end, not a body error");
    assert_eq!(ids(&parse(&body).events), vec![1, 2, 3, 4, 5]);

    // On the wire: the connection closes without the terminating chunk.
    let (head, raw, closed) = raw_get(
        server.addr(),
        "/events?abort_after=3",
        Duration::from_secs(5),
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(closed, "connection still open");
    let (body, complete) = dechunk(&raw);
    assert!(!complete, "chunked body was terminated cleanly");
    assert_eq!(ids(&parse(&body).events), vec![1, 2, 3]);
    server.shutdown().await;
}

#[tokio::test]
async fn close_after_ends_the_body_cleanly() {
    // Paced, as the first-run demo is (`rate=5&close_after=25`), and unpaced.
    let server = server(DemoConfig {
        rate: 200.0,
        ..DemoConfig::default()
    })
    .await;
    let http = client();
    for query in ["close_after=5", "close_after=5&rate=0"] {
        let response = http
            .get(server.url(&format!("/events?{query}")))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200);
        let (body, failed) = read_body(response).await;
        assert!(!failed, "{query}: the planned close was a body error");
        let got = ids(&parse(&body).events);
        assert_eq!(got.len(), 5, "{query}: {got:?}");
        assert_consecutive(&got);
    }

    // On the wire: the final zero-length chunk, then the connection is free again.
    let (head, raw, _) = raw_get(
        server.addr(),
        "/events?close_after=3&rate=0",
        Duration::from_secs(5),
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let (body, complete) = dechunk(&raw);
    assert!(complete, "no terminating chunk after a planned close");
    assert_eq!(ids(&parse(&body).events), vec![1, 2, 3]);
    server.shutdown().await;
}

#[tokio::test]
async fn abort_wins_over_a_planned_close() {
    let server = fast_server().await;
    let (_, raw, _) = raw_get(
        server.addr(),
        "/events?close_after=2&abort_after=2",
        Duration::from_secs(5),
    )
    .await;
    let (body, complete) = dechunk(&raw);
    assert!(!complete, "the abort was turned into a clean end");
    assert_eq!(ids(&parse(&body).events), vec![1, 2]);
    server.shutdown().await;
}

#[tokio::test]
async fn count_ends_the_stream_cleanly() {
    let server = fast_server().await;
    let (_, raw, closed) = raw_get(server.addr(), "/events?count=3", Duration::from_secs(5)).await;
    assert!(closed);
    let (body, complete) = dechunk(&raw);
    assert!(complete, "no terminating chunk");
    assert_eq!(ids(&parse(&body).events), vec![1, 2, 3]);
    server.shutdown().await;
}

#[tokio::test]
async fn stall_after_goes_silent_but_stays_open() {
    let server = server(DemoConfig {
        rate: 100.0,
        ..DemoConfig::default()
    })
    .await;
    let response = client()
        .get(server.url("/events?stall_after=3&heartbeat_ms=20&lastEventId=0"))
        .send()
        .await
        .expect("request");
    let mut stream = response.bytes_stream();
    let mut body = Vec::new();
    while parse(&body).events.len() < 3 {
        let chunk = tokio::time::timeout(Duration::from_secs(2), stream.next())
            .await
            .expect("the first events arrive")
            .expect("stream open")
            .expect("no body error");
        body.extend_from_slice(&chunk);
    }
    assert_eq!(ids(&parse(&body).events), vec![1, 2, 3]);
    // Neither events nor heartbeats (every 20 ms) nor an end.
    let next = tokio::time::timeout(Duration::from_millis(400), stream.next()).await;
    assert!(next.is_err(), "stalled stream sent {next:?}");
    server.shutdown().await;
}

#[tokio::test]
async fn status_sequence_is_counted_per_key() {
    let server = fast_server().await;
    let http = client();
    let get = |query: &str| {
        http.get(server.url(&format!("/events?count=1&{query}")))
            .send()
    };

    let first = get("status=503,503,200&key=a&retry_after=7")
        .await
        .expect("request");
    assert_eq!(first.status(), 503);
    assert_eq!(first.headers()["retry-after"], "7");
    assert!(first.text().await.expect("text body").contains("503"));
    let second = get("status=503,503,200&key=a&retry_after=7")
        .await
        .expect("request");
    assert_eq!(second.status(), 503);
    for _ in 0..2 {
        let ok = get("status=503,503,200&key=a&retry_after=7")
            .await
            .expect("request");
        assert_eq!(ok.status(), 200);
        assert_eq!(ok.headers()["content-type"], "text/event-stream");
        assert_eq!(
            ids(&parse(&ok.bytes().await.expect("body")).events),
            vec![1]
        );
    }
    // Another key starts over; without a key, the status list itself is the key.
    assert_eq!(
        get("status=503,503,200&key=b")
            .await
            .expect("request")
            .status(),
        503
    );
    let limited = get("status=429,200&retry_after=3").await.expect("request");
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "3");
    assert_eq!(get("status=429,200").await.expect("request").status(), 200);
    // Only 503 and 429 carry Retry-After.
    let error = get("status=500&retry_after=3").await.expect("request");
    assert_eq!(error.status(), 500);
    assert!(error.headers().get("retry-after").is_none());
    server.shutdown().await;
}

#[tokio::test]
async fn status_sequence_from_the_config() {
    let server = server(DemoConfig {
        rate: 0.0,
        status: vec![503, 200],
        ..DemoConfig::default()
    })
    .await;
    let http = client();
    let url = server.url("/events?count=1");
    assert_eq!(http.get(&url).send().await.expect("request").status(), 503);
    assert_eq!(http.get(&url).send().await.expect("request").status(), 200);
    server.shutdown().await;
}

#[tokio::test]
async fn no_content_and_wrong_content_type() {
    let server = fast_server().await;
    let http = client();
    let empty = http
        .get(server.url("/events?status=204"))
        .send()
        .await
        .expect("request");
    assert_eq!(empty.status(), 204);
    assert!(empty.bytes().await.expect("body").is_empty());

    let wrong = http
        .get(server.url("/events?count=2&content_type=text/plain"))
        .send()
        .await
        .expect("request");
    assert_eq!(wrong.status(), 200);
    assert_eq!(wrong.headers()["content-type"], "text/plain");
    assert_eq!(
        ids(&parse(&wrong.bytes().await.expect("body")).events),
        vec![1, 2]
    );
    server.shutdown().await;
}

#[tokio::test]
async fn trickle_writes_one_byte_at_a_time() {
    let server = fast_server().await;
    let started = Instant::now();
    let response = client()
        .get(server.url("/events?count=1&size=0&trickle_ms=5"))
        .send()
        .await
        .expect("request");
    let mut stream = response.bytes_stream();
    let (mut body, mut chunks) = (Vec::new(), 0usize);
    while let Some(chunk) = stream.next().await {
        body.extend_from_slice(&chunk.expect("no body error"));
        chunks += 1;
    }
    let elapsed = started.elapsed();
    assert_eq!(ids(&parse(&body).events), vec![1]);
    assert!(
        chunks * 2 >= body.len(),
        "{} bytes came in only {chunks} reads",
        body.len()
    );
    let least = Duration::from_millis(5) * (body.len() as u32 - 1) * 4 / 5;
    assert!(elapsed >= least, "{} bytes in {elapsed:?}", body.len());
    server.shutdown().await;
}

#[tokio::test]
async fn crlf_bom_and_retry() {
    let server = fast_server().await;
    let body = client()
        .get(server.url("/events?count=2&crlf=1&bom=1&retry=1500"))
        .send()
        .await
        .expect("request")
        .bytes()
        .await
        .expect("body");
    let text = body
        .strip_prefix("\u{feff}".as_bytes())
        .expect("leading BOM");
    assert!(text.starts_with(b"retry: 1500\r\n\r\nid: 1\r\n"));
    for (i, &b) in text.iter().enumerate() {
        if b == b'\n' {
            assert_eq!(text[i - 1], b'\r', "bare LF at {i}");
        }
    }
    let parsed = parse(&body);
    assert_eq!(parsed.retry, Some(1500));
    assert_eq!(ids(&parsed.events), vec![1, 2]);
    server.shutdown().await;
}

#[tokio::test]
async fn heartbeats_fill_idle_time() {
    // At 0.2 events/s the next event is seconds away: the stream is idle.
    let server = server(DemoConfig {
        rate: 0.2,
        ..DemoConfig::default()
    })
    .await;
    let response = client()
        .get(server.url("/events?heartbeat_ms=50"))
        .send()
        .await
        .expect("request");
    let mut stream = response.bytes_stream();
    let mut body = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_millis(400);
    while let Ok(Some(chunk)) = tokio::time::timeout_at(deadline, stream.next()).await {
        body.extend_from_slice(&chunk.expect("no body error"));
    }
    let parsed = parse(&body);
    let beats = parsed
        .comments
        .iter()
        .filter(|c| *c == " heartbeat")
        .count();
    assert!(beats >= 3, "only {beats} heartbeats in 400 ms: {parsed:?}");
    assert!(parsed.events.is_empty());
    server.shutdown().await;
}

#[tokio::test]
async fn bad_knobs_are_rejected() {
    let server = fast_server().await;
    let response = client()
        .get(server.url("/events?rate=-1"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 400);
    assert!(response.text().await.expect("text").contains("rate"));
    server.shutdown().await;
}
