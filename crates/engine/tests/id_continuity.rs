//! No event is dropped without a trace: servers that re-send events after a reconnect, restart
//! their id counter on every connection, or jump back mid-stream, against real local servers.
//! Every event is delivered; replays are marked, resets reported and stored, gaps still found.

mod support;

use std::time::Duration;
use streamwatch_demo_server::DemoConfig;
use streamwatch_engine::catalog::{Catalog, HistoryQuery, SubscriptionRecord};
use streamwatch_engine::monitor::{Monitor, MonitorOptions};
use streamwatch_engine::storage::DB_FILE_NAME;
use streamwatch_engine::{Lifecycle, SubscriptionConfig, SubscriptionId};
use streamwatch_test_support::scripted_server::{Reply, ScriptedServer};
use streamwatch_test_support::{start_demo, wait_until};
use support::{count, delays, messages, run_until};

const LIMIT: Duration = Duration::from_secs(10);

fn config(url: &str) -> SubscriptionConfig {
    let mut c = SubscriptionConfig::new(url).expect("url");
    c.retry.initial_ms = 10;
    c.retry.max_ms = 80;
    c
}

/// Every message's (id, replayed), in order.
fn ids(events: &[Lifecycle]) -> Vec<(String, bool)> {
    events
        .iter()
        .filter_map(|e| match e {
            Lifecycle::Message { id, replayed, .. } => Some((id.to_string(), *replayed)),
            _ => None,
        })
        .collect()
}

fn resets(events: &[Lifecycle]) -> Vec<(u64, u64)> {
    events
        .iter()
        .filter_map(|e| match e {
            Lifecycle::Reset { last, first } => Some((*last, *first)),
            _ => None,
        })
        .collect()
}

fn owned(pairs: &[(&str, bool)]) -> Vec<(String, bool)> {
    pairs.iter().map(|(i, r)| (i.to_string(), *r)).collect()
}

#[tokio::test]
async fn a_replay_is_delivered_marked_and_followed_without_a_gap() {
    let server = ScriptedServer::start(vec![
        Reply::sse("id: 40\ndata: a\n\nid: 41\ndata: b\n\n"),
        Reply::sse_then_hold(
            "id: 39\ndata: z\n\nid: 40\ndata: a\n\nid: 41\ndata: b\n\nid: 42\ndata: c\n\n",
        ),
    ])
    .await;
    let (events, _) = run_until(&config(&server.url("/")), LIMIT, |e| messages(e).len() == 6).await;
    assert_eq!(
        ids(&events),
        owned(&[
            ("40", false),
            ("41", false),
            ("39", true),
            ("40", true),
            ("41", true),
            ("42", false)
        ])
    );
    assert_eq!((count(&events, "gap"), count(&events, "reset")), (0, 0));
    assert_eq!(server.requests()[1].header("last-event-id"), Some("41"));
}

#[tokio::test]
async fn a_jump_past_the_resumed_id_after_a_replay_is_still_a_gap() {
    let server = ScriptedServer::start(vec![
        Reply::sse("id: 40\ndata: a\n\nid: 41\ndata: b\n\n"),
        Reply::sse_then_hold("id: 41\ndata: b\n\nid: 45\ndata: f\n\n"),
    ])
    .await;
    let (events, _) = run_until(&config(&server.url("/")), LIMIT, |e| messages(e).len() == 4).await;
    assert_eq!(
        ids(&events),
        owned(&[("40", false), ("41", false), ("41", true), ("45", false)])
    );
    assert!(events.contains(&Lifecycle::Gap {
        after: 41,
        next: 45,
        missed: 3
    }));
}

