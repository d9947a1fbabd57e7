//! A private desktop for one test: Xvfb, a D-Bus session bus and tauri-driver, with throwaway
//! XDG folders and data directory.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::paths;
use crate::processes::stop_group;

/// How long the display, the bus and the driver get to come up.
const START_TIMEOUT: Duration = Duration::from_secs(15);

/// A running process and its process group (it leads one), stopped when dropped.
struct Proc {
    child: Option<Child>,
}

impl Proc {
    /// Spawns `cmd` as the leader of a new process group that gets SIGTERM when this test
    /// process dies (so an interrupted `cargo test` leaves nothing behind).
    fn spawn(name: &'static str, cmd: &mut Command) -> Proc {
        cmd.stdin(Stdio::null()).process_group(0);
        // SAFETY: the closure only calls async-signal-safe functions (prctl, getppid, kill).
        unsafe {
            cmd.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                    return Err(io::Error::last_os_error());
                }
                // The parent may have died before prctl took effect.
                if libc::getppid() == 1 {
                    libc::kill(libc::getpid(), libc::SIGTERM);
                }
                Ok(())
            });
        }
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({:?}): {e}", cmd.get_program()));
        Proc { child: Some(child) }
    }

    fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// `Some(status)` once the process has ended.
    fn exited(&mut self) -> Option<String> {
        let child = self.child.as_mut()?;
        match child.try_wait() {
            Ok(Some(status)) => Some(status.to_string()),
            Ok(None) => None,
            Err(e) => Some(format!("cannot tell ({e})")),
        }
    }

    /// Stops its whole process group ([`stop_group`], 3 s of grace).
    fn stop(&mut self) {
        if let Some(child) = self.child.take() {
            stop_group(child, Duration::from_secs(3));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Xvfb + a session bus + tauri-driver, and the folders the app gets instead of the user's.
///
/// Fields drop in order: the driver (and with it the app) first, the display last, the
/// temporary folder after all of them.
pub struct Desktop {
    driver: Proc,
    dbus: Proc,
    xvfb: Proc,
    name: String,
    display: String,
    bus_address: String,
    driver_port: u16,
    data_dir: PathBuf,
    driver_log: PathBuf,
    root: TempDir,
}

impl Desktop {
    /// Starts the display, the bus and the driver for the test `name` (used to name logs).
    pub async fn start(name: &str) -> Desktop {
        Self::start_with(name, false).await
    }

    /// As [`Desktop::start`], on a bus whose Secret Service cannot start (its activation runs
    /// `false`), as on a desktop with no working keyring.
    pub async fn start_without_keyring(name: &str) -> Desktop {
        Self::start_with(name, true).await
    }

    async fn start_with(name: &str, no_keyring: bool) -> Desktop {
        let root = tempfile::Builder::new()
            .prefix(&format!("streamwatch-e2e-{name}-"))
            .tempdir()
            .expect("a temporary folder");
        let dir = |sub: &str| {
            let p = root.path().join(sub);
            fs::create_dir_all(&p).expect("a folder in the temporary folder");
            p
        };
        let data_dir = dir("streamwatch-data");
        let xdg_data = dir("xdg-data");
        let xdg_config = dir("xdg-config");
        let xdg_cache = dir("xdg-cache");
        if no_keyring {
            // The bus reads $XDG_DATA_HOME's services before the system's, so this one wins.
            let services = dir("xdg-data/dbus-1/services");
            fs::write(
                services.join("org.freedesktop.secrets.service"),
                "[D-BUS Service]\nName=org.freedesktop.secrets\nExec=/bin/false\n",
            )
            .expect("a Secret Service that cannot start");
        }
        let runtime = dir("xdg-runtime");
        fs::set_permissions(
            &runtime,
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .expect("chmod XDG_RUNTIME_DIR");

        // The display: Xvfb picks a free number itself and writes it to fd 1.
        let xvfb_bin = paths::system_tool("Xvfb", "apt-get install xvfb");
        let mut xvfb = Proc::spawn(
            "Xvfb",
            Command::new(xvfb_bin)
                .args(["-displayfd", "1", "-screen", "0", "1920x1080x24"])
                .args(["-nolisten", "tcp", "-noreset"])
                .stdout(Stdio::piped())
                .stderr(log_file(root.path(), "xvfb.log")),
        );
        let out = xvfb.child.as_mut().and_then(|c| c.stdout.take());
        let number = first_line(out, "Xvfb", &mut xvfb, &root.path().join("xvfb.log")).await;
        let display = format!(":{}", number.trim());

        // A private session bus (its own socket in the temporary folder), with the display in
        // its environment so services it activates (a notification daemon) can reach it.
        let dbus_bin = paths::system_tool("dbus-daemon", "apt-get install dbus-daemon dbus-x11");
        let mut dbus = Proc::spawn(
            "dbus-daemon",
            Command::new(dbus_bin)
                .args(["--session", "--nofork", "--nopidfile", "--print-address=1"])
                .arg(format!(
                    "--address=unix:path={}",
                    root.path().join("bus").display()
                ))
                .env("DISPLAY", &display)
                .env("XDG_DATA_HOME", &xdg_data)
                .env("XDG_CONFIG_HOME", &xdg_config)
                .env("XDG_CACHE_HOME", &xdg_cache)
                .env("XDG_RUNTIME_DIR", &runtime)
                .env_remove("WAYLAND_DISPLAY")
                .stdout(Stdio::piped())
                .stderr(log_file(root.path(), "dbus.log")),
        );
        let out = dbus.child.as_mut().and_then(|c| c.stdout.take());
        let bus_address = first_line(out, "dbus-daemon", &mut dbus, &root.path().join("dbus.log"))
            .await
            .trim()
            .to_owned();

        // tauri-driver; the app it starts inherits this environment.
        let tauri_driver = paths::tauri_driver();
        let webkit_driver = paths::webkit_webdriver();
        let driver_log = root.path().join("driver.log");
        let mut attempts = 0;
        let (driver, driver_port) = loop {
            attempts += 1;
            let (port, native_port) = (free_port(), free_port());
            let mut cmd = Command::new(&tauri_driver);
            cmd.arg("--port")
                .arg(port.to_string())
                .arg("--native-port")
                .arg(native_port.to_string())
                .arg("--native-driver")
                .arg(&webkit_driver);
            app_environment(&mut cmd, &display, &bus_address, root.path(), &data_dir)
                .stdout(log_file(root.path(), "driver.log"))
                .stderr(log_file(root.path(), "driver.log"));
            let mut driver = Proc::spawn("tauri-driver", &mut cmd);
            match wait_ready(&mut driver, port).await {
                Ok(()) => break (driver, port),
                // Most likely another process took one of the ports in between: try others.
                Err(why) if attempts < 3 => {
                    eprintln!("tauri-driver did not come up ({why}); trying other ports");
                    drop(driver);
                }
                Err(why) => panic!(
                    "tauri-driver did not come up: {why}\n--- driver log ---\n{}",
                    tail(&driver_log, 40)
                ),
            }
        };

        Desktop {
            driver,
            dbus,
            xvfb,
            name: name.to_owned(),
            display,
            bus_address,
            driver_port,
            data_dir,
            driver_log,
            root,
        }
    }

    /// The WebDriver endpoint (tauri-driver).
    pub fn driver_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.driver_port)
    }

    /// The app's `STREAMWATCH_DATA_DIR`.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The test's temporary folder (data, XDG folders, the bus socket, logs).
    pub fn temp_dir(&self) -> &Path {
        self.root.path()
    }

    /// The X display, e.g. `:99`.
    pub fn display(&self) -> &str {
        &self.display
    }

    /// The private session bus.
    pub fn bus_address(&self) -> &str {
        &self.bus_address
    }

    /// The last `lines` lines of tauri-driver's output, which includes the app's stderr.
    pub fn driver_log_tail(&self, lines: usize) -> String {
        tail(&self.driver_log, lines)
    }

    /// Whether tauri-driver still runs (with it, WebKitWebDriver).
    pub fn driver_exited(&mut self) -> Option<String> {
        self.driver.exited()
    }

    /// Starts the app directly on this desktop, as a person's desktop would (no WebDriver
    /// session), in its own process group, with `env` added; the caller stops it
    /// ([`crate::stop_group`]). The switches the app chooses for WebKit are removed first, as for
    /// the driver, unless `env` sets them.
    pub fn spawn_app(&self, env: &[(&str, &str)]) -> Child {
        let mut cmd = Command::new(paths::app_binary());
        app_environment(
            &mut cmd,
            self.display(),
            self.bus_address(),
            self.temp_dir(),
            self.data_dir(),
        )
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0);
        cmd.spawn().expect("the app starts")
    }

    /// The processes' ids, for diagnostics.
    pub fn pids(&self) -> String {
        format!(
            "Xvfb {:?}, dbus-daemon {:?}, tauri-driver {:?}",
            self.xvfb.pid(),
            self.dbus.pid(),
            self.driver.pid()
        )
    }
}

