//! The secret store against a real Secret Service: a private D-Bus session bus with
//! gnome-keyring-daemon on it, unlocked with a throwaway password, and a second private bus with
//! no keyring at all. Nothing is mocked, and the developer's own keyring is never touched.
//!
//! Needs Debian's `dbus-daemon`, `dbus-bin` (dbus-send), `gnome-keyring` and `libsecret-tools`
//! (secret-tool, an independent client used to check what really is in the keyring).
//!
//! Each scenario runs in a child process — this same test binary, filtered to the one test, with
//! `DBUS_SESSION_BUS_ADDRESS` and friends set for that child only. Two reasons: the `keyring`
//! crate connects once per process and keeps that connection, so one process cannot be pointed
//! at a second bus; and changing the environment of the multi-threaded test harness is unsound.

// Linux only: gnome-keyring on a private D-Bus.
#![cfg(target_os = "linux")]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use streamwatch_engine::secrets::{SecretError, SecretRef, SecretStore};
use streamwatch_test_support::files::{assert_no_file_contains, dir_size};
use streamwatch_test_support::keyring::PrivateBus;
use streamwatch_test_support::process::{single_test, KillOnDrop};
use streamwatch_test_support::wait_for;

/// Set in a child: which scenario to run instead of setting up daemons.
const CHILD: &str = "STREAMWATCH_KEYRING_TEST_CHILD";
/// Set in a child: the temporary HOME the keyring daemon writes its files under.
const KEYRING_HOME: &str = "STREAMWATCH_KEYRING_TEST_HOME";
/// Set in a child: the keyring daemon's pid, for the scenario that stops it.
const KEYRING_PID: &str = "STREAMWATCH_KEYRING_TEST_PID";
/// How long any one child may take to finish, or wait for anything.
const LIMIT: Duration = Duration::from_secs(30);

#[test]
fn secrets_round_trip_through_a_real_secret_service() {
    if child_scenario() {
        return round_trip();
    }
    let bus = PrivateBus::with_keyring();
    run_child(&bus, "secrets_round_trip_through_a_real_secret_service");
}

#[test]
fn no_keyring_on_the_bus_is_refused_with_a_clear_message() {
    if child_scenario() {
        return no_keyring();
    }
    let bus = PrivateBus::without_keyring();
    run_child(
        &bus,
        "no_keyring_on_the_bus_is_refused_with_a_clear_message",
    );
    // The refusal must not have been a quiet fallback: the child's HOME, XDG dirs and working
    // directory all live in the fixture's directory, and none of its files holds the secret.
    assert_no_file_contains(bus.dir(), NO_KEYRING_SECRET.as_bytes());
}

#[test]
fn a_keyring_that_goes_away_reads_as_unavailable() {
    if child_scenario() {
        return keyring_goes_away();
    }
    let bus = PrivateBus::with_keyring();
    run_child(&bus, "a_keyring_that_goes_away_reads_as_unavailable");
}

#[test]
fn no_session_bus_at_all_is_refused() {
    if child_scenario() {
        return no_session_bus();
    }
    let bus = PrivateBus::without_keyring();
    let nowhere = format!("unix:path={}", bus.run_dir().join("no-such-bus").display());
    run_child_with(
        &bus,
        "no_session_bus_at_all_is_refused",
        &[("DBUS_SESSION_BUS_ADDRESS", &nowhere)],
    );
    assert_no_file_contains(bus.dir(), NO_KEYRING_SECRET.as_bytes());
}

#[test]
fn a_locked_keyring_reads_as_locked() {
    if child_scenario() {
        return locked_keyring();
    }
    let bus = PrivateBus::with_keyring();
    run_child(&bus, "a_locked_keyring_reads_as_locked");
}

// ---- scenarios, run inside the child process -------------------------------------------------

