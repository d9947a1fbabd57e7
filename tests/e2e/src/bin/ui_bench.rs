//! UI speed under a flood: the real app on the harness's private desktop, one subscription fed
//! 10,000 events/s by the demo server for 60 s, while the bench clicks like a person.
//!
//! Measured (and printed as a table):
//! - click → visible effect, in the page: a capturing `click` listener stamps the click, a
//!   `MutationObserver` notices when the DOM shows the effect (paused pill, detail switched,
//!   timeline shown…), and the next `requestAnimationFrame` after that is when it is painted;
//! - main-thread frame gaps, in the page: the intervals between `requestAnimationFrame`
//!   callbacks for the whole flood (and, for comparison, a few idle seconds before it);
//! - memory: RSS of the app process, WebKitWebProcess and WebKitNetworkProcess every 5 s, and
//!   for the web process the trough analysis (`memory_trend.rs`): the lowest RSS after each
//!   collection, from the end of the warm-up on, against the level at the end of the warm-up
//!   (min, max, slope per minute, and the verdict against ±10 %);
//! - what the page holds, every 30 s: DOM nodes, log rows shown, Tauri's callback map, resource
//!   timing entries (a structure that grows shows there first);
//! - nothing lost: a counting proxy between the app and the demo server records every event id
//!   it forwards; at the end it goes quiet (no half events) and the app's SQLite must hold every
//!   one of them once, in order, with no gap.
//!
//! Not part of `cargo test`. Run (see tests/e2e/README.md, "Benchmarks"):
//!
//!     export CARGO_TARGET_DIR=$HOME/.cache/streamwatch-target
//!     npm --prefix ui run build && cargo build --release -p streamwatch-app
//!     STREAMWATCH_APP=$CARGO_TARGET_DIR/release/streamwatch-app \
//!         cargo run -p streamwatch-e2e --bin ui_bench
//!
//! Settings: `UI_BENCH_RATE` (events/s, default 10000), `UI_BENCH_SECS` (default 60),
//! `UI_BENCH_SIZE` (bytes of data per event, default 100), `UI_BENCH_WARMUP` (seconds of the
//! flood left out of the trough analysis, default 120, at most half the flood),
//! `UI_BENCH_CLICKS=0` (no clicks: the flood alone, the flooded stream shown; with
//! `UI_BENCH_SHOW=demo` the other stream is shown instead, so the flooded log is never drawn).
//! `UI_BENCH_DROP=1…23`: the page throws batches, or their messages, away on arrival, or keeps
//! them outside its store (see `DROP_BATCHES`).
//! For the 15-minute memory run: `UI_BENCH_SECS=900`. `UI_BENCH_JSC_LOG=1` also has
//! JavaScriptCore log its collections (`JSC_logGC=1`, read back from the driver log) and reports
//! the page's heap after each full collection, which tells retained JavaScript objects from
//! native growth; in that mode the two subscriptions are saved in the data folder before the app
//! starts instead of typed into the form (WebDriver's typing stalls with the GC log on).

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use streamwatch_demo_server::{DemoConfig, DemoServer};
use streamwatch_e2e::jsc_gc_log;
use streamwatch_e2e::memory_trend::{self, print_trend};
use streamwatch_e2e::process_stats::{cpu_secs, rss_by_name};
use streamwatch_e2e::{demo_n, App, Desktop};
use streamwatch_engine::storage::SubscriptionRecord;
use streamwatch_engine::storage::{HistoryQuery, Store};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const FLOOD_NAME: &str = "Flood";
const DEMO_NAME: &str = "Demo stream";

/// RSS in KiB per process name, at seconds into the flood.
type RssSamples = Vec<(f64, BTreeMap<String, u64>)>;

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

// ---- the counting proxy ------------------------------------------------------------------------

/// Which event ids went through to the app, and how many events in all.
#[derive(Default)]
struct Forwarded {
    ids: Mutex<Vec<u64>>, // a bitset: bit n set when id n was forwarded
    events: AtomicU64,
    connections: AtomicU64,
    quiet: AtomicBool,
}

impl Forwarded {
    fn mark(&self, id: u64) {
        let mut bits = self.ids.lock().unwrap();
        let word = (id / 64) as usize;
        if bits.len() <= word {
            bits.resize(word + 1 + 1024, 0);
        }
        bits[word] |= 1 << (id % 64);
    }

    /// (distinct ids, lowest, highest, holes between lowest and highest)
    fn summary(&self) -> (u64, u64, u64, u64) {
        let bits = self.ids.lock().unwrap();
        let (mut n, mut lo, mut hi) = (0u64, u64::MAX, 0u64);
        for (w, &word) in bits.iter().enumerate() {
            if word == 0 {
                continue;
            }
            n += u64::from(word.count_ones());
            let base = w as u64 * 64;
            lo = lo.min(base + u64::from(word.trailing_zeros()));
            hi = hi.max(base + 63 - u64::from(word.leading_zeros()));
        }
        let holes = if n == 0 { 0 } else { hi - lo + 1 - n };
        (n, lo, hi, holes)
    }
}

