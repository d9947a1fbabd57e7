//! Opening the database: creation, WAL, migrations, and refusing files that are not ours to
//! change (damaged, foreign, newer) without touching them.

#[path = "support/downgrade.rs"]
mod downgrade;

use downgrade::downgrade;
use rusqlite::Connection;
use std::path::Path;
use streamwatch_engine::storage::{
    StorageError, Store, SubscriptionRecord, Writer, WriterConfig, DB_FILE_NAME, SCHEMA_VERSION,
};

fn pragma_i64(conn: &Connection, name: &str) -> i64 {
    conn.pragma_query_value(None, name, |r| r.get(0)).unwrap()
}

fn schema_sql(path: &Path) -> String {
    let conn = Connection::open(path).unwrap();
    conn.query_row(
        "SELECT group_concat(type || ' ' || name || ' ' || coalesce(sql, ''), char(10))
         FROM (SELECT * FROM sqlite_schema ORDER BY name)",
        [],
        |r| r.get(0),
    )
    .unwrap()
}

#[test]
fn creates_the_database_in_wal_mode_and_reopens_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("nested/data");
    let store = Store::open(&dir).unwrap();
    assert_eq!(store.path(), dir.join(DB_FILE_NAME));
    let id = store
        .add_subscription(&SubscriptionRecord::new(
            "clock",
            "http://127.0.0.1:1/clock",
        ))
        .unwrap();

    let conn = Connection::open(store.path()).unwrap();
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(pragma_i64(&conn, "user_version"), SCHEMA_VERSION);
    for table in [
        "subscriptions",
        "messages",
        "sub_state",
        "transitions",
        "gaps",
    ] {
        let n: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1",
                [table],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 1, "table {table} is missing");
    }
    drop(conn);
    drop(store);

    let store = Store::open(&dir).unwrap();
    assert_eq!(store.subscription(id).unwrap().record.name, "clock");
}

#[test]
fn migrations_are_idempotent() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    store
        .add_subscription(&SubscriptionRecord::new("a", "http://127.0.0.1:1/"))
        .unwrap();
    let path = store.path().to_path_buf();
    drop(store);
    let before = schema_sql(&path);
    for _ in 0..3 {
        let store = Store::open(tmp.path()).unwrap();
        assert_eq!(store.subscriptions().unwrap().len(), 1);
        // The writer opens through the same path and must not migrate again either.
        let writer = Writer::spawn(store.path(), WriterConfig::default()).unwrap();
        drop(writer);
    }
    assert_eq!(schema_sql(&path), before);
    let conn = Connection::open(&path).unwrap();
    assert_eq!(pragma_i64(&conn, "user_version"), SCHEMA_VERSION);
}

#[test]
fn a_newer_schema_is_refused_and_left_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let path = {
        let store = Store::open(tmp.path()).unwrap();
        store
            .add_subscription(&SubscriptionRecord::new("keep me", "http://127.0.0.1:1/"))
            .unwrap();
        store.path().to_path_buf()
    };
    {
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
    }
    let bytes = std::fs::read(&path).unwrap();

    let err = Store::open(tmp.path())
        .err()
        .expect("a newer schema must be refused");
    assert!(
        matches!(err, StorageError::TooNew { found, supported, .. }
            if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(msg.contains("newer version"), "{msg}");
    assert!(msg.contains("not modified"), "{msg}");
    let err = Writer::spawn(&path, WriterConfig::default()).err().unwrap();
    assert!(matches!(err, StorageError::TooNew { .. }), "{err:?}");

    assert_eq!(std::fs::read(&path).unwrap(), bytes, "the file was changed");
}

#[test]
fn a_foreign_sqlite_database_is_refused_and_left_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join(DB_FILE_NAME);
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine');")
            .unwrap();
    }
    let bytes = std::fs::read(&path).unwrap();
    let err = Store::open(tmp.path()).err().unwrap();
    assert!(matches!(err, StorageError::Foreign { .. }), "{err:?}");
    assert!(err.to_string().contains(&path.display().to_string()));
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

