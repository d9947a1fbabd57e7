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

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use streamwatch_engine::secrets::{SecretError, SecretRef, SecretStore};

/// Set in a child: which scenario to run instead of setting up daemons.
const CHILD: &str = "STREAMWATCH_KEYRING_TEST_CHILD";
/// Set in a child: the temporary HOME the keyring daemon writes its files under.
const KEYRING_HOME: &str = "STREAMWATCH_KEYRING_TEST_HOME";
/// Set in a child: the keyring daemon's pid, for the scenario that stops it.
const KEYRING_PID: &str = "STREAMWATCH_KEYRING_TEST_PID";
/// How long any one daemon may take to come up, or any one child to finish.
const LIMIT: Duration = Duration::from_secs(30);

#[test]
fn secrets_round_trip_through_a_real_secret_service() {
    if child_scenario() {
        return round_trip();
    }
    let env = Fixture::with_keyring();
    env.run_child("secrets_round_trip_through_a_real_secret_service");
}

#[test]
fn no_keyring_on_the_bus_is_refused_with_a_clear_message() {
    if child_scenario() {
        return no_keyring();
    }
    let env = Fixture::new();
    env.run_child("no_keyring_on_the_bus_is_refused_with_a_clear_message");
    // The refusal must not have been a quiet fallback: the child's HOME, XDG dirs and working
    // directory all live in the fixture's directory, and none of its files holds the secret.
    assert_no_file_contains(env.dir.path(), NO_KEYRING_SECRET.as_bytes());
}

#[test]
fn a_keyring_that_goes_away_reads_as_unavailable() {
    if child_scenario() {
        return keyring_goes_away();
    }
    let env = Fixture::with_keyring();
    env.run_child("a_keyring_that_goes_away_reads_as_unavailable");
}

#[test]
fn no_session_bus_at_all_is_refused() {
    if child_scenario() {
        return no_session_bus();
    }
    let env = Fixture::new();
    let nowhere = format!("unix:path={}", env.run.join("no-such-bus").display());
    env.run_child_with(
        "no_session_bus_at_all_is_refused",
        &[("DBUS_SESSION_BUS_ADDRESS", &nowhere)],
    );
    assert_no_file_contains(env.dir.path(), NO_KEYRING_SECRET.as_bytes());
}

#[test]
fn a_locked_keyring_reads_as_locked() {
    if child_scenario() {
        return locked_keyring();
    }
    let env = Fixture::with_keyring();
    env.run_child("a_locked_keyring_reads_as_locked");
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
    wait_for(
        || dir_size(&keyrings) >= before + big.len() as u64,
        "keyring file to grow",
    );
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
    wait_for(
        || !name_has_owner("org.freedesktop.secrets"),
        "keyring to leave the bus",
    );
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

fn wait_for(mut done: impl FnMut() -> bool, what: &str) {
    let deadline = Instant::now() + LIMIT;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn dir_size(dir: &Path) -> u64 {
    files_under(dir)
        .iter()
        .filter_map(|f| f.metadata().ok())
        .map(|m| m.len())
        .sum()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let ty = entry.file_type().unwrap();
            if ty.is_dir() {
                todo.push(entry.path());
            } else if ty.is_file() {
                files.push(entry.path());
            }
        }
    }
    files
}

fn assert_no_file_contains(dir: &Path, needle: &[u8]) {
    for file in files_under(dir) {
        let bytes = std::fs::read(&file).unwrap_or_default();
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "{} holds the secret in plain text",
            file.display()
        );
    }
}

// ---- the daemons, run by the parent ----------------------------------------------------------

/// A process killed (and reaped) when the guard drops, so a failing test leaves no daemon behind.
struct Daemon {
    name: &'static str,
    child: Child,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A private session bus, optionally with gnome-keyring on it, all under one temporary directory.
struct Fixture {
    // Field order is drop order: the keyring leaves before its bus, the directory goes last.
    keyring: Option<Daemon>,
    _bus: Daemon,
    address: String,
    home: PathBuf,
    run: PathBuf,
    dir: tempfile::TempDir,
}

impl Fixture {
    /// A bus with no Secret Service on it.
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let run = dir.path().join("run");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&run).unwrap();
        // gnome-keyring wants its runtime directory private, as a real XDG_RUNTIME_DIR is.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700)).unwrap();

