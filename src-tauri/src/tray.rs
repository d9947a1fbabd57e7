//! The system tray: one icon for the aggregate status and a menu that says it in words (on
//! Linux the tray has no tooltip and no click events, so the menu carries the status). What to
//! show is decided by the engine ([`TrayMenu`]); this module only draws it and routes the
//! menu's choices.

use crate::dnd::DoNotDisturb;
use crate::state::AppState;
use crate::window::{show_main_window, MAIN_WINDOW};
use streamwatch_app_api::actions;
use streamwatch_engine::alerts::{Level, TrayMenu};
use tauri::image::Image;
use tauri::menu::{CheckMenuItem, Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Emitter, Manager, Runtime};

/// The tray icon's id.
pub const TRAY_ID: &str = "streamwatch";
/// Sent to the main window with a subscription id when the user picks it in the tray menu.
pub const FOCUS_EVENT: &str = "streamwatch://focus";

const SUB_PREFIX: &str = "sub:";
const ITEM_SHOW: &str = "show";
const ITEM_QUIT: &str = "quit";
const ITEM_PAUSE_ALL: &str = "pause-all";
const ITEM_RESUME_ALL: &str = "resume-all";
const ITEM_DND: &str = "dnd";
const ITEM_HEADLINE: &str = "headline";
const ITEM_MORE: &str = "more";

/// The icon of a level, drawn for the project (icons/tray/*.svg).
pub fn icon(level: Level) -> tauri::Result<Image<'static>> {
    let png: &'static [u8] = match level {
        Level::Ok => include_bytes!("../icons/tray/ok.png"),
        Level::Warning => include_bytes!("../icons/tray/warning.png"),
        Level::Down => include_bytes!("../icons/tray/down.png"),
        Level::Paused => include_bytes!("../icons/tray/paused.png"),
    };
    Image::from_bytes(png)
}

/// The tray as drawn: redrawn only when what it shows changed.
pub struct Tray<R: Runtime> {
    icon: TrayIcon<R>,
    shown: Option<(TrayMenu, bool)>,
}

impl<R: Runtime> Tray<R> {
    /// Creates the tray icon (grey, "Starting…") with its menu handler.
    pub fn create(app: &AppHandle<R>) -> tauri::Result<Tray<R>> {
        let menu = Menu::with_items(
            app,
            &[
                &MenuItem::with_id(app, ITEM_HEADLINE, "Starting…", false, None::<&str>)?,
                &PredefinedMenuItem::separator(app)?,
            ],
        )?;
        append_window_items(app, &menu)?;
        let icon = TrayIconBuilder::with_id(TRAY_ID)
            .icon(icon(Level::Paused)?)
            .tooltip("Streamwatch")
            .menu(&menu)
            .show_menu_on_left_click(true)
            .on_menu_event(on_menu_event)
            .build(app)?;
        Ok(Tray { icon, shown: None })
    }

    /// Shows `menu` (and whether Do Not Disturb is on), if it differs from what is shown.
    pub fn show(&mut self, app: &AppHandle<R>, menu: &TrayMenu, dnd: bool) -> tauri::Result<()> {
        if self
            .shown
            .as_ref()
            .is_some_and(|(m, d)| m == menu && *d == dnd)
        {
            return Ok(());
        }
        if self.shown.as_ref().map(|(m, _)| m.level) != Some(menu.level) {
            self.icon.set_icon(Some(icon(menu.level)?))?;
        }
        self.icon.set_menu(Some(build_menu(app, menu, dnd)?))?;
        self.shown = Some((menu.clone(), dnd));
        Ok(())
    }
}

fn build_menu<R: Runtime>(app: &AppHandle<R>, m: &TrayMenu, dnd: bool) -> tauri::Result<Menu<R>> {
    let menu = Menu::new(app)?;
    // Disabled: it is a status line, not an action.
    menu.append(&MenuItem::with_id(
        app,
        ITEM_HEADLINE,
        &m.headline,
        false,
        None::<&str>,
    )?)?;
    menu.append(&PredefinedMenuItem::separator(app)?)?;
    for entry in &m.entries {
        let id = format!("{SUB_PREFIX}{}", entry.id.0);
        menu.append(&MenuItem::with_id(
            app,
            id,
            &entry.text,
            true,
            None::<&str>,
        )?)?;
    }
    if let Some(more) = &m.more {
        menu.append(&MenuItem::with_id(
            app,
            ITEM_MORE,
            more,
            true,
            None::<&str>,
        )?)?;
    }
    if !m.entries.is_empty() {
        menu.append(&PredefinedMenuItem::separator(app)?)?;
    }
    menu.append(&MenuItem::with_id(
        app,
        ITEM_PAUSE_ALL,
        "Pause all",
        m.can_pause_all,
        None::<&str>,
    )?)?;
    menu.append(&MenuItem::with_id(
        app,
        ITEM_RESUME_ALL,
        "Resume all",
        m.can_resume_all,
        None::<&str>,
    )?)?;
    menu.append(&CheckMenuItem::with_id(
        app,
        ITEM_DND,
        "Do not disturb",
        true,
        dnd,
        None::<&str>,
    )?)?;
    menu.append(&PredefinedMenuItem::separator(app)?)?;
    append_window_items(app, &menu)?;
    Ok(menu)
}

/// The items every menu ends with, the one shown while starting included.
fn append_window_items<R: Runtime>(app: &AppHandle<R>, menu: &Menu<R>) -> tauri::Result<()> {
    menu.append(&MenuItem::with_id(
        app,
        ITEM_SHOW,
        "Show window",
        true,
        None::<&str>,
    )?)?;
    menu.append(&MenuItem::with_id(
        app,
        ITEM_QUIT,
        "Quit Streamwatch",
        true,
        None::<&str>,
    )?)
}

fn on_menu_event<R: Runtime>(app: &AppHandle<R>, event: MenuEvent) {
    let id = event.id().as_ref();
    match id {
        ITEM_SHOW | ITEM_MORE => show_main_window(app),
        // Exit runs the app's exit hook, which stops every stream and flushes storage.
        ITEM_QUIT => app.exit(0),
        ITEM_PAUSE_ALL => set_all_paused(app, true),
        ITEM_RESUME_ALL => set_all_paused(app, false),
        ITEM_DND => {
            if let Some(dnd) = app.try_state::<DoNotDisturb>() {
                if let Err(e) = dnd.set(app, !dnd.is_on()) {
                    eprintln!("streamwatch: {e}");
                }
            }
        }
        _ => {
            if let Some(sub) = id
                .strip_prefix(SUB_PREFIX)
                .and_then(|n| n.parse::<u64>().ok())
            {
                show_main_window(app);
                if let Err(e) = app.emit_to(MAIN_WINDOW, FOCUS_EVENT, sub) {
                    eprintln!("streamwatch: cannot show subscription {sub}: {e}");
                }
            }
        }
    }
}

/// Pauses or resumes every subscription, off the menu's thread (storage is written).
fn set_all_paused<R: Runtime>(app: &AppHandle<R>, paused: bool) {
    let Some(state) = app.try_state::<AppState>() else {
        return;
    };
    let monitor = state.monitor.clone();
    tauri::async_runtime::spawn_blocking(move || {
        for (id, e) in actions::set_all_paused(&monitor, paused) {
            eprintln!(
                "streamwatch: cannot {} subscription {id}: {e}",
                if paused { "pause" } else { "resume" }
            );
        }
    });
}
