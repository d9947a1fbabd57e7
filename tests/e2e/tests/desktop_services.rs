//! The harness's desktop-service observers, proved against real programs on a private bus and
//! display: [`NotificationWatch`] against `notify-send` and dunst, [`TrayWatcher`] against
//! `sw-tray-demo` (tray-icon on libayatana-appindicator, like the app's tray).
//!
//! These do not start the app: each test runs only Xvfb, a dbus-daemon and the programs above.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use streamwatch_e2e::{
    screenshot_display, stop_group, Colour, NotificationWatch, TrayWatcher, WAIT,
};

/// Xvfb and a session bus, nothing else; both stopped (their process groups) when dropped.
struct BareSession {
    dbus: Guard,
    xvfb: Guard,
    display: String,
    bus: String,
    dir: tempfile::TempDir,
}

struct Guard(Option<Child>);

impl Guard {
    fn spawn(what: &str, cmd: &mut Command) -> Guard {
        cmd.stdin(Stdio::null()).process_group(0);
        // SAFETY: prctl/getppid/kill are async-signal-safe.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                if libc::getppid() == 1 {
                    libc::kill(libc::getpid(), libc::SIGTERM);
                }
                Ok(())
            });
        }
        Guard(Some(
            cmd.spawn()
                .unwrap_or_else(|e| panic!("cannot start {what}: {e}")),
        ))
    }

    /// The first line the process writes on its (piped) stdout.
    fn first_line(&mut self, what: &str) -> String {
        let out = self
            .0
            .as_mut()
            .and_then(|c| c.stdout.take())
            .expect("stdout is piped");
        let mut line = String::new();
        let mut reader = BufReader::new(out);
        reader
            .read_line(&mut line)
            .unwrap_or_else(|e| panic!("reading {what}'s stdout: {e}"));
        assert!(
            !line.trim().is_empty(),
            "{what} ended without saying where it is"
        );
        // Keep draining, so the process never blocks on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
        line.trim().to_owned()
    }
}

impl Guard {
    /// Stops its process group ([`stop_group`], 3 s of grace).
    fn stop(&mut self) {
        if let Some(child) = self.0.take() {
            stop_group(child, Duration::from_secs(3));
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.stop();
    }
}

impl BareSession {
    fn start() -> BareSession {
        let dir = tempfile::Builder::new()
            .prefix("streamwatch-e2e-services-")
            .tempdir()
            .expect("a temporary folder");
        let mut xvfb = Guard::spawn(
            "Xvfb (apt-get install xvfb)",
            Command::new("Xvfb")
                .args(["-displayfd", "1", "-screen", "0", "1280x800x24"])
                .args(["-nolisten", "tcp", "-noreset"])
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
        );
        let display = format!(":{}", xvfb.first_line("Xvfb"));
        let runtime = dir.path().join("runtime");
        std::fs::create_dir_all(&runtime).expect("XDG_RUNTIME_DIR");
        let mut dbus = Guard::spawn(
            "dbus-daemon (apt-get install dbus-daemon)",
            Command::new("dbus-daemon")
                .args(["--session", "--nofork", "--nopidfile", "--print-address=1"])
                .arg(format!(
                    "--address=unix:path={}",
                    dir.path().join("bus").display()
                ))
                .env("DISPLAY", &display)
                .env("XDG_RUNTIME_DIR", &runtime)
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
        );
        let bus = dbus.first_line("dbus-daemon");
        BareSession {
            dbus,
            xvfb,
            display,
            bus,
            dir,
        }
    }

    /// A command with this session's display, bus and runtime folder.
    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.env("DISPLAY", &self.display)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus)
            .env("XDG_RUNTIME_DIR", self.dir.path().join("runtime"))
            .env("GDK_BACKEND", "x11")
            .env("NO_AT_BRIDGE", "1")
            .env_remove("WAYLAND_DISPLAY");
        cmd
    }
}

impl Drop for BareSession {
    fn drop(&mut self) {
        // The bus before the display (explicit, whatever the field order).
        self.dbus.stop();
        self.xvfb.stop();
    }
}

