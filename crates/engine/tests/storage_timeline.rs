//! The timeline table (schema version 8): connection steps stored by the writer and edits
//! stored by the catalog read back as they were written, survive a reopen, and an older file
//! gains the table without losing anything.

#[path = "support/downgrade.rs"]
mod downgrade;

use downgrade::downgrade;
use rusqlite::Connection;
use std::time::{Duration, SystemTime};
use streamwatch_engine::catalog::Catalog;
use streamwatch_engine::secrets::SecretStore;
use streamwatch_engine::storage::{
    Record, Store, SubscriptionRecord, Writer, WriterConfig, SCHEMA_VERSION,
};
use streamwatch_engine::timeline::TimelineEvent;
use streamwatch_engine::ErrorKind;

fn steps() -> Vec<TimelineEvent> {
    vec![
        TimelineEvent::Started { status: 200 },
        TimelineEvent::Error {
            error_kind: ErrorKind::Network,
            status: None,
            message: "tcp connect error: Connection refused (os error 111)".into(),
        },
        TimelineEvent::Retrying {
            attempt: 1,
            delay_ms: 870,
        },
        TimelineEvent::Retrying {
            attempt: 2,
            delay_ms: 1_900,
        },
    ]
}

#[tokio::test]
async fn steps_and_edits_are_stored_and_read_back_after_a_reopen() {
    let tmp = tempfile::tempdir().unwrap();
    let catalog = Catalog::open(tmp.path(), SecretStore::new("streamwatch-test-timeline")).unwrap();
    let id = catalog
        .add(&SubscriptionRecord::new(
            "prices",
            "http://127.0.0.1:1/events",
        ))
        .unwrap();
    // The edit below is stamped with the clock; the steps are a minute older so that it sorts
    // after them however fast this runs (it came first once, within 3 ms of `start`).
    let start = SystemTime::now() - Duration::from_secs(60);
    let writer = Writer::spawn(catalog.path(), WriterConfig::default()).unwrap();
    for (i, event) in steps().into_iter().enumerate() {
        writer
            .sender()
            .send(Record::Timeline {
                sub: id,
                at: start + Duration::from_millis(i as u64),
                event,
            })
            .await
            .unwrap();
    }
    writer.shutdown().await.unwrap();

    let mut draft = catalog.subscription(id).unwrap().record;
    draft.url = "http://127.0.0.1:2/events".into();
    draft.retry.max_ms = 5_000;
    catalog.edit(id, &draft).unwrap();
    // An edit that changes nothing is not an entry.
    catalog.edit(id, &draft).unwrap();
    drop(catalog);

    let catalog = Catalog::open(tmp.path(), SecretStore::new("streamwatch-test-timeline")).unwrap();
    let stored: Vec<_> = catalog
        .timeline(id, None)
        .unwrap()
        .into_iter()
        .map(|r| r.event)
        .collect();
    let mut expected = steps();
    expected.push(TimelineEvent::Edited {
        fields: "URL, retry settings".into(),
    });
    assert_eq!(stored, expected);
    let later = catalog
        .timeline(id, Some(start + Duration::from_millis(2)))
        .unwrap();
    assert_eq!(later.len(), 3, "since: from the third step on");
}

#[test]
fn a_version_7_database_gains_the_timeline_and_keeps_its_data() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let id = store
        .add_subscription(&SubscriptionRecord::new("kept", "http://127.0.0.1:1/"))
        .unwrap();
    let path = store.path().to_path_buf();
    drop(store);
    downgrade(&path, 7);
    {
        let conn = Connection::open(&path).unwrap();
        let has: bool = conn
            .query_row(
                "SELECT count(*) > 0 FROM sqlite_schema WHERE name = 'timeline'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(!has, "the downgrade dropped the table");
    }
    let store = Store::open(tmp.path()).unwrap();
    let conn = Connection::open(&path).unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    assert_eq!(store.subscription(id).unwrap().record.name, "kept");
    assert!(store.timeline(id, None).unwrap().is_empty());
    store
        .add_timeline(
            id,
            SystemTime::now(),
            &TimelineEvent::Edited {
                fields: "name".into(),
            },
        )
        .unwrap();
    assert_eq!(store.timeline(id, None).unwrap().len(), 1);
}
