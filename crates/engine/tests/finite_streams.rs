//! Finite streams (an LLM answer to a POST): the reconnect mode decides whether a stream that
//! ended is requested again, end sentinels end it even on a socket the server keeps open, and
//! each run's summary says how it went. Real local servers; requests counted server-side.

mod support;

use std::time::Duration;
use streamwatch_engine::connection::Outcome;
use streamwatch_engine::reconnect_mode::ReconnectMode;
use streamwatch_engine::run_summary::{EndReason, RunSummary};
use streamwatch_engine::{Lifecycle, State, SubscriptionConfig, SubscriptionId, Supervisor};
use streamwatch_test_support::scripted_server::{Reply, ScriptedServer};
use support::{count, messages, names, run_until};

const LIMIT: Duration = Duration::from_secs(10);

/// An OpenAI-style answer: two chunks, then `[DONE]`.
const ANSWER: &str = concat!(
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n",
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},\"finish_reason\":\"stop\"}]}\n\n",
    "data: [DONE]\n\n",
);

fn post(url: &str, mode: Option<ReconnectMode>) -> SubscriptionConfig {
    let mut c = SubscriptionConfig::new(url).expect("url");
    c.method = "POST".into();
    c.body = Some(r#"{"prompt":"hi"}"#.into());
    c.retry.initial_ms = 10;
    c.retry.max_ms = 40;
    c.reconnect = mode;
    c
}

fn finished(outcome: Option<Outcome>) -> Box<RunSummary> {
    match outcome {
        Some(Outcome::Finished { summary }) => summary,
        other => panic!("expected a finished run, got {other:?}"),
    }
}

/// Lets a wrongly scheduled reconnect (10–40 ms away) happen before counting requests.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn a_post_that_ends_with_done_is_sent_once_by_default() {
    let server = ScriptedServer::start(vec![Reply::sse(ANSWER)]).await;
    let config = post(&server.url("/v1/chat"), None);
    assert_eq!(config.reconnect_mode(), ReconnectMode::Error);
    let (events, outcome) = run_until(&config, LIMIT, |_| false).await;
    let summary = finished(outcome);
    settle().await;
    assert_eq!(server.requests().len(), 1, "POSTed once");
    assert_eq!(names(&events).last(), Some(&"finished"));
    assert_eq!(count(&events, "retrying"), 0);
    assert_eq!(summary.end, EndReason::DoneSentinel);
    assert_eq!(summary.sentinel.as_deref(), Some("[DONE]"));
    assert_eq!((summary.status, summary.events), (200, 3));
    assert_eq!(summary.bytes, ANSWER.len() as u64);
    assert!(summary.first_event_ms.is_some() && summary.first_token_ms.is_some());
    assert!(summary.ttfb_ms <= summary.duration_ms);
    let llm = summary.llm.as_ref().expect("recognised as OpenAI chat");
    assert_eq!(llm.text, "Hello");
    assert_eq!(llm.finish_reason.as_deref(), Some("stop"));
    assert_eq!(
        summary.words(),
        format!(
            "[DONE] after {}, 3 events",
            streamwatch_engine::liveness::words(Duration::from_millis(summary.duration_ms))
        )
    );
}

#[tokio::test]
async fn with_always_a_finished_stream_is_requested_again() {
    let server = ScriptedServer::start(vec![Reply::sse(ANSWER)]).await;
    let config = post(&server.url("/"), Some(ReconnectMode::Always));
    let (events, outcome) = run_until(&config, LIMIT, |e| count(e, "started") == 2).await;
    assert!(outcome.is_none(), "still running: {outcome:?}");
    assert!(server.requests().len() >= 2);
    assert_eq!(
        &names(&events)[..6],
        ["started", "message", "message", "message", "finished", "retrying"]
    );
}

