//! Saved subscriptions with their own proxy and TLS settings, run by the monitor (the
//! supervisor builds each one's client from them) against real local servers: a private CA
//! trusted only by the subscription that adds it, the unknown-CA error in plain words naming
//! the fix, mTLS with the key kept out of the database, and real CONNECT and SOCKS5 proxies
//! whose credentials reach neither the database nor an export.
//!
//! Secrets are sealed session-only ([`Keeping::SessionOnly`]): the same sealing as the
//! keyring's, without a keyring daemon in this suite (the CLI's suite uses a real one).

use std::path::Path;
use std::time::Duration;
use streamwatch_engine::catalog::validate::check_record;
use streamwatch_engine::catalog::{ExportOptions, Field, Keeping, SubscriptionRecord};
use streamwatch_engine::client_options::ClientOptions;
use streamwatch_engine::export_format::parse;
use streamwatch_engine::monitor::{Monitor, MonitorOptions};
use streamwatch_engine::secrets::SecretStore;
use streamwatch_engine::SubscriptionId;
use streamwatch_test_support::files::assert_no_file_contains;
use streamwatch_test_support::http_proxy::HttpProxy;
use streamwatch_test_support::socks_proxy::SocksProxy;
use streamwatch_test_support::tls_certs::{TestCa, LOOPBACK_NAMES};
use streamwatch_test_support::tls_server::TlsServer;
use streamwatch_test_support::wait_until;

const LIMIT: Duration = Duration::from_secs(20);

fn open(dir: &Path, service: &str) -> Monitor {
    let mut opts = MonitorOptions::new(dir.to_path_buf());
    opts.secrets = SecretStore::new(service);
    opts.watch_system = false;
    Monitor::open(opts).expect("monitor")
}

fn record(name: &str, url: &str, network: ClientOptions) -> SubscriptionRecord {
    let mut r = SubscriptionRecord::new(name, url);
    r.retry.initial_ms = 50;
    r.retry.max_ms = 200;
    r.network = network;
    r
}

fn add(monitor: &Monitor, r: &SubscriptionRecord) -> SubscriptionId {
    monitor.add_keeping(r, Keeping::SessionOnly).expect("add")
}

async fn messages(monitor: &Monitor, id: SubscriptionId, at_least: u64) {
    wait_until("messages", LIMIT, || {
        monitor
            .supervisor()
            .status(id)
            .is_ok_and(|s| s.messages >= at_least)
    })
    .await;
}

