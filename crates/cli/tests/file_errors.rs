//! `streamwatch import FILE` and `streamwatch run --config FILE` on files with unusable
//! settings: the error names the file and the field as the file spells it, and nothing is saved.

mod common;

use common::store::Data;
use serde_json::{json, Value};

fn doc(subscriptions: Value) -> String {
    json!({"format": "streamwatch-export", "version": 1, "subscriptions": subscriptions})
        .to_string()
}

async fn names(data: &Data) -> Vec<String> {
    let list: Value =
        serde_json::from_str(&data.ok(&["subs", "list", "--json"]).await.stdout).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect()
}

/// Entries 0 and 1 are fine; entry 2 carries `bad`.
fn file_with(bad: Value) -> String {
    let mut third = json!({"name": "third", "url": "http://127.0.0.1:9/"});
    for (k, v) in bad.as_object().unwrap() {
        third[k] = v.clone();
    }
    doc(json!([
        {"name": "first", "url": "http://127.0.0.1:9/"},
        {"name": "second", "url": "http://127.0.0.1:9/"},
        third,
    ]))
}

fn cases() -> Vec<(String, &'static str)> {
    vec![
        (
            file_with(json!({"max_event_size": 0})),
            "subscriptions[2].max_event_size (subscription \"third\"): The event size cap must \
             be between 1 byte and 256 MiB (268435456 bytes), not 0; nothing was saved",
        ),
        (
            file_with(json!({"retention": {"max_age_ms": 9_000_000_000_000_000u64}})),
            "subscriptions[2].retention.max_age_ms (subscription \"third\"): Keep messages for \
             between 1 ms and 100 years",
        ),
        (
            file_with(json!({"retry": {"initial_ms": 2000, "max_ms": 1000}})),
            "subscriptions[2].retry.max_ms (subscription \"third\"): ",
        ),
        (
            file_with(json!({"retention": {"max_rows": -1}})),
            "is not a valid export file: subscriptions[2].retention.max_rows: invalid value: \
             integer `-1`",
        ),
        (
            file_with(json!({"idle_timeout_ms": "a minute"})),
            "is not a valid export file: subscriptions[2].idle_timeout_ms: invalid type: string",
        ),
        (
            file_with(json!({"name": "x".repeat(10 << 20)})),
            "subscriptions[2].name (subscription \"xxxxxxxx",
        ),
    ]
}

#[tokio::test]
async fn import_names_the_field_and_imports_nothing() {
    let data = Data::new();
    let path = data.path().join("subs.json");
    for (text, want) in cases() {
        std::fs::write(&path, &text).unwrap();
        let out = data.run(&["import", path.to_str().unwrap()]).await;
        assert_eq!(out.code, Some(1), "{out:#?}");
        assert!(
            out.stderr.contains(&path.display().to_string()),
            "{}",
            out.stderr
        );
        assert!(out.stderr.contains(want), "want {want:?} in {}", out.stderr);
        assert!(out.stderr.len() < 1000, "{} bytes", out.stderr.len());
        assert_eq!(
            out.stderr.matches(want).count(),
            1,
            "said once: {}",
            out.stderr
        );
        assert!(names(&data).await.is_empty(), "{want}");
    }
}

#[tokio::test]
async fn run_config_names_the_field_and_starts_nothing() {
    let data = Data::new();
    let path = data.path().join("declared.json");
    for (text, want) in cases() {
        std::fs::write(&path, &text).unwrap();
        let out = data.run(&["run", "--config", path.to_str().unwrap()]).await;
        assert_eq!(out.code, Some(1), "{out:#?}");
        assert!(out.stderr.contains(want), "want {want:?} in {}", out.stderr);
        assert!(out.stderr.len() < 1000, "{} bytes", out.stderr.len());
        assert_eq!(
            out.stderr.matches(want).count(),
            1,
            "said once: {}",
            out.stderr
        );
        assert!(names(&data).await.is_empty(), "{want}");
    }
}
