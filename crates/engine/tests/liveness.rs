//! Liveness by default, end to end against a real local server that stalls: headers and a few
//! events, then silence with the socket open. With no idle timeout configured, the engine
//! itself says the stream went stale (a stored transition and a notification), cuts the
//! half-open connection after the automatic idle timeout, reconnects, and says when data
//! comes again.

use std::time::Duration;
use streamwatch_engine::alerts::{Kind, Notification, Notifier, NotifyRules};
use streamwatch_engine::catalog::SubscriptionRecord;
use streamwatch_engine::monitor::{Monitor, MonitorOptions};
use streamwatch_engine::{ErrorKind, Lifecycle, State, SupervisorEvent};
use streamwatch_test_support::scripted_server::{Reply, ScriptedServer};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;

const LIMIT: Duration = Duration::from_secs(20);
/// The automatic idle timeout's floor for this test (45 s in use): above the 2 s stale
/// threshold a 100 ms stream learns, so the silence is told before the reconnect.
const FLOOR: Duration = Duration::from_secs(4);

/// Six events 100 ms apart, then silence with the socket held open.
fn stalling() -> Reply {
    let mut reply = Reply::sse_then_hold("id: 1\ndata: one\n\n");
    for i in 2..=6 {
        reply = reply.then(
            Duration::from_millis(100),
            format!("id: {i}\ndata: n\n\n").as_bytes(),
        );
    }
    reply
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_stream_is_told_stale_cut_by_the_automatic_idle_timeout_and_told_fresh() {
    let server = ScriptedServer::start(vec![
        stalling(),
        Reply::sse_then_hold("id: 7\ndata: back\n\n"),
    ])
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut opts = MonitorOptions::new(dir.path().to_path_buf());
    opts.idle_floor = FLOOR;
    let monitor = Monitor::open(opts).expect("open");

    let mut bus = monitor.supervisor().subscribe();
    let (tx, mut rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            match bus.recv().await {
                Ok(event) => {
                    if tx.send(event).is_err() {
                        return;
                    }
                }
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return,
            }
        }
    });

    let mut record = SubscriptionRecord::new("Orders feed", server.url("/events"));
    assert_eq!(record.idle_timeout_ms, None, "no idle timeout configured");
    record.retry.initial_ms = 20;
    record.retry.max_ms = 100;
    let id = monitor.add(&record).expect("add");
    let mut notifier = Notifier::new();
    let rules = NotifyRules::default().compile().expect("rules");
    notifier.upsert(id, "Orders feed", rules);

    // Watch until the data after the reconnect arrives.
    let mut notes: Vec<Notification> = Vec::new();
    let mut timeouts = Vec::new();
    let deadline = tokio::time::Instant::now() + LIMIT;
    let mut back = false;
    while !back {
        let event = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("no data after the reconnect; notes {notes:#?}"))
            .expect("bus open");
        notifier.observe(&event, std::time::SystemTime::now());
        notes.extend(notifier.drain());
        if let SupervisorEvent::Lifecycle { event, .. } = &event {
            match event {
                Lifecycle::Error {
                    kind: ErrorKind::Timeout,
                    message,
                    ..
                } => timeouts.push(message.clone()),
                Lifecycle::Message { data, .. } if data.as_str() == "back" => back = true,
                _ => {}
            }
        }
    }
    // The fresh snapshot may come right after the message.
    monitor.flush().await.expect("flush");
    while let Ok(event) = rx.try_recv() {
        notifier.observe(&event, std::time::SystemTime::now());
        notes.extend(notifier.drain());
    }

    assert_eq!(
        timeouts,
        ["no data for 4 s (automatic idle timeout)"],
        "the half-open socket was cut once, by the automatic timeout"
    );
    assert_eq!(server.requests().len(), 2, "it reconnected on its own");

    let transitions = monitor
        .catalog()
        .transitions(id, None)
        .expect("transitions");
    let liveness: Vec<(&str, &str, &str)> = transitions
        .iter()
        .filter(|t| t.from == "stale" || t.to == "stale")
        .map(|t| (t.from.as_str(), t.to.as_str(), t.reason.as_str()))
        .collect();
    assert_eq!(liveness.len(), 2, "{transitions:#?}");
    assert_eq!(
        (liveness[0].0, liveness[0].1),
        ("open", "stale"),
        "{transitions:#?}"
    );
    assert!(
        liveness[0]
            .2
            .starts_with("no data for 2 s (usually every 0.1 s)"),
        "{}",
        liveness[0].2
    );
    assert_eq!((liveness[1].0, liveness[1].1), ("stale", "open"));
    assert!(
        liveness[1].2.starts_with("data again after 4"),
        "silent from the 6th event to the reconnect's first: {}",
        liveness[1].2
    );

    let told: Vec<(Kind, &str)> = notes
        .iter()
        .filter(|n| matches!(n.kind, Kind::Stale | Kind::Fresh))
        .map(|n| (n.kind, n.title.as_str()))
        .collect();
    assert_eq!(
        told,
        [
            (Kind::Stale, "Orders feed: no data for 2 s"),
            (Kind::Fresh, "Orders feed: data again"),
        ],
        "{notes:#?}"
    );
    let stale = notes.iter().find(|n| n.kind == Kind::Stale).expect("stale");
    assert!(
        stale.body.starts_with("Usually every 0.1 s."),
        "{}",
        stale.body
    );

    let status = monitor.supervisor().status(id).expect("status");
    assert_eq!((status.state, status.stale_since), (State::Open, None));
    assert_eq!(status.reconnects, 1);
}
