//! The window remembers its size and place: moved and resized, quit from the tray, started
//! again on the same desktop with the same data, it opens where it was, at its size, and is
//! never shown anywhere else first. A place saved on a monitor that is gone (one unplugged
//! since) opens centred on the primary monitor instead. Xvfb has no window manager: xdotool
//! moves and resizes the window as a person would with one.

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use streamwatch_e2e::x11_window::{find_window, geometry};
use streamwatch_e2e::{screenshot_display, App, Desktop, TrayWatcher, WAIT};

const TITLE: &str = "Streamwatch";
/// The display is 1920×1080 (desktop.rs).
const SCREEN: (u32, u32) = (1920, 1080);
/// How far a restored place may be off: a few pixels of rounding, no more.
const SLACK: i64 = 4;

type Geometry = (i32, i32, u32, u32);

/// Records every geometry the window is shown with, from before it exists until stopped.
struct ShownWatch {
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<Vec<Geometry>>>,
    thread: Option<JoinHandle<()>>,
}

impl ShownWatch {
    fn start(display: &str) -> ShownWatch {
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (s, v, display) = (stop.clone(), seen.clone(), display.to_owned());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::SeqCst) {
                if let Some(g) =
                    find_window(&display, TITLE, true).and_then(|w| geometry(&display, &w))
                {
                    let mut v = v.lock().unwrap_or_else(|p| p.into_inner());
                    if v.last() != Some(&g) {
                        v.push(g);
                    }
                }
                std::thread::sleep(Duration::from_millis(15));
            }
        });
        ShownWatch {
            stop,
            seen,
            thread: Some(thread),
        }
    }

    /// Every distinct geometry the window was shown with, in order.
    fn finish(mut self) -> Vec<Geometry> {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let v = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        v.clone()
    }
}

fn near(a: Geometry, b: Geometry) -> bool {
    (i64::from(a.0) - i64::from(b.0)).abs() <= SLACK
        && (i64::from(a.1) - i64::from(b.1)).abs() <= SLACK
        && (i64::from(a.2) - i64::from(b.2)).abs() <= SLACK
        && (i64::from(a.3) - i64::from(b.3)).abs() <= SLACK
}

/// The app's main window, shown.
async fn main_window(app: &App) -> String {
    let display = app.desktop().display().to_owned();
    app.wait_for("the main window shown on the display", async || {
        find_window(&display, TITLE, true).ok_or_else(|| "not shown".to_owned())
    })
    .await
}

async fn wait_geometry(app: &App, window: &str, want: Geometry) -> Geometry {
    let display = app.desktop().display().to_owned();
    app.wait_for(
        &format!("the window at {want:?}"),
        async || match geometry(&display, window) {
            Some(g) if near(g, want) => Ok(g),
            other => Err(format!("{other:?}")),
        },
    )
    .await
}

fn xdotool(display: &str, args: &[&str]) {
    let out = Command::new("xdotool")
        .args(args)
        .env("DISPLAY", display)
        .output()
        .unwrap_or_else(|e| panic!("cannot run xdotool (apt-get install xdotool): {e}"));
    assert!(out.status.success(), "xdotool {args:?}: {out:?}");
}

