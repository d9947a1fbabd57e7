//! The detail view at the window sizes that matter: the smallest the app allows (720×480),
//! the default (1200×780) and a large desktop (1920×1080). At each, the log's first row is on
//! screen; at the smallest the figure cards fold into one line and the log scrolls; at the
//! default and above no figure card cuts its text. See ../README.md.

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
// Text a card cuts: a line wider than its box (an ellipsis) or a card taller than its line.
const cut = [];
for (const el of figs ? figs.querySelectorAll('.label, .value, .sub, .hint') : []) {
  if (el.scrollWidth > el.clientWidth + 1) cut.push(el.textContent.trim());
}
return {
  vw, vh,
  visible, rowTop: r ? r.top : null, rowBottom: r ? r.bottom : null,
  viewportHeight: vp ? vp.clientHeight : null,
  scrollable: vp ? vp.scrollHeight > vp.clientHeight : null,
  cardLines: tops.size,
  cut,
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

    let mut seen = Vec::new();
    for (w, h) in [(720, 480), (1200, 780), (1920, 1080)] {
        resize(&app, w, h).await;
        let m = measure(&app, w, h).await;
        app.screenshot(&format!("layout-detail-{w}x{h}")).await;
        seen.push(((w, h), m));
    }
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
        assert!(
            m["viewportHeight"].as_f64().unwrap_or(0.0) >= 72.0,
            "{w}x{h}: the log shows at least three rows: {m}"
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
    app.close().await;
}
