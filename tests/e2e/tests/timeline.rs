//! The timeline in the real window, in one wording: a subscription added through the form to a
//! real demo server that stalls (`stall_after`), dies and comes back, then edited through the
//! form. The timeline shows the stale period ("stale", then "data again: stale for N s"), the
//! backoff run folded as "retrying: attempts 1–N, next in …" with every step on expansion, the
//! error in plain words with the raw chain behind "Details", and "edited: URL, headers"; after
//! the app quits and starts again every entry reads the same. Screenshots at 720×480,
//! 1200×780 and 1920×1080. See ../README.md.

use serde_json::Value;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use streamwatch_demo_server::DemoConfig;
use streamwatch_e2e::window_sizes::shots;
use streamwatch_e2e::{App, Demo};

const NAME: &str = "Ticker";

/// Every entry of the timeline as one line with its time, oldest first: folded runs opened so
/// each step is read.
const ENTRIES: &str = r#"
for (const b of document.querySelectorAll('[data-testid="timeline-steps-toggle"][aria-expanded="false"]')) b.click();
const out = [];
for (const row of document.querySelectorAll('[data-testid="timeline-item"]')) {
  const steps = row.querySelectorAll('[data-testid="timeline-step"]');
  if (steps.length > 0) {
    for (const s of steps) out.push({ at: Number(s.dataset.at), kind: s.dataset.kind, line: s.querySelector('.step-line').textContent.trim() });
  } else {
    const line = row.querySelector('[data-testid="timeline-line"]').textContent.trim();
    out.push({ at: Number(row.dataset.at), kind: row.dataset.kind, line });
  }
}
out.sort((a, b) => a.at - b.at);
return out;
"#;

/// The rows as shown (folded), newest first.
const ROWS: &str = r#"
return [...document.querySelectorAll('[data-testid="timeline-item"]')].map((row) => ({
  kind: row.dataset.kind,
  line: row.querySelector('[data-testid="timeline-line"]').textContent.trim(),
  error: (row.querySelector('[data-testid="error-plain"]') || {}).textContent || null,
}));
"#;

