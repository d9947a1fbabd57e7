//! `streamwatch watch` when things go wrong: statuses, drops, stalls, retry budgets, exit codes.

mod common;

use std::time::{Duration, Instant};

use common::{data_n, demo, run, types};
use streamwatch_test_support::gives_up_after;

#[tokio::test]
async fn no_content_finishes_and_exits_0() {
    let server = demo().await;
    let out = run(&["watch", &server.url("/events?status=204"), "--json"]).await;
    assert_eq!(out.code, Some(0), "{out:#?}");
    assert_eq!(out.types(), ["finished"]);
}

#[tokio::test]
async fn not_found_is_an_http_status_error_and_exits_1() {
    let server = demo().await;
    let out = run(&["watch", &server.url("/events?status=404"), "--json"]).await;
    assert_eq!(out.code, Some(1), "{out:#?}");
    let lines = out.json();
    assert_eq!(types(&lines), ["error"]);
    assert_eq!(lines[0]["kind"], "http-status");
    assert_eq!(lines[0]["status"], 404);
    assert!(lines[0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("404")));
}

#[tokio::test]
async fn a_wrong_content_type_is_fatal() {
    let server = demo().await;
    let url = server.url("/events?content_type=text/plain");
    let out = run(&["watch", &url, "--json"]).await;
    assert_eq!(out.code, Some(1), "{out:#?}");
    let lines = out.json();
    assert_eq!(types(&lines), ["error"]);
    assert_eq!(lines[0]["kind"], "content-type");
}

#[tokio::test]
async fn server_errors_are_retried_with_counted_attempts() {
    let server = demo().await;
    let url = server.url("/events?rate=0&status=503,503,200&key=cli-503");
    let out = run(&[
        "watch",
        &url,
        "--json",
        "--count",
        "1",
        "--retry-initial",
        "10",
    ])
    .await;
    assert_eq!(out.code, Some(0), "{out:#?}");
    let lines = out.json();
    assert_eq!(
        types(&lines),
        ["error", "retrying", "error", "retrying", "started", "message"]
    );
    for error in [&lines[0], &lines[2]] {
        assert_eq!(error["kind"], "http-status");
        assert_eq!(error["status"], 503);
    }
    assert_eq!(lines[1]["attempt"], 1);
    assert_eq!(lines[3]["attempt"], 2);
    // The second delay doubles: within [10, 20] after jitter.
    let second = lines[3]["delay_ms"].as_u64().expect("delay_ms");
    assert!((10..=20).contains(&second), "{second}");
}

#[tokio::test]
async fn retry_after_is_a_floor_on_the_delay() {
    let server = demo().await;
    let url = server.url("/events?rate=0&status=503,200&key=cli-ra&retry_after=1");
    let began = Instant::now();
    let out = run(&[
        "watch",
        &url,
        "--json",
        "--count",
        "1",
        "--retry-initial",
        "10",
    ])
    .await;
    assert_eq!(out.code, Some(0), "{out:#?}");
    let lines = out.json();
    assert_eq!(types(&lines), ["error", "retrying", "started", "message"]);
    assert!(
        lines[1]["delay_ms"].as_u64().expect("delay_ms") >= 1000,
        "{out:#?}"
    );
    assert!(
        began.elapsed() >= Duration::from_secs(1),
        "the delay was applied"
    );
}

#[tokio::test]
async fn a_planned_close_is_an_ordinary_end_and_a_reconnect_without_an_error() {
    let server = demo().await;
    // The first-run demo's kind of close, at rate 0 to be quick: two events, then a clean end.
    let url = server.url("/events?rate=0&close_after=2");
    let out = run(&[
        "watch",
        &url,
        "--json",
        "--count",
        "6",
        "--retry-initial",
        "10",
    ])
    .await;
    assert_eq!(out.code, Some(0), "{out:#?}");
    let lines = out.json();
    let cycle = ["started", "message", "message", "finished", "retrying"];
    let expected: Vec<&str> = cycle
        .iter()
        .chain(&cycle)
        .chain(&cycle[..3])
        .copied()
        .collect();
    assert_eq!(types(&lines), expected, "{out:#?}");
    let ids: Vec<&str> = lines
        .iter()
        .filter(|l| l["type"] == "message")
        .filter_map(|l| l["id"].as_str())
        .collect();
    assert_eq!(ids, ["1", "2", "3", "4", "5", "6"]);

    // In words: the stream ended, no error, no "unexpected EOF".
    let out = run(&["watch", &url, "--count", "3", "--retry-initial", "10"]).await;
    assert_eq!(out.code, Some(0), "{out:#?}");
    assert!(out.stdout.contains("the stream ended"), "{out:#?}");
    let all = format!("{}{}", out.stdout, out.stderr).to_lowercase();
    assert!(
        !all.contains("error") && !all.contains("eof"),
        "a planned close was reported as a failure: {out:#?}"
    );
}

