//! Expectations (JSON Schemas) through the real window, against the demo server's `bad_every`
//! knob: the add form's "Expectations" section refuses a schema with a remote `$ref` under its
//! field in the engine's words; with a schema that wants an integer `n` the subscription is
//! saved, the broken events (every 2nd) are flagged in the log with a badge whose words are in
//! its tooltip and readable by a screen reader, the inspector says them, and the Received card
//! counts them. Screenshots of the log at 720×480, 1200×780 and 1920×1080 and of the refused
//! schema.

use streamwatch_demo_server::DemoConfig;
use streamwatch_e2e::{App, Demo};

const NAME: &str = "Schema checked";
const SCHEMA: &str =
    r#"{"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}}"#;
const REMOTE: &str = r#"{"$ref": "http://127.0.0.1:9/schema.json"}"#;

/// The flagged rows drawn now: their id, the badge's tooltip and screen-reader words, and
/// whether the badge lies inside the window and the log.
const FLAGGED: &str = r#"
const log = document.querySelector('[data-testid="log-list"]') || document.body;
const lr = log.getBoundingClientRect();
return [...document.querySelectorAll('[data-testid="log-mismatch"]')].map((b) => {
  const r = b.getBoundingClientRect();
  const row = b.closest('[data-testid="log-row"]');
  return {
    id: row ? (row.querySelector('.c-id') || {}).textContent.trim() : '',
    title: b.getAttribute('title') || '',
    spoken: (b.querySelector('.sr-only') || {}).textContent || '',
    drawn: r.width > 8 && r.left >= 0 && r.right <= window.innerWidth && r.top >= lr.top - 1 && r.bottom <= Math.min(lr.bottom, window.innerHeight) + 1,
  };
});
"#;

#[tokio::test]
async fn a_schema_added_in_the_form_flags_the_events_that_break_it() {
    let server = Demo::start(DemoConfig::default()).await;
    let app = App::launch("expectations").await;

    app.click("btn-add").await;
    app.element("subscription-form").await;
    app.set_value("field-name", NAME).await;
    app.set_value("field-url", &server.url("/events?rate=4&bad_every=2"))
        .await;
    app.click("form-expectations-toggle").await;
    app.click("btn-add-expectation").await;
    app.set_value("expectation-event-type", "").await;

    // 1. A remote $ref: refused by the engine, its words under the schema field.
    app.set_value("expectation-schema", REMOTE).await;
    app.click("btn-save").await;
    let refused = app
        .wait_for("the engine's words under the schema", async || {
            match app
                .text("[data-testid=\"error-expectations.0.schema\"]")
                .await
            {
                Some((t, _)) if !t.is_empty() => Ok(t),
                other => Err(format!("{other:?}")),
            }
        })
        .await;
    assert!(
        refused.contains("http://127.0.0.1:9/schema.json")
            && refused.contains("nothing is fetched"),
        "{refused}"
    );
    let invalid = app
        .js("return document.querySelector('[data-testid=\"expectation-schema\"]').getAttribute('aria-invalid');")
        .await;
    assert_eq!(invalid, "true");
    app.js("document.querySelector('[data-testid=\"error-expectations.0.schema\"]').scrollIntoView({block: 'center'}); return true;")
        .await;
    app.screenshot("expectations-form-refused").await;

    // 2. A schema that wants an integer n: saved, it connects.
    app.set_value("expectation-schema", SCHEMA).await;
    app.click("btn-save").await;
    app.wait_gone("subscription-form").await;
    app.wait_detail_state(NAME, "open").await;

    // 3. The broken events (even ids) are flagged, the others not.
    let flagged = app
        .wait_for("two flagged rows in the log", async || {
            let v = app.js(FLAGGED).await;
            match v.as_array() {
                Some(rows) if rows.len() >= 2 => Ok(rows.clone()),
                _ => Err(v.to_string()),
            }
        })
        .await;
    for row in &flagged {
        let id: u64 = row["id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("a numeric id in {row}"));
        assert_eq!(id % 2, 0, "only even ids are broken: {row}");
        let title = row["title"].as_str().unwrap_or("");
        assert!(
            title.starts_with("Does not match its schema: /n: ") && title.contains("integer"),
            "{row}"
        );
        let spoken = row["spoken"].as_str().unwrap_or("");
        assert!(
            spoken.contains("/n: "),
            "screen readers get the words: {row}"
        );
    }
    let rows = app
        .wait_for("two rows with a numeric n", async || {
            let rows = app.log_rows().await;
            let numeric = rows
                .iter()
                .filter(|r| r.data.starts_with("{\"n\":"))
                .count();
            if numeric >= 2 {
                Ok(rows)
            } else {
                Err(format!("{rows:?}"))
            }
        })
        .await;
    for r in &rows {
        let broken = r.data.contains("{\"n\":\"");
        let flagged = r
            .data
            .starts_with("schema ✗Does not match its schema: /n: ");
        assert_eq!(broken, flagged, "flagged exactly when n is a string: {r:?}");
    }

    // 4. The count in the Received card, and the words in the inspector.
    let counted = app
        .wait_for("the count of mismatches", async || {
            match app.text("[data-testid=\"fig-mismatches\"]").await {
                Some((t, _)) if t.ends_with("not matching their schema") => Ok(t),
                other => Err(format!("{other:?}")),
            }
        })
        .await;
    let n: u64 = counted
        .split_whitespace()
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    assert!(n >= 2, "{counted}");
    app.click_css("[data-testid=\"log-mismatch\"]").await;
    let words = app
        .wait_for("the inspector's words", async || {
            match app.text("[data-testid=\"log-inspector-mismatch\"]").await {
                Some((t, _)) if t.contains("/n: ") => Ok(t),
                other => Err(format!("{other:?}")),
            }
        })
        .await;
    assert!(
        words.starts_with("does not match its schema: /n: "),
        "{words}"
    );

    // 5. At each size the badge is drawn inside the log.
    for (w, h) in [(720, 480), (1200, 780), (1920, 1080)] {
        if let Err(e) = app.client().set_window_size(w, h).await {
            app.fail(&format!("cannot resize to {w}x{h}: {e}")).await;
        }
        let drawn = app
            .wait_for(&format!("a flagged row drawn at {w}x{h}"), async || {
                let vw = app.js("return window.innerWidth;").await;
                let v = app.js(FLAGGED).await;
                let near = vw
                    .as_f64()
                    .is_some_and(|vw| (vw - f64::from(w)).abs() < 40.0);
                let any = v
                    .as_array()
                    .is_some_and(|rows| rows.iter().any(|r| r["drawn"] == true));
                if near && any {
                    Ok(v)
                } else {
                    Err(format!("width {vw}: {v}"))
                }
            })
            .await;
        eprintln!("[expectations] {w}x{h}: {drawn}");
        app.screenshot(&format!("expectations-log-{w}x{h}")).await;
    }
    app.close().await;
}
