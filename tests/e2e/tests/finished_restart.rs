//! A finished POST answer survives a relaunch of the app (issue 14): the prompt, saved with
//! the method's default reconnect choice, is POSTed once and finishes; quit and launch again
//! on the same data directory, and the window shows it "finished" with its words and "Run
//! again", and the demo server's request log still holds one POST. "Run again" POSTs once
//! more. Screenshots at 720×480, 1200×780 and 1920×1080. See ../README.md.

use serde_json::Value;
use std::time::Duration;
use streamwatch_demo_server::DemoConfig;
use streamwatch_e2e::{App, Demo, Desktop};
use streamwatch_engine::storage::{Store, SubscriptionRecord};

const NAME: &str = "Answer";
const TAG: &str = "e2e=finished-restart";
const PROMPT: &str = r#"{"model":"gpt-demo","stream":true,"messages":[{"role":"user","content":"only once, please"}]}"#;

/// How many requests the demo server logged for this test's URL (its `/requests` log, read
/// over a plain HTTP/1.1 request).
async fn posts(server: &Demo) -> usize {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(mut sock) = tokio::net::TcpStream::connect(server.addr()).await else {
        return usize::MAX;
    };
    let ask = b"GET /requests HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    let mut reply = Vec::new();
    if sock.write_all(ask).await.is_err() || sock.read_to_end(&mut reply).await.is_err() {
        return usize::MAX;
    }
    let text = String::from_utf8_lossy(&reply);
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    let log: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    log.as_array()
        .map(|all| {
            all.iter()
                .filter(|r| r["path"].as_str().is_some_and(|p| p.contains(TAG)))
                .count()
        })
        .unwrap_or(usize::MAX)
}

async fn text_of(app: &App, testid: &str) -> String {
    app.js(&format!(
        "const el = document.querySelector('[data-testid=\"{testid}\"]'); return el ? el.textContent.trim() : '';"
    ))
    .await
    .as_str()
    .unwrap_or("")
    .to_owned()
}

/// Selects the answer and waits until the detail shows it finished; returns its words.
async fn shows_finished(app: &App) -> String {
    app.click_css(&format!("[data-testid=\"sub-item\"][data-name=\"{NAME}\"]"))
        .await;
    app.wait_detail_state(NAME, "stopped").await;
    let finished = text_of(app, "detail-finished").await;
    assert!(
        finished.starts_with("Finished · [DONE] after ") && finished.ends_with(" events"),
        "the finished run in words: {finished:?}"
    );
    assert_eq!(text_of(app, "detail-state").await, "finished");
    assert_eq!(text_of(app, "btn-resume").await, "Run again");
    let sidebar = app.sub_named(NAME).await;
    assert_eq!(
        sidebar.as_ref().map(|s| s.word.as_str()),
        Some("finished"),
        "the sidebar says finished: {sidebar:?}"
    );
    finished
}

#[tokio::test]
async fn a_finished_post_stays_finished_after_a_relaunch_and_is_not_posted_again() {
    let server = Demo::start(DemoConfig::default()).await;
    let desktop = Desktop::start("finished_restart").await;
    {
        let store = Store::open(desktop.data_dir()).expect("the data directory opens");
        let mut answer = SubscriptionRecord::new(
            NAME,
            server.url(&format!("/v1/chat/completions?token_ms=0&{TAG}")),
        );
        answer.method = "POST".into();
        answer.body = Some(PROMPT.into());
        store
            .add_subscription(&answer)
            .expect("the subscription is saved");
    }

    let app = App::launch_on(desktop, "finished_restart").await;
    let before = shows_finished(&app).await;
    assert_eq!(posts(&server).await, 1, "POSTed once by the first launch");

    let desktop = app.quit().await;
    let app = App::launch_on(desktop, "finished_restart").await;
    let after = shows_finished(&app).await;
    assert_eq!(after, before, "the same run's words after the relaunch");
    // Time for a wrongly sent request to reach the server.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(posts(&server).await, 1, "not POSTed again by the relaunch");
    for (w, h) in [(720, 480), (1920, 1080), (1200, 780)] {
        app.screenshot_at("finished-restart", w, h).await;
    }

    app.click("btn-resume").await;
    app.wait_for("a second POST", async || match posts(&server).await {
        2 => Ok(()),
        n => Err(format!("{n} requests")),
    })
    .await;
    app.wait_detail_state(NAME, "stopped").await;
    app.close().await;
}
