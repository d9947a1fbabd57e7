//! The told fatal stops, kept across restarts: one per subscription, replaced, cleared, gone
//! with the subscription, and added to an older database file by its migration.

#[path = "support/downgrade.rs"]
mod downgrade;

use downgrade::downgrade;
use rusqlite::Connection;
use std::time::{Duration, SystemTime};
use streamwatch_engine::storage::{FatalTold, Store, SubscriptionRecord, SCHEMA_VERSION};
use streamwatch_engine::SubscriptionId;

fn at(s: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + s)
}

#[test]
fn a_told_fatal_stop_is_kept_replaced_cleared_and_removed_with_its_subscription() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let id = store
        .add_subscription(&SubscriptionRecord::new("billing", "http://127.0.0.1:1/"))
        .unwrap();
    assert_eq!(store.fatal_told(id).unwrap(), None);

    store.set_fatal_told(id, "http-status 401", at(1)).unwrap();
    drop(store);
    // Across a restart.
    let store = Store::open(tmp.path()).unwrap();
    assert_eq!(
        store.fatal_told(id).unwrap(),
        Some(FatalTold {
            key: "http-status 401".into(),
            at: at(1)
        })
    );
    store.set_fatal_told(id, "http-status 403", at(2)).unwrap();
    assert_eq!(
        store.fatal_told(id).unwrap().map(|t| t.key),
        Some("http-status 403".into())
    );
    store.clear_fatal_told(id).unwrap();
    assert_eq!(store.fatal_told(id).unwrap(), None);
    store.clear_fatal_told(id).unwrap();

    store.set_fatal_told(id, "content-type", at(3)).unwrap();
    store.remove_subscription(id).unwrap();
    assert_eq!(store.fatal_told(id).unwrap(), None);
    // Told just as it was deleted: nothing to remember, and no error.
    store.set_fatal_told(id, "content-type", at(4)).unwrap();
    assert_eq!(store.fatal_told(id).unwrap(), None);
    store
        .set_fatal_told(SubscriptionId(9_999), "content-type", at(4))
        .unwrap();
}

#[test]
fn a_version_8_database_gains_the_table_and_keeps_its_subscriptions() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let id = store
        .add_subscription(&SubscriptionRecord::new("billing", "http://127.0.0.1:1/"))
        .unwrap();
    let path = store.path().to_path_buf();
    drop(store);
    downgrade(&path, 8);
    {
        let conn = Connection::open(&path).unwrap();
        let has: bool = conn
            .query_row(
                "SELECT count(*) > 0 FROM sqlite_master WHERE name = 'fatal_told'",
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
    assert_eq!(store.subscription(id).unwrap().record.name, "billing");
    store.set_fatal_told(id, "http-status 401", at(1)).unwrap();
    assert!(store.fatal_told(id).unwrap().is_some());
}
