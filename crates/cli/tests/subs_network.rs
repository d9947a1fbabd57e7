//! `subs add|edit --proxy --ca-file --client-cert --client-key` against a real mTLS server
//! with a CA made here, through a real CONNECT proxy that wants credentials, with a real
//! Secret Service (gnome-keyring on a private bus): `run` connects through the proxy with the
//! client certificate; the key and the proxy's password live in the keyring only (not in any
//! file of the data directory, not in `subs show`, not in an export without
//! `--with-secrets`), and come back with it.

// Linux only: gnome-keyring on a private D-Bus.
#![cfg(target_os = "linux")]

mod common;

use common::store::Data;
use streamwatch_test_support::files::assert_no_file_contains;
use streamwatch_test_support::http_proxy::HttpProxy;
use streamwatch_test_support::keyring::PrivateBus;
use streamwatch_test_support::tls_certs::{TestCa, LOOPBACK_NAMES};
use streamwatch_test_support::tls_server::TlsServer;

const PROXY_PASSWORD: &str = "pr0xy-S3cret";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_subscription_runs_through_its_proxy_with_its_ca_and_client_certificate() {
    let keyring = tokio::task::spawn_blocking(PrivateBus::with_keyring)
        .await
        .unwrap();
    let ca = TestCa::new();
    let client_ca = TestCa::named("Streamwatch client CA");
    let client = client_ca.client("streamwatch");
    let server = TlsServer::start(&ca.server(&LOOPBACK_NAMES), Some(&client_ca.cert_pem)).await;
    let proxy = HttpProxy::start_with_credentials("carol", PROXY_PASSWORD).await;
    let files = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = files.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_string_lossy().into_owned()
    };
    let (ca_file, cert_file, key_file) = (
        write("ca.pem", &ca.cert_pem),
        write("client.pem", &client.cert_pem),
        write("client.key", &client.key_pem),
    );
    let key_line = client.key_pem.lines().nth(1).unwrap().to_string();

    let data = Data::with_env(keyring.env());
    // A key that is not a key is refused naming the flag, and never quoted.
    let bad = data
        .run(&[
            "subs",
            "add",
            "secure",
            &server.url(),
            "--ca-file",
            &ca_file,
            "--client-cert",
            &cert_file,
            "--client-key",
            &ca_file,
        ])
        .await;
    assert_eq!(bad.code, Some(2), "{bad:#?}");
    assert!(bad.stderr.contains("--client-key"), "{}", bad.stderr);

    data.ok(&[
        "subs",
        "add",
        "secure",
        &server.url(),
        "--ca-file",
        &ca_file,
        "--client-cert",
        &cert_file,
        "--client-key",
        &key_file,
    ])
    .await;
    data.ok(&[
        "subs",
        "edit",
        "secure",
        "--proxy",
        &proxy.url_with("carol", PROXY_PASSWORD),
    ])
    .await;
    assert_no_file_contains(data.path(), key_line.as_bytes());
    assert_no_file_contains(data.path(), PROXY_PASSWORD.as_bytes());
    let show = data.show("secure").await;
    assert_eq!(
        show["proxy"],
        format!("http://••••@{}/", proxy.addr).as_str(),
        "{show:#}"
    );
    assert_eq!(show["ca_certificates"], 1, "{show:#}");
    assert_eq!(show["client_certificate"], true, "{show:#}");

    let mut run = data.daemon(&[]);
    run.until_state("secure", "open").await;
    let ended = run.terminate().await;
    assert!(proxy.tunnels() >= 1, "the proxy carried it");
    assert_eq!(proxy.refused(), 0, "with the stored credentials");
    assert!(
        server.requests() >= 1,
        "the server took the client certificate"
    );
    for text in [format!("{:?}", ended.log), ended.stderr] {
        assert!(!text.contains(PROXY_PASSWORD), "{text}");
        assert!(!text.contains(&key_line), "{text}");
    }

    let without = data.ok(&["export"]).await.stdout;
    assert!(!without.contains(PROXY_PASSWORD), "{without}");
    assert!(!without.contains(&key_line), "{without}");
    assert!(without.contains("ca_certificates"), "{without}");
    let with = data.ok(&["export", "--with-secrets"]).await.stdout;
    assert!(with.contains(PROXY_PASSWORD), "{with}");
    assert!(with.contains(&key_line), "{with}");

    // Back to the environment's proxy.
    data.ok(&["subs", "edit", "secure", "--proxy", ""]).await;
    let show = data.show("secure").await;
    assert!(show.get("proxy").is_none(), "{show:#}");
    assert_no_file_contains(data.path(), key_line.as_bytes());

    // Back to the system's CAs and no client certificate: the key leaves the keyring too.
    let both = data
        .run(&[
            "subs",
            "edit",
            "secure",
            "--no-ca-cert",
            "--ca-file",
            &ca_file,
        ])
        .await;
    assert_eq!(both.code, Some(2), "{both:#?}");
    data.ok(&["subs", "edit", "secure", "--no-ca-cert", "--no-client-cert"])
        .await;
    let show = data.show("secure").await;
    assert_eq!(show["ca_certificates"], 0, "{show:#}");
    assert_eq!(show["client_certificate"], false, "{show:#}");
    let with = data.ok(&["export", "--with-secrets"]).await.stdout;
    assert!(!with.contains(&key_line), "{with}");
    assert!(!with.contains("BEGIN CERTIFICATE"), "{with}");
    // The server wants a client certificate and the system does not trust its CA: refused.
    let mut run = data.daemon(&[]);
    run.until_state("secure", "retrying").await;
    run.terminate().await;
}
