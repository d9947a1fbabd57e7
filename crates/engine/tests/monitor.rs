//! The monitor end to end: saved subscriptions run against the real demo server, persist every
//! event, and resume after a restart with nothing lost and nothing stored twice.

use std::time::Duration;
use streamwatch_demo_server::DemoConfig;
use streamwatch_engine::catalog::{Catalog, HistoryQuery, SubscriptionRecord};
use streamwatch_engine::monitor::{Monitor, MonitorOptions};
use streamwatch_engine::storage::Store;
use streamwatch_engine::{State, SubscriptionId};
use streamwatch_test_support::{assert_consecutive, start_demo, wait_until};

const LIMIT: Duration = Duration::from_secs(15);

fn record(name: &str, url: &str) -> SubscriptionRecord {
    let mut r = SubscriptionRecord::new(name, url);
    r.retry.initial_ms = 20;
    r.retry.max_ms = 100;
    r
}

fn options(dir: &std::path::Path) -> MonitorOptions {
    MonitorOptions::new(dir.to_path_buf())
}

/// How many messages the monitor has seen for `id` (0 before its status exists).
fn messages_seen(monitor: &Monitor, id: SubscriptionId) -> u64 {
    monitor
        .supervisor()
        .status(id)
        .map(|s| s.messages)
        .unwrap_or(0)
}

