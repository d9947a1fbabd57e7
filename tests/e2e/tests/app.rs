//! The desktop app end to end, used as a person would use it: the real binary under Xvfb,
//! driven through tauri-driver, against real SSE servers. See ../README.md.
//!
//! Each test has its own display, bus, driver and data directory, so they run side by side.

use std::time::Duration;

use streamwatch_demo_server::DemoConfig;
use streamwatch_e2e::{demo_n, stored_history, stored_subscription_exists, App, Demo, RawSse};

const DEMO_NAME: &str = "Demo stream";

/// Waits for the first-run "Demo stream" to be listed and returns its sidebar id.
async fn demo_listed(app: &App) -> u64 {
    app.wait_for("the sidebar to list \"Demo stream\"", async || {
        let subs = app.sidebar().await;
        subs.iter()
            .find(|s| s.name == DEMO_NAME)
            .map(|s| s.id)
            .ok_or_else(|| format!("sidebar: {subs:?}"))
    })
    .await
}

/// Adds a subscription through the form: `+`, name, URL, optional extra fields, Save.
async fn add_through_form(
    app: &App,
    name: &str,
    url: &str,
    extra: &[(&str, &str)],
    shot: Option<&str>,
) {
    app.click("btn-add").await;
    app.element("subscription-form").await;
    app.fill("field-name", name).await;
    app.fill("field-url", url).await;
    for (field, value) in extra {
        app.fill(field, value).await;
    }
    if let Some(step) = shot {
        app.screenshot(step).await;
    }
    app.click("btn-save").await;
    app.wait_gone("subscription-form").await;
}

/// A fresh data directory: the window lists "Demo stream" (which opens and shows messages) and
/// the "Demo LLM probe".
#[tokio::test]
async fn first_run_shows_the_demo_stream_live() {
    let app = App::launch("first_run").await;

    let demo_id = demo_listed(&app).await;
    let subs = app.sidebar().await;
    let names: Vec<&str> = subs.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [DEMO_NAME, "Demo LLM probe"],
        "a first run lists the demo stream and the demo LLM probe: {subs:?}"
    );

    app.wait_sub_state(DEMO_NAME, "open").await;
    let detail = app.wait_detail_state(DEMO_NAME, "open").await;
    assert_eq!(detail.id, demo_id, "the demo stream is the one shown");
    assert!(
        detail.url.contains("http://127.0.0.1:") && detail.url.contains("/events?rate=5"),
        "the demo stream points at the embedded demo server: {detail:?}"
    );

    let rows = app
        .wait_for("at least 3 log rows from the demo server", async || {
            let rows = app.log_rows().await;
            if rows.len() >= 3 && rows.iter().all(|r| r.n().is_some()) {
                Ok(rows)
            } else {
                Err(format!("{} rows, last {:?}", rows.len(), rows.last()))
            }
        })
        .await;
    let ns: Vec<u64> = rows.iter().filter_map(|r| r.n()).collect();
    assert!(
        ns.windows(2).all(|w| w[0] < w[1]),
        "log rows are in increasing order: {ns:?}"
    );
    app.screenshot("first-run").await;

    // The page is drawn without accelerated compositing (src-tauri/src/rendering.rs) and its
    // every collection is a full one (src-tauri/src/webview_gc.rs): the harness removed both
    // switches from the environment, so the app set them for its web process.
    let web: Vec<_> = streamwatch_e2e::app_processes(app.data_dir())
        .into_iter()
        .filter(|p| p.is_web_process())
        .collect();
    assert!(!web.is_empty(), "the app's web process is found");
    for p in &web {
        assert_eq!(
            p.env("WEBKIT_DISABLE_COMPOSITING_MODE"),
            Some("1"),
            "web process {} draws without compositing",
            p.pid
        );
        assert_eq!(
            p.env("JSC_useGenerationalGC"),
            Some("0"),
            "web process {} collects without generations",
            p.pid
        );
    }
    app.close().await;
}