/// A TCP proxy in front of the demo server. It forwards the response only up to the end of the
/// last complete event (a blank line), noting each `id:` it lets through, and once `quiet` is set
/// it forwards nothing more while keeping the connection open: the app then has every event the
/// proxy counted, and no half event.
async fn start_proxy(upstream: SocketAddr, fwd: Arc<Forwarded>) -> SocketAddr {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let fwd = fwd.clone();
            tokio::spawn(async move {
                let Ok(server) = TcpStream::connect(upstream).await else {
                    return;
                };
                fwd.connections.fetch_add(1, Ordering::Relaxed);
                let _ = client.set_nodelay(true);
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                let up = tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut cr, &mut sw).await;
                });
                let mut pending: Vec<u8> = Vec::with_capacity(1 << 16);
                let mut buf = vec![0u8; 1 << 16];
                loop {
                    if fwd.quiet.load(Ordering::Relaxed) {
                        // Hold the connection open, silent, until the client goes.
                        let _ = up.await;
                        return;
                    }
                    let n =
                        match tokio::time::timeout(Duration::from_millis(100), sr.read(&mut buf))
                            .await
                        {
                            Err(_) => continue,
                            Ok(Ok(0)) | Ok(Err(_)) => break,
                            Ok(Ok(n)) => n,
                        };
                    pending.extend_from_slice(&buf[..n]);
                    let Some(end) = pending.windows(2).rposition(|w| w == b"\n\n") else {
                        continue;
                    };
                    let out: Vec<u8> = pending.drain(..end + 2).collect();
                    for line in out.split(|&b| b == b'\n') {
                        if let Some(rest) = line.strip_prefix(b"id: ") {
                            let digits: &[u8] = rest.strip_suffix(b"\r").unwrap_or(rest);
                            if let Some(id) = std::str::from_utf8(digits)
                                .ok()
                                .and_then(|s| s.parse::<u64>().ok())
                            {
                                fwd.mark(id);
                                fwd.events.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                    if cw.write_all(&out).await.is_err() {
                        break;
                    }
                }
                up.abort();
            });
        }
    });
    addr
}

// ---- processes and memory ----------------------------------------------------------------------

// ---- in-page instruments -----------------------------------------------------------------------

/// Installs `window.__swb`: a requestAnimationFrame loop recording frame intervals, a count of
/// the log's redraws that showed other rows, and the click-to-effect probe (`arm(kind, arg)` before a
/// click; results in `__swb.clicks`).
const INSTRUMENTS: &str = r#"
if (window.__swb) return true;
const S = window.__swb = { gaps: [], last: null, clicks: [], armed: null, observer: null };
const frame = (t) => {
  if (S.last !== null) S.gaps.push(t - S.last);
  S.last = t;
  requestAnimationFrame(frame);
};
requestAnimationFrame(frame);
// Redraws of the log that showed other rows (one observer callback per redraw), to tell its
// pace: the list reuses its row elements, so a redraw changes their `data-uid`.
S.logDraws = 0;
new MutationObserver(() => { S.logDraws++; })
  .observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-uid'] });
const q = (sel) => document.querySelector(sel);
const effects = {
  paused: () => { const s = q('[data-testid="detail-state"]'); return !!(s && s.dataset.state === 'paused' && q('[data-testid="btn-resume"]')); },
  resumed: () => { const s = q('[data-testid="detail-state"]'); return !!(s && s.dataset.state !== 'paused' && q('[data-testid="btn-pause"]')); },
  selected: (name) => { const n = q('[data-testid="detail-name"]'); const i = q('[data-testid="sub-item"][aria-selected="true"]');
                        return !!(n && n.textContent === name && i && i.dataset.name === name); },
  timelineShown: () => !!q('[data-testid="timeline"]'),
  timelineHidden: () => !q('[data-testid="timeline"]'),
};
const settle = () => {
  const a = S.armed;
  if (!a || a.clickAt === null || a.effectAt !== null) return;
  if (!effects[a.kind](a.arg)) return;
  a.effectAt = performance.now();
  S.observer.disconnect();
  requestAnimationFrame((t) => {
    a.frameAt = performance.now();
    S.clicks.push({ kind: a.kind, arg: a.arg, click: a.clickAt, eventTs: a.eventTs,
                    effect: a.effectAt - a.clickAt, painted: a.frameAt - a.clickAt });
    S.armed = null;
  });
};
S.observer = new MutationObserver(settle);
S.arm = (kind, arg) => { S.armed = { kind, arg, clickAt: null, eventTs: null, effectAt: null }; };
document.addEventListener('click', (e) => {
  const a = S.armed;
  if (!a || a.clickAt !== null) return;
  a.clickAt = performance.now();
  a.eventTs = e.timeStamp;
  S.observer.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  // The effect may already be in the DOM when the handler ran synchronously.
  queueMicrotask(settle);
}, true);
return true;
"#;

