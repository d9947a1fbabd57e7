//! The main window's size and place across launches. tauri-plugin-window-state keeps them (in
//! `.window-state.json` in the app's config folder); this module decides when they apply and
//! when they are written.
//!
//! - Restored right after the hidden window is built, before its first show (first_show.rs), so
//!   the window appears where it was, at its size, with no jump. The plugin's own restore would
//!   run later, queued on the main loop; it is skipped for the main window.
//! - A saved place on no current monitor (one unplugged since) is not kept: the plugin then
//!   leaves the window wherever the system put it, often a corner; it is centred on the primary
//!   monitor instead.
//! - Written to disk a moment after each move or resize and when the window is closed (hidden
//!   to the tray), not only when the app exits: a crash, a kill or a logout keeps the last
//!   place too. The plugin writes the file in place; a torn file is read as no saved state.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use tauri::plugin::TauriPlugin;
use tauri::{Manager, PhysicalPosition, Runtime, WebviewWindow, WindowEvent};
use tauri_plugin_window_state::{AppHandleExt, StateFlags, WindowExt};

use crate::window::MAIN_WINDOW;

/// How long after the last move or resize the state is written: a drag sends dozens of moves.
const SAVE_AFTER: Duration = Duration::from_millis(500);

/// What is kept: size, position, maximised (and the rest the plugin knows) but not visibility,
/// which `first_show` decides (hidden when started at login into the tray).
pub fn flags() -> StateFlags {
    StateFlags::all() - StateFlags::VISIBLE
}

/// The window-state plugin, with the main window's restore left to [`restore`].
pub fn plugin<R: Runtime>() -> TauriPlugin<R> {
    tauri_plugin_window_state::Builder::new()
        .with_state_flags(flags())
        .skip_initial_state(MAIN_WINDOW)
        .build()
}

/// A rectangle in physical pixels: a window's outer place and inner size, or a monitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct Rect {
    /// Left edge.
    pub x: i32,
    /// Top edge.
    pub y: i32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

impl Rect {
    fn contains(&self, (x, y): (i64, i64)) -> bool {
        let (left, top) = (i64::from(self.x), i64::from(self.y));
        x >= left
            && x < left + i64::from(self.width)
            && y >= top
            && y < top + i64::from(self.height)
    }

    /// Whether a corner of `self` lies on `monitor`: the plugin's own test of where a saved
    /// place may be restored, so the two never disagree.
    fn touches(&self, monitor: &Rect) -> bool {
        let (x, y) = (i64::from(self.x), i64::from(self.y));
        let (r, b) = (x + i64::from(self.width), y + i64::from(self.height));
        [(x, y), (r, y), (x, b), (r, b)]
            .into_iter()
            .any(|p| monitor.contains(p))
    }
}

/// Whether the saved window would be on none of `monitors`.
pub fn off_every_monitor(saved: &Rect, monitors: &[Rect]) -> bool {
    !monitors.iter().any(|m| saved.touches(m))
}

/// The top-left corner that centres a window of `width` × `height` on `monitor`; a window
/// larger than the monitor starts at its top-left corner, title bar on screen.
pub fn centred(width: u32, height: u32, monitor: &Rect) -> (i32, i32) {
    let offset = |room: u32, size: u32| i32::try_from(room.saturating_sub(size) / 2).unwrap_or(0);
    (
        monitor.x.saturating_add(offset(monitor.width, width)),
        monitor.y.saturating_add(offset(monitor.height, height)),
    )
}

/// The main window's saved place and size, if the plugin's file has them.
fn saved<R: Runtime>(app: &tauri::AppHandle<R>) -> Option<Rect> {
    let path = app.path().app_config_dir().ok()?.join(app.filename());
    let text = std::fs::read(path).ok()?;
    let mut all: HashMap<String, Rect> = serde_json::from_slice(&text).ok()?;
    all.remove(MAIN_WINDOW)
        .filter(|r| r.width > 0 && r.height > 0)
}

fn rect_of(m: &tauri::Monitor) -> Rect {
    Rect {
        x: m.position().x,
        y: m.position().y,
        width: m.size().width,
        height: m.size().height,
    }
}