fn decimal(window: &str) -> String {
    u64::from_str_radix(window.trim_start_matches("0x"), 16)
        .unwrap_or_else(|e| panic!("window id {window:?}: {e}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_comes_back_at_its_size_and_place() {
    let desktop = Desktop::start("window-state").await;
    let tray = TrayWatcher::start(desktop.bus_address())
        .await
        .expect("the StatusNotifierWatcher is on the bus");
    let app = App::launch_on(desktop, "window-state").await;
    let item = tray.wait_item(WAIT).await.expect("the app's tray item");
    let display = app.desktop().display().to_owned();
    let window = main_window(&app).await;
    let first = geometry(&display, &window).expect("its geometry");
    let want: Geometry = (150, 90, 900, 600);
    assert!(
        !near(first, want),
        "the test must move it somewhere new: {first:?}"
    );
    let id = decimal(&window);
    xdotool(&display, &["windowsize", &id, "900", "600"]);
    xdotool(&display, &["windowmove", &id, "150", "90"]);
    wait_geometry(&app, &window, want).await;
    // The page follows the new size.
    app.wait_for("the page at 900×600", async || {
        let v = app
            .js("return [window.innerWidth, window.innerHeight];")
            .await;
        if v == serde_json::json!([900, 600]) {
            Ok(())
        } else {
            Err(v.to_string())
        }
    })
    .await;

    // Written a moment after the move, not only at exit: a crash or a kill keeps it too.
    let state = app
        .desktop()
        .temp_dir()
        .join("xdg-config/dev.streamwatch.monitor/.window-state.json");
    app.wait_for(
        "the new size and place saved to disk while running",
        async || {
            let text = std::fs::read_to_string(&state).map_err(|e| e.to_string())?;
            let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
            let m = &v["main"];
            let saved = (
                m["x"].as_i64(),
                m["y"].as_i64(),
                m["width"].as_u64(),
                m["height"].as_u64(),
            );
            if saved == (Some(150), Some(90), Some(900), Some(600)) {
                Ok(())
            } else {
                Err(text)
            }
        },
    )
    .await;

    // Quit from the tray, as a person does: the app exits on its own.
    item.click("Quit Streamwatch")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    tray.wait_no_item(WAIT)
        .await
        .unwrap_or_else(|e| panic!("the app quits: {e}"));
    let desktop = app.quit().await;
    let text = std::fs::read_to_string(&state)
        .unwrap_or_else(|e| panic!("the state file {}: {e}", state.display()));
    eprintln!("saved: {text}");

    let watch = ShownWatch::start(desktop.display());
    let app = App::launch_on(desktop, "window-state-again").await;
    let window = main_window(&app).await;
    let again = wait_geometry(&app, &window, want).await;
    // Give a late jump (a restore after the first show) time to happen, then look back.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let shown = watch.finish();
    let shot = screenshot_display(app.desktop().display(), "window-state-restored")
        .unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "restored at {again:?}; shown as {shown:?}; {}",
        shot.display()
    );
    assert!(
        !shown.is_empty() && shown.iter().all(|g| near(*g, want)),
        "shown only at the restored size and place, never elsewhere first: {shown:?}"
    );
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_place_on_no_monitor_opens_centred_on_the_primary() {
    let desktop = Desktop::start("window-state-off-screen").await;
    let dir = desktop
        .temp_dir()
        .join("xdg-config/dev.streamwatch.monitor");
    std::fs::create_dir_all(&dir).expect("the config folder");
    // Saved on a monitor to the right that is gone now.
    let saved = serde_json::json!({
        "main": {
            "width": 1000, "height": 700, "x": 2600, "y": 200, "prev_x": 2600, "prev_y": 200,
            "maximized": false, "visible": true, "decorated": true, "fullscreen": false
        }
    });
    std::fs::write(dir.join(".window-state.json"), saved.to_string()).expect("the state file");
    let watch = ShownWatch::start(desktop.display());
    let app = App::launch_on(desktop, "window-state-off-screen").await;
    let window = main_window(&app).await;
    let want: Geometry = (
        ((SCREEN.0 - 1000) / 2) as i32,
        ((SCREEN.1 - 700) / 2) as i32,
        1000,
        700,
    );
    let got = wait_geometry(&app, &window, want).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let shown = watch.finish();
    let shot = screenshot_display(app.desktop().display(), "window-state-centred")
        .unwrap_or_else(|e| panic!("{e}"));
    eprintln!("centred at {got:?}; shown as {shown:?}; {}", shot.display());
    assert!(
        shown.iter().all(|g| near(*g, want)),
        "shown centred from the start: {shown:?}"
    );
    app.close().await;
}
