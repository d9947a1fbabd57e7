//! The supervisor: many subscriptions, commands, status snapshots, and fan-out that never
//! lets a slow consumer stall the network.

use std::time::Duration;
use streamwatch_engine::supervisor::SupervisorError;
use streamwatch_engine::{
    Lifecycle, State, SubscriptionConfig, SubscriptionId, Supervisor, SupervisorEvent,
};
use streamwatch_test_support::scripted_server::{Reply, ScriptedServer};
use tokio::sync::broadcast;

const LIMIT: Duration = Duration::from_secs(10);

fn config(url: &str) -> SubscriptionConfig {
    let mut c = SubscriptionConfig::new(url).expect("url");
    c.retry.initial_ms = 10;
    c.retry.max_ms = 50;
    c
}

/// Waits until `id`'s status satisfies `pred`.
async fn wait_status(
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
            "status never matched; last {s:#?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits for a lifecycle event of `id` matching `pred`.
async fn wait_event(
    rx: &mut streamwatch_engine::event_bus::EventReceiver,
    id: SubscriptionId,
    pred: impl Fn(&Lifecycle) -> bool,
) -> Lifecycle {
    let deadline = tokio::time::Instant::now() + LIMIT;
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Ok(SupervisorEvent::Lifecycle { id: got, event, .. })) if got == id => {
                if pred(&event) {
                    return event;
                }
            }
            Ok(Ok(_)) | Ok(Err(broadcast::error::RecvError::Lagged(_))) => {}
            Ok(Err(e)) => panic!("channel closed: {e}"),
            Err(_) => panic!("event never came"),
        }
    }
}

#[tokio::test]
async fn runs_many_subscriptions_and_keeps_snapshots() {
    let good = ScriptedServer::start(vec![Reply::sse_then_hold(
        "id: 1\ndata: abc\n\nid: 2\ndata: de\n\n",
    )])
    .await;
    let bad = ScriptedServer::start(vec![Reply::status(404, "")]).await;
    let sup = Supervisor::new(1024).expect("supervisor");
    sup.add(SubscriptionId(1), config(&good.url("/")), false)
        .expect("add");
    sup.add(SubscriptionId(2), config(&bad.url("/")), false)
        .expect("add");
    let s1 = wait_status(&sup, SubscriptionId(1), |s| s.messages == 2).await;
    assert_eq!(s1.state, State::Open);
    assert_eq!(s1.bytes, 5);
    assert_eq!(s1.last_id.as_str(), "2");
    assert!(s1.connected_since.is_some() && s1.last_message_at.is_some());
    let s2 = wait_status(&sup, SubscriptionId(2), |s| s.state == State::Failed).await;
    assert!(s2.last_error.as_deref().unwrap_or("").contains("404"));
    let ids: Vec<u64> = sup.list().iter().map(|(id, _)| id.0).collect();
    assert_eq!(ids, [1, 2]);
}

#[tokio::test]
async fn rejects_duplicates_unknown_ids_and_bad_config() {
    let sup = Supervisor::new(16).expect("supervisor");
    let c = config("http://127.0.0.1:9/");
    sup.add(SubscriptionId(1), c.clone(), true).expect("add");
    assert!(matches!(
        sup.add(SubscriptionId(1), c.clone(), true),
        Err(SupervisorError::Duplicate(_))
    ));
    assert!(matches!(
        sup.pause(SubscriptionId(9)),
        Err(SupervisorError::NotFound(_))
    ));
    let mut bad = c;
    bad.method = "NOT A METHOD".into();
    assert!(matches!(
        sup.add(SubscriptionId(2), bad, false),
        Err(SupervisorError::Config(_))
    ));
}

#[tokio::test]
async fn pause_closes_the_stream_and_resume_continues_from_the_last_id() {
    let server = ScriptedServer::start(vec![
        Reply::sse_then_hold("id: 10\ndata: a\n\n"),
        Reply::sse_then_hold("id: 11\ndata: b\n\n"),
    ])
    .await;
    let sup = Supervisor::new(1024).expect("supervisor");
    let id = SubscriptionId(7);
    sup.add(id, config(&server.url("/")), false).expect("add");
    wait_status(&sup, id, |s| s.messages == 1).await;
    sup.pause(id).expect("pause");
    wait_status(&sup, id, |s| s.state == State::Paused).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(server.requests().len(), 1, "paused: no reconnect");
    sup.resume(id).expect("resume");
    let s = wait_status(&sup, id, |s| s.messages == 2).await;
    assert_eq!(s.last_id.as_str(), "11");
    assert_eq!(server.requests()[1].header("last-event-id"), Some("10"));
}

#[tokio::test]
async fn a_subscription_added_paused_does_not_connect() {
    let server = ScriptedServer::start(vec![Reply::sse_then_hold("data: a\n\n")]).await;
    let sup = Supervisor::new(16).expect("supervisor");
    sup.add(SubscriptionId(1), config(&server.url("/")), true)
        .expect("add");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        sup.status(SubscriptionId(1)).expect("s").state,
        State::Paused
    );
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn reconnect_now_skips_a_long_backoff() {
    let server = ScriptedServer::start(vec![
        Reply::status(503, "Retry-After: 3600\r\n"),
        Reply::sse_then_hold("data: back\n\n"),
    ])
    .await;
    let sup = Supervisor::new(1024).expect("supervisor");
    let id = SubscriptionId(1);
    sup.add(id, config(&server.url("/")), false).expect("add");
    let s = wait_status(&sup, id, |s| s.state == State::Retrying).await;
    assert_eq!(s.attempt, 1);
    assert!(s.next_retry_at.is_some());
    sup.reconnect_now(id).expect("reconnect");
    let s = wait_status(&sup, id, |s| s.messages == 1).await;
    assert_eq!(s.state, State::Open);
}