/// The whole life of a subscription: add it through the form, watch it, live through an outage
/// of its server (retrying with attempt numbers, then resuming with nothing missing), pause and
/// resume, rename, delete.
#[tokio::test]
async fn subscription_lifecycle_with_an_outage() {
    const NAME: &str = "Orders feed";
    const RENAMED: &str = "Orders feed (renamed)";

    let mut server = Demo::start(DemoConfig::default()).await;
    let app = App::launch("lifecycle").await;
    demo_listed(&app).await;

    // Add: the form, then the new subscription is listed, selected and open.
    let url = server.url("/events?rate=20");
    // A short maximum delay keeps the outage part quick; a person would set it the same way.
    add_through_form(
        &app,
        NAME,
        &url,
        &[("field-retry-max", "2000")],
        Some("form"),
    )
    .await;
    let item = app.wait_sub_state(NAME, "open").await;
    let detail = app.wait_detail_state(NAME, "open").await;
    assert_eq!(
        detail.id, item.id,
        "the added subscription is the one shown"
    );
    assert!(
        detail.url.ends_with(&url),
        "detail shows the URL: {detail:?}"
    );

    // Messages arrive, in order.
    let rows = app
        .wait_for("at least 5 log rows with increasing n", async || {
            let ns: Vec<u64> = app.log_rows().await.iter().filter_map(|r| r.n()).collect();
            if ns.len() >= 5 && ns.windows(2).all(|w| w[0] < w[1]) {
                Ok(ns)
            } else {
                Err(format!("n of the rows shown: {ns:?}"))
            }
        })
        .await;
    app.screenshot("detail-open").await;
    // The smallest window the app allows and a large desktop, as well as the default size.
    app.screenshot_at("detail-open", 720, 480).await;
    app.screenshot_at("detail-open", 1920, 1080).await;
    // Read after the screenshots (they take a while): rows that arrived meanwhile are from
    // before the outage too, and must not count as messages after it.
    let before_outage = app.newest_n().await.unwrap_or(*rows.last().expect("rows"));

    // Outage: the sidebar and the detail say `retrying` with the attempt number.
    server.stop().await;
    let first_attempt = app
        .wait_for(
            "sidebar and detail to show retrying with an attempt number",
            async || {
                let item = app.sub_named(NAME).await;
                let detail = app.detail().await;
                match (&item, &detail) {
                    (Some(i), Some(d))
                        if i.state == "retrying"
                            && i.word.starts_with("retrying ")
                            && d.state == "retrying"
                            && d.attempt_number().is_some_and(|n| n >= 1) =>
                    {
                        let n = d.attempt_number().unwrap_or(0);
                        // The sidebar's word carries the same number.
                        if i.word.starts_with(&format!("retrying {n}")) {
                            Ok(n)
                        } else {
                            Err(format!("sidebar {i:?} vs detail {d:?}"))
                        }
                    }
                    _ => Err(format!("sidebar {item:?}, detail {detail:?}")),
                }
            },
        )
        .await;
    app.screenshot("retrying").await;
    // The attempt number goes up while the server stays down.
    app.wait_for("the attempt number to go up", async || {
        match app.detail().await {
            Some(d) if d.attempt_number().is_some_and(|n| n > first_attempt) => Ok(()),
            other => Err(format!("first attempt {first_attempt}; detail {other:?}")),
        }
    })
    .await;

    // The server comes back on the same port: the subscription resumes from its last id, which
    // the fresh server (its own count near 0) takes as the truth and goes on from at once.
    server.restart().await;
    app.wait_sub_state(NAME, "open").await;
    let resumed = app
        .wait_for_within(
            "messages after the outage",
            Duration::from_secs(30),
            async || match app.newest_n().await {
                Some(n) if n > before_outage + 5 => Ok(n),
                other => Err(format!(
                    "newest n {other:?}; before the outage {before_outage}"
                )),
            },
        )
        .await;
    let detail = app.wait_detail_state(NAME, "open").await;
    assert_eq!(
        detail.gaps, "0",
        "no gap is reported across the outage: {detail:?}"
    );

    // Pause: state paused, and no new rows.
    app.click("btn-pause").await;
    app.wait_for(
        "paused in the sidebar and the detail, with a Resume button",
        async || {
            let item = app.sub_named(NAME).await;
            let detail = app.detail().await;
            let resume = app.exists("btn-resume").await;
            match (&item, &detail) {
                (Some(i), Some(d)) if i.state == "paused" && d.state == "paused" && resume => {
                    Ok(())
                }
                _ => Err(format!(
                    "sidebar {item:?}, detail {detail:?}, resume button {resume}"
                )),
            }
        },
    )
    .await;
    // A batch already on its way may still land: let it, then watch for a while (20 events
    // a second would show up many times over).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let at_pause = app.newest_n().await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let later = app.newest_n().await;
    assert_eq!(later, at_pause, "no new rows while paused");
    assert!(
        at_pause >= Some(resumed),
        "rows are still shown while paused"
    );
    app.screenshot("paused").await;

    // Resume: open again, and new rows.
    app.click("btn-resume").await;
    app.wait_sub_state(NAME, "open").await;
    let at_pause = at_pause.unwrap_or(0);
    app.wait_for("new rows after resuming", async || {
        match app.newest_n().await {
            Some(n) if n > at_pause + 3 => Ok(()),
            other => Err(format!("newest n {other:?}; at the pause {at_pause}")),
        }
    })
    .await;

    // Storage holds every number from the first message on: nothing missing across the
    // outage or the pause, nothing twice.
    let shown = app.newest_n().await.unwrap_or(0);
    let ns = app
        .wait_for("the store to hold what the log shows", async || {
            let stored = stored_history(app.data_dir(), NAME)?;
            let ns: Vec<u64> = stored.iter().filter_map(|m| demo_n(&m.data)).collect();
            if ns.len() != stored.len() {
                return Err(format!(
                    "{} of {} stored rows have no n",
                    stored.len() - ns.len(),
                    stored.len()
                ));
            }
            match ns.last() {
                Some(&last) if last >= shown => Ok(ns),
                last => Err(format!(
                    "{} stored, last n {last:?}; the log shows {shown}",
                    ns.len()
                )),
            }
        })
        .await;
    let broken: Vec<(u64, u64)> = ns
        .windows(2)
        .filter(|w| w[1] != w[0] + 1)
        .map(|w| (w[0], w[1]))
        .collect();
    assert!(
        broken.is_empty(),
        "stored history runs n, n+1, n+2… with nothing missing or repeated; breaks (n, next): {broken:?}"
    );
    assert!(
        ns[0] <= before_outage && *ns.last().expect("some") > resumed,
        "the stored run spans the outage and the pause: first {}, before the outage {before_outage}, \
         resumed at {resumed}, last {}",
        ns[0],
        ns.last().expect("some")
    );

    // Edit: the form comes filled in; a new name shows in the sidebar and the detail.
    app.click("btn-edit").await;
    app.element("subscription-form").await;
    assert_eq!(
        app.value("field-name").await,
        NAME,
        "the edit form shows the name"
    );
    assert_eq!(
        app.value("field-url").await,
        url,
        "the edit form shows the URL"
    );
    app.fill("field-name", RENAMED).await;
    app.screenshot("edit-form").await;
    app.click("btn-save").await;
    app.wait_gone("subscription-form").await;
    app.wait_for(
        "the new name in the sidebar and the detail, the old one gone",
        async || {
            let subs = app.sidebar().await;
            let detail = app.detail().await;
            let renamed = subs.iter().any(|s| s.name == RENAMED);
            let old = subs.iter().any(|s| s.name == NAME);
            match &detail {
                Some(d) if renamed && !old && d.name == RENAMED => Ok(()),
                _ => Err(format!("sidebar {subs:?}, detail {detail:?}")),
            }
        },
    )
    .await;

    // Delete, with confirmation: gone from the sidebar and from storage.
    app.click("btn-delete").await;
    app.element("confirm-dialog").await;
    app.screenshot("confirm-delete").await;
    app.click("btn-confirm-delete").await;
    app.wait_gone("confirm-dialog").await;
    app.wait_for("the subscription to leave the sidebar", async || {
        let subs = app.sidebar().await;
        if subs.iter().any(|s| s.name == RENAMED) {
            Err(format!("sidebar {subs:?}"))
        } else if !subs.iter().any(|s| s.name == DEMO_NAME) {
            Err(format!("the demo stream went too: {subs:?}"))
        } else {
            Ok(())
        }
    })
    .await;
    app.wait_for(
        "the subscription to leave storage",
        async || match stored_subscription_exists(app.data_dir(), RENAMED)? {
            false => Ok(()),
            true => Err("still stored".to_owned()),
        },
    )
    .await;

    app.close().await;
    server.stop().await;
}