/// Puts the hidden, just-built main window where it was last, at its size; centred on the
/// primary monitor when that place is on no monitor now. Best effort: a window that cannot be
/// placed still opens.
pub fn restore<R: Runtime>(window: &WebviewWindow<R>) {
    let saved = saved(window.app_handle());
    if let Err(e) = window.restore_state(flags()) {
        eprintln!("streamwatch: cannot restore the window's size and place: {e}");
    }
    let Some(saved) = saved else { return };
    let monitors: Vec<Rect> = window
        .available_monitors()
        .map(|ms| ms.iter().map(rect_of).collect())
        .unwrap_or_default();
    if monitors.is_empty() || !off_every_monitor(&saved, &monitors) {
        return;
    }
    let primary = window
        .primary_monitor()
        .ok()
        .flatten()
        .map(|m| rect_of(&m))
        .unwrap_or(monitors[0]);
    let (x, y) = centred(saved.width, saved.height, &primary);
    if let Err(e) = window.set_position(PhysicalPosition { x, y }) {
        eprintln!("streamwatch: cannot centre the window: {e}");
    }
}

/// Writes the window's size and place a moment after it stops moving or resizing, and at once
/// when it is closed.
pub fn track<R: Runtime>(window: &WebviewWindow<R>) {
    let app = window.app_handle().clone();
    // Each move or resize bumps it; a pending save writes only if none came after it.
    let generation = Arc::new(AtomicU64::new(0));
    window.on_window_event(move |event| match event {
        WindowEvent::Moved(_) | WindowEvent::Resized(_) => {
            let mine = generation.fetch_add(1, Ordering::SeqCst) + 1;
            let (app, generation) = (app.clone(), generation.clone());
            tauri::async_runtime::spawn(async move {
                tokio::time::sleep(SAVE_AFTER).await;
                if generation.load(Ordering::SeqCst) != mine {
                    return;
                }
                // On the main thread, never here: the plugin holds its lock while it asks the
                // main thread for the window's geometry, and the main thread's own window
                // events take that lock too; from a worker the two waited on each other and
                // the window froze (a resize never finished, seen in the e2e tests).
                let handle = app.clone();
                if let Err(e) = app.run_on_main_thread(move || save(&handle)) {
                    eprintln!("streamwatch: cannot save the window's size and place: {e}");
                }
            });
        }
        // Window events come on the main thread: saving here is safe.
        WindowEvent::CloseRequested { .. } => save(&app),
        _ => {}
    });
}

fn save<R: Runtime>(app: &tauri::AppHandle<R>) {
    if let Err(e) = app.save_window_state(flags()) {
        eprintln!("streamwatch: cannot save the window's size and place: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL_HD: Rect = Rect {
        x: 0,
        y: 0,
        width: 1920,
        height: 1080,
    };
    const RIGHT: Rect = Rect {
        x: 1920,
        y: 0,
        width: 2560,
        height: 1440,
    };

    fn window(x: i32, y: i32) -> Rect {
        Rect {
            x,
            y,
            width: 1200,
            height: 780,
        }
    }

    #[test]
    fn a_place_on_a_monitor_is_kept_even_partly_off_it() {
        assert!(!off_every_monitor(&window(100, 50), &[FULL_HD]));
        assert!(!off_every_monitor(&window(-1000, -500), &[FULL_HD]));
        assert!(!off_every_monitor(&window(2500, 300), &[FULL_HD, RIGHT]));
    }

    #[test]
    fn a_place_on_an_unplugged_monitor_is_off_every_monitor() {
        assert!(off_every_monitor(&window(2500, 300), &[FULL_HD]));
        assert!(off_every_monitor(&window(-5000, 0), &[FULL_HD]));
        assert!(off_every_monitor(&window(100, 4000), &[FULL_HD, RIGHT]));
        // Touching only the far edge (exclusive) is off.
        assert!(off_every_monitor(&window(1920, 0), &[FULL_HD]));
        // Extreme values neither overflow nor wrap round onto the screen.
        let huge = Rect {
            x: i32::MAX,
            y: i32::MAX,
            width: u32::MAX,
            height: u32::MAX,
        };
        assert!(off_every_monitor(&huge, &[FULL_HD]));
    }

    #[test]
    fn the_fallback_centres_on_the_primary_monitor() {
        assert_eq!(centred(1200, 780, &FULL_HD), (360, 150));
        assert_eq!(centred(1200, 780, &RIGHT), (1920 + 680, 330));
        assert_eq!(
            centred(3000, 2000, &FULL_HD),
            (0, 0),
            "too large: top-left, title bar on screen"
        );
    }
}
