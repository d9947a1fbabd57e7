//! `streamwatch watch` on healthy streams: what the JSON and human lines say.

mod common;

use common::{data_n, demo, get_json, run, streamwatch, types};
use serde_json::Value;

#[tokio::test]
async fn json_lines_carry_url_status_types_ids_and_data() {
    let server = demo().await;
    let url = server.url("/events?rate=0&types=a,b&size=10");
    let out = run(&["watch", &url, "--json", "--count", "3"]).await;
    assert_eq!(out.code, Some(0), "{out:#?}");
    let lines = out.json();
    assert_eq!(types(&lines), ["started", "message", "message", "message"]);
    assert_eq!(lines[0]["url"], url.as_str());
    assert_eq!(lines[0]["status"], 200);
    let messages = &lines[1..];
    let events: Vec<&str> = messages
        .iter()
        .filter_map(|m| m["event"].as_str())
        .collect();
    assert_eq!(events, ["a", "b", "a"]);
    let ids: Vec<&str> = messages.iter().filter_map(|m| m["id"].as_str()).collect();
    assert_eq!(ids, ["1", "2", "3"]);
    let ns: Vec<u64> = messages.iter().map(data_n).collect();
    assert_eq!(ns, [1, 2, 3]);
    for line in &lines {
        let time = line["time"].as_str().expect("every line has a time");
        assert!(time.ends_with('Z') && time.contains('T'), "{time}");
    }
    assert!(out.stderr.is_empty(), "{out:#?}");
}

#[tokio::test]
async fn comments_are_reported_only_with_the_flag() {
    let server = demo().await;
    // Events every 100 ms, a heartbeat comment after 20 ms of silence.
    let url = server.url("/events?rate=10&heartbeat_ms=20");
    let with = run(&["watch", &url, "--json", "--comments", "--count", "2"]).await;
    assert_eq!(with.code, Some(0), "{with:#?}");
    let comments: Vec<Value> = with
        .json()
        .into_iter()
        .filter(|l| l["type"] == "comment")
        .collect();
    assert!(!comments.is_empty(), "{with:#?}");
    assert!(
        comments.iter().all(|c| c["text"] == "heartbeat"),
        "{with:#?}"
    );

    let without = run(&["watch", &url, "--json", "--count", "2"]).await;
    assert_eq!(without.code, Some(0), "{without:#?}");
    assert_eq!(without.types(), ["started", "message", "message"]);
}

#[tokio::test]
async fn a_clean_end_is_finished_then_retrying_then_a_resume() {
    let server = demo().await;
    let url = server.url("/events?rate=0&count=2");
    let out = run(&[
        "watch",
        &url,
        "--json",
        "--count",
        "3",
        "--retry-initial",
        "10",
    ])
    .await;
    assert_eq!(out.code, Some(0), "{out:#?}");
    let lines = out.json();
    assert_eq!(
        types(&lines),
        ["started", "message", "message", "finished", "retrying", "started", "message"]
    );
    assert_eq!(lines[4]["attempt"], 1);
    let delay = lines[4]["delay_ms"].as_u64().expect("delay_ms");
    assert!(
        (5..=10).contains(&delay),
        "jittered within [d/2, d]: {delay}"
    );
    // The reconnect resumed after id 2.
    assert_eq!(lines[6]["id"], "3");
}

#[tokio::test]
async fn a_redirect_reports_the_final_url() {
    let server = demo().await;
    let target = "/events?rate=0&size=5";
    let url = server.url("/redirect?to=%2Fevents%3Frate%3D0%26size%3D5");
    let out = run(&["watch", &url, "--json", "--count", "1"]).await;
    assert_eq!(out.code, Some(0), "{out:#?}");
    let lines = out.json();
    assert_eq!(lines[0]["type"], "started");
    assert_eq!(lines[0]["url"], server.url(target).as_str());
}

#[tokio::test]
async fn the_edge_case_stream_prints_exactly_the_expected_events() {
    let server = demo().await;
    let expected = get_json(&server.url("/edge-cases/expected")).await;
    let expected = expected.as_array().expect("an array");
    let count = expected.len().to_string();
    let url = server.url("/edge-cases");
    let out = run(&["watch", &url, "--json", "--count", &count]).await;
    assert_eq!(out.code, Some(0), "{out:#?}");
    let got: Vec<Value> = out
        .json()
        .into_iter()
        .filter(|l| l["type"] == "message")
        .map(|m| serde_json::json!({"event": m["event"], "data": m["data"], "id": m["id"]}))
        .collect();
    assert_eq!(&got, expected);
    assert!(!out.types().contains(&"comment".to_owned()), "{out:#?}");
}

#[tokio::test]
async fn human_lines_are_readable_and_plain_when_not_a_terminal() {
    let server = demo().await;
    let url = server.url("/events?rate=0&types=tick&size=5");
    let out = run(&["watch", &url, "--count", "2"]).await;
    assert_eq!(out.code, Some(0), "{out:#?}");
    assert!(!out.stdout.contains('\u{1b}'), "no ANSI codes: {out:#?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    for line in &lines {
        // `HH:MM:SS.mmm ` first.
        let stamp: Vec<char> = line.chars().take(13).collect();
        let shape: String = stamp
            .iter()
            .map(|c| if c.is_ascii_digit() { '9' } else { *c })
            .collect();
        assert_eq!(shape, "99:99:99.999 ", "{line:?}");
    }
    let started = lines
        .iter()
        .find(|l| l.contains(" started "))
        .expect("a started line");
    assert!(started.ends_with(&format!("200 {url}")), "{started:?}");
    let first = lines
        .iter()
        .find(|l| l.contains(" message "))
        .expect("a message line");
    assert!(first.contains("tick id=1 {\"n\":1,"), "{first:?}");
}

#[tokio::test]
async fn colour_follows_clicolor_force_and_no_color() {
    let server = demo().await;
    let url = server.url("/events?rate=0&size=5");
    let mut forced = streamwatch(&["watch", &url, "--count", "1"]);
    forced.env("CLICOLOR_FORCE", "1");
    let forced = common::finish(forced).await;
    assert!(forced.stdout.contains('\u{1b}'), "{forced:#?}");

    let mut off = streamwatch(&["watch", &url, "--count", "1"]);
    off.env("CLICOLOR_FORCE", "1").env("NO_COLOR", "1");
    let off = common::finish(off).await;
    assert_eq!(off.code, Some(0), "{off:#?}");
    assert!(!off.stdout.contains('\u{1b}'), "NO_COLOR wins: {off:#?}");
}