/// Every stored event's `n`, oldest first, checking the id matches it.
fn stored_numbers(store: &Catalog, id: SubscriptionId) -> Vec<u64> {
    store
        .history(id, &HistoryQuery::default())
        .expect("history")
        .iter()
        .map(|m| {
            let v: serde_json::Value = serde_json::from_str(&m.data).expect("json data");
            let n = v["n"].as_u64().expect("n");
            assert_eq!(m.id, n.to_string(), "id and n agree");
            n
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_resumes_from_the_stored_id_with_no_loss_and_no_duplicates() {
    let server = start_demo(DemoConfig {
        rate: 300.0,
        ..DemoConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let monitor = Monitor::open(options(dir.path())).expect("open");
    let id = monitor
        .add(&record("demo", &server.url("/events")))
        .expect("add");
    wait_until("60 messages", LIMIT, || messages_seen(&monitor, id) >= 60).await;
    monitor.shutdown().await.expect("shutdown");

    let first = {
        let store = Catalog::open(dir.path(), Default::default()).expect("catalog");
        let ns = stored_numbers(&store, id);
        assert_consecutive(&ns);
        let last = *ns.last().expect("some");
        assert_eq!(store.resume_point(id).expect("rp"), Some(last.to_string()));
        ns
    };
    // Events keep coming while we are down; the restart must fetch them from the replay.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let monitor = Monitor::open(options(dir.path())).expect("reopen");
    let before = *first.last().expect("some");
    // The reopened monitor connects at once, so messages may already have arrived: the
    // count starts from the stored one and only grows (it is checked exactly below).
    let status = monitor.supervisor().status(id).expect("status");
    assert!(
        status.messages >= first.len() as u64,
        "counters carried over: {} < {}",
        status.messages,
        first.len()
    );
    wait_until("resumed past the downtime", LIMIT, || {
        let store = monitor.catalog();
        stored_numbers(store, id).last().copied().unwrap_or(0) > before + 120
    })
    .await;
    // Paused and flushed, every counted message is stored: the count must be the whole history.
    monitor.set_paused(id, true).expect("pause");
    wait_until("paused", LIMIT, || {
        monitor.supervisor().status(id).map(|s| s.state).ok() == Some(State::Paused)
    })
    .await;
    monitor.flush().await.expect("flush");
    let seen = messages_seen(&monitor, id);
    monitor.shutdown().await.expect("shutdown");

    let store = Catalog::open(dir.path(), Default::default()).expect("catalog");
    let all = stored_numbers(&store, id);
    assert_eq!(&all[..first.len()], &first[..]);
    assert_consecutive(&all);
    // Counting restarted from zero would leave the count short by the first run's messages.
    assert_eq!(seen, all.len() as u64, "counters carried over");
    let counters = store.counters(id).expect("counters");
    assert_eq!(
        counters.messages,
        all.len() as u64,
        "stored counters carried over"
    );
    let transitions = store.transitions(id, None).expect("transitions");
    assert!(
        transitions
            .iter()
            .any(|t| t.to == "open" && t.reason.contains("200")),
        "{transitions:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missed_events_beyond_the_replay_buffer_are_recorded_as_a_gap() {
    let server = start_demo(DemoConfig {
        rate: 200.0,
        replay: 5,
        ..DemoConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let monitor = Monitor::open(options(dir.path())).expect("open");
    let id = monitor
        .add(&record("lossy", &server.url("/events")))
        .expect("add");
    wait_until("first messages", LIMIT, || messages_seen(&monitor, id) >= 5).await;
    monitor.set_paused(id, true).expect("pause");
    // 200 ev/s for 500 ms is ~100 events, far more than the 5 the server replays.
    tokio::time::sleep(Duration::from_millis(500)).await;
    monitor.set_paused(id, false).expect("resume");
    wait_until("a gap", LIMIT, || {
        monitor.supervisor().status(id).map(|s| s.gaps).unwrap_or(0) >= 1
    })
    .await;
    let status = monitor.supervisor().status(id).expect("status");
    assert!(status.missed_events >= 50, "{status:#?}");
    monitor.flush().await.expect("flush");
    let gaps = monitor.catalog().gaps(id).expect("gaps");
    assert_eq!(gaps.len(), 1);
    assert_eq!(gaps[0].missed, status.missed_events);
    assert_eq!(gaps[0].next - gaps[0].after - 1, gaps[0].missed);
    let counters = monitor.catalog().counters(id).expect("counters");
    assert_eq!(
        (counters.gaps, counters.missed_events),
        (1, status.missed_events)
    );
    monitor.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_made_by_another_process_are_picked_up() {
    let server = start_demo(DemoConfig {
        rate: 100.0,
        ..DemoConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let monitor = Monitor::open(options(dir.path())).expect("open");
    // Another process (the CLI) writes to the same database.
    let other = Store::open(dir.path()).expect("second handle");
    let id = other
        .add_subscription(&record("from-cli", &server.url("/events")))
        .expect("add");
    let report = monitor.sync_from_store().expect("sync");
    assert_eq!(report.added, [id]);
    wait_until("messages", LIMIT, || messages_seen(&monitor, id) >= 3).await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    other.set_paused(id, true).expect("pause");
    let report = monitor.sync_from_store().expect("sync");
    assert_eq!(report.updated, [id]);
    wait_until("paused", LIMIT, || {
        monitor.supervisor().status(id).map(|s| s.state).ok() == Some(State::Paused)
    })
    .await;
    other.remove_subscription(id).expect("remove");
    let report = monitor.sync_from_store().expect("sync");
    assert_eq!(report.removed, [id]);
    assert!(monitor.supervisor().status(id).is_err());
    monitor.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_settings_are_refused_before_anything_is_saved() {
    let dir = tempfile::tempdir().expect("tempdir");
    let monitor = Monitor::open(options(dir.path())).expect("open");
    let err = monitor
        .add(&record("broken", "ftp://example.invalid/"))
        .expect_err("must refuse");
    assert!(err.to_string().contains("ftp"), "{err}");
    assert!(monitor.catalog().subscriptions().expect("list").is_empty());
    monitor.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_keeps_the_position_and_remove_deletes_history() {
    let server = start_demo(DemoConfig {
        rate: 200.0,
        ..DemoConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let monitor = Monitor::open(options(dir.path())).expect("open");
    let id = monitor
        .add(&record("edit-me", &server.url("/events")))
        .expect("add");
    wait_until("messages", LIMIT, || messages_seen(&monitor, id) >= 10).await;
    let mut edited = record("edited", &server.url("/events?size=20"));
    edited.idle_timeout_ms = Some(5000);
    monitor.update(id, &edited).expect("update");
    let seen = monitor.supervisor().status(id).expect("s").messages;
    wait_until("more messages", LIMIT, || {
        messages_seen(&monitor, id) >= seen + 20
    })
    .await;
    monitor.flush().await.expect("flush");
    {
        let store = monitor.catalog();
        assert_eq!(store.subscription(id).expect("saved").record.name, "edited");
        assert_consecutive(&stored_numbers(store, id));
    }
    monitor.remove(id).expect("remove");
    assert!(monitor.catalog().subscription(id).is_err());
    assert!(monitor
        .catalog()
        .history(id, &HistoryQuery::default())
        .map(|h| h.is_empty())
        .unwrap_or(true));
    monitor.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_broken_saved_subscription_does_not_stop_the_others() {
    let server = start_demo(DemoConfig {
        rate: 100.0,
        ..DemoConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = Store::open(dir.path()).expect("store");
        let mut broken = record("broken", &server.url("/events"));
        broken.method = "NOT A METHOD".into();
        store.add_subscription(&broken).expect("stored as given");
        store
            .add_subscription(&record("fine", &server.url("/events")))
            .expect("add");
    }
    let monitor = Monitor::open(options(dir.path())).expect("open despite one broken");
    let errors = monitor.startup_errors();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].name, "broken");
    assert!(
        errors[0].message.contains("method"),
        "{}",
        errors[0].message
    );
    let fine = monitor.catalog().find("fine").expect("fine").id;
    wait_until("the fine one runs", LIMIT, || {
        messages_seen(&monitor, fine) >= 2
    })
    .await;
    monitor.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn bad_notification_rules_are_refused_and_nothing_is_saved() {
    let dir = tempfile::tempdir().expect("temp dir");
    let monitor = Monitor::open(options(dir.path())).expect("open");
    let mut r = record("rules", "http://127.0.0.1:9/");
    r.notify = serde_json::json!({"messages": [{"regex": "(unclosed"}]});
    let e = monitor.add(&r).expect_err("refused");
    assert!(
        e.to_string()
            .contains("message rule 1: invalid regular expression"),
        "{e}"
    );
    assert!(monitor.catalog().subscriptions().expect("subs").is_empty());
    r.notify = serde_json::json!({"downAfterSecs": 5, "messages": [{"event": "alert"}]});
    let id = monitor.add(&r).expect("valid rules are saved");
    let mut bad = r.clone();
    bad.notify = serde_json::json!({"downAfterSecs": "soon"});
    assert!(monitor.update(id, &bad).is_err());
    let saved = monitor.catalog().subscription(id).expect("saved");
    assert_eq!(
        saved.record.notify["downAfterSecs"], 5,
        "the old rules are kept"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_beside_the_apps_own_changes_never_takes_them_for_outside_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let monitor = std::sync::Arc::new(Monitor::open(options(dir.path())).expect("open"));
    // The app's store watcher, as fast as it can go, while the app adds and edits.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let syncing = {
        let (monitor, stop) = (monitor.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut outside = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let r = monitor.sync_from_store().expect("sync");
                outside.extend(r.added);
                outside.extend(r.updated);
                outside.extend(r.errors.into_iter().map(|e| e.id));
            }
            outside
        })
    };
    for i in 0..60 {
        // Nothing listens there: only starting and reconnecting matter here.
        let id = monitor
            .add(&record(&format!("s{i}"), "http://127.0.0.1:9/events"))
            .expect("add");
        monitor.set_paused(id, i % 2 == 0).expect("pause");
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let outside = syncing.join().expect("the sync thread");
    assert!(
        outside.is_empty(),
        "the app's own changes were applied a second time: {outside:?}"
    );
    assert_eq!(monitor.supervisor().list().len(), 60);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_and_reset_counts_carry_over_a_restart() {
    use std::time::SystemTime;
    use streamwatch_engine::storage::{Record, Writer, WriterConfig};
    let dir = tempfile::tempdir().expect("tempdir");
    let id = {
        let store = Store::open(dir.path()).expect("store");
        let mut r = record("counted", "http://127.0.0.1:1/events");
        // Paused: nothing connects, so the figures are the stored ones alone.
        r.paused = true;
        let id = store.add_subscription(&r).expect("add");
        let writer = Writer::spawn(store.path(), WriterConfig::default()).expect("writer");
        let tx = writer.sender();
        for (n, replayed) in [(5u64, false), (4, true), (3, true)] {
            tx.send(Record::Message {
                sub: id,
                at: SystemTime::now(),
                event: "tick".into(),
                id: n.to_string().into(),
                data: "x".into(),
                replayed,
                mismatch: None,
            })
            .await
            .expect("send");
        }
        tx.send(Record::Reset {
            sub: id,
            at: SystemTime::now(),
            last: 5,
            first: 1,
        })
        .await
        .expect("send");
        drop(tx);
        writer.shutdown().await.expect("shutdown");
        id
    };
    let monitor = Monitor::open(options(dir.path())).expect("open");
    let status = monitor.supervisor().status(id).expect("status");
    assert_eq!(
        (status.messages, status.replayed, status.resets),
        (3, 2, 1),
        "{status:#?}"
    );
    monitor.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_redirect_mode_reaches_the_connection() {
    use streamwatch_engine::redirects::RedirectMode;
    use streamwatch_test_support::scripted_server::{Reply, ScriptedServer};
    let server = ScriptedServer::start(vec![
        Reply::raw(
            "HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\nConnection: close\r\n",
            b"",
        ),
        Reply::sse_then_hold("data: unreachable\n\n"),
    ])
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let monitor = Monitor::open(options(dir.path())).expect("open");
    let mut r = record("strict", &server.url("/s"));
    r.redirects = RedirectMode::Never;
    let id = monitor.add(&r).expect("add");
    wait_until("refused the redirect", LIMIT, || {
        monitor
            .supervisor()
            .status(id)
            .is_ok_and(|s| s.state == State::Failed)
    })
    .await;
    let status = monitor.supervisor().status(id).expect("status");
    let error = status.last_error.unwrap_or_default();
    assert!(error.contains("never"), "{error}");
    assert_eq!(server.requests().len(), 1, "the redirect was not followed");
    monitor.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_subscription_that_cannot_start_is_told_once_and_counts_as_down() {
    use streamwatch_engine::timeline::TimelineEvent;
    let server = start_demo(DemoConfig {
        rate: 100.0,
        ..DemoConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let url = server.url("/events");
    {
        let store = Store::open(dir.path()).expect("store");
        let mut broken = record("broken", &url);
        broken.method = "NOT A METHOD".into();
        store.add_subscription(&broken).expect("stored as given");
    }
    let monitor = Monitor::open(options(dir.path())).expect("open despite one broken");
    let id = monitor.catalog().find("broken").expect("saved").id;
    // The app's sync retries it every pass; the same reason is told once.
    monitor.sync_from_store().expect("sync");
    monitor.sync_from_store().expect("sync again");
    let steps = monitor.catalog().timeline(id, None).expect("timeline");
    let not_started: Vec<_> = steps
        .iter()
        .filter_map(|s| match &s.event {
            TimelineEvent::NotStarted { message } => Some(message.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(not_started.len(), 1, "{steps:?}");
    assert!(not_started[0].contains("method"), "{}", not_started[0]);
    let failed: Vec<_> = monitor
        .catalog()
        .transitions(id, None)
        .expect("transitions")
        .into_iter()
        .map(|t| (t.from, t.to))
        .collect();
    assert_eq!(failed, [("connecting".to_string(), "failed".to_string())]);

    // Fixed by an edit: the failed time ends when it starts, and it runs.
    let fixed = record("broken", &url);
    monitor.update(id, &fixed).expect("edit");
    wait_until("the fixed one runs", LIMIT, || {
        messages_seen(&monitor, id) >= 2
    })
    .await;
    monitor.flush().await.expect("flush");
    let states: Vec<_> = monitor
        .catalog()
        .transitions(id, None)
        .expect("transitions")
        .into_iter()
        .map(|t| format!("{}→{}", t.from, t.to))
        .collect();
    assert_eq!(
        states[..3],
        ["connecting→failed", "failed→connecting", "connecting→open"],
        "{states:?}"
    );
    monitor.shutdown().await.expect("shutdown");
}