#[tokio::test]
async fn a_server_that_starts_again_at_one_is_a_reset_and_nothing_is_dropped() {
    // Ignores Last-Event-ID and starts over: the case that used to print nothing at all.
    let server = ScriptedServer::start(vec![
        Reply::sse("id: 1\ndata: a\n\nid: 2\ndata: b\n\n"),
        Reply::sse_then_hold("id: 1\ndata: a\n\nid: 2\ndata: b\n\nid: 3\ndata: c\n\n"),
    ])
    .await;
    let (events, _) = run_until(&config(&server.url("/")), LIMIT, |e| messages(e).len() == 5).await;
    assert_eq!(messages(&events), ["a", "b", "a", "b", "c"]);
    assert_eq!(resets(&events), [(2, 1)]);
    assert!(ids(&events).iter().all(|(_, replayed)| !replayed));
    assert_eq!(count(&events, "gap"), 0);
}

#[tokio::test]
async fn ids_that_jump_back_mid_stream_are_a_reset_and_the_new_counter_is_followed() {
    let server = ScriptedServer::start(vec![
        Reply::sse("id: 5\ndata: a\n\nid: 6\ndata: b\n\nid: 2\ndata: c\n\nid: 3\ndata: d\n\n"),
        // Resumed from 3, the new counter: a jump from there is a gap.
        Reply::sse_then_hold("id: 9\ndata: e\n\n"),
    ])
    .await;
    let (events, _) = run_until(&config(&server.url("/")), LIMIT, |e| messages(e).len() == 5).await;
    assert_eq!(messages(&events), ["a", "b", "c", "d", "e"]);
    assert_eq!(resets(&events), [(6, 2)]);
    assert_eq!(server.requests()[1].header("last-event-id"), Some("3"));
    assert!(events.contains(&Lifecycle::Gap {
        after: 3,
        next: 9,
        missed: 5
    }));
}

#[tokio::test]
async fn the_demo_servers_counter_reset_is_reported_on_every_reconnect_and_backoff_stays_low() {
    let server = start_demo(DemoConfig::default()).await;
    // Each connection sends 1, 2, 3 and drops.
    let url = server.url("/events?rate=0&reset_ids=1&close_after=3");
    let (events, _) = run_until(&config(&url), LIMIT, |e| messages(e).len() == 9).await;
    let got: Vec<String> = ids(&events).into_iter().map(|(id, _)| id).collect();
    assert_eq!(got, ["1", "2", "3", "1", "2", "3", "1", "2", "3"]);
    assert_eq!(resets(&events), [(3, 1), (3, 1)]);
    assert_eq!(count(&events, "gap"), 0);
    // Every connection delivered, so no retry is a second consecutive failure.
    assert!(
        delays(&events).iter().all(|(attempt, _)| *attempt == 1),
        "{:?}",
        delays(&events)
    );
}

#[tokio::test]
async fn the_demo_servers_resend_is_a_marked_replay() {
    let server = start_demo(DemoConfig::default()).await;
    // 1..=4, drop; resumed from 4, the server re-sends 3 and 4 first.
    let url = server.url("/events?rate=0&close_after=4&resend=2");
    let (events, _) = run_until(&config(&url), LIMIT, |e| messages(e).len() == 8).await;
    assert_eq!(
        ids(&events),
        owned(&[
            ("1", false),
            ("2", false),
            ("3", false),
            ("4", false),
            ("3", true),
            ("4", true),
            ("5", false),
            ("6", false)
        ])
    );
    assert_eq!((count(&events, "gap"), count(&events, "reset")), (0, 0));
}

fn record(name: &str, url: &str) -> SubscriptionRecord {
    let mut r = SubscriptionRecord::new(name, url);
    r.retry.initial_ms = 20;
    r.retry.max_ms = 100;
    r
}

fn status(monitor: &Monitor, id: SubscriptionId) -> streamwatch_engine::Status {
    monitor.supervisor().status(id).expect("status")
}

