//! Export and Import in the window, through the system's file dialogs: the GTK file chooser is
//! driven as a person would (xdotool: wait for its window, type the path, Enter), the app writes
//! or reads the file in Rust, and the test reads what was written.
//!
//! A real gnome-keyring runs on the test's bus so that a subscription can hold a secret (a URL
//! token). The test imports a file (one stream with its token, one whose credentials were
//! exported masked: left out, with warnings), refuses a hostile file (a field-path error, nothing
//! saved), exports the imported stream's history as JSON lines and every stream's as CSV, the
//! subscriptions without and with secrets, and meets a folder it cannot write (permission
//! denied, said in the dialog). Screenshots of the Export dialog at 720×480, 1200×780 and
//! 1920×1080. See ../README.md.

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use streamwatch_demo_server::DemoConfig;
use streamwatch_e2e::file_chooser::{outcome, through_chooser};
use streamwatch_e2e::{start_keyring, stored_history, App, Demo, Desktop};

const TOKEN: &str = "s3cr3t-t0ken-e2e";

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

async fn resize(app: &App, width: u32, height: u32) {
    if let Err(e) = app.client().set_window_size(width, height).await {
        app.fail(&format!(
            "cannot resize the window to {width}x{height}: {e}"
        ))
        .await
    }
    app.wait_for(&format!("the page at {width}x{height}"), async || {
        let v = app
            .js("return [window.innerWidth, window.innerHeight];")
            .await;
        let w = v[0].as_f64().unwrap_or(0.0);
        let h = v[1].as_f64().unwrap_or(0.0);
        if (w - f64::from(width)).abs() < 40.0 && (h - f64::from(height)).abs() < 80.0 {
            Ok(())
        } else {
            Err(v.to_string())
        }
    })
    .await;
}