/// The environment the app runs with on a test's desktop (through the driver or started
/// directly): the desktop's display, bus and XDG folders under `root`, its data folder, and
/// none of the switches the app chooses for WebKit itself.
fn app_environment<'a>(
    cmd: &'a mut Command,
    display: &str,
    bus_address: &str,
    root: &Path,
    data_dir: &Path,
) -> &'a mut Command {
    cmd.env("DISPLAY", display)
        .env("DBUS_SESSION_BUS_ADDRESS", bus_address)
        .env("XDG_DATA_HOME", root.join("xdg-data"))
        .env("XDG_CONFIG_HOME", root.join("xdg-config"))
        .env("XDG_CACHE_HOME", root.join("xdg-cache"))
        .env("XDG_RUNTIME_DIR", root.join("xdg-runtime"))
        .env("STREAMWATCH_DATA_DIR", data_dir)
        // Any free port for the embedded demo server: tests run side by side, and a
        // developer's own Streamwatch may hold 8787.
        .env("STREAMWATCH_DEMO_PORT", "0")
        .env("GDK_BACKEND", "x11")
        .env("NO_AT_BRIDGE", "1")
        // The app chooses how WebKit draws (src-tauri/src/rendering.rs) and how its web process
        // collects (src-tauri/src/webview_gc.rs) unless the user did: a developer's own choice
        // must not leak into what is tested.
        .env_remove("WEBKIT_DISABLE_COMPOSITING_MODE")
        .env_remove("WEBKIT_FORCE_COMPOSITING_MODE")
        .env_remove("JSC_useGenerationalGC")
        .env_remove("WAYLAND_DISPLAY")
}

