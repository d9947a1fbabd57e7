//! A real Secret Service for the CLI's secret-header tests: a private D-Bus session bus with
//! gnome-keyring-daemon on it, its `login` collection unlocked with a throwaway password, all
//! under one temporary directory. The developer's own keyring is never touched. (The same setup
//! as crates/engine/tests/secrets_keyring.rs, cut down to what the CLI needs: the binary under
//! test is a child process anyway, so it just gets the bus in its environment.)
//!
//! Needs Debian's `dbus-daemon`, `dbus-bin` and `gnome-keyring` (scripts/dev.sh installs them).

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long the daemons may take to come up.
const LIMIT: Duration = Duration::from_secs(20);

/// A process stopped (and reaped) when dropped.
struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A private bus with an unlocked gnome-keyring on it.
pub struct Keyring {
    // Field order is drop order: the keyring leaves before its bus, the directory goes last.
    _keyring: Daemon,
    _bus: Daemon,
    address: String,
    home: PathBuf,
    run: PathBuf,
    dir: tempfile::TempDir,
}

impl Keyring {
    /// Starts the bus and the keyring, and waits until the keyring answers.
    pub fn start() -> Keyring {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let home = dir.path().join("home");
        let run = dir.path().join("run");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&run).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700)).unwrap();
        // Our own bus configuration: the stock one would D-Bus-activate services with the real
        // HOME.
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
        let bus_log = std::fs::File::create(dir.path().join("dbus-daemon.log")).unwrap();
        let mut bus = Daemon(
            Command::new("dbus-daemon")
                .arg(format!("--config-file={}", config.display()))
                .args(["--nofork", "--nopidfile", "--print-address=1"])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(bus_log)
                .spawn()
                .expect("start dbus-daemon (Debian package dbus-daemon)"),
        );
        // It prints its address once it listens.
        let mut address = String::new();
        BufReader::new(bus.0.stdout.take().unwrap())
            .read_line(&mut address)
            .unwrap();
        let address = address.trim().to_owned();
        assert!(address.starts_with("unix:"), "dbus-daemon did not start");

        let env = client_env(&home, &run, &address);
        let log = std::fs::File::create(dir.path().join("gnome-keyring.log")).unwrap();
        // --foreground keeps it our child; --unlock reads a password on stdin and creates the
        // `login` collection with it, unlocked, as a desktop login does.
        let mut keyring = Daemon(
            Command::new("gnome-keyring-daemon")
                .args(["--foreground", "--components=secrets", "--unlock"])
                .env_clear()
                .envs(env.iter().cloned())
                .current_dir(dir.path())
                .stdin(Stdio::piped())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .expect("start gnome-keyring-daemon (Debian package gnome-keyring)"),
        );
        let mut stdin = keyring.0.stdin.take().unwrap();
        stdin.write_all(b"throwaway-test-password").unwrap();
        drop(stdin);
        let fixture = Keyring {
            _keyring: keyring,
            _bus: bus,
            address,
            home,
            run,
            dir,
        };
        // Ready once the `default` alias points at the login collection.
        let deadline = Instant::now() + LIMIT;
        loop {
            let reply = fixture.dbus_send(&[
                "--dest=org.freedesktop.secrets",
                "/org/freedesktop/secrets",
                "org.freedesktop.Secret.Service.ReadAlias",
                "string:default",
            ]);
            if reply.ends_with("/collection/login") {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "gnome-keyring-daemon did not come up: {reply}; log: {}",
                std::fs::read_to_string(fixture.dir.path().join("gnome-keyring.log"))
                    .unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        fixture
    }

    /// What a keyring client reads from the environment, pointed into the fixture.
    pub fn env(&self) -> Vec<(OsString, OsString)> {
        client_env(&self.home, &self.run, &self.address)
    }

    fn dbus_send(&self, args: &[&str]) -> String {
        let out = Command::new("dbus-send")
            .env_clear()
            .envs(self.env())
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
}

fn client_env(home: &Path, run: &Path, address: &str) -> Vec<(OsString, OsString)> {
    let mut env: Vec<(OsString, OsString)> = vec![
        ("HOME".into(), home.into()),
        ("XDG_DATA_HOME".into(), home.join(".local/share").into()),
        ("XDG_CONFIG_HOME".into(), home.join(".config").into()),
        ("XDG_CACHE_HOME".into(), home.join(".cache").into()),
        ("XDG_RUNTIME_DIR".into(), run.into()),
        ("DBUS_SESSION_BUS_ADDRESS".into(), address.into()),
    ];
    if let Some(path) = std::env::var_os("PATH") {
        env.push(("PATH".into(), path));
    }
    env
}
