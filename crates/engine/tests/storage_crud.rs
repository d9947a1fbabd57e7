//! Saving, reading, editing and removing subscriptions.

use serde_json::json;
use std::time::{Duration, SystemTime};
use streamwatch_engine::redirects::RedirectMode;
use streamwatch_engine::storage::{
    HistoryQuery, Record, Retention, StorageError, Store, StoredHeader, SubscriptionRecord, Writer,
    WriterConfig,
};
use streamwatch_engine::{RetryConfig, SubscriptionId};

fn full_record(name: &str) -> SubscriptionRecord {
    SubscriptionRecord {
        name: name.into(),
        url: "https://example.test/events?topic=a".into(),
        method: "POST".into(),
        headers: vec![
            StoredHeader {
                name: "Accept-Language".into(),
                value: "en".into(),
                secret: false,
            },
            StoredHeader {
                name: "Authorization".into(),
                // A keyring reference, stored exactly as given; never the secret itself.
                value: "keyring:streamwatch/orders/Authorization".into(),
                secret: true,
            },
        ],
        body: Some("{\"subscribe\":[\"orders\"]}".into()),
        last_event_id: Some("41".into()),
        retry: RetryConfig {
            initial_ms: 250,
            max_ms: 60_000,
            max_retries: Some(7),
        },
        idle_timeout_ms: Some(45_000),
        stale_after_secs: Some(90),
        ids_not_sequential: true,
        max_event_size: 65_536,
        paused: false,
        retention: Retention {
            max_rows: 5_000,
            max_age: Duration::from_secs(3 * 24 * 3600),
        },
        notify: json!({"on": ["failed"], "quiet_hours": [22, 7]}),
        redirects: RedirectMode::SameOrigin,
        secret_params: vec!["sid".into()],
        reconnect: Some(streamwatch_engine::reconnect_mode::ReconnectMode::Never),
        end_event: Some("bye".into()),
        probe_every_ms: Some(300_000),
        // Stored as JSON and read back the same.
        expectations: vec![streamwatch_engine::expectations::Expectation {
            event_type: Some("tick".into()),
            schema: json!({"type": "object", "required": ["n"]}),
        }],
        network: streamwatch_engine::client_options::ClientOptions {
            proxy: Some("socks5h://keyring%3Astreamwatch%2Fproxy-user-1@127.0.0.1:1080".into()),
            extra_ca_pem: Some("-----BEGIN CERTIFICATE-----\n".into()),
            client_cert_pem: Some("-----BEGIN CERTIFICATE-----\n".into()),
            client_key_pem: Some("keyring:streamwatch/client-key-2".into()),
        },
    }
}

#[test]
fn handles_can_be_shared_across_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Store>();
    shareable::<Writer>();
    shareable::<Record>();
}

#[test]
fn a_subscription_round_trips_with_every_field() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let before = SystemTime::now() - Duration::from_secs(1);
    let rec = full_record("orders");
    let id = store.add_subscription(&rec).unwrap();
    let saved = store.subscription(id).unwrap();
    assert_eq!(saved.id, id);
    assert_eq!(saved.record, rec);
    assert!(saved.created_at >= before && saved.created_at == saved.updated_at);

    // Survives a reopen, and is listed.
    drop(store);
    let store = Store::open(tmp.path()).unwrap();
    let all = store.subscriptions().unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].record, rec);

    // The secret header's reference is what the file holds.
    let conn = rusqlite::Connection::open(store.path()).unwrap();
    let headers: String = conn
        .query_row("SELECT headers FROM subscriptions", [], |r| r.get(0))
        .unwrap();
    let headers: serde_json::Value = serde_json::from_str(&headers).unwrap();
    assert_eq!(
        headers[1],
        json!({"name": "Authorization", "value": "keyring:streamwatch/orders/Authorization", "secret": true})
    );
}

