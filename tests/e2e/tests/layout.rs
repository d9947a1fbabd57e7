//! The detail view at the window sizes that matter: the smallest the app allows (720×480),
//! the default (1200×780) and a large desktop (1920×1080). At each, the log's first row is on
//! screen; at the smallest the figure cards fold into one line and the log scrolls; at the
//! default and above no figure card cuts its text, after "Clear view" too. At the smallest the
//! log and the timeline each keep a usable height (the pane scrolls to the timeline), and a
//! dialog opened right after a resize has nothing of the page drawn over it. At every size the
//! figures are drawn whole and the log rows' cells line up under the header. See ../README.md.

use serde_json::Value;
use streamwatch_e2e::App;

const DEMO_NAME: &str = "Demo stream";

/// What the page's layout looks like, measured in the page.
const MEASURE: &str = r#"
const vh = window.innerHeight, vw = window.innerWidth;
const vp = document.querySelector('[data-testid="live-log"] .vl-viewport');
const vpr = vp ? vp.getBoundingClientRect() : null;
// The list renders a few rows beyond its edges: the first row is the first one inside it.
const row = vpr ? [...document.querySelectorAll('[data-testid="log-row"]')]
  .find((el) => el.getBoundingClientRect().top >= vpr.top - 1) : null;
const r = row ? row.getBoundingClientRect() : null;
// On screen and not covered or clipped away: the point in its middle is the row itself.
const hit = r ? document.elementFromPoint(r.left + 40, (r.top + r.bottom) / 2) : null;
const visible = !!(hit && row.contains(hit));
const figs = document.querySelector('[data-testid="figures"]');
const cards = figs ? [...figs.children] : [];
const tops = new Set(cards.map((c) => Math.round(c.getBoundingClientRect().top)));
// Drawn whole, not squeezed to nothing: the figures are as tall as their first card, and on screen.
const f0 = cards[0] ? cards[0].getBoundingClientRect() : null;
const fr = figs ? figs.getBoundingClientRect() : null;
const figsShown = !!(f0 && fr && f0.height >= 16 && fr.height >= f0.height - 1 && fr.top >= 0 && fr.bottom <= vh);
// Text a card cuts: a line wider than its box (an ellipsis) or a card taller than its line.
const cut = [];
for (const el of figs ? figs.querySelectorAll('.label, .value, .sub, .hint') : []) {
  if (el.scrollWidth > el.clientWidth + 1) cut.push(el.textContent.trim());
}
// The row's cells start where the header's columns do, and its data ends before the copy button.
const head = document.querySelector('[data-testid="live-log"] .columns');
const misaligned = [];
if (row && head) {
  ['c-time', 'c-event', 'c-id', 'c-data'].forEach((c) => {
    const a = row.querySelector('.' + c), b = head.querySelector('.' + c);
    const dx = a && b ? Math.abs(a.getBoundingClientRect().left - b.getBoundingClientRect().left) : null;
    if (dx === null || dx > 1) misaligned.push(c + ' ' + dx);
  });
  const data = row.querySelector('.c-data'), copy = row.querySelector('.row-copy');
  const dr = data ? data.getBoundingClientRect() : null, cr = copy ? copy.getBoundingClientRect() : null;
  if (!dr || !cr || dr.right > cr.left || Math.abs(cr.top + cr.height / 2 - (r.top + r.bottom) / 2) > 2 || cr.right > r.right)
    misaligned.push('copy ' + JSON.stringify({ dr, cr, r }));
}
return {
  vw, vh, misaligned,
  visible, rowTop: r ? r.top : null, rowBottom: r ? r.bottom : null,
  viewportHeight: vp ? vp.clientHeight : null,
  scrollable: vp ? vp.scrollHeight > vp.clientHeight : null,
  cardLines: tops.size, figsShown,
  figsHeight: fr ? Math.round(fr.height) : null, cardHeight: f0 ? Math.round(f0.height) : null,
  cut,
};
"#;

