//! The in-app notification list: kept across restarts, newest first, paged, trimmed.

#[path = "support/downgrade.rs"]
mod downgrade;

use std::time::{Duration, SystemTime};
use streamwatch_engine::storage::{NewNotification, Store, MAX_NOTIFICATIONS};
use streamwatch_engine::SubscriptionId;

fn note(i: u64, title: &str) -> NewNotification<'_> {
    NewNotification {
        at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + i),
        subscription: (i % 2 == 0).then_some(SubscriptionId(i)),
        kind: "down",
        title,
        body: "Not connected for 10 s.",
        delivery: "shown",
    }
}

#[test]
fn notifications_survive_a_restart_newest_first() {
    let dir = tempfile::tempdir().expect("temp dir");
    {
        let store = Store::open(dir.path()).expect("open");
        for i in 0..3 {
            store
                .add_notification(&note(i, &format!("n{i}")))
                .expect("add");
        }
    }
    let store = Store::open(dir.path()).expect("reopen");
    let list = store.notifications(None, 10).expect("list");
    let titles: Vec<&str> = list.iter().map(|n| n.title.as_str()).collect();
    assert_eq!(titles, ["n2", "n1", "n0"]);
    assert_eq!(list[0].subscription, Some(SubscriptionId(2)));
    assert_eq!(list[1].subscription, None);
    assert_eq!(list[0].at, note(2, "").at);
    assert_eq!(
        (list[0].kind.as_str(), list[0].delivery.as_str()),
        ("down", "shown")
    );
}

#[test]
fn pages_go_back_from_a_row_id() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("open");
    let ids: Vec<u64> = (0..5)
        .map(|i| {
            store
                .add_notification(&note(i, &format!("n{i}")))
                .expect("add")
        })
        .collect();
    let page = store.notifications(Some(ids[3]), 2).expect("page");
    let titles: Vec<&str> = page.iter().map(|n| n.title.as_str()).collect();
    assert_eq!(titles, ["n2", "n1"]);
    store.clear_notifications().expect("clear");
    assert!(store.notifications(None, 10).expect("list").is_empty());
}

#[test]
fn the_list_is_trimmed_to_its_cap() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("open");
    for i in 0..MAX_NOTIFICATIONS + 3 {
        store
            .add_notification(&note(i, &format!("n{i}")))
            .expect("add");
    }
    let all = store.notifications(None, u32::MAX).expect("list");
    assert_eq!(all.len() as u64, MAX_NOTIFICATIONS);
    assert_eq!(all.last().map(|n| n.title.as_str()), Some("n3"));
}

#[test]
fn a_version_1_database_gains_the_list_and_keeps_its_subscriptions() {
    let dir = tempfile::tempdir().expect("temp dir");
    {
        let store = Store::open(dir.path()).expect("open");
        store
            .add_subscription(&streamwatch_engine::storage::SubscriptionRecord::new(
                "kept",
                "http://127.0.0.1:1/",
            ))
            .expect("add");
    }
    {
        // What a file written by the first release looks like.
        let path = dir.path().join(streamwatch_engine::storage::DB_FILE_NAME);
        downgrade::downgrade(&path, 1);
    }
    let store = Store::open(dir.path()).expect("migrates");
    assert_eq!(store.subscriptions().expect("subs").len(), 1);
    store
        .add_notification(&note(1, "after upgrade"))
        .expect("add");
    assert_eq!(store.notifications(None, 5).expect("list").len(), 1);
}
