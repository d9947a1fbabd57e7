//! The window's Export and Import against real database files and real files on disk: history
//! as JSON lines and CSV over a time range, the subscriptions file, and imports that succeed with
//! warnings or fail whole (a field-path error, a file too large, not text) saving nothing.

use serde_json::{json, Value};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};
use streamwatch_app_api::error::ErrorKind;
use streamwatch_app_api::file_transfer::{self, IMPORT_MAX_BYTES};
use streamwatch_app_api::transfer_dto::{HistoryExportForm, HistoryFileFormat};
use streamwatch_engine::catalog::Catalog;

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_millis() as u64
}

fn stamp(ms: u64) -> String {
    let t = jiff::Timestamp::from_millisecond(ms as i64).expect("time");
    format!("{t:.3}")
}

/// A catalog with "alpha" (10 messages a minute apart, ending an hour ago) and "beta" (one).
async fn catalog(dir: &Path, t0: u64) -> Catalog {
    let file = dir.join("seed.json");
    let history: Vec<Value> = (1..=10u64)
        .map(|i| {
            json!({"received_at": stamp(t0 + i * 60_000), "event": "tick",
                   "id": i.to_string(), "data": if i == 5 { "=2+2".to_owned() } else { format!("{{\"n\":{i}}}") }})
        })
        .collect();
    std::fs::write(
        &file,
        json!({"format": "streamwatch-export", "version": 1, "subscriptions": [
            {"name": "alpha", "url": "http://127.0.0.1:9/a", "paused": true, "history": history},
            {"name": "beta", "url": "http://127.0.0.1:9/b", "paused": true, "history": [
                {"received_at": stamp(t0 + 30_000), "event": "m", "id": "b1", "data": "x"}]},
        ]})
        .to_string(),
    )
    .expect("seed file");
    let catalog = Catalog::open(&dir.join("data"), Default::default()).expect("catalog");
    let done = file_transfer::import_subscriptions(&catalog, &file, false)
        .await
        .expect("imports");
    assert_eq!(done.added.len(), 2);
    assert_eq!(done.added[0].messages, 10);
    assert!(done.warnings.is_empty(), "{:?}", done.warnings);
    catalog
}

#[tokio::test]
async fn history_of_one_stream_in_a_range_and_of_all_as_csv() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t0 = now_ms() - 2 * 3_600_000;
    let catalog = catalog(dir.path(), t0).await;
    let alpha = catalog.find("alpha").expect("alpha").id.0;

    let path = dir.path().join("alpha.jsonl");
    let done = file_transfer::export_history(
        &catalog,
        &HistoryExportForm {
            subscription_id: Some(alpha),
            format: HistoryFileFormat::Jsonl,
            since_ms: Some(t0 + 3 * 60_000),
            until_ms: Some(t0 + 6 * 60_000),
        },
        &path,
    )
    .expect("exports");
    assert_eq!(done.count, 4);
    assert_eq!(done.path, path.display().to_string());
    let text = std::fs::read_to_string(&path).expect("written");
    let ids: Vec<String> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).expect("json")["id"]
                .as_str()
                .expect("id")
                .to_owned()
        })
        .collect();
    assert_eq!(ids, ["3", "4", "5", "6"]);
    assert!(
        !text.contains("\"subscription\""),
        "one stream: no name column"
    );

    let path = dir.path().join("all.csv");
    let done = file_transfer::export_history(
        &catalog,
        &HistoryExportForm {
            subscription_id: None,
            format: HistoryFileFormat::Csv,
            since_ms: None,
            until_ms: None,
        },
        &path,
    )
    .expect("exports");
    assert_eq!(done.count, 11);
    let text = std::fs::read_to_string(&path).expect("written");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("subscription,seq,received_at,event,id,data,replayed")
    );
    assert!(
        text.contains(",5,'=2+2,false\n"),
        "a formula is defused: {text}"
    );
    assert!(text.contains("\nbeta,1,"), "{text}");

    // The last hour holds none of it.
    let done = file_transfer::export_history(
        &catalog,
        &HistoryExportForm {
            subscription_id: Some(alpha),
            format: HistoryFileFormat::Jsonl,
            since_ms: Some(now_ms() - 3_600_000),
            until_ms: None,
        },
        &dir.path().join("empty.jsonl"),
    )
    .expect("exports");
    assert_eq!(done.count, 0);

    let e = file_transfer::export_history(
        &catalog,
        &HistoryExportForm {
            subscription_id: Some(999),
            format: HistoryFileFormat::Csv,
            since_ms: None,
            until_ms: None,
        },
        &dir.path().join("gone.csv"),
    )
    .expect_err("no such stream");
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert!(
        !dir.path().join("gone.csv").exists(),
        "no file for a failed export"
    );
}