/// Whether the dialog `testid` fits in the window: its box inside the viewport, and its
/// action buttons drawn (not covered or clipped).
async fn dialog_fits(app: &App, testid: &str, button: &str) -> Value {
    app.js(&format!(
        "const d = document.querySelector('[data-testid=\"{testid}\"]').getBoundingClientRect();
         const b = document.querySelector('[data-testid=\"{button}\"]');
         const r = b.getBoundingClientRect();
         const hit = document.elementFromPoint((r.left + r.right) / 2, (r.top + r.bottom) / 2);
         const body = document.querySelector('[data-testid=\"{testid}\"] .panel-body');
         const last = body.lastElementChild.getBoundingClientRect();
         const inner = body.getBoundingClientRect();
         return {{ inside: d.top >= 0 && d.left >= 0 && d.bottom <= window.innerHeight
                          && d.right <= window.innerWidth,
                   button: !!hit && b.contains(hit),
                   // Nothing sideways to scroll to, and no blank band under the last group.
                   sideways: body.scrollWidth > body.clientWidth + 1,
                   blank: Math.round(inner.bottom - last.bottom) }};"
    ))
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_and_import_through_the_system_file_dialogs() {
    let demo = Demo::start(DemoConfig::default()).await;
    let desktop = Desktop::start("export_import").await;
    let _keyring = start_keyring(&desktop);
    let app = App::launch_on(desktop, "export_import").await;
    let display = app.desktop().display().to_owned();
    let out = app.desktop().temp_dir().join("exports");
    std::fs::create_dir_all(&out).expect("the exports folder");

    // ---- import: a hostile file first (nothing saved), then a good one ---------------------
    let hostile = out.join("hostile.json");
    std::fs::write(
        &hostile,
        json!({"format": "streamwatch-export", "version": 1, "subscriptions": [
            {"name": "fine", "url": demo.url("/events")},
            {"name": "bad", "url": demo.url("/events"), "retry": {"initial_ms": "soon"}},
        ]})
        .to_string(),
    )
    .expect("write the hostile file");
    app.click("btn-import").await;
    app.element("import-dialog").await;
    through_chooser(
        &app,
        "import-run",
        "Import subscriptions",
        &hostile,
        false,
        Some("export-import-open-chooser"),
    )
    .await;
    let (kind, text) = outcome(&app, "import-result", "import-error")
        .await
        .expect_err("the hostile file is refused");
    assert_eq!(kind, "invalid", "{text}");
    assert!(
        text.contains("subscriptions[1].retry.initial_ms"),
        "the error names the field: {text}"
    );
    assert!(text.contains("Nothing was imported"), "{text}");
    assert!(
        app.sub_named("fine").await.is_none(),
        "nothing of it was saved"
    );

    let good = out.join("subs.json");
    std::fs::write(
        &good,
        json!({"format": "streamwatch-export", "version": 1, "subscriptions": [
            {"name": "Ticks", "url": demo.url(&format!("/events?rate=20&token={TOKEN}"))},
            {"name": "Masked", "url": demo.url("/events?rate=1&token=••••"), "paused": true,
             "headers": [{"name": "Authorization", "secret": true}]},
        ]})
        .to_string(),
    )
    .expect("write the import file");
    through_chooser(
        &app,
        "import-run",
        "Import subscriptions",
        &good,
        false,
        None,
    )
    .await;
    let text = outcome(&app, "import-result", "import-error")
        .await
        .unwrap_or_else(|e| panic!("the import succeeds: {e:?}"));
    assert!(
        text.contains("Added 2 subscriptions: Ticks, Masked"),
        "{text}"
    );
    let warnings = app
        .js("return [...document.querySelectorAll('[data-testid=\"import-warning\"]')].map(e => e.innerText);")
        .await;
    let warnings: Vec<&str> = warnings
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("\"Masked\"") && w.contains("URL parameter token")),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("secret header \"Authorization\"")),
        "{warnings:?}"
    );
    app.screenshot("export-import-import-result").await;
    app.click("import-close").await;
    app.wait_gone("import-dialog").await;

    // The imported stream runs: select it and let it store some messages.
    app.wait_sub_state("Ticks", "open").await;
    let ticks = app.sub_named("Ticks").await.expect("listed");
    app.click_css(&format!("#sub-option-{}", ticks.id)).await;
    app.wait_for("40 stored messages of Ticks", async || {
        let n = stored_history(app.data_dir(), "Ticks").map(|h| h.len());
        match n {
            Ok(n) if n >= 40 => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;

    // ---- history of the selected stream as JSON lines --------------------------------------
    app.click("btn-export").await;
    app.element("export-dialog").await;
    for (w, h) in [(720, 480), (1200, 780), (1920, 1080)] {
        resize(&app, w, h).await;
        let fits = dialog_fits(&app, "export-dialog", "export-run").await;
        app.screenshot(&format!("export-dialog-{w}x{h}")).await;
        assert_eq!(
            (&fits["inside"], &fits["button"], &fits["sideways"]),
            (&json!(true), &json!(true), &json!(false)),
            "{w}x{h}: the dialog fits, its Export button is drawn, nothing scrolls sideways: {fits}"
        );
        // The body's padding (12 px) and no more, where the content fits.
        assert!(
            fits["blank"].as_i64().is_some_and(|b| b <= 16),
            "{w}x{h}: no blank band under the last group: {fits}"
        );
    }
    resize(&app, 1200, 780).await;
    app.click("export-format-jsonl").await;
    app.click("export-range-all").await;
    let jsonl = out.join("ticks.jsonl");
    through_chooser(
        &app,
        "export-run",
        "Export history",
        &jsonl,
        true,
        Some("export-import-save-chooser"),
    )
    .await;
    let text = outcome(&app, "export-result", "export-error")
        .await
        .unwrap_or_else(|e| panic!("the history export succeeds: {e:?}"));
    assert!(text.contains(jsonl.to_str().unwrap_or_default()), "{text}");
    let lines: Vec<Value> = read(&jsonl)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert!(lines.len() >= 40, "{} lines", lines.len());
    assert!(
        text.contains(&format!("Wrote {} messages", lines.len())),
        "{text}"
    );
    let ids: Vec<u64> = lines
        .iter()
        .map(|l| {
            l["id"]
                .as_str()
                .and_then(|i| i.parse().ok())
                .expect("an id")
        })
        .collect();
    // Every stored message of the stream from the first stored, in order, none twice (the demo
    // server numbers from its own start, so the first one the stream saw is not 1).
    assert!(ids.windows(2).all(|w| w[1] == w[0] + 1), "{ids:?}");
    assert!(lines
        .iter()
        .all(|l| l["event"] == "tick" && l.get("subscription").is_none()));
    let stored = stored_history(app.data_dir(), "Ticks").expect("stored");
    assert_eq!(
        stored[..lines.len()]
            .iter()
            .map(|m| m.id.clone())
            .collect::<Vec<_>>(),
        ids.iter().map(u64::to_string).collect::<Vec<_>>()
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&jsonl)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the export is private to its owner");
    }

    // ---- every stream's history of the last hour as CSV ------------------------------------
    app.click("export-scope-all").await;
    app.click("export-format-csv").await;
    app.click("export-range-hour").await;
    let csv = out.join("all.csv");
    through_chooser(&app, "export-run", "Export history", &csv, true, None).await;
    outcome(&app, "export-result", "export-error")
        .await
        .unwrap_or_else(|e| panic!("the CSV export succeeds: {e:?}"));
    let csv_text = read(&csv);
    let mut rows = csv_text.lines();
    assert_eq!(
        rows.next(),
        Some("subscription,seq,received_at,event,id,data,replayed")
    );
    let names: std::collections::BTreeSet<&str> =
        rows.filter_map(|r| r.split(',').next()).collect();
    assert!(
        names.contains("Ticks") && names.contains("Demo stream"),
        "{names:?}"
    );

    // ---- subscriptions, masked, then with secrets ------------------------------------------
    app.click("export-what-subscriptions").await;
    let masked = out.join("subs-masked.json");
    through_chooser(
        &app,
        "export-run",
        "Export subscriptions",
        &masked,
        true,
        None,
    )
    .await;
    let text = outcome(&app, "export-result", "export-error")
        .await
        .unwrap_or_else(|e| panic!("the subscriptions export succeeds: {e:?}"));
    // With the first run's demo stream and demo LLM probe.
    assert!(text.contains("Wrote 4 subscriptions"), "{text}");
    let file = read(&masked);
    assert!(
        !file.contains(TOKEN),
        "no secret in a masked export: {file}"
    );
    let doc: Value = serde_json::from_str(&file).expect("JSON");
    let url_of = |doc: &Value, name: &str| {
        doc["subscriptions"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["name"] == name))
            .map(|s| s["url"].as_str().unwrap_or_default().to_owned())
            .unwrap_or_else(|| panic!("{name} in {doc}"))
    };
    assert!(
        url_of(&doc, "Ticks").contains("token=%E2%80%A2%E2%80%A2%E2%80%A2%E2%80%A2")
            || url_of(&doc, "Ticks").contains("token=••••"),
        "{}",
        url_of(&doc, "Ticks")
    );

    app.click("export-with-secrets").await;
    let warning = app.text("[data-testid=\"export-secrets-warning\"]").await;
    assert!(
        warning.is_some_and(|(t, _)| t.contains("plain text")),
        "a warning says what the checkbox does"
    );
    app.screenshot("export-dialog-with-secrets").await;
    let revealed = out.join("subs-secrets.json");
    through_chooser(
        &app,
        "export-run",
        "Export subscriptions",
        &revealed,
        true,
        None,
    )
    .await;
    let text = outcome(&app, "export-result", "export-error")
        .await
        .unwrap_or_else(|e| panic!("the export with secrets succeeds: {e:?}"));
    assert!(text.contains("in plain text"), "{text}");
    let doc: Value = serde_json::from_str(&read(&revealed)).expect("JSON");
    assert!(url_of(&doc, "Ticks").contains(TOKEN), "{doc}");

    // ---- a folder that cannot be written (even by root) ------------------------------------
    app.click("export-what-history").await;
    let denied = PathBuf::from("/sys/streamwatch-e2e.csv");
    through_chooser(&app, "export-run", "Export history", &denied, true, None).await;
    let (kind, text) = outcome(&app, "export-result-none", "export-error")
        .await
        .expect_err("writing into /sys fails");
    assert_eq!(kind, "permissionDenied", "{text}");
    assert!(
        text.contains("/sys/streamwatch-e2e.csv") && text.contains("permission denied"),
        "{text}"
    );
    app.screenshot("export-dialog-permission-denied").await;
    drop(display);
    app.close().await;
}