#[tokio::test]
async fn the_sentinel_ends_the_stream_even_if_the_server_keeps_the_socket_open() {
    // Idle timeout automatic (at least 45 s): only the sentinel can end this within LIMIT.
    let server = ScriptedServer::start(vec![Reply::sse_then_hold(ANSWER)]).await;
    let config = post(&server.url("/"), Some(ReconnectMode::Error));
    let (events, outcome) = run_until(&config, LIMIT, |_| false).await;
    let summary = finished(outcome);
    assert_eq!(summary.end, EndReason::DoneSentinel);
    assert_eq!(messages(&events).len(), 3);
    settle().await;
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn anthropic_responses_and_the_users_end_event_are_sentinels() {
    for (body, end_event, sentinel) in [
        (
            "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
            None,
            "message_stop",
        ),
        (
            "event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{}}\n\n",
            None,
            "response.completed",
        ),
        ("event: tick\ndata: 1\n\nevent: bye\ndata: \n\n", Some("bye"), "bye"),
    ] {
        let server = ScriptedServer::start(vec![Reply::sse_then_hold(body)]).await;
        let mut config = post(&server.url("/"), None);
        config.end_event = end_event.map(str::to_string);
        let (_, outcome) = run_until(&config, LIMIT, |_| false).await;
        let summary = finished(outcome);
        assert_eq!(summary.sentinel.as_deref(), Some(sentinel));
        assert_eq!(server.requests().len(), 1, "{sentinel}");
    }
}

#[tokio::test]
async fn a_clean_close_without_a_sentinel_is_a_clean_end() {
    let server = ScriptedServer::start(vec![Reply::sse("data: a\n\ndata: b\n\n")]).await;
    let (_, outcome) = run_until(&post(&server.url("/"), None), LIMIT, |_| false).await;
    let summary = finished(outcome);
    assert_eq!(
        (summary.end, summary.events, summary.sentinel),
        (EndReason::CleanClose, 2, None)
    );
    assert!(summary.llm.is_none(), "not an LLM format");
    settle().await;
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_broken_stream_is_reconnected_with_error_and_not_with_never() {
    let cut = Reply::sse_then_abort("data: a\n\n");
    let server = ScriptedServer::start(vec![cut.clone(), Reply::sse(ANSWER)]).await;
    let config = post(&server.url("/"), Some(ReconnectMode::Error));
    let (events, outcome) = run_until(&config, LIMIT, |_| false).await;
    assert_eq!(finished(outcome).end, EndReason::DoneSentinel);
    assert_eq!(count(&events, "retrying"), 1, "{events:#?}");
    assert_eq!(server.requests().len(), 2);

    let server = ScriptedServer::start(vec![cut, Reply::sse(ANSWER)]).await;
    let config = post(&server.url("/"), Some(ReconnectMode::Never));
    let (events, outcome) = run_until(&config, LIMIT, |_| false).await;
    match outcome {
        Some(Outcome::NotReconnected { summary: Some(s) }) => assert_eq!(s.end, EndReason::Error),
        other => panic!("expected no reconnect, got {other:?}"),
    }
    assert!(events.iter().any(|e| matches!(
        e,
        Lifecycle::Error {
            will_retry: false,
            ..
        }
    )));
    assert_eq!(count(&events, "retrying"), 0);
    settle().await;
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn never_does_not_retry_a_failed_request_either() {
    let server = ScriptedServer::start(vec![Reply::status(503, ""), Reply::sse(ANSWER)]).await;
    let config = post(&server.url("/"), Some(ReconnectMode::Never));
    let (_, outcome) = run_until(&config, LIMIT, |_| false).await;
    assert_eq!(outcome, Some(Outcome::NotReconnected { summary: None }));
    settle().await;
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn the_supervisor_shows_a_finished_run_and_runs_it_again_on_resume() {
    let server = ScriptedServer::start(vec![Reply::sse(ANSWER)]).await;
    let sup = Supervisor::new(256).expect("supervisor");
    let id = SubscriptionId(1);
    sup.add(id, post(&server.url("/"), None), false)
        .expect("add");
    let s = wait(&sup, id, |s| s.state == State::Stopped).await;
    let ending = s.finished.expect("finished run kept");
    assert_eq!((ending.end, ending.events), (EndReason::DoneSentinel, 3));
    assert!(
        ending.words().starts_with("[DONE] after "),
        "{}",
        ending.words()
    );
    settle().await;
    assert_eq!(server.requests().len(), 1);
    assert_eq!(sup.status(id).expect("status").state, State::Stopped);
    // "Run again" is Resume: one more request, finished again.
    sup.resume(id).expect("resume");
    wait(&sup, id, |_| server.requests().len() == 2).await;
    wait(&sup, id, |s| {
        s.state == State::Stopped && s.finished.is_some()
    })
    .await;
    settle().await;
    assert_eq!(server.requests().len(), 2);
}

async fn wait(
    sup: &Supervisor,
    id: SubscriptionId,
    pred: impl Fn(&streamwatch_engine::Status) -> bool,
) -> streamwatch_engine::Status {
    let deadline = tokio::time::Instant::now() + LIMIT;
    loop {
        let s = sup.status(id).expect("status");
        if pred(&s) {
            return s;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never matched: {s:#?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
