//! Per-subscription TLS and proxies against real local servers: a private CA trusted only when
//! added, certificate problems in plain words naming the fix (self-signed, expired, wrong host,
//! unknown CA, client certificate required), mTLS, and HTTP (CONNECT and absolute-form) and
//! SOCKS5 proxies that count what went through them.

mod support;

use std::time::Duration;
use streamwatch_engine::cert_problem::words_in;
use streamwatch_engine::{Lifecycle, SubscriptionConfig};
use streamwatch_test_support::http_proxy::HttpProxy;
use streamwatch_test_support::socks_proxy::SocksProxy;
use streamwatch_test_support::tls_certs::{self_signed_server, TestCa, LOOPBACK_NAMES};
use streamwatch_test_support::tls_server::TlsServer;
use support::{messages, run_until};

const LIMIT: Duration = Duration::from_secs(20);

fn config(url: &str) -> SubscriptionConfig {
    let mut c = SubscriptionConfig::new(url).expect("config");
    c.retry.initial_ms = 50;
    c.retry.max_ms = 100;
    c
}

/// Runs until three messages arrive.
async fn three_messages(c: &SubscriptionConfig) -> Vec<String> {
    let (events, _) = run_until(c, LIMIT, |e| {
        e.iter()
            .filter(|e| matches!(e, Lifecycle::Message { .. }))
            .count()
            >= 3
    })
    .await;
    messages(&events)
}

/// Runs until the first error; returns its message and the plain words it starts with (or
/// the whole message when it has none).
async fn first_error(c: &SubscriptionConfig) -> (String, String) {
    let (events, _) = run_until(c, LIMIT, |e| {
        e.iter().any(|e| matches!(e, Lifecycle::Error { .. }))
    })
    .await;
    let message = events
        .iter()
        .find_map(|e| match e {
            Lifecycle::Error { message, .. } => Some(message.clone()),
            _ => None,
        })
        .expect("an error");
    let plain = words_in(&message).unwrap_or(&message).to_string();
    (message, plain)
}