#[test]
fn a_file_that_is_not_a_database_is_corrupt_and_left_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join(DB_FILE_NAME);
    // Deterministic garbage, longer than SQLite's 100-byte header.
    let garbage: Vec<u8> = (0u32..8192)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&path, &garbage).unwrap();

    let err = Store::open(tmp.path())
        .err()
        .expect("garbage must be refused");
    assert!(matches!(err, StorageError::Corrupt { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains(&format!(
            "{} is not a valid Streamwatch database",
            path.display()
        )),
        "{msg}"
    );
    assert!(msg.contains("file is not a database"), "{msg}");
    assert!(msg.contains("Move it aside"), "{msg}");
    assert!(msg.contains("it was not modified"), "{msg}");
    let err = Writer::spawn(&path, WriterConfig::default()).err().unwrap();
    assert!(matches!(err, StorageError::Corrupt { .. }), "{err:?}");

    assert_eq!(
        std::fs::read(&path).unwrap(),
        garbage,
        "the file was changed"
    );
    // Nothing was created beside it either (no WAL or shared-memory file).
    let names: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, [DB_FILE_NAME]);
}

#[test]
fn a_damaged_database_is_reported_as_malformed_and_left_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let path = {
        let store = Store::open(tmp.path()).unwrap();
        store
            .add_subscription(&SubscriptionRecord::new("a", "http://127.0.0.1:1/"))
            .unwrap();
        store.path().to_path_buf()
    };
    // Closing the last connection checkpointed the WAL into the file; now scribble over the
    // catalogue (page 1 after the 100-byte header) while keeping the header valid.
    assert!(!path.with_extension("db-wal").exists());
    let mut bytes = std::fs::read(&path).unwrap();
    for b in &mut bytes[100..4096] {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes).unwrap();

    let err = Store::open(tmp.path())
        .err()
        .expect("damage must be noticed");
    assert!(matches!(err, StorageError::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("malformed"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

#[test]
fn an_empty_file_is_initialised() {
    // A zero-length file holds no data: SQLite treats it as a new database.
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join(DB_FILE_NAME), b"").unwrap();
    let store = Store::open(tmp.path()).unwrap();
    assert!(store.subscriptions().unwrap().is_empty());
}

#[test]
fn default_dir_is_a_per_user_directory() {
    match Store::default_dir() {
        Ok(dir) => assert!(
            dir.to_string_lossy().to_lowercase().contains("streamwatch"),
            "{}",
            dir.display()
        ),
        // No home directory in this environment: the error says what to do.
        Err(e) => assert!(matches!(e, StorageError::NoDataDir)),
    }
}

#[tokio::test]
async fn a_version_2_database_gains_replay_flags_and_resets_and_keeps_its_history() {
    use std::time::SystemTime;
    use streamwatch_engine::storage::{HistoryQuery, Record};
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let id = store
        .add_subscription(&SubscriptionRecord::new("kept", "http://127.0.0.1:1/"))
        .unwrap();
    let writer = Writer::spawn(store.path(), WriterConfig::default()).unwrap();
    writer
        .sender()
        .send(Record::Message {
            sub: id,
            at: SystemTime::now(),
            event: "tick".into(),
            id: "7".into(),
            data: "old".into(),
            replayed: false,
            mismatch: None,
        })
        .await
        .unwrap();
    writer.shutdown().await.unwrap();
    let path = store.path().to_path_buf();
    drop(store);
    {
        // What a file written before replays were kept looks like.
        downgrade(&path, 2);
    }
    let store = Store::open(tmp.path()).unwrap();
    let conn = Connection::open(&path).unwrap();
    assert_eq!(pragma_i64(&conn, "user_version"), SCHEMA_VERSION);
    let history = store.history(id, &HistoryQuery::default()).unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].data, "old");
    let flag: i64 = conn
        .query_row("SELECT replayed FROM messages", [], |r| r.get(0))
        .unwrap();
    assert_eq!(flag, 0, "existing rows were not replays");
    assert!(store.resets(id).unwrap().is_empty());
}

