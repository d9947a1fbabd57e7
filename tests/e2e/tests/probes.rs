//! Probes in the real window: the first run lists the "Demo LLM probe"; a probe added through
//! the form's Probe section (every 10 s, a first-token limit of 1 ms so each run breaks it)
//! POSTs to a demo server's OpenAI endpoint; its runs fill the Runs panel (first token and
//! duration figures, the answer's first line, a row opening the whole answer), "Run now" adds
//! one at once, a run against the stopped server is shown as failed in plain words and the
//! success rate drops below 100 %, and the run notification is listed. An answer rule the
//! engine refuses lands under its field. Screenshots of the form's section and of the detail
//! with the panel at 720×480, 1200×780 and 1920×1080. See ../README.md.

use std::time::Duration;
use streamwatch_demo_server::DemoConfig;
use streamwatch_e2e::runs_panel::{open_run, rows};
use streamwatch_e2e::window_sizes::shots;
use streamwatch_e2e::{App, Demo};

const NAME: &str = "LLM probe";
const PROMPT: &str = r#"{"model":"gpt-demo","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hello probe"}]}"#;

/// Waits until the probe is between runs (the Runs panel says when the next one is due).
async fn wait_for_slot(app: &App) {
    app.wait_for("the probe to wait for its slot", async || {
        let next = app.text_of("runs-next").await;
        if next.starts_with("next run at ") {
            Ok(())
        } else {
            Err(next)
        }
    })
    .await;
}

#[tokio::test]
async fn a_probe_added_in_the_form_runs_and_its_runs_are_shown() {
    let mut server = Demo::start(DemoConfig::default()).await;
    let app = App::launch("probes").await;

    // The first run brings the demo LLM probe beside the demo stream.
    app.wait_for("the sidebar to list the Demo LLM probe", async || {
        let subs = app.sidebar().await;
        if subs.iter().any(|s| s.name == "Demo LLM probe") {
            Ok(())
        } else {
            Err(format!("{subs:?}"))
        }
    })
    .await;

    app.click("btn-add").await;
    app.element("subscription-form").await;
    app.set_value("field-name", NAME).await;
    app.set_value(
        "field-url",
        &server.url("/v1/chat/completions?token_ms=5&e2e=probe"),
    )
    .await;
    app.set_value("field-method", "POST").await;
    app.set_value("field-body", PROMPT).await;
    app.click("form-probe-toggle").await;
    app.set_value("field-probe-every", "10").await;
    app.set_value("field-probe-unit", "s").await;
    // Every run breaks a 1 ms first-token limit: a run notification each time.
    app.set_value("field-probe-first-token-ms", "1").await;
    // A regex the engine refuses: its words land under the regex field.
    app.set_value("field-probe-expect-regex", "(unclosed").await;
    app.click("btn-save").await;
    let refused = app
        .wait_for("the regex refusal under its field", async || {
            let t = app.text_of("error-probe.expectRegex").await;
            if t.is_empty() {
                Err("no message".into())
            } else {
                Ok(t)
            }
        })
        .await;
    assert!(
        refused.contains("regular expression"),
        "the refusal says what is wrong: {refused:?}"
    );
    shots(
        &app,
        "probe-form",
        Some("form-probe"),
        Some("[data-testid=\"subscription-form\"] .panel-body"),
    )
    .await;
    app.set_value("field-probe-expect-regex", "").await;
    app.set_value("field-probe-expect-contains", "").await;
    app.click("btn-save").await;
    app.wait_gone("subscription-form").await;

    // Runs appear, with figures and the answer.
    app.element("runs-panel").await;
    let first = app
        .wait_for_within(
            "an ok run in the table",
            Duration::from_secs(30),
            async || {
                let rows = rows(&app).await;
                match rows.iter().find(|r| r[0] == "ok") {
                    Some(r) => Ok(r.clone()),
                    None => Err(format!("{rows:?}")),
                }
            },
        )
        .await;
    assert!(
        first[1] != "—" && first[2] != "—",
        "first token and duration are shown: {first:?}"
    );
    assert!(!first[3].is_empty(), "the answer's first line: {first:?}");
    open_run(&app, "ok").await;
    let text = app.text_of("run-text").await;
    assert!(
        text.len() >= first[3].trim_end_matches('…').len() && !text.is_empty(),
        "the whole answer opens: {text:?}"
    );

    // Run now: one more run without waiting for the slot.
    let before = rows(&app).await.len();
    wait_for_slot(&app).await;
    app.click("btn-run-now").await;
    app.wait_for("a run more", async || {
        let n = rows(&app).await.len();
        if n > before {
            Ok(())
        } else {
            Err(format!("{n} rows"))
        }
    })
    .await;

    // The server goes away: the next run fails, in plain words, and the rate drops.
    server.stop().await;
    wait_for_slot(&app).await;
    app.click("btn-run-now").await;
    let failed = app
        .wait_for_within("a failed run", Duration::from_secs(30), async || {
            let rows = rows(&app).await;
            match rows.iter().find(|r| r[0] == "failed") {
                Some(r) => Ok(r.clone()),
                None => Err(format!("{rows:?}")),
            }
        })
        .await;
    assert!(
        failed[3].to_lowercase().contains("refused")
            && !failed[3].contains("error sending request"),
        "the failure in plain words: {failed:?}"
    );
    let rate = app
        .wait_for("the success rate below 100 %", async || {
            let t = app.text_of("runs-success").await;
            if t.contains("% ok today") && !t.starts_with("100 %") {
                Ok(t)
            } else {
                Err(t)
            }
        })
        .await;
    assert!(rate.contains(" of "), "{rate:?}");
    open_run(&app, "failed").await;
    let why = app.text_of("run-failure").await;
    assert!(why.starts_with("Failed: "), "{why:?}");
    shots(
        &app,
        "probe-runs",
        Some("runs-panel"),
        Some("[data-testid=\"detail\"]"),
    )
    .await;

    // The run notifications are listed.
    let listed = app
        .wait_for("a run notification in the in-app list", async || {
            let v = app
                .js("return window.__TAURI_INTERNALS__.invoke('list_notifications', {before: null, limit: 100})
                       .then(l => l.map(n => n.title + ' | ' + n.body));")
                .await;
            let hits: Vec<String> = v
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|t| t.as_str())
                .filter(|t| t.contains(NAME))
                .map(str::to_owned)
                .collect();
            if hits.iter().any(|t| t.contains("first token")) {
                Ok(hits)
            } else {
                Err(format!("{v}"))
            }
        })
        .await;
    assert!(!listed.is_empty());

    // The form shows the probe as saved.
    app.click("btn-edit").await;
    app.element("subscription-form").await;
    assert_eq!(app.value("field-probe-every").await, "10");
    assert_eq!(app.value("field-probe-unit").await, "s");
    assert_eq!(app.value("field-probe-first-token-ms").await, "1");
    app.close().await;
}
