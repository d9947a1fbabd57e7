//! What `streamwatch watch` sends: checked on the demo server's `/requests` log.

mod common;

use common::{data_n, demo, get_json, run};
use serde_json::Value;

/// The logged requests whose path contains `tag`, oldest first.
async fn requests_tagged(server: &streamwatch_demo_server::DemoServer, tag: &str) -> Vec<Value> {
    let all = get_json(&server.url("/requests")).await;
    all.as_array()
        .expect("an array")
        .iter()
        .filter(|r| r["path"].as_str().is_some_and(|p| p.contains(tag)))
        .cloned()
        .collect()
}

#[tokio::test]
async fn method_headers_and_body_are_resent_on_every_reconnect() {
    let server = demo().await;
    let url = server.url("/events?rate=0&close_after=1&test=resend");
    let out = run(&[
        "watch",
        &url,
        "--json",
        "-X",
        "post",
        "-d",
        "hello body",
        "-H",
        "X-Token: abc",
        "--header",
        "X-Other: two words",
        "--count",
        "3",
        "--retry-initial",
        "10",
        // A POST's clean end is done by default; this one is an endless stream.
        "--reconnect",
        "always",
    ])
    .await;
    assert_eq!(out.code, Some(0), "{out:#?}");
    let requests = requests_tagged(&server, "test=resend").await;
    assert_eq!(requests.len(), 3, "{requests:#?}");
    for r in &requests {
        assert_eq!(r["method"], "POST", "{r}");
        assert_eq!(r["body"], "hello body", "{r}");
        assert_eq!(r["headers"]["x-token"], "abc", "{r}");
        assert_eq!(r["headers"]["x-other"], "two words", "{r}");
        assert_eq!(r["headers"]["accept"], "text/event-stream", "{r}");
    }
    let last_ids: Vec<Option<&str>> = requests
        .iter()
        .map(|r| r["headers"]["last-event-id"].as_str())
        .collect();
    assert_eq!(last_ids, [None, Some("1"), Some("2")]);
}

#[tokio::test]
async fn last_event_id_is_sent_on_the_first_request() {
    let server = demo().await;
    let url = server.url("/events?rate=0&test=initial-id");
    let out = run(&[
        "watch",
        &url,
        "--json",
        "--last-event-id",
        "41",
        "--count",
        "1",
    ])
    .await;
    assert_eq!(out.code, Some(0), "{out:#?}");
    let requests = requests_tagged(&server, "test=initial-id").await;
    assert_eq!(requests.len(), 1, "{requests:#?}");
    assert_eq!(requests[0]["headers"]["last-event-id"], "41");
    let message = out
        .json()
        .into_iter()
        .find(|l| l["type"] == "message")
        .expect("a message");
    assert_eq!(message["id"], "42");
    assert_eq!(data_n(&message), 42);
}

#[cfg(unix)]
#[tokio::test]
async fn sigusr1_reconnects_at_once_from_the_last_id() {
    use common::Live;
    let server = demo().await;
    // Two events, then a silent socket: without the signal, the watch would wait out its idle
    // timeout (45 s at least).
    let url = server.url("/events?rate=50&stall_after=2&test=usr1");
    let mut live = Live::spawn(&["watch", &url, "--json"]);
    let first = live.json_until("started").await;
    assert_eq!(first.len(), 1, "{first:#?}");
    live.json_until("message").await;
    let second = live.json_until("message").await;
    let last: u64 = second.last().expect("a message")["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("a numbered id");
    let pid = live.child.id().expect("running");
    let sent = std::process::Command::new("kill")
        .args(["-USR1", &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let asked = std::time::Instant::now();
    let after = live.json_until("started").await;
    assert!(
        asked.elapsed() < std::time::Duration::from_secs(3),
        "reconnected only after {:?}",
        asked.elapsed()
    );
    // Nothing was printed between: no error, no retry wait, no lost or repeated event.
    assert_eq!(common::types(&after), ["started"], "{after:#?}");
    let resumed = live.json_until("message").await;
    assert_eq!(
        resumed.last().expect("a message")["id"],
        (last + 1).to_string().as_str()
    );
    let requests = requests_tagged(&server, "test=usr1").await;
    let last_ids: Vec<Option<&str>> = requests
        .iter()
        .map(|r| r["headers"]["last-event-id"].as_str())
        .collect();
    assert_eq!(last_ids, [None, Some(last.to_string().as_str())]);
}
