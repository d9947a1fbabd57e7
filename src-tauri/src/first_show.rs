//! The main window is created hidden and shown once the page has built its first view (the UI
//! calls `window_ready`), or after [`FALLBACK`] if the page never says so.
//!
//! Why: drawn without compositing (see [`crate::rendering`]), WebKitGTK's UI process blocks up
//! to 500 ms in its first paint waiting for the web process's first backing store. A window
//! shown before the web process is up spent that half second black, with the main loop (and so
//! the page's own loading) stalled: 2 of 10 cold starts took ~1.05 s to the first real frame
//! instead of ~0.55 s. Shown when the page is ready, the first paint is the page.

use crate::window::show_main_window;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tauri::{AppHandle, Runtime};

/// How long the window waits for the page before it is shown anyway (a page that failed to
/// load must still be seen, with whatever WebKit shows).
pub const FALLBACK: Duration = Duration::from_secs(3);

/// Whether a window still waits for its first show.
#[derive(Debug, Default)]
pub struct Pending(AtomicBool);

impl Pending {
    /// Nothing pending.
    pub const fn new() -> Pending {
        Pending(AtomicBool::new(false))
    }

    /// A window was created hidden: it waits for its first show when `show`.
    pub fn arm(&self, show: bool) {
        self.0.store(show, Ordering::SeqCst);
    }

    /// Whether to show it now: true once, for the first of the page and the fallback to ask.
    pub fn take(&self) -> bool {
        self.0.swap(false, Ordering::SeqCst)
    }
}

/// The main window's.
static PENDING: Pending = Pending::new();

/// Arms the first show for a window just created hidden: shown on [`page_ready`] or after
/// [`FALLBACK`]. `show` false (started at login into the tray) leaves it hidden.
pub fn arm<R: Runtime>(app: &AppHandle<R>, show: bool) {
    PENDING.arm(show);
    if !show {
        return;
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(FALLBACK).await;
        if show_if_pending(&app) {
            eprintln!(
                "streamwatch: the page did not say it was ready within {FALLBACK:?}; showing the window"
            );
        }
    });
}

/// The page has built its first view: show the window if it still waits. Later calls (a
/// reload) do nothing, so a window the user hid stays hidden.
pub fn page_ready<R: Runtime>(app: &AppHandle<R>) {
    show_if_pending(app);
}

/// Shows the main window if it waits for its first show; whether it did.
fn show_if_pending<R: Runtime>(app: &AppHandle<R>) -> bool {
    if !PENDING.take() {
        return false;
    }
    show_main_window(app);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_of_page_and_fallback_shows_the_window_and_only_once() {
        let p = Pending::new();
        p.arm(true);
        assert!(p.take(), "the page's ready shows it");
        assert!(
            !p.take(),
            "the fallback (or a reload's ready) does not show it again"
        );
    }

    #[test]
    fn a_window_started_into_the_tray_is_not_shown() {
        let p = Pending::new();
        p.arm(false);
        assert!(!p.take());
    }

    #[test]
    fn nothing_is_shown_before_the_window_exists() {
        assert!(!Pending::new().take());
    }
}