#[tokio::test]
async fn subscriptions_file_reads_back_as_an_import() {
    let dir = tempfile::tempdir().expect("tempdir");
    let catalog = catalog(dir.path(), now_ms() - 3_600_000).await;
    let path = dir.path().join("subs.json");
    let done = file_transfer::export_subscriptions(&catalog, false, &path).expect("exports");
    assert_eq!((done.count, done.revealed), (2, 0));
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("written")).expect("json");
    assert_eq!(doc["format"], "streamwatch-export");
    assert!(
        doc["subscriptions"][0].get("history").is_none(),
        "no history"
    );

    let other = Catalog::open(&dir.path().join("other"), Default::default()).expect("catalog");
    let done = file_transfer::import_subscriptions(&other, &path, false)
        .await
        .expect("imports");
    let names: Vec<&str> = done.added.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["alpha", "beta"]);

    // Again: the names are taken, so it is refused whole, unless renaming is asked for.
    let e = file_transfer::import_subscriptions(&other, &path, false)
        .await
        .expect_err("names taken");
    assert!(e.message.contains("already exist"), "{}", e.message);
    let done = file_transfer::import_subscriptions(&other, &path, true)
        .await
        .expect("renamed");
    assert_eq!(done.added[0].name, "alpha (2)");
    assert_eq!(done.added[0].from_name, "alpha");
}

#[tokio::test]
async fn masked_secrets_are_left_out_and_told() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("masked.json");
    std::fs::write(
        &path,
        json!({"format": "streamwatch-export", "version": 1, "subscriptions": [
            {"name": "m", "url": "http://127.0.0.1:9/e?token=••••&x=1", "paused": true,
             "headers": [{"name": "Authorization", "secret": true},
                         {"name": "X-Plain", "value": "p", "secret": false}]},
        ]})
        .to_string(),
    )
    .expect("file");
    let catalog = Catalog::open(&dir.path().join("data"), Default::default()).expect("catalog");
    let done = file_transfer::import_subscriptions(&catalog, &path, false)
        .await
        .expect("imports");
    assert_eq!(done.warnings.len(), 2, "{:?}", done.warnings);
    assert!(
        done.warnings[0].starts_with("\"m\": the file has no value for the URL parameter token")
    );
    assert!(done.warnings[1].contains("secret header \"Authorization\""));
    let saved = catalog.find("m").expect("saved");
    assert_eq!(saved.record.url, "http://127.0.0.1:9/e?x=1");
}

#[tokio::test]
async fn a_bad_file_saves_nothing_and_says_why() {
    let dir = tempfile::tempdir().expect("tempdir");
    let catalog = Catalog::open(&dir.path().join("data"), Default::default()).expect("catalog");
    let bad = dir.path().join("bad.json");

    std::fs::write(
        &bad,
        json!({"format": "streamwatch-export", "version": 1, "subscriptions": [
            {"name": "ok", "url": "http://127.0.0.1:9/a"},
            {"name": "late", "url": "http://127.0.0.1:9/b", "retention": {"max_rows": -1}},
        ]})
        .to_string(),
    )
    .expect("file");
    let e = file_transfer::import_subscriptions(&catalog, &bad, false)
        .await
        .expect_err("refused");
    assert_eq!(e.kind, ErrorKind::Invalid);
    assert!(
        e.message.contains("subscriptions[1].retention.max_rows"),
        "{}",
        e.message
    );

    std::fs::write(
        &bad,
        json!({"format": "streamwatch-export", "version": 1, "subscriptions": [
            {"name": "ok", "url": "http://127.0.0.1:9/a"},
            {"name": "late", "url": "ftp://127.0.0.1/b"},
        ]})
        .to_string(),
    )
    .expect("file");
    let e = file_transfer::import_subscriptions(&catalog, &bad, false)
        .await
        .expect_err("refused");
    assert!(e.message.contains("subscriptions[1].url"), "{}", e.message);
    assert!(e.message.contains("nothing was saved"), "{}", e.message);

    std::fs::write(&bad, b"\xff\xfe not text").expect("file");
    let e = file_transfer::import_subscriptions(&catalog, &bad, false)
        .await
        .expect_err("refused");
    assert!(e.message.contains("not UTF-8 text"), "{}", e.message);

    // Sparse: no disk is used for the size.
    let f = std::fs::File::create(&bad).expect("file");
    f.set_len(IMPORT_MAX_BYTES + 1).expect("size");
    let e = file_transfer::import_subscriptions(&catalog, &bad, false)
        .await
        .expect_err("refused");
    assert!(e.message.contains("too large"), "{}", e.message);

    let e = file_transfer::import_subscriptions(&catalog, &dir.path().join("none.json"), false)
        .await
        .expect_err("refused");
    assert_eq!(e.kind, ErrorKind::File);

    assert!(
        catalog.subscriptions().expect("list").is_empty(),
        "nothing saved"
    );
}
