//! `watch` on a finite stream (an LLM answer to a POST): `--reconnect` decides whether it is
//! requested again, and `--json` prints the run's summary last. Against the demo server's
//! OpenAI-style endpoint; requests counted on its `/requests` log.

mod common;

use common::{demo, get_json, run};
use serde_json::Value;

const PROMPT: &str = r#"{"model":"gpt-demo","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hello streaming world"}]}"#;

/// How many requests went to a path containing `tag`.
async fn requests_to(server: &streamwatch_demo_server::DemoServer, tag: &str) -> usize {
    let all = get_json(&server.url("/requests")).await;
    all.as_array()
        .expect("an array")
        .iter()
        .filter(|r| r["path"].as_str().is_some_and(|p| p.contains(tag)))
        .count()
}

fn watch_args<'a>(url: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "watch",
        url,
        "--json",
        "-X",
        "POST",
        "-H",
        "Content-Type: application/json",
        "-d",
        PROMPT,
        "--retry-initial",
        "10",
    ];
    args.extend_from_slice(extra);
    args
}

#[tokio::test]
async fn a_done_answer_prints_its_summary_last_and_exits_0_after_one_post() {
    let server = demo().await;
    for (tag, extra) in [
        ("t=error", &["--reconnect", "error"][..]),
        ("t=default", &[][..]),
    ] {
        let url = server.url(&format!("/v1/chat/completions?token_ms=0&{tag}"));
        let out = run(&watch_args(&url, extra)).await;
        assert_eq!(out.code, Some(0), "{out:#?}");
        let lines = out.json();
        let types: Vec<&str> = lines.iter().filter_map(|l| l["type"].as_str()).collect();
        assert_eq!(types.first(), Some(&"started"), "{types:?}");
        assert_eq!(
            &types[types.len() - 2..],
            ["finished", "summary"],
            "{types:?}"
        );
        assert!(!types.contains(&"retrying"), "{types:?}");
        let s: &Value = lines.last().expect("a summary");
        assert_eq!(s["status"], 200);
        assert_eq!(s["end"], "done-sentinel");
        assert_eq!(s["format"], "openai-chat");
        assert_eq!(s["text"], "You said: hello streaming world");
        assert_eq!(s["finish_reason"], "stop");
        assert_eq!(s["usage"]["completion_tokens"], 5, "{s}");
        assert_eq!(s["events"], 9, "role, 5 tokens, finish, usage, [DONE]");
        for field in [
            "ttfb_ms",
            "first_event_ms",
            "first_token_ms",
            "duration_ms",
            "bytes",
        ] {
            assert!(s[field].is_u64(), "{field} in {s}");
        }
        assert_eq!(requests_to(&server, tag).await, 1, "POSTed once ({tag})");
    }
}

#[tokio::test]
async fn with_reconnect_always_the_prompt_is_posted_again() {
    let server = demo().await;
    let url = server.url("/v1/chat/completions?token_ms=0&t=always");
    let out = run(&watch_args(
        &url,
        &["--reconnect", "always", "--count", "20"],
    ))
    .await;
    assert_eq!(out.code, Some(0), "{out:#?}");
    assert!(requests_to(&server, "t=always").await >= 3);
}

#[tokio::test]
async fn a_broken_answer_with_reconnect_never_is_a_failure_with_its_summary() {
    let server = demo().await;
    let url = server.url("/v1/chat/completions?token_ms=0&abort_after=2&t=never");
    let out = run(&watch_args(&url, &["--reconnect", "never"])).await;
    assert_eq!(out.code, Some(1), "{out:#?}");
    let lines = out.json();
    let s = lines.last().expect("a summary");
    assert_eq!(
        (s["type"].as_str(), s["end"].as_str()),
        (Some("summary"), Some("error"))
    );
    assert_eq!(requests_to(&server, "t=never").await, 1);
}

#[tokio::test]
async fn the_users_end_event_ends_the_stream() {
    // The numbered stream never ends by itself; event type `tick` does here.
    let server = demo().await;
    let url = server.url("/events?rate=50&t=end-event");
    let out = run(&[
        "watch",
        &url,
        "--json",
        "--reconnect",
        "never",
        "--end-event",
        "tick",
    ])
    .await;
    assert_eq!(out.code, Some(0), "{out:#?}");
    let lines = out.json();
    let s = lines.last().expect("a summary");
    assert_eq!(
        (s["end"].as_str(), s["sentinel"].as_str()),
        (Some("done-sentinel"), Some("tick"))
    );
}
