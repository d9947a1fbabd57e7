//! The UI preferences store (tauri-plugin-store), opened by the shell so the page never names
//! a file: the store plugin's `load` takes any path (absolute, or `../` out of the app's data
//! folder) and would let a compromised page write JSON anywhere the user can. The page gets
//! this one store with `getStore(PREFS_FILE)` and may only get and set keys in it.

use std::time::Duration;

use tauri::{AppHandle, Runtime};

/// The preferences file, relative to the app's data folder; `ui/src/lib/prefs.svelte.ts`
/// asks for the same name.
pub const PREFS_FILE: &str = "prefs.json";

/// Debounce for saving: dragging a splitter must not write the file 60 times a second.
const AUTO_SAVE: Duration = Duration::from_millis(400);

/// Opens (or creates) the preferences store. A failure is reported and the page falls back to
/// defaults: preferences are a comfort, not a reason to refuse to start.
pub fn open<R: Runtime>(app: &AppHandle<R>) {
    if let Err(e) = tauri_plugin_store::StoreBuilder::new(app, PREFS_FILE)
        .auto_save(AUTO_SAVE)
        .build()
    {
        eprintln!("streamwatch: UI preferences unavailable ({e}); using defaults");
    }
}
