//! "Save without the keyring" in the real window, on a desktop whose Secret Service cannot
//! start: saving a subscription with a secret header is refused with the choice and its plain
//! warning (screenshots at 720×480, 1200×780 and 1920×1080); choosing it saves the stream, which
//! runs now with the secret sent (the demo server's request log shows the header); no file in
//! the app's data folder holds the secret; after a restart the stream says to enter the value
//! again instead of connecting without it.

use serde_json::Value;
use std::time::Duration;
use streamwatch_demo_server::DemoConfig;
use streamwatch_e2e::{App, Demo, Desktop};

const NAME: &str = "Billing";
const SECRET: &str = "Bearer no-keyring-5be1";

/// Whether the keyring choice and its button are drawn inside the window (not cut off, not
/// under something else) at the current size.
const CHOICE_DRAWN: &str = r#"
const el = document.querySelector('[data-testid="btn-save-without-keyring"]');
if (!el) return false;
el.scrollIntoView({ block: 'nearest' });
const r = el.getBoundingClientRect();
if (r.width === 0 || r.bottom > window.innerHeight || r.top < 0 || r.right > window.innerWidth) return false;
const hit = document.elementFromPoint(r.left + r.width / 2, (r.top + r.bottom) / 2);
return !!hit && el.contains(hit);
"#;

/// Every file under `dir`, read as bytes, must not contain `needle`.
fn assert_no_file_holds(dir: &std::path::Path, needle: &str) {
    let mut stack = vec![dir.to_path_buf()];
    let mut files = 0;
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read the data folder") {
            let path = entry.expect("a folder entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                files += 1;
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                    "{} holds the secret",
                    path.display()
                );
            }
        }
    }
    assert!(files > 0, "no files under {} to check", dir.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saving_without_the_keyring_is_offered_told_and_kept_for_this_session_only() {
    let demo = Demo::start(DemoConfig::default()).await;
    let desktop = Desktop::start_without_keyring("keyring_choice").await;
    let app = App::launch_on(desktop, "keyring_choice").await;

    app.click("btn-add").await;
    app.element("subscription-form").await;
    app.fill("field-name", NAME).await;
    app.set_value("field-url", &demo.url("/events?rate=5"))
        .await;
    app.click("btn-add-header").await;
    app.fill("header-name", "Authorization").await;
    app.set_value("header-value", SECRET).await;
    app.click("header-secret").await;
    app.click("btn-save").await;

    // Refused with the choice: the form stays, nothing is saved yet.
    let choice = app
        .wait_for("the keyring choice", async || {
            match app.text("[data-testid=\"keyring-choice\"]").await {
                Some((t, _)) => Ok(t),
                None => Err("not shown".into()),
            }
        })
        .await;
    assert!(
        choice.contains("No OS keyring is available") && choice.contains("in memory only"),
        "the choice says what it means: {choice}"
    );
    assert!(!choice.contains(SECRET), "the choice shows the secret");
    assert!(
        app.sub_named(NAME).await.is_none(),
        "saved before the choice"
    );
    for (w, h) in [(720, 480), (1200, 780), (1920, 1080)] {
        if let Err(e) = app.client().set_window_size(w, h).await {
            app.fail(&format!("cannot resize to {w}x{h}: {e}")).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        if app.js(CHOICE_DRAWN).await != Value::Bool(true) {
            app.fail(&format!("at {w}x{h} the choice's button is not drawn"))
                .await;
        }
        app.screenshot_at(&format!("keyring-choice-{w}x{h}"), w, h)
            .await;
    }

    // Chosen: saved, running, and the server got the header.
    app.click("btn-save-without-keyring").await;
    app.wait_gone("subscription-form").await;
    app.wait_detail_state(NAME, "open").await;
    let sent = app
        .wait_for("the demo server to log the request", async || {
            let list = demo.requests().await?;
            list.iter()
                .rev()
                .find(|r| r["headers"].get("authorization").is_some())
                .cloned()
                .ok_or_else(|| format!("{list:?}"))
        })
        .await;
    assert_eq!(sent["headers"]["authorization"], SECRET);
    let data_dir = app.data_dir().to_path_buf();
    assert_no_file_holds(&data_dir, SECRET);

    // A new session: the value is gone, and the stream says so instead of connecting bare.
    let desktop = app.quit().await;
    let before = demo.requests().await.expect("the request log").len();
    let app = App::launch_on(desktop, "keyring_choice").await;
    app.click_css(&format!("[data-testid=\"sub-item\"][data-name=\"{NAME}\"]"))
        .await;
    let detail = app
        .wait_for(
            "the stream to say the secret must be entered again",
            async || match app.detail().await {
                Some(d)
                    if d.error
                        .as_deref()
                        .is_some_and(|e| e.contains("press Edit and enter them again")) =>
                {
                    Ok(d)
                }
                other => Err(format!("{other:?}")),
            },
        )
        .await;
    assert_ne!(detail.state, "open", "{detail:?}");
    // The timeline says it could not start (the reason in plain words), and the time since
    // counts as down: uptime is not 100 %.
    let told = app
        .wait_for("a 'could not start' timeline entry", async || {
            match app.text("[data-testid=\"timeline-item\"][data-kind=\"not-started\"] [data-testid=\"timeline-line\"]").await {
                Some((line, _)) => Ok(line),
                None => Err("none yet".to_string()),
            }
        })
        .await;
    assert!(told.starts_with("could not start"), "{told}");
    assert!(told.contains("enter them again"), "{told}");
    // Read again as the window polls: the down time grows from the start.
    app.wait_for("uptime below 100 %", async || {
        match app.text("[data-testid=\"fig-uptime\"]").await {
            Some((t, _)) if t.ends_with('%') && !t.starts_with("100") => Ok(t),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    app.screenshot_at("keyring-choice-after-restart-1200x780", 1200, 780)
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = demo.requests().await.expect("the request log").len();
    assert_eq!(before, after, "the stream connected without its secret");
    assert_no_file_holds(&data_dir, SECRET);
    app.close().await;
}