/// Server data is shown as text: markup in an event's data, type or in a name never becomes
/// elements, and no script runs.
#[tokio::test]
async fn markup_in_events_is_shown_as_text() {
    const PAYLOAD: &str = "<img src=x onerror=alert(1)>";
    const EVENT: &str = "<b onmouseover=alert(2)>bold</b>";
    const JSON_PAYLOAD: &str = r#"{"html":"<img src=y onerror=alert(3)>"}"#;
    const NAME: &str = "XSS <b>probe</b>";

    let server = RawSse::start(format!(
        "id: 1\ndata: {PAYLOAD}\n\nid: 2\nevent: {EVENT}\ndata: {JSON_PAYLOAD}\n\n"
    ))
    .await;
    let app = App::launch("xss").await;
    demo_listed(&app).await;
    add_through_form(&app, NAME, &server.url("/events"), &[], None).await;
    app.wait_sub_state(NAME, "open").await;

    let rows = app
        .wait_for("the two hostile events in the log", async || {
            let rows = app.log_rows().await;
            if rows.len() >= 2 {
                Ok(rows)
            } else {
                Err(format!("rows {rows:?}"))
            }
        })
        .await;
    assert_eq!(rows[0].data, PAYLOAD, "first row's data, as text");
    assert_eq!(rows[1].event, EVENT, "second row's event type, as text");
    assert_eq!(rows[1].data, JSON_PAYLOAD, "second row's data, as text");

    // The data cell's rendered text is the string itself, and it holds no element.
    let cell = format!(
        "[data-testid=\"log-row\"][data-uid=\"{}\"] [data-testid=\"log-data\"]",
        rows[0].uid
    );
    let (text, children) = app.text(&cell).await.expect("the data cell");
    assert_eq!(text, PAYLOAD, "the data cell's rendered text");
    assert_eq!(children, 0, "the data cell holds text only");

    // Open each row in the inspector too: raw text, then the JSON view.
    let row = |uid: u64| format!("[data-testid=\"log-row\"][data-uid=\"{uid}\"]");
    app.click_css(&row(rows[0].uid)).await;
    app.wait_for("the inspector to show the first event", async || match app
        .text("[data-testid=\"log-inspector\"]")
        .await
    {
        Some((text, _)) if text.contains(PAYLOAD) => Ok(()),
        other => Err(format!("inspector {other:?}")),
    })
    .await;
    app.screenshot("xss").await;
    app.click_css(&row(rows[1].uid)).await;
    app.wait_for("the inspector to show the JSON event", async || {
        match app.text("[data-testid=\"log-inspector\"]").await {
            Some((text, _))
                if text.contains("html") && text.contains("<img src=y onerror=alert(3)>") =>
            {
                Ok(())
            }
            other => Err(format!("inspector {other:?}")),
        }
    })
    .await;

    // No element came out of the data, the type or the name, and no dialog opened.
    assert_eq!(
        app.count("img").await,
        0,
        "no <img> element anywhere in the window"
    );
    assert_eq!(
        app.count("[data-testid=\"live-log\"] img").await,
        0,
        "no <img> in the log"
    );
    assert_eq!(
        app.count("b").await,
        0,
        "no <b> element anywhere in the window"
    );
    assert_eq!(
        app.count("[onerror], [onmouseover], [onload]").await,
        0,
        "no event-handler attributes"
    );
    assert_eq!(app.alert_text().await, None, "no alert() ran");
    let detail = app.detail().await.expect("the detail pane");
    assert_eq!(detail.name, NAME, "the name is shown as text");

    app.close().await;
}

