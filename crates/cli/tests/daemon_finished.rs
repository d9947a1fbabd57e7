//! `streamwatch run` restarted on the same data directory does not POST a finished prompt
//! again: the run's end is stored, and the next start shows it stopped without a request.
//! Against the demo server's OpenAI-style endpoint; requests counted on its `/requests` log.

// Unix only: the daemon is stopped by a Unix signal.
#![cfg(unix)]

mod common;

use common::store::Data;
use common::{demo, get_json};
use std::time::Duration;

const PROMPT: &str =
    r#"{"model":"gpt-demo","stream":true,"messages":[{"role":"user","content":"only once"}]}"#;

/// How many requests went to the chat endpoint.
async fn posts(server: &streamwatch_demo_server::DemoServer) -> usize {
    let all = get_json(&server.url("/requests")).await;
    all.as_array()
        .expect("an array")
        .iter()
        .filter(|r| {
            r["path"]
                .as_str()
                .is_some_and(|p| p.contains("/v1/chat/completions"))
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_post_is_posted_once_across_two_daemon_starts() {
    let server = demo().await;
    let data = Data::new();
    let url = server.url("/v1/chat/completions?token_ms=0");
    data.ok(&[
        "subs",
        "add",
        "answer",
        &url,
        "-X",
        "POST",
        "-H",
        "Content-Type: application/json",
        "-d",
        PROMPT,
    ])
    .await;

    let mut run = data.daemon(&[]);
    run.until_state("answer", "stopped").await;
    let first = run.terminate().await;
    assert_eq!(
        posts(&server).await,
        1,
        "POSTed by the first start: {first:#?}"
    );

    let mut run = data.daemon(&[]);
    run.until_state("answer", "stopped").await;
    // Time for a wrongly sent request to arrive before counting.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let second = run.terminate().await;
    assert_eq!(
        posts(&server).await,
        1,
        "not POSTed again by the restart: {second:#?}"
    );
    assert!(
        !second
            .log
            .iter()
            .any(|l| l["subscription"] == "answer" && l["state"] == "open"),
        "the restart never opened the stream: {second:#?}"
    );
}
