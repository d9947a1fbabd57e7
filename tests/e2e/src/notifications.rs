//! Desktop notifications on a test's private session bus: a real notification daemon (dunst)
//! that shows them on the test's X display, and a bus monitor that records every
//! `org.freedesktop.Notifications.Notify` call, whoever answers it.
//!
//! The monitor is a separate connection that called `org.freedesktop.DBus.Monitoring.
//! BecomeMonitor` with a match rule for `Notify`: it sees the calls the app makes, with their
//! arguments, and cannot disturb them (a monitor may not send anything).

use std::collections::HashMap;
use std::fs::{self, File};
use std::io;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use tempfile::TempDir;
use zbus::zvariant::OwnedValue;

use crate::paths;
use crate::processes::stop_group;
use crate::timing::POLL;

/// The well-known name a notification daemon owns.
pub const NOTIFICATIONS_NAME: &str = "org.freedesktop.Notifications";

/// How long dunst gets to own [`NOTIFICATIONS_NAME`].
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// How long dunst keeps a notification on screen (a screenshot may be taken well after it
/// was sent); critical ones stay until closed.
const SHOW_SECONDS: u32 = 300;

/// One `org.freedesktop.Notifications.Notify` call, as seen on the bus.
#[derive(Clone, Debug)]
pub struct Notified {
    /// The sender's unique bus name (e.g. `:1.7`).
    pub sender: String,
    pub app_name: String,
    pub replaces_id: u32,
    pub app_icon: String,
    /// The title.
    pub summary: String,
    pub body: String,
    /// Action keys and labels, alternating, as sent.
    pub actions: Vec<String>,
    /// The `urgency` hint (0 low, 1 normal, 2 critical), when sent.
    pub urgency: Option<u8>,
    /// The `category` hint, when sent.
    pub category: Option<String>,
    /// Every hint's name (`urgency`, `desktop-entry`, `image-data`…).
    pub hint_names: Vec<String>,
    /// Milliseconds; -1 is the server's default, 0 never expires.
    pub expire_timeout: i32,
    /// When the monitor received it.
    pub at: SystemTime,
    /// How long after [`NotificationWatch::start`] it came.
    pub after: Duration,
}

impl Notified {
    /// One line for failure messages.
    pub fn describe(&self) -> String {
        format!(
            "[+{:.1}s] app={:?} summary={:?} body={:?} urgency={:?} from {}",
            self.after.as_secs_f64(),
            self.app_name,
            self.summary,
            self.body,
            self.urgency,
            self.sender
        )
    }
}

/// Records every `Notify` call on a bus; with [`NotificationWatch::start`], also runs dunst on
/// the display to show them.
///
/// Dropping it stops dunst and closes the monitor.
pub struct NotificationWatch {
    seen: Arc<Mutex<Vec<Notified>>>,
    monitor_error: Arc<Mutex<Option<String>>>,
    monitor: Option<zbus::blocking::Connection>,
    daemon: Option<Dunst>,
    display: Option<String>,
}

impl NotificationWatch {
    /// Starts recording `Notify` calls on `bus` (a D-Bus address, e.g. `unix:path=/tmp/…/bus`),
    /// then dunst on `display` (e.g. `:99`) as the notification daemon, and waits until dunst
    /// owns `org.freedesktop.Notifications`.
    ///
    /// Start it before the app sends anything: a notification sent while no daemon runs makes
    /// the bus start one by D-Bus activation (Debian's dunst, with its default settings), and
    /// then this dunst cannot own the name.
    pub fn start(bus: &str, display: &str) -> Result<NotificationWatch, String> {
        let mut watch = NotificationWatch::monitor_only(bus)?;
        watch.daemon = Some(Dunst::start(bus, display)?);
        watch.display = Some(display.to_owned());
        Ok(watch)
    }

    /// Only the recorder: no daemon is started (calls then fail unless something else owns
    /// `org.freedesktop.Notifications`, which the app sees as an error).
    pub fn monitor_only(bus: &str) -> Result<NotificationWatch, String> {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let monitor_error = Arc::new(Mutex::new(None));
        let conn = monitor_connection(bus)?;
        let reader = conn.clone();
        let (seen2, error2) = (Arc::clone(&seen), Arc::clone(&monitor_error));
        let started = Instant::now();
        std::thread::Builder::new()
            .name("notify-monitor".into())
            .spawn(move || record(reader, started, &seen2, &error2))
            .map_err(|e| format!("cannot start the monitor thread: {e}"))?;
        Ok(NotificationWatch {
            seen,
            monitor_error,
            monitor: Some(conn),
            daemon: None,
            display: None,
        })
    }

    /// Every `Notify` call so far, oldest first.
    pub fn seen(&self) -> Vec<Notified> {
        lock(&self.seen).clone()
    }

