//! Cold start to first painted window, measured from outside the app: the harness's private
//! Xvfb + session bus, a data folder prepared by one earlier run (so it is a normal start, not a
//! first run), then N starts of the app, each timed from spawn to
//! - **mapped**: a top-level window titled "Streamwatch" is viewable (`xwininfo`);
//! - **painted**: its pixels (`xwd -id`) first match the settled UI — at least 90 % of them equal
//!   to a reference frame taken 5 s into the preparing run. A blank or half-built window (white
//!   webview, a background without the sidebar and figures) does not match.
//!
//! The app is ended with SIGTERM after each start.
//!
//! Not part of `cargo test`. Run (see tests/e2e/README.md, "Benchmarks"):
//!
//!     export CARGO_TARGET_DIR=$HOME/.cache/streamwatch-target
//!     npm --prefix ui run build && cargo build --release -p streamwatch-app
//!     STREAMWATCH_APP=$CARGO_TARGET_DIR/release/streamwatch-app \
//!         cargo run -p streamwatch-e2e --bin cold_start [-- RUNS]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use streamwatch_e2e::{app_binary, stop_group, x11_window, Desktop};

const TITLE: &str = "Streamwatch";
/// Share of pixels equal to the reference for the window to count as painted.
const MATCH: f64 = 0.90;

struct Frame {
    width: usize,
    height: usize,
    pixels: Vec<u32>,
}

/// A window's pixels with `xwd` (ZPixmap, 32 bits per pixel on a 24-bit Xvfb screen).
fn grab(display: &str, window: &str) -> Option<Frame> {
    let out = Command::new("xwd")
        .args(["-silent", "-id", window])
        .env("DISPLAY", display)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let d = out.stdout;
    let field = |i: usize| -> Option<usize> {
        let b = d.get(i * 4..i * 4 + 4)?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    let header = field(0)?;
    let (width, height) = (field(4)?, field(5)?);
    let (bpp, stride, ncolors) = (field(11)?, field(12)?, field(19)?);
    if bpp != 32 {
        return None;
    }
    let start = header + ncolors * 12;
    let mut pixels = Vec::with_capacity(width * height);
    for y in 0..height {
        let row = d.get(start + y * stride..start + y * stride + width * 4)?;
        pixels.extend(
            row.chunks_exact(4)
                .map(|p| u32::from_le_bytes([p[0], p[1], p[2], 0])),
        );
    }
    Some(Frame {
        width,
        height,
        pixels,
    })
}

/// The id of a viewable top-level window titled "Streamwatch" at least 700 px wide, if any.
fn app_window(display: &str) -> Option<String> {
    x11_window::find_window(display, TITLE, true)
}

fn similarity(a: &Frame, b: &Frame) -> f64 {
    if a.width != b.width || a.height != b.height || a.pixels.is_empty() {
        return 0.0;
    }
    let same = a
        .pixels
        .iter()
        .zip(&b.pixels)
        .filter(|(x, y)| x == y)
        .count();
    same as f64 / a.pixels.len() as f64
}

fn stop(child: Child) {
    stop_group(child, Duration::from_secs(5));
    // Let the single-instance lock and the X window go.
    std::thread::sleep(Duration::from_millis(500));
}

/// Spawn → (mapped, painted, last similarity) in ms; `reference` None only waits for mapping.
fn one_start(
    desktop: &Desktop,
    reference: Option<&Frame>,
) -> (Child, Option<f64>, Option<f64>, f64) {
    let display = desktop.display().to_owned();
    let t0 = Instant::now();
    let child = desktop.spawn_app(&[]);
    let deadline = t0 + Duration::from_secs(20);
    let mut window = None;
    while window.is_none() && Instant::now() < deadline {
        window = app_window(&display);
        if window.is_none() {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    let Some(window) = window else {
        return (child, None, None, 0.0);
    };
    let mapped = t0.elapsed().as_secs_f64() * 1000.0;
    let Some(reference) = reference else {
        return (child, Some(mapped), None, 0.0);
    };
    let mut best = 0.0f64;
    while Instant::now() < deadline {
        // The time the grab started: the frame is at least that old.
        let at = t0.elapsed().as_secs_f64() * 1000.0;
        let grabbed = grab(&display, &window);
        GRAB_MS.with(|g| {
            g.borrow_mut()
                .push(t0.elapsed().as_secs_f64() * 1000.0 - at)
        });
        if let Some(frame) = grabbed {
            let s = similarity(&frame, reference);
            best = best.max(s);
            if s >= MATCH {
                return (child, Some(mapped), Some(at), s);
            }
        }
    }
    (child, Some(mapped), None, best)
}

thread_local! {
    /// How long each grab (xwd + decode) took: the resolution of the painted times.
    static GRAB_MS: std::cell::RefCell<Vec<f64>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn stats(v: &[f64]) -> (f64, f64, f64) {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.partial_cmp(b).unwrap());
    if s.is_empty() {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    (s[0], s[s.len() / 2], s[s.len() - 1])
}

#[tokio::main]
async fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10);
    let app = app_binary();
    println!("cold_start: {} starts of {}", runs, app.display());
    let desktop = Desktop::start("cold_start").await;

    // Prepare the data folder (the first run adds the demo stream), and take the reference frame
    // of the settled window.
    let (child, mapped, _, _) = one_start(&desktop, None);
    assert!(mapped.is_some(), "the app's window never appeared");
    std::thread::sleep(Duration::from_secs(5));
    let window = app_window(desktop.display()).expect("the window");
    let reference = grab(desktop.display(), &window).expect("a frame of the window");
    let path: &Path = &streamwatch_e2e::artifacts_dir().join("cold-start-reference.xwd");
    if let Ok(out) = Command::new("xwd")
        .args(["-silent", "-id", &window])
        .env("DISPLAY", desktop.display())
        .output()
    {
        let _ = std::fs::write(path, out.stdout);
    }
    stop(child);

    let mut mapped_ms = Vec::new();
    let mut painted_ms = Vec::new();
    println!("\n| run | spawn → window mapped | spawn → first painted frame | match |");
    println!("|---|---|---|---|");
    for run in 1..=runs {
        let (child, mapped, painted, sim) = one_start(&desktop, Some(&reference));
        stop(child);
        let f = |v: Option<f64>| v.map_or("—".to_owned(), |ms| format!("{ms:.0} ms"));
        println!(
            "| {run} | {} | {} | {:.1} % |",
            f(mapped),
            f(painted),
            sim * 100.0
        );
        mapped_ms.extend(mapped);
        painted_ms.extend(painted);
    }
    let (a, b, c) = stats(&mapped_ms);
    let (d, e, g) = stats(&painted_ms);
    let (ga, gb, gc) = GRAB_MS.with(|g| stats(&g.borrow()));
    println!("\nframe grabs (xwd + decode, the resolution of the painted times): min {ga:.0} ms, median {gb:.0} ms, max {gc:.0} ms");
    println!("\n| cold start ({runs} runs) | min | median | max |");
    println!("|---|---|---|---|");
    println!("| spawn → window mapped | {a:.0} ms | {b:.0} ms | {c:.0} ms |");
    println!("| spawn → first painted frame (≥ 90 % of pixels as settled) | {d:.0} ms | {e:.0} ms | {g:.0} ms |");
    println!(
        "\nverdict: median {e:.0} ms, max {g:.0} ms: {}",
        if g < 1000.0 && painted_ms.len() == runs {
            "ok (< 1 s)"
        } else {
            "MISSED (target < 1 s)"
        }
    );
}
