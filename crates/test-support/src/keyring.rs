//! A real Secret Service for tests: a private D-Bus session bus, optionally with
//! gnome-keyring-daemon on it and its `login` collection unlocked with a throwaway password, all
//! under one temporary directory. Nothing is mocked, and the developer's own keyring is never
//! touched: whatever runs against it gets the fixture's bus, HOME and XDG directories in its
//! environment.
//!
//! Needs Debian's `dbus-daemon`, `dbus-bin` (dbus-send) and `gnome-keyring` (scripts/dev.sh
//! installs them).

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::KillOnDrop;

/// How long a daemon may take to come up.
const LIMIT: Duration = Duration::from_secs(30);

/// A private session bus, optionally with an unlocked gnome-keyring on it.
pub struct PrivateBus {
    // Field order is drop order: the keyring leaves before its bus, the directory goes last.
    keyring: Option<KillOnDrop>,
    _bus: KillOnDrop,
    address: String,
    home: PathBuf,
    run: PathBuf,
    dir: tempfile::TempDir,
}

impl PrivateBus {
    /// A bus with no Secret Service on it.
    pub fn without_keyring() -> PrivateBus {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let home = dir.path().join("home");
        let run = dir.path().join("run");
        for d in [&home, &run] {
            std::fs::create_dir_all(d).expect("create the fixture's directories");
        }
        // gnome-keyring wants its runtime directory private, as a real XDG_RUNTIME_DIR is.
        std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700))
            .expect("make the runtime directory private");

        // Our own configuration rather than `--session`: the stock one lists the system's service
        // directories, and with gnome-keyring installed the bus would start a keyring on demand
        // (with the real HOME) — a bus meant to have no keyring would then have one.
        let config = dir.path().join("bus.conf");
        std::fs::write(&config, bus_config(&run.join("bus"))).expect("write the bus config");
        // Running as root it complains that it cannot raise its fd limit: harmless, kept out of
        // the test output, and shown with the rest of the log if a test fails.
        let bus_log =
            std::fs::File::create(dir.path().join("dbus-daemon.log")).expect("create the bus log");
        let mut bus = KillOnDrop::new(
            "dbus-daemon",
            Command::new("dbus-daemon")
                .arg(format!("--config-file={}", config.display()))
                .args(["--nofork", "--nopidfile", "--print-address=1"])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(bus_log)
                .spawn()
                .expect("start dbus-daemon (Debian package dbus-daemon)"),
        );
        // The daemon prints its address once it listens: that line is the readiness signal.
        let mut address = String::new();
        let stdout = bus
            .child
            .stdout
            .take()
            .expect("dbus-daemon's stdout is piped");
        BufReader::new(stdout)
            .read_line(&mut address)
            .expect("read dbus-daemon's address");
        let address = address.trim().to_owned();
        assert!(address.starts_with("unix:"), "dbus-daemon did not start");
        PrivateBus {
            keyring: None,
            _bus: bus,
            address,
            home,
            run,
            dir,
        }
    }

    /// A bus with gnome-keyring-daemon on it, its `login` collection created and unlocked.
    pub fn with_keyring() -> PrivateBus {
        let mut fixture = PrivateBus::without_keyring();
        let log = std::fs::File::create(fixture.dir.path().join("gnome-keyring.log"))
            .expect("create the keyring log");
        let log_too = log.try_clone().expect("share the keyring log");
        let mut cmd = Command::new("gnome-keyring-daemon");
        // --foreground keeps it our child (so the guard can stop it); --unlock makes it read a
        // password on stdin and create the `login` collection with it, unlocked, as a desktop
        // login does through PAM.
        cmd.args(["--foreground", "--components=secrets", "--unlock"]);
        let mut keyring = KillOnDrop::new(
            "gnome-keyring-daemon",
            fixture
                .point_env(cmd.env_clear())
                .stdin(Stdio::piped())
                .stdout(log_too)
                .stderr(log)
                .spawn()
                .expect("start gnome-keyring-daemon (Debian package gnome-keyring)"),
        );
        let mut stdin = keyring.child.stdin.take().expect("its stdin is piped");
        stdin
            .write_all(b"throwaway-test-password")
            .expect("give gnome-keyring-daemon its password");
        // End of input ends the password.
        drop(stdin);
        fixture.keyring = Some(keyring);
        // Ready once the `default` alias points at the login collection, which also means the
        // daemon owns org.freedesktop.secrets on our bus.
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
            fixture.check_alive();
            assert!(
                Instant::now() < deadline,
                "gnome-keyring-daemon did not come up: {reply}; log: {}",
                fixture.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        fixture
    }

    /// Everything a bus client or daemon reads from the environment, pointed into the fixture.
    pub fn env(&self) -> Vec<(OsString, OsString)> {
        let mut env: Vec<(OsString, OsString)> = vec![
            ("HOME".into(), self.home.clone().into()),
            (
                "XDG_DATA_HOME".into(),
                self.home.join(".local/share").into(),
            ),
            ("XDG_CONFIG_HOME".into(), self.home.join(".config").into()),
            ("XDG_CACHE_HOME".into(), self.home.join(".cache").into()),
            ("XDG_RUNTIME_DIR".into(), self.run.clone().into()),
            ("TMPDIR".into(), self.dir.path().into()),
            (
                "DBUS_SESSION_BUS_ADDRESS".into(),
                self.address.clone().into(),
            ),
        ];
        if let Some(path) = std::env::var_os("PATH") {
            env.push(("PATH".into(), path));
        }
        env
    }

    /// Sets [`PrivateBus::env`] on `cmd` and runs it in the fixture's directory.
    pub fn point_env<'c>(&self, cmd: &'c mut Command) -> &'c mut Command {
        cmd.envs(self.env()).current_dir(self.dir.path())
    }

    /// Calls `dbus-send --session --print-reply=literal ARGS` on this bus; the reply, or the
    /// error text when the call fails.
    pub fn dbus_send(&self, args: &[&str]) -> String {
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

    /// What the daemons said, for failure messages.
    pub fn log(&self) -> String {
        ["dbus-daemon.log", "gnome-keyring.log"]
            .iter()
            .map(|name| {
                let text = std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
                format!("--- {name}:\n{text}")
            })
            .collect()
    }

    /// The temporary directory everything lives in (HOME, the runtime directory, the logs).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The HOME the keyring writes its files under.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// The XDG runtime directory, where the bus's socket is.
    pub fn run_dir(&self) -> &Path {
        &self.run
    }

    /// The keyring daemon's pid, if there is one.
    pub fn keyring_pid(&self) -> Option<u32> {
        self.keyring.as_ref().map(|k| k.child.id())
    }

    /// Fails the test, with the logs, if the keyring daemon has exited.
    fn check_alive(&mut self) {
        let log = self.log();
        if let Some(k) = &mut self.keyring {
            if let Ok(Some(status)) = k.child.try_wait() {
                panic!("{} exited with {status}; log: {log}", k.name);
            }
        }
    }
}

/// A session bus listening on `socket` that starts no service by itself.
fn bus_config(socket: &Path) -> String {
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
        socket.display()
    )
}