/// What the page holds, for a structure that grows: DOM nodes, rows drawn, log rows counted,
/// Tauri's callback map (one pair per `invoke` in flight), resource timing entries (one per IPC
/// fetch until the buffer is full), the bench's own frame record, and the log's redraws so far.
const CENSUS: &str = r#"
const c = document.querySelector('[data-testid="log-count"]');
return {
  dom: document.getElementsByTagName('*').length,
  rows: document.querySelectorAll('[data-testid="log-row"]').length,
  shown: c ? c.textContent.trim() : null,
  callbacks: window.__TAURI_INTERNALS__ && window.__TAURI_INTERNALS__.callbacks ? window.__TAURI_INTERNALS__.callbacks.size : null,
  perf: performance.getEntries().length,
  gaps: window.__swb ? window.__swb.gaps.length : null,
  logDraws: window.__swb ? window.__swb.logDraws : null,
  dropped: window.__swbDropped === undefined ? null : window.__swbDropped,
};
"#;

/// `UI_BENCH_DROP`: every live callback Tauri holds for the page is wrapped, to split what the
/// flood costs in the web process. 1: the bridge's batches are received (the `eval`, the IPC
/// fetch, the JSON parse) and thrown away (Tauri's transport alone). 2: each batch reaches the
/// store without its messages (statuses, counters and their drawing; no log rows). 3: as 1, but
/// the messages are kept in a plain ring of 100,000 (the log's lifetimes, without the store).
/// 4: 2 and 3 together (the store gets all but the messages, which the ring keeps). 5: as 3,
/// each message given a `uid` property as the log does. 6: as 3, in a deque shaped like the
/// log's (grown by doubling, a slot emptied as its row goes). 7: as 2, and a panel of 26 rows
/// drawn over the window gets the newest messages' text on every batch (the log's redraw in
/// plain DOM); 8: as 7, painted on a canvas instead; 9: as 7, the 26 lines in one text node;
/// 10: as 7, each line an inline span (its own text node) in one block; 11: 9 and 3 together
/// (the panel drawn, and the messages kept in the ring). 12: as 7 with the ring, each row's
/// text node given the message's own `data` string (shared with the kept message, as the log's
/// rows are); 13: as 12, given a fresh string instead (the same text after one space); 14: as
/// 12, each row cut with an ellipsis (`text-overflow`) as the log's cells are; 15: as 14, each
/// row a grid of four cells (time, event, id, data) as the log's rows are; 16: as 14, the rows
/// inside a scrolled box 100,000 rows tall, moved by a transform, as the log's virtual list is;
/// 17: as 15, each row a flex box of the same four cells (fixed widths, the data cell flexed);
/// 18: as 17 with two cells (id, data); 19: as 14 with 104 rows of 6 px (as many text boxes as 15);
/// 20: as 15, each row a plain block and its four cells inline blocks of fixed widths; 21: as 15,
/// each row a positioned block and its four cells placed absolutely at fixed offsets; 22: as 20,
/// the cells not clipped (no `overflow`, so no layer each) and the data cell a plain span, the
/// row cut with an ellipsis; 23: as 22, every cell a plain inline span.
const DROP_BATCHES: &str = r#"
const mode = DROP_MODE;
const cbs = window.__TAURI_INTERNALS__.callbacks;
window.__swbDropped = 0;
const ring = new Array(100000);
let at = 0;
let uid = 0;
const dq = { slots: new Array(1024), head: 0, len: 0 };
let panel = null;
if (mode >= 7 && mode <= 23) {
  // A panel of 26 rows, drawn over the window, given the newest messages on every batch: the
  // log's redraw without the log (7: a text node per row, its value replaced as Svelte does;
  // 8: the same text painted on a canvas; 9: the 26 lines in one text node; 10: a span per
  // line, all in one block).
  const box = document.createElement(mode === 8 ? 'canvas' : 'div');
  box.style.cssText = 'position:fixed;right:0;bottom:0;width:600px;height:624px;background:#fff;z-index:9999;font:12px monospace;overflow:hidden';
  if (mode === 8) { box.width = 600; box.height = 624; }
  const texts = [];
  if (mode === 9 || mode === 11) {
    box.style.whiteSpace = 'pre';
    box.style.lineHeight = '24px';
    const t = document.createTextNode(' ');
    box.appendChild(t);
    texts.push(t);
  }
  if (mode === 10) { box.style.whiteSpace = 'pre'; box.style.lineHeight = '24px'; }
  let rowsBox = null;
  if (mode === 16) {
    box.style.overflow = 'auto';
    const spacer = document.createElement('div');
    spacer.style.cssText = 'position:relative;height:2400000px';
    rowsBox = document.createElement('div');
    rowsBox.style.cssText = 'position:absolute;left:0;right:0;top:0;will-change:transform';
    spacer.appendChild(rowsBox);
    box.appendChild(spacer);
  }
  if (mode === 7 || mode === 10 || mode >= 12) for (let i = 0; i < (mode === 19 ? 104 : 26); i++) {
    const row = document.createElement(mode === 10 ? 'span' : 'div');
    if (mode !== 10) row.style.cssText = 'height:24px;white-space:nowrap';
    if (mode === 19) row.style.height = '6px';
    if (mode === 14 || mode === 16 || mode === 19) { row.style.overflow = 'hidden'; row.style.textOverflow = 'ellipsis'; }
    if (mode === 15 || (mode >= 17 && mode !== 19)) {
      if (mode === 15) row.style.cssText += ';display:grid;grid-template-columns:92px 60px 70px minmax(0,1fr);column-gap:10px;align-items:center';
      if (mode === 17 || mode === 18) row.style.cssText += ';display:flex;column-gap:10px;align-items:center';
      if (mode === 20) row.style.cssText += ';overflow:hidden;line-height:24px';
      if (mode === 22 || mode === 23) row.style.cssText += ';overflow:hidden;text-overflow:ellipsis;line-height:24px';
      if (mode === 21) row.style.cssText += ';position:relative;line-height:24px';
      const widths = ['92px', '60px', '70px', null];
      const lefts = [0, 102, 172, 252];
      for (let c = mode === 18 ? 2 : 0; c < 4; c++) {
        const cell = document.createElement('span');
        cell.style.cssText = 'white-space:nowrap;overflow:hidden;text-overflow:ellipsis';
        if (mode === 17) cell.style.cssText += widths[c] ? `;flex:0 0 ${widths[c]}` : ';flex:1 1 0;min-width:0';
        if (mode === 20) cell.style.cssText += `;display:inline-block;vertical-align:top;margin-right:10px;width:${widths[c] || '338px'}`;
        if (mode === 22) cell.style.cssText = widths[c] ? `white-space:nowrap;display:inline-block;vertical-align:top;margin-right:10px;width:${widths[c]}` : 'white-space:nowrap';
        if (mode === 23) cell.style.cssText = 'white-space:nowrap;margin-right:10px';
        if (mode === 21) cell.style.cssText += `;position:absolute;top:0;left:${lefts[c]}px;${widths[c] ? 'width:' + widths[c] : 'right:0'}`;
        const t = document.createTextNode(' ');
        cell.appendChild(t);
        row.appendChild(cell);
        texts.push(t);
      }
      box.appendChild(row);
      continue;
    }
    const t = document.createTextNode(' ');
    row.appendChild(t);
    (mode === 16 ? rowsBox : box).appendChild(row);
    if (mode === 10) box.appendChild(document.createElement('br'));
    texts.push(t);
  }
  document.body.appendChild(box);
  if (mode === 16) box.scrollTop = box.scrollHeight;
  panel = { box, texts, rowsBox, ctx: mode === 8 ? box.getContext('2d') : null };
}
function draw(ms) {
  const last = ms.slice(-26);
  const line = (m) => `${new Date(m.receivedAtMs || 0).toISOString().slice(11, 23)} ${m.event || ''} ${m.id || ''} ${String(m.data).slice(0, 200)}`;
  if (panel.ctx) {
    const c = panel.ctx;
    c.clearRect(0, 0, 600, 624);
    c.fillStyle = '#000';
    c.font = '12px monospace';
    last.forEach((m, i) => c.fillText(line(m), 4, 16 + i * 24));
  } else if (panel.texts.length === 1) {
    panel.texts[0].nodeValue = last.map(line).join('\n');
  } else if (mode === 18) {
    last.forEach((m, i) => {
      panel.texts[i * 2].nodeValue = m.id || '';
      panel.texts[i * 2 + 1].nodeValue = m.data;
    });
  } else if (mode === 19) {
    ms.slice(-104).forEach((m, i) => { panel.texts[i].nodeValue = m.data; });
  } else if (mode === 15 || mode === 17 || mode >= 20) {
    last.forEach((m, i) => {
      panel.texts[i * 4].nodeValue = new Date(m.receivedAtMs || 0).toISOString().slice(11, 23);
      panel.texts[i * 4 + 1].nodeValue = m.event || '';
      panel.texts[i * 4 + 2].nodeValue = m.id || '';
      panel.texts[i * 4 + 3].nodeValue = m.data;
    });
  } else if (mode === 12 || mode === 14 || mode === 16) {
    if (panel.rowsBox) {
      // Rows follow the scrolled-to end, a row's height apart as the feed goes (the list's offset).
      panel.moved = ((panel.moved || 0) + 24) % 2400;
      panel.rowsBox.style.transform = `translateY(${2400000 - 624 - 2400 + panel.moved}px)`;
    }
    last.forEach((m, i) => { panel.texts[i].nodeValue = m.data; });
  } else if (mode === 13) {
    last.forEach((m, i) => { panel.texts[i].nodeValue = ' ' + m.data; });
  } else {
    last.forEach((m, i) => { panel.texts[i].nodeValue = line(m); });
  }
}
let wrapped = 0;
for (const [id, f] of cbs) {
  cbs.set(id, (d) => {
    if (d && typeof d === 'object' && 'index' in d && d.message && Array.isArray(d.message.messages)) {
      const ms = d.message.messages;
      window.__swbDropped += ms.length;
      if (mode === 3 || mode === 4 || mode === 11 || mode >= 12) for (const m of ms) { ring[at] = m; at = (at + 1) % ring.length; }
      if (mode === 5) for (const m of ms) { m.uid = ++uid; ring[at] = m; at = (at + 1) % ring.length; }
      if (mode === 6) for (const m of ms) {
        if (dq.len === 100000) { dq.slots[dq.head] = undefined; dq.head = (dq.head + 1) % dq.slots.length; dq.len--; }
        if (dq.len === dq.slots.length) {
          const next = new Array(Math.min(100000, dq.slots.length * 2));
          for (let i = 0; i < dq.len; i++) next[i] = dq.slots[(dq.head + i) % dq.slots.length];
          dq.slots = next; dq.head = 0;
        }
        dq.slots[(dq.head + dq.len) % dq.slots.length] = m; dq.len++;
      }
      if (panel && ms.length) draw(ms);
      if (mode === 2 || mode === 4 || (mode >= 7 && mode <= 23)) return f({ ...d, message: { ...d.message, messages: [] } });
      return;
    }
    return f(d);
  });
  wrapped++;
}
return wrapped;
"#;