#[tokio::test]
async fn a_private_ca_is_trusted_only_when_added() {
    let ca = TestCa::new();
    let server = TlsServer::start(&ca.server(&LOOPBACK_NAMES), None).await;

    let (message, plain) = first_error(&config(&server.url())).await;
    assert!(
        plain.starts_with("the server's certificate is signed by an unknown CA"),
        "{plain} / {message}"
    );
    assert!(plain.contains("--ca-cert"), "{plain}");
    assert_eq!(server.requests(), 0);

    let mut trusted = config(&server.url());
    trusted.client.extra_ca_pem = Some(ca.cert_pem.clone());
    assert_eq!(
        three_messages(&trusted).await,
        ["secure 1", "secure 2", "secure 3"]
    );
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn a_self_signed_certificate_is_named_and_can_be_trusted() {
    let cert = self_signed_server();
    let server = TlsServer::start(&cert, None).await;

    let (message, plain) = first_error(&config(&server.url())).await;
    assert!(
        plain.starts_with("the server's certificate is self-signed"),
        "{plain} / {message}"
    );
    assert!(plain.contains("add that certificate"), "{plain}");

    // Trusting the certificate itself is how a self-signed server is accepted.
    let mut trusted = config(&server.url());
    trusted.client.extra_ca_pem = Some(cert.cert_pem.clone());
    assert_eq!(three_messages(&trusted).await.len(), 3);
}

#[tokio::test]
async fn an_expired_certificate_says_when_and_who_fixes_it() {
    let ca = TestCa::new();
    let server = TlsServer::start(&ca.expired_server(), None).await;
    let mut c = config(&server.url());
    c.client.extra_ca_pem = Some(ca.cert_pem.clone());
    let (message, plain) = first_error(&c).await;
    assert!(
        plain.starts_with("the server's certificate expired on 2021-01-01"),
        "{plain} / {message}"
    );
    assert!(plain.contains("renew"), "{plain}");
}

#[tokio::test]
async fn a_certificate_for_another_host_names_the_hosts_it_is_for() {
    let ca = TestCa::new();
    let server = TlsServer::start(&ca.server(&["stream.example.com"]), None).await;
    let mut c = config(&server.url());
    c.client.extra_ca_pem = Some(ca.cert_pem.clone());
    let (message, plain) = first_error(&c).await;
    assert!(
        plain.starts_with("the server's certificate is for a wrong host name"),
        "{plain} / {message}"
    );
    assert!(plain.contains("stream.example.com"), "{plain}");
}

#[tokio::test]
async fn mtls_needs_the_client_certificate_and_works_with_it() {
    let ca = TestCa::new();
    let server = TlsServer::start(&ca.server(&LOOPBACK_NAMES), Some(&ca.cert_pem)).await;
    let mut c = config(&server.url());
    c.client.extra_ca_pem = Some(ca.cert_pem.clone());

    let (message, plain) = first_error(&c).await;
    assert!(
        plain.starts_with("the server requires a client certificate"),
        "{plain} / {message}"
    );
    assert!(plain.contains("--client-cert"), "{plain}");
    assert_eq!(server.handshakes(), 0);

    // A certificate from another CA is refused by the server.
    let stranger = TestCa::named("Some other CA").client("stranger");
    let mut wrong = c.clone();
    wrong.client.client_cert_pem = Some(stranger.cert_pem);
    wrong.client.client_key_pem = Some(stranger.key_pem);
    let (message, plain) = first_error(&wrong).await;
    assert!(
        plain.starts_with("the server refused the client certificate"),
        "{plain} / {message}"
    );

    let me = ca.client("streamwatch");
    c.client.client_cert_pem = Some(me.cert_pem);
    c.client.client_key_pem = Some(me.key_pem.clone());
    assert_eq!(three_messages(&c).await.len(), 3);
    assert_eq!(server.handshakes(), 1);
    // The key never shows in the config's debug output.
    assert!(!format!("{c:?}").contains(me.key_pem.lines().nth(1).expect("key line")));
}

#[tokio::test]
async fn an_https_stream_goes_through_an_http_proxy_tunnel() {
    let ca = TestCa::new();
    let server = TlsServer::start(&ca.server(&LOOPBACK_NAMES), None).await;
    let proxy = HttpProxy::start().await;
    let mut c = config(&server.url());
    c.client.extra_ca_pem = Some(ca.cert_pem.clone());
    c.client.proxy = Some(proxy.url());
    assert_eq!(three_messages(&c).await.len(), 3);
    assert_eq!(proxy.tunnels(), 1);
    assert_eq!(
        proxy.targets(),
        [format!("127.0.0.1:{}", server.addr.port())]
    );
}

#[tokio::test]
async fn an_http_stream_goes_through_an_http_proxy_with_its_credentials() {
    let demo = streamwatch_test_support::start_demo(Default::default()).await;
    let proxy = HttpProxy::start_with_credentials("alice", "s3cret-proxy-pw").await;
    let mut c = config(&demo.url("/events?rate=50"));

    // Wrong credentials: 407, the password never quoted.
    c.client.proxy = Some(proxy.url_with("alice", "wrong-pw"));
    let (message, plain) = first_error(&c).await;
    assert!(message.contains("407"), "{message}");
    assert!(
        !message.contains("wrong-pw") && !plain.contains("wrong-pw"),
        "{message}"
    );
    assert_eq!(proxy.refused(), 1);

    c.client.proxy = Some(proxy.url_with("alice", "s3cret-proxy-pw"));
    let (events, _) = run_until(&c, LIMIT, |e| {
        e.iter().any(|e| matches!(e, Lifecycle::Message { .. }))
    })
    .await;
    assert!(!messages(&events).is_empty());
    assert_eq!(proxy.forwarded(), 1);
}

#[tokio::test]
async fn a_stream_goes_through_a_socks5_proxy() {
    let ca = TestCa::new();
    let server = TlsServer::start(&ca.server(&LOOPBACK_NAMES), None).await;
    let socks = SocksProxy::start_with_credentials("bob", "socks-pw").await;
    let mut c = config(&server.url());
    c.client.extra_ca_pem = Some(ca.cert_pem.clone());
    c.client.proxy = Some(socks.url_with("bob", "socks-pw"));
    assert_eq!(three_messages(&c).await.len(), 3);
    assert_eq!(socks.relayed(), 1);
    assert_eq!(socks.refused(), 0);
}
