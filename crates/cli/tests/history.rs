//! `streamwatch history`: JSON lines and CSV, oldest first, `--since` and `--limit`.

mod common;

use common::store::Data;
use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};

/// A subscription `h` whose ten messages arrived 10, 9, … 1 minutes ago, with data that needs
/// quoting in CSV.
async fn seeded() -> (Data, Vec<Value>) {
    let data = Data::new();
    let now = Timestamp::now();
    let messages: Vec<Value> = (1..=10)
        .map(|n: i64| {
            let at = now - SignedDuration::from_mins(11 - n);
            json!({
                "received_at": format!("{at:.3}"),
                "event": "tick",
                "id": n.to_string(),
                "data": format!("{{\"n\":{n},\"text\":\"a, \\\"b\\\"\"}}\nline two"),
            })
        })
        .collect();
    let file = json!({
        "format": "streamwatch-export",
        "version": 1,
        "subscriptions": [{"name": "h", "url": "http://127.0.0.1:9/", "history": messages}],
    });
    let path = data.path().join("seed.json");
    std::fs::write(&path, file.to_string()).unwrap();
    data.ok(&["import", path.to_str().unwrap()]).await;
    (data, messages)
}

fn ids(lines: &[Value]) -> Vec<String> {
    lines
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn jsonl_is_oldest_first_with_every_field() {
    let (data, messages) = seeded().await;
    let lines = data.history("h").await;
    assert_eq!(lines.len(), 10);
    for (i, (line, m)) in lines.iter().zip(&messages).enumerate() {
        assert_eq!(line["seq"], i as u64 + 1);
        for key in ["received_at", "event", "id", "data"] {
            assert_eq!(line[key], m[key], "{key}");
        }
    }
    // By id as well as by name.
    assert_eq!(data.ok(&["history", "1"]).await.json(), lines);
}

#[tokio::test]
async fn limit_keeps_the_newest_and_since_cuts_the_oldest() {
    let (data, messages) = seeded().await;
    let newest = data.ok(&["history", "h", "--limit", "3"]).await.json();
    assert_eq!(ids(&newest), ["8", "9", "10"]);
    // Messages 6..10 arrived 5..1 minutes ago.
    let recent = data.ok(&["history", "h", "--since", "5m30s"]).await.json();
    assert_eq!(ids(&recent), ["6", "7", "8", "9", "10"]);
    let at = messages[7]["received_at"].as_str().unwrap();
    let from = data.ok(&["history", "h", "--since", at]).await.json();
    assert_eq!(ids(&from), ["8", "9", "10"]);
    let both = data
        .ok(&["history", "h", "--since", "1h", "--limit", "2"])
        .await
        .json();
    assert_eq!(ids(&both), ["9", "10"]);
    assert!(data
        .ok(&["history", "h", "--since", "1s"])
        .await
        .stdout
        .is_empty());
}

#[tokio::test]
async fn csv_is_quoted_properly() {
    let (data, messages) = seeded().await;
    let out = data.ok(&["history", "h", "--format", "csv"]).await;
    let mut reader = csv::Reader::from_reader(out.stdout.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        header,
        ["seq", "received_at", "event", "id", "data", "replayed"]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 10);
    for (i, (row, m)) in rows.iter().zip(&messages).enumerate() {
        assert_eq!(&row[0], (i + 1).to_string());
        assert_eq!(&row[1], m["received_at"].as_str().unwrap());
        assert_eq!(&row[2], "tick");
        assert_eq!(&row[3], m["id"].as_str().unwrap());
        assert_eq!(&row[4], m["data"].as_str().unwrap());
        assert_eq!(&row[5], "false");
    }
    assert!(
        out.stdout.contains("{\"\"n\"\":1,"),
        "quotes are doubled: {}",
        out.stdout
    );
}

#[tokio::test]
async fn bad_arguments_are_usage_errors() {
    let (data, _) = seeded().await;
    for args in [
        &["history", "h", "--since", "yesterday"][..],
        &["history", "h", "--since", "10"],
        &["history", "h", "--limit", "0"],
        &["history", "h", "--format", "xml"],
    ] {
        let out = data.run(args).await;
        assert_eq!(out.code, Some(2), "{args:?}: {out:#?}");
    }
    let unknown = data.run(&["history", "nope"]).await;
    assert_eq!(unknown.code, Some(1), "{unknown:#?}");
    assert!(unknown.stderr.contains("\"nope\""), "{unknown:#?}");
}

#[tokio::test]
async fn csv_cells_cannot_start_a_spreadsheet_formula() {
    let data = Data::new();
    let at = format!("{:.3}", Timestamp::now());
    let file = json!({
        "format": "streamwatch-export",
        "version": 1,
        "subscriptions": [{"name": "f", "url": "http://127.0.0.1:9/", "history": [
            {"received_at": at, "event": "=HYPERLINK(\"http://x\")", "id": "-1", "data": "@SUM(A1)"},
            {"received_at": at, "event": "tick", "id": "+7", "data": "\tpad"},
            {"received_at": at, "event": "tick", "id": "8", "data": "a = b, -c"},
        ]}],
    });
    let path = data.path().join("seed.json");
    std::fs::write(&path, file.to_string()).unwrap();
    data.ok(&["import", path.to_str().unwrap()]).await;

    let out = data.ok(&["history", "f", "--format", "csv"]).await;
    let mut reader = csv::Reader::from_reader(out.stdout.as_bytes());
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| {
            r.unwrap()
                .iter()
                .skip(2)
                .take(3)
                .map(str::to_owned)
                .collect()
        })
        .collect();
    assert_eq!(
        rows,
        [
            ["'=HYPERLINK(\"http://x\")", "'-1", "'@SUM(A1)"],
            ["tick", "'+7", "'\tpad"],
            ["tick", "8", "a = b, -c"],
        ],
        "{}",
        out.stdout
    );
    // JSON lines are data for programs, not spreadsheets: left exactly as received.
    let lines = data.history("f").await;
    assert_eq!(lines[0]["event"], "=HYPERLINK(\"http://x\")");
    assert_eq!(lines[1]["data"], "\tpad");
}

