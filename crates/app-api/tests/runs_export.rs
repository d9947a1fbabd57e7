//! The window's "Export runs…" against a real database and real files: every stored run of a
//! probe in the file, as JSON lines and as CSV (formulas defused, as the runs file's rule
//! says), and a failed export (a stream gone, a folder that cannot be written) leaving no file.

use serde_json::Value;
use std::path::Path;
use std::time::SystemTime;
use streamwatch_app_api::error::ErrorKind;
use streamwatch_app_api::file_transfer;
use streamwatch_app_api::transfer_dto::HistoryFileFormat;
use streamwatch_engine::catalog::Catalog;
use streamwatch_engine::llm::{LlmFormat, LlmSummary};
use streamwatch_engine::record::Record;
use streamwatch_engine::run_result::RunResult;
use streamwatch_engine::run_summary::{EndReason, RunSummary};
use streamwatch_engine::runs_format::RUN_CSV_COLUMNS;
use streamwatch_engine::storage::{Store, SubscriptionRecord, Writer, WriterConfig};
use streamwatch_engine::SubscriptionId;

/// The answers of the ok runs, oldest first: one a spreadsheet would run as a formula.
const ANSWERS: [&str; 3] = [
    "You said: hello runs",
    "=HYPERLINK(\"http://evil.example\")",
    "You said: third",
];
const FAILURE: &str = "+connection refused";

fn summary(text: &str) -> RunSummary {
    RunSummary {
        status: 200,
        ttfb_ms: 3,
        first_event_ms: Some(4),
        first_token_ms: Some(5),
        duration_ms: 90,
        events: 7,
        bytes: 700,
        end: EndReason::DoneSentinel,
        sentinel: Some("message_stop".into()),
        llm: Some(LlmSummary {
            format: LlmFormat::Anthropic,
            text: text.into(),
            text_truncated: false,
            finish_reason: Some("end_turn".into()),
            usage: Some(serde_json::json!({"input_tokens": 4, "output_tokens": 3})),
        }),
        raw: None,
    }
}

/// A catalog whose probe "p" has the runs of [`ANSWERS`] and one failed run, in that order.
async fn catalog_with_runs(dir: &Path) -> (Catalog, SubscriptionId) {
    let store = Store::open(dir).expect("store");
    let mut record = SubscriptionRecord::new("p", "http://127.0.0.1:9/v1/messages");
    record.method = "POST".into();
    record.probe_every_ms = Some(60_000);
    record.paused = true;
    let id = store.add_subscription(&record).expect("saved");
    let writer = Writer::spawn(store.path(), WriterConfig::default()).expect("writer");
    let results = ANSWERS
        .iter()
        .map(|a| RunResult::ended(summary(a)))
        .chain([RunResult::failed(None, FAILURE.into())]);
    for result in results {
        let sender = writer.sender();
        let at = SystemTime::now();
        sender
            .send(Record::RunStarted {
                sub: id,
                at,
                probe: true,
            })
            .await
            .expect("started");
        sender
            .send(Record::RunEnded {
                sub: id,
                at,
                result: Box::new(result),
            })
            .await
            .expect("ended");
    }
    writer.flush().await.expect("flushed");
    writer.shutdown().await.expect("shut down");
    let catalog = Catalog::open(dir, Default::default()).expect("catalog");
    (catalog, id)
}

#[tokio::test]
async fn every_run_goes_to_the_file_as_json_lines_and_as_csv() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (catalog, id) = catalog_with_runs(&dir.path().join("data")).await;

    let path = dir.path().join("runs.jsonl");
    let done =
        file_transfer::export_runs(&catalog, id, HistoryFileFormat::Jsonl, &path).expect("exports");
    assert_eq!(done.count, 4);
    assert_eq!(done.path, path.display().to_string());
    let text = std::fs::read_to_string(&path).expect("written");
    let runs: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object a line"))
        .collect();
    assert_eq!(runs.len(), 4, "{text}");
    // Newest first: the failed run, then the answers from the newest.
    assert_eq!(runs[0]["ok"], false);
    assert_eq!(runs[0]["failure"], FAILURE);
    let answers: Vec<&str> = runs[1..]
        .iter()
        .map(|r| r["text"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(answers, [ANSWERS[2], ANSWERS[1], ANSWERS[0]]);
    for r in &runs[1..] {
        assert_eq!(r["ok"], true, "{r}");
        assert_eq!(r["format"], "anthropic", "{r}");
        assert_eq!(r["finish_reason"], "end_turn", "{r}");
        assert_eq!(r["usage"]["output_tokens"], 3, "{r}");
        assert_eq!(
            (&r["first_event_ms"], &r["first_token_ms"], &r["bytes"]),
            (&Value::from(4), &Value::from(5), &Value::from(700)),
            "{r}"
        );
    }

    let path = dir.path().join("runs.csv");
    let done =
        file_transfer::export_runs(&catalog, id, HistoryFileFormat::Csv, &path).expect("exports");
    assert_eq!(done.count, 4);
    let text = std::fs::read_to_string(&path).expect("written");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], RUN_CSV_COLUMNS.join(","));
    // The answers here are one line each: one row a line, after the header.
    assert_eq!(lines.len(), 5, "{text}");
    assert!(
        text.contains(&format!(",'{FAILURE},")),
        "the failure's formula is defused: {text}"
    );
    assert!(
        text.contains(",\"'=HYPERLINK(\"\"http://evil.example\"\")\"\n"),
        "the answer's formula is defused: {text}"
    );
    for answer in [ANSWERS[0], ANSWERS[2]] {
        assert!(text.contains(&format!(",{answer}\n")), "{answer}: {text}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the owner's only");
    }
}

#[tokio::test]
async fn a_failed_export_says_why_and_leaves_no_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (catalog, id) = catalog_with_runs(&dir.path().join("data")).await;

    let gone = dir.path().join("gone.csv");
    let e =
        file_transfer::export_runs(&catalog, SubscriptionId(999), HistoryFileFormat::Csv, &gone)
            .expect_err("no such stream");
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert!(!gone.exists(), "no file for a stream that is gone");

    let nowhere = dir.path().join("nowhere/runs.jsonl");
    let e = file_transfer::export_runs(&catalog, id, HistoryFileFormat::Jsonl, &nowhere)
        .expect_err("no such folder");
    assert_eq!(e.kind, ErrorKind::File);
    assert!(e.message.contains("nowhere/runs.jsonl"), "{}", e.message);

    // /sys refuses new files to everyone, root included.
    #[cfg(target_os = "linux")]
    {
        let e = file_transfer::export_runs(
            &catalog,
            id,
            HistoryFileFormat::Csv,
            Path::new("/sys/streamwatch-runs.csv"),
        )
        .expect_err("cannot write there");
        assert_eq!(e.kind, ErrorKind::PermissionDenied, "{e:?}");
        assert!(!Path::new("/sys/streamwatch-runs.csv").exists());
    }
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .expect("list")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "data")
        .collect();
    assert!(left.is_empty(), "no file or temporary file left: {left:?}");
}
