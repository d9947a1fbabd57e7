//! Saving without the keyring, on a real private D-Bus session bus that has no Secret Service:
//! the plain save is refused as `Unavailable` (what the form turns into the choice), the save
//! the user then chooses keeps the secrets in memory for this session only — the subscription
//! is saved and runs with them — and a later session finds them missing and says to enter them
//! again. No file under the fixture (the database included) ever holds a secret.
//!
//! As in `secrets_keyring.rs`, the scenario runs in a child process of this test binary pointed
//! at the private bus: the `keyring` crate connects once per process, and changing the
//! environment of the multi-threaded test harness is unsound.

// Linux only: a private D-Bus with and without gnome-keyring.
#![cfg(target_os = "linux")]

use std::process::Stdio;
use std::time::Duration;

use streamwatch_engine::catalog::{Catalog, CatalogError, Keeping, StoredHeader};
use streamwatch_engine::secrets::{SecretError, SecretStore};
use streamwatch_engine::storage::SubscriptionRecord;
use streamwatch_test_support::files::assert_no_file_contains;
use streamwatch_test_support::keyring::PrivateBus;
use streamwatch_test_support::process::{single_test, KillOnDrop};

/// Set in a child: the scenario to run, and the data folder to use.
const CHILD: &str = "STREAMWATCH_SESSION_SECRET_CHILD";
/// How long the child may take.
const LIMIT: Duration = Duration::from_secs(30);
/// The header value; no file may hold it.
const HEADER_SECRET: &str = "Bearer session-only-4c1e9";
/// The URL's token; no file may hold it.
const URL_SECRET: &str = "tok-session-only-77d2";

#[test]
fn without_a_keyring_the_chosen_save_keeps_secrets_for_this_session_only() {
    if let Some(dir) = std::env::var_os(CHILD) {
        return scenario(std::path::Path::new(&dir));
    }
    let bus = PrivateBus::without_keyring();
    let data = bus.dir().join("data");
    let test = "without_a_keyring_the_chosen_save_keeps_secrets_for_this_session_only";
    let mut cmd = single_test(test);
    bus.point_env(&mut cmd)
        .env(CHILD, &data)
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = KillOnDrop::new("test child", cmd.spawn().unwrap()).wait_with_limit(LIMIT);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}{stderr}");
    assert!(
        out.status.success(),
        "the scenario failed ({}):\n{stdout}\n{stderr}\n{}",
        out.status,
        bus.log()
    );
    assert!(
        stdout.contains("1 passed"),
        "the scenario did not run:\n{stdout}"
    );
    // The database, its WAL, HOME and the XDG folders all live under the fixture.
    assert!(data
        .join(streamwatch_engine::catalog::DB_FILE_NAME)
        .is_file());
    assert_no_file_contains(bus.dir(), HEADER_SECRET.as_bytes());
    assert_no_file_contains(bus.dir(), URL_SECRET.as_bytes());
}

fn draft() -> SubscriptionRecord {
    let mut r = SubscriptionRecord::new(
        "billing",
        format!("http://127.0.0.1:1/events?token={URL_SECRET}"),
    );
    r.headers.push(StoredHeader {
        name: "Authorization".into(),
        value: HEADER_SECRET.into(),
        secret: true,
    });
    r
}

fn scenario(dir: &std::path::Path) {
    let catalog = Catalog::open(dir, SecretStore::default()).unwrap();

    // The save the form sends first: refused, as Unavailable, and nothing saved.
    match catalog.add(&draft()) {
        Err(CatalogError::Secret(SecretError::Unavailable { .. })) => {}
        other => panic!("expected the keyring to be unavailable, got {other:?}"),
    }
    assert!(catalog.subscriptions().unwrap().is_empty());

    // The user chose "Save without the keyring": saved, with references only.
    let id = catalog.add_keeping(&draft(), Keeping::SessionOnly).unwrap();
    let saved = catalog.subscription(id).unwrap().record;
    assert!(
        saved.headers[0].value.starts_with("session:streamwatch/"),
        "{:?}",
        saved.headers[0].value
    );
    assert!(!saved.url.contains(URL_SECRET), "{}", saved.url);
    // This session runs it with the real values.
    let config = catalog.runtime_config(&saved, None).unwrap();
    let sent = format!("{config:?}");
    assert!(sent.contains(HEADER_SECRET) && sent.contains(URL_SECRET));

    // An edit that changes nothing secret keeps the session's references, keyring or not.
    let mut renamed = saved.clone();
    renamed.name = "billing 2".into();
    let edited = catalog.edit(id, &renamed).unwrap();
    assert_eq!(edited.new.headers, saved.headers);

    // The next session (a new secret store: the app restarted): saved, but the secrets are
    // gone, and the error says what to do.
    let next = Catalog::open(dir, SecretStore::default()).unwrap();
    let saved = next.subscription(id).unwrap().record;
    match next.runtime_config(&saved, None) {
        Err(CatalogError::Secret(e @ SecretError::SessionOnly(_))) => {
            let msg = e.to_string();
            assert!(msg.contains("enter the value again"), "{msg}");
            assert!(!msg.contains(HEADER_SECRET) && !msg.contains(URL_SECRET));
        }
        other => panic!("expected SessionOnly, got {other:?}"),
    }
}
