//! Expectations end to end: a subscription with JSON Schemas runs against the real demo server,
//! whose `bad_every` knob breaks every Nth event; the flagged ones are stored with their words,
//! counted in the status, and a schema for one event type leaves the others alone.

use std::time::Duration;
use streamwatch_demo_server::DemoConfig;
use streamwatch_engine::catalog::{HistoryQuery, SubscriptionRecord};
use streamwatch_engine::expectations::Expectation;
use streamwatch_engine::monitor::{Monitor, MonitorOptions};
use streamwatch_test_support::{start_demo, wait_until};

const LIMIT: Duration = Duration::from_secs(15);

fn n_is_an_integer() -> serde_json::Value {
    serde_json::json!({
        "type": "object",
        "required": ["n", "ts"],
        "properties": {"n": {"type": "integer"}, "ts": {"type": "integer"}}
    })
}

/// Runs `record` until 30 messages, then returns every stored (n, event type, mismatch) and
/// the status's mismatch count.
async fn run(record: SubscriptionRecord) -> (Vec<(u64, String, Option<String>)>, u64) {
    let dir = tempfile::tempdir().expect("tempdir");
    let monitor = Monitor::open(MonitorOptions::new(dir.path().to_path_buf())).expect("open");
    let id = monitor.add(&record).expect("add");
    let seen = || monitor.supervisor().status(id).map_or(0, |s| s.messages);
    wait_until("30 messages", LIMIT, || seen() >= 30).await;
    // Paused for good (saved), so the restart below connects nothing more.
    monitor.set_paused(id, true).expect("pause");
    wait_until("paused", LIMIT, || {
        monitor
            .supervisor()
            .status(id)
            .is_ok_and(|s| s.state == streamwatch_engine::State::Paused)
    })
    .await;
    let counted = monitor
        .supervisor()
        .status(id)
        .expect("status")
        .schema_mismatches;
    monitor.shutdown().await.expect("shutdown");
    // The count is a stored counter: a restart starts from it, not from 0.
    let again = Monitor::open(MonitorOptions::new(dir.path().to_path_buf())).expect("reopen");
    let restored = again
        .supervisor()
        .status(id)
        .expect("status after a restart")
        .schema_mismatches;
    again.shutdown().await.expect("shutdown");
    let store = streamwatch_engine::catalog::Catalog::open(dir.path(), Default::default())
        .expect("catalog");
    let rows = store
        .history(id, &HistoryQuery::default())
        .expect("history")
        .into_iter()
        .map(|m| {
            let n: u64 = m.id.parse().expect("numeric id");
            (n, m.event, m.mismatch)
        })
        .collect::<Vec<(u64, String, Option<String>)>>();
    let flagged = rows.iter().filter(|(_, _, m)| m.is_some()).count() as u64;
    assert_eq!(
        (store.counters(id).expect("counters").mismatches, restored),
        (flagged, flagged),
        "the stored counter, and the status after a restart, count every flagged message"
    );
    (rows, counted)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_broken_event_is_stored_flagged_and_counted() {
    let server = start_demo(DemoConfig {
        rate: 200.0,
        ..DemoConfig::default()
    })
    .await;
    let mut record = SubscriptionRecord::new("schema", server.url("/events?bad_every=3"));
    record.expectations = vec![Expectation {
        event_type: None,
        schema: n_is_an_integer(),
    }];
    let (rows, counted) = run(record).await;
    assert!(rows.len() >= 30, "{}", rows.len());
    for (n, _, mismatch) in &rows {
        match mismatch {
            Some(words) if n % 3 == 0 => {
                assert!(
                    words.starts_with("/n: ") && words.contains("integer"),
                    "{words}"
                )
            }
            None if n % 3 != 0 => {}
            other => panic!("event {n}: {other:?}"),
        }
    }
    let stored = rows.iter().filter(|r| r.2.is_some()).count() as u64;
    assert!(stored >= 10, "{stored}");
    assert_eq!(counted, stored, "the status counts what was stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schema_for_one_event_type_judges_only_that_type() {
    let server = start_demo(DemoConfig {
        rate: 200.0,
        ..DemoConfig::default()
    })
    .await;
    // Types alternate by id (even ids are "b"); every third event is broken.
    let url = server.url("/events?bad_every=3&types=a,b");
    let mut record = SubscriptionRecord::new("typed", url);
    record.expectations = vec![Expectation {
        event_type: Some("b".into()),
        schema: n_is_an_integer(),
    }];
    let (rows, counted) = run(record).await;
    let mut broken_a = 0;
    for (n, event, mismatch) in &rows {
        let broken = n % 3 == 0;
        match event.as_str() {
            "b" => assert_eq!(mismatch.is_some(), broken, "event {n} of type b"),
            _ => {
                assert!(
                    mismatch.is_none(),
                    "event {n} of type {event} is not judged"
                );
                broken_a += u64::from(broken);
            }
        }
    }
    assert!(broken_a > 0, "some broken events were of the other type");
    let flagged = rows.iter().filter(|r| r.2.is_some()).count() as u64;
    assert!(flagged > 0);
    assert_eq!(counted, flagged);
}

#[tokio::test]
async fn a_remote_ref_is_refused_by_the_catalog_naming_the_row() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut options = MonitorOptions::new(dir.path().to_path_buf());
    options.autostart = false;
    let monitor = Monitor::open(options).expect("open");
    let mut record = SubscriptionRecord::new("remote", "http://127.0.0.1:1/events");
    record.expectations = vec![
        Expectation {
            event_type: None,
            schema: serde_json::json!({}),
        },
        Expectation {
            event_type: Some("tick".into()),
            schema: serde_json::json!({"$ref": "http://127.0.0.1:1/schema.json"}),
        },
    ];
    let err = monitor.add(&record).expect_err("refused");
    let words = err.to_string();
    assert!(
        words.contains("event type \"tick\"") && words.contains("http://127.0.0.1:1/schema.json"),
        "{words}"
    );
    match err {
        streamwatch_engine::monitor::MonitorError::Catalog(
            streamwatch_engine::catalog::CatalogError::Invalid(i),
        ) => assert_eq!(
            i.field,
            streamwatch_engine::catalog::validate::Field::Expectation(1)
        ),
        other => panic!("{other:?}"),
    }
}
