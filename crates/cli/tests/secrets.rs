//! Secret headers through the CLI against a real Secret Service (gnome-keyring on a private
//! bus): the value goes to the keyring and never to the database, is shown masked, is sent by
//! `run`, leaves an export unless asked for, and comes back with an import.

// Linux only: gnome-keyring on a private D-Bus.
#![cfg(target_os = "linux")]

mod common;

use common::store::Data;
use serde_json::Value;
use streamwatch_demo_server::DemoServer;
use streamwatch_test_support::files::assert_no_file_contains;
use streamwatch_test_support::keyring::PrivateBus;

const SECRET: &str = "Bearer s3cr3t-token-4b9e";

/// The header called `name` in a subscription's JSON.
fn header(sub: &Value, name: &str) -> Value {
    sub["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == name)
        .unwrap_or_else(|| panic!("no header {name}: {sub:#}"))
        .clone()
}

/// The authorization headers the demo server received.
async fn authorizations(server: &DemoServer) -> Vec<String> {
    let requests = common::get_json(&server.url("/requests")).await;
    requests
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["headers"]["authorization"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_headers_live_in_the_keyring_only() {
    let keyring = tokio::task::spawn_blocking(PrivateBus::with_keyring)
        .await
        .unwrap();
    let server = common::demo().await;
    let data = Data::with_env(keyring.env());
    let url = server.url("/events?rate=50");
    let auth_line = format!("Authorization: {SECRET}");
    data.ok(&[
        "subs",
        "add",
        "private",
        &url,
        "--secret-header",
        &auth_line,
        "-H",
        "X-Plain: visible",
    ])
    .await;

    // Not in the database, its WAL, or any other file of the data directory.
    assert_no_file_contains(data.path(), SECRET.as_bytes());
    assert_no_file_contains(data.path(), b"s3cr3t");
    // Shown masked.
    let show = data.show("private").await;
    let auth = header(&show, "Authorization");
    assert_eq!(auth["value"], "••••");
    assert_eq!(auth["secret"], true);
    assert_eq!(header(&show, "X-Plain")["value"], "visible");
    let human = data.ok(&["subs", "show", "private"]).await.stdout;
    assert!(
        !human.contains("s3cr3t") && human.contains("••••"),
        "{human}"
    );

    // `run` resolves it from the keyring and sends it.
    let mut run = data.daemon(&[]);
    run.until_state("private", "open").await;
    run.terminate().await;
    assert_eq!(authorizations(&server).await, [SECRET]);
    assert_no_file_contains(data.path(), b"s3cr3t");

    // Exports leave it out unless asked, and then warn.
    let plain = data.ok(&["export"]).await;
    assert!(!plain.stdout.contains("s3cr3t"), "{plain:#?}");
    let doc: Value = serde_json::from_str(&plain.stdout).unwrap();
    let exported = header(&doc["subscriptions"][0], "Authorization");
    assert_eq!(exported["secret"], true);
    assert!(exported.get("value").is_none(), "{doc:#}");
    let with = data.ok(&["export", "--with-secrets"]).await;
    assert!(with.stdout.contains(SECRET), "{with:#?}");
    assert!(
        with.stderr.contains("WARNING") && with.stderr.contains("PLAIN TEXT"),
        "{with:#?}"
    );

    // An import puts it back into the keyring, not into the new database.
    let moved = Data::with_env(keyring.env());
    let file = moved.path().join("with-secrets.json");
    std::fs::write(&file, &with.stdout).unwrap();
    moved.ok(&["import", file.to_str().unwrap()]).await;
    std::fs::remove_file(&file).unwrap();
    assert_no_file_contains(moved.path(), b"s3cr3t");
    assert_eq!(
        header(&moved.show("private").await, "Authorization")["value"],
        "••••"
    );
    let again = moved.ok(&["export", "--with-secrets"]).await;
    assert!(again.stdout.contains(SECRET), "{again:#?}");

    // Without the value, the header is left out with a warning saying how to set it.
    let partial = Data::with_env(keyring.env());
    let file = partial.path().join("no-secrets.json");
    std::fs::write(&file, &plain.stdout).unwrap();
    let out = partial.ok(&["import", file.to_str().unwrap()]).await;
    assert!(out.stderr.contains("--secret-header"), "{out:#?}");
    let headers = partial.show("private").await["headers"].clone();
    assert_eq!(headers.as_array().unwrap().len(), 1, "{headers:#}");

    // Rotating the secret replaces it; removing the subscription removes it from the keyring.
    data.ok(&[
        "subs",
        "edit",
        "private",
        "--secret-header",
        "Authorization: Bearer rotated",
    ])
    .await;
    let rotated = data.ok(&["export", "--with-secrets"]).await;
    assert!(rotated.stdout.contains("Bearer rotated") && !rotated.stdout.contains("s3cr3t"));
    // Two items: the rotated value, and the imported copy; the replaced value was deleted.
    let before = keyring_items(&keyring);
    assert_eq!(before.matches("secret = ").count(), 2, "{before}");
    assert_eq!(before.matches("Bearer rotated").count(), 1, "{before}");
    assert_eq!(before.matches(SECRET).count(), 1, "{before}");
    data.ok(&["subs", "remove", "private"]).await;
    moved.ok(&["subs", "remove", "private"]).await;
    // Nothing of ours is left in the keyring.
    let after = keyring_items(&keyring);
    assert!(
        !after.contains("secret = "),
        "keyring items left behind: {after}"
    );
}

/// What another Secret Service client (libsecret's secret-tool) finds under our service.
fn keyring_items(keyring: &PrivateBus) -> String {
    let out = std::process::Command::new("secret-tool")
        .args(["search", "--all", "service", "streamwatch"])
        .env_clear()
        .envs(keyring.env())
        .output()
        .expect("run secret-tool (Debian package libsecret-tools)");
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}