/// Deleting the first run's two demo subscriptions leaves the empty state.
#[tokio::test]
async fn deleting_the_demo_stream_leaves_the_empty_state() {
    let app = App::launch("empty_state").await;
    demo_listed(&app).await;
    assert!(
        !app.exists("empty-state").await,
        "no empty state while a stream is listed"
    );

    app.click("sub-item").await;
    app.wait_detail_state(DEMO_NAME, "open").await;
    app.click("btn-delete").await;
    app.element("confirm-dialog").await;
    app.click("btn-confirm-delete").await;
    app.wait_gone("confirm-dialog").await;
    // The first run's other demo, the LLM probe, goes the same way.
    app.wait_for("only the Demo LLM probe listed", async || {
        let subs = app.sidebar().await;
        if subs.len() == 1 && subs[0].name == "Demo LLM probe" {
            Ok(())
        } else {
            Err(format!("sidebar {subs:?}"))
        }
    })
    .await;
    app.click("sub-item").await;
    app.element("detail").await;
    app.click("btn-delete").await;
    app.element("confirm-dialog").await;
    app.click("btn-confirm-delete").await;

    app.element("empty-state").await;
    app.wait_for("no subscriptions listed", async || {
        let subs = app.sidebar().await;
        if subs.is_empty() {
            Ok(())
        } else {
            Err(format!("sidebar {subs:?}"))
        }
    })
    .await;
    assert!(
        app.detail().await.is_none(),
        "no detail pane without a subscription"
    );
    app.screenshot("empty-state").await;
    app.close().await;
}
