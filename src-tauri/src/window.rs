//! The main window: its label and how it is brought to the front. Its own module because the
//! app's setup, the tray, the first show and a second launch all reach for it.

use tauri::{Manager, Runtime};

/// The label of the main window (tauri.conf.json; the capability grants it our commands).
pub const MAIN_WINDOW: &str = "main";

/// Shows, unminimises and focuses the main window.
pub fn show_main_window<R: Runtime>(app: &tauri::AppHandle<R>) {
    if let Some(w) = app.get_webview_window(MAIN_WINDOW) {
        // Best effort: a window manager that refuses one of these still gets the others.
        let _ = w.unminimize();
        let _ = w.show();
        let _ = w.set_focus();
    }
}