        // Our own configuration rather than `--session`: the stock one lists the system's service
        // directories, and with gnome-keyring installed the bus would start a keyring on demand
        // (with the real HOME) — the "no keyring" bus would then have one.
        let config = dir.path().join("bus.conf");
        std::fs::write(
            &config,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
                run.join("bus").display()
            ),
        )
        .unwrap();
        // Running as root it complains that it cannot raise its fd limit: harmless, kept out of
        // the test output, and shown with the rest of the log if a test fails.
        let bus_log = std::fs::File::create(dir.path().join("dbus-daemon.log")).unwrap();
        let mut bus = Daemon {
            name: "dbus-daemon",
            child: Command::new("dbus-daemon")
                .arg(format!("--config-file={}", config.display()))
                .args(["--nofork", "--nopidfile", "--print-address=1"])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(bus_log)
                .spawn()
                .expect("start dbus-daemon (Debian package dbus-daemon)"),
        };
        // The daemon prints its address once it listens: that line is the readiness signal.
        let mut address = String::new();
        BufReader::new(bus.child.stdout.take().unwrap())
            .read_line(&mut address)
            .unwrap();
        let address = address.trim().to_owned();
        assert!(address.starts_with("unix:"), "dbus-daemon did not start");
        Fixture {
            keyring: None,
            _bus: bus,
            address,
            home,
            run,
            dir,
        }
    }

    /// A bus with gnome-keyring-daemon on it, its `login` collection created and unlocked.
    fn with_keyring() -> Fixture {
        let mut env = Fixture::new();
        let log = std::fs::File::create(env.dir.path().join("gnome-keyring.log")).unwrap();
        let mut cmd = Command::new("gnome-keyring-daemon");
        // --foreground keeps it our child (so the guard can stop it); --unlock makes it read a
        // password on stdin and create the `login` collection with it, unlocked, as a desktop
        // login does through PAM.
        cmd.args(["--foreground", "--components=secrets", "--unlock"]);
        let mut keyring = Daemon {
            name: "gnome-keyring-daemon",
            child: env
                .point_env(cmd.env_clear())
                .stdin(Stdio::piped())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .expect("start gnome-keyring-daemon (Debian package gnome-keyring)"),
        };
        let mut stdin = keyring.child.stdin.take().unwrap();
        stdin.write_all(b"throwaway-test-password").unwrap();
        // End of input ends the password.
        drop(stdin);
        env.keyring = Some(keyring);
        // Ready once the `default` alias points at the login collection, which also means the
        // daemon owns org.freedesktop.secrets on our bus.
        let deadline = Instant::now() + LIMIT;
        loop {
            let reply = env.dbus_send(&[
                "--dest=org.freedesktop.secrets",
                "/org/freedesktop/secrets",
                "org.freedesktop.Secret.Service.ReadAlias",
                "string:default",
            ]);
            if reply.ends_with("/collection/login") {
                break;
            }
            env.check_alive();
            assert!(
                Instant::now() < deadline,
                "gnome-keyring-daemon did not come up: {reply}; log: {}",
                env.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        env
    }

    /// Everything a bus client or daemon reads from the environment, pointed into the fixture.
    fn point_env<'c>(&self, cmd: &'c mut Command) -> &'c mut Command {
        if let Some(path) = std::env::var_os("PATH") {
            cmd.env("PATH", path);
        }
        cmd.env("HOME", &self.home)
            .env("XDG_DATA_HOME", self.home.join(".local/share"))
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("XDG_CACHE_HOME", self.home.join(".cache"))
            .env("XDG_RUNTIME_DIR", &self.run)
            .env("TMPDIR", self.dir.path())
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .current_dir(self.dir.path())
    }

    fn dbus_send(&self, args: &[&str]) -> String {
        let out = self
            .point_env(Command::new("dbus-send").env_clear())
            .args(["--session", "--print-reply=literal"])
            .args(args)
            .output()
            .expect("run dbus-send (Debian package dbus-bin)");
        String::from_utf8_lossy(if out.status.success() {
            &out.stdout
        } else {
            &out.stderr
        })
        .trim()
        .to_owned()
    }

    fn check_alive(&mut self) {
        let log = self.log();
        if let Some(k) = &mut self.keyring {
            if let Some(status) = k.child.try_wait().unwrap() {
                panic!("{} exited with {status}; log: {log}", k.name);
            }
        }
    }

    /// What the daemons said, for failure messages.
    fn log(&self) -> String {
        ["dbus-daemon.log", "gnome-keyring.log"]
            .iter()
            .map(|name| {
                let text = std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
                format!("--- {name}:\n{text}")
            })
            .collect()
    }

    /// Run `test` — the scenario half of the test of that name — in a child of this binary.
    fn run_child(&self, test: &str) {
        self.run_child_with(test, &[]);
    }

    /// [`Fixture::run_child`], with some variables overridden.
    fn run_child_with(&self, test: &str, overrides: &[(&str, &str)]) {
        let exe = std::env::current_exe().unwrap();
        let mut cmd = Command::new(exe);
        // The harness's own environment is kept (RUST_*, coverage settings…); what a keyring
        // client reads is pointed into the fixture.
        self.point_env(&mut cmd)
            .envs(overrides.iter().copied())
            .args([test, "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD, test)
            .env(KEYRING_HOME, &self.home)
            .env("RUST_BACKTRACE", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(k) = &self.keyring {
            cmd.env(KEYRING_PID, k.child.id().to_string());
        }
        let child = Daemon {
            name: "test child",
            child: cmd.spawn().unwrap(),
        };
        let out = wait_with_limit(child);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        println!("{stdout}{stderr}");
        assert!(
            out.status.success(),
            "scenario {test} failed ({}):\n{stdout}\n{stderr}\n{}",
            out.status,
            self.log()
        );
        // The filter must have matched exactly the scenario, or nothing was tested.
        assert!(
            stdout.contains("1 passed"),
            "scenario {test} did not run:\n{stdout}"
        );
    }
}

/// Wait for a child, killing it (through its guard) if it outlives [`LIMIT`]: a keyring call
/// that blocks forever must fail the test, not hang CI.
fn wait_with_limit(mut guard: Daemon) -> std::process::Output {
    let deadline = Instant::now() + LIMIT;
    // Read the pipes on threads so a chatty child cannot block on a full pipe.
    let mut stdout = guard.child.stdout.take().unwrap();
    let mut stderr = guard.child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut buf).ok();
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut stderr, &mut buf).ok();
        buf
    });
    let status = loop {
        if let Some(status) = guard.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "{} still running after {LIMIT:?}",
            guard.name
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    std::process::Output {
        status,
        stdout: out_reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
    }
}
