//! Peak memory of the real desktop app under hostile servers (issue 11, "memory is bounded by
//! bytes, whatever the server does"): the `streamwatch-app` binary in a real window on the
//! harness's private desktop (Xvfb, session bus, tauri-driver), subscribed to one of the
//! hostile servers of `crates/cli/benches/peak_rss.rs` for a fixed time, with the flooded
//! subscription selected so its live log is on screen.
//!
//! Measured per server, for the app process and for the WebKit processes it starts (found by
//! the run's private `STREAMWATCH_DATA_DIR`, never by name alone):
//! - VmHWM (the kernel's resident peak) of each process, read every 200 ms and at the end; a
//!   process kind's figure is the sum over its processes (one each, unless WebKit restarted a
//!   crashed web process: the count is printed);
//! - the highest sampled sum of VmRSS over all of them at one instant (the whole app's peak
//!   footprint, which the per-process peaks, reached at different times, overstate);
//! - the RSS series, to tell a plateau from growth, and whether the window still answers a
//!   script (its round trip) and what the log's count line shows at the end; a screenshot per
//!   server goes to the artifacts folder (`app-rss-<server>.png`).
//!
//! Not part of `cargo test`. Run (see tests/e2e/BENCHMARKS.md):
//!
//!     export CARGO_TARGET_DIR=$HOME/.cache/streamwatch-target
//!     npm --prefix ui run build && cargo build -p streamwatch-app     # or --release, below
//!     cargo run -p streamwatch-e2e --bin app_rss                      # 10 s per server
//!     STREAMWATCH_RSS_SECONDS=120 cargo run -p streamwatch-e2e --bin app_rss -- big
//!     STREAMWATCH_APP=$CARGO_TARGET_DIR/release/streamwatch-app cargo run -p streamwatch-e2e --bin app_rss
//!
//! Arguments: server names (`trickle`, `big`, `tiny`) to run only those; none runs all three.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;
use streamwatch_e2e::{app_processes, App, Desktop};
use streamwatch_engine::storage::{Store, SubscriptionRecord};
use streamwatch_test_support::hostile::Hostile;

const SUB_NAME: &str = "Hostile";
const KINDS: [&str; 3] = [
    "streamwatch-app",
    "WebKitWebProcess",
    "WebKitNetworkProcess",
];
const SAMPLE_EVERY: Duration = Duration::from_millis(200);

/// The bench's name for one of the app's processes (`comm` is cut at 15 bytes).
fn process_kind(comm: &str) -> Option<&'static str> {
    match comm {
        c if c.starts_with("WebKitWebProces") => Some(KINDS[1]),
        c if c.starts_with("WebKitNetworkPr") => Some(KINDS[2]),
        c if c.starts_with("streamwatch-app") => Some(KINDS[0]),
        _ => None,
    }
}

/// `VmRSS` and `VmHWM` of `pid`, in KiB.
fn rss_and_peak(pid: u32) -> Option<(u64, u64)> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// What one run saw.
#[derive(Default)]
struct Memory {
    /// The last VmHWM read of each process: (kind, pid) → KiB.
    peaks: BTreeMap<(&'static str, u32), u64>,
    /// The highest sum of VmRSS over all the app's processes at one sample.
    max_total: u64,
    /// (seconds since the window showed, VmRSS per kind in [`KINDS`]' order) per sample.
    series: Vec<(f64, [u64; 3])>,
}

impl Memory {
    fn sample(&mut self, data_dir: &Path, since: Instant) {
        let mut by_kind = [0u64; 3];
        for p in app_processes(data_dir) {
            let Some(kind) = process_kind(&p.comm) else {
                continue;
            };
            let Some((rss, hwm)) = rss_and_peak(p.pid) else {
                continue;
            };
            if let Some(i) = KINDS.iter().position(|k| *k == kind) {
                by_kind[i] += rss;
            }
            let peak = self.peaks.entry((kind, p.pid)).or_insert(0);
            *peak = (*peak).max(hwm);
        }
        self.max_total = self.max_total.max(by_kind.iter().sum());
        self.series.push((since.elapsed().as_secs_f64(), by_kind));
    }

