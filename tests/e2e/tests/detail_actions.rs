//! The detail view's actions and the sidebar's filter in the real window, against the demo
//! server, with a real keyring (gnome-keyring-daemon, unlocked, on the test's own bus): the
//! "Request" panel shows what is sent with the secret header and the URL token as ••••; the
//! copy buttons say what they copy and put it on the clipboard (pasted back into a field);
//! "Clear view" empties the log but not storage, and the counts say so; "Duplicate" saves
//! "<name> (copy)" with its secret; the filter narrows the list ("N of M") and Escape clears
//! it. Then the same view at 720×480, 1200×780 and 1920×1080, with screenshots.

use std::time::{Duration, Instant};

use serde_json::Value;
use streamwatch_demo_server::DemoConfig;
use streamwatch_e2e::{
    start_keyring, stored_history, stored_subscription_exists, App, Demo, Desktop,
};

const NAME: &str = "Orders";
const COPY: &str = "Orders (copy)";
const HEADER_SECRET: &str = "hdr-secret-4f1d";
const URL_SECRET: &str = "url-secret-83c2";

/// The X `CLIPBOARD` selection's text, asked of its owner (the app) as any paste would.
fn read_clipboard(display: &str) -> Result<String, String> {
    use std::ffi::CString;
    use x11_dl::xlib;
    let x = xlib::Xlib::open().map_err(|e| format!("libX11: {e}"))?;
    let name = CString::new(display).map_err(|e| e.to_string())?;
    // SAFETY: plain Xlib calls on a display connection opened here and closed before
    // returning; the property data is copied out before it is freed.
    unsafe {
        let dpy = (x.XOpenDisplay)(name.as_ptr());
        if dpy.is_null() {
            return Err(format!("cannot open display {display}"));
        }
        let root = (x.XDefaultRootWindow)(dpy);
        let win = (x.XCreateSimpleWindow)(dpy, root, 0, 0, 1, 1, 0, 0, 0);
        let clipboard = (x.XInternAtom)(dpy, c"CLIPBOARD".as_ptr(), xlib::False);
        let utf8 = (x.XInternAtom)(dpy, c"UTF8_STRING".as_ptr(), xlib::False);
        let prop = (x.XInternAtom)(dpy, c"STREAMWATCH_E2E_CLIP".as_ptr(), xlib::False);
        (x.XConvertSelection)(dpy, clipboard, utf8, prop, win, xlib::CurrentTime);
        (x.XFlush)(dpy);
        let deadline = Instant::now() + Duration::from_secs(5);
        let result = loop {
            if (x.XPending)(dpy) > 0 {
                let mut ev: xlib::XEvent = std::mem::zeroed();
                (x.XNextEvent)(dpy, &mut ev);
                if ev.get_type() != xlib::SelectionNotify {
                    continue;
                }
                if ev.selection.property == 0 {
                    break Err("the clipboard's owner refused (or there is none)".to_owned());
                }
                let (mut kind, mut format, mut n, mut after) = (0, 0, 0, 0);
                let mut data: *mut u8 = std::ptr::null_mut();
                (x.XGetWindowProperty)(
                    dpy,
                    win,
                    prop,
                    0,
                    1 << 24,
                    xlib::True,
                    xlib::AnyPropertyType as u64,
                    &mut kind,
                    &mut format,
                    &mut n,
                    &mut after,
                    &mut data,
                );
                if data.is_null() {
                    break Err("no clipboard data".to_owned());
                }
                let text = String::from_utf8_lossy(std::slice::from_raw_parts(data, n as usize))
                    .into_owned();
                (x.XFree)(data.cast());
                break Ok(text);
            }
            if Instant::now() > deadline {
                break Err("no answer from the clipboard's owner within 5 s".to_owned());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        (x.XDestroyWindow)(dpy, win);
        (x.XCloseDisplay)(dpy);
        result
    }
}

/// Everything the page holds as text or attribute values, to look for secrets in.
const PAGE_TEXT: &str = r#"
const parts = [document.body.innerText];
for (const el of document.querySelectorAll('*')) {
  for (const a of el.attributes) parts.push(a.value);
  if ('value' in el && typeof el.value === 'string') parts.push(el.value);
}
return parts.join('\n');
"#;

async fn assert_no_secret_shown(app: &App, when: &str) {
    let text = app.js(PAGE_TEXT).await;
    let text = text.as_str().unwrap_or("");
    for secret in [HEADER_SECRET, URL_SECRET] {
        if text.contains(secret) {
            app.fail(&format!("{when}: the window shows the secret {secret:?}"))
                .await;
        }
    }
}

/// The request panel's headers, as (name, value, secret).
async fn request_headers(app: &App) -> Vec<(String, String, bool)> {
    let v = app
        .js(
            "return [...document.querySelectorAll('[data-testid=\"request-header\"]')].map((r) =>
               [r.dataset.name, r.querySelector('td').textContent.trim(), r.dataset.secret === 'true']);",
        )
        .await;
    v.as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| {
                    (
                        r[0].as_str().unwrap_or("").to_owned(),
                        r[1].as_str().unwrap_or("").to_owned(),
                        r[2].as_bool().unwrap_or(false),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Opens the request panel (if closed) and waits for the secret header row, masked.
async fn open_request_panel(app: &App) -> Vec<(String, String, bool)> {
    if !app.exists("request-panel").await {
        app.click("btn-toggle-request").await;
    }
    app.wait_for(
        "the request panel with the masked secret header",
        async || {
            let headers = request_headers(app).await;
            let secret = headers.iter().find(|h| h.0 == "X-Api-Key");
            match secret {
                Some((_, value, true)) if value == "••••" => Ok(headers),
                _ => Err(format!("{headers:?}")),
            }
        },
    )
    .await
}

async fn resize(app: &App, width: u32, height: u32) {
    if let Err(e) = app.client().set_window_size(width, height).await {
        app.fail(&format!(
            "cannot resize the window to {width}x{height}: {e}"
        ))
        .await
    }
}

/// The window's size and whether the request panel, the log's first row and the filter are
/// drawn (the point in the middle of each is the element itself, not something over it).
const MEASURE: &str = r#"
const drawn = (el) => {
  if (!el) return false;
  const r = el.getBoundingClientRect();
  if (r.width === 0 || r.height === 0 || r.bottom > window.innerHeight || r.top < 0) return false;
  const hit = document.elementFromPoint(r.left + Math.min(20, r.width / 2), (r.top + r.bottom) / 2);
  return !!hit && el.contains(hit);
};
const vp = document.querySelector('[data-testid="live-log"] .vl-viewport');
const vpr = vp ? vp.getBoundingClientRect() : null;
const row = vpr ? [...document.querySelectorAll('[data-testid="log-row"]')]
  .find((el) => el.getBoundingClientRect().top >= vpr.top - 1) : null;
return {
  vw: window.innerWidth, vh: window.innerHeight,
  request: drawn(document.querySelector('[data-testid="request-panel"] .line')),
  row: drawn(row),
  filter: drawn(document.querySelector('[data-testid="sub-filter"]')),
  copy: drawn(document.querySelector('[data-testid="btn-copy-data"]')),
};
"#;

#[tokio::test]
async fn request_copy_clear_duplicate_and_filter() {
    let server = Demo::start(DemoConfig::default()).await;
    let desktop = Desktop::start("detail_actions").await;
    let _keyring = start_keyring(&desktop);
    let app = App::launch_on(desktop, "detail_actions").await;

    // A subscription with a secret header and a token in its URL, added through the form.
    let url = server.url(&format!("/events?rate=10&token={URL_SECRET}"));
    app.click("btn-add").await;
    app.element("subscription-form").await;
    eprintln!("[detail_actions] filling the form");
    app.fill("field-name", NAME).await;
    // Set in the page rather than typed: key by key, a long URL can outlast the driver's
    // command timeout on a loaded machine.
    app.set_value("field-url", &url).await;
    app.click("btn-add-header").await;
    app.fill("header-name", "X-Api-Key").await;
    app.set_value("header-value", HEADER_SECRET).await;
    app.click("header-secret").await;
    app.click("btn-save").await;
    app.wait_gone("subscription-form").await;
    app.wait_detail_state(NAME, "open").await;
    app.wait_for("a few log rows", async || {
        let n = app.log_rows().await.len();
        if n >= 3 {
            Ok(())
        } else {
            Err(format!("{n} rows"))
        }
    })
    .await;

    eprintln!("[detail_actions] added and open");
    // 1. The request panel: what is sent, secrets masked, the next Last-Event-ID.
    let headers = open_request_panel(&app).await;
    let names: Vec<&str> = headers.iter().map(|h| h.0.as_str()).collect();
    assert_eq!(
        &names[..3],
        ["Accept", "Cache-Control", "X-Api-Key"],
        "{headers:?}"
    );
    let request_url = app
        .text("[data-testid=\"request-url\"]")
        .await
        .unwrap_or_default()
        .0;
    assert!(
        request_url.contains("token=••••") && !request_url.contains(URL_SECRET),
        "the URL's token is masked: {request_url}"
    );
    let last_id = app
        .wait_for("a Last-Event-ID in the request panel", async || {
            let v = app
                .js("const e = document.querySelector('[data-testid=\"request-last-event-id\"]'); return e ? e.dataset.value : null;")
                .await;
            match v.as_str() {
                Some(id) if !id.is_empty() => Ok(id.to_owned()),
                _ => Err(format!("{v}")),
            }
        })
        .await;
    assert!(
        headers.iter().any(|h| h.0 == "Last-Event-ID") || last_id.parse::<u64>().is_ok(),
        "the next reconnect resumes from a demo id: {last_id:?} {headers:?}"
    );
    assert_no_secret_shown(&app, "with the request panel open").await;
    app.screenshot("detail-actions-request").await;

    eprintln!("[detail_actions] request panel checked");
    // 2. Copy: the inspector's buttons say "Copy …" and answer "Copied"; the clipboard holds
    //    the row's data (pasted back into the log's search field).
    app.click_css("[data-testid=\"log-row\"]").await;
    app.element("log-inspector").await;
    let labels = app
        .js("return [...document.querySelectorAll('[data-testid^=\"btn-copy-\"]:not([data-testid=\"btn-copy-row\"])')].map((b) => b.textContent.trim());")
        .await;
    let labels: Vec<String> = labels
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    assert!(
        labels.len() >= 3 && labels.iter().all(|l| l.starts_with("Copy ")),
        "every copy button says what it copies: {labels:?}"
    );
    let data = app
        .js("return document.querySelector('[data-testid=\"log-row\"].selected [data-testid=\"log-data\"]').textContent;")
        .await
        .as_str()
        .unwrap_or("")
        .to_owned();
    app.click("btn-copy-data").await;
    app.wait_for("the copy button to say Copied", async || {
        let v = app
            .js("const b = document.querySelector('[data-testid=\"btn-copy-data\"]'); return [b.dataset.copied, b.textContent.trim()];")
            .await;
        if v[0] == "true" && v[1] == "Copied" {
            Ok(())
        } else {
            Err(v.to_string())
        }
    })
    .await;
    app.screenshot("detail-actions-copied").await;
    let display = app.desktop().display().to_owned();
    let clipboard = read_clipboard(&display);
    assert_eq!(
        clipboard.as_deref(),
        Ok(data.as_str()),
        "the X clipboard holds the row's data"
    );

    eprintln!("[detail_actions] copy checked");
    // 3. Clear view: the log empties and counts only what comes after; storage keeps all.
    let before_max = app.newest_n().await.unwrap_or(0);
    let stored_before = stored_history(app.data_dir(), NAME).map_or(0, |h| h.len());
    app.click("btn-clear-view").await;
    let (count, history) = app
        .wait_for("the log to say it was cleared", async || {
            // textContent: a squeezed span's innerText may be empty; its title is the same.
            let v = app
                .js("return ['log-count', 'log-history'].map((id) => document.querySelector(`[data-testid=\"${id}\"]`).textContent.trim());")
                .await;
            let count = v[0].as_str().unwrap_or("").to_owned();
            let history = v[1].as_str().unwrap_or("").to_owned();
            if count.contains("since clear") && history.contains("view cleared") {
                Ok((count, history))
            } else {
                Err(format!("{count:?} {history:?}"))
            }
        })
        .await;
    let figures = app
        .text("[data-testid=\"fig-counts\"]")
        .await
        .unwrap_or_default()
        .0;
    assert!(
        figures.contains("since clear"),
        "the figures say so too: {figures:?}"
    );
    let after = app.log_rows().await;
    let oldest_after = after.iter().filter_map(|r| r.n()).min();
    assert!(
        oldest_after.is_none_or(|n| n > before_max),
        "only rows received after the clear are shown: first {oldest_after:?}, cleared after {before_max} ({count}, {history})"
    );
    app.wait_for("storage to keep growing after the clear", async || {
        let n = stored_history(app.data_dir(), NAME).map_or(0, |h| h.len());
        if n > stored_before {
            Ok(())
        } else {
            Err(format!("{n} stored, {stored_before} before"))
        }
    })
    .await;
    app.screenshot("detail-actions-cleared").await;

    eprintln!("[detail_actions] clear view checked");
    // 4. Duplicate: "Orders (copy)", selected, running, its secret header still masked.
    app.click("btn-duplicate").await;
    app.wait_detail_state(COPY, "open").await;
    assert_eq!(stored_subscription_exists(app.data_dir(), COPY), Ok(true));
    assert_eq!(stored_subscription_exists(app.data_dir(), NAME), Ok(true));
    open_request_panel(&app).await;
    assert_no_secret_shown(&app, "after duplicating").await;

    eprintln!("[detail_actions] duplicate checked");
    // 5. The filter: Ctrl+F, "N of M", Escape clears.
    let total = app.sidebar().await.len();
    assert_eq!(
        total, 4,
        "the demo stream, the demo LLM probe, Orders and its copy"
    );
    // Keys typed in the list (a focusable element that is not a text field).
    let list = app.element("sub-list").await;
    if let Err(e) = list.send_keys("\u{E009}f\u{E000}").await {
        app.fail(&format!("cannot press Ctrl+F: {e}")).await;
    }
    let focused = app
        .js("return document.activeElement && document.activeElement.dataset.testid;")
        .await;
    assert_eq!(focused, "sub-filter", "Ctrl+F focuses the filter");
    let filter = app.element("sub-filter").await;
    let _ = filter.send_keys("ORDERS").await;
    app.wait_for("the filter to list the two Orders streams", async || {
        let names: Vec<String> = app.sidebar().await.into_iter().map(|s| s.name).collect();
        let count = app
            .text("[data-testid=\"sub-filter-count\"]")
            .await
            .map(|t| t.0);
        if names == [NAME, COPY] && count.as_deref() == Some("2 of 4") {
            Ok(())
        } else {
            Err(format!("{names:?} {count:?}"))
        }
    })
    .await;

    // 6. Every window size: the filtered list, the copy's request panel, a row inspected.
    app.click_css("[data-testid=\"log-row\"]").await;
    for (w, h) in [(720, 480), (1200, 780), (1920, 1080)] {
        resize(&app, w, h).await;
        let mut m: Value = app
            .wait_for(&format!("the window at {w}x{h}"), async || {
                let m = app.js(MEASURE).await;
                let vw = m["vw"].as_f64().unwrap_or(0.0);
                let vh = m["vh"].as_f64().unwrap_or(0.0);
                if (vw - f64::from(w)).abs() < 40.0 && (vh - f64::from(h)).abs() < 80.0 {
                    Ok(m)
                } else {
                    Err(m.to_string())
                }
            })
            .await;
        let parts: &[&str] = if h < 780 && m["row"] != true {
            // At 720×480 the open request panel takes the height and the pane scrolls, as a
            // person would scroll it: the panel is checked before, the log's row after.
            for part in ["filter", "request"] {
                assert_eq!(m[part], true, "{w}x{h}: {part} is drawn in the window: {m}");
            }
            app.js(
                "const v = document.querySelector('[data-testid=\"live-log\"] .vl-viewport'); \
                 if (v) v.scrollIntoView({block: 'nearest'}); return true;",
            )
            .await;
            m = app
                .wait_for("the log scrolled into view", async || {
                    let m = app.js(MEASURE).await;
                    if m["row"] == true {
                        Ok(m)
                    } else {
                        Err(m.to_string())
                    }
                })
                .await;
            &["filter", "row"]
        } else {
            &["filter", "request", "row"]
        };
        app.screenshot(&format!("detail-actions-{w}x{h}")).await;
        eprintln!("{w}x{h}: {m}");
        for part in parts {
            assert_eq!(
                m[*part], true,
                "{w}x{h}: {part} is drawn in the window: {m}"
            );
        }
        // At 720×480 the inspector is below the fold with the request panel open (the pane
        // scrolls to it); from the default size on it is in view.
        if h >= 780 {
            assert_eq!(m["copy"], true, "{w}x{h}: the copy buttons are drawn: {m}");
        }
    }

    // Escape clears the filter.
    let filter = app.element("sub-filter").await;
    let _ = filter.send_keys("\u{E00C}").await;
    app.wait_for("Escape to clear the filter", async || {
        let n = app.sidebar().await.len();
        let value = app.value("sub-filter").await;
        if n == 4 && value.is_empty() {
            Ok(())
        } else {
            Err(format!("{n} listed, filter {value:?}"))
        }
    })
    .await;
    app.close().await;
}