#[tokio::test]
async fn a_version_3_database_gains_redirects_and_replay_counters_and_keeps_its_data() {
    use std::time::SystemTime;
    use streamwatch_engine::redirects::RedirectMode;
    use streamwatch_engine::storage::{HistoryQuery, Record};
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let id = store
        .add_subscription(&SubscriptionRecord::new("kept", "http://127.0.0.1:1/"))
        .unwrap();
    let writer = Writer::spawn(store.path(), WriterConfig::default()).unwrap();
    for (i, replayed) in [(7, false), (6, true)] {
        writer
            .sender()
            .send(Record::Message {
                sub: id,
                at: SystemTime::now(),
                event: "tick".into(),
                id: i.to_string().into(),
                data: "old".into(),
                replayed,
                mismatch: None,
            })
            .await
            .unwrap();
    }
    writer.shutdown().await.unwrap();
    let path = store.path().to_path_buf();
    drop(store);
    {
        // What a file written before redirects and replay counters were kept looks like.
        downgrade(&path, 3);
    }
    let store = Store::open(tmp.path()).unwrap();
    let conn = Connection::open(&path).unwrap();
    assert_eq!(pragma_i64(&conn, "user_version"), SCHEMA_VERSION);
    let saved = store.subscription(id).unwrap();
    assert_eq!(
        saved.record.redirects,
        RedirectMode::Any,
        "the old behaviour"
    );
    let history = store.history(id, &HistoryQuery::default()).unwrap();
    assert_eq!(
        history.iter().map(|m| m.replayed).collect::<Vec<_>>(),
        [false, true],
        "the v3 flags survive"
    );
    let c = store.counters(id).unwrap();
    assert_eq!(
        (c.messages, c.replayed, c.resets),
        (2, 0, 0),
        "counted from now on"
    );
}

#[test]
fn a_version_5_database_gets_liveness_by_default() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let mut off = SubscriptionRecord::new("was off", "http://127.0.0.1:1/");
    off.idle_timeout_ms = None;
    let mut set = SubscriptionRecord::new("was set", "http://127.0.0.1:1/");
    set.idle_timeout_ms = Some(30_000);
    let (off, set) = (
        store.add_subscription(&off).unwrap(),
        store.add_subscription(&set).unwrap(),
    );
    let path = store.path().to_path_buf();
    drop(store);
    downgrade(&path, 5);
    let store = Store::open(tmp.path()).unwrap();
    let conn = Connection::open(&path).unwrap();
    assert_eq!(pragma_i64(&conn, "user_version"), SCHEMA_VERSION);
    let off = store.subscription(off).unwrap().record;
    // NULL meant "off" before v6 and now means automatic: old subscriptions get the default.
    assert_eq!((off.idle_timeout_ms, off.stale_after_secs), (None, None));
    let set = store.subscription(set).unwrap().record;
    assert_eq!(set.idle_timeout_ms, Some(30_000), "a chosen timeout stays");
}

#[test]
fn a_version_6_database_gains_ids_not_sequential_off_and_keeps_its_subscriptions() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let id = store
        .add_subscription(&SubscriptionRecord::new("ticks", "http://127.0.0.1:1/"))
        .unwrap();
    let path = store.path().to_path_buf();
    drop(store);
    downgrade(&path, 6);
    {
        let conn = Connection::open(&path).unwrap();
        let has: bool = conn
            .query_row(
                "SELECT count(*) > 0 FROM pragma_table_info('subscriptions')
                 WHERE name = 'ids_not_sequential'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(!has, "the downgrade dropped the column");
    }
    let store = Store::open(tmp.path()).unwrap();
    let conn = Connection::open(&path).unwrap();
    assert_eq!(pragma_i64(&conn, "user_version"), SCHEMA_VERSION);
    let mut record = store.subscription(id).unwrap().record;
    assert_eq!(record.name, "ticks");
    assert!(
        !record.ids_not_sequential,
        "old subscriptions keep finding gaps, as they did"
    );
    record.ids_not_sequential = true;
    store.update_subscription(id, &record).unwrap();
    assert!(store.subscription(id).unwrap().record.ids_not_sequential);
}