    /// How many `Notify` calls so far.
    pub fn count(&self) -> usize {
        lock(&self.seen).len()
    }

    /// The first notification (from the start) that satisfies `pred`, waiting up to `timeout`
    /// for it; the error lists everything seen.
    pub async fn wait_for(
        &self,
        what: &str,
        pred: impl Fn(&Notified) -> bool,
        timeout: Duration,
    ) -> Result<Notified, String> {
        self.wait_for_after(0, what, pred, timeout).await
    }

    /// Like [`wait_for`](Self::wait_for), but only among notifications after the first `skip`
    /// ones (take `count()` before the action that should notify).
    pub async fn wait_for_after(
        &self,
        skip: usize,
        what: &str,
        pred: impl Fn(&Notified) -> bool,
        timeout: Duration,
    ) -> Result<Notified, String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(n) = lock(&self.seen).iter().skip(skip).find(|n| pred(n)) {
                return Ok(n.clone());
            }
            if Instant::now() >= deadline {
                return Err(self.failure(&format!(
                    "no notification {what} within {timeout:?} (looking after the first {skip})"
                )));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits `during`, then fails if any notification after the first `skip` satisfies
    /// `pred` (for "no notification for a quick reconnect", "folded into one").
    pub async fn expect_none(
        &self,
        skip: usize,
        what: &str,
        pred: impl Fn(&Notified) -> bool,
        during: Duration,
    ) -> Result<(), String> {
        let deadline = Instant::now() + during;
        loop {
            if let Some(n) = lock(&self.seen).iter().skip(skip).find(|n| pred(n)) {
                return Err(
                    self.failure(&format!("unexpected notification {what}: {}", n.describe()))
                );
            }
            if Instant::now() >= deadline {
                return Ok(());
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Those after the first `skip` that satisfy `pred`.
    pub fn matching(&self, skip: usize, pred: impl Fn(&Notified) -> bool) -> Vec<Notified> {
        lock(&self.seen)
            .iter()
            .skip(skip)
            .filter(|n| pred(n))
            .cloned()
            .collect()
    }

    /// Whether a dunst notification window is mapped on the display now (via `xdotool
    /// search --onlyvisible --class Dunst`).
    pub fn popup_visible(&self) -> Result<bool, String> {
        let display = self
            .display
            .as_deref()
            .ok_or("no display: this watch runs no daemon")?;
        let xdotool =
            which("xdotool").ok_or("xdotool is not installed (apt-get install xdotool)")?;
        let out = Command::new(xdotool)
            .args(["search", "--onlyvisible", "--class", "Dunst"])
            .env("DISPLAY", display)
            .output()
            .map_err(|e| format!("cannot run xdotool: {e}"))?;
        Ok(out.status.success() && !out.stdout.trim_ascii().is_empty())
    }

    /// Waits until a dunst window is visible on the display.
    pub async fn wait_popup(&self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            if self.popup_visible()? {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(self.failure(&format!(
                    "no dunst window became visible within {timeout:?}"
                )));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The last lines of dunst's output (its errors), "" without a daemon.
    pub fn daemon_log_tail(&self, lines: usize) -> String {
        self.daemon
            .as_ref()
            .map(|d| tail(&d.log, lines))
            .unwrap_or_default()
    }

    fn failure(&self, what: &str) -> String {
        let seen = lock(&self.seen);
        let mut msg = format!("{what}\nseen ({}):", seen.len());
        if seen.is_empty() {
            msg.push_str(" none");
        }
        for n in seen.iter() {
            msg.push_str("\n  ");
            msg.push_str(&n.describe());
        }
        if let Some(e) = lock(&self.monitor_error).as_ref() {
            msg.push_str(&format!("\nthe monitor stopped: {e}"));
        }
        let log = self.daemon_log_tail(10);
        if !log.is_empty() {
            msg.push_str(&format!("\n--- dunst log ---\n{log}"));
        }
        msg
    }
}

impl Drop for NotificationWatch {
    fn drop(&mut self) {
        // Dunst first (its group), then the monitor connection, which ends the thread.
        self.daemon.take();
        if let Some(conn) = self.monitor.take() {
            let _ = conn.close();
        }
    }
}

/// A connection to `bus` that has become a monitor of `Notify` calls.
fn monitor_connection(bus: &str) -> Result<zbus::blocking::Connection, String> {
    let conn = zbus::blocking::connection::Builder::address(bus)
        .and_then(|b| b.build())
        .map_err(|e| format!("cannot connect to the bus {bus}: {e}"))?;
    let rule = zbus::MatchRule::builder()
        .msg_type(zbus::message::Type::MethodCall)
        .interface(NOTIFICATIONS_NAME)
        .and_then(|b| b.member("Notify"))
        .map(|b| b.build())
        .map_err(|e| format!("a match rule for Notify: {e}"))?;
    let monitoring = zbus::blocking::fdo::MonitoringProxy::new(&conn)
        .map_err(|e| format!("a proxy for org.freedesktop.DBus.Monitoring: {e}"))?;
    monitoring
        .become_monitor(&[rule], 0)
        .map_err(|e| format!("BecomeMonitor on {bus} failed: {e}"))?;
    Ok(conn)
}

/// Records `Notify` calls from `conn` until it closes.
fn record(
    conn: zbus::blocking::Connection,
    started: Instant,
    seen: &Mutex<Vec<Notified>>,
    error: &Mutex<Option<String>>,
) {
    for msg in zbus::blocking::MessageIterator::from(&conn) {
        let msg = match msg {
            Ok(m) => m,
            Err(e) => {
                *lock(error) = Some(format!("reading from the bus: {e}"));
                return;
            }
        };
        let header = msg.header();
        let is_notify = header.message_type() == zbus::message::Type::MethodCall
            && header.interface().is_some_and(|i| i == NOTIFICATIONS_NAME)
            && header.member().is_some_and(|m| m == "Notify");
        if !is_notify {
            continue;
        }
        let sender = header
            .sender()
            .map(|s| s.to_string())
            .unwrap_or_else(|| "?".into());
        type Args = (
            String,
            u32,
            String,
            String,
            String,
            Vec<String>,
            HashMap<String, OwnedValue>,
            i32,
        );
        match msg.body().deserialize::<Args>() {
            Ok((app_name, replaces_id, app_icon, summary, body, actions, hints, expire)) => {
                let urgency = hints.get("urgency").and_then(|v| u8::try_from(v).ok());
                let category = hints
                    .get("category")
                    .and_then(|v| <&str>::try_from(v).ok())
                    .map(str::to_owned);
                let mut hint_names: Vec<String> = hints.keys().cloned().collect();
                hint_names.sort();
                lock(seen).push(Notified {
                    sender,
                    app_name,
                    replaces_id,
                    app_icon,
                    summary,
                    body,
                    actions,
                    urgency,
                    category,
                    hint_names,
                    expire_timeout: expire,
                    at: SystemTime::now(),
                    after: started.elapsed(),
                });
            }
            Err(e) => {
                // Not fatal: record that a malformed call was made, so a test sees it.
                *lock(error) = Some(format!(
                    "a Notify call from {sender} had unexpected arguments: {e}"
                ));
            }
        }
    }
    *lock(error) = Some("the monitor connection closed".into());
}

/// dunst, showing notifications on one display for [`SHOW_SECONDS`], owned by this guard.
struct Dunst {
    child: Option<Child>,
    log: PathBuf,
    _dir: TempDir,
}

impl Dunst {
    fn start(bus: &str, display: &str) -> Result<Dunst, String> {
        let bin = which("dunst").ok_or("dunst is not installed (apt-get install dunst)")?;
        let dir = tempfile::Builder::new()
            .prefix("streamwatch-dunst-")
            .tempdir()
            .map_err(|e| format!("a temporary folder for dunst: {e}"))?;
        let config = dir.path().join("dunstrc");
        fs::write(&config, dunstrc()).map_err(|e| format!("writing {}: {e}", config.display()))?;
        let log = dir.path().join("dunst.log");
        let log_file = |what| {
            File::options()
                .create(true)
                .append(true)
                .open(&log)
                .map_err(|e| format!("dunst's {what} log: {e}"))
        };

        // Whoever owns the name now would keep it: say so instead of a confusing dunst error.
        let conn = zbus::blocking::connection::Builder::address(bus)
            .and_then(|b| b.build())
            .map_err(|e| format!("cannot connect to the bus {bus}: {e}"))?;
        let dbus = zbus::blocking::fdo::DBusProxy::new(&conn)
            .map_err(|e| format!("a proxy for org.freedesktop.DBus: {e}"))?;
        if let Some(owner) = name_owner(&dbus) {
            return Err(format!(
                "{NOTIFICATIONS_NAME} is already owned on {bus} (by {owner}, pid {:?}); start \
                 the NotificationWatch before anything sends a notification (the bus would \
                 otherwise activate a daemon itself)",
                owner_pid(&dbus, &owner)
            ));
        }

        let mut cmd = Command::new(bin);
        cmd.arg("-config")
            .arg(&config)
            .env("DISPLAY", display)
            .env("DBUS_SESSION_BUS_ADDRESS", bus)
            // No drop-ins from the user's own configuration.
            .env("XDG_CONFIG_HOME", dir.path())
            .env_remove("WAYLAND_DISPLAY")
            .stdin(Stdio::null())
            .stdout(log_file("stdout")?)
            .stderr(log_file("stderr")?);
        let child = spawn_guarded(&mut cmd).map_err(|e| format!("cannot start dunst: {e}"))?;
        let mut dunst = Dunst {
            child: Some(child),
            log,
            _dir: dir,
        };

        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(owner) = name_owner(&dbus) {
                let pid = owner_pid(&dbus, &owner);
                let ours = dunst.child.as_ref().map(Child::id);
                if pid.is_some() && pid == ours {
                    return Ok(dunst);
                }
                return Err(format!(
                    "{NOTIFICATIONS_NAME} was taken by {owner} (pid {pid:?}), not by the dunst \
                     started here (pid {ours:?})\n--- dunst log ---\n{}",
                    tail(&dunst.log, 20)
                ));
            }
            if let Some(status) = dunst
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                return Err(format!(
                    "dunst exited ({status}) before owning {NOTIFICATIONS_NAME}\n--- dunst log \
                     ---\n{}",
                    tail(&dunst.log, 20)
                ));
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "dunst did not own {NOTIFICATIONS_NAME} within {START_TIMEOUT:?}\n--- dunst \
                     log ---\n{}",
                    tail(&dunst.log, 20)
                ));
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}

impl Drop for Dunst {
    fn drop(&mut self) {
        if let Some(child) = self.child.take() {
            stop_group(child, Duration::from_secs(3));
        }
    }
}

fn name_owner(dbus: &zbus::blocking::fdo::DBusProxy<'_>) -> Option<String> {
    let name = zbus::names::BusName::try_from(NOTIFICATIONS_NAME).ok()?;
    dbus.get_name_owner(name).ok().map(|o| o.to_string())
}

fn owner_pid(dbus: &zbus::blocking::fdo::DBusProxy<'_>, owner: &str) -> Option<u32> {
    let name = zbus::names::BusName::try_from(owner).ok()?;
    dbus.get_connection_unix_process_id(name).ok()
}

/// A dunst configuration for tests: large, readable, on screen for [`SHOW_SECONDS`], never
/// hidden for idleness (Xvfb has no user input), every notification shown (no stacking of
/// duplicates, no limit).
fn dunstrc() -> String {
    let t = SHOW_SECONDS;
    format!(
        r##"[global]
    monitor = 0
    follow = none
    width = 460
    height = 300
    origin = top-right
    offset = 16x16
    notification_limit = 0
    indicate_hidden = yes
    stack_duplicates = false
    hide_duplicate_count = false
    show_age_threshold = -1
    idle_threshold = 0
    sticky_history = yes
    history_length = 100
    font = DejaVu Sans 11
    markup = full
    format = "<b>%s</b>\n%b\n<small>%a</small>"
    alignment = left
    word_wrap = yes
    ellipsize = end
    padding = 10
    horizontal_padding = 12
    frame_width = 2
    separator_height = 2
    gap_size = 6
    corner_radius = 0
    show_indicators = no
    # Drawn, so a screenshot shows which icon a notification carried.
    icon_position = left
    min_icon_size = 32
    max_icon_size = 48
    mouse_left_click = none
    mouse_middle_click = none
    mouse_right_click = none

[urgency_low]
    background = "#263238"
    foreground = "#eceff1"
    frame_color = "#78909c"
    timeout = {t}

[urgency_normal]
    background = "#1e2a38"
    foreground = "#ffffff"
    frame_color = "#4fc3f7"
    timeout = {t}

[urgency_critical]
    background = "#5d1010"
    foreground = "#ffffff"
    frame_color = "#ff5252"
    timeout = 0
"##
    )
}

/// Takes a screenshot of the whole X `display` (with any notification popups, which a
/// WebDriver screenshot of the app's page does not show) into the artifacts folder as
/// `<name>.png`, with ImageMagick's `import`.
pub fn screenshot_display(display: &str, name: &str) -> Result<PathBuf, String> {
    let import =
        which("import").ok_or("ImageMagick's `import` is missing (apt-get install imagemagick)")?;
    let path = paths::artifacts_dir().join(format!("{name}.png"));
    let out = Command::new(import)
        .args(["-display", display, "-window", "root"])
        .arg(&path)
        .output()
        .map_err(|e| format!("cannot run import: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "import -display {display} -window root failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(path)
}

/// Spawns `cmd` leading its own process group, with SIGTERM when the test process dies.
pub(crate) fn spawn_guarded(cmd: &mut Command) -> io::Result<Child> {
    cmd.process_group(0);
    // SAFETY: the closure only calls async-signal-safe functions (prctl, getppid, kill).
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                return Err(io::Error::last_os_error());
            }
            if libc::getppid() == 1 {
                libc::kill(libc::getpid(), libc::SIGTERM);
            }
            Ok(())
        });
    }
    cmd.spawn()
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

fn tail(path: &Path, lines: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
