//! Screenshots at the three window sizes every window test is looked at in: 720×480 (the
//! smallest the window allows), 1920×1080, then 1200×780 (the default, where it is left).

use std::time::Duration;

use crate::app::App;

/// The sizes, in the order they are taken.
pub const SIZES: [(u32, u32); 3] = [(720, 480), (1920, 1080), (1200, 780)];

/// Resizes to each of [`SIZES`] (with room for a loaded machine: WebDriver's resize can take
/// many seconds), scrolls the element with test id `scroll_to` into view (only its pane
/// scrolls, the window stays at its top), takes `<step>-<w>x<h>`, and checks that the element
/// `no_sideways` (a CSS selector) does not scroll sideways.
pub async fn shots(app: &App, step: &str, scroll_to: Option<&str>, no_sideways: Option<&str>) {
    for (w, h) in SIZES {
        resize(app, w, h).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        if let Some(testid) = scroll_to {
            app.js(&format!(
                "const el = document.querySelector('[data-testid=\"{testid}\"]'); if (el) el.scrollIntoView({{block: 'start'}});
                 document.scrollingElement.scrollTop = 0; return null;"
            ))
            .await;
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
        app.screenshot(&format!("{step}-{w}x{h}")).await;
        if let Some(pane) = no_sideways {
            let sideways = app
                .js(&format!(
                    "const d = document.querySelector('{pane}'); return d ? d.scrollWidth > d.clientWidth + 1 : null;"
                ))
                .await;
            assert_eq!(sideways, false, "{w}x{h}: {pane} does not scroll sideways");
        }
    }
}

/// Resizes to `w`×`h`; a resize that has not reported done after 30 s goes through the default
/// size and is asked again before the test fails. (The stalls this was added for were the app
/// freezing on a window-state deadlock, fixed in `src-tauri/src/window_geometry.rs`; a slow
/// machine can still take long.)
async fn resize(app: &App, w: u32, h: u32) {
    let limit = Duration::from_secs(30);
    let first = tokio::time::timeout(limit, app.client().set_window_size(w, h)).await;
    if matches!(first, Ok(Ok(_))) {
        return;
    }
    eprintln!("resize to {w}x{h} did not finish ({first:?}); through 1200x780 and again");
    let (dw, dh) = SIZES[2];
    let detour = tokio::time::timeout(limit, app.client().set_window_size(dw, dh)).await;
    let again = tokio::time::timeout(limit, app.client().set_window_size(w, h)).await;
    if !matches!(again, Ok(Ok(_))) {
        app.fail(&format!(
            "cannot resize to {w}x{h}: {first:?}, then {detour:?} to {dw}x{dh}, then {again:?}"
        ))
        .await;
    }
}