/// The timeline at its place in the pane: the pane scrolled so that its end is in view, and
/// how many of its rows are drawn whole there (the point in each row's middle is the row).
const TIMELINE: &str = r#"
const tl = document.querySelector('[data-testid="timeline"]');
if (!tl) return { rows: 0, items: 0 };
tl.scrollIntoView({ block: 'end' });
const list = tl.querySelector('ol');
const lr = list ? list.getBoundingClientRect() : null;
const items = [...tl.querySelectorAll('[data-testid="timeline-item"]')];
let rows = 0;
for (const it of items) {
  const r = it.getBoundingClientRect();
  if (!lr || r.top < lr.top - 1 || r.top + 16 > lr.bottom + 1 || r.bottom > window.innerHeight) continue;
  const hit = document.elementFromPoint(r.left + 30, r.top + 8);
  if (hit && it.contains(hit)) rows += 1;
}
const vp = document.querySelector('[data-testid="live-log"] .vl-viewport');
return {
  rows, items: items.length,
  listHeight: lr ? lr.height : 0,
  logHeight: vp ? vp.clientHeight : 0,
  paneScrolls: (() => { const d = document.querySelector('[data-testid="detail"]');
    return d ? d.scrollHeight > d.clientHeight : null; })(),
};
"#;

/// Scrolls the detail pane back to its top.
const PANE_TOP: &str = r#"
const d = document.querySelector('[data-testid="detail"]');
if (d) d.scrollTop = 0;
return true;
"#;

/// The figure cards' text that is cut (wider than its box), and the "Received" small line.
const CUT: &str = r#"
const figs = document.querySelector('[data-testid="figures"]');
const cut = [];
for (const el of figs ? figs.querySelectorAll('.label, .value, .sub, .hint') : []) {
  if (el.scrollWidth > el.clientWidth + 1) cut.push(el.textContent.trim());
}
const counts = document.querySelector('[data-testid="fig-counts"]');
return { vw: window.innerWidth, vh: window.innerHeight, cut, counts: counts ? counts.textContent.trim() : null };
"#;

/// While a dialog is open: how the figure strip behind it scrolls and whether the main area
/// is a stacking context of its own.
const BEHIND_DIALOG: &str = r#"
const line = document.querySelector('[data-testid="figures"]');
const main = document.querySelector('main.main');
const dialog = document.querySelector('[aria-modal="true"]');
return {
  vw: window.innerWidth, vh: window.innerHeight,
  dialog: !!dialog,
  line: line ? line.dataset.line : null,
  overflowX: line ? getComputedStyle(line).overflowX : null,
  isolation: main ? getComputedStyle(main).isolation : null,
};
"#;

async fn resize(app: &App, width: u32, height: u32) {
    if let Err(e) = app.client().set_window_size(width, height).await {
        app.fail(&format!(
            "cannot resize the window to {width}x{height}: {e}"
        ))
        .await
    }
}

/// Waits until the window's page has the size asked for and a log row, and measures it.
async fn measure(app: &App, width: u32, height: u32) -> Value {
    app.wait_for(
        &format!("the page at {width}x{height} with a log row"),
        async || {
            let m = app.js(MEASURE).await;
            // The window's frame takes a few pixels of the size asked for.
            let w = m["vw"].as_f64().unwrap_or(0.0);
            let h = m["vh"].as_f64().unwrap_or(0.0);
            let near = (w - f64::from(width)).abs() < 40.0 && (h - f64::from(height)).abs() < 80.0;
            if near && m["rowTop"].is_number() {
                Ok(m)
            } else {
                Err(format!("{m}"))
            }
        },
    )
    .await
}