/// Every stored message's (event id, replayed flag), oldest first, read from the file itself.
fn stored_flags(dir: &std::path::Path, id: SubscriptionId) -> Vec<(String, bool)> {
    let conn = rusqlite::Connection::open(dir.join(DB_FILE_NAME)).expect("sqlite");
    let mut stmt = conn
        .prepare("SELECT event_id, replayed FROM messages WHERE subscription_id = ?1 ORDER BY seq")
        .expect("prepare");
    let rows = stmt
        .query_map([id.0 as i64], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query");
    rows.collect::<Result<_, _>>().expect("rows")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resets_and_replays_are_stored_with_every_event() {
    let server = start_demo(DemoConfig::default()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let monitor = Monitor::open(MonitorOptions::new(dir.path().to_path_buf())).expect("open");
    let restarts = monitor
        .add(&record(
            "restarts",
            &server.url("/events?rate=0&reset_ids=1&close_after=3"),
        ))
        .expect("add");
    let replays = monitor
        .add(&record(
            "replays",
            &server.url("/events?rate=0&close_after=4&resend=2"),
        ))
        .expect("add");
    wait_until("two resets and a replay", LIMIT, || {
        status(&monitor, restarts).resets >= 2 && status(&monitor, replays).messages >= 8
    })
    .await;
    monitor.set_paused(restarts, true).expect("pause");
    monitor.set_paused(replays, true).expect("pause");
    monitor.flush().await.expect("flush");
    let (r, p) = (status(&monitor, restarts), status(&monitor, replays));
    assert_eq!(r.replayed, 0);
    assert_eq!((p.resets, p.gaps), (0, 0), "{p:#?}");

    let catalog: &Catalog = monitor.catalog();
    let stored = catalog.resets(restarts).expect("resets");
    assert_eq!(stored.len() as u64, r.resets);
    assert!(
        stored.iter().all(|s| (s.last, s.first) == (3, 1)),
        "{stored:?}"
    );
    let history = catalog
        .history(restarts, &HistoryQuery::default())
        .expect("history");
    assert_eq!(
        history.len() as u64,
        r.messages,
        "every event after a reset is stored"
    );

    let flags = stored_flags(dir.path(), replays);
    assert_eq!(flags.len() as u64, p.messages, "replays are stored too");
    let replayed = flags.iter().filter(|(_, r)| *r).count() as u64;
    assert_eq!(replayed, p.replayed);
    assert!(replayed >= 2);
    // The resume point is the newest id that was not a replay.
    let newest = flags
        .iter()
        .rev()
        .find(|(_, r)| !r)
        .map(|(id, _)| id.clone());
    assert_eq!(catalog.resume_point(replays).expect("rp"), newest);
    assert_eq!(p.last_id.as_str(), newest.as_deref().unwrap_or_default());
    assert_eq!(
        flags[..8],
        owned(&[
            ("1", false),
            ("2", false),
            ("3", false),
            ("4", false),
            ("3", true),
            ("4", true),
            ("5", false),
            ("6", false)
        ])
    );
    monitor.shutdown().await.expect("shutdown");
}

fn gaps(events: &[Lifecycle]) -> Vec<(u64, u64, u64)> {
    events
        .iter()
        .filter_map(|e| match e {
            Lifecycle::Gap {
                after,
                next,
                missed,
            } => Some((*after, *next, *missed)),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn ids_skipped_inside_one_connection_are_gaps_and_every_event_is_delivered() {
    let server = start_demo(DemoConfig::default()).await;
    // One connection, held open after ten events: 1 2 3 5 6 7 9 10 11 13.
    let url = server.url("/events?rate=0&skip=3&stall_after=10");
    let (events, _) = run_until(&config(&url), LIMIT, |e| messages(e).len() == 10).await;
    let got: Vec<String> = ids(&events).into_iter().map(|(id, _)| id).collect();
    assert_eq!(got, ["1", "2", "3", "5", "6", "7", "9", "10", "11", "13"]);
    assert_eq!(gaps(&events), [(3, 5, 1), (7, 9, 1), (11, 13, 1)]);
    assert_eq!(count(&events, "started"), 1, "all inside one connection");
    // Each gap is told before the event that revealed it.
    let pos = |want: &str| {
        events
            .iter()
            .position(|e| matches!(e, Lifecycle::Message { id, .. } if id.as_str() == want))
    };
    let first_gap = events.iter().position(|e| e.name() == "gap");
    assert!(first_gap > pos("3") && first_gap < pos("5"), "{events:#?}");
}

#[tokio::test]
async fn sparse_ids_inside_one_connection_are_not_gaps() {
    // Numbered by tens from the start: never a step of one, so no counter to skip.
    let server = ScriptedServer::start(vec![Reply::sse_then_hold(
        "id: 10\ndata: a\n\nid: 20\ndata: b\n\nid: 30\ndata: c\n\nid: 5f2a-uuid\ndata: d\n\n",
    )])
    .await;
    let (events, _) = run_until(&config(&server.url("/")), LIMIT, |e| messages(e).len() == 4).await;
    assert_eq!(messages(&events), ["a", "b", "c", "d"]);
    assert_eq!((count(&events, "gap"), count(&events, "reset")), (0, 0));
}

#[tokio::test]
async fn the_demo_servers_counter_restarting_mid_connection_is_a_reset_with_every_event() {
    let server = start_demo(DemoConfig::default()).await;
    // One connection: 1 2 3, then 1 2 3 again, then 1, held open.
    let url = server.url("/events?rate=0&jump_back=3&stall_after=7");
    let (events, _) = run_until(&config(&url), LIMIT, |e| messages(e).len() == 7).await;
    let got: Vec<String> = ids(&events).into_iter().map(|(id, _)| id).collect();
    assert_eq!(got, ["1", "2", "3", "1", "2", "3", "1"]);
    assert_eq!(resets(&events), [(3, 1), (3, 1)]);
    assert!(ids(&events).iter().all(|(_, replayed)| !replayed));
    assert_eq!(count(&events, "gap"), 0);
    assert_eq!(count(&events, "started"), 1, "all inside one connection");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gaps_and_resets_inside_one_connection_are_stored_and_counted() {
    let server = start_demo(DemoConfig::default()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let monitor = Monitor::open(MonitorOptions::new(dir.path().to_path_buf())).expect("open");
    let skips = monitor
        .add(&record(
            "skips",
            &server.url("/events?rate=0&skip=3&stall_after=10"),
        ))
        .expect("add");
    let jumps = monitor
        .add(&record(
            "jumps",
            &server.url("/events?rate=0&jump_back=3&stall_after=7"),
        ))
        .expect("add");
    wait_until("ten events with gaps, seven with resets", LIMIT, || {
        status(&monitor, skips).messages >= 10 && status(&monitor, jumps).messages >= 7
    })
    .await;
    monitor.flush().await.expect("flush");
    let (s, j) = (status(&monitor, skips), status(&monitor, jumps));
    assert_eq!((s.gaps, s.missed_events, s.resets), (3, 3, 0), "{s:#?}");
    assert_eq!((j.gaps, j.resets), (0, 2), "{j:#?}");

    let catalog: &Catalog = monitor.catalog();
    let stored: Vec<(u64, u64, u64)> = catalog
        .gaps(skips)
        .expect("gaps")
        .iter()
        .map(|g| (g.after, g.next, g.missed))
        .collect();
    assert_eq!(stored, [(3, 5, 1), (7, 9, 1), (11, 13, 1)]);
    let counters = catalog.counters(skips).expect("counters");
    assert_eq!((counters.gaps, counters.missed_events), (3, 3));
    let stored: Vec<(u64, u64)> = catalog
        .resets(jumps)
        .expect("resets")
        .iter()
        .map(|r| (r.last, r.first))
        .collect();
    assert_eq!(stored, [(3, 1), (3, 1)]);
    let history = catalog
        .history(jumps, &HistoryQuery::default())
        .expect("history");
    assert_eq!(history.len(), 7, "every event around a reset is stored");
    monitor.shutdown().await.expect("shutdown");
}
