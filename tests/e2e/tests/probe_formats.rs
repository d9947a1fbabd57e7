//! The runs view for every LLM format the engine recognises, end to end: four probes saved
//! before the app starts (as `streamwatch add` would save them), one per format the demo server
//! speaks — OpenAI Chat Completions, OpenAI Responses, Anthropic Messages and Gemini — each with
//! its provider's own request body. Each one's run, opened in the Runs panel, shows ok, the
//! format by its name, every figure (status, time to the response headers, to the first event
//! and to the first token, duration, events, bytes, how it ended), the assembled answer
//! ("You said: " and the prompt's words), the finish reason and the usage. "Export runs…"
//! writes a probe's runs through the system's save dialog, as CSV and as JSON lines, and says
//! so in words when the folder cannot be written.
//! Screenshots of the Anthropic probe's panel, its run open, and of the export's row, at
//! 720×480, 1200×780 and 1920×1080. See ../README.md.

use serde_json::Value;
use std::path::Path;
use std::time::Duration;
use streamwatch_demo_server::DemoConfig;
use streamwatch_e2e::file_chooser::{outcome, through_chooser};
use streamwatch_e2e::runs_panel::{figures, open_run, rows};
use streamwatch_e2e::window_sizes::shots;
use streamwatch_e2e::{App, Demo, Desktop};
use streamwatch_engine::storage::{Store, StoredHeader, SubscriptionRecord};

/// One probe: its endpoint on the demo server, its provider's request body around `words`
/// (the last user message, which the answer echoes), and what its run shows.
struct Probe {
    name: &'static str,
    path: &'static str,
    words: &'static str,
    /// `format` in the runs file.
    format: &'static str,
    /// The format's name in the panel.
    label: &'static str,
    finish: &'static str,
}

const PROBES: [Probe; 4] = [
    Probe {
        name: "Chat probe",
        path: "/v1/chat/completions?token_ms=5",
        words: "chat completions words",
        format: "openai-chat",
        label: "OpenAI Chat Completions",
        finish: "stop",
    },
    Probe {
        name: "Responses probe",
        path: "/v1/responses?token_ms=5",
        words: "responses api words",
        format: "openai-responses",
        label: "OpenAI Responses",
        finish: "completed",
    },
    Probe {
        name: "Anthropic probe",
        path: "/v1/messages?token_ms=5",
        words: "anthropic messages words",
        format: "anthropic",
        label: "Anthropic Messages",
        finish: "end_turn",
    },
    Probe {
        name: "Gemini probe",
        path: "/v1beta/models/gemini-demo:streamGenerateContent?alt=sse&token_ms=5",
        words: "gemini stream words",
        format: "gemini",
        label: "Gemini",
        finish: "STOP",
    },
];

/// The request body each provider takes, with `words` as the user's message.
fn body(format: &str, words: &str) -> String {
    let v = match format {
        "openai-chat" => serde_json::json!({
            "model": "gpt-demo", "stream": true, "stream_options": {"include_usage": true},
            "messages": [{"role": "user", "content": words}]}),
        "openai-responses" => serde_json::json!({
            "model": "gpt-demo", "stream": true,
            "input": [{"role": "user", "content": [{"type": "input_text", "text": words}]}]}),
        "anthropic" => serde_json::json!({
            "model": "claude-demo", "max_tokens": 256, "stream": true,
            "messages": [{"role": "user", "content": words}]}),
        _ => serde_json::json!({
            "contents": [{"role": "user", "parts": [{"text": words}]}]}),
    };
    v.to_string()
}

/// Saves the probes (an hour apart: each runs once, at start) and returns their ids.
fn seed(dir: &Path, demo: &Demo) -> Vec<u64> {
    let store = Store::open(dir).expect("the data directory opens");
    PROBES
        .iter()
        .map(|p| {
            let mut r = SubscriptionRecord::new(p.name, demo.url(p.path));
            r.method = "POST".into();
            r.headers.push(StoredHeader {
                name: "Content-Type".into(),
                value: "application/json".into(),
                secret: false,
            });
            r.body = Some(body(p.format, p.words));
            r.probe_every_ms = Some(3_600_000);
            store.add_subscription(&r).expect("the probe is saved").0
        })
        .collect()
}

