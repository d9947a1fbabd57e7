//! Probes and stored runs against the real demo server: a probe runs once per slot and POSTs
//! exactly once per stored run (counted server-side on `/requests`), with the run's figures
//! and assembled text; a probe that cannot connect stores failed runs; after a restart a probe
//! keeps its schedule, and a finite stream that finished stays finished (not POSTed again)
//! until "Run again".

use std::time::Duration;
use streamwatch_demo_server::{DemoConfig, DemoServer};
use streamwatch_engine::catalog::SubscriptionRecord;
use streamwatch_engine::monitor::{Monitor, MonitorOptions};
use streamwatch_engine::storage::{Store, Writer, WriterConfig};
use streamwatch_engine::{State, SubscriptionConfig, Supervisor};
use streamwatch_test_support::{start_demo, wait_until};

const LIMIT: Duration = Duration::from_secs(20);

const PROMPT: &str = r#"{"model":"gpt-demo","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hello probe"}]}"#;

/// The demo server with a quick token pace.
async fn demo() -> DemoServer {
    start_demo(DemoConfig {
        llm_token: Duration::from_millis(5),
        ..DemoConfig::default()
    })
    .await
}

/// How many POSTs the demo server logged on its chat endpoint.
async fn chat_posts(server: &DemoServer) -> usize {
    let text = reqwest::get(server.url("/requests"))
        .await
        .expect("GET /requests")
        .text()
        .await
        .expect("a body");
    let all: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    all.as_array()
        .expect("an array")
        .iter()
        .filter(|r| {
            r["method"] == "POST" && r["path"].as_str().is_some_and(|p| p.contains("/v1/chat"))
        })
        .count()
}

fn chat_record(name: &str, url: &str) -> SubscriptionRecord {
    let mut r = SubscriptionRecord::new(name, url);
    r.method = "POST".into();
    r.headers.push(streamwatch_engine::storage::StoredHeader {
        name: "Content-Type".into(),
        value: "application/json".into(),
        secret: false,
    });
    r.body = Some(PROMPT.into());
    r
}

