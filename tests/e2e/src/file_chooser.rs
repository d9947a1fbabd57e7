//! The system's file chooser (GTK's, through tauri-plugin-dialog), answered as a person would:
//! xdotool waits for its window, types the path and presses Enter. The app's Export and Import
//! then write or read that file in Rust, so a test sees the real save and open paths end to
//! end (no test hook stands in for the dialog).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::app::App;
use crate::notifications::screenshot_display;

fn xdotool(display: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new("xdotool")
        .args(args)
        .env("DISPLAY", display)
        .output()
        .map_err(|e| format!("cannot run xdotool (apt-get install xdotool): {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    } else {
        Err(format!(
            "xdotool {args:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Plays the user in the GTK file chooser titled `title`: waits for its window, types `path`
/// (into the name field of a save dialog, into the location bar opened with Ctrl+L of an open
/// dialog) and presses Enter; with `shot`, a screenshot of the whole display first.
pub fn answer_file_chooser(
    display: &str,
    title: &str,
    path: &Path,
    save: bool,
    shot: Option<&str>,
) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    let window = loop {
        match xdotool(
            display,
            &["search", "--onlyvisible", "--name", &format!("^{title}$")],
        ) {
            Ok(ids) if !ids.is_empty() => break ids.lines().last().unwrap_or_default().to_owned(),
            _ if Instant::now() > deadline => {
                return Err(format!("no file chooser titled {title:?} appeared"))
            }
            _ => std::thread::sleep(Duration::from_millis(100)),
        }
    };
    // GTK builds the dialog's contents just after mapping it.
    std::thread::sleep(Duration::from_millis(700));
    // Xvfb has no window manager: give the dialog the keyboard focus as one would.
    xdotool(display, &["windowfocus", "--sync", &window])?;
    if let Some(name) = shot {
        screenshot_display(display, name)?;
    }
    let text = path.to_str().ok_or("the path is not UTF-8")?;
    if save {
        // The name field has the focus and the suggested name: replace it with the full path.
        xdotool(display, &["key", "--clearmodifiers", "ctrl+a"])?;
    } else {
        xdotool(display, &["key", "--clearmodifiers", "ctrl+l"])?;
        std::thread::sleep(Duration::from_millis(300));
    }
    xdotool(display, &["type", "--delay", "20", text])?;
    std::thread::sleep(Duration::from_millis(300));
    xdotool(display, &["key", "Return"])?;
    // Gone once it took the answer.
    let deadline = Instant::now() + Duration::from_secs(10);
    while xdotool(
        display,
        &["search", "--onlyvisible", "--name", &format!("^{title}$")],
    )
    .is_ok_and(|ids| !ids.is_empty())
    {
        if Instant::now() > deadline {
            return Err(format!("the file chooser {title:?} stayed open"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

/// Clicks `button` (which opens the file chooser `title`) and answers the chooser with `path`.
pub async fn through_chooser(
    app: &App,
    button: &str,
    title: &str,
    path: &Path,
    save: bool,
    shot: Option<&str>,
) {
    let display = app.desktop().display().to_owned();
    let (title_owned, path_owned, shot_owned) =
        (title.to_owned(), path.to_owned(), shot.map(str::to_owned));
    let person = tokio::task::spawn_blocking(move || {
        answer_file_chooser(
            &display,
            &title_owned,
            &path_owned,
            save,
            shot_owned.as_deref(),
        )
    });
    app.click(button).await;
    match person.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => app.fail(&format!("the file chooser: {e}")).await,
        Err(e) => app.fail(&format!("the file chooser thread: {e}")).await,
    }
}

/// What the window says after a file chooser: the text of the element `ok` once it shows, or
/// the kind (`data-kind`) and text of the error element `err` if that shows first.
pub async fn outcome(app: &App, ok: &str, err: &str) -> Result<String, (String, String)> {
    let script = format!(
        "const ok = document.querySelector('[data-testid=\"{ok}\"]');
         const err = document.querySelector('[data-testid=\"{err}\"]');
         return {{ ok: ok ? ok.innerText : null, err: err ? err.innerText : null,
                   kind: err ? err.dataset.kind : null }};"
    );
    app.wait_for(&format!("{ok} or {err}"), async || {
        let v = app.js(&script).await;
        if let Some(t) = v["ok"].as_str() {
            return Ok(Ok(t.to_owned()));
        }
        if let Some(t) = v["err"].as_str() {
            return Ok(Err((
                v["kind"].as_str().unwrap_or_default().to_owned(),
                t.to_owned(),
            )));
        }
        Err(v.to_string())
    })
    .await
}
