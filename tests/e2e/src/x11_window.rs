//! The app's top-level X window as a window manager sees it: found by its title, asked to close
//! the polite way (`WM_DELETE_WINDOW`, what a title bar's × sends), and whether it is shown.
//! Xvfb has no window manager, so the test plays its part.

use std::ffi::CString;
use std::process::{Command, Stdio};

use x11_dl::xlib;

/// The id (as xwininfo prints it, `0x…`) of the widest top-level window titled `title` that is
/// at least 700 px wide; `viewable_only` skips hidden ones.
pub fn find_window(display: &str, title: &str, viewable_only: bool) -> Option<String> {
    let out = Command::new("xwininfo")
        .args(["-root", "-tree"])
        .env("DISPLAY", display)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    for line in text.lines() {
        let line = line.trim();
        if !line.contains(&format!("\"{title}\"")) {
            continue;
        }
        let Some(id) = line.split_whitespace().next() else {
            continue;
        };
        // GTK also makes small helper windows with the same title.
        let wide = line
            .split_whitespace()
            .filter(|w| w.contains('+') && !w.starts_with('+'))
            .find_map(|w| w.split_once('x').and_then(|(a, _)| a.parse::<u32>().ok()))
            .is_some_and(|w| w >= 700);
        if wide && (!viewable_only || is_viewable(display, id)) {
            return Some(id.to_owned());
        }
    }
    None
}

/// Whether the window is mapped and shown.
pub fn is_viewable(display: &str, window: &str) -> bool {
    Command::new("xwininfo")
        .args(["-id", window])
        .env("DISPLAY", display)
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("IsViewable"))
}

/// Sends `WM_DELETE_WINDOW` to `window` (an xwininfo id), as a window manager does when the
/// user clicks the close button: the app decides what closing means.
pub fn request_close(display: &str, window: &str) -> Result<(), String> {
    let id = u64::from_str_radix(window.trim_start_matches("0x"), 16)
        .map_err(|e| format!("window id {window:?}: {e}"))?;
    let x = xlib::Xlib::open().map_err(|e| format!("libX11: {e}"))?;
    let name = CString::new(display).map_err(|e| e.to_string())?;
    // SAFETY: plain Xlib calls on a display connection opened here and closed before returning;
    // the event is a zeroed XEvent filled in as an XClientMessageEvent.
    unsafe {
        let dpy = (x.XOpenDisplay)(name.as_ptr());
        if dpy.is_null() {
            return Err(format!("cannot open display {display}"));
        }
        let protocols = (x.XInternAtom)(dpy, c"WM_PROTOCOLS".as_ptr(), xlib::False);
        let delete = (x.XInternAtom)(dpy, c"WM_DELETE_WINDOW".as_ptr(), xlib::False);
        let mut data = xlib::ClientMessageData::new();
        data.set_long(0, delete as std::ffi::c_long);
        data.set_long(1, xlib::CurrentTime as std::ffi::c_long);
        let mut event: xlib::XEvent = std::mem::zeroed();
        event.client_message = xlib::XClientMessageEvent {
            type_: xlib::ClientMessage,
            serial: 0,
            send_event: xlib::True,
            display: dpy,
            window: id,
            message_type: protocols,
            format: 32,
            data,
        };
        let sent = (x.XSendEvent)(dpy, id, xlib::False, xlib::NoEventMask, &mut event);
        (x.XFlush)(dpy);
        (x.XCloseDisplay)(dpy);
        if sent == 0 {
            return Err("XSendEvent failed".into());
        }
    }
    Ok(())
}

/// Where `window` is and how big: (x, y, width, height) as xwininfo reports it (absolute
/// upper-left corner; without a window manager there is no frame around it).
pub fn geometry(display: &str, window: &str) -> Option<(i32, i32, u32, u32)> {
    let out = Command::new("xwininfo")
        .args(["-id", window])
        .env("DISPLAY", display)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(name))
            .map(str::trim)
    };
    Some((
        field("Absolute upper-left X:")?.parse().ok()?,
        field("Absolute upper-left Y:")?.parse().ok()?,
        field("Width:")?.parse().ok()?,
        field("Height:")?.parse().ok()?,
    ))
}