/// The PEM body's first line: what a leaked key or certificate would show in a file.
fn body_line(pem: &str) -> &str {
    pem.lines().nth(1).expect("a PEM body")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_subscription_trusts_its_own_ca_and_says_how_to_fix_a_missing_one() {
    let ca = TestCa::new();
    let server = TlsServer::start(&ca.server(&LOOPBACK_NAMES), None).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let monitor = open(dir.path(), "streamwatch-saved-network-ca");
    let untrusted = add(
        &monitor,
        &record("untrusted", &server.url(), ClientOptions::default()),
    );
    let trusted = add(
        &monitor,
        &record(
            "trusted",
            &server.url(),
            ClientOptions {
                extra_ca_pem: Some(ca.cert_pem.clone()),
                ..ClientOptions::default()
            },
        ),
    );
    messages(&monitor, trusted, 3).await;
    wait_until("the untrusted one's error", LIMIT, || {
        monitor
            .supervisor()
            .status(untrusted)
            .is_ok_and(|s| s.last_error.is_some())
    })
    .await;
    let error = monitor
        .supervisor()
        .status(untrusted)
        .ok()
        .and_then(|s| s.last_error)
        .expect("error");
    assert!(
        error.starts_with("the server's certificate is signed by an unknown CA"),
        "{error}"
    );
    assert!(
        error.contains("CA certificates in the subscription's form"),
        "{error}"
    );
    // Saved and read back as given: the CA is public and stays in the database.
    let saved = monitor.catalog().subscription(trusted).expect("saved");
    assert_eq!(saved.record.network.extra_ca_pem, Some(ca.cert_pem.clone()));
    monitor.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mtls_connects_and_the_key_never_reaches_the_database() {
    let ca = TestCa::new();
    let client_ca = TestCa::named("Streamwatch client CA");
    let client = client_ca.client("streamwatch");
    let server = TlsServer::start(&ca.server(&LOOPBACK_NAMES), Some(&client_ca.cert_pem)).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let monitor = open(dir.path(), "streamwatch-saved-network-mtls");
    let id = add(
        &monitor,
        &record(
            "mtls",
            &server.url(),
            ClientOptions {
                extra_ca_pem: Some(ca.cert_pem.clone()),
                client_cert_pem: Some(client.cert_pem.clone()),
                client_key_pem: Some(client.key_pem.clone()),
                ..ClientOptions::default()
            },
        ),
    );
    messages(&monitor, id, 3).await;
    assert!(server.handshakes() >= 1);
    let saved = monitor.catalog().subscription(id).expect("saved");
    let key = saved
        .record
        .network
        .client_key_pem
        .expect("a key reference");
    assert!(
        key.parse::<streamwatch_engine::secrets::SecretRef>()
            .is_ok(),
        "a reference is stored"
    );
    let export = monitor
        .catalog()
        .export(ExportOptions::default())
        .expect("export")
        .to_json()
        .expect("json");
    assert!(!export.contains(body_line(&client.key_pem)), "{export}");
    assert!(!export.contains("client_key"), "{export}");
    monitor.flush().await.expect("flush");
    monitor.shutdown().await.expect("shutdown");
    // Every file of the data directory (the database, its WAL) as bytes.
    assert_no_file_contains(dir.path(), body_line(&client.key_pem).as_bytes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saved_subscriptions_go_through_their_connect_and_socks5_proxies() {
    let ca = TestCa::new();
    let server = TlsServer::start(&ca.server(&LOOPBACK_NAMES), None).await;
    let http = HttpProxy::start_with_credentials("carol", "pr0xy-pass").await;
    let socks = SocksProxy::start_with_credentials("dave", "s0cks-pass").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let monitor = open(dir.path(), "streamwatch-saved-network-proxies");
    let with_proxy = |name: &str, proxy: String| {
        record(
            name,
            &server.url(),
            ClientOptions {
                proxy: Some(proxy),
                extra_ca_pem: Some(ca.cert_pem.clone()),
                ..ClientOptions::default()
            },
        )
    };
    let via_http = add(
        &monitor,
        &with_proxy("via connect", http.url_with("carol", "pr0xy-pass")),
    );
    let via_socks = add(
        &monitor,
        &with_proxy("via socks", socks.url_with("dave", "s0cks-pass")),
    );
    messages(&monitor, via_http, 3).await;
    messages(&monitor, via_socks, 3).await;
    assert!(http.tunnels() >= 1, "the CONNECT proxy carried it");
    assert_eq!(http.refused(), 0, "the credentials were sent");
    assert!(socks.relayed() >= 1, "the SOCKS5 proxy carried it");
    let port = server.addr.port().to_string();
    assert!(
        http.targets().iter().all(|t| t.ends_with(&port)),
        "{:?}",
        http.targets()
    );
    let shown = monitor
        .catalog()
        .subscription(via_http)
        .expect("saved")
        .record;
    let display = streamwatch_engine::catalog::network_sealing::display_proxy(&shown.network)
        .expect("a proxy");
    assert_eq!(display, format!("http://••••@{}/", http.addr));
    let export = monitor
        .catalog()
        .export(ExportOptions::default())
        .expect("export")
        .to_json()
        .expect("json");
    for secret in ["pr0xy-pass", "s0cks-pass", "carol", "dave"] {
        assert!(!export.contains(secret), "{secret} in {export}");
    }
    monitor.flush().await.expect("flush");
    monitor.shutdown().await.expect("shutdown");
    for secret in ["pr0xy-pass", "s0cks-pass"] {
        assert_no_file_contains(dir.path(), secret.as_bytes());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_settings_round_trip_through_an_export_with_secrets() {
    let ca = TestCa::new();
    let client = ca.client("streamwatch");
    let dir = tempfile::tempdir().expect("tempdir");
    let from = open(dir.path(), "streamwatch-saved-network-export");
    let plain = ClientOptions {
        proxy: Some("socks5h://erin:s3cret@127.0.0.1:1080/".into()),
        extra_ca_pem: Some(ca.cert_pem.clone()),
        client_cert_pem: Some(client.cert_pem.clone()),
        client_key_pem: Some(client.key_pem.clone()),
    };
    let mut r = record("full", "https://127.0.0.1:9/events", plain.clone());
    r.paused = true;
    add(&from, &r);
    let with = from
        .catalog()
        .export(ExportOptions {
            with_secrets: true,
            ..ExportOptions::default()
        })
        .expect("export");
    let without = from
        .catalog()
        .export(ExportOptions::default())
        .expect("export");
    from.shutdown().await.expect("shutdown");

    // Through the file's text and back, as `import` reads it (the keyring side of an import
    // is the CLI suite's).
    let read = |text: String| {
        let file = parse(&text, "export.json").expect("parses");
        let (record, missing) = file.subscriptions[0].to_record();
        check_record(&record).expect("importable");
        (record, missing)
    };
    let (record, missing) = read(with.to_json().expect("json"));
    assert!(missing.is_empty(), "{missing:?}");
    assert_eq!(record.network, plain, "every setting came back");

    // Without secrets: the proxy keeps its host, loses its credentials, and the certificate
    // is left out with its key; each is reported.
    let (record, missing) = read(without.to_json().expect("json"));
    assert!(missing.iter().any(|m| m.contains("proxy")), "{missing:?}");
    assert!(
        missing.iter().any(|m| m.contains("client certificate")),
        "{missing:?}"
    );
    assert_eq!(
        record.network.proxy.as_deref(),
        Some("socks5h://127.0.0.1:1080/")
    );
    assert_eq!(record.network.extra_ca_pem, plain.extra_ca_pem);
    assert_eq!(record.network.client_cert_pem, None);
}

#[test]
fn a_hostile_network_entry_is_refused_naming_its_field_without_echoing_it() {
    let huge = "A".repeat(2 * 1024 * 1024);
    let text = serde_json::json!({
        "format": "streamwatch-export",
        "version": 1,
        "subscriptions": [{
            "name": "hostile",
            "url": "https://127.0.0.1:9/",
            "network": { "ca_certificates": huge }
        }]
    })
    .to_string();
    let file = parse(&text, "hostile.json").expect("parses");
    let (record, _) = file.subscriptions[0].to_record();
    let e = check_record(&record).expect_err("refused");
    assert_eq!(e.field, Field::CaCertificates);
    assert!(e.message.len() < 200, "{e}");
    let unknown = text.replace("ca_certificates", "accept_any_certificate");
    assert!(parse(&unknown, "hostile.json").is_err(), "no such switch");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_that_adds_a_socks5_proxy_moves_the_running_stream_onto_it() {
    let server = streamwatch_demo_server::DemoServer::start_tls(
        std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        streamwatch_demo_server::DemoConfig {
            rate: 50.0,
            ..Default::default()
        },
    )
    .await
    .expect("the HTTPS demo server");
    let ca = server.ca_pem().expect("its CA").to_owned();
    let socks = SocksProxy::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let monitor = open(dir.path(), "streamwatch-saved-network-edit");
    let direct = ClientOptions {
        extra_ca_pem: Some(ca.clone()),
        ..ClientOptions::default()
    };
    let mut r = record("edited", &server.url("/events"), direct);
    let id = add(&monitor, &r);
    messages(&monitor, id, 5).await;
    assert_eq!(socks.relayed(), 0, "direct at first");
    r.network.proxy = Some(socks.url());
    monitor
        .update_keeping(id, &r, Keeping::SessionOnly)
        .expect("edit");
    let before = monitor.supervisor().status(id).expect("status").messages;
    wait_until("the stream through the proxy", LIMIT, || {
        socks.relayed() >= 1
    })
    .await;
    messages(&monitor, id, before + 5).await;
    let timeline = monitor.catalog().timeline(id, None).expect("timeline");
    assert!(
        format!("{timeline:?}").contains("proxy"),
        "the edit names the proxy: {timeline:?}"
    );
    monitor.shutdown().await.expect("shutdown");
}