fn round_trip() {
    let store = SecretStore::default();
    store
        .check_available()
        .expect("the private keyring is available");

    // put → get, and the reference says nothing about the value.
    let r = store.put("Authorization", "Bearer abc.def").unwrap();
    assert!(
        r.as_str().starts_with("keyring:streamwatch/authorization-"),
        "{r}"
    );
    assert!(!r.as_str().contains("abc"), "{r}");
    assert_eq!(store.get(&r).unwrap(), "Bearer abc.def");

    // It is really in the keyring: another client, and another store value, both find it.
    assert_eq!(secret_tool_lookup(&r).as_deref(), Some("Bearer abc.def"));
    let reparsed: SecretRef = r.to_string().parse().unwrap();
    assert_eq!(
        SecretStore::new("streamwatch").get(&reparsed).unwrap(),
        "Bearer abc.def"
    );

    // Same hint, new account: two secrets never share an item.
    let r2 = store.put("Authorization", "Bearer other").unwrap();
    assert_ne!(r, r2);
    assert_eq!(store.get(&r).unwrap(), "Bearer abc.def");
    assert_eq!(store.get(&r2).unwrap(), "Bearer other");

    // replace
    store.replace(&r, "Bearer rotated").unwrap();
    assert_eq!(store.get(&r).unwrap(), "Bearer rotated");
    assert_eq!(secret_tool_lookup(&r).as_deref(), Some("Bearer rotated"));
    assert_eq!(store.get(&r2).unwrap(), "Bearer other");

    // delete → NotFound; deleting again is fine; the other secret is untouched.
    store.delete(&r).unwrap();
    match store.get(&r) {
        Err(SecretError::NotFound(missing)) => assert_eq!(missing, r),
        other => panic!("expected NotFound, got {other:?}"),
    }
    assert_eq!(secret_tool_lookup(&r), None);
    store.delete(&r).unwrap();
    assert_eq!(store.get(&r2).unwrap(), "Bearer other");

    // replace on a reference whose item is gone stores it again under the same reference.
    store.replace(&r, "Bearer back").unwrap();
    assert_eq!(store.get(&r).unwrap(), "Bearer back");

    // Unicode, 4 KiB and more, byte for byte.
    let keyrings = Path::new(&std::env::var(KEYRING_HOME).unwrap()).join(".local/share/keyrings");
    let before = dir_size(&keyrings);
    let big: String = "ключ🔑€-é\u{0}x".repeat(300);
    assert!(big.len() >= 4096, "{}", big.len());
    let rb = store.put("X-Api-Key (ünïcode)", &big).unwrap();
    assert!(
        rb.as_str()
            .starts_with("keyring:streamwatch/x-api-key-n-code-"),
        "{rb}"
    );
    assert_eq!(store.get(&rb).unwrap(), big);
    assert_eq!(secret_tool_lookup(&rb).as_deref(), Some(big.as_str()));

    // gnome-keyring wrote it to its file — encrypted: the file grew by at least the secret's size,
    // and no run of the secret shows up in it.
    wait_for("keyring file to grow", LIMIT, || {
        dir_size(&keyrings) >= before + big.len() as u64
    });
    assert_no_file_contains(&keyrings, "ключ🔑€".as_bytes());
    assert_no_file_contains(&keyrings, b"Bearer");

    // A reference for another service is refused, not looked up.
    let foreign: SecretRef = format!("keyring:other-app/{}", rb.parts().unwrap().1)
        .parse()
        .unwrap();
    assert!(matches!(
        store.get(&foreign),
        Err(SecretError::InvalidRef(_))
    ));

    // Async code calls the store through spawn_blocking (the module docs say why); that works.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let (async_store, async_ref) = (store.clone(), r2.clone());
    let got = runtime.block_on(async move {
        tokio::task::spawn_blocking(move || async_store.get(&async_ref))
            .await
            .unwrap()
    });
    assert_eq!(got.unwrap(), "Bearer other");

    for r in [&r, &r2, &rb] {
        store.delete(r).unwrap();
    }
}

/// What the no-keyring scenario tries to store; the parent checks no file holds it.
const NO_KEYRING_SECRET: &str = "Bearer must-never-touch-disk-7f3a";

fn no_keyring() {
    let store = SecretStore::default();
    for (what, result) in [
        ("check_available", store.check_available()),
        (
            "put",
            store.put("Authorization", NO_KEYRING_SECRET).map(drop),
        ),
    ] {
        match result {
            Err(e @ SecretError::Unavailable { .. }) => {
                let msg = e.to_string();
                for needle in ["NOT saved", "gnome-keyring", "KeePassXC", "unlock"] {
                    assert!(msg.contains(needle), "{what}: {needle:?} missing: {msg}");
                }
                // The cause from D-Bus is kept for whoever has to debug it.
                assert!(msg.contains("org.freedesktop"), "{what}: {msg}");
                println!("{what}: {msg}");
            }
            other => panic!("{what}: expected Unavailable, got {other:?}"),
        }
    }
    let r: SecretRef = "keyring:streamwatch/authorization-0123".parse().unwrap();
    assert!(matches!(
        store.get(&r),
        Err(SecretError::Unavailable { .. })
    ));
    assert!(matches!(
        store.replace(&r, NO_KEYRING_SECRET),
        Err(SecretError::Unavailable { .. })
    ));
    // A delete that could not run is not reported as done.
    assert!(matches!(
        store.delete(&r),
        Err(SecretError::Unavailable { .. })
    ));
}