/// The band the web process's troughs must stay in after the warm-up.
const FLAT_BAND: f64 = 0.10;

struct Stats {
    n: usize,
    median: f64,
    p95: f64,
    p99: f64,
    max: f64,
}

fn stats(values: &[f64]) -> Stats {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let at = |p: f64| -> f64 {
        if v.is_empty() {
            return f64::NAN;
        }
        let i = ((v.len() as f64 - 1.0) * p).round() as usize;
        v[i]
    };
    Stats {
        n: v.len(),
        median: at(0.5),
        p95: at(0.95),
        p99: at(0.99),
        max: v.last().copied().unwrap_or(f64::NAN),
    }
}

fn mib(kib: u64) -> String {
    format!("{:.0} MiB", kib as f64 / 1024.0)
}

/// Clicks `css` through WebDriver with the effect `kind` armed, and waits for the page to record
/// it. Returns (page-measured click→effect→painted, WebDriver round trip of the click).
async fn timed_click(app: &App, css: &str, kind: &str, arg: &str) -> Option<(Value, f64)> {
    app.js(&format!(
        "window.__swb.arm({}, {}); return true;",
        json!(kind),
        json!(arg)
    ))
    .await;
    let before = app
        .js("return window.__swb.clicks.length;")
        .await
        .as_u64()?;
    let t0 = Instant::now();
    app.click_css(css).await;
    let rt = t0.elapsed().as_secs_f64() * 1000.0;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let v = app
            .js(&format!(
                "const c = window.__swb.clicks; return c.length > {before} ? c[c.length - 1] : null;"
            ))
            .await;
        if !v.is_null() {
            return Some((v, rt));
        }
        if Instant::now() > deadline {
            eprintln!("no effect seen for {kind} {arg} within 10 s");
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The page's JavaScript heap after each full collection (`UI_BENCH_JSC_LOG=1`): what its live
/// objects take, apart from everything else in the web process's RSS.
fn print_js_heap(full: &[(f64, jsc_gc_log::Collection)], warmup: f64) {
    let list: Vec<String> = full
        .iter()
        .map(|(t, c)| format!("{t:.0}:{}→{}", c.before_kib / 1024, c.after_kib / 1024))
        .collect();
    println!(
        "\nJavaScript heap at full collections (s seen: MiB before→after): {}",
        list.join(" ")
    );
    let after: Vec<u64> = full
        .iter()
        .filter(|(t, _)| *t >= warmup)
        .map(|(_, c)| c.after_kib)
        .collect();
    if let (Some(lo), Some(hi)) = (after.iter().min(), after.iter().max()) {
        println!(
            "After the warm-up, {} full collections left {:.1}–{:.1} MiB live",
            after.len(),
            *lo as f64 / 1024.0,
            *hi as f64 / 1024.0
        );
    }
}

#[tokio::main]
async fn main() {
    let rate = env_num("UI_BENCH_RATE", 10_000);
    let secs = env_num("UI_BENCH_SECS", 60);
    let size = env_num("UI_BENCH_SIZE", 100) as usize;
    println!(
        "ui_bench: {rate} events/s for {secs} s, ~{size} B of data each; app {}",
        streamwatch_e2e::app_binary().display()
    );

    // Every event stays available for replay, so a resume after a pause gets what it missed.
    let config = DemoConfig {
        rate: rate as f64,
        size,
        replay: 10_000_000,
        heartbeat: Some(Duration::from_secs(5)),
        ..DemoConfig::default()
    };
    let server = DemoServer::start((Ipv4Addr::LOCALHOST, 0).into(), config)
        .await
        .expect("the demo server starts");
    let fwd = Arc::new(Forwarded::default());
    let proxy = start_proxy(server.addr(), fwd.clone()).await;

    let jsc_log = env_num("UI_BENCH_JSC_LOG", 0) == 1;
    let url = format!("http://{proxy}/events");
    // With the GC log on, the subscriptions are saved before the start: the flood and a quiet
    // stand-in for the demo stream (which a first run would add).
    let quiet = if jsc_log {
        // The web process inherits it through tauri-driver and the app.
        std::env::set_var("JSC_logGC", "1");
        let quiet = DemoServer::start(
            (Ipv4Addr::LOCALHOST, 0).into(),
            DemoConfig {
                rate: 5.0,
                ..DemoConfig::default()
            },
        )
        .await
        .expect("the quiet demo server starts");
        Some(quiet)
    } else {
        None
    };
    let desktop = Desktop::start("ui_bench").await;
    if let Some(quiet) = &quiet {
        let store = Store::open(desktop.data_dir()).expect("the data folder opens");
        let demo_url = format!("http://{}/events", quiet.addr());
        for (name, url) in [(DEMO_NAME, demo_url.as_str()), (FLOOD_NAME, url.as_str())] {
            store
                .add_subscription(&SubscriptionRecord::new(name, url))
                .expect("the subscription is saved");
        }
    }
    let app = App::launch_on(desktop, "ui_bench").await;
    let data_dir = app.data_dir().to_path_buf();
    app.wait_sub_state(DEMO_NAME, "open").await;
    app.js(INSTRUMENTS).await;

    // Idle baseline: frame gaps with only the demo stream's 5 msgs/s.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let idle_gaps: Vec<f64> = serde_json::from_value(
        app.js("const g = window.__swb.gaps; window.__swb.gaps = []; return g;")
            .await,
    )
    .unwrap_or_default();
    let mem_idle = rss_by_name(&data_dir);

    // The flood subscription, added through the form like a person would.
    if !jsc_log {
        app.click("btn-add").await;
        app.element("subscription-form").await;
        app.fill("field-name", FLOOD_NAME).await;
        app.fill("field-url", &url).await;
        app.click("btn-save").await;
        app.wait_gone("subscription-form").await;
    }
    app.wait_sub_state(FLOOD_NAME, "open").await;
    let flood_started = Instant::now();
    let cpu_start = cpu_secs(&data_dir);
    app.js("window.__swb.gaps = []; return true;").await;

    // During the flood: pause/resume, switch subscriptions, toggle the timeline; sample memory.
    let flood_css = format!("[data-testid=\"sub-item\"][data-name=\"{FLOOD_NAME}\"]");
    let demo_css = format!("[data-testid=\"sub-item\"][data-name=\"{DEMO_NAME}\"]");
    let mut clicks: Vec<(Value, f64)> = Vec::new();
    // RSS every 5 s on its own task, so a slow click does not stretch the sampling period.
    let mem: Arc<Mutex<RssSamples>> = Arc::new(Mutex::new(vec![(0.0, rss_by_name(&data_dir))]));
    let sampler = {
        let mem = mem.clone();
        let data_dir = data_dir.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(5));
            every.tick().await;
            loop {
                every.tick().await;
                let t = flood_started.elapsed().as_secs_f64();
                let m = rss_by_name(&data_dir);
                let web = m.get("WebKitWebProcess").copied().unwrap_or(0) / 1024;
                let app = m.get("streamwatch-app").copied().unwrap_or(0) / 1024;
                eprintln!("[rss {t:.0} s] web {web} MiB, app {app} MiB");
                mem.lock().unwrap().push((t, m));
            }
        })
    };
    let mut census: Vec<(f64, Value)> = Vec::new();
    let mut last_census: Option<Instant> = None;
    // Full collections seen so far, with the flood time they were first seen at.
    let mut full_gcs: Vec<(f64, jsc_gc_log::Collection)> = Vec::new();
    let script: [(&str, &str, &str); 6] = [
        ("[data-testid=\"btn-pause\"]", "paused", ""),
        ("[data-testid=\"btn-resume\"]", "resumed", ""),
        (&demo_css, "selected", DEMO_NAME),
        (&flood_css, "selected", FLOOD_NAME),
        (
            "[data-testid=\"btn-toggle-timeline\"]",
            "timelineHidden",
            "",
        ),
        ("[data-testid=\"btn-toggle-timeline\"]", "timelineShown", ""),
    ];
    let timeline_shown = app.exists("timeline").await;
    // `UI_BENCH_CLICKS=0`: the flood alone, the window left as it is (only the census every
    // 30 s talks to the page), to tell the flood's memory from the clicking's.
    let clicking = env_num("UI_BENCH_CLICKS", 1) != 0;
    if !clicking {
        eprintln!("clicks off (UI_BENCH_CLICKS=0): the flood alone");
        // `UI_BENCH_SHOW=demo`: the other stream shown, so the flooded log is never drawn (what
        // the flood costs without its rows being painted).
        if std::env::var("UI_BENCH_SHOW").is_ok_and(|v| v == "demo") {
            app.click_css(&demo_css).await;
            eprintln!("showing {DEMO_NAME}: the flooded log is not drawn");
        }
    }
    let drop_mode = env_num("UI_BENCH_DROP", 0);
    if drop_mode != 0 {
        let wrapped = app
            .js(&DROP_BATCHES.replace("DROP_MODE", &drop_mode.to_string()))
            .await;
        eprintln!("UI_BENCH_DROP={drop_mode}: {wrapped} callbacks wrapped");
    }
    let mut step = 0usize;
    while flood_started.elapsed() < Duration::from_secs(secs) {
        let (css, mut kind, arg) = script[step % script.len()];
        if kind.starts_with("timeline") {
            // Toggle to whichever state it is not in.
            let shown = app.exists("timeline").await;
            kind = if shown {
                "timelineHidden"
            } else {
                "timelineShown"
            };
        }
        if clicking {
            if let Some(r) = timed_click(&app, css, kind, arg).await {
                clicks.push(r);
            }
        }
        step += 1;
        tokio::time::sleep(Duration::from_millis(400)).await;
        if last_census.is_none_or(|t| t.elapsed() >= Duration::from_secs(30)) {
            last_census = Some(Instant::now());
            let v = app.js(CENSUS).await;
            let t = flood_started.elapsed().as_secs_f64();
            eprintln!("[page {t:.0} s] {v}");
            census.push((t, v));
            if jsc_log {
                let log = app.desktop().driver_log_tail(usize::MAX);
                let full: Vec<jsc_gc_log::Collection> = jsc_gc_log::collections(&log)
                    .into_iter()
                    .filter(|c| c.full)
                    .collect();
                for c in full.into_iter().skip(full_gcs.len()) {
                    eprintln!(
                        "[js heap {t:.0} s] full collection {} → {} MiB",
                        c.before_kib / 1024,
                        c.after_kib / 1024
                    );
                    full_gcs.push((t, c));
                }
            }
        }
    }
    // Leave it running, shown, with the timeline as it was.
    if app.exists("btn-resume").await {
        app.click("btn-resume").await;
    }
    if app.exists("timeline").await != timeline_shown {
        app.click("btn-toggle-timeline").await;
    }
    let flood_secs = flood_started.elapsed().as_secs_f64();
    let gaps: Vec<f64> = serde_json::from_value(
        app.js("const g = window.__swb.gaps; window.__swb.gaps = []; return g;")
            .await,
    )
    .unwrap_or_default();
    let cpu_end = cpu_secs(&data_dir);
    sampler.abort();
    let mut mem = std::mem::take(&mut *mem.lock().unwrap());
    mem.push((flood_secs, rss_by_name(&data_dir)));
    let shown_rows = app.js("const c = document.querySelector('[data-testid=\"log-count\"]'); return c ? c.textContent : null;").await;
    app.screenshot("ui-bench-flood").await;

    // The end of the flood: the proxy goes quiet after a whole event; the app must store all.
    fwd.quiet.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (distinct, lo, hi, holes) = fwd.summary();
    let store = Store::open(&data_dir).expect("the app's store opens");
    let sub = store
        .find_subscription(FLOOD_NAME)
        .expect("the flood subscription is stored");
    let settle_deadline = Instant::now() + Duration::from_secs(30);
    let mut counters = store.counters(sub.id).expect("counters");
    while counters.messages < distinct && Instant::now() < settle_deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        counters = store.counters(sub.id).expect("counters");
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    counters = store.counters(sub.id).expect("counters");
    let rows = store
        .history(
            sub.id,
            &HistoryQuery {
                limit: 0,
                newest_first: false,
                ..HistoryQuery::default()
            },
        )
        .expect("history");
    let ns: Vec<Option<u64>> = rows.iter().map(|r| demo_n(&r.data)).collect();
    let unparsed = ns.iter().filter(|n| n.is_none()).count();
    let ns: Vec<u64> = ns.into_iter().flatten().collect();
    let n_steps_bad = ns.windows(2).filter(|w| w[1] != w[0] + 1).count();
    let seq_steps_bad = rows.windows(2).filter(|w| w[1].seq != w[0].seq + 1).count();
    let id_matches = rows
        .iter()
        .filter(|r| demo_n(&r.data).is_some_and(|n| r.id == n.to_string()))
        .count();
    let offset_const = rows
        .iter()
        .filter_map(|r| demo_n(&r.data).map(|n| n as i64 - r.seq as i64))
        .collect::<std::collections::BTreeSet<_>>();
    let last_seq = rows.last().map(|r| r.seq).unwrap_or(0);

    // ---- report ----------------------------------------------------------------------------
    let effect: Vec<f64> = clicks
        .iter()
        .filter_map(|(v, _)| v["effect"].as_f64())
        .collect();
    let painted: Vec<f64> = clicks
        .iter()
        .filter_map(|(v, _)| v["painted"].as_f64())
        .collect();
    let rts: Vec<f64> = clicks.iter().map(|(_, rt)| *rt).collect();
    let mut by_kind: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for (v, _) in &clicks {
        let k = match v["kind"].as_str().unwrap_or("?") {
            "selected" => format!("select {}", v["arg"].as_str().unwrap_or("")),
            "timelineShown" | "timelineHidden" => "toggle timeline".to_owned(),
            k => k.to_owned(),
        };
        by_kind
            .entry(k)
            .or_default()
            .push(v["painted"].as_f64().unwrap_or(f64::NAN));
    }
    let g = stats(&gaps);
    let gi = stats(&idle_gaps);
    let over = |v: &[f64], ms: f64| v.iter().filter(|&&x| x > ms).count();

    println!();
    println!(
        "## UI under a flood: {rate} events/s for {flood_secs:.0} s ({} events forwarded, {} connections)",
        fwd.events.load(Ordering::Relaxed),
        fwd.connections.load(Ordering::Relaxed)
    );
    println!();
    println!("| click → visible effect (in page) | clicks | median | p95 | max | target |");
    println!("|---|---|---|---|---|---|");
    let row = |what: &str, v: &[f64], target: &str| {
        let s = stats(v);
        println!(
            "| {what} | {} | {:.0} ms | {:.0} ms | {:.0} ms | {target} |",
            s.n, s.median, s.p95, s.max
        );
    };
    row("click → DOM shows it (all)", &effect, "");
    row("click → next frame painted (all)", &painted, "< 100 ms");
    for (k, v) in &by_kind {
        row(&format!("  {k} → painted"), v, "");
    }
    row("WebDriver click round trip (outside)", &rts, "");
    println!();
    println!(
        "| frame gaps (requestAnimationFrame) | frames | median | p99 | max | > 50 ms | > 100 ms |"
    );
    println!("|---|---|---|---|---|---|---|");
    println!(
        "| idle, before the flood | {} | {:.1} ms | {:.1} ms | {:.0} ms | {} | {} |",
        gi.n,
        gi.median,
        gi.p99,
        gi.max,
        over(&idle_gaps, 50.0),
        over(&idle_gaps, 100.0)
    );
    println!(
        "| during the flood | {} | {:.1} ms | {:.1} ms | {:.0} ms | {} | {} |",
        g.n,
        g.median,
        g.p99,
        g.max,
        over(&gaps, 50.0),
        over(&gaps, 100.0)
    );
    println!();
    let names = [
        "streamwatch-app",
        "WebKitWebProcess",
        "WebKitNetworkProcess",
    ];
    println!("| RSS | idle | flood start | flood end | max during flood |");
    println!("|---|---|---|---|---|");
    for name in names {
        let get = |m: &BTreeMap<String, u64>| m.get(name).copied().unwrap_or(0);
        let max = mem.iter().map(|(_, m)| get(m)).max().unwrap_or(0);
        println!(
            "| {name} | {} | {} | {} | {} |",
            mib(get(&mem_idle)),
            mib(get(&mem[0].1)),
            mib(get(&mem[mem.len() - 1].1)),
            mib(max)
        );
    }
    print!("\nRSS samples (s: app / web / network MiB):");
    for (t, m) in &mem {
        let get = |n: &str| m.get(n).copied().unwrap_or(0) / 1024;
        print!(
            " {t:.0}:{}/{}/{}",
            get(names[0]),
            get(names[1]),
            get(names[2])
        );
    }
    println!();
    let warmup = (env_num("UI_BENCH_WARMUP", 120) as f64).min(flood_secs / 2.0);
    let web: Vec<(f64, u64)> = mem
        .iter()
        .map(|(t, m)| (*t, m.get("WebKitWebProcess").copied().unwrap_or(0)))
        .collect();
    let trend = memory_trend::analyse(&web, warmup, FLAT_BAND);
    print_trend(trend.as_ref(), warmup);
    if jsc_log {
        print_js_heap(&full_gcs, warmup);
    }
    if !census.is_empty() {
        println!("\nWhat the page held (every 30 s):");
        for (t, v) in &census {
            println!("  {t:.0} s: {v}");
        }
    }
    print!("CPU during the flood (s of CPU / {flood_secs:.0} s):");
    for name in names {
        let d =
            cpu_end.get(name).copied().unwrap_or(0.0) - cpu_start.get(name).copied().unwrap_or(0.0);
        print!(" {name} {d:.1}");
    }
    println!("\nLog count shown at the end: {shown_rows}");
    println!();
    println!("| nothing lost | value |");
    println!("|---|---|");
    println!("| distinct event ids the server sent through the proxy | {distinct} (ids {lo}..={hi}, {holes} holes) |");
    println!(
        "| messages the app stored (sub_state.messages) | {} |",
        counters.messages
    );
    println!(
        "| gaps / missed events recorded by the engine | {} / {} |",
        counters.gaps, counters.missed_events
    );
    println!(
        "| rows held in SQLite (retention keeps the newest 100,000) | {} (seq ..={last_seq}, newest n {:?}) |",
        rows.len(),
        ns.last()
    );
    println!("| rows whose n does not follow the previous row's | {n_steps_bad} |");
    println!("| rows whose seq does not follow the previous row's | {seq_steps_bad} |");
    println!("| rows whose id equals n / unparsable rows | {id_matches} / {unparsed} |");
    println!(
        "| distinct n − seq offsets (1 = no loss, no duplicate) | {} |",
        offset_const.len()
    );
    let lost_ok = distinct == counters.messages
        && holes == 0
        && counters.gaps == 0
        && n_steps_bad == 0
        && seq_steps_bad == 0
        && ns.last() == Some(&hi)
        && offset_const.len() == 1;
    println!();
    println!(
        "verdict: click→painted p95 {:.0} ms ({}), frame gaps > 100 ms: {} ({}), nothing lost: {}, web process memory {}",
        stats(&painted).p95,
        if stats(&painted).p95 < 100.0 {
            "ok"
        } else {
            "MISSED"
        },
        over(&gaps, 100.0),
        if over(&gaps, 100.0) == 0 {
            "ok"
        } else {
            "MISSED"
        },
        if lost_ok { "ok" } else { "MISSED" },
        match &trend {
            Some(t) if t.flat() => format!("flat within ±{:.0} % (ok)", FLAT_BAND * 100.0),
            Some(t) => format!(
                "troughs {:+.1} %…{:+.1} % of the level (MISSED ±{:.0} %)",
                t.min_dev() * 100.0,
                t.max_dev() * 100.0,
                FLAT_BAND * 100.0
            ),
            None => "not judged (flood shorter than the warm-up)".to_owned(),
        }
    );

    app.close().await;
    server.shutdown().await;
    if let Some(quiet) = quiet {
        quiet.shutdown().await;
    }
}
