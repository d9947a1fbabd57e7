//! The group-commit writer: atomic message + last id, batching, retention, dropped records,
//! full disk, and a real kill -9.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime};
use streamwatch_engine::record_queue::RecordSender;
use streamwatch_engine::storage::{
    HistoryQuery, PageLimit, Record, Retention, StorageError, Store, SubscriptionRecord, Writer,
    WriterConfig, WriterHealth,
};
use streamwatch_engine::{State, SubscriptionId};
use streamwatch_test_support::process::{single_test, KillOnDrop};
use streamwatch_test_support::wait_for;

fn setup(retention: Retention) -> (tempfile::TempDir, Store, SubscriptionId) {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let mut r = SubscriptionRecord::new("feed", "http://127.0.0.1:1/feed");
    r.retention = retention;
    let id = store.add_subscription(&r).unwrap();
    (tmp, store, id)
}

fn message(sub: SubscriptionId, i: u64, at: SystemTime) -> Record {
    Record::Message {
        sub,
        at,
        event: "tick".into(),
        id: i.to_string().into(),
        data: format!("{{\"n\":{i},\"pad\":\"{}\"}}", "x".repeat(80)).into(),
        replayed: false,
        mismatch: None,
    }
}

async fn send_range(tx: &RecordSender, sub: SubscriptionId, range: std::ops::Range<u64>) {
    for i in range {
        tx.send(message(sub, i, SystemTime::now())).await.unwrap();
    }
}

fn all(store: &Store, id: SubscriptionId) -> Vec<streamwatch_engine::storage::StoredMessage> {
    store.history(id, &HistoryQuery::default()).unwrap()
}

