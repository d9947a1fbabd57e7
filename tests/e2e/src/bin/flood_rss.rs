//! The webview's memory under a flood, with the app run as a person runs it: started directly
//! on the harness's private desktop, without a WebDriver session, one saved subscription fed
//! 10,000 events/s by the demo server and shown in the window (the first subscription is
//! selected at start), for 15 minutes.
//!
//! `ui_bench` measures the same flood through WebDriver (clicks, frame records, a census of
//! the page); this bench adds nothing to the page, so what it sees is what a user's machine
//! would. Printed: the web process's RSS every 5 s, the trough analysis of `memory_trend.rs`
//! (level after the warm-up, lowest and highest trough, slope, the ±10 % verdict), its CPU,
//! and the collector switch its environment holds (`src-tauri/src/webview_gc.rs`).
//!
//! Not part of `cargo test`. Run (see tests/e2e/BENCHMARKS.md):
//!
//!     export CARGO_TARGET_DIR=$HOME/.cache/streamwatch-target
//!     npm --prefix ui run build && cargo build --release -p streamwatch-app
//!     STREAMWATCH_APP=$CARGO_TARGET_DIR/release/streamwatch-app \
//!         cargo run -p streamwatch-e2e --bin flood_rss
//!
//! Settings: `FLOOD_RSS_SECS` (default 900), `FLOOD_RSS_RATE` (events/s, default 10000),
//! `FLOOD_RSS_WARMUP` (seconds left out of the analysis, default 120, at most half the run),
//! `FLOOD_RSS_GENERATIONAL=1` (the app started with `JSC_useGenerationalGC=1`, a user's choice
//! it keeps: JavaScriptCore's default collector, for comparison).

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use streamwatch_demo_server::{DemoConfig, DemoServer};
use streamwatch_e2e::memory_trend::{self, print_trend};
use streamwatch_e2e::process_stats::{cpu_secs, rss_by_name};
use streamwatch_e2e::{app_processes, stop_group, Desktop};
use streamwatch_engine::storage::{Store, SubscriptionRecord};

const WEB: &str = "WebKitWebProcess";
const FLAT_BAND: f64 = 0.10;
const SAMPLE_EVERY: Duration = Duration::from_secs(5);

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let rate = env_num("FLOOD_RSS_RATE", 10_000);
    let secs = env_num("FLOOD_RSS_SECS", 900);
    let warmup = (env_num("FLOOD_RSS_WARMUP", 120) as f64).min(secs as f64 / 2.0);
    let generational = std::env::var("FLOOD_RSS_GENERATIONAL").is_ok_and(|v| v == "1");
    println!(
        "flood_rss: {rate} events/s of 100 B for {secs} s, no WebDriver session{}; app {}",
        if generational {
            ", JSC_useGenerationalGC=1"
        } else {
            ""
        },
        streamwatch_e2e::app_binary().display()
    );

    let server = DemoServer::start(
        (Ipv4Addr::LOCALHOST, 0).into(),
        DemoConfig {
            rate: rate as f64,
            size: 100,
            heartbeat: Some(Duration::from_secs(5)),
            ..DemoConfig::default()
        },
    )
    .await
    .expect("the demo server starts");
    let desktop = Desktop::start("flood_rss").await;
    let data_dir = desktop.data_dir().to_path_buf();
    {
        let store = Store::open(&data_dir).expect("the data folder opens");
        let url = format!("http://{}/events", server.addr());
        store
            .add_subscription(&SubscriptionRecord::new("Flood", &url))
            .expect("the subscription is saved");
    }
    let env: &[(&str, &str)] = if generational {
        &[("JSC_useGenerationalGC", "1")]
    } else {
        &[]
    };
    let child = desktop.spawn_app(env);

    // The flood starts with the app; the web process is up a second or so later.
    let started = Instant::now();
    while !rss_by_name(&data_dir).contains_key(WEB) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the app's web process did not start within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let collector = app_processes(&data_dir)
        .into_iter()
        .find(|p| p.is_web_process())
        .and_then(|p| p.env("JSC_useGenerationalGC").map(str::to_owned));
    let cpu_start = cpu_secs(&data_dir);
    let mut web: Vec<(f64, u64)> = Vec::new();
    let mut next = Instant::now();
    while started.elapsed() < Duration::from_secs(secs) {
        let t = started.elapsed().as_secs_f64();
        let kib = rss_by_name(&data_dir).get(WEB).copied().unwrap_or(0);
        eprintln!("[rss {t:.0} s] web {} MiB", kib / 1024);
        web.push((t, kib));
        next += SAMPLE_EVERY;
        tokio::time::sleep_until(next.into()).await;
    }
    let cpu_end = cpu_secs(&data_dir);
    stop_group(child, Duration::from_secs(5));

    println!(
        "Web process environment: JSC_useGenerationalGC={}",
        collector.as_deref().unwrap_or("(unset: generational)")
    );
    let list: Vec<String> = web
        .iter()
        .map(|(t, kib)| format!("{t:.0}:{}", kib / 1024))
        .collect();
    println!("RSS samples (s:MiB): {}", list.join(" "));
    print_trend(
        memory_trend::analyse(&web, warmup, FLAT_BAND).as_ref(),
        warmup,
    );
    let cpu = |m: &std::collections::BTreeMap<String, f64>| m.get(WEB).copied().unwrap_or(0.0);
    println!(
        "CPU of the web process: {:.1} s in {:.0} s",
        cpu(&cpu_end) - cpu(&cpu_start),
        started.elapsed().as_secs_f64()
    );
}
