//! A finite stream in the real window: a POST to the demo server's OpenAI-style endpoint,
//! added through the form with the reconnect choice left at the method's default (shown as
//! "after errors only"). The answer ends with `[DONE]`: the prompt is POSTed once (counted on
//! the server's request log), the detail view says "Finished · [DONE] after …", the timeline
//! "finished: [DONE] after …", and "Run again" POSTs it once more. Screenshots at 720×480,
//! 1200×780 and 1920×1080. See ../README.md.

use std::time::Duration;
use streamwatch_demo_server::DemoConfig;
use streamwatch_e2e::window_sizes::shots;
use streamwatch_e2e::{App, Demo};

const NAME: &str = "Answer";
const TAG: &str = "e2e=finite";
const PROMPT: &str = r#"{"model":"gpt-demo","stream":true,"messages":[{"role":"user","content":"say hello to the window"}]}"#;

/// How many requests the demo server logged for this test's URL (`usize::MAX` when its log
/// cannot be read, which no count asserted here equals).
async fn posts(server: &Demo) -> usize {
    server.requests().await.map_or(usize::MAX, |all| {
        all.iter()
            .filter(|r| r["path"].as_str().is_some_and(|p| p.contains(TAG)))
            .count()
    })
}

#[tokio::test]
async fn a_post_answer_is_sent_once_finishes_and_runs_again_on_request() {
    let server = Demo::start(DemoConfig::default()).await;
    let app = App::launch("finite-run").await;
    app.wait_sub_state("Demo stream", "open").await;

    app.click("btn-add").await;
    app.element("subscription-form").await;
    app.set_value("field-name", NAME).await;
    app.set_value(
        "field-url",
        &server.url(&format!("/v1/chat/completions?token_ms=20&{TAG}")),
    )
    .await;
    app.set_value("field-method", "POST").await;
    app.set_value("field-body", PROMPT).await;
    let default = app
        .js("const s = document.querySelector('[data-testid=\"field-reconnect\"]'); return s ? [s.value, s.options[0].textContent.trim()] : null;")
        .await;
    assert_eq!(
        default,
        serde_json::json!(["by-method", "Default for POST: after errors only"]),
        "the default named for the method"
    );
    app.click("btn-save").await;
    app.wait_gone("subscription-form").await;

    let detail = app.wait_detail_state(NAME, "stopped").await;
    let finished = app.text_of("detail-finished").await;
    assert!(
        finished.starts_with("Finished · [DONE] after ") && finished.ends_with(" events"),
        "the finished run in words: {finished:?} ({detail:?})"
    );
    assert_eq!(app.text_of("detail-state").await, "finished");
    let sidebar = app.sub_named(NAME).await;
    assert_eq!(
        sidebar.as_ref().map(|s| s.word.as_str()),
        Some("finished"),
        "the sidebar says finished too: {sidebar:?}"
    );
    assert_eq!(app.text_of("btn-resume").await, "Run again");
    // Nothing is POSTed again on its own.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(posts(&server).await, 1, "the prompt is POSTed once");
    if app.count("[data-testid=\"timeline-item\"]").await == 0 {
        app.click("btn-toggle-timeline").await;
    }
    let line = app
        .wait_for_within("the timeline's finished entry", Duration::from_secs(20), async || {
            let v = app
                .js("const r = [...document.querySelectorAll('[data-testid=\"timeline-item\"] [data-testid=\"timeline-line\"]')].map((l) => l.textContent.trim()).find((t) => t.includes('[DONE] after ')); return r || null;")
                .await;
            v.as_str()
                .filter(|l| l.contains("[DONE] after "))
                .map(str::to_owned)
                .ok_or_else(|| format!("{v}"))
        })
        .await;
    assert!(line.starts_with("finished"), "{line:?}");
    // The finished words shorten rather than push the state line's toggles out of view.
    shots(
        &app,
        "finite-run-finished",
        None,
        Some("[data-testid=\"detail\"]"),
    )
    .await;

    // Run again: one more POST, finished again.
    app.click("btn-resume").await;
    app.wait_for("a second POST", async || match posts(&server).await {
        2 => Ok(()),
        n => Err(format!("{n} requests")),
    })
    .await;
    app.wait_detail_state(NAME, "stopped").await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(posts(&server).await, 2, "run again is one request");
    app.close().await;
}
