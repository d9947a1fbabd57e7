//! Run notification rules on real runs against the demo server's OpenAI-style endpoint: a
//! first token slower than the limit (the server's `first_token_ms` knob) and an answer that
//! does not match the expected text are told in plain words; a run that could not connect is
//! told as failed.

use std::time::{Duration, SystemTime};
use streamwatch_demo_server::DemoConfig;
use streamwatch_engine::alerts::{Kind, Notifier, NotifyRules};
use streamwatch_engine::{SubscriptionConfig, SubscriptionId, Supervisor, SupervisorEvent};
use streamwatch_test_support::start_demo;

const PROMPT: &str =
    r#"{"model":"gpt-demo","stream":true,"messages":[{"role":"user","content":"hello probe"}]}"#;

fn post(url: &str) -> SubscriptionConfig {
    let mut c = SubscriptionConfig::new(url).expect("url");
    c.method = "POST".into();
    c.headers
        .push(("Content-Type".into(), "application/json".into()));
    c.body = Some(PROMPT.into());
    c
}

/// Runs `config` once under `rules` and returns the notifications its run gave.
async fn notifications(
    config: SubscriptionConfig,
    rules: serde_json::Value,
) -> Vec<(Kind, String)> {
    let sup = Supervisor::new(256).expect("supervisor");
    let mut events = sup.subscribe();
    let mut notifier = Notifier::new();
    let id = SubscriptionId(1);
    let rules = NotifyRules::from_json(&rules)
        .expect("rules")
        .compile()
        .expect("valid");
    notifier.upsert(id, "LLM probe", rules);
    sup.add(id, config, false).expect("add");
    let ended = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            let Some(event) = events.recv().await.ok() else {
                continue;
            };
            notifier.observe(&event, SystemTime::now());
            if matches!(event, SupervisorEvent::RunEnded { .. }) {
                return;
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the run ended");
    notifier
        .drain()
        .into_iter()
        .filter(|n| n.kind == Kind::Run)
        .map(|n| (n.kind, n.title))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_first_token_and_an_unexpected_answer_are_told() {
    let server = start_demo(DemoConfig {
        llm_token: Duration::from_millis(5),
        ..DemoConfig::default()
    })
    .await;
    let config = post(&server.url("/v1/chat/completions?first_token_ms=400"));
    let rules = serde_json::json!({"runs": {
        "firstTokenMs": 100,
        "totalMs": 60000,
        "noSentinel": true,
        "expect": {"contains": "Paris"}
    }});
    let told = notifications(config, rules).await;
    let titles: Vec<&str> = told.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(titles.len(), 2, "{titles:?}");
    assert!(
        titles[0].starts_with("LLM probe: ")
            && titles[0].ends_with("to first token (limit 100 ms)"),
        "{titles:?}"
    );
    assert_eq!(
        titles[1],
        "LLM probe: the answer does not match (contains \u{201c}Paris\u{201d})"
    );

    // The same run with an answer that matches and generous limits tells nothing.
    let config = post(&server.url("/v1/chat/completions"));
    let rules =
        serde_json::json!({"runs": {"firstTokenMs": 30000, "expect": {"regex": "hello\\s+probe"}}});
    assert_eq!(notifications(config, rules).await, vec![]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_cannot_connect_is_told_as_failed() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let mut config = post(&format!("http://127.0.0.1:{port}/v1/chat/completions"));
    config.reconnect = Some(streamwatch_engine::reconnect_mode::ReconnectMode::Never);
    let told = notifications(config, serde_json::json!({})).await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(told[0].1.starts_with("LLM probe: run failed: "), "{told:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_llm_format_the_events_data_is_the_answer() {
    let server = start_demo(DemoConfig::default()).await;
    // Three numbered events `{"n":…,"pad":"xxx…"}`, then a clean close.
    let mut config = SubscriptionConfig::new(&server.url("/events?count=3")).expect("url");
    config.reconnect = Some(streamwatch_engine::reconnect_mode::ReconnectMode::Error);
    let rules = serde_json::json!({"runs": {"expect": {"regex": "^\\{\"n\":\\d+"}}});
    assert_eq!(notifications(config.clone(), rules).await, vec![]);
    let rules = serde_json::json!({"runs": {"expect": {"contains": "\"pad\":\"y"}}});
    let told = notifications(config, rules).await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(told[0].1.contains("the answer does not match"), "{told:?}");
}
