//! The numbered sequence: format, live start, Last-Event-ID resume, the replay bound, skip and
//! unpaced throughput.

mod common;

use std::time::{Duration, Instant};

use common::{assert_consecutive, client, fast_server, ids, parse, server};
use streamwatch_demo_server::DemoConfig;

#[tokio::test]
async fn events_are_numbered_and_formatted() {
    let server = fast_server().await;
    let response = client()
        .get(server.url("/events?count=9&types=a,b,c&size=150"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    assert_eq!(response.headers()["cache-control"], "no-cache");
    let body = response.bytes().await.expect("clean end after count");

    let events = parse(&body).events;
    assert_eq!(ids(&events), (1..=9).collect::<Vec<_>>());
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as u64;
    for (event, expected_type) in events.iter().zip(["a", "b", "c"].iter().cycle()) {
        assert_eq!(event.event, *expected_type);
        assert_eq!(event.data.len() + "data: ".len(), 150, "data line size");
        let json: serde_json::Value = serde_json::from_str(&event.data).expect("json data");
        assert_eq!(json["n"].to_string(), event.id);
        let ts = json["ts"].as_u64().expect("ts");
        assert!(now_ms.abs_diff(ts) < 60_000, "ts {ts} is not now");
        assert!(json["pad"]
            .as_str()
            .expect("pad")
            .bytes()
            .all(|b| b == b'x'));
    }
    let text = String::from_utf8(body.to_vec()).expect("utf-8");
    assert!(text.starts_with("id: 1\nevent: a\ndata: {\"n\":1,\"ts\":"));
    server.shutdown().await;
}

#[tokio::test]
async fn a_fresh_connection_starts_live() {
    const RATE: f64 = 50.0;
    let before_start = Instant::now();
    let server = server(DemoConfig {
        rate: RATE,
        ..DemoConfig::default()
    })
    .await;
    let after_start = Instant::now();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let sent_at = Instant::now();
    let body = client()
        .get(server.url("/events?count=5"))
        .send()
        .await
        .expect("request")
        .bytes()
        .await
        .expect("body");
    let done_at = Instant::now();

    let got = ids(&parse(&body).events);
    assert_eq!(got.len(), 5);
    assert_consecutive(&got);
    let published =
        |from: Instant, to: Instant| (to.duration_since(from).as_secs_f64() * RATE) as u64;
    let lowest = published(after_start, sent_at) + 1;
    let highest = published(before_start, done_at) + 1;
    assert!(
        (lowest..=highest).contains(&got[0]),
        "first id {} not in {lowest}..={highest}",
        got[0]
    );
    // Five events at 50/s take about 80 ms: they are paced, not a burst of backlog.
    assert!(done_at - sent_at >= Duration::from_millis(60));
    server.shutdown().await;
}

#[tokio::test]
async fn last_event_id_header_resumes_without_missing_one() {
    let server = server(DemoConfig {
        rate: 100.0,
        ..DemoConfig::default()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let body = client()
        .get(server.url("/events?count=40"))
        .header("Last-Event-ID", "3")
        .send()
        .await
        .expect("request")
        .bytes()
        .await
        .expect("body");
    assert_eq!(ids(&parse(&body).events), (4..=43).collect::<Vec<_>>());
    server.shutdown().await;
}

#[tokio::test]
async fn last_event_id_query_resumes_and_the_header_wins() {
    let server = server(DemoConfig {
        rate: 1000.0,
        ..DemoConfig::default()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let http = client();
    let body = http
        .get(server.url("/events?count=10&lastEventId=7"))
        .send()
        .await
        .expect("request")
        .bytes()
        .await
        .expect("body");
    assert_eq!(ids(&parse(&body).events), (8..=17).collect::<Vec<_>>());

    let body = http
        .get(server.url("/events?count=3&lastEventId=7"))
        .header("Last-Event-ID", "20")
        .send()
        .await
        .expect("request")
        .bytes()
        .await
        .expect("body");
    assert_eq!(ids(&parse(&body).events), vec![21, 22, 23]);
    server.shutdown().await;
}

#[tokio::test]
async fn the_replay_bound_makes_a_real_gap() {
    const RATE: f64 = 200.0;
    const REPLAY: u64 = 10;
    let server = server(DemoConfig {
        rate: RATE,
        replay: REPLAY as usize,
        ..DemoConfig::default()
    })
    .await;
    let after_start = Instant::now();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent_at = Instant::now();
    let body = client()
        .get(server.url("/events?count=20"))
        .header("Last-Event-ID", "1")
        .send()
        .await
        .expect("request")
        .bytes()
        .await
        .expect("body");
    let got = ids(&parse(&body).events);
    assert_consecutive(&got);
    let published = (sent_at.duration_since(after_start).as_secs_f64() * RATE) as u64;
    let oldest_kept = published - REPLAY + 1;
    assert!(
        got[0] >= oldest_kept && got[0] > 2,
        "resumed at {} although only ids from {oldest_kept} are kept",
        got[0]
    );
    server.shutdown().await;
}

#[tokio::test]
async fn unpaced_streams_start_after_the_last_event_id() {
    let server = fast_server().await;
    let body = client()
        .get(server.url("/events?count=10"))
        .header("Last-Event-ID", "41")
        .send()
        .await
        .expect("request")
        .bytes()
        .await
        .expect("body");
    assert_eq!(ids(&parse(&body).events), (42..=51).collect::<Vec<_>>());
    server.shutdown().await;
}

#[tokio::test]
async fn skip_leaves_out_one_id_after_every_k() {
    let server = fast_server().await;
    let body = client()
        .get(server.url("/events?count=10&skip=3"))
        .send()
        .await
        .expect("request")
        .bytes()
        .await
        .expect("body");
    assert_eq!(
        ids(&parse(&body).events),
        vec![1, 2, 3, 5, 6, 7, 9, 10, 11, 13]
    );
    server.shutdown().await;
}

#[tokio::test]
async fn jump_back_restarts_the_counter_without_closing() {
    let server = fast_server().await;
    let body = client()
        .get(server.url("/events?count=8&jump_back=3"))
        .send()
        .await
        .expect("request")
        .bytes()
        .await
        .expect("body");
    assert_eq!(ids(&parse(&body).events), vec![1, 2, 3, 1, 2, 3, 1, 2]);
    server.shutdown().await;
}

#[tokio::test]
async fn unpaced_streams_are_fast_and_complete() {
    const COUNT: u64 = 200_000;
    let server = fast_server().await;
    let started = Instant::now();
    let body = client()
        .get(server.url(&format!("/events?count={COUNT}")))
        .send()
        .await
        .expect("request")
        .bytes()
        .await
        .expect("body");
    let elapsed = started.elapsed();
    eprintln!(
        "{COUNT} events, {} bytes in {elapsed:?} ({:.0} events/s)",
        body.len(),
        COUNT as f64 / elapsed.as_secs_f64()
    );
    // Every id, in order: scan the `id:` lines rather than running the slow reference parser.
    let mut expected = 1;
    for line in body.split(|&b| b == b'\n') {
        if let Some(id) = line.strip_prefix(b"id: ") {
            assert_eq!(id, expected.to_string().as_bytes());
            expected += 1;
        }
    }
    assert_eq!(expected, COUNT + 1);
    // Generous: debug builds on a busy machine; the release figure is far higher.
    assert!(elapsed < Duration::from_secs(8), "too slow: {elapsed:?}");
    server.shutdown().await;
}

#[tokio::test]
async fn an_id_beyond_the_server_continues_live_after_it() {
    // A restarted server (its count is near 0) and a client that had reached 2785 before the
    // restart. At 20/s the server's own count would take over two minutes to get there; the
    // client's 10 s timeout fails the test if the stream waits for it.
    const RATE: f64 = 20.0;
    let server = server(DemoConfig {
        rate: RATE,
        ..DemoConfig::default()
    })
    .await;
    let http = client();
    let body = http
        .get(server.url("/events?count=4"))
        .header("Last-Event-ID", "2785")
        .send()
        .await
        .expect("request")
        .bytes()
        .await
        .expect("body");
    assert_eq!(ids(&parse(&body).events), vec![2786, 2787, 2788, 2789]);

    // The app's loop: a planned close, then a resume from the last id it got, without a hole
    // or a step back, and the query id loses to the header as before.
    let mut last = 2789;
    for _ in 0..2 {
        let body = http
            .get(server.url("/events?close_after=3&lastEventId=5"))
            .header("Last-Event-ID", last.to_string())
            .send()
            .await
            .expect("request")
            .bytes()
            .await
            .expect("clean end of a planned close");
        let got = ids(&parse(&body).events);
        assert_eq!(got, vec![last + 1, last + 2, last + 3]);
        last += 3;
    }

    // The query parameter alone counts too (an EventSource's first URL).
    let body = http
        .get(server.url("/events?count=2&lastEventId=90000"))
        .send()
        .await
        .expect("request")
        .bytes()
        .await
        .expect("body");
    assert_eq!(ids(&parse(&body).events), vec![90001, 90002]);
    server.shutdown().await;
}

#[tokio::test]
async fn the_hostile_knobs_still_ignore_or_replay_an_id_beyond_the_server() {
    let server = server(DemoConfig {
        rate: 20.0,
        ..DemoConfig::default()
    })
    .await;
    let http = client();
    // A counter that restarts: id 1 whatever the client says.
    let body = http
        .get(server.url("/events?count=2&reset_ids=1"))
        .header("Last-Event-ID", "2785")
        .send()
        .await
        .expect("request")
        .bytes()
        .await
        .expect("body");
    assert_eq!(ids(&parse(&body).events), vec![1, 2]);

    // Re-sending: the last two the client has, then on from its id.
    let body = http
        .get(server.url("/events?count=4&resend=2"))
        .header("Last-Event-ID", "2785")
        .send()
        .await
        .expect("request")
        .bytes()
        .await
        .expect("body");
    assert_eq!(ids(&parse(&body).events), vec![2784, 2785, 2786, 2787]);
    server.shutdown().await;
}
