//! History files written from the catalog: every message in the time range once, oldest first,
//! across page boundaries (by rows and by bytes), several subscriptions in one file.

use serde_json::{json, Value};
use std::time::{Duration, UNIX_EPOCH};
use streamwatch_engine::catalog::{history_export, Catalog, TimeRange};
use streamwatch_engine::export_format;
use streamwatch_engine::history_format::{HistoryFormat, HistoryWriter};

/// Where the test histories start: recent, so retention (30 days by default) keeps them all.
fn t0_ms() -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_millis() as u64;
    // A whole second, a day back.
    (now / 1000 - 86_400) * 1000
}

fn stamp(ms: u64) -> String {
    let t = jiff::Timestamp::from_millisecond(ms as i64).expect("time");
    format!("{t:.3}")
}

/// A catalog holding "many" (n messages a second apart, ids 1..=n) and "big" (messages of 3 MiB
/// each, so a page ends on bytes), imported with their history.
async fn catalog(dir: &std::path::Path, t0: u64, many: u64, big: u64) -> Catalog {
    let history = |n: u64, data: &dyn Fn(u64) -> String| -> Vec<Value> {
        (1..=n)
            .map(|i| {
                json!({"received_at": stamp(t0 + i * 1000), "event": "tick",
                       "id": i.to_string(), "data": data(i)})
            })
            .collect()
    };
    let doc = json!({"format": "streamwatch-export", "version": 1, "subscriptions": [
        {"name": "many", "url": "http://127.0.0.1:9/a",
         "history": history(many, &|i| format!("{{\"n\":{i}}}"))},
        {"name": "big", "url": "http://127.0.0.1:9/b",
         "history": history(big, &|i| format!("{i}{}", "x".repeat(3 << 20)))},
    ]});
    let file = export_format::parse(&doc.to_string(), "t.json").expect("parses");
    let catalog = Catalog::open(dir, Default::default()).expect("catalog");
    catalog
        .import(&file, "t.json", false)
        .await
        .expect("imports");
    catalog
}

fn ids_of(catalog: &Catalog) -> Vec<streamwatch_engine::SubscriptionId> {
    catalog
        .subscriptions()
        .expect("list")
        .iter()
        .map(|s| s.id)
        .collect()
}

fn lines(
    catalog: &Catalog,
    which: &[streamwatch_engine::SubscriptionId],
    range: TimeRange,
) -> Vec<Value> {
    let mut w = HistoryWriter::new(Vec::new(), HistoryFormat::Jsonl, true).expect("writer");
    let n = catalog
        .export_history(which, range, &mut w)
        .expect("exports");
    let text = String::from_utf8(w.finish().expect("finish")).expect("utf-8");
    let rows: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(
        rows.len() as u64,
        n,
        "the count returned is of lines written"
    );
    rows
}

#[tokio::test]
async fn every_message_once_in_order_across_pages_and_subscriptions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let many = history_export::PAGE_ROWS as u64 * 2 + 17;
    let big = (history_export::PAGE_BYTES / (3 << 20)) as u64 * 2 + 1;
    let catalog = catalog(dir.path(), t0_ms(), many, big).await;
    let ids = ids_of(&catalog);

    let rows = lines(&catalog, &ids, TimeRange::default());
    assert_eq!(rows.len() as u64, many + big);
    let ids_in = |name: &str| -> Vec<u64> {
        rows.iter()
            .filter(|r| r["subscription"] == name)
            .map(|r| r["id"].as_str().and_then(|i| i.parse().ok()).expect("id"))
            .collect()
    };
    assert_eq!(ids_in("many"), (1..=many).collect::<Vec<_>>());
    assert_eq!(ids_in("big"), (1..=big).collect::<Vec<_>>());
    // A subscription at a time, in the order asked for.
    assert_eq!(rows[0]["subscription"], "many");
    assert_eq!(rows[rows.len() - 1]["subscription"], "big");
}

#[tokio::test]
async fn the_time_range_includes_both_ends() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t0 = t0_ms();
    let catalog = catalog(dir.path(), t0, 100, 0).await;
    let many = ids_of(&catalog)[0];
    let at = |s: u64| Some(UNIX_EPOCH + Duration::from_millis(t0 + s * 1000));

    let rows = lines(
        &catalog,
        &[many],
        TimeRange {
            since: at(10),
            until: at(20),
        },
    );
    let ids: Vec<&str> = rows.iter().filter_map(|r| r["id"].as_str()).collect();
    let expected: Vec<String> = (10..=20).map(|i| i.to_string()).collect();
    assert_eq!(ids, expected);
    assert_eq!(rows[0]["received_at"], stamp(t0 + 10_000));

    let since_only = lines(
        &catalog,
        &[many],
        TimeRange {
            since: at(95),
            until: None,
        },
    );
    assert_eq!(since_only.len(), 6);
    let until_only = lines(
        &catalog,
        &[many],
        TimeRange {
            since: None,
            until: at(3),
        },
    );
    assert_eq!(until_only.len(), 3);
    let empty = lines(
        &catalog,
        &[many],
        TimeRange {
            since: at(50),
            until: at(40),
        },
    );
    assert!(empty.is_empty());
}
