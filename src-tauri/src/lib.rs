//! Streamwatch's desktop shell: Tauri wiring around the engine and the app crate
//! ([`streamwatch_app_api`], which computes everything the windows are shown). Commands are
//! thin adapters ([`commands`]), one channel per window carries batched live updates (started
//! from [`state`]); the contract with the web UI is docs/app-contract.md.

pub mod alerts;
pub mod commands;
pub mod desktop_notify;
pub mod dnd;
pub mod first_show;
pub mod notifications;
pub mod prefs;
pub mod rendering;
pub mod state;
#[cfg(test)]
mod test_env;
pub mod tray;
pub mod webview_gc;
pub mod window;
pub mod window_geometry;

use dnd::DoNotDisturb;
use state::{AppState, StartOptions, StartupError};
use std::sync::atomic::{AtomicBool, Ordering};
use tauri::{Manager, RunEvent, Runtime, WindowEvent};
use window::{show_main_window, MAIN_WINDOW};

/// Given by the login item (start at login): start in the tray without showing the window.
pub const HIDDEN_ARG: &str = "--hidden";

/// Whether a tray icon is up: only then does closing the window hide it instead of quitting
/// (without a tray the hidden window could only come back through a second launch).
static TRAY_UP: AtomicBool = AtomicBool::new(false);

/// The app's context: tauri.conf.json at the repository root, with ui/dist embedded (or the
/// dev server's URL without the `custom-protocol` feature) and the resolved capabilities.
pub fn context<R: Runtime>() -> tauri::Context<R> {
    tauri::generate_context!("tauri.conf.json")
}

/// Builds and runs the app.
pub fn run() {
    // Before Tauri starts any thread or webview: WebKit reads it when it spawns the web process.
    rendering::choose_webview_rendering();
    webview_gc::choose_webview_collector();
    let app = tauri::Builder::default()
        // First: a second launch hands over to the running app and exits before it opens the
        // database.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            show_main_window(app);
        }))
        // Size, position and maximised state; not visibility: the window is shown by
        // `first_show` when its page is ready (or kept hidden when started at login).
        .plugin(window_geometry::plugin())
        .plugin(tauri_plugin_store::Builder::new().build())
        .plugin(tauri_plugin_notification::init())
        // The system's save / open dialogs for Export and Import.
        .plugin(tauri_plugin_dialog::init())
        .plugin(
            tauri_plugin_autostart::Builder::new()
                .args([HIDDEN_ARG])
                .build(),
        )
        .invoke_handler(commands::handler())
        .setup(|app| {
            // Before any window: the page asks for this store as soon as it loads.
            prefs::open(app.handle());
            let opened = StartOptions::from_env()
                .and_then(|opts| tauri::async_runtime::block_on(AppState::open(opts)));
            match opened {
                Ok(state) => {
                    let monitor = state.monitor.clone();
                    let board = state.health.clone();
                    app.manage(state);
                    let dnd = DoNotDisturb::load(app.handle());
                    let tray = match tray::Tray::create(app.handle()) {
                        Ok(t) => Some(t),
                        Err(e) => {
                            eprintln!("streamwatch: no tray icon ({e}); closing the window quits");
                            None
                        }
                    };
                    TRAY_UP.store(tray.is_some(), Ordering::Relaxed);
                    let views = app.state::<AppState>().added.subscribe();
                    alerts::spawn(app.handle().clone(), monitor, board, tray, &dnd, views);
                    app.manage(dnd);
                    // On the async runtime: each subscription is a task spawned there.
                    let state = app.state::<AppState>();
                    tauri::async_runtime::block_on(async { state.start_saved() })?;
                    state.watch_store();
                    let hidden = std::env::args().any(|a| a == HIDDEN_ARG);
                    let config = app
                        .config()
                        .app
                        .windows
                        .iter()
                        .find(|w| w.label == MAIN_WINDOW)
                        .cloned()
                        .ok_or("tauri.conf.json has no main window")?;
                    // Hidden until the page has drawn its first view (first_show.rs); armed
                    // first, so a page that is ready at once still finds it waiting.
                    first_show::arm(
                        app.handle(),
                        config.visible && !(hidden && TRAY_UP.load(Ordering::Relaxed)),
                    );
                    let window = tauri::WebviewWindowBuilder::from_config(app.handle(), &config)?
                        .visible(false)
                        .build()?;
                    // Where it was last, before its first show: no jump.
                    window_geometry::restore(&window);
                    window_geometry::track(&window);
                    Ok(())
                }
                Err(e) => {
                    startup_failed(app.handle().clone(), e);
                    Ok(())
                }
            }
        })
        .on_window_event(|window, event| match event {
            // The app keeps monitoring in the tray; Quit in the tray's menu really quits.
            WindowEvent::CloseRequested { api, .. }
                if window.label() == MAIN_WINDOW && TRAY_UP.load(Ordering::Relaxed) =>
            {
                api.prevent_close();
                if let Err(e) = window.hide() {
                    eprintln!("streamwatch: cannot hide the window: {e}");
                }
            }
            WindowEvent::Destroyed => {
                if let Some(state) = window.try_state::<AppState>() {
                    state.stop_bridge(window.label());
                }
            }
            _ => {}
        })
        .build(context())
        .expect("error while building the Streamwatch app");
    app.run(|handle, event| {
        if let RunEvent::Exit = event {
            if let Some(state) = handle.try_state::<AppState>() {
                tauri::async_runtime::block_on(state.shutdown());
            }
        }
    });
}

/// The data cannot be opened: say so, on stderr and in a native dialog naming the file, then
/// exit; never start empty over the user's data. No window is created. The dialog waits on its
/// own thread: on Linux rfd runs it through the main loop, which must not be blocked here.
fn startup_failed<R: Runtime>(app: tauri::AppHandle<R>, e: StartupError) {
    let mut text = e.message;
    if let Some(dir) = &e.data_dir {
        text.push_str(&format!("\n\nData folder: {}", dir.display()));
    }
    eprintln!("streamwatch: cannot start: {text}");
    std::thread::spawn(move || {
        rfd::MessageDialog::new()
            .set_level(rfd::MessageLevel::Error)
            .set_title("Streamwatch cannot start")
            .set_description(&text)
            .set_buttons(rfd::MessageButtons::Ok)
            .show();
        app.exit(1);
    });
}
