//! `--expect-schema [TYPE=]FILE`: `watch` flags events whose data does not match (a `"mismatch"`
//! field with --json, a marker in text), against the demo server's `bad_every` knob; `subs
//! add|edit` save, show and clear the schemas; a remote `$ref` is a usage error.

mod common;

use common::store::Data;
use common::{data_n, demo, run};

const SCHEMA: &str = r#"{"type":"object","required":["n"],"properties":{"n":{"type":"integer"}}}"#;

fn schema_file(dir: &std::path::Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write the schema");
    path.to_str().expect("utf-8 path").to_string()
}

#[tokio::test]
async fn watch_flags_the_events_that_do_not_match_in_json_and_text() {
    let server = demo().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = schema_file(dir.path(), "n.json", SCHEMA);
    let url = server.url("/events?bad_every=3&rate=0");
    let out = run(&[
        "watch",
        &url,
        "--json",
        "--count",
        "9",
        "--expect-schema",
        &file,
    ])
    .await;
    assert_eq!(out.code, Some(0), "{out:#?}");
    let messages: Vec<_> = out
        .json()
        .into_iter()
        .filter(|l| l["type"] == "message")
        .collect();
    assert_eq!(messages.len(), 9);
    for m in &messages {
        let id: u64 = m["id"].as_str().expect("id").parse().expect("numeric");
        if id % 3 == 0 {
            let words = m["mismatch"].as_str().expect("flagged");
            assert!(
                words.starts_with("/n: ") && words.contains("integer"),
                "{m}"
            );
        } else {
            assert_eq!(data_n(m), id);
            assert!(m.get("mismatch").is_none(), "{m}");
        }
    }

    // Text: a marker on the flagged lines only; a schema for another type judges nothing.
    let out = run(&["watch", &url, "--count", "3", "--expect-schema", &file]).await;
    let lines: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.contains(" message "))
        .collect();
    assert_eq!(lines.len(), 3, "{}", out.stdout);
    assert!(
        !lines[0].contains("mismatch") && lines[2].contains("(mismatch: /n: "),
        "{lines:?}"
    );
    let other = format!("other={file}");
    let out = run(&[
        "watch",
        &url,
        "--json",
        "--count",
        "3",
        "--expect-schema",
        &other,
    ])
    .await;
    assert!(!out.stdout.contains("mismatch"), "{}", out.stdout);
}

#[tokio::test]
async fn a_remote_ref_or_a_file_that_is_not_json_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let remote = schema_file(
        dir.path(),
        "r.json",
        r#"{"$ref":"https://example.com/s.json"}"#,
    );
    let out = run(&["watch", "http://127.0.0.1:9/", "--expect-schema", &remote]).await;
    assert_eq!(out.code, Some(2), "{out:#?}");
    assert!(
        out.stderr.contains("https://example.com/s.json")
            && out.stderr.contains("nothing is fetched"),
        "{}",
        out.stderr
    );
    let broken = schema_file(dir.path(), "b.json", "{");
    let out = run(&[
        "watch",
        "http://127.0.0.1:9/",
        "--expect-schema",
        &format!("tick={broken}"),
    ])
    .await;
    assert_eq!(out.code, Some(2), "{out:#?}");
    assert!(out.stderr.contains("not JSON"), "{}", out.stderr);
}

#[tokio::test]
async fn subs_save_show_and_clear_their_schemas() {
    let data = Data::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = schema_file(dir.path(), "n.json", SCHEMA);
    let typed = format!("tick={file}");
    data.ok(&[
        "subs",
        "add",
        "ticks",
        "http://127.0.0.1:9/events",
        "--expect-schema",
        &typed,
        "--expect-schema",
        &file,
    ])
    .await;
    let shown = data.show("ticks").await;
    let list = shown["expectations"].as_array().expect("saved");
    assert_eq!(list.len(), 2, "{shown}");
    assert_eq!(list[0]["event_type"], "tick");
    assert_eq!(list[0]["schema"]["properties"]["n"]["type"], "integer");
    assert!(list[1].get("event_type").is_none(), "{shown}");
    let human = data.ok(&["subs", "show", "ticks"]).await.stdout;
    assert!(
        human.contains("expects schema:  for event type \"tick\""),
        "{human}"
    );
    assert!(human.contains("expects schema:  for all events"), "{human}");
    data.ok(&["subs", "edit", "ticks", "--keep-rows", "9"])
        .await;
    assert_eq!(
        data.show("ticks").await["expectations"]
            .as_array()
            .map(Vec::len),
        Some(2),
        "kept"
    );
    data.ok(&["subs", "edit", "ticks", "--no-expect-schema"])
        .await;
    assert!(data.show("ticks").await.get("expectations").is_none());
}
