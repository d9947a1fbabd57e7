//! Hostile import and `run --config` files: huge and negative numbers, wrong types, 10 MB
//! names, out-of-range settings. Each fails cleanly, says where in the file, stays short, and
//! saves nothing.

use serde_json::{json, Value};
use streamwatch_engine::catalog::{Catalog, CatalogError};
use streamwatch_engine::export_format::{self, ExportFile};

fn doc(subscriptions: Value) -> String {
    json!({"format": "streamwatch-export", "version": 1, "subscriptions": subscriptions})
        .to_string()
}

/// A valid entry with history, so a failure after it must undo both.
fn good(name: &str) -> Value {
    json!({"name": name, "url": "http://127.0.0.1:9/events",
           "history": [{"received_at": "2024-01-01T00:00:00.000Z", "event": "m",
                        "id": "1", "data": "d"}]})
}

fn open(dir: &std::path::Path) -> Catalog {
    Catalog::open(dir, Default::default()).expect("catalog")
}

/// Parses and imports `text`, returning the error text; the catalog must be left empty.
async fn refused(catalog: &Catalog, text: &str) -> String {
    let e = match export_format::parse(text, "hostile.json") {
        Err(e) => CatalogError::from(e),
        Ok(file) => {
            let declared = catalog
                .declare(&file.subscriptions, "hostile.json")
                .expect_err(&format!(
                    "run --config refuses {}",
                    &text[..text.len().min(300)]
                ));
            assert!(
                catalog.subscriptions().expect("list").is_empty(),
                "{declared}"
            );
            import(catalog, &file).await
        }
    };
    assert!(catalog.subscriptions().expect("list").is_empty(), "{e}");
    let text = e.to_string();
    assert!(text.len() < 600, "{} bytes: {}…", text.len(), &text[..200]);
    text
}

async fn import(catalog: &Catalog, file: &ExportFile) -> CatalogError {
    catalog
        .import(file, "hostile.json", false)
        .await
        .expect_err("import refuses it")
}

#[tokio::test]
async fn hostile_files_fail_cleanly_name_the_field_and_save_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let catalog = open(dir.path());
    let huge = "n".repeat(10 << 20);
    let with = |extra: Value| {
        let mut sub = good("late");
        for (k, v) in extra.as_object().expect("object") {
            sub[k] = v.clone();
        }
        doc(json!([good("first"), sub]))
    };
    let cases: Vec<(String, &str)> = vec![
        // Out of range for the setting.
        (
            with(json!({"max_event_size": 0})),
            "subscriptions[1].max_event_size (subscription \"late\"): ",
        ),
        (
            with(json!({"max_event_size": 268_435_457u64})),
            "subscriptions[1].max_event_size ",
        ),
        (
            with(json!({"retention": {"max_rows": 0}})),
            "subscriptions[1].retention.max_rows ",
        ),
        (
            with(json!({"retention": {"max_rows": u64::MAX}})),
            "subscriptions[1].retention.max_rows ",
        ),
        (
            with(json!({"retention": {"max_age_ms": 0}})),
            "subscriptions[1].retention.max_age_ms ",
        ),
        (
            with(json!({"retention": {"max_age_ms": u64::MAX}})),
            "subscriptions[1].retention.max_age_ms ",
        ),
        (
            with(json!({"retry": {"initial_ms": u64::MAX}})),
            "subscriptions[1].retry.initial_ms ",
        ),
        (
            with(json!({"retry": {"initial_ms": 10, "max_ms": 0}})),
            "subscriptions[1].retry.max_ms ",
        ),
        (
            with(json!({"retry": {"initial_ms": 900, "max_ms": 800}})),
            "subscriptions[1].retry.max_ms ",
        ),
        (
            with(json!({"idle_timeout_ms": u64::MAX})),
            "subscriptions[1].idle_timeout_ms ",
        ),
        (
            with(json!({"last_event_id": "7".repeat(5000)})),
            "subscriptions[1].last_event_id ",
        ),
        (
            with(json!({"resume_id": "7".repeat(5000)})),
            "subscriptions[1].resume_id ",
        ),
        // Out of the type's range, negative, or of the wrong type.
        (
            with(json!({"max_event_size": 1e40})),
            "subscriptions[1].max_event_size: ",
        ),
        (
            with(json!({"retention": {"max_rows": -5}})),
            "subscriptions[1].retention.max_rows: ",
        ),
        (
            with(json!({"retry": {"max_retries": 4_294_967_296u64}})),
            "subscriptions[1].retry.max_retries: ",
        ),
        (
            with(json!({"idle_timeout_ms": "soon"})),
            "subscriptions[1].idle_timeout_ms: ",
        ),
        (
            with(json!({"headers": {"X": "1"}})),
            "subscriptions[1].headers: ",
        ),
        (with(json!({"paused": "yes"})), "subscriptions[1].paused: "),
        // 10 MB of text where a short one belongs.
        (with(json!({"name": huge})), "subscriptions[1].name "),
        (
            with(json!({"name": format!("{huge} ")})),
            "subscriptions[1].name ",
        ),
        (with(json!({"method": huge})), "subscriptions[1].method "),
        (
            with(json!({"headers": [{"name": huge, "value": "v"}]})),
            "subscriptions[1].headers[0].name ",
        ),
        (
            doc(json!([good(&huge), good(&huge.to_uppercase())])),
            "names subscription \"NNNN",
        ),
    ];
    for (text, want) in cases {
        let e = refused(&catalog, &text).await;
        assert!(e.contains(want), "want {want:?} in {e}");
    }
    // Nothing half-written is left in the database either.
    let conn =
        rusqlite::Connection::open(dir.path().join(streamwatch_engine::storage::DB_FILE_NAME))
            .expect("sqlite");
    let rows: i64 = conn
        .query_row("SELECT COUNT(*) FROM messages", [], |r| r.get(0))
        .expect("count");
    assert_eq!(rows, 0);
}

#[tokio::test]
async fn many_entries_are_checked_whole_before_anything_is_saved() {
    let dir = tempfile::tempdir().expect("tempdir");
    let catalog = open(dir.path());
    // Thousands of valid entries, the last one bad: found without saving the others.
    let mut subs: Vec<Value> = (0..5000)
        .map(|i| json!({"name": format!("s{i}"), "url": "http://127.0.0.1:9/"}))
        .collect();
    subs.push(json!({"name": "bad", "url": "http://127.0.0.1:9/", "max_event_size": 0}));
    let e = refused(&catalog, &doc(Value::Array(subs))).await;
    assert!(e.contains("subscriptions[5000].max_event_size"), "{e}");
}

#[tokio::test]
async fn the_edges_of_each_range_import() {
    let dir = tempfile::tempdir().expect("tempdir");
    let catalog = open(dir.path());
    let text = doc(json!([{
        "name": "edges", "url": "http://127.0.0.1:9/",
        "max_event_size": 268_435_456u64,
        "retention": {"max_rows": 1_000_000_000u64, "max_age_ms": 3_155_760_000_000u64},
        "retry": {"initial_ms": 0, "max_ms": 86_400_000u64},
        "idle_timeout_ms": 86_400_000u64,
    }]));
    let file = export_format::parse(&text, "edges.json").expect("parses");
    let imported = catalog
        .import(&file, "edges.json", false)
        .await
        .expect("imports");
    assert_eq!(imported.len(), 1);
    let saved = catalog.find("edges").expect("saved");
    assert_eq!(saved.record.max_event_size, 268_435_456);
    assert_eq!(saved.record.retention.max_rows, 1_000_000_000);
}
