//! Sleep, wake and offline as the supervisor obeys them: fed through
//! `Supervisor::conditions` as the platform watchers feed it (the watchers themselves are
//! tested against a real system bus and a real network namespace elsewhere).

use std::time::{Duration, Instant};
use streamwatch_engine::{State, SubscriptionConfig, SubscriptionId, Supervisor};
use streamwatch_test_support::scripted_server::{Reply, ScriptedServer};

const LIMIT: Duration = Duration::from_secs(10);

fn config(url: &str) -> SubscriptionConfig {
    let mut c = SubscriptionConfig::new(url).expect("url");
    // A long backoff: only the wake can explain a quick reconnect.
    c.retry.initial_ms = 60_000;
    c.retry.max_ms = 60_000;
    c
}

async fn wait_state(sup: &Supervisor, id: SubscriptionId, state: State) {
    let deadline = tokio::time::Instant::now() + LIMIT;
    loop {
        let s = sup.status(id).expect("status");
        if s.state == state {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never {state:?}; last {s:#?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn sleep_holds_every_stream_and_a_wake_reconnects_at_once_from_the_last_id() {
    let server = ScriptedServer::start(vec![
        Reply::sse_then_hold("id: 7\ndata: a\n\n"),
        Reply::sse_then_hold("id: 8\ndata: b\n\n"),
    ])
    .await;
    let sup = Supervisor::new(64).expect("supervisor");
    let id = SubscriptionId(1);
    sup.add(id, config(&server.url("/s")), false).expect("add");
    wait_state(&sup, id, State::Open).await;
    tokio::time::sleep(Duration::from_millis(100)).await;

    sup.conditions().sleeping();
    wait_state(&sup, id, State::Offline).await;
    let status = sup.status(id).expect("status");
    assert_eq!(status.down_since, None, "asleep is not down");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(server.requests().len(), 1, "nothing tried while asleep");

    let woke = Instant::now();
    sup.conditions().woke();
    wait_state(&sup, id, State::Open).await;
    // Jitter of up to 1 s, not the 60 s backoff.
    assert!(
        woke.elapsed() < Duration::from_millis(2500),
        "{:?}",
        woke.elapsed()
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].header("last-event-id"), Some("7"));
}

#[tokio::test]
async fn a_wake_without_the_sleep_notice_still_reconnects_an_open_stream() {
    let server = ScriptedServer::start(vec![
        Reply::sse_then_hold("id: 1\ndata: a\n\n"),
        Reply::sse_then_hold("id: 2\ndata: b\n\n"),
    ])
    .await;
    let sup = Supervisor::new(64).expect("supervisor");
    let id = SubscriptionId(1);
    sup.add(id, config(&server.url("/s")), false).expect("add");
    wait_state(&sup, id, State::Open).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    sup.conditions().woke();
    let deadline = tokio::time::Instant::now() + LIMIT;
    while server.requests().len() < 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no reconnect after the wake"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(server.requests()[1].header("last-event-id"), Some("1"));
}

#[tokio::test]
async fn offline_holds_streams_that_need_the_network_but_not_loopback_ones() {
    let server = ScriptedServer::start(vec![Reply::sse_then_hold("id: 1\ndata: a\n\n")]).await;
    let sup = Supervisor::new(64).expect("supervisor");
    let local = SubscriptionId(1);
    let remote = SubscriptionId(2);
    sup.add(local, config(&server.url("/s")), false)
        .expect("add");
    wait_state(&sup, local, State::Open).await;
    sup.conditions().set_online(false);
    // TEST-NET-2: never reachable, so only the offline hold explains no attempt at all.
    sup.add(remote, config("http://198.51.100.7:9/"), false)
        .expect("add");
    wait_state(&sup, remote, State::Offline).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        sup.status(local).expect("status").state,
        State::Open,
        "loopback needs no network"
    );
    let remote_status = sup.status(remote).expect("status");
    assert_eq!(remote_status.state, State::Offline);
    assert_eq!(remote_status.attempt, 0, "no attempt while offline");
    assert_eq!(
        remote_status.down_since, None,
        "offline is not the server's downtime"
    );

    sup.conditions().set_online(true);
    // Back online: it tries at once (its connect to TEST-NET-2 then hangs in "connecting").
    wait_state(&sup, remote, State::Connecting).await;
}