fn chat_config(url: &str, every: Duration) -> SubscriptionConfig {
    let mut c = SubscriptionConfig::new(url).expect("url");
    c.method = "POST".into();
    c.headers
        .push(("Content-Type".into(), "application/json".into()));
    c.body = Some(PROMPT.into());
    c.probe_every = Some(every);
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_probe_runs_once_per_slot_and_stores_each_run_with_its_figures() {
    let server = demo().await;
    let url = server.url("/v1/chat/completions");
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    let id = store
        .add_subscription(&chat_record("probe", &url))
        .expect("add");
    let writer = Writer::spawn(store.path(), WriterConfig::default()).expect("writer");
    let sup = Supervisor::with_recorder(256, writer.sender()).expect("supervisor");
    sup.add(id, chat_config(&url, Duration::from_secs(1)), false)
        .expect("add");

    let ended_ok = |store: &Store| {
        store
            .runs(id, 100, None)
            .expect("runs")
            .iter()
            .filter(|r| r.ok == Some(true))
            .count()
    };
    let deadline = tokio::time::Instant::now() + LIMIT;
    while ended_ok(&store) < 3 {
        assert!(tokio::time::Instant::now() < deadline, "3 probe runs");
        writer.flush().await.expect("flush");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Between runs the probe says when it runs next.
    let status = sup.status(id).expect("status");
    assert!(
        status.state != State::Stopped || status.next_run_at.is_some(),
        "{status:?}"
    );
    sup.remove(id).expect("remove");
    tokio::time::sleep(Duration::from_millis(300)).await;
    writer.flush().await.expect("flush");

    let runs = store.runs(id, 100, None).expect("runs");
    assert_eq!(
        runs.len(),
        chat_posts(&server).await,
        "one POST per stored run"
    );
    assert!(
        runs.len() <= 5,
        "one run per ~1 s slot, not a retry storm: {}",
        runs.len()
    );
    let done: Vec<_> = runs.iter().filter(|r| r.ok == Some(true)).collect();
    for r in &done {
        assert!(r.probe && r.finished_cleanly());
        assert_eq!(r.status, Some(200));
        assert_eq!(r.sentinel.as_deref(), Some("[DONE]"));
        assert_eq!(r.format.as_deref(), Some("openai-chat"));
        assert!(
            r.text.as_deref().is_some_and(|t| t.contains("hello probe")),
            "{r:?}"
        );
        assert_eq!(r.finish_reason.as_deref(), Some("stop"));
        assert!(r.usage.is_some(), "{r:?}");
        assert!(r.first_token_ms.is_some() && r.duration_ms.is_some());
        assert!(r.ttfb_ms <= r.duration_ms);
    }
    // Slots count from each run's start: about a second apart, newest first.
    for pair in done.windows(2) {
        let gap = pair[0]
            .started_at
            .duration_since(pair[1].started_at)
            .expect("newest first");
        assert!(
            gap >= Duration::from_millis(900) && gap < Duration::from_millis(2500),
            "{gap:?}"
        );
    }
    let stats = store
        .run_stats(id, std::time::SystemTime::UNIX_EPOCH)
        .expect("stats");
    assert!(
        stats.ok >= 3 && stats.total as usize == runs.len(),
        "{stats:?}"
    );
    writer.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_probe_that_cannot_connect_stores_failed_runs() {
    // A port nobody listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let url = format!("http://127.0.0.1:{port}/v1/chat/completions");
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    let id = store
        .add_subscription(&chat_record("refused", &url))
        .expect("add");
    let writer = Writer::spawn(store.path(), WriterConfig::default()).expect("writer");
    let sup = Supervisor::with_recorder(256, writer.sender()).expect("supervisor");
    sup.add(id, chat_config(&url, Duration::from_secs(1)), false)
        .expect("add");
    let deadline = tokio::time::Instant::now() + LIMIT;
    loop {
        writer.flush().await.expect("flush");
        let runs = store.runs(id, 10, None).expect("runs");
        if runs.iter().filter(|r| r.ended_at.is_some()).count() >= 2 {
            for r in runs.iter().filter(|r| r.ended_at.is_some()) {
                assert_eq!(r.ok, Some(false), "{r:?}");
                assert_eq!(r.status, None);
                let words = r.failure.as_deref().unwrap_or_default();
                assert!(
                    words.contains("refused") || words.contains("connect"),
                    "{words}"
                );
            }
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "2 failed runs: {runs:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = sup.status(id).expect("status");
    assert_eq!(
        status.attempt, 0,
        "no retries inside a probe run: {status:?}"
    );
    sup.remove(id).expect("remove");
    writer.shutdown().await.expect("shutdown");
}

fn options(dir: &std::path::Path) -> MonitorOptions {
    let mut o = MonitorOptions::new(dir.to_path_buf());
    o.watch_system = false;
    o
}

/// Waits until `id`'s newest stored run ended.
async fn until_run_ended(monitor: &Monitor, id: streamwatch_engine::SubscriptionId) {
    let deadline = tokio::time::Instant::now() + LIMIT;
    loop {
        monitor.flush().await.expect("flush");
        let last = monitor.catalog().runs(id, 1, None).expect("runs");
        if last.first().is_some_and(|r| r.ended_at.is_some()) {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "a run ended");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_probe_keeps_its_schedule_across_a_restart() {
    let server = demo().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut record = chat_record("probe", &server.url("/v1/chat/completions"));
    record.probe_every_ms = Some(60_000);
    let monitor = Monitor::open(options(dir.path())).expect("open");
    let id = monitor.add(&record).expect("add");
    until_run_ended(&monitor, id).await;
    monitor.shutdown().await.expect("shutdown");
    assert_eq!(chat_posts(&server).await, 1);

    // Its last run was moments ago: the restart waits for the next slot, about a minute on.
    let monitor = Monitor::open(options(dir.path())).expect("reopen");
    wait_until("the probe waits", LIMIT, || {
        monitor
            .supervisor()
            .status(id)
            .is_ok_and(|s| s.next_run_at.is_some())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(chat_posts(&server).await, 1, "not run again at once");
    let status = monitor.supervisor().status(id).expect("status");
    assert_eq!(status.state, State::Stopped);
    let due = status.next_run_at.expect("next run");
    let left = due
        .duration_since(std::time::SystemTime::now())
        .expect("in the future");
    assert!(
        left > Duration::from_secs(50) && left < Duration::from_secs(62),
        "{left:?}"
    );

    // "Run now" runs it at once.
    monitor.reconnect_now(id).expect("run now");
    wait_until("a second run", LIMIT, || {
        monitor.catalog().runs(id, 10, None).map_or(0, |r| r.len()) >= 2
    })
    .await;
    until_run_ended(&monitor, id).await;
    assert_eq!(chat_posts(&server).await, 2);
    monitor.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_finite_stream_stays_finished_across_restarts_until_run_again() {
    let server = demo().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let record = chat_record("answer", &server.url("/v1/chat/completions"));
    let monitor = Monitor::open(options(dir.path())).expect("open");
    let id = monitor.add(&record).expect("add");
    until_run_ended(&monitor, id).await;
    monitor.shutdown().await.expect("shutdown");
    assert_eq!(chat_posts(&server).await, 1);

    let finished = |m: &Monitor| {
        m.supervisor()
            .status(id)
            .is_ok_and(|s| s.state == State::Stopped && s.finished.is_some())
    };
    let monitor = Monitor::open(options(dir.path())).expect("reopen");
    wait_until("finished after a restart", LIMIT, || finished(&monitor)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(chat_posts(&server).await, 1, "not POSTed again on restart");

    // Run again: one more POST.
    monitor.reconnect_now(id).expect("run again");
    wait_until("a second run", LIMIT, || {
        monitor.catalog().runs(id, 10, None).map_or(0, |r| r.len()) >= 2
    })
    .await;
    until_run_ended(&monitor, id).await;
    wait_until("finished again", LIMIT, || finished(&monitor)).await;
    assert_eq!(chat_posts(&server).await, 2);
    monitor.shutdown().await.expect("shutdown");

    let monitor = Monitor::open(options(dir.path())).expect("reopen twice");
    wait_until("still finished", LIMIT, || finished(&monitor)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        chat_posts(&server).await,
        2,
        "still 2 after another restart"
    );

    // A rename keeps it finished; an edit of anything else runs it again.
    let mut renamed = monitor.catalog().subscription(id).expect("saved").record;
    renamed.name = "answer 2".into();
    monitor.rename(id, "answer 2").expect("rename");
    monitor.shutdown().await.expect("shutdown");
    let monitor = Monitor::open(options(dir.path())).expect("reopen after rename");
    wait_until("finished after a rename", LIMIT, || finished(&monitor)).await;
    renamed.body = Some(PROMPT.replace("hello probe", "hello again"));
    monitor.update(id, &renamed).expect("edit");
    until_run_ended(&monitor, id).await;
    wait_until("the edit ran it", LIMIT, || {
        monitor.catalog().runs(id, 10, None).map_or(0, |r| r.len()) >= 3
    })
    .await;
    monitor.shutdown().await.expect("shutdown");
    assert_eq!(chat_posts(&server).await, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_probe_between_runs_says_when_it_runs_next_and_pause_stops_it() {
    let server = demo().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut record = chat_record("probe", &server.url("/v1/chat/completions"));
    record.probe_every_ms = Some(10_000);
    let monitor = Monitor::open(options(dir.path())).expect("open");
    let id = monitor.add(&record).expect("add");
    until_run_ended(&monitor, id).await;
    wait_until("waiting for the next slot", LIMIT, || {
        monitor
            .supervisor()
            .status(id)
            .is_ok_and(|s| s.state == State::Stopped && s.next_run_at.is_some())
    })
    .await;
    monitor.flush().await.expect("flush");
    let transitions = monitor
        .catalog()
        .transitions(id, None)
        .expect("transitions");
    let last = transitions.last().expect("a transition");
    assert!(
        last.reason.starts_with("last run ok: [DONE] after ")
            && last.reason.contains("; next run at "),
        "{last:?}"
    );
    let timeline = monitor.catalog().timeline(id, None).expect("timeline");
    assert!(
        timeline.iter().any(|t| matches!(
            t.event,
            streamwatch_engine::timeline::TimelineEvent::RunFinished { .. }
        )),
        "{timeline:?}"
    );
    // Paused, the schedule stops: nothing runs on its own.
    monitor.set_paused(id, true).expect("pause");
    wait_until("paused", LIMIT, || {
        monitor
            .supervisor()
            .status(id)
            .is_ok_and(|s| s.state == State::Paused && s.next_run_at.is_none())
    })
    .await;
    assert_eq!(chat_posts(&server).await, 1);
    monitor.shutdown().await.expect("shutdown");
}