#[tokio::test]
async fn messages_and_last_id_are_committed_together() {
    let (_tmp, store, id) = setup(Retention::default());
    let writer = Writer::spawn(store.path(), WriterConfig::default()).unwrap();
    send_range(&writer.sender(), id, 1..1001).await;
    writer.flush().await.unwrap();

    assert_eq!(store.resume_point(id).unwrap().as_deref(), Some("1000"));
    let h = all(&store, id);
    assert_eq!(h.len(), 1000);
    for (i, m) in h.iter().enumerate() {
        assert_eq!(m.seq, i as u64 + 1, "history is not contiguous");
        assert_eq!(m.id, (i + 1).to_string());
        assert_eq!(m.event, "tick");
    }
    assert_eq!(store.message_count(id).unwrap(), 1000);
    let c = store.counters(id).unwrap();
    assert_eq!(c.messages, 1000);
    assert_eq!(c.bytes, h.iter().map(|m| m.data.len() as u64).sum::<u64>());

    // An id-only block moves the resume point without adding history.
    writer
        .sender()
        .send(Record::LastId {
            sub: id,
            id: "1001".into(),
        })
        .await
        .unwrap();
    writer.flush().await.unwrap();
    assert_eq!(store.resume_point(id).unwrap().as_deref(), Some("1001"));
    assert_eq!(store.message_count(id).unwrap(), 1000);

    // Queries: newest first with a limit, seq windows, time.
    let newest = store.history(id, &HistoryQuery::latest(3)).unwrap();
    assert_eq!(
        newest.iter().map(|m| m.seq).collect::<Vec<_>>(),
        [1000, 999, 998]
    );
    let window = store
        .history(
            id,
            &HistoryQuery {
                after_seq: Some(10),
                before_seq: Some(14),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(
        window.iter().map(|m| m.seq).collect::<Vec<_>>(),
        [11, 12, 13]
    );
    let future = store
        .history(
            id,
            &HistoryQuery {
                since: Some(SystemTime::now() + Duration::from_secs(60)),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(future.is_empty());
    writer.shutdown().await.unwrap();
}

#[tokio::test]
async fn group_commit_batches_many_records_per_transaction() {
    let (_tmp, store, id) = setup(Retention::default());
    let writer = Writer::spawn(store.path(), WriterConfig::default()).unwrap();
    send_range(&writer.sender(), id, 0..10_000).await;
    writer.flush().await.unwrap();
    let stats = writer.stats();
    println!("10,000 records committed in {} transactions", stats.commits);
    assert_eq!(stats.records, 10_000);
    assert!(
        stats.commits <= 100,
        "{} commits for 10,000 records",
        stats.commits
    );
    assert_eq!(store.message_count(id).unwrap(), 10_000);
    writer.shutdown().await.unwrap();
}

#[tokio::test]
async fn seq_continues_across_restarts() {
    let (_tmp, store, id) = setup(Retention::default());
    for round in 0..2u64 {
        let writer = Writer::spawn(store.path(), WriterConfig::default()).unwrap();
        send_range(&writer.sender(), id, round * 5..round * 5 + 5).await;
        writer.shutdown().await.unwrap();
    }
    let seqs: Vec<u64> = all(&store, id).iter().map(|m| m.seq).collect();
    assert_eq!(seqs, (1..=10).collect::<Vec<_>>());
}

#[tokio::test]
async fn records_of_unknown_or_removed_subscriptions_are_dropped_quietly() {
    let (_tmp, store, id) = setup(Retention::default());
    let other = store
        .add_subscription(&SubscriptionRecord::new("other", "http://127.0.0.1:1/"))
        .unwrap();
    store.remove_subscription(other).unwrap();
    let writer = Writer::spawn(store.path(), WriterConfig::default()).unwrap();
    let tx = writer.sender();
    // Mixed into one batch with a live subscription's records.
    for i in 0..5 {
        tx.send(message(SubscriptionId(9_999), i, SystemTime::now()))
            .await
            .unwrap();
        tx.send(message(other, i, SystemTime::now())).await.unwrap();
        tx.send(message(id, i, SystemTime::now())).await.unwrap();
    }
    tx.send(Record::LastId {
        sub: other,
        id: "x".into(),
    })
    .await
    .unwrap();
    writer.flush().await.unwrap();
    let stats = writer.stats();
    assert_eq!(stats.dropped, 11);
    assert_eq!(stats.records, 5);
    assert_eq!(store.message_count(id).unwrap(), 5);
    assert_eq!(*writer.health().borrow(), WriterHealth::Ok);
    writer.shutdown().await.unwrap();
}

#[tokio::test]
async fn transitions_and_gaps_are_logged_and_counted() {
    let (_tmp, store, id) = setup(Retention::default());
    let writer = Writer::spawn(store.path(), WriterConfig::default()).unwrap();
    let tx = writer.sender();
    let t0 = SystemTime::now();
    tx.send(Record::Transition {
        sub: id,
        at: t0,
        from: State::Connecting,
        to: State::Open,
        reason: "200 OK".into(),
    })
    .await
    .unwrap();
    tx.send(Record::Gap {
        sub: id,
        at: t0,
        after: 41,
        next: 57,
        missed: 15,
    })
    .await
    .unwrap();
    tx.send(Record::Gap {
        sub: id,
        at: t0,
        after: u64::MAX - 10,
        next: u64::MAX,
        missed: 9,
    })
    .await
    .unwrap();
    tx.send(Record::Transition {
        sub: id,
        at: t0 + Duration::from_secs(1),
        from: State::Open,
        to: State::Retrying,
        reason: "connection reset".into(),
    })
    .await
    .unwrap();
    writer.flush().await.unwrap();

    let t = store.transitions(id, None).unwrap();
    assert_eq!(t.len(), 2);
    assert_eq!(
        (t[0].from.as_str(), t[0].to.as_str()),
        ("connecting", "open")
    );
    assert_eq!(
        (t[1].to.as_str(), t[1].reason.as_str()),
        ("retrying", "connection reset")
    );
    let later = store
        .transitions(id, Some(t0 + Duration::from_millis(500)))
        .unwrap();
    assert_eq!(later.len(), 1);

    let g = store.gaps(id).unwrap();
    assert_eq!(g.len(), 2);
    assert_eq!((g[0].after, g[0].next, g[0].missed), (41, 57, 15));
    assert_eq!((g[1].after, g[1].next), (u64::MAX - 10, u64::MAX));
    let c = store.counters(id).unwrap();
    assert_eq!((c.gaps, c.missed_events, c.messages), (2, 24, 0));
    writer.shutdown().await.unwrap();
}

#[tokio::test]
async fn retention_keeps_at_most_max_rows() {
    let (_tmp, store, id) = setup(Retention {
        max_rows: 100,
        ..Retention::default()
    });
    let cfg = WriterConfig {
        max_batch_rows: 64,
        ..WriterConfig::default()
    };
    let writer = Writer::spawn(store.path(), cfg).unwrap();
    for chunk in 0..10u64 {
        send_range(&writer.sender(), id, chunk * 100..chunk * 100 + 100).await;
        writer.flush().await.unwrap();
        assert!(store.message_count(id).unwrap() <= 100);
    }
    let h = all(&store, id);
    assert_eq!(h.len(), 100);
    assert_eq!(h.first().unwrap().seq, 901);
    assert_eq!(h.last().unwrap().seq, 1000);
    assert_eq!(store.resume_point(id).unwrap().as_deref(), Some("999"));
    // Lifetime counters are not lowered by retention.
    assert_eq!(store.counters(id).unwrap().messages, 1000);
    assert_eq!(writer.stats().pruned, 900);
    writer.shutdown().await.unwrap();
}

#[tokio::test]
async fn retention_drops_messages_older_than_max_age() {
    let (_tmp, store, id) = setup(Retention {
        max_rows: 100_000,
        max_age: Duration::from_secs(3600),
    });
    let writer = Writer::spawn(store.path(), WriterConfig::default()).unwrap();
    let tx = writer.sender();
    let old = SystemTime::now() - Duration::from_secs(2 * 3600);
    for i in 0..50 {
        tx.send(message(id, i, old)).await.unwrap();
    }
    tx.send(Record::Transition {
        sub: id,
        at: old,
        from: State::Connecting,
        to: State::Open,
        reason: "old".into(),
    })
    .await
    .unwrap();
    send_range(&tx, id, 50..60).await;
    writer.flush().await.unwrap();

    let h = all(&store, id);
    assert_eq!(
        h.iter().map(|m| m.seq).collect::<Vec<_>>(),
        (51..=60).collect::<Vec<_>>()
    );
    assert!(store.transitions(id, None).unwrap().is_empty());
    assert_eq!(store.counters(id).unwrap().messages, 60);

    // Even when retention empties the history, seq keeps counting after a restart.
    writer.shutdown().await.unwrap();
    let writer = Writer::spawn(store.path(), WriterConfig::default()).unwrap();
    send_range(&writer.sender(), id, 60..61).await;
    writer.flush().await.unwrap();
    assert_eq!(all(&store, id).last().unwrap().seq, 61);
    writer.shutdown().await.unwrap();
}

async fn wait_for_failing(writer: &Writer) -> String {
    let mut health = writer.health();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let WriterHealth::Failing { error, .. } = &*health.borrow_and_update() {
            return error.clone();
        }
        assert!(
            Instant::now() < deadline,
            "the writer never reported a failure"
        );
        let _ = tokio::time::timeout(Duration::from_millis(100), health.changed()).await;
    }
}

#[tokio::test]
async fn large_messages_are_bounded_by_bytes_the_producer_waits_and_nothing_is_lost() {
    let (_tmp, store, id) = setup(Retention::default());
    let limit = PageLimit::new(0);
    let cfg = WriterConfig {
        channel_bytes: 1 << 20,
        max_batch_bytes: 512 << 10,
        page_limit: Some(limit.clone()),
        ..WriterConfig::default()
    };
    let writer = Writer::spawn(store.path(), cfg).unwrap();
    let big = move |i: u64| Record::Message {
        sub: id,
        at: SystemTime::now(),
        event: "big".into(),
        id: i.to_string().into(),
        data: "x".repeat(300 << 10).into(),
        replayed: false,
        mismatch: None,
    };
    // A full disk: nothing commits, so nothing gives its bytes back.
    limit.set(1);
    let tx = writer.sender();
    let producer = tokio::spawn(async move {
        for i in 0..8 {
            tx.send(big(i)).await.unwrap();
        }
    });
    wait_for_failing(&writer).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    // 8 × 300 KiB do not fit in 1 MiB although the channel has 8,192 slots: the producer
    // waits (counted), it does not drop.
    assert!(
        !producer.is_finished(),
        "the producer should wait for bytes"
    );
    assert!(writer.stats().byte_waits >= 1);
    assert!(writer.sender().free_bytes() < 300 << 10);
    limit.set(0);
    producer.await.unwrap();
    writer.flush().await.unwrap();
    let h = all(&store, id);
    assert_eq!(h.len(), 8);
    assert!(h.iter().all(|m| m.data.len() == 300 << 10));
    assert_eq!(
        writer.sender().free_bytes(),
        1 << 20,
        "every byte given back"
    );
}

#[tokio::test]
async fn a_full_disk_keeps_the_batch_reports_and_recovers() {
    let (_tmp, store, id) = setup(Retention::default());
    let limit = PageLimit::new(0);
    let cfg = WriterConfig {
        max_batch_rows: 512,
        page_limit: Some(limit.clone()),
        ..WriterConfig::default()
    };
    let writer = Writer::spawn(store.path(), cfg).unwrap();
    send_range(&writer.sender(), id, 0..10).await;
    writer.flush().await.unwrap();

    // Cap the file at its current size: the next batch cannot fit.
    limit.set(1);
    send_range(&writer.sender(), id, 10..3000).await;
    let error = wait_for_failing(&writer).await;
    assert!(error.contains("the disk is full"), "{error}");
    assert!(
        error.contains(&store.path().display().to_string()),
        "{error}"
    );
    let err = writer.flush().await.unwrap_err();
    assert!(matches!(err, StorageError::DiskFull { .. }), "{err:?}");
    // Nothing of the failing batch is half-written, and the resume point did not move.
    assert_eq!(store.message_count(id).unwrap(), 10);
    assert_eq!(store.resume_point(id).unwrap().as_deref(), Some("9"));

    // Space is back: everything is committed, nothing lost, nothing duplicated.
    limit.set(0);
    writer.flush().await.unwrap();
    assert_eq!(*writer.health().borrow(), WriterHealth::Ok);
    let h = all(&store, id);
    assert_eq!(h.len(), 3000);
    assert!(h
        .iter()
        .enumerate()
        .all(|(i, m)| m.seq == i as u64 + 1 && m.id == i.to_string()));
    assert_eq!(store.resume_point(id).unwrap().as_deref(), Some("2999"));
    assert!(writer.stats().failures >= 1);
    writer.shutdown().await.unwrap();
}

#[tokio::test]
async fn shutdown_commits_queued_records_and_refuses_later_ones() {
    let (_tmp, store, id) = setup(Retention::default());
    let cfg = WriterConfig {
        max_batch_delay: Duration::from_secs(5),
        ..WriterConfig::default()
    };
    let writer = Writer::spawn(store.path(), cfg).unwrap();
    let tx = writer.sender();
    send_range(&tx, id, 0..100).await;
    // No flush: a long batch delay would hold these; shutdown must not wait for it.
    let started = Instant::now();
    writer.shutdown().await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(store.message_count(id).unwrap(), 100);
    assert!(tx.send(message(id, 100, SystemTime::now())).await.is_err());
}

/// Set in the child process of the crash test: where to write until killed.
const CHILD_DIR: &str = "STREAMWATCH_STORAGE_CRASH_CHILD_DIR";

/// In the child process only: writes numbered messages as fast as it can until killed (and
/// gives up by itself after a while, should the parent vanish).
#[tokio::test]
async fn crash_child_writer() {
    let Ok(dir) = std::env::var(CHILD_DIR) else {
        return;
    };
    let store = Store::open(Path::new(&dir)).unwrap();
    let id = store.find_subscription("feed").unwrap().id;
    let writer = Writer::spawn(store.path(), WriterConfig::default()).unwrap();
    let tx = writer.sender();
    let until = Instant::now() + Duration::from_secs(20);
    for i in 0.. {
        tx.send(message(id, i, SystemTime::now())).await.unwrap();
        if i % 1000 == 0 && Instant::now() > until {
            std::process::exit(1);
        }
    }
}

#[test]
fn after_kill_9_the_last_id_never_points_past_the_history() {
    if std::env::var(CHILD_DIR).is_ok() {
        return;
    }
    let (tmp, store, id) = setup(Retention::default());
    drop(store);
    // Guarded: a test failing halfway must not leave a writer running.
    let mut child = KillOnDrop::new(
        "crash child",
        single_test("crash_child_writer")
            .env(CHILD_DIR, tmp.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let store = Store::open(tmp.path()).unwrap();
    wait_for(
        "the child's first 5000 messages",
        Duration::from_secs(5),
        || store.message_count(id).unwrap() >= 5_000,
    );
    child.child.kill().unwrap(); // SIGKILL: no destructor, no flush, no checkpoint.
    child.child.wait().unwrap();
    drop(store);

    let store = Store::open(tmp.path()).unwrap();
    let h = all(&store, id);
    let last = h.last().unwrap();
    assert_eq!(
        store.resume_point(id).unwrap().as_deref(),
        Some(last.id.as_str())
    );
    assert!(h
        .iter()
        .enumerate()
        .all(|(i, m)| m.seq == i as u64 + 1 && m.id == i.to_string()));
    println!("killed after {} committed messages", h.len());
}

#[tokio::test]
async fn throughput_figure() {
    let (_tmp, store, id) = setup(Retention::default());
    let writer = Writer::spawn(store.path(), WriterConfig::default()).unwrap();
    let tx = writer.sender();
    let n = 200_000u64;
    let data: streamwatch_engine::SharedStr = "x".repeat(100).into();
    let started = Instant::now();
    for i in 0..n {
        tx.send(Record::Message {
            sub: id,
            at: SystemTime::now(),
            event: "tick".into(),
            id: i.to_string().into(),
            data: data.clone(),
            replayed: false,
            mismatch: None,
        })
        .await
        .unwrap();
    }
    writer.flush().await.unwrap();
    let secs = started.elapsed().as_secs_f64();
    let stats = writer.stats();
    println!(
        "writer throughput: {n} messages of 100 bytes in {secs:.2} s = {:.0} rows/s \
         ({} commits, {} pruned by retention)",
        n as f64 / secs,
        stats.commits,
        stats.pruned
    );
    assert_eq!(stats.records, n);
    assert_eq!(store.message_count(id).unwrap(), 100_000);
    writer.shutdown().await.unwrap();
}

#[tokio::test]
async fn resets_are_logged_and_a_replayed_message_is_kept_without_moving_the_last_id() {
    let (_tmp, store, id) = setup(Retention::default());
    let writer = Writer::spawn(store.path(), WriterConfig::default()).unwrap();
    let tx = writer.sender();
    let t0 = SystemTime::now();
    tx.send(message(id, 41, t0)).await.unwrap();
    let mut replay = message(id, 40, t0);
    if let Record::Message { replayed, .. } = &mut replay {
        *replayed = true;
    }
    tx.send(replay).await.unwrap();
    tx.send(Record::Reset {
        sub: id,
        at: t0,
        last: u64::MAX,
        first: 1,
    })
    .await
    .unwrap();
    writer.flush().await.unwrap();

    let h = all(&store, id);
    assert_eq!(h.len(), 2, "the replay is stored too");
    assert_eq!(
        h.iter()
            .map(|m| (m.id.as_str(), m.replayed))
            .collect::<Vec<_>>(),
        [("41", false), ("40", true)],
        "the flag reads back with the history"
    );
    assert_eq!(store.resume_point(id).unwrap().as_deref(), Some("41"));
    let r = store.resets(id).unwrap();
    assert_eq!(r.len(), 1);
    assert_eq!((r[0].last, r[0].first), (u64::MAX, 1));
    let c = store.counters(id).unwrap();
    assert_eq!((c.messages, c.replayed, c.resets), (2, 1, 1));
    writer.shutdown().await.unwrap();
}

#[tokio::test]
async fn replay_and_reset_counters_add_up_across_commits_and_saturate() {
    let (_tmp, store, id) = setup(Retention::default());
    let writer = Writer::spawn(store.path(), WriterConfig::default()).unwrap();
    let tx = writer.sender();
    let replay = |i: u64| {
        let mut r = message(id, i, SystemTime::now());
        if let Record::Message { replayed, .. } = &mut r {
            *replayed = true;
        }
        r
    };
    let reset = || Record::Reset {
        sub: id,
        at: SystemTime::now(),
        last: 9,
        first: 1,
    };
    for i in 0..2 {
        tx.send(replay(i)).await.unwrap();
        tx.send(reset()).await.unwrap();
        writer.flush().await.unwrap();
    }
    let c = store.counters(id).unwrap();
    assert_eq!((c.replayed, c.resets), (2, 2));

    // Near the top, a sum in SQL must stay a count rather than become a REAL.
    let conn = rusqlite::Connection::open(store.path()).unwrap();
    conn.execute(
        "UPDATE sub_state SET replayed = 9223372036854775807, resets = 9223372036854775806",
        [],
    )
    .unwrap();
    for i in 0..2 {
        tx.send(replay(i)).await.unwrap();
        tx.send(reset()).await.unwrap();
        writer.flush().await.unwrap();
    }
    let c = store.counters(id).unwrap();
    assert_eq!((c.replayed, c.resets), (i64::MAX as u64, i64::MAX as u64));
    assert_eq!(c.messages, 4);
    writer.shutdown().await.unwrap();
}

#[tokio::test]
async fn counters_saturate_across_commits_instead_of_breaking_storage() {
    // A hostile server can claim a jump of almost 2^64 ids, again and again: each commit adds
    // to the stored count, and a sum past i64::MAX must stay a readable count.
    let (_tmp, store, id) = setup(Retention::default());
    let writer = Writer::spawn(store.path(), WriterConfig::default()).unwrap();
    let tx = writer.sender();
    for round in 0..3u64 {
        tx.send(Record::Gap {
            sub: id,
            at: SystemTime::now(),
            after: round,
            next: u64::MAX - round,
            missed: u64::MAX - 1 - 2 * round,
        })
        .await
        .unwrap();
        // One commit each, so the sum happens in SQL, not in the batch.
        writer.flush().await.unwrap();
    }
    tx.send(message(id, 1, SystemTime::now())).await.unwrap();
    writer.flush().await.unwrap();
    let c = store.counters(id).unwrap();
    assert_eq!((c.gaps, c.missed_events), (3, i64::MAX as u64));
    assert_eq!(
        c.messages, 1,
        "the writer still commits after the saturated sums"
    );
    writer.shutdown().await.unwrap();
}
