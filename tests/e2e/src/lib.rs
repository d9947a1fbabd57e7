//! The harness of Streamwatch's end-to-end suite: the real desktop app, driven like a person
//! would drive it, against real SSE servers.
//!
//! Each test gets its own private desktop ([`Desktop`]): an Xvfb display, a D-Bus session bus
//! and a `tauri-driver` (which runs Debian's `WebKitWebDriver`), with throwaway XDG folders and
//! `STREAMWATCH_DATA_DIR`, so tests can run side by side and never touch the user's data or a
//! running Streamwatch. [`App`] opens a WebDriver session on it (which starts the app) and
//! offers what a test needs: clicks and typing through WebDriver, snapshots of what the window
//! shows, polling waits that say what they expected and what they saw, and screenshots.
//! [`Demo`] and [`RawSse`] are the servers the app talks to. [`NotificationWatch`] (dunst
//! plus a bus monitor of `Notify` calls) and [`TrayWatcher`] (a StatusNotifierWatcher that
//! reads the tray item's icon and dbusmenu) observe the desktop services on the test's bus.
//! [`file_chooser`] answers the system's save and open dialogs as a person would;
//! [`runs_panel`] reads a probe's Runs panel.
//!
//! Processes are owned by guards: each one runs in its own process group, gets SIGTERM if the
//! test process dies (`PR_SET_PDEATHSIG`), and its whole group is signalled when the guard is
//! dropped. Nothing is ever killed by name.

mod app;
mod desktop;
pub mod file_chooser;
mod history;
pub mod jsc_gc_log;
mod keyring;
pub mod memory_trend;
pub mod notifications;
mod paths;
pub mod process_stats;
mod processes;
pub mod runs_panel;
mod servers;
mod timing;
pub mod tray_watcher;
pub mod window_sizes;
pub mod x11_window;

pub use app::{App, DetailView, LogRow, SubItem};
pub use desktop::Desktop;
pub use history::{demo_n, stored_history, stored_subscription_exists};
pub use keyring::start_keyring;
pub use notifications::{screenshot_display, NotificationWatch, Notified};
pub use paths::{app_binary, artifacts_dir, repo_root};
pub use processes::{app_processes, stop_group, AppProcess};
pub use servers::{Demo, RawSse};
pub use timing::{COMMAND_TIMEOUT, POLL, WAIT};
pub use tray_watcher::{
    Colour, IconImage, ItemProps, MenuEntry, TrayItem, TrayWatcher, UpdateCounter,
};