#[test]
fn defaults_fill_a_minimal_record() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let id = store
        .add_subscription(&SubscriptionRecord::new("min", "http://127.0.0.1:1/"))
        .unwrap();
    let r = store.subscription(id).unwrap().record;
    assert_eq!(r.retention, Retention::default());
    assert_eq!(r.retention.max_rows, 100_000);
    assert_eq!(r.retention.max_age, Duration::from_secs(30 * 86_400));
    assert_eq!(r.notify, json!({}));
    assert_eq!(r.method, "GET");
    assert_eq!(store.resume_point(id).unwrap(), None);
}

#[test]
fn names_are_unique_ignoring_ascii_case() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let a = store.add_subscription(&full_record("Orders")).unwrap();
    let err = store.add_subscription(&full_record("orders")).unwrap_err();
    assert_eq!(err, StorageError::NameTaken("orders".into()));
    assert!(err.to_string().contains("already exists"));

    let b = store.add_subscription(&full_record("prices")).unwrap();
    assert_ne!(a, b);
    let err = store
        .update_subscription(b, &full_record("ORDERS"))
        .unwrap_err();
    assert!(matches!(err, StorageError::NameTaken(_)), "{err:?}");
    assert_eq!(store.subscription(b).unwrap().record.name, "prices");
}

#[test]
fn unknown_ids_are_not_found() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let ghost = SubscriptionId(4242);
    let nf = |e: StorageError| assert!(matches!(e, StorageError::NotFound(_)), "{e:?}");
    nf(store.subscription(ghost).unwrap_err());
    nf(store
        .update_subscription(ghost, &full_record("x"))
        .unwrap_err());
    nf(store.remove_subscription(ghost).unwrap_err());
    nf(store.set_paused(ghost, true).unwrap_err());
    nf(store.resume_point(ghost).unwrap_err());
    nf(store.history(ghost, &HistoryQuery::default()).unwrap_err());
    nf(store.message_count(ghost).unwrap_err());
    nf(store.transitions(ghost, None).unwrap_err());
    nf(store.gaps(ghost).unwrap_err());
    nf(store.counters(ghost).unwrap_err());
    nf(store.find_subscription("nobody").unwrap_err());
    nf(store.subscription(SubscriptionId(u64::MAX)).unwrap_err());
}

#[test]
fn invalid_records_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let mut r = full_record("  ");
    assert!(matches!(
        store.add_subscription(&r),
        Err(StorageError::Invalid(_))
    ));
    r.name = "ok".into();
    r.retention.max_rows = u64::MAX;
    assert!(matches!(
        store.add_subscription(&r),
        Err(StorageError::Invalid(_))
    ));
    assert!(store.subscriptions().unwrap().is_empty());
}

#[test]
fn find_by_name_or_id() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let a = store.add_subscription(&full_record("alpha")).unwrap();
    let b = store.add_subscription(&full_record("beta")).unwrap();
    assert_eq!(store.find_subscription("alpha").unwrap().id, a);
    assert_eq!(store.find_subscription("BETA").unwrap().id, b);
    assert_eq!(store.find_subscription(&b.0.to_string()).unwrap().id, b);
    // A name that looks like an id wins over the id.
    let c = store
        .add_subscription(&full_record(&a.0.to_string()))
        .unwrap();
    assert_eq!(store.find_subscription(&a.0.to_string()).unwrap().id, c);
}

#[test]
fn update_pause_and_remove() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let id = store.add_subscription(&full_record("orders")).unwrap();
    let created = store.subscription(id).unwrap().created_at;

    std::thread::sleep(Duration::from_millis(5));
    let mut r = full_record("orders-eu");
    r.url = "https://eu.example.test/events".into();
    r.headers.pop();
    store.update_subscription(id, &r).unwrap();
    let saved = store.subscription(id).unwrap();
    assert_eq!(saved.record, r);
    assert_eq!(saved.created_at, created);
    assert!(saved.updated_at > created);

    store.set_paused(id, true).unwrap();
    assert!(store.subscription(id).unwrap().record.paused);
    store.set_paused(id, false).unwrap();
    assert!(!store.subscription(id).unwrap().record.paused);

    store.remove_subscription(id).unwrap();
    assert!(matches!(
        store.subscription(id),
        Err(StorageError::NotFound(_))
    ));
    // Ids are never reused.
    let next = store.add_subscription(&full_record("orders")).unwrap();
    assert!(next.0 > id.0);
}

