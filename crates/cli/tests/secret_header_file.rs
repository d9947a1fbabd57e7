//! `--secret-header-file NAME=PATH` against a real Secret Service (gnome-keyring on a private
//! bus): the value comes from a file or stdin, never from the command line, lands in the
//! keyring like `--secret-header`, and a bad value is refused without being echoed.

// Linux only: gnome-keyring on a private D-Bus.
#![cfg(target_os = "linux")]

mod common;

use std::process::Stdio;

use common::store::Data;
use common::Run;
use serde_json::Value;
use streamwatch_test_support::files::assert_no_file_contains;
use streamwatch_test_support::keyring::PrivateBus;
use tokio::io::AsyncWriteExt;

/// Runs `streamwatch ARGS` on `data` with `input` on its stdin.
async fn with_stdin(data: &Data, args: &[&str], input: &[u8]) -> Run {
    let mut cmd = data.cmd(args);
    cmd.stdin(Stdio::piped());
    let mut child = cmd.spawn().expect("streamwatch starts");
    let mut stdin = child.stdin.take().expect("stdin is piped");
    stdin.write_all(input).await.expect("write stdin");
    drop(stdin);
    let output = child.wait_with_output().await.expect("streamwatch runs");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The value of header `name` in `export --with-secrets`.
async fn exported_value(data: &Data, name: &str) -> String {
    let out = data.ok(&["export", "--with-secrets"]).await;
    let doc: Value = serde_json::from_str(&out.stdout).expect("export prints JSON");
    doc["subscriptions"][0]["headers"]
        .as_array()
        .expect("headers")
        .iter()
        .find(|h| h["name"] == name)
        .and_then(|h| h["value"].as_str())
        .unwrap_or_else(|| panic!("no {name} in {doc:#}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_header_values_come_from_files_and_stdin() {
    let keyring = tokio::task::spawn_blocking(PrivateBus::with_keyring)
        .await
        .unwrap();
    let data = Data::with_env(keyring.env());
    let token_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(token_file.path(), "Bearer f1le-t0ken-77\n").unwrap();
    let spec = format!("Authorization={}", token_file.path().display());
    data.ok(&[
        "subs",
        "add",
        "private",
        "http://127.0.0.1:9/events",
        "--secret-header-file",
        &spec,
    ])
    .await;
    assert_no_file_contains(data.path(), b"f1le-t0ken");
    let show = data.show("private").await;
    assert_eq!(show["headers"][0]["value"], "••••", "{show:#}");
    assert_eq!(show["headers"][0]["secret"], true, "{show:#}");
    assert_eq!(
        exported_value(&data, "Authorization").await,
        "Bearer f1le-t0ken-77"
    );

    // Rotated from stdin; the trailing newline is not part of the value.
    let out = with_stdin(
        &data,
        &[
            "subs",
            "edit",
            "private",
            "--secret-header-file",
            "Authorization=-",
        ],
        b"Bearer st4in-t0ken-88\n",
    )
    .await;
    assert_eq!(out.code, Some(0), "{out:#?}");
    assert_no_file_contains(data.path(), b"t0ken");
    assert_eq!(
        exported_value(&data, "Authorization").await,
        "Bearer st4in-t0ken-88"
    );

    // A value that cannot be a header is refused, and not echoed.
    let bad = with_stdin(
        &data,
        &[
            "subs",
            "edit",
            "private",
            "--secret-header-file",
            "Authorization=-",
        ],
        b"Bearer l3aked\x1b[0m\n",
    )
    .await;
    assert_ne!(bad.code, Some(0), "{bad:#?}");
    assert!(bad.stderr.contains("Authorization"), "{bad:#?}");
    assert!(
        !bad.stderr.contains("l3aked") && !bad.stdout.contains("l3aked"),
        "{bad:#?}"
    );
    assert_eq!(
        exported_value(&data, "Authorization").await,
        "Bearer st4in-t0ken-88"
    );
    data.ok(&["subs", "remove", "private"]).await;
}

#[tokio::test]
async fn a_missing_secret_file_is_a_usage_error_before_anything_is_saved() {
    // No keyring needed: the file is read before the keyring is touched.
    let data = Data::new();
    let out = data
        .run(&[
            "subs",
            "add",
            "private",
            "http://127.0.0.1:9/events",
            "--secret-header-file",
            "Authorization=/nonexistent/token",
        ])
        .await;
    assert_ne!(out.code, Some(0), "{out:#?}");
    assert!(out.stderr.contains("cannot read"), "{out:#?}");
    let list = data.ok(&["subs", "list", "--json"]).await;
    assert_eq!(list.stdout.trim(), "[]", "{list:#?}");
}