/// The detail view at 720×480, 1200×780 and 1920×1080, with a screenshot of each.
#[tokio::test]
async fn the_log_is_on_screen_at_every_window_size() {
    let app = App::launch("layout").await;
    app.wait_detail_state(DEMO_NAME, "open").await;
    app.wait_for("at least 20 log rows", async || {
        let n = app.log_rows().await.len();
        if n >= 20 {
            Ok(())
        } else {
            Err(format!("{n} rows"))
        }
    })
    .await;

    app.wait_for("at least 4 timeline entries", async || {
        let n = app.count("[data-testid=\"timeline-item\"]").await;
        if n >= 4 {
            Ok(())
        } else {
            Err(format!("{n} entries"))
        }
    })
    .await;

    let mut seen = Vec::new();
    let mut timeline = Value::Null;
    for (w, h) in [(720, 480), (1200, 780), (1920, 1080)] {
        resize(&app, w, h).await;
        let m = measure(&app, w, h).await;
        app.screenshot(&format!("layout-detail-{w}x{h}")).await;
        if w == 720 {
            timeline = app.js(TIMELINE).await;
            app.screenshot("layout-detail-timeline-720x480").await;
            app.js(PANE_TOP).await;
        }
        seen.push(((w, h), m));
    }
    eprintln!("720x480 timeline: {timeline}");
    assert!(
        timeline["rows"].as_u64().unwrap_or(0) >= 3,
        "720x480: the timeline draws at least three whole rows: {timeline}"
    );
    assert!(
        timeline["logHeight"].as_f64().unwrap_or(0.0) >= 120.0,
        "720x480: the log keeps at least five rows beside a usable timeline: {timeline}"
    );
    for ((w, h), m) in &seen {
        eprintln!("{w}x{h}: {m}");
    }
    for ((w, h), m) in &seen {
        let vh = m["vh"].as_f64().unwrap_or(0.0);
        let top = m["rowTop"].as_f64().unwrap_or(f64::MAX);
        let bottom = m["rowBottom"].as_f64().unwrap_or(f64::MAX);
        assert!(
            top >= 0.0 && bottom <= vh,
            "{w}x{h}: the log's first row is within the viewport: {m}"
        );
        assert_eq!(
            m["visible"], true,
            "{w}x{h}: the log's first row is drawn, not covered or clipped: {m}"
        );
        assert_eq!(
            m["misaligned"].as_array().map(Vec::len),
            Some(0),
            "{w}x{h}: the log row's cells line up under the header, the copy button in its column: {m}"
        );
        assert!(
            m["viewportHeight"].as_f64().unwrap_or(0.0) >= 72.0,
            "{w}x{h}: the log shows at least three rows: {m}"
        );
        assert_eq!(
            m["figsShown"], true,
            "{w}x{h}: the figures are drawn whole, not squeezed out of the pane: {m}"
        );
        if *w == 720 {
            assert_eq!(
                m["cardLines"], 1,
                "{w}x{h}: the figure cards fold into one line: {m}"
            );
            assert_eq!(m["scrollable"], true, "{w}x{h}: the log scrolls: {m}");
        } else {
            assert_eq!(
                m["cut"].as_array().map(Vec::len),
                Some(0),
                "{w}x{h}: no figure card cuts its text: {m}"
            );
        }
    }

    // After "Clear view" the Received card's small line is longer ("… since clear"): no card
    // cuts it at the default size or above.
    app.click("btn-clear-view").await;
    for (w, h) in [(1920, 1080), (1200, 780)] {
        resize(&app, w, h).await;
        let m = app
            .wait_for(&format!("the cleared figures at {w}x{h}"), async || {
                let m = app.js(CUT).await;
                let near = (m["vw"].as_f64().unwrap_or(0.0) - f64::from(w)).abs() < 40.0;
                let cleared = m["counts"]
                    .as_str()
                    .is_some_and(|t| t.contains("since clear"));
                if near && cleared {
                    Ok(m)
                } else {
                    Err(format!("{m}"))
                }
            })
            .await;
        app.screenshot(&format!("layout-cleared-{w}x{h}")).await;
        assert_eq!(
            m["cut"].as_array().map(Vec::len),
            Some(0),
            "{w}x{h}: after Clear view no figure card cuts its text: {m}"
        );
    }

    // Right after a resize to the smallest size, a dialog opened over the folded figure line:
    // the line's overlay scrollbar must not be painted across the dialog.
    resize(&app, 720, 480).await;
    app.click("btn-add").await;
    let m = app
        .wait_for(
            "the add dialog over the folded figures at 720x480",
            async || {
                let m = app.js(BEHIND_DIALOG).await;
                let near = (m["vw"].as_f64().unwrap_or(0.0) - 720.0).abs() < 40.0;
                if near && m["dialog"] == true && m["line"] == "true" {
                    Ok(m)
                } else {
                    Err(format!("{m}"))
                }
            },
        )
        .await;
    app.screenshot("layout-dialog-after-resize-720x480").await;
    assert_eq!(
        m["overflowX"], "hidden",
        "the figure line has no scrollbar while a dialog is open: {m}"
    );
    assert_eq!(
        m["isolation"], "isolate",
        "the main area is a stacking context below the dialogs: {m}"
    );
    app.close().await;
}
