//! The `runs` table: a run row is opened when it starts and completed when it ends (through the
//! writer, in order with everything else); a row left open is marked cut when the next run
//! starts; the answer is capped by bytes and the rows per subscription by count; and a file
//! from before runs were stored gains the table and keeps its subscriptions.

#[path = "support/downgrade.rs"]
mod downgrade;

use downgrade::{downgrade, version_adding};
use std::time::SystemTime;
use streamwatch_engine::llm::{LlmFormat, LlmSummary};
use streamwatch_engine::record::Record;
use streamwatch_engine::run_result::RunResult;
use streamwatch_engine::run_summary::{EndReason, RunSummary};
use streamwatch_engine::storage::{
    Store, SubscriptionRecord, Writer, WriterConfig, CUT_WORDS, MAX_RUNS_PER_SUBSCRIPTION,
    RUN_TEXT_CAP_BYTES, SCHEMA_VERSION,
};
use streamwatch_engine::SubscriptionId;

fn summary(text: String) -> RunSummary {
    RunSummary {
        status: 200,
        ttfb_ms: 3,
        first_event_ms: Some(4),
        first_token_ms: Some(5),
        duration_ms: 90,
        events: 7,
        bytes: 700,
        end: EndReason::DoneSentinel,
        sentinel: Some("[DONE]".into()),
        llm: Some(LlmSummary {
            format: LlmFormat::OpenaiChat,
            text,
            text_truncated: false,
            finish_reason: Some("stop".into()),
            usage: Some(serde_json::json!({"total_tokens": 12})),
        }),
        raw: None,
    }
}

async fn start(writer: &Writer, sub: SubscriptionId) {
    writer
        .sender()
        .send(Record::RunStarted {
            sub,
            at: SystemTime::now(),
            probe: false,
        })
        .await
        .unwrap();
}

async fn end(writer: &Writer, sub: SubscriptionId, result: RunResult) {
    writer
        .sender()
        .send(Record::RunEnded {
            sub,
            at: SystemTime::now(),
            result: Box::new(result),
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn rows_open_complete_are_cut_capped_and_bounded() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let id = store
        .add_subscription(&SubscriptionRecord::new("a", "http://127.0.0.1:1/"))
        .unwrap();
    let writer = Writer::spawn(store.path(), WriterConfig::default()).unwrap();

    // A run under way is stored as such: not ended, no verdict.
    start(&writer, id).await;
    writer.flush().await.unwrap();
    let open = store.last_run(id).unwrap().expect("a row");
    assert_eq!((open.ended_at, open.ok), (None, None));
    assert!(!open.finished_cleanly());

    // The next start marks it cut; the new one completes with its figures, its text capped.
    start(&writer, id).await;
    let long = "é".repeat(RUN_TEXT_CAP_BYTES);
    end(&writer, id, RunResult::ended(summary(long))).await;
    writer.flush().await.unwrap();
    let runs = store.runs(id, 10, None).unwrap();
    assert_eq!(runs.len(), 2);
    let (done, cut) = (&runs[0], &runs[1]);
    assert_eq!(cut.ok, Some(false));
    assert_eq!(cut.failure.as_deref(), Some(CUT_WORDS));
    assert!(done.finished_cleanly(), "{done:?}");
    assert_eq!(
        (
            done.status,
            done.ttfb_ms,
            done.first_token_ms,
            done.duration_ms
        ),
        (Some(200), Some(3), Some(5), Some(90))
    );
    assert_eq!(done.format.as_deref(), Some("openai-chat"));
    assert_eq!(done.usage, Some(serde_json::json!({"total_tokens": 12})));
    let text = done.text.as_deref().unwrap();
    assert!(text.len() <= RUN_TEXT_CAP_BYTES && text.len() > RUN_TEXT_CAP_BYTES - 2);
    assert!(done.text_truncated);

    // Bounded per subscription: the oldest go first.
    for _ in 0..MAX_RUNS_PER_SUBSCRIPTION + 5 {
        start(&writer, id).await;
        end(
            &writer,
            id,
            RunResult::failed(None, "connection refused".into()),
        )
        .await;
    }
    writer.flush().await.unwrap();
    let stats = store.run_stats(id, SystemTime::UNIX_EPOCH).unwrap();
    assert_eq!(stats.total, MAX_RUNS_PER_SUBSCRIPTION as u64);
    assert_eq!(stats.ok, 0, "the ok run was among the oldest: {stats:?}");
    writer.shutdown().await.unwrap();
}

#[test]
fn a_database_from_before_runs_gains_the_table_and_keeps_its_subscriptions() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let id = store
        .add_subscription(&SubscriptionRecord::new("kept", "http://127.0.0.1:1/"))
        .unwrap();
    let path = store.path().to_path_buf();
    drop(store);
    let before = version_adding("subscriptions", "probe_every_ms") - 1;
    downgrade(&path, before);
    let store = Store::open(tmp.path()).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let saved = store.subscription(id).unwrap().record;
    assert_eq!((saved.name.as_str(), saved.probe_every_ms), ("kept", None));
    assert!(store.runs(id, 10, None).unwrap().is_empty());
    let mut probe = saved.clone();
    probe.probe_every_ms = Some(60_000);
    store.update_subscription(id, &probe).unwrap();
    assert_eq!(
        store.subscription(id).unwrap().record.probe_every_ms,
        Some(60_000)
    );
}
