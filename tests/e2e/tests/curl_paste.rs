//! "Paste cURL" in the real window's add form, against the demo server, with a real keyring
//! (gnome-keyring-daemon on the test's own bus): an unknown option is refused at the box,
//! naming it; Chrome's "Copy as cURL (bash)" of a POST with an Authorization header fills the
//! URL, method, headers (Authorization marked secret, its value hidden) and body, and says what
//! was filled and what was ignored (-k); saved, the stream connects and the demo server's
//! request log shows the POST with the header and body; the request panel and the edit form
//! show the secret masked. Screenshots of the filled form at 720×480, 1200×780 and 1920×1080.

use streamwatch_demo_server::DemoConfig;
use streamwatch_e2e::{start_keyring, App, Demo, Desktop};

const NAME: &str = "Pasted";
const SECRET: &str = "e2e-curl-s3cret-7d2a";
const BODY: &str = r#"{"topic":"ticks","from":1}"#;

/// Chrome 131's "Copy as cURL (bash)" of a fetch() POST to `url` (with `-k` added, as people
/// do, to see that it is told and not honoured).
fn chrome_copy(url: &str, origin: &str) -> String {
    format!(
        r#"curl '{url}' \
  -H 'accept: text/event-stream' \
  -H 'accept-language: en-GB,en;q=0.9' \
  -H 'authorization: Bearer {SECRET}' \
  -H 'content-type: application/json' \
  -H 'origin: {origin}' \
  -H 'sec-ch-ua: "Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"' \
  -H 'sec-ch-ua-mobile: ?0' \
  -H 'user-agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36' \
  --data-raw '{BODY}' -k"#
    )
}

