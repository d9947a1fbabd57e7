//! Do Not Disturb: one switch shared by the commands, the tray menu and the alert loop, saved
//! in the app's settings store (tauri-plugin-store) so it survives a restart.

use tauri::{AppHandle, Runtime};
use tauri_plugin_store::StoreExt;
use tokio::sync::watch;

/// The settings file (tauri-plugin-store) holding the switch.
pub const SETTINGS_FILE: &str = "settings.json";
const DND_KEY: &str = "doNotDisturb";

/// Why the switch could not be saved (it still applies for this run).
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// The settings store could not be opened.
    #[error("{0}")]
    Open(tauri_plugin_store::Error),
    /// The settings file could not be written.
    #[error("cannot save the settings: {0}")]
    Save(tauri_plugin_store::Error),
}

/// The switch for Do Not Disturb.
pub struct DoNotDisturb {
    on: watch::Sender<bool>,
}

impl DoNotDisturb {
    /// Reads the saved setting (off when there is none or it cannot be read).
    pub fn load<R: Runtime>(app: &AppHandle<R>) -> DoNotDisturb {
        let saved = app
            .store(SETTINGS_FILE)
            .ok()
            .and_then(|s| s.get(DND_KEY))
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        DoNotDisturb {
            on: watch::Sender::new(saved),
        }
    }

    /// Whether Do Not Disturb is on.
    pub fn is_on(&self) -> bool {
        *self.on.borrow()
    }

    /// Turns Do Not Disturb on or off and saves it; a save failure is reported, the switch
    /// still applies for this run.
    pub fn set<R: Runtime>(&self, app: &AppHandle<R>, on: bool) -> Result<(), SaveError> {
        self.on.send_replace(on);
        let store = app.store(SETTINGS_FILE).map_err(SaveError::Open)?;
        store.set(DND_KEY, on);
        store.save().map_err(SaveError::Save)
    }

    /// Follows the switch (the alert loop reads it at every tick).
    pub fn watch(&self) -> watch::Receiver<bool> {
        self.on.subscribe()
    }
}
