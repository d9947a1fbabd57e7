//! `subs add NAME --from-curl '…'` against a real Secret Service (gnome-keyring on a private
//! bus): a browser's copy becomes a saved subscription with its method, headers and body, the
//! Authorization header secret (in the keyring, masked in `show`); other flags override the
//! paste; an unknown option is named and nothing is saved.

// Linux only: gnome-keyring on a private D-Bus.
#![cfg(target_os = "linux")]

mod common;

use common::store::Data;
use serde_json::Value;
use streamwatch_test_support::files::assert_no_file_contains;
use streamwatch_test_support::keyring::PrivateBus;

/// Chrome's "Copy as cURL (bash)" of a POST with a bearer token.
const CHROME_BASH: &str = r#"curl 'http://127.0.0.1:9/events' \
  -H 'accept: */*' \
  -H 'authorization: Bearer cUrl-t0ken-42' \
  -H 'content-type: application/json' \
  --data-raw '{"topic":"ticks"}'"#;

fn header<'a>(show: &'a Value, name: &str) -> &'a Value {
    show["headers"]
        .as_array()
        .expect("headers")
        .iter()
        .find(|h| {
            h["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
        .unwrap_or_else(|| panic!("no {name} in {show:#}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pasted_curl_command_is_saved_with_its_secret_in_the_keyring() {
    let keyring = tokio::task::spawn_blocking(PrivateBus::with_keyring)
        .await
        .unwrap();
    let data = Data::with_env(keyring.env());
    let out = data
        .ok(&["subs", "add", "pasted", "--from-curl", CHROME_BASH])
        .await;
    assert!(
        out.stdout.contains("added subscription \"pasted\""),
        "{out:#?}"
    );
    assert_no_file_contains(data.path(), b"cUrl-t0ken");
    let show = data.show("pasted").await;
    assert_eq!(show["url"], "http://127.0.0.1:9/events", "{show:#}");
    assert_eq!(show["method"], "POST", "{show:#}");
    assert_eq!(show["body"], r#"{"topic":"ticks"}"#, "{show:#}");
    assert_eq!(header(&show, "authorization")["value"], "••••");
    assert_eq!(header(&show, "authorization")["secret"], true);
    assert_eq!(header(&show, "accept")["value"], "*/*");
    assert_eq!(header(&show, "accept")["secret"], false);

    let export = data.ok(&["export", "--with-secrets"]).await;
    assert!(
        export.stdout.contains("Bearer cUrl-t0ken-42"),
        "{export:#?}"
    );

    // The other flags win over the paste: URL, method, a header of the same name.
    data.ok(&[
        "subs",
        "add",
        "overridden",
        "http://127.0.0.1:9/other",
        "--from-curl",
        CHROME_BASH,
        "-X",
        "PUT",
        "-H",
        "Accept: application/json",
    ])
    .await;
    let show = data.show("overridden").await;
    assert_eq!(show["url"], "http://127.0.0.1:9/other", "{show:#}");
    assert_eq!(show["method"], "PUT", "{show:#}");
    assert_eq!(header(&show, "accept")["value"], "application/json");
    assert_eq!(
        show["headers"].as_array().map(Vec::len),
        Some(3),
        "{show:#}"
    );
}

#[tokio::test]
async fn an_unknown_option_is_named_and_insecure_is_told() {
    let data = Data::new();
    let out = data
        .run(&[
            "subs",
            "add",
            "bad",
            "--from-curl",
            "curl --foo http://127.0.0.1:9/events",
        ])
        .await;
    assert_eq!(out.code, Some(2), "{out:#?}");
    assert!(
        out.stderr
            .contains("--from-curl: unknown curl option --foo"),
        "{out:#?}"
    );
    let list = data.ok(&["subs", "list", "--json"]).await;
    assert_eq!(list.stdout.trim(), "[]", "nothing saved: {list:#?}");

    let out = data
        .ok(&[
            "subs",
            "add",
            "plain",
            "--from-curl",
            "curl -k -sN http://127.0.0.1:9/events",
        ])
        .await;
    assert!(
        out.stderr
            .contains("note: -k ignored: certificates are always checked"),
        "{out:#?}"
    );
    // Without --from-curl the URL is still required.
    let out = data.run(&["subs", "add", "nourl"]).await;
    assert_eq!(out.code, Some(2), "{out:#?}");
}
