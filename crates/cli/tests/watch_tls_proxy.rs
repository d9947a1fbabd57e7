//! `streamwatch watch` with a private CA, mTLS and proxies, against real local TLS servers and
//! proxies that count what went through them; and the environment's HTTPS_PROXY / HTTP_PROXY /
//! NO_PROXY.

mod common;

use common::{demo, finish, run, streamwatch};
use std::path::{Path, PathBuf};
use streamwatch_test_support::http_proxy::HttpProxy;
use streamwatch_test_support::socks_proxy::SocksProxy;
use streamwatch_test_support::tls_certs::{self_signed_server, TestCa, LOOPBACK_NAMES};
use streamwatch_test_support::tls_server::TlsServer;

const PROXY_VARS: [&str; 8] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
];

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write PEM");
    path
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// `watch URL --json --count 3 --max-retries 0 EXTRA…` with no proxy in the environment
/// unless `env` sets one.
async fn watch(url: &str, extra: &[&str], env: &[(&str, &str)]) -> common::Run {
    let mut args = vec!["watch", url, "--json", "--count", "3", "--max-retries", "0"];
    args.extend_from_slice(extra);
    let mut cmd = streamwatch(&args);
    for v in PROXY_VARS {
        cmd.env_remove(v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    finish(cmd).await
}

fn error_message(out: &common::Run) -> String {
    out.json()
        .iter()
        .find(|l| l["type"] == "error")
        .and_then(|l| l["message"].as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("no error line: {out:#?}"))
}

#[tokio::test]
async fn ca_cert_trusts_a_private_ca_and_without_it_the_error_says_what_to_do() {
    let dir = tempfile::tempdir().expect("dir");
    let ca = TestCa::new();
    let server = TlsServer::start(&ca.server(&LOOPBACK_NAMES), None).await;
    let ca_file = write(dir.path(), "ca.pem", &ca.cert_pem);

    let out = watch(&server.url(), &[], &[]).await;
    assert_eq!(out.code, Some(1), "{out:#?}");
    let message = error_message(&out);
    assert!(message.contains("unknown CA"), "{message}");
    assert!(message.contains("--ca-cert"), "{message}");

    let out = watch(&server.url(), &["--ca-cert", s(&ca_file)], &[]).await;
    assert_eq!(out.code, Some(0), "{out:#?}");
    assert_eq!(out.types(), ["started", "message", "message", "message"]);
}

#[tokio::test]
async fn a_self_signed_server_is_told_apart_and_its_own_certificate_trusts_it() {
    let dir = tempfile::tempdir().expect("dir");
    let cert = self_signed_server();
    let server = TlsServer::start(&cert, None).await;
    let out = watch(&server.url(), &[], &[]).await;
    assert!(error_message(&out).contains("self-signed"), "{out:#?}");
    let own = write(dir.path(), "server.pem", &cert.cert_pem);
    let out = watch(&server.url(), &["--ca-cert", s(&own)], &[]).await;
    assert_eq!(out.code, Some(0), "{out:#?}");
}

#[tokio::test]
async fn client_cert_and_key_open_an_mtls_server() {
    let dir = tempfile::tempdir().expect("dir");
    let ca = TestCa::new();
    let server = TlsServer::start(&ca.server(&LOOPBACK_NAMES), Some(&ca.cert_pem)).await;
    let ca_file = write(dir.path(), "ca.pem", &ca.cert_pem);
    let me = ca.client("streamwatch cli");
    let cert = write(dir.path(), "client.pem", &me.cert_pem);
    let key = write(dir.path(), "client.key", &me.key_pem);

    let out = watch(&server.url(), &["--ca-cert", s(&ca_file)], &[]).await;
    let message = error_message(&out);
    assert!(
        message.contains("requires a client certificate"),
        "{message}"
    );
    assert!(message.contains("--client-cert"), "{message}");

    let out = watch(
        &server.url(),
        &[
            "--ca-cert",
            s(&ca_file),
            "--client-cert",
            s(&cert),
            "--client-key",
            s(&key),
        ],
        &[],
    )
    .await;
    assert_eq!(out.code, Some(0), "{out:#?}");
    assert_eq!(server.handshakes(), 1);
    // The key is never echoed.
    let key_line = me.key_pem.lines().nth(1).expect("key line");
    assert!(!out.stdout.contains(key_line) && !out.stderr.contains(key_line));

    // A certificate without its key is a usage error.
    let out = run(&["watch", &server.url(), "--client-cert", s(&cert)]).await;
    assert_eq!(out.code, Some(2), "{out:#?}");
}

#[tokio::test]
async fn proxy_flag_sends_the_stream_through_an_http_proxy_with_credentials() {
    let dir = tempfile::tempdir().expect("dir");
    let ca = TestCa::new();
    let server = TlsServer::start(&ca.server(&LOOPBACK_NAMES), None).await;
    let ca_file = write(dir.path(), "ca.pem", &ca.cert_pem);
    let proxy = HttpProxy::start_with_credentials("carol", "pr0xy-pass").await;
    let out = watch(
        &server.url(),
        &[
            "--ca-cert",
            s(&ca_file),
            "--proxy",
            &proxy.url_with("carol", "pr0xy-pass"),
        ],
        &[],
    )
    .await;
    assert_eq!(out.code, Some(0), "{out:#?}");
    assert_eq!(proxy.tunnels(), 1);
    assert_eq!(proxy.refused(), 0);
    assert!(!out.stdout.contains("pr0xy-pass") && !out.stderr.contains("pr0xy-pass"));
}

#[tokio::test]
async fn proxy_flag_takes_socks5() {
    let server = demo().await;
    let socks = SocksProxy::start().await;
    let url = server.url("/events?rate=50");
    let out = watch(&url, &["--proxy", &socks.url()], &[]).await;
    assert_eq!(out.code, Some(0), "{out:#?}");
    assert_eq!(socks.relayed(), 1);
}

#[tokio::test]
async fn an_unusable_proxy_is_a_usage_error_with_the_password_masked() {
    let out = run(&[
        "watch",
        "http://127.0.0.1:9/events",
        "--proxy",
        "ftp://dave:hunter22@127.0.0.1:21",
    ])
    .await;
    assert_eq!(out.code, Some(2), "{out:#?}");
    assert!(out.stderr.contains("unsupported scheme"), "{out:#?}");
    assert!(!out.stderr.contains("hunter22"), "{out:#?}");
}

#[tokio::test]
async fn the_environment_proxy_is_honoured_and_no_proxy_bypasses_it() {
    let dir = tempfile::tempdir().expect("dir");
    let ca = TestCa::new();
    let server = TlsServer::start(&ca.server(&LOOPBACK_NAMES), None).await;
    let ca_file = write(dir.path(), "ca.pem", &ca.cert_pem);
    let proxy = HttpProxy::start().await;
    let ca_arg = ["--ca-cert", s(&ca_file)];

    let out = watch(&server.url(), &ca_arg, &[("HTTPS_PROXY", &proxy.url())]).await;
    assert_eq!(out.code, Some(0), "{out:#?}");
    assert_eq!(proxy.tunnels(), 1, "HTTPS_PROXY carries https");

    let out = watch(
        &server.url(),
        &ca_arg,
        &[("https_proxy", &proxy.url()), ("NO_PROXY", "127.0.0.1")],
    )
    .await;
    assert_eq!(out.code, Some(0), "{out:#?}");
    assert_eq!(proxy.tunnels(), 1, "NO_PROXY bypasses the proxy");

    let demo = demo().await;
    let out = watch(
        &demo.url("/events?rate=50"),
        &[],
        &[("HTTP_PROXY", &proxy.url())],
    )
    .await;
    assert_eq!(out.code, Some(0), "{out:#?}");
    assert_eq!(proxy.forwarded(), 1, "HTTP_PROXY carries http");

    // The subscription's own proxy wins over the environment's.
    let socks = SocksProxy::start().await;
    let out = watch(
        &server.url(),
        &["--ca-cert", s(&ca_file), "--proxy", &socks.url()],
        &[("HTTPS_PROXY", &proxy.url())],
    )
    .await;
    assert_eq!(out.code, Some(0), "{out:#?}");
    assert_eq!((socks.relayed(), proxy.tunnels()), (1, 1));
}
