//! Marker rows in the real window's live log: the first-run demo stream drops its connection
//! every 25 messages on purpose, and the log says where it reconnected, between the messages,
//! without counting the marker as one. See ../README.md.

use streamwatch_e2e::App;

const DEMO_NAME: &str = "Demo stream";

#[tokio::test]
async fn the_log_marks_where_the_demo_stream_reconnected() {
    let app = App::launch("log_markers").await;
    app.wait_detail_state(DEMO_NAME, "open").await;
    let text = app
        .wait_for("a reconnect marker row in the log", async || {
            let v = app
                .js(
                    "const m = document.querySelector('[data-testid=\"log-marker\"][data-marker=\"reconnect\"]');
                     return m ? m.textContent.trim() : null;",
                )
                .await;
            v.as_str()
                .map(str::to_owned)
                .ok_or_else(|| "no reconnect marker yet".to_owned())
        })
        .await;
    assert!(text.contains("reconnected"), "the marker says so: {text:?}");
    app.screenshot("log-marker-reconnect").await;

    // The marker is not a message: the log's count is of message rows only.
    let counts = app
        .js(
            "const rows = document.querySelectorAll('[data-testid=\"log-row\"]').length;
             const markers = document.querySelectorAll('[data-testid=\"log-marker\"]').length;
             return { rows, markers, count: document.querySelector('[data-testid=\"log-count\"]').textContent.trim() };",
        )
        .await;
    let count = counts["count"].as_str().unwrap_or("");
    let shown: u64 = count
        .split_whitespace()
        .next()
        .and_then(|n| n.replace(',', "").parse().ok())
        .unwrap_or(0);
    assert!(
        counts["markers"].as_u64().unwrap_or(0) >= 1 && shown >= 25,
        "the log shows the marker and counts messages only: {counts}"
    );
    app.close().await;
}
