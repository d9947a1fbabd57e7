//! Putting one notification on the desktop under the app's own name and icon.
//!
//! On Linux and the BSDs tauri-plugin-notification (2.8) sends the executable's file name
//! (`streamwatch-app`) as the application name and as the icon, and has no option to change
//! either: the popup read "streamwatch-app" and dunst found no such icon. There the call is
//! made here, with the product name and the path of the app's icon, on one session bus
//! connection kept open for the life of the app (GNOME closes a notification once the
//! connection that sent it goes away). Elsewhere the plugin is used: macOS and Windows take
//! the name and icon from the installed app.

use tauri::{AppHandle, Runtime};

/// The name desktop notifications carry when the configuration has no product name.
const FALLBACK_NAME: &str = "Streamwatch";

/// Shows `title` and `body` (already escaped for the server where needed) on the desktop.
pub fn show<R: Runtime>(app: &AppHandle<R>, title: &str, body: &str) -> Result<(), String> {
    #[cfg(all(
        unix,
        not(any(target_os = "macos", target_os = "ios", target_os = "android"))
    ))]
    return freedesktop::show(app, title, body);
    #[cfg(not(all(
        unix,
        not(any(target_os = "macos", target_os = "ios", target_os = "android"))
    )))]
    {
        use tauri_plugin_notification::NotificationExt;
        app.notification()
            .builder()
            .title(title)
            .body(body)
            .show()
            .map_err(|e| e.to_string())
    }
}

/// The application name notifications carry: the product name from `tauri.conf.json`.
pub fn app_name<R: Runtime>(app: &AppHandle<R>) -> String {
    app.config()
        .product_name
        .clone()
        .unwrap_or_else(|| FALLBACK_NAME.to_string())
}

#[cfg(all(
    unix,
    not(any(target_os = "macos", target_os = "ios", target_os = "android"))
))]
mod freedesktop {
    use super::app_name;
    use std::collections::HashMap;
    use std::path::{Path, PathBuf};
    use std::sync::OnceLock;
    use tauri::{AppHandle, Manager, Runtime};
    use zbus::zvariant::Value;

    /// The app's icon, built into the binary so a notification has it wherever the app runs
    /// from (a build folder, an AppImage, a package).
    const ICON_PNG: &[u8] = include_bytes!("../icons/128x128.png");
    /// Its file name in the app's cache folder.
    const ICON_FILE: &str = "notification-icon-128.png";

    const DESTINATION: &str = "org.freedesktop.Notifications";
    const PATH: &str = "/org/freedesktop/Notifications";

    /// One connection for every notification (`None`: no session bus).
    static CONNECTION: OnceLock<Option<zbus::blocking::Connection>> = OnceLock::new();
    /// The icon's path once written (`None`: it could not be written; notifications go
    /// without it).
    static ICON: OnceLock<Option<PathBuf>> = OnceLock::new();

    pub fn show<R: Runtime>(app: &AppHandle<R>, title: &str, body: &str) -> Result<(), String> {
        let icon = ICON.get_or_init(|| icon_path(app)).clone();
        let name = app_name(app);
        let (title, body) = (title.to_string(), body.to_string());
        // A D-Bus round trip: off the caller's (async) thread, as the plugin does.
        tauri::async_runtime::spawn_blocking(move || {
            if let Err(e) = notify(&name, icon.as_deref(), &title, &body) {
                eprintln!("streamwatch: cannot show the notification {title:?}: {e}");
            }
        });
        Ok(())
    }

    /// Writes the icon into the app's cache folder (again only when its bytes differ) and
    /// returns its path.
    fn icon_path<R: Runtime>(app: &AppHandle<R>) -> Option<PathBuf> {
        let dir = match app.path().app_cache_dir() {
            Ok(d) => d,
            Err(e) => {
                eprintln!("streamwatch: no cache folder for the notification icon: {e}");
                return None;
            }
        };
        let path = dir.join(ICON_FILE);
        match write_icon(&dir, &path) {
            Ok(()) => Some(path),
            Err(e) => {
                eprintln!(
                    "streamwatch: cannot write the notification icon {}: {e}",
                    path.display()
                );
                None
            }
        }
    }

    fn write_icon(dir: &Path, path: &Path) -> std::io::Result<()> {
        if std::fs::read(path).is_ok_and(|b| b == ICON_PNG) {
            return Ok(());
        }
        std::fs::create_dir_all(dir)?;
        // Written aside and renamed, so a notification server never reads half a file.
        let tmp = dir.join(format!("{ICON_FILE}.tmp"));
        std::fs::write(&tmp, ICON_PNG)?;
        std::fs::rename(&tmp, path)
    }

    fn notify(name: &str, icon: Option<&Path>, title: &str, body: &str) -> Result<u32, String> {
        let conn = CONNECTION
            .get_or_init(|| zbus::blocking::Connection::session().ok())
            .as_ref()
            .ok_or("no session bus")?;
        let icon = icon.and_then(Path::to_str).unwrap_or("");
        let mut hints: HashMap<&str, Value<'_>> = HashMap::new();
        if !icon.is_empty() {
            // Servers that draw an image beside the text (GNOME, KDE) read it from here.
            hints.insert("image-path", Value::from(icon));
        }
        let actions: Vec<&str> = Vec::new();
        conn.call_method(
            Some(DESTINATION),
            PATH,
            Some(DESTINATION),
            "Notify",
            &(name, 0u32, icon, title, body, actions, hints, -1i32),
        )
        .map_err(|e| e.to_string())?
        .body()
        .deserialize::<u32>()
        .map_err(|e| e.to_string())
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn the_icon_is_written_once_and_rewritten_when_changed() {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("sub").join(ICON_FILE);
            write_icon(&dir.path().join("sub"), &path).unwrap();
            assert_eq!(std::fs::read(&path).unwrap(), ICON_PNG);
            std::fs::write(&path, b"old").unwrap();
            write_icon(&dir.path().join("sub"), &path).unwrap();
            assert_eq!(std::fs::read(&path).unwrap(), ICON_PNG);
            assert!(!dir
                .path()
                .join("sub")
                .join(format!("{ICON_FILE}.tmp"))
                .exists());
        }
    }
}