#[tokio::test]
async fn a_failed_subscription_can_be_resumed() {
    let server = ScriptedServer::start(vec![
        Reply::status(401, ""),
        Reply::sse_then_hold("data: ok\n\n"),
    ])
    .await;
    let sup = Supervisor::new(1024).expect("supervisor");
    let id = SubscriptionId(1);
    sup.add(id, config(&server.url("/")), false).expect("add");
    wait_status(&sup, id, |s| s.state == State::Failed).await;
    sup.resume(id).expect("resume");
    wait_status(&sup, id, |s| s.messages == 1).await;
}

#[tokio::test]
async fn update_reconnects_with_the_new_config_and_keeps_the_position() {
    let server = ScriptedServer::start(vec![
        Reply::sse_then_hold("id: 3\ndata: a\n\n"),
        Reply::sse_then_hold("data: b\n\n"),
    ])
    .await;
    let sup = Supervisor::new(1024).expect("supervisor");
    let id = SubscriptionId(1);
    sup.add(id, config(&server.url("/one")), false)
        .expect("add");
    wait_status(&sup, id, |s| s.messages == 1).await;
    let mut c = config(&server.url("/two"));
    c.add_header_line("X-Version: 2").expect("header");
    sup.update(id, c.clone(), false).expect("update");
    wait_status(&sup, id, |s| s.messages == 2).await;
    let reqs = server.requests();
    assert_eq!(reqs[1].path, "/two");
    assert_eq!(reqs[1].header("x-version"), Some("2"));
    assert_eq!(reqs[1].header("last-event-id"), Some("3"));
    assert_eq!(sup.config(id).expect("config"), c);
}

#[tokio::test]
async fn remove_stops_the_connection_and_says_so() {
    let server = ScriptedServer::start(vec![Reply::sse_then_hold("data: a\n\n")]).await;
    let sup = Supervisor::new(1024).expect("supervisor");
    let mut rx = sup.subscribe();
    let id = SubscriptionId(1);
    sup.add(id, config(&server.url("/")), false).expect("add");
    wait_event(&mut rx, id, |e| matches!(e, Lifecycle::Message { .. })).await;
    sup.remove(id).expect("remove");
    let deadline = tokio::time::Instant::now() + LIMIT;
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Ok(SupervisorEvent::Removed { id: got })) => {
                assert_eq!(got, id);
                break;
            }
            Ok(_) => {}
            Err(_) => panic!("no Removed event"),
        }
    }
    assert!(sup.is_empty());
    assert!(matches!(sup.status(id), Err(SupervisorError::NotFound(_))));
}

#[tokio::test]
async fn events_fan_out_with_state_changes() {
    let server = ScriptedServer::start(vec![
        Reply::sse("id: 1\ndata: a\n\n"),
        Reply::sse_then_hold("data: b\n\n"),
    ])
    .await;
    let sup = Supervisor::new(1024).expect("supervisor");
    let mut rx = sup.subscribe();
    let id = SubscriptionId(3);
    sup.add(id, config(&server.url("/")), false).expect("add");
    let mut states = Vec::new();
    let mut lifecycle = Vec::new();
    let deadline = tokio::time::Instant::now() + LIMIT;
    while lifecycle.iter().filter(|n| **n == "message").count() < 2 {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Ok(SupervisorEvent::Status { status, .. })) => states.push(status.state),
            Ok(Ok(SupervisorEvent::Lifecycle { event, .. })) => lifecycle.push(event.name()),
            Ok(_) => {}
            Err(_) => panic!("stalled: {lifecycle:?}"),
        }
    }
    assert_eq!(
        lifecycle,
        [
            "connecting",
            "started",
            "message",
            "finished",
            "retrying",
            "connecting",
            "started",
            "message"
        ]
    );
    assert_eq!(
        states,
        // The first Connecting is the initial snapshot, so it is no change.
        [State::Open, State::Retrying, State::Connecting, State::Open]
    );
}

#[tokio::test]
async fn a_consumer_that_never_reads_does_not_stall_the_streams() {
    let mut body = String::new();
    for n in 1..=5000 {
        body.push_str(&format!("id: {n}\ndata: {n}\n\n"));
    }
    let server = ScriptedServer::start(vec![Reply::sse_then_hold(&body)]).await;
    let sup = Supervisor::new(16).expect("supervisor");
    // Subscribed and never read: it must lag, not block.
    let mut stuck = sup.subscribe();
    sup.add(SubscriptionId(1), config(&server.url("/")), false)
        .expect("add");
    let s = wait_status(&sup, SubscriptionId(1), |s| s.messages == 5000).await;
    assert_eq!(s.last_id.as_str(), "5000");
    match stuck.try_recv() {
        Err(broadcast::error::TryRecvError::Lagged(n)) => assert!(n > 4000),
        other => panic!("expected the stuck consumer to lag, got {other:?}"),
    }
}