#[tokio::test]
async fn replayed_events_are_marked_in_json_lines_and_csv() {
    let data = Data::new();
    let at = format!("{:.3}", Timestamp::now());
    let file = json!({
        "format": "streamwatch-export",
        "version": 1,
        "subscriptions": [{"name": "r", "url": "http://127.0.0.1:9/", "history": [
            {"received_at": at, "event": "tick", "id": "5", "data": "a"},
            {"received_at": at, "event": "tick", "id": "4", "data": "b", "replayed": true},
            {"received_at": at, "event": "tick", "id": "6", "data": "c", "replayed": false},
        ]}],
    });
    let path = data.path().join("seed.json");
    std::fs::write(&path, file.to_string()).unwrap();
    data.ok(&["import", path.to_str().unwrap()]).await;

    let lines = data.history("r").await;
    let flags: Vec<Option<&Value>> = lines.iter().map(|l| l.get("replayed")).collect();
    assert_eq!(
        flags,
        [None, Some(&json!(true)), None],
        "present only when true, as in watch --json"
    );
    let out = data.ok(&["history", "r", "--format", "csv"]).await;
    let mut reader = csv::Reader::from_reader(out.stdout.as_bytes());
    let column: Vec<String> = reader.records().map(|r| r.unwrap()[5].to_owned()).collect();
    assert_eq!(column, ["false", "true", "false"], "{}", out.stdout);
    let show = data.show("r").await;
    assert_eq!(show["counters"]["replayed"], 1, "{show:#}");
    assert_eq!(
        show["last_event_id"], "6",
        "a replay does not move the resume point"
    );
}
