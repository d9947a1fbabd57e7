//! History pages bounded by bytes, with previews of large rows.

use std::time::SystemTime;
use streamwatch_engine::storage::{
    HistoryQuery, Record, Store, SubscriptionRecord, Writer, WriterConfig,
};

#[tokio::test]
async fn a_page_stops_at_its_byte_limit_and_previews_cut_on_a_character_boundary() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let id = store
        .add_subscription(&SubscriptionRecord::new("big", "http://127.0.0.1:1/"))
        .unwrap();
    let writer = Writer::spawn(store.path(), WriterConfig::default()).unwrap();
    // 10 rows of 1 MiB and 1 byte each, each starting with "é" (two bytes).
    for n in 0..10u64 {
        let data = format!("é{}", "x".repeat((1 << 20) - 1));
        writer
            .sender()
            .send(Record::Message {
                sub: id,
                at: SystemTime::now(),
                event: "big".into(),
                id: n.to_string().into(),
                data: data.into(),
                replayed: false,
                mismatch: None,
            })
            .await
            .unwrap();
    }
    writer.flush().await.unwrap();

    // Whole rows: the page stops once 3 MiB are reached, although 100 rows were allowed.
    let q = HistoryQuery {
        limit: 100,
        max_bytes: 3 << 20,
        ..HistoryQuery::latest(100)
    };
    let page = store.history(id, &q).unwrap();
    assert_eq!(page.len(), 3);
    assert_eq!(page[0].id, "9", "newest first");
    assert!(page
        .iter()
        .all(|m| m.data.len() as u64 == m.size && m.size == (1 << 20) + 1));

    // A limit below one row still gives one row.
    let one = store
        .history(
            id,
            &HistoryQuery {
                max_bytes: 1,
                ..HistoryQuery::latest(100)
            },
        )
        .unwrap();
    assert_eq!(one.len(), 1);

    // Previews: 1 byte would cut "é" in half, so nothing of it is kept; 3 bytes keep "éx".
    let cut = |preview_bytes| {
        store
            .history(
                id,
                &HistoryQuery {
                    preview_bytes,
                    ..HistoryQuery::latest(2)
                },
            )
            .unwrap()
    };
    let rows = cut(1);
    assert_eq!((rows[0].data.as_str(), rows[0].size), ("", (1 << 20) + 1));
    assert_eq!(cut(3)[0].data, "éx");
    // Previews count as what they carry: 10 previews of 64 KiB fit in 1 MiB.
    let previews = store
        .history(
            id,
            &HistoryQuery {
                preview_bytes: 64 << 10,
                max_bytes: 1 << 20,
                ..HistoryQuery::latest(100)
            },
        )
        .unwrap();
    assert_eq!(previews.len(), 10);
    assert!(previews.iter().all(|m| m.data.len() == 64 << 10));
    writer.shutdown().await.unwrap();
}