    /// Sum of the VmHWM of every process of `kind`, and how many there were.
    fn peak_of(&self, kind: &str) -> (u64, usize) {
        let of_kind = self.peaks.iter().filter(|((k, _), _)| *k == kind);
        of_kind.fold((0, 0), |(sum, n), (_, kib)| (sum + kib, n + 1))
    }
}

fn mib(kib: u64) -> String {
    format!("{:.0} MiB", kib as f64 / 1024.0)
}

/// Saves the one subscription the app will start with, as the alerts test does: a data folder
/// that already holds a subscription is not a first run, so no demo stream is added.
fn save_subscription(data_dir: &Path, url: &str) {
    let store = Store::open(data_dir).expect("the data directory opens");
    store
        .add_subscription(&SubscriptionRecord::new(SUB_NAME, url))
        .expect("the subscription is saved");
}

/// What one server did to the app.
struct Outcome {
    kind: Hostile,
    memory: Memory,
    answer_ms: Option<f64>,
    log_count: String,
}

async fn run(kind: Hostile, time: Duration) -> Outcome {
    let url = kind.serve();
    let name = format!("app-rss-{}", kind.name());
    let desktop = Desktop::start(&name).await;
    let data_dir = desktop.data_dir().to_path_buf();
    save_subscription(&data_dir, &url);
    let app = App::launch_on(desktop, &name).await;
    let since = Instant::now();
    let mut memory = Memory::default();
    memory.sample(&data_dir, since);
    // The flooded subscription is the only one, so it is selected; wait until its detail and
    // live log are on screen before the clock that matters starts.
    app.wait_for("the hostile subscription's detail", async || {
        let shown = app
            .js("const n = document.querySelector('[data-testid=\"detail-name\"]'); return n ? n.textContent : null;")
            .await;
        if shown == json!(SUB_NAME) {
            Ok(())
        } else {
            Err(shown.to_string())
        }
    })
    .await;
    let end = Instant::now() + time;
    while Instant::now() < end {
        tokio::time::sleep(SAMPLE_EVERY).await;
        memory.sample(&data_dir, since);
    }
    // Is the window still alive and answering, and what does it show?
    let asked = Instant::now();
    let count = tokio::time::timeout(
        Duration::from_secs(20),
        app.js("const c = document.querySelector('[data-testid=\"log-count\"]'); return c ? c.textContent.trim() : null;"),
    )
    .await;
    let answer_ms = count
        .is_ok()
        .then(|| asked.elapsed().as_secs_f64() * 1000.0);
    let log_count = match count {
        Ok(v) => v.as_str().unwrap_or("(no log count)").to_owned(),
        Err(_) => "(no answer in 20 s)".to_owned(),
    };
    memory.sample(&data_dir, since);
    if answer_ms.is_some() {
        app.screenshot(&name).await;
    }
    app.close().await;
    Outcome {
        kind,
        memory,
        answer_ms,
        log_count,
    }
}

fn report(secs: u64, outcomes: &[Outcome]) {
    println!();
    println!(
        "## The real app under hostile servers: peak RSS, {secs} s per server after the window shows"
    );
    println!();
    println!(
        "| server | streamwatch-app VmHWM | WebKitWebProcess VmHWM | WebKitNetworkProcess VmHWM | sum of VmHWM | max sampled RSS sum | window answers in | log count at the end |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for o in outcomes {
        let mut row = format!("| {} |", o.kind.name());
        let mut sum = 0;
        for kind in KINDS {
            let (kib, n) = o.memory.peak_of(kind);
            sum += kib;
            let more = if n > 1 {
                format!(" ({n} processes)")
            } else {
                String::new()
            };
            row.push_str(&format!(" {}{more} |", mib(kib)));
        }
        let answer = o
            .answer_ms
            .map_or("no answer".to_owned(), |ms| format!("{ms:.0} ms"));
        row.push_str(&format!(
            " {} | {} | {answer} | {} |",
            mib(sum),
            mib(o.memory.max_total),
            o.log_count
        ));
        println!("{row}");
    }
    println!();
    for o in outcomes {
        // About ten points of the series: enough to tell a plateau from a climb.
        let step = (o.memory.series.len() / 10).max(1);
        let points: Vec<String> = o
            .memory
            .series
            .iter()
            .enumerate()
            .filter(|(i, _)| i % step == 0 || *i == o.memory.series.len() - 1)
            .map(|(_, (t, kib))| {
                format!(
                    "{t:.0}s {}/{}/{}",
                    kib[0] / 1024,
                    kib[1] / 1024,
                    kib[2] / 1024
                )
            })
            .collect();
        println!(
            "RSS over time, {} (MiB: app/web/network): {}",
            o.kind.name(),
            points.join(", ")
        );
    }
}

#[tokio::main]
async fn main() {
    let secs: u64 = std::env::var("STREAMWATCH_RSS_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let wanted: BTreeSet<String> = std::env::args().skip(1).collect();
    let kinds: Vec<Hostile> = Hostile::ALL
        .into_iter()
        .filter(|k| wanted.is_empty() || wanted.contains(k.name()))
        .collect();
    if kinds.is_empty() {
        eprintln!("no such server: {wanted:?}; the servers are trickle, big and tiny");
        std::process::exit(2);
    }
    println!(
        "app_rss: {secs} s per server; app {}",
        streamwatch_e2e::app_binary().display()
    );
    let mut outcomes = Vec::new();
    for kind in kinds {
        let outcome = run(kind, Duration::from_secs(secs)).await;
        eprintln!(
            "{}: max sampled RSS sum {}",
            kind.name(),
            mib(outcome.memory.max_total)
        );
        outcomes.push(outcome);
    }
    report(secs, &outcomes);
}