async fn entries(app: &App) -> Vec<(u64, String, String)> {
    let v = app.js(ENTRIES).await;
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    (
                        e["at"].as_u64().unwrap_or(0),
                        e["kind"].as_str().unwrap_or("").to_owned(),
                        e["line"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Waits for a timeline row that `pick` accepts, and returns it.
async fn wait_row(app: &App, what: &str, pick: impl Fn(&Value) -> bool) -> Value {
    app.wait_for_within(what, Duration::from_secs(40), async || {
        let rows = app.js(ROWS).await;
        rows.as_array()
            .and_then(|rows| rows.iter().find(|r| pick(r)).cloned())
            .ok_or_else(|| format!("rows: {rows}"))
    })
    .await
}

fn line_of(row: &Value) -> &str {
    row["line"].as_str().unwrap_or("")
}

#[tokio::test]
async fn the_timeline_reads_the_same_before_and_after_a_restart() {
    let mut server = Demo::start(DemoConfig::default()).await;
    let app = App::launch("timeline").await;
    app.wait_sub_state("Demo stream", "open").await;

    // Ten events a second, then silence with the socket open; stale after 2 s; quick retries.
    let url = server.url("/events?rate=10&stall_after=20");
    app.click("btn-add").await;
    app.element("subscription-form").await;
    eprintln!("[timeline] adding");
    app.set_value("field-name", NAME).await;
    app.set_value("field-url", &url).await;
    app.set_value("field-retry-max", "2000").await;
    app.set_value("field-stale-after", "2").await;
    app.click("btn-save").await;
    app.wait_gone("subscription-form").await;
    app.wait_detail_state(NAME, "open").await;

    eprintln!("[timeline] added");
    // The stall: a stale entry.
    let stale = wait_row(&app, "a stale entry", |r| r["kind"] == "stale").await;
    assert!(
        line_of(&stale).starts_with("stale: no data for "),
        "stale in plain words: {stale}"
    );

    // The server dies: the error in plain words, each backoff step kept in a folded run.
    eprintln!("[timeline] stale seen");
    server.stop().await;
    let run = wait_row(&app, "a folded backoff run of two steps or more", |r| {
        r["kind"] == "backoff" && line_of(r).starts_with("retrying: attempts ")
    })
    .await;
    assert!(
        line_of(&run).contains('–') && line_of(&run).contains(", next in "),
        "the run says which attempts and when the next: {run}"
    );
    assert!(!line_of(&run).contains('×'), "no bare count: {run}");
    assert_eq!(
        run["error"], "The server refused the connection",
        "the run's error in plain words first: {run}"
    );
    // The raw chain is behind a click.
    let raw_before = app
        .js("return document.querySelector('[data-testid=\"timeline\"] [data-testid=\"error-raw\"]') !== null;")
        .await;
    assert_eq!(raw_before, false, "the raw chain is hidden at first");
    app.click_css("[data-testid=\"timeline-item\"][data-kind=\"backoff\"] [data-testid=\"error-details-toggle\"]")
        .await;
    let raw = app
        .wait_for("the raw error chain after Details", async || {
            let v = app
                .js("const r = document.querySelector('[data-testid=\"timeline\"] [data-testid=\"error-raw\"]'); return r ? r.textContent : null;")
                .await;
            v.as_str()
                .map(str::to_owned)
                .ok_or_else(|| "no raw chain".to_owned())
        })
        .await;
    assert!(
        raw.to_lowercase().contains("connection refused"),
        "the raw chain is the engine's: {raw:?}"
    );
    // The status line too: plain words first, the chain behind its Details.
    let status_line = app
        .js("const e = document.querySelector('[data-testid=\"detail-error\"] [data-testid=\"error-plain\"]'); return e ? e.textContent : null;")
        .await;
    assert_eq!(status_line, "The server refused the connection");
    app.click_css("[data-testid=\"timeline-item\"][data-kind=\"backoff\"] [data-testid=\"timeline-steps-toggle\"]")
        .await;
    shots(&app, "timeline-outage", None, None).await;

    eprintln!("[timeline] run seen");
    // Back: data again, told with how long it was stale.
    server.restart().await;
    let fresh = wait_row(&app, "a data-again entry", |r| r["kind"] == "fresh").await;
    assert!(
        line_of(&fresh).starts_with("data again: stale for "),
        "how long it was stale: {fresh}"
    );

    eprintln!("[timeline] fresh seen");
    // An edit through the form: what changed, in plain words, no values.
    app.click("btn-edit").await;
    app.element("subscription-form").await;
    app.set_value("field-url", &format!("{url}&heartbeat_ms=500"))
        .await;
    app.click("btn-add-header").await;
    app.set_value("header-name", "X-Team").await;
    app.set_value("header-value", "blue").await;
    app.click("btn-save").await;
    app.wait_gone("subscription-form").await;
    let edited = wait_row(&app, "an edited entry", |r| r["kind"] == "edited").await;
    assert_eq!(line_of(&edited), "edited: URL, headers");
    app.wait_sub_state(NAME, "open").await;
    shots(&app, "timeline-edited", None, None).await;

    eprintln!("[timeline] edited seen");
    // Quit and start again: every entry from before reads the same.
    let before = entries(&app).await;
    let quit_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    assert!(
        before.iter().any(|(_, k, _)| k == "retrying")
            && before.iter().any(|(_, k, _)| k == "error"),
        "each backoff step and error is listed: {before:?}"
    );
    let desktop = app.quit().await;
    let app = App::launch_on(desktop, "timeline").await;
    app.click_css(&format!("[data-testid=\"sub-item\"][data-name=\"{NAME}\"]"))
        .await;
    let after = app
        .wait_for("the stored timeline after the restart", async || {
            let all = entries(&app).await;
            let old: Vec<_> = all.into_iter().filter(|(at, _, _)| *at < quit_ms).collect();
            if old.len() >= before.len() {
                Ok(old)
            } else {
                Err(format!("{} of {} entries", old.len(), before.len()))
            }
        })
        .await;
    assert_eq!(
        after, before,
        "every entry reads the same after the restart"
    );
    app.screenshot_at("timeline-after-restart", 1200, 780).await;
    app.close().await;
}
