//! A real Secret Service for tests whose subscriptions hold secrets: gnome-keyring-daemon on
//! the desktop's private bus, with its own throwaway home.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use streamwatch_test_support::process::KillOnDrop;

use crate::desktop::Desktop;

/// gnome-keyring-daemon on the desktop's bus with its `login` collection created and unlocked
/// (a throwaway password on stdin, as a desktop login does), its files in the test's folder.
/// Start it before the app: a Secret Service call made first lets the bus activate a keyring
/// of its own, and this one then refuses to start ("another secret service is running").
pub fn start_keyring(desktop: &Desktop) -> KillOnDrop {
    let home = desktop.temp_dir().join("keyring-home");
    let run = desktop.temp_dir().join("keyring-run");
    for d in [&home, &run] {
        std::fs::create_dir_all(d).expect("a keyring folder");
    }
    std::fs::set_permissions(&run, std::os::unix::fs::PermissionsExt::from_mode(0o700))
        .expect("a private runtime folder");
    let env = |cmd: &mut Command| {
        cmd.env_clear()
            .env("HOME", &home)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_CACHE_HOME", home.join("cache"))
            .env("XDG_RUNTIME_DIR", &run)
            .env("DBUS_SESSION_BUS_ADDRESS", desktop.bus_address())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    };
    let mut cmd = Command::new("gnome-keyring-daemon");
    env(&mut cmd);
    cmd.args(["--foreground", "--components=secrets", "--unlock"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut keyring = KillOnDrop::new(
        "gnome-keyring-daemon",
        cmd.spawn()
            .expect("start gnome-keyring-daemon (Debian package gnome-keyring)"),
    );
    let mut stdin = keyring.child.stdin.take().expect("its stdin is piped");
    stdin
        .write_all(b"throwaway-test-password")
        .expect("give gnome-keyring-daemon its password");
    drop(stdin);
    // Ready once it owns the Secret Service name — asked without calling the service, which
    // would let the bus start a keyring of its own (the stock session config activates one) —
    // and the `default` alias names the login collection.
    let deadline = Instant::now() + Duration::from_secs(60);
    let send = |args: &[&str]| {
        let mut cmd = Command::new("dbus-send");
        env(&mut cmd);
        cmd.args(["--session", "--print-reply=literal"])
            .args(args)
            .output()
            .expect("run dbus-send (Debian package dbus-bin)")
    };
    loop {
        let owned = send(&[
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner",
            "string:org.freedesktop.secrets",
        ]);
        let out = if String::from_utf8_lossy(&owned.stdout)
            .trim()
            .ends_with("true")
        {
            send(&[
                "--dest=org.freedesktop.secrets",
                "/org/freedesktop/secrets",
                "org.freedesktop.Secret.Service.ReadAlias",
                "string:default",
            ])
        } else {
            owned
        };
        if String::from_utf8_lossy(&out.stdout)
            .trim()
            .ends_with("/collection/login")
        {
            return keyring;
        }
        if let Ok(Some(status)) = keyring.child.try_wait() {
            panic!("gnome-keyring-daemon exited with {status}");
        }
        assert!(
            Instant::now() < deadline,
            "gnome-keyring-daemon did not come up: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