#[tokio::test]
async fn removing_deletes_history_and_state() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let gone = store.add_subscription(&full_record("gone")).unwrap();
    let kept = store.add_subscription(&full_record("kept")).unwrap();
    let writer = Writer::spawn(store.path(), WriterConfig::default()).unwrap();
    let tx = writer.sender();
    for sub in [gone, kept] {
        for i in 0..10 {
            tx.send(Record::Message {
                sub,
                at: SystemTime::now(),
                event: "message".into(),
                id: i.to_string().into(),
                data: "x".into(),
                replayed: false,
                mismatch: None,
            })
            .await
            .unwrap();
        }
    }
    writer.flush().await.unwrap();
    store.remove_subscription(gone).unwrap();

    let conn = rusqlite::Connection::open(store.path()).unwrap();
    for table in ["messages", "sub_state"] {
        let n: i64 = conn
            .query_row(
                &format!("SELECT count(*) FROM {table} WHERE subscription_id = ?1"),
                [gone.0 as i64],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 0, "{table} still holds rows of a removed subscription");
    }
    assert_eq!(store.message_count(kept).unwrap(), 10);
    writer.shutdown().await.unwrap();
}

#[tokio::test]
async fn changing_the_starting_id_resets_the_resume_point() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let mut r = full_record("orders");
    let id = store.add_subscription(&r).unwrap();
    assert_eq!(store.resume_point(id).unwrap().as_deref(), Some("41"));

    let writer = Writer::spawn(store.path(), WriterConfig::default()).unwrap();
    writer
        .sender()
        .send(Record::LastId {
            sub: id,
            id: "99".into(),
        })
        .await
        .unwrap();
    writer.flush().await.unwrap();
    assert_eq!(store.resume_point(id).unwrap().as_deref(), Some("99"));

    // Editing something else keeps the stream's position…
    r.url = "https://example.test/v2".into();
    store.update_subscription(id, &r).unwrap();
    assert_eq!(store.resume_point(id).unwrap().as_deref(), Some("99"));
    // …a new starting id replaces it.
    r.last_event_id = Some("1000".into());
    store.update_subscription(id, &r).unwrap();
    assert_eq!(store.resume_point(id).unwrap().as_deref(), Some("1000"));
    writer.shutdown().await.unwrap();
}

#[test]
fn the_redirect_mode_is_saved_edited_and_an_unknown_one_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let plain = store
        .add_subscription(&SubscriptionRecord::new("plain", "http://127.0.0.1:1/"))
        .unwrap();
    assert_eq!(
        store.subscription(plain).unwrap().record.redirects,
        RedirectMode::Any
    );
    let mut rec = full_record("orders");
    let id = store.add_subscription(&rec).unwrap();
    assert_eq!(
        store.subscription(id).unwrap().record.redirects,
        RedirectMode::SameOrigin
    );
    rec.redirects = RedirectMode::Never;
    store.update_subscription(id, &rec).unwrap();
    assert_eq!(
        store.subscription(id).unwrap().record.redirects,
        RedirectMode::Never
    );

    // A value this version does not know (a newer one's, or a hand edit) is an error that
    // names the column, not a panic and not a silent "any".
    let conn = rusqlite::Connection::open(store.path()).unwrap();
    conn.execute(
        "UPDATE subscriptions SET redirects = 'sideways' WHERE id = ?1",
        [id.0 as i64],
    )
    .unwrap();
    let err = store.subscription(id).unwrap_err();
    assert!(matches!(err, StorageError::BadData { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("redirects") && msg.contains("sideways"),
        "{msg}"
    );
    assert!(store.subscriptions().is_err());
    assert_eq!(store.subscription(plain).unwrap().record.name, "plain");
}
