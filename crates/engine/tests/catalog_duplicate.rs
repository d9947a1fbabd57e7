//! `Catalog::duplicate` against a real Secret Service (a private D-Bus session bus with
//! gnome-keyring-daemon on it, unlocked with a throwaway password): the copy gets the same
//! settings under "<name> (copy)", and keyring items of its own, so removing either leaves the
//! other's secrets readable. Nothing is mocked, and the developer's own keyring is never touched.
//!
//! As in secrets_keyring.rs, the scenario runs in a child process (this test binary, filtered
//! to the one test) pointed at the private bus: the `keyring` crate connects once per process.

// Linux only: gnome-keyring on a private D-Bus.
#![cfg(target_os = "linux")]

use std::process::Stdio;
use std::time::Duration;

use streamwatch_engine::catalog::sealing::{refs, reveal};
use streamwatch_engine::catalog::{Catalog, StoredHeader, SubscriptionRecord};
use streamwatch_engine::secrets::{SecretError, SecretStore};
use streamwatch_test_support::files::assert_no_file_contains;
use streamwatch_test_support::keyring::PrivateBus;
use streamwatch_test_support::process::{single_test, KillOnDrop};

/// Set in the child: run the scenario instead of setting up daemons.
const CHILD: &str = "STREAMWATCH_DUPLICATE_TEST_CHILD";
/// Set in the child: the directory its catalog lives in.
const DATA_DIR: &str = "STREAMWATCH_DUPLICATE_TEST_DATA";
const LIMIT: Duration = Duration::from_secs(30);

const HEADER_SECRET: &str = "header-secret-5c1e";
const URL_SECRET: &str = "url-token-9f27";

#[test]
fn a_duplicate_has_its_own_keyring_items() {
    if std::env::var_os(CHILD).is_some() {
        return scenario();
    }
    let bus = PrivateBus::with_keyring();
    let data = tempfile::tempdir().unwrap();
    let mut cmd = single_test("a_duplicate_has_its_own_keyring_items");
    bus.point_env(&mut cmd)
        .env(CHILD, "1")
        .env(DATA_DIR, data.path())
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = KillOnDrop::new("test child", cmd.spawn().unwrap());
    let out = child.wait_with_limit(LIMIT);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
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
    // The database holds references only, for the original and the copy alike.
    for secret in [HEADER_SECRET, URL_SECRET] {
        assert_no_file_contains(data.path(), secret.as_bytes());
    }
}

fn scenario() {
    let dir = std::env::var_os(DATA_DIR).expect("the parent names the data directory");
    let catalog = Catalog::open(dir.as_ref(), SecretStore::default()).unwrap();
    let mut draft = SubscriptionRecord::new(
        "Orders",
        format!("http://127.0.0.1:9/events?token={URL_SECRET}&n=1"),
    );
    draft.method = "POST".into();
    draft.body = Some("{\"q\":1}".into());
    draft.headers = vec![
        StoredHeader {
            name: "X-Api-Key".into(),
            value: HEADER_SECRET.into(),
            secret: true,
        },
        StoredHeader {
            name: "X-Plain".into(),
            value: "visible".into(),
            secret: false,
        },
    ];
    let original = catalog.add(&draft).unwrap();
    let copy = catalog.duplicate(original).unwrap();
    assert_ne!(copy, original);

    let a = catalog.subscription(original).unwrap().record;
    let b = catalog.subscription(copy).unwrap().record;
    assert_eq!(b.name, "Orders (copy)");
    // The same settings, secrets included once revealed.
    let (plain_a, plain_b) = (
        reveal(catalog.secrets(), &a).unwrap(),
        reveal(catalog.secrets(), &b).unwrap(),
    );
    assert_eq!(
        SubscriptionRecord {
            name: plain_a.name.clone(),
            ..plain_b.clone()
        },
        plain_a
    );
    assert_eq!(plain_b.headers[0].value, HEADER_SECRET);
    assert!(plain_b.url.contains(URL_SECRET), "{}", plain_b.url);
    // …held in keyring items of its own: two each (the header and the URL's token).
    let (refs_a, refs_b) = (refs(&a), refs(&b));
    assert_eq!(
        (refs_a.len(), refs_b.len()),
        (2, 2),
        "{refs_a:?} {refs_b:?}"
    );
    assert!(
        refs_b.iter().all(|r| !refs_a.contains(r)),
        "the copy shares no keyring item: {refs_a:?} {refs_b:?}"
    );

    // A second copy takes the next free name.
    let third = catalog.duplicate(original).unwrap();
    assert_eq!(
        catalog.subscription(third).unwrap().record.name,
        "Orders (copy 2)"
    );

    // Removing the original deletes its items and leaves the copy's.
    catalog.remove(original).unwrap();
    for r in &refs_a {
        assert!(
            matches!(catalog.secrets().get(r), Err(SecretError::NotFound(_))),
            "{r} is deleted with the original"
        );
    }
    let config = catalog.runtime_config(&b, None).unwrap();
    assert!(
        config
            .headers
            .iter()
            .any(|(n, v)| n == "X-Api-Key" && v == HEADER_SECRET),
        "the copy still sends its secret header"
    );
    assert!(config.url.as_str().contains(URL_SECRET), "{}", config.url);

    // And the other way round: removing a copy leaves the other copy's items.
    catalog.remove(copy).unwrap();
    let c = catalog.subscription(third).unwrap().record;
    assert!(reveal(catalog.secrets(), &c).is_ok());
}