#[tokio::test]
async fn an_abrupt_drop_is_a_network_error_and_the_resume_has_no_hole() {
    let server = demo().await;
    let url = server.url("/events?rate=0&abort_after=2");
    let out = run(&[
        "watch",
        &url,
        "--json",
        "--count",
        "6",
        "--retry-initial",
        "10",
    ])
    .await;
    assert_eq!(out.code, Some(0), "{out:#?}");
    let lines = out.json();
    let cycle = ["started", "message", "message", "error", "retrying"];
    let expected: Vec<&str> = cycle
        .iter()
        .chain(&cycle)
        .chain(&cycle[..3])
        .copied()
        .collect();
    assert_eq!(types(&lines), expected);
    for line in lines.iter().filter(|l| l["type"] == "error") {
        assert_eq!(line["kind"], "network", "{line}");
        assert!(line.get("status").is_none(), "{line}");
    }
    // A connection that delivered events resets the count of failed attempts.
    for line in lines.iter().filter(|l| l["type"] == "retrying") {
        assert_eq!(line["attempt"], 1, "{line}");
    }
    let messages: Vec<_> = lines.iter().filter(|l| l["type"] == "message").collect();
    let ids: Vec<&str> = messages.iter().filter_map(|m| m["id"].as_str()).collect();
    assert_eq!(ids, ["1", "2", "3", "4", "5", "6"]);
    let ns: Vec<u64> = messages.iter().map(|m| data_n(m)).collect();
    assert_eq!(ns, [1, 2, 3, 4, 5, 6]);
}

#[tokio::test]
async fn max_retries_ends_in_retries_failed_and_exit_1() {
    let server = demo().await;
    let url = server.url("/events?status=503&key=cli-max");
    let out = run(&[
        "watch",
        &url,
        "--json",
        "--max-retries",
        "2",
        "--retry-initial",
        "10",
    ])
    .await;
    assert_eq!(out.code, Some(1), "{out:#?}");
    let lines = out.json();
    assert_eq!(types(&lines), gives_up_after(2));
    assert_eq!(lines[5]["attempts"], 2);
}

#[tokio::test]
async fn an_unreachable_server_is_a_network_error() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let url = format!("http://127.0.0.1:{port}/events");
    let out = run(&[
        "watch",
        &url,
        "--json",
        "--max-retries",
        "1",
        "--retry-initial",
        "10",
    ])
    .await;
    assert_eq!(out.code, Some(1), "{out:#?}");
    let lines = out.json();
    assert_eq!(types(&lines), gives_up_after(1));
    assert_eq!(lines[0]["kind"], "network");
    assert!(lines[0].get("status").is_none());
    assert_eq!(lines[3]["attempts"], 1);
}

#[tokio::test]
async fn a_silent_stream_times_out_and_reconnects() {
    let server = demo().await;
    let url = server.url("/events?rate=0&stall_after=1");
    let out = run(&[
        "watch",
        &url,
        "--json",
        "--idle-timeout",
        "0.5",
        "--retry-initial",
        "10",
        "--count",
        "2",
    ])
    .await;
    assert_eq!(out.code, Some(0), "{out:#?}");
    let lines = out.json();
    assert_eq!(
        types(&lines),
        ["started", "message", "error", "retrying", "started", "message"]
    );
    assert_eq!(lines[2]["kind"], "timeout");
    assert_eq!(lines[5]["id"], "2");
}

#[tokio::test]
async fn heartbeats_keep_an_idle_timeout_from_firing() {
    let server = demo().await;
    // 500 ms between events, a comment after 50 ms of silence, a 350 ms idle timeout: only
    // the comments keep the connection from timing out.
    let url = server.url("/events?rate=2&heartbeat_ms=50");
    let out = run(&[
        "watch",
        &url,
        "--json",
        "--idle-timeout",
        "0.35",
        "--count",
        "2",
    ])
    .await;
    assert_eq!(out.code, Some(0), "{out:#?}");
    assert_eq!(out.types(), ["started", "message", "message"]);
}
