//! The form's "Network" section in the real window, with a real keyring (gnome-keyring on the
//! test's own bus): a subscription to an HTTPS demo server whose certificate a CA made for this
//! run signed (nothing the system trusts) is added with that CA pasted as an extra CA, through
//! a real CONNECT proxy that wants credentials, with a client certificate and key. It goes
//! open through the proxy; the Request panel says "via proxy" with the credentials masked;
//! the edit form shows the proxy masked and the key only as "stored" (the key and the proxy's
//! password are nowhere in the page nor in the database). The form with its Network section
//! at 720×480, 1200×780 and 1920×1080 (network-options-form-<w>x<h>.png).

use std::net::SocketAddr;

use serde_json::Value;
use streamwatch_demo_server::{DemoConfig, DemoServer};
use streamwatch_e2e::{start_keyring, App, Desktop};
use streamwatch_test_support::files::assert_no_file_contains;
use streamwatch_test_support::http_proxy::HttpProxy;
use streamwatch_test_support::tls_certs::TestCa;

const NAME: &str = "Private CA";
const PROXY_PASSWORD: &str = "pr0xy-9b1e";

/// Everything the page holds as text or attribute values, to look for secrets in.
const PAGE_TEXT: &str = r#"
const parts = [document.body.innerText];
for (const el of document.querySelectorAll('*')) {
  for (const a of el.attributes) parts.push(a.value);
  if ('value' in el && typeof el.value === 'string') parts.push(el.value);
}
return parts.join('\n');
"#;

async fn assert_no_secret_shown(app: &App, when: &str, secrets: &[&str]) {
    let text = app.js(PAGE_TEXT).await;
    let text = text.as_str().unwrap_or("");
    for secret in secrets {
        if text.contains(secret) {
            app.fail(&format!(
                "{when}: the window shows a secret ({} bytes)",
                secret.len()
            ))
            .await;
        }
    }
}

/// Scrolls the form's Network section into view, as a person would to read it.
async fn show_network_section(app: &App) {
    app.js("document.querySelector('[data-testid=\"form-network\"]').scrollIntoView({ block: 'start' }); return true;")
        .await;
}

/// Whether the Network section's proxy field is drawn inside the window and nothing scrolls
/// sideways.
const MEASURE: &str = r#"
const el = document.querySelector('[data-testid="field-proxy"]');
const r = el.getBoundingClientRect();
const panel = document.querySelector('[data-testid="subscription-form"]');
const wide = [...document.querySelectorAll('[data-testid="form-network"] *')]
  .some((e) => e.getBoundingClientRect().right > window.innerWidth + 1);
return { drawn: r.width > 0 && r.top >= 0 && r.bottom <= window.innerHeight, wide,
         vw: window.innerWidth, panel: panel ? panel.getBoundingClientRect().width : 0 };
"#;

#[tokio::test]
async fn the_network_section_adds_a_private_ca_proxy_and_client_certificate() {
    let server = DemoServer::start_tls(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        DemoConfig {
            rate: 10.0,
            ..DemoConfig::default()
        },
    )
    .await
    .expect("the HTTPS demo server");
    let ca_pem = server.ca_pem().expect("its CA").to_owned();
    let proxy = HttpProxy::start_with_credentials("erin", PROXY_PASSWORD).await;
    let client = TestCa::named("Streamwatch e2e client CA").client("streamwatch");
    let key_line = client
        .key_pem
        .lines()
        .nth(1)
        .expect("a key body")
        .to_owned();

    let desktop = Desktop::start("network_options").await;
    let _keyring = start_keyring(&desktop);
    let app = App::launch_on(desktop, "network_options").await;

    app.click("btn-add").await;
    app.element("subscription-form").await;
    app.fill("field-name", NAME).await;
    app.set_value("field-url", &server.url("/events")).await;
    // Closed until opened: the defaults are the system's proxy settings and CAs.
    let open = app
        .js("return document.querySelector('[data-testid=\"form-network\"]').open;")
        .await;
    assert_eq!(open, Value::Bool(false), "the section starts closed");
    app.click("form-network-toggle").await;
    app.set_value("field-proxy", &proxy.url_with("erin", PROXY_PASSWORD))
        .await;
    app.set_value("field-ca-certificates", &ca_pem).await;
    app.set_value("field-client-certificate", &client.cert_pem)
        .await;
    app.set_value("field-client-key", &client.key_pem).await;
    show_network_section(&app).await;
    app.screenshot("network-options-form-filled").await;
    app.click("btn-save").await;
    app.wait_gone("subscription-form").await;
    app.wait_detail_state(NAME, "open").await;
    assert!(proxy.tunnels() >= 1, "through the proxy");
    assert_eq!(proxy.refused(), 0, "with its credentials");
    assert!(
        proxy
            .targets()
            .iter()
            .all(|t| t.ends_with(&server.addr().port().to_string())),
        "{:?}",
        proxy.targets()
    );

    // The Request panel: via the proxy, credentials masked.
    if !app.exists("request-panel").await {
        app.click("btn-toggle-request").await;
    }
    let via = app
        .wait_for("the request panel's proxy line", async || {
            match app.text("[data-testid=\"request-proxy\"]").await {
                Some((text, _)) => Ok(text),
                None => Err("no proxy line".to_owned()),
            }
        })
        .await;
    assert_eq!(
        via,
        format!("via proxy http://••••@{}/", proxy.addr),
        "credentials masked"
    );
    assert_no_secret_shown(&app, "the detail view", &[PROXY_PASSWORD, &key_line]).await;
    app.screenshot("network-options-request").await;

    // The edit form: the proxy masked, the key only "stored", the CA as pasted.
    app.click("btn-edit").await;
    app.element("subscription-form").await;
    let open = app
        .js("return document.querySelector('[data-testid=\"form-network\"]').open;")
        .await;
    assert_eq!(open, Value::Bool(true), "set: the section opens by itself");
    assert_eq!(
        app.value("field-proxy").await,
        format!("http://••••@{}/", proxy.addr)
    );
    assert_eq!(app.value("field-client-key").await, "");
    assert!(app.exists("client-key-stored").await, "the key is stored");
    assert_eq!(
        app.value("field-ca-certificates").await.trim(),
        ca_pem.trim()
    );
    assert_no_secret_shown(&app, "the edit form", &[PROXY_PASSWORD, &key_line]).await;
    for (w, h) in [(720, 480), (1200, 780), (1920, 1080)] {
        if let Err(e) = app.client().set_window_size(w, h).await {
            app.fail(&format!("cannot resize the window to {w}x{h}: {e}"))
                .await;
        }
        show_network_section(&app).await;
        let m = app
            .wait_for("the window at its new size", async || {
                let m = app.js(MEASURE).await;
                if m["vw"].as_u64().is_some_and(|vw| vw <= u64::from(w)) && m["drawn"] == true {
                    Ok(m)
                } else {
                    Err(m.to_string())
                }
            })
            .await;
        assert_eq!(
            m["wide"], false,
            "nothing sticks out sideways at {w}x{h}: {m}"
        );
        app.screenshot(&format!("network-options-form-{w}x{h}"))
            .await;
    }
    // Saved unchanged: the stored key and proxy credentials are kept, and it stays open.
    app.click("btn-save").await;
    app.wait_gone("subscription-form").await;
    app.wait_detail_state(NAME, "open").await;

    // The database and its WAL, after the app has quit (the desktop keeps its folders).
    let desktop = app.quit().await;
    assert_no_file_contains(desktop.data_dir(), key_line.as_bytes());
    assert_no_file_contains(desktop.data_dir(), PROXY_PASSWORD.as_bytes());
}