fn notify_send(session: &BareSession, args: &[&str]) {
    let out = session
        .command("notify-send")
        .args(args)
        .output()
        .expect("notify-send runs (apt-get install libnotify-bin)");
    assert!(
        out.status.success(),
        "notify-send {args:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn notify_send_is_recorded_and_dunst_shows_it() {
    let session = BareSession::start();
    let watch =
        NotificationWatch::start(&session.bus, &session.display).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(watch.count(), 0);

    notify_send(
        &session,
        &[
            "--app-name=Streamwatch",
            "Demo stream is down",
            "No connection for 10 s (retrying 3)",
        ],
    );
    let n = watch
        .wait_for(
            "titled \"Demo stream is down\"",
            |n| n.summary == "Demo stream is down",
            WAIT,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(n.app_name, "Streamwatch");
    assert_eq!(n.body, "No connection for 10 s (retrying 3)");
    assert_eq!(
        n.urgency,
        Some(1),
        "notify-send sends urgency normal by default"
    );

    // A critical one, and the watch's filters: only what came after the first.
    let before = watch.count();
    notify_send(
        &session,
        &[
            "--app-name=Streamwatch",
            "--urgency=critical",
            "Orders gave up",
            "retries-failed after 10 attempts",
        ],
    );
    let n = watch
        .wait_for_after(before, "critical", |n| n.urgency == Some(2), WAIT)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(n.summary, "Orders gave up");
    watch
        .expect_none(
            before,
            "titled like the first",
            |n| n.summary == "Demo stream is down",
            Duration::from_millis(300),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    // A miss says what was seen.
    let err = watch
        .wait_for(
            "never",
            |n| n.summary == "no such",
            Duration::from_millis(200),
        )
        .await
        .expect_err("nothing is titled \"no such\"");
    assert!(
        err.contains("Demo stream is down") && err.contains("Orders gave up"),
        "the failure lists what was seen: {err}"
    );

    watch
        .wait_popup(WAIT)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // Let dunst paint both.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let shot =
        screenshot_display(&session.display, "services-dunst").unwrap_or_else(|e| panic!("{e}"));
    eprintln!("screenshot: {}", shot.display());
    assert_eq!(watch.seen().len(), 2, "seen: {:?}", watch.seen());
}

/// `sw-tray-demo`, its stdout lines collected.
struct TrayDemo {
    _guard: Guard,
    lines: Arc<Mutex<Vec<String>>>,
}

impl TrayDemo {
    fn start(session: &BareSession) -> TrayDemo {
        let icons = session.dir.path().join("tray-icons");
        let mut guard = Guard::spawn(
            "sw-tray-demo",
            session
                .command(env!("CARGO_BIN_EXE_sw-tray-demo"))
                .env("SW_TRAY_DIR", &icons)
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit()),
        );
        let out = guard
            .0
            .as_mut()
            .and_then(|c| c.stdout.take())
            .expect("piped");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                sink.lock().expect("lines").push(line);
            }
        });
        TrayDemo {
            _guard: guard,
            lines,
        }
    }

    async fn wait_line(&self, line: &str) {
        let deadline = Instant::now() + WAIT;
        while !self.lines.lock().expect("lines").iter().any(|l| l == line) {
            assert!(
                Instant::now() < deadline,
                "sw-tray-demo never printed {line:?}; it printed {:?}",
                self.lines.lock().expect("lines")
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

#[tokio::test]
async fn tray_watcher_reads_and_drives_a_real_appindicator() {
    let session = BareSession::start();
    let watcher = TrayWatcher::start(&session.bus)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let demo = TrayDemo::start(&session);

    let item = watcher
        .wait_item(WAIT)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    eprintln!("watcher log: {:#?}", watcher.log());
    let props = item.props().await.unwrap_or_else(|e| panic!("{e}"));
    eprintln!("item {:?}: {props:#?}", item.addr());
    assert_eq!(props.status, "Active");
    assert!(props.menu.is_some(), "the item has a menu: {props:?}");
    assert!(
        props.icon_name.ends_with(".png"),
        "tray-icon names its icon by a PNG path: {props:?}"
    );

    let menu = item.menu().await.unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "menu:\n{}",
        streamwatch_e2e::tray_watcher::describe_menu(&menu)
    );
    assert_eq!(
        watcher
            .menu_labels()
            .await
            .unwrap_or_else(|e| panic!("{e}")),
        [
            "3 open · 0 retrying · 0 failed",
            "Next state",
            "Pause all",
            "Do not disturb",
            "Quit"
        ]
    );
    assert!(!menu[0].enabled, "the status line is disabled: {menu:?}");
    let dnd = menu
        .iter()
        .find(|e| e.label == "Do not disturb")
        .expect("listed");
    assert_eq!(dnd.checked(), Some(false));
    assert!(
        menu.iter().any(|e| e.is_separator()),
        "a separator: {menu:?}"
    );

    let updates = item.count_updates().await.unwrap_or_else(|e| panic!("{e}"));
    let icon = item.icon().await.unwrap_or_else(|e| panic!("{e}"));
    eprintln!("icon: {}", icon.summary());
    assert_eq!(icon.colour(), Colour::Green, "{}", icon.summary());

    // Each state through the menu: icon and status line follow.
    for (colour, line) in [
        (Colour::Amber, "2 open · 1 retrying · 0 failed"),
        (Colour::Red, "2 open · 0 retrying · 1 failed"),
    ] {
        watcher
            .click("Next state")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        item.wait_icon_colour(colour, WAIT)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        item.wait_menu(line, |m| m.first().is_some_and(|e| e.label == line), WAIT)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    watcher
        .click("Pause")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    demo.wait_line("clicked pause").await;
    let icon = item
        .wait_icon_colour(Colour::Grey, WAIT)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    eprintln!("paused icon: {}", icon.summary());
    let menu = item
        .wait_menu(
            "Pause all disabled",
            |m| m.iter().any(|e| e.label == "Pause all" && !e.enabled),
            WAIT,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(menu[0].label, "all paused");
    let err = watcher
        .click("Pause all")
        .await
        .expect_err("disabled entries are not clicked");
    assert!(err.contains("Pause all [disabled]"), "{err}");

    watcher
        .click("Do not disturb")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    item.wait_menu(
        "Do not disturb checked",
        |m| {
            m.iter()
                .any(|e| e.label == "Do not disturb" && e.checked() == Some(true))
        },
        WAIT,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        watcher
            .icon_colour()
            .await
            .unwrap_or_else(|e| panic!("{e}")),
        Colour::Grey
    );

    // Three icon changes (amber, red, grey), and menu updates, each seen as signals.
    eprintln!("update signals: {:?}", updates.events());
    assert_eq!(updates.count("NewIcon"), 3, "{:?}", updates.events());
    assert!(
        updates.count("ItemsPropertiesUpdated") + updates.count("LayoutUpdated") >= 3,
        "menu updates are signalled: {:?}",
        updates.events()
    );
    assert!(updates.max_in_window("NewIcon", Duration::from_secs(1)) >= 1);

    watcher
        .click("Quit")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    demo.wait_line("quit").await;
    watcher
        .wait_no_item(WAIT)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    eprintln!("watcher log: {:#?}", watcher.log());
}

/// An indicator started before any watcher registers once one appears (the app may start
/// before the test's watcher).
#[tokio::test]
async fn tray_item_registers_with_a_watcher_that_comes_later() {
    let session = BareSession::start();
    let demo = TrayDemo::start(&session);
    demo.wait_line("state green").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let watcher = TrayWatcher::start(&session.bus)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let item = watcher
        .wait_item(WAIT)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        item.icon_colour().await.unwrap_or_else(|e| panic!("{e}")),
        Colour::Green
    );
    eprintln!("watcher log: {:#?}", watcher.log());
}