/// The form's headers as (name, value, secret, input type).
async fn form_headers(app: &App) -> Vec<(String, String, bool, String)> {
    let v = app
        .js(
            "return [...document.querySelectorAll('[data-testid=\"header-row\"]')].map((r) => {
               const v = r.querySelector('[data-testid=\"header-value\"]');
               return [r.querySelector('[data-testid=\"header-name\"]').value, v ? v.value : '',
                       r.querySelector('[data-testid=\"header-secret\"]').checked, v ? v.type : ''];
             });",
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
                        r[3].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Whether the page shows the secret anywhere as text (a password field's value is not shown).
const SHOWN_TEXT: &str = r#"
const parts = [document.body.innerText];
for (const el of document.querySelectorAll('*')) {
  for (const a of el.attributes) if (a.name !== 'value') parts.push(a.value);
  if ('value' in el && typeof el.value === 'string' && el.type !== 'password') parts.push(el.value);
}
return parts.join('\n');
"#;

/// What is drawn of the form at this size: the paste note, the URL and the first header row
/// reachable, and nothing wider than the panel.
const MEASURE: &str = r#"
const body = document.querySelector('.panel-body');
const r = (id) => { const e = document.querySelector(`[data-testid="${id}"]`); return e ? e.getBoundingClientRect() : null; };
const note = r('curl-note'), url = r('field-url');
return {
  vw: window.innerWidth, vh: window.innerHeight,
  sideways: body ? body.scrollWidth - body.clientWidth : -1,
  note: !!note && note.top >= 0 && note.bottom <= window.innerHeight && note.right <= window.innerWidth,
  url: !!url && url.right <= window.innerWidth && url.width > 150,
};
"#;

#[tokio::test]
async fn paste_a_chrome_copy_into_the_add_form() {
    let server = Demo::start(DemoConfig::default()).await;
    let desktop = Desktop::start("curl_paste").await;
    let _keyring = start_keyring(&desktop);
    let app = App::launch_on(desktop, "curl_paste").await;

    app.click("btn-add").await;
    app.element("subscription-form").await;
    app.click("btn-paste-curl").await;
    app.element("curl-text").await;

    // 1. An unknown option is named at the box, and the form is left as it was.
    app.set_value(
        "curl-text",
        &format!("curl --foo '{}'", server.url("/events")),
    )
    .await;
    app.click("btn-curl-fill").await;
    let error = app
        .wait_for("the paste's error at the box", async || {
            match app.text("[data-testid=\"error-curl\"]").await {
                Some((t, _)) if !t.is_empty() => Ok(t),
                other => Err(format!("{other:?}")),
            }
        })
        .await;
    assert_eq!(error, "unknown curl option --foo");
    assert_eq!(app.value("field-url").await, "", "nothing filled");
    app.screenshot("curl-paste-error").await;

    // 2. Chrome's copy fills the form.
    let url = server.url("/events?rate=10");
    let origin = server.url("");
    let origin = origin.trim_end_matches('/');
    app.set_value("curl-text", &chrome_copy(&url, origin)).await;
    app.click("btn-curl-fill").await;
    let filled = app
        .wait_for("the note of what was filled", async || {
            match app.text("[data-testid=\"curl-filled\"]").await {
                Some((t, _)) if !t.is_empty() => Ok(t),
                other => Err(format!("{other:?}")),
            }
        })
        .await;
    assert!(
        filled.starts_with("Filled: URL, method POST, 7 headers (1 secret), body."),
        "{filled}"
    );
    let ignored = app
        .js("return [...document.querySelectorAll('[data-testid=\"curl-ignored\"]')].map((li) => li.textContent);")
        .await;
    assert_eq!(
        ignored[0],
        "accept: text/event-stream left out: every request sends it."
    );
    assert!(
        ignored[1]
            .as_str()
            .is_some_and(|t| t.starts_with("-k ignored: certificates are always checked")),
        "{ignored}"
    );
    assert!(!app.exists("curl-box").await, "the box closes once read");
    assert_eq!(app.value("field-url").await, url);
    assert_eq!(app.value("field-method").await, "POST");
    assert_eq!(app.value("field-body").await, BODY);
    let headers = form_headers(&app).await;
    let auth = headers
        .iter()
        .find(|h| h.0 == "authorization")
        .unwrap_or_else(|| panic!("no authorization in {headers:?}"));
    assert_eq!(
        (auth.1.as_str(), auth.2, auth.3.as_str()),
        (format!("Bearer {SECRET}").as_str(), true, "password"),
        "the token is in the form, secret and hidden"
    );
    assert!(
        headers
            .iter()
            .filter(|h| h.0 != "authorization")
            .all(|h| !h.2 && h.3 == "text"),
        "{headers:?}"
    );
    let shown = app.js(SHOWN_TEXT).await;
    assert!(
        !shown.as_str().unwrap_or("").contains(SECRET),
        "the filled form shows the token"
    );
    app.fill("field-name", NAME).await;

    // 3. The filled form at each window size: the note and the URL drawn, nothing sideways.
    for (w, h) in [(720, 480), (1200, 780), (1920, 1080)] {
        if let Err(e) = app.client().set_window_size(w, h).await {
            app.fail(&format!("cannot resize to {w}x{h}: {e}")).await;
        }
        let m = app
            .wait_for(&format!("the form at {w}x{h}"), async || {
                let m = app
                    .js(&format!(
                        "const b = document.querySelector('.panel-body'); if (b) b.scrollTop = 0; {MEASURE}"
                    ))
                    .await;
                let vw = m["vw"].as_f64().unwrap_or(0.0);
                if (vw - f64::from(w)).abs() < 40.0 {
                    Ok(m)
                } else {
                    Err(m.to_string())
                }
            })
            .await;
        app.screenshot(&format!("curl-paste-filled-{w}x{h}")).await;
        eprintln!("[curl_paste] {w}x{h}: {m}");
        assert_eq!(m["note"], true, "{w}x{h}: the paste's note is drawn: {m}");
        assert_eq!(m["url"], true, "{w}x{h}: the URL field is drawn: {m}");
        assert!(
            m["sideways"].as_f64().is_some_and(|s| s <= 1.0),
            "{w}x{h}: nothing scrolls sideways: {m}"
        );
    }
    if let Err(e) = app.client().set_window_size(1200, 780).await {
        app.fail(&format!("cannot resize back: {e}")).await;
    }

    // 4. Saved, it connects, and the server saw the POST with the header and the body.
    app.click("btn-save").await;
    app.wait_gone("subscription-form").await;
    app.wait_detail_state(NAME, "open").await;
    let seen = app
        .wait_for("the demo server to log the POST", async || {
            let log = server.requests().await?;
            log.into_iter()
                .find(|r| r["method"] == "POST" && r["path"] == "/events?rate=10")
                .ok_or_else(|| "no POST /events?rate=10 yet".to_owned())
        })
        .await;
    assert_eq!(
        seen["headers"]["authorization"].as_str(),
        Some(format!("Bearer {SECRET}").as_str()),
        "{seen:#}"
    );
    assert_eq!(
        seen["headers"]["content-type"], "application/json",
        "{seen:#}"
    );
    assert_eq!(
        seen["headers"]["accept-language"], "en-GB,en;q=0.9",
        "{seen:#}"
    );
    assert_eq!(seen["body"], BODY, "{seen:#}");

    // 5. The request panel shows the secret masked, and the edit form keeps it stored.
    if !app.exists("request-panel").await {
        app.click("btn-toggle-request").await;
    }
    app.wait_for("the request panel with Authorization masked", async || {
        let v = app
            .js(
                "const r = [...document.querySelectorAll('[data-testid=\"request-header\"]')]
                   .find((r) => r.dataset.name.toLowerCase() === 'authorization');
                 return r ? [r.querySelector('td').textContent.trim(), r.dataset.secret] : null;",
            )
            .await;
        if v[0] == "••••" && v[1] == "true" {
            Ok(())
        } else {
            Err(v.to_string())
        }
    })
    .await;
    let shown = app.js(SHOWN_TEXT).await;
    assert!(
        !shown.as_str().unwrap_or("").contains(SECRET),
        "the window shows the token"
    );
    app.screenshot("curl-paste-request").await;
    app.click("btn-edit").await;
    app.element("subscription-form").await;
    assert!(
        !app.exists("btn-paste-curl").await,
        "the paste is for new streams only"
    );
    app.element("header-stored").await;
    let shown = app.js(SHOWN_TEXT).await;
    assert!(
        !shown.as_str().unwrap_or("").contains(SECRET),
        "the edit form shows the token"
    );
    app.close().await;
}