#[test]
fn a_version_9_database_gains_default_network_settings_and_keeps_its_subscriptions() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let id = store
        .add_subscription(&SubscriptionRecord::new("ticks", "http://127.0.0.1:1/"))
        .unwrap();
    let path = store.path().to_path_buf();
    drop(store);
    downgrade(&path, 9);
    {
        let conn = Connection::open(&path).unwrap();
        let has: bool = conn
            .query_row(
                "SELECT count(*) > 0 FROM pragma_table_info('subscriptions')
                 WHERE name = 'network'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(!has, "the downgrade dropped the column");
    }
    let store = Store::open(tmp.path()).unwrap();
    let conn = Connection::open(&path).unwrap();
    assert_eq!(pragma_i64(&conn, "user_version"), SCHEMA_VERSION);
    let mut record = store.subscription(id).unwrap().record;
    assert_eq!(record.name, "ticks");
    assert!(
        record.network.is_default(),
        "old subscriptions keep the environment's proxy and the system's CAs"
    );
    record.network.proxy = Some("socks5h://127.0.0.1:1080".into());
    record.network.extra_ca_pem = Some("-----BEGIN CERTIFICATE-----".into());
    store.update_subscription(id, &record).unwrap();
    assert_eq!(
        store.subscription(id).unwrap().record.network,
        record.network
    );
}

#[test]
fn the_reconnect_mode_migration_keeps_subscriptions_on_their_methods_default() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let mut post = SubscriptionRecord::new("answer", "http://127.0.0.1:1/v1/chat");
    post.method = "POST".into();
    let id = store.add_subscription(&post).unwrap();
    let path = store.path().to_path_buf();
    drop(store);
    downgrade(
        &path,
        downgrade::version_adding("subscriptions", "reconnect") - 1,
    );
    let store = Store::open(tmp.path()).unwrap();
    let conn = Connection::open(&path).unwrap();
    assert_eq!(pragma_i64(&conn, "user_version"), SCHEMA_VERSION);
    let mut record = store.subscription(id).unwrap().record;
    assert_eq!(record.name, "answer");
    assert_eq!(
        (record.reconnect, record.end_event.as_deref()),
        (None, None),
        "unset: the method's default"
    );
    record.reconnect = Some(streamwatch_engine::reconnect_mode::ReconnectMode::Never);
    record.end_event = Some("bye".into());
    store.update_subscription(id, &record).unwrap();
    let back = store.subscription(id).unwrap().record;
    assert_eq!(back, record);
    // A mode this build does not know (a newer version wrote it) is refused, not guessed.
    conn.execute("UPDATE subscriptions SET reconnect = 'sometimes'", [])
        .unwrap();
    let err = store.subscription(id).unwrap_err().to_string();
    assert!(err.contains("sometimes"), "{err}");
}

#[test]
fn the_mismatch_counter_starts_from_the_flagged_messages_a_file_holds() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let id = store
        .add_subscription(&SubscriptionRecord::new("typed", "http://127.0.0.1:1/"))
        .unwrap();
    let path = store.path().to_path_buf();
    drop(store);
    let version = downgrade::version_adding("sub_state", "mismatches");
    downgrade(&path, version - 1);
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute(
            "INSERT INTO sub_state (subscription_id, last_seq, messages) VALUES (?1, 3, 3)",
            [id.0],
        )
        .unwrap();
        for (seq, mismatch) in [
            (1, Some("/n: not an integer")),
            (2, None),
            (3, Some("/ts: missing")),
        ] {
            conn.execute(
                "INSERT INTO messages (subscription_id, seq, received_at, event, event_id, data,
                                       size, replayed, mismatch)
                 VALUES (?1, ?2, 0, 'message', ?2, '{}', 2, 0, ?3)",
                rusqlite::params![id.0, seq, mismatch],
            )
            .unwrap();
        }
    }
    let store = Store::open(tmp.path()).unwrap();
    let conn = Connection::open(&path).unwrap();
    assert_eq!(pragma_i64(&conn, "user_version"), SCHEMA_VERSION);
    assert_eq!(store.counters(id).unwrap().mismatches, 2);
    assert_eq!(store.counters(id).unwrap().messages, 3);
}