fn keyring_goes_away() {
    let store = SecretStore::default();
    let r = store.put("Authorization", "Bearer soon-gone").unwrap();
    let pid: i32 = std::env::var(KEYRING_PID).unwrap().parse().unwrap();
    // SAFETY: plain kill(2) of the daemon the parent started for this test (the parent has not
    // reaped it, so the pid cannot have been reused).
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    wait_for("keyring to leave the bus", LIMIT, || {
        !name_has_owner("org.freedesktop.secrets")
    });
    for (what, result) in [
        ("get", store.get(&r).map(drop)),
        ("put", store.put("Authorization", "x").map(drop)),
        ("check_available", store.check_available()),
        // A delete that could not run is not reported as done.
        ("delete", store.delete(&r)),
    ] {
        match result {
            Err(e @ SecretError::Unavailable { .. }) => {
                assert!(e.to_string().contains("NOT saved"), "{e}");
            }
            other => panic!("{what}: expected Unavailable, got {other:?}"),
        }
    }
}

fn locked_keyring() {
    let store = SecretStore::default();
    let r = store.put("Authorization", "Bearer locked-away").unwrap();
    // Lock the collection the way a screen lock or "Lock keyring" does. Unlocking then needs a
    // prompt; this bus has no prompter, so gnome-keyring dismisses it at once (on a desktop the
    // call would wait for the user instead).
    dbus_send(&[
        "--dest=org.freedesktop.secrets",
        "/org/freedesktop/secrets",
        "org.freedesktop.Secret.Service.Lock",
        "array:objpath:/org/freedesktop/secrets/collection/login",
    ])
    .expect("lock the login collection");
    for (what, result) in [
        ("get", store.get(&r).map(drop)),
        ("replace", store.replace(&r, "x")),
        ("put", store.put("Authorization", "x").map(drop)),
        ("check_available", store.check_available()),
        ("delete", store.delete(&r)),
    ] {
        match result {
            Err(e @ SecretError::Locked { .. }) => {
                let msg = e.to_string();
                assert!(
                    msg.contains("unlock") && msg.contains("NOT saved"),
                    "{what}: {msg}"
                );
            }
            other => panic!("{what}: expected Locked, got {other:?}"),
        }
    }
}

fn no_session_bus() {
    let store = SecretStore::default();
    match store.put("Authorization", NO_KEYRING_SECRET) {
        Err(e @ SecretError::Unavailable { .. }) => {
            assert!(e.to_string().contains("NOT saved"), "{e}");
            println!("put: {e}");
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

// ---- helpers used by the child ---------------------------------------------------------------

fn child_scenario() -> bool {
    std::env::var_os(CHILD).is_some()
}

/// The secret as another Secret Service client (libsecret's secret-tool) sees it.
fn secret_tool_lookup(r: &SecretRef) -> Option<String> {
    let (service, account) = r.parts().unwrap();
    let out = Command::new("secret-tool")
        .args(["lookup", "service", service, "username", account])
        .output()
        .expect("run secret-tool (Debian package libsecret-tools)");
    // secret-tool exits 1, printing nothing, when no item matches.
    out.status
        .success()
        .then(|| String::from_utf8(out.stdout).unwrap())
}

fn dbus_send(args: &[&str]) -> Result<String, String> {
    let out = Command::new("dbus-send")
        .args(["--session", "--print-reply=literal"])
        .args(args)
        .output()
        .expect("run dbus-send (Debian package dbus-bin)");
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
    }
}

fn name_has_owner(name: &str) -> bool {
    let arg = format!("string:{name}");
    dbus_send(&[
        "--dest=org.freedesktop.DBus",
        "/org/freedesktop/DBus",
        "org.freedesktop.DBus.NameHasOwner",
        &arg,
    ])
    .is_ok_and(|reply| reply.ends_with("true"))
}

// ---- the child process, run by the parent -----------------------------------------------------

/// Runs `test` — the scenario half of the test of that name — in a child of this binary,
/// pointed at `bus`.
fn run_child(bus: &PrivateBus, test: &str) {
    run_child_with(bus, test, &[]);
}

/// [`run_child`], with some variables overridden.
fn run_child_with(bus: &PrivateBus, test: &str, overrides: &[(&str, &str)]) {
    let mut cmd = single_test(test);
    // The harness's own environment is kept (RUST_*, coverage settings…); what a keyring
    // client reads is pointed into the fixture.
    bus.point_env(&mut cmd)
        .envs(overrides.iter().copied())
        .env(CHILD, test)
        .env(KEYRING_HOME, bus.home())
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(pid) = bus.keyring_pid() {
        cmd.env(KEYRING_PID, pid.to_string());
    }
    let child = KillOnDrop::new("test child", cmd.spawn().unwrap());
    let out = child.wait_with_limit(LIMIT);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}{stderr}");
    assert!(
        out.status.success(),
        "scenario {test} failed ({}):\n{stdout}\n{stderr}\n{}",
        out.status,
        bus.log()
    );
    // The filter must have matched exactly the scenario, or nothing was tested.
    assert!(
        stdout.contains("1 passed"),
        "scenario {test} did not run:\n{stdout}"
    );
}