impl Drop for Desktop {
    fn drop(&mut self) {
        self.driver.stop();
        self.dbus.stop();
        self.xvfb.stop();
        // Keep the driver's log (with the app's stderr) next to the screenshots.
        if fs::metadata(&self.driver_log).is_ok_and(|m| m.len() > 0) {
            let dest = paths::artifacts_dir().join(format!("{}.driver.log", self.name));
            let _ = fs::copy(&self.driver_log, dest);
        }
    }
}

fn log_file(dir: &Path, name: &str) -> File {
    File::options()
        .create(true)
        .append(true)
        .open(dir.join(name))
        .expect("a log file in the temporary folder")
}

/// A port that was free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// The first line `proc` writes to `out`; the rest of its output is read and dropped.
async fn first_line(
    out: Option<impl Read + Send + 'static>,
    what: &str,
    proc: &mut Proc,
    log: &Path,
) -> String {
    let out = out.expect("stdout is piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(out);
        let mut line = String::new();
        let _ = reader.read_line(&mut line);
        let _ = tx.send(line);
        let _ = io::copy(&mut reader, &mut io::sink());
    });
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        match rx.try_recv() {
            Ok(line) if !line.trim().is_empty() => return line,
            Ok(_) | Err(mpsc::TryRecvError::Disconnected) => panic!(
                "{what} ended before saying where it listens ({})\n--- {what} log ---\n{}",
                proc.exited().unwrap_or_else(|| "still running".into()),
                tail(log, 20)
            ),
            Err(mpsc::TryRecvError::Empty) => {}
        }
        if Instant::now() > deadline {
            panic!(
                "{what} did not start within {START_TIMEOUT:?}\n--- {what} log ---\n{}",
                tail(log, 20)
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until tauri-driver answers `GET /status` with 200, which it does once the native
/// driver behind it runs too; or says why not.
async fn wait_ready(proc: &mut Proc, port: u16) -> Result<(), String> {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Some(status) = proc.exited() {
            return Err(format!("it exited: {status}"));
        }
        let last = match status_line(port) {
            Ok(line) if line.starts_with("HTTP/1.1 200") => return Ok(()),
            Ok(line) => line,
            Err(e) => e.to_string(),
        };
        if Instant::now() > deadline {
            return Err(format!(
                "GET /status on port {port} not answered with 200 within {START_TIMEOUT:?} \
                 (last: {last})"
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The status line of `GET /status` on a loopback port (a complete request, so the server does
/// not log a broken connection).
fn status_line(port: u16) -> io::Result<String> {
    let mut tcp = TcpStream::connect_timeout(
        &SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        Duration::from_millis(500),
    )?;
    tcp.set_read_timeout(Some(Duration::from_secs(2)))?;
    tcp.write_all(b"GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n")?;
    let mut reader = BufReader::new(tcp);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    // Read the rest of the head and the body, so the exchange ends cleanly.
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    Ok(line.trim().to_owned())
}

/// The last `lines` lines of a text file ("" if unreadable).
fn tail(path: &Path, lines: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
