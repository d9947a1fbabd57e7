//! Credentials in URLs (userinfo, `?token=`, a parameter marked with `--secret-param`) through
//! the CLI against a real Secret Service (gnome-keyring on a private bus): the values go to the
//! keyring and never to the database, are shown masked by `subs list/show`, the daemon's log
//! and exports, are sent for real by `run`, come back with `--with-secrets`, and are left out
//! (with a warning) when an import has only the mask.

// Linux only: gnome-keyring on a private D-Bus.
#![cfg(target_os = "linux")]

mod common;

use common::store::Data;
use serde_json::Value;
use streamwatch_test_support::files::assert_no_file_contains;
use streamwatch_test_support::keyring::PrivateBus;

/// Every secret below contains this, so one search finds any leak.
const MARK: &str = "S3cret";

fn no_leak(what: &str, text: &str) {
    assert!(!text.contains(MARK), "{what} leaked a credential: {text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn url_credentials_live_in_the_keyring_only() {
    let keyring = tokio::task::spawn_blocking(PrivateBus::with_keyring)
        .await
        .unwrap();
    let server = common::demo().await;
    let data = Data::with_env(keyring.env());
    let plain = server.url("/events?rate=50&token=tok-S3cret&sid=sid-S3cret&topic=a");
    let with_user = plain.replacen("http://", "http://alice:pw-S3cret@", 1);
    data.ok(&[
        "subs",
        "add",
        "tokened",
        &with_user,
        "--secret-param",
        "sid",
    ])
    .await;

    // Not in the database, its WAL, or any other file of the data directory.
    assert_no_file_contains(data.path(), MARK.as_bytes());
    let masked = server
        .url("/events?rate=50&token=••••&sid=••••&topic=a")
        .replacen("http://", "http://••••@", 1);
    let show = data.show("tokened").await;
    assert_eq!(show["url"], masked.as_str(), "{show:#}");
    let list = data.ok(&["subs", "list"]).await.stdout;
    no_leak("subs list", &list);
    let human = data.ok(&["subs", "show", "tokened"]).await.stdout;
    no_leak("subs show", &human);
    assert!(human.contains("token=••••"), "{human}");

    // `run` reads them from the keyring and sends them; its log shows them masked.
    let mut run = data.daemon(&[]);
    run.until_state("tokened", "open").await;
    let ended = run.terminate().await;
    no_leak("the daemon's log", &format!("{:?}", ended.log));
    no_leak("the daemon's stderr", &ended.stderr);
    let requests = common::get_json(&server.url("/requests")).await;
    let first = &requests.as_array().unwrap()[0];
    let path = first["path"].as_str().unwrap();
    assert!(
        path.contains("token=tok-S3cret") && path.contains("sid=sid-S3cret"),
        "{first:#}"
    );
    // The userinfo travels as Basic authorization ("alice:pw-S3cret").
    assert_eq!(
        first["headers"]["authorization"], "Basic YWxpY2U6cHctUzNjcmV0",
        "{first:#}"
    );
    assert_no_file_contains(data.path(), MARK.as_bytes());

    // A rename keeps the stored credentials (nothing to re-enter).
    data.ok(&["subs", "edit", "tokened", "--name", "renamed"])
        .await;
    let with = data.ok(&["export", "--with-secrets"]).await;
    assert!(
        with.stdout.contains("token=tok-S3cret") && with.stdout.contains("pw-S3cret"),
        "{with:#?}"
    );

    // A plain export shows the mask; importing it leaves the credentials out and says so.
    let exported = data.ok(&["export"]).await;
    no_leak("export", &exported.stdout);
    let doc: Value = serde_json::from_str(&exported.stdout).unwrap();
    assert_eq!(
        doc["subscriptions"][0]["secret_params"][0], "sid",
        "{doc:#}"
    );
    let partial = Data::with_env(keyring.env());
    let file = partial.path().join("masked.json");
    std::fs::write(&file, &exported.stdout).unwrap();
    let out = partial.ok(&["import", file.to_str().unwrap()]).await;
    assert!(
        out.stderr.contains("URL parameter token") && out.stderr.contains("--url"),
        "{out:#?}"
    );
    let imported = partial.show("renamed").await;
    let url = imported["url"].as_str().unwrap();
    assert!(
        !url.contains("token") && !url.contains('@') && url.contains("topic=a"),
        "{imported:#}"
    );

    // A foreign keyring reference in a URL is refused; removing deletes the keyring items.
    let foreign = server.url("/events?token=keyring:streamwatch/someone-else-1");
    let refused = data.run(&["subs", "add", "thief", &foreign]).await;
    assert_ne!(refused.code, Some(0), "{refused:#?}");
    assert!(refused.stderr.contains("keyring reference"), "{refused:#?}");
    data.ok(&["subs", "remove", "renamed"]).await;
    let after = keyring_items(&keyring);
    assert!(
        !after.contains("secret = "),
        "keyring items left behind: {after}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_saved_in_plain_text_by_an_older_version_are_sealed_on_start() {
    let keyring = tokio::task::spawn_blocking(PrivateBus::with_keyring)
        .await
        .unwrap();
    let server = common::demo().await;
    let data = Data::with_env(keyring.env());
    // What an older version wrote: the URL as given, token and all.
    let store = streamwatch_engine::storage::Store::open(data.path()).unwrap();
    let url = server.url("/events?rate=50&token=old-S3cret");
    store
        .add_subscription(&streamwatch_engine::storage::SubscriptionRecord::new(
            "legacy", &url,
        ))
        .unwrap();
    drop(store);
    let mut run = data.daemon(&[]);
    run.until_state("legacy", "open").await;
    run.terminate().await;
    assert_no_file_contains(data.path(), MARK.as_bytes());
    let requests = common::get_json(&server.url("/requests")).await;
    assert!(
        requests[0]["path"]
            .as_str()
            .is_some_and(|p| p.contains("token=old-S3cret")),
        "{requests:#}"
    );
    assert_eq!(
        data.show("legacy").await["url"],
        server.url("/events?rate=50&token=••••").as_str()
    );
}

#[tokio::test]
async fn watch_masks_url_credentials_in_everything_it_prints() {
    // Nothing listens on port 9: every attempt fails, and reqwest's error quotes the URL.
    let url = "http://bob:pw-S3cret@127.0.0.1:9/x?access_token=tok-S3cret&ticket=t-S3cret";
    let out = common::run(&[
        "watch",
        url,
        "--json",
        "--max-retries",
        "1",
        "--retry-initial",
        "10",
        "--secret-param",
        "ticket",
    ])
    .await;
    no_leak("watch's output", &out.stdout);
    no_leak("watch's stderr", &out.stderr);
    assert!(out.stdout.contains("\"type\":\"error\""), "{out:#?}");
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
