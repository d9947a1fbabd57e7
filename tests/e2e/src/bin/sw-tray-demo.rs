//! `sw-tray-demo`: a real appindicator client for the tray watcher's own tests, built the way
//! the app's tray is (the `tray-icon` crate on libayatana-appindicator, a muda menu).
//!
//! It shows a round 32 px icon (green, amber, red or grey, with a white bar) and the menu
//!
//! ```text
//! 3 open · 0 retrying · 0 failed   (disabled: the status line)
//! Next state                       (green → amber → red → grey → green)
//! Pause all                        (grey)
//! [ ] Do not disturb               (a check item)
//! ----
//! Quit
//! ```
//!
//! and prints `clicked <id>` and `state <colour>` lines on stdout as menu items are chosen.
//! Environment: `DISPLAY`, `DBUS_SESSION_BUS_ADDRESS`; `SW_TRAY_DIR` for the icon PNGs
//! (default: tray-icon's, `$XDG_RUNTIME_DIR/tray-icon`).

use std::time::Duration;

use gtk::glib;
use tray_icon::menu::{CheckMenuItem, Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tray_icon::{Icon, TrayIconBuilder};

const STATES: [(&str, [u8; 3], &str); 4] = [
    (
        "green",
        [0x2e, 0xa0, 0x43],
        "3 open · 0 retrying · 0 failed",
    ),
    (
        "amber",
        [0xf5, 0xa6, 0x23],
        "2 open · 1 retrying · 0 failed",
    ),
    ("red", [0xd7, 0x3a, 0x49], "2 open · 0 retrying · 1 failed"),
    ("grey", [0x8b, 0x94, 0x9e], "all paused"),
];

/// A 32×32 disc of `rgb` with a white horizontal bar, transparent around it.
fn icon(rgb: [u8; 3]) -> Icon {
    const N: u32 = 32;
    let mut rgba = Vec::with_capacity((N * N * 4) as usize);
    for y in 0..N {
        for x in 0..N {
            let (dx, dy) = (x as f32 - 15.5, y as f32 - 15.5);
            let px = if dx * dx + dy * dy > 15.0 * 15.0 {
                [0, 0, 0, 0]
            } else if (14..18).contains(&y) && (8..24).contains(&x) {
                [255, 255, 255, 255]
            } else {
                [rgb[0], rgb[1], rgb[2], 255]
            };
            rgba.extend(px);
        }
    }
    Icon::from_rgba(rgba, N, N).expect("a 32x32 RGBA icon")
}

fn main() {
    gtk::init().expect("GTK starts (is DISPLAY set?)");

    let status = MenuItem::with_id("status", STATES[0].2, false, None);
    let next = MenuItem::with_id("next", "Next state", true, None);
    let pause = MenuItem::with_id("pause", "Pause all", true, None);
    let dnd = CheckMenuItem::with_id("dnd", "Do not disturb", true, false, None);
    let quit = MenuItem::with_id("quit", "Quit", true, None);
    let menu = Menu::new();
    menu.append_items(&[
        &status,
        &next,
        &pause,
        &dnd,
        &PredefinedMenuItem::separator(),
        &quit,
    ])
    .expect("the menu is built");

    let mut builder = TrayIconBuilder::new()
        .with_id("sw-tray-demo")
        .with_menu(Box::new(menu))
        .with_icon(icon(STATES[0].1));
    if let Some(dir) = std::env::var_os("SW_TRAY_DIR") {
        builder = builder.with_temp_dir_path(dir);
    }
    let tray = builder.build().expect("the tray icon is created");
    println!("state {}", STATES[0].0);

    let mut current = 0usize;
    glib::timeout_add_local(Duration::from_millis(20), move || {
        while let Ok(event) = MenuEvent::receiver().try_recv() {
            let id = event.id().0.as_str();
            println!("clicked {id}");
            let to = match id {
                "next" => Some((current + 1) % STATES.len()),
                "pause" => Some(3),
                "quit" => {
                    gtk::main_quit();
                    None
                }
                _ => None,
            };
            if let Some(to) = to {
                current = to;
                let (name, rgb, line) = STATES[to];
                tray.set_icon(Some(icon(rgb)))
                    .expect("the icon is replaced");
                status.set_text(line);
                pause.set_enabled(to != 3);
                println!("state {name}");
            }
        }
        glib::ControlFlow::Continue
    });
    gtk::main();
    println!("quit");
}