/// Selects the probe `id` and waits for its ok run in the Runs panel, with its answer.
async fn show_run(app: &App, id: u64, p: &Probe) {
    app.click_css(&format!("#sub-option-{id}")).await;
    let said = format!("You said: {}", p.words);
    app.wait_for_within(
        &format!("{}'s ok run in the Runs panel", p.name),
        Duration::from_secs(30),
        async || {
            let rows = rows(app).await;
            if rows.iter().any(|r| r[0] == "ok" && r[3].contains(&said)) {
                Ok(())
            } else {
                Err(format!("{rows:?}"))
            }
        },
    )
    .await;
    open_run(app, "ok").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_llm_format_shows_its_run_and_exports_it() {
    let demo = Demo::start(DemoConfig::default()).await;
    let desktop = Desktop::start("probe_formats").await;
    let ids = seed(desktop.data_dir(), &demo);
    let app = App::launch_on(desktop, "probe_formats").await;
    let out = app.desktop().temp_dir().join("exports");
    std::fs::create_dir_all(&out).expect("the exports folder");

    for (p, &id) in PROBES.iter().zip(&ids) {
        show_run(&app, id, p).await;
        let figs = figures(&app).await;
        let fig = |key: &str| figs.get(key).map(String::as_str).unwrap_or("");
        assert_eq!(fig("status"), "200", "{}: {figs:?}", p.name);
        assert_eq!(fig("format"), p.label, "{}: {figs:?}", p.name);
        assert_eq!(fig("finish"), p.finish, "{}: {figs:?}", p.name);
        // The demo counts words: the prompt's three in, "You said:" and them out.
        assert_eq!(fig("usage"), "3 in · 5 out", "{}: {figs:?}", p.name);
        for key in ["ttfb", "first-event", "first-token", "duration"] {
            let v = fig(key);
            assert!(
                v.ends_with(" ms") || v.ends_with(" s"),
                "{}: {key} is a time: {figs:?}",
                p.name
            );
        }
        assert!(
            fig("events").parse::<u64>().is_ok_and(|n| n >= 5),
            "{}: events: {figs:?}",
            p.name
        );
        assert!(fig("bytes").ends_with('B'), "{}: bytes: {figs:?}", p.name);
        assert!(
            !["—", "", "error", "timeout"].contains(&fig("end")),
            "{}: a clean end: {figs:?}",
            p.name
        );
        let text = app.text_of("run-text").await;
        assert_eq!(text, format!("You said: {}", p.words), "{}", p.name);
        let row = rows(&app).await;
        assert_eq!(row[0][0], "ok", "{}: {row:?}", p.name);
        assert!(
            row[0][1] != "—" && row[0][2] != "—",
            "{}: the table's first token and duration: {row:?}",
            p.name
        );

        if p.format == "anthropic" {
            shots(
                &app,
                "probe-formats-anthropic",
                Some("runs-panel"),
                Some("[data-testid=\"detail\"]"),
            )
            .await;

            // Export its runs as CSV through the save dialog.
            app.click("btn-export-runs").await;
            app.click("runs-export-format-csv").await;
            let path = out.join("anthropic-runs.csv");
            through_chooser(&app, "runs-export-run", "Export runs", &path, true, None).await;
            let done = outcome(&app, "runs-export-result", "runs-export-error")
                .await
                .unwrap_or_else(|e| panic!("the runs export succeeds: {e:?}"));
            assert_eq!(done, format!("Wrote 1 run to {}.", path.display()));
            // The export's row under the panel's head fits at every size too (ends at 1200x780).
            shots(
                &app,
                "probe-formats-exported",
                Some("runs-export"),
                Some("[data-testid=\"detail\"]"),
            )
            .await;
            let csv = std::fs::read_to_string(&path).expect("the CSV is written");
            let lines: Vec<&str> = csv.lines().collect();
            assert!(
                lines[0].starts_with("id,probe,started_at,ended_at,ok,status,"),
                "{csv}"
            );
            assert_eq!(lines.len(), 2, "a header and the one run: {csv}");
            for cell in [
                ",true,",
                ",anthropic,end_turn,",
                &format!(",You said: {}", p.words),
            ] {
                assert!(lines[1].contains(cell), "{cell:?} in {csv}");
            }
            app.click("runs-export-close").await;
        }
    }

    // The Gemini probe's runs as JSON lines.
    let (gemini, &id) = (&PROBES[3], &ids[3]);
    show_run(&app, id, gemini).await;
    app.click("btn-export-runs").await;
    app.click("runs-export-format-jsonl").await;
    let path = out.join("gemini-runs.jsonl");
    through_chooser(&app, "runs-export-run", "Export runs", &path, true, None).await;
    outcome(&app, "runs-export-result", "runs-export-error")
        .await
        .unwrap_or_else(|e| panic!("the runs export succeeds: {e:?}"));
    let text = std::fs::read_to_string(&path).expect("the JSON lines are written");
    let runs: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object a line"))
        .collect();
    assert_eq!(runs.len(), 1, "{text}");
    let run = &runs[0];
    assert_eq!(
        (
            &run["ok"],
            &run["format"],
            &run["finish_reason"],
            &run["status"]
        ),
        (
            &Value::from(true),
            &Value::from(gemini.format),
            &Value::from(gemini.finish),
            &Value::from(200)
        ),
        "{run}"
    );
    assert_eq!(run["text"], format!("You said: {}", gemini.words), "{run}");
    assert_eq!(run["usage"]["candidatesTokenCount"], 5, "{run}");
    for key in [
        "ttfb_ms",
        "first_event_ms",
        "first_token_ms",
        "duration_ms",
        "events",
        "bytes",
    ] {
        assert!(run[key].is_u64(), "{key}: {run}");
    }

    // A folder nobody may write to (root included): said in the panel, no file made.
    let denied = Path::new("/sys/streamwatch-e2e-runs.jsonl");
    through_chooser(&app, "runs-export-run", "Export runs", denied, true, None).await;
    let (kind, text) = outcome(&app, "runs-export-result-none", "runs-export-error")
        .await
        .expect_err("writing into /sys fails");
    assert_eq!(kind, "permissionDenied", "{text}");
    assert!(
        text.contains("/sys/streamwatch-e2e-runs.jsonl") && text.contains("permission denied"),
        "{text}"
    );
    assert!(!denied.exists());
    app.screenshot("probe-formats-export-denied").await;
    app.close().await;
}
