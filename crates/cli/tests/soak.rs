//! Soak: `streamwatch run` with many subscriptions against demo servers that restart on a
//! schedule. Every numbered event must be stored exactly once (no hole, no duplicate) across
//! the restarts, and the daemon's memory and open file descriptors must stay flat.
//!
//! The test command runs a short pass (30 s, 20 subscriptions, restarts every 10 s). The
//! documented runs (scripts/soak.sh, which says how; their figures are in the stops' closing notes):
//!
//!     STREAMWATCH_SOAK_SECS=600 STREAMWATCH_SOAK_SUBS=200 STREAMWATCH_SOAK_RESTART_SECS=30 \
//!       cargo test --release -p streamwatch-cli --test soak -- --nocapture
//!
//! Flatness (RSS and descriptors within ±10 % of the level after warm-up) is judged on runs of
//! at least 5 minutes; a short pass checks descriptors do not grow with restarts and prints the
//! memory figures.

// Linux only: the daemon's memory and descriptors read from /proc.
#![cfg(target_os = "linux")]

mod common;

use std::time::{Duration, Instant};

use common::store::Data;
use serde_json::json;
use streamwatch_demo_server::{DemoConfig, DemoServer};

/// Demo servers the subscriptions are spread over; each restarts on its own schedule.
const SERVERS: usize = 4;
/// Events per second per subscription.
const RATE: u32 = 5;

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn demo_config() -> DemoConfig {
    DemoConfig {
        heartbeat: None,
        replay: 100_000,
        ..DemoConfig::default()
    }
}

/// VmRSS in KiB and the number of open descriptors of `pid`.
fn sample(pid: i32) -> Option<(u64, usize)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())?;
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count();
    Some((rss, fds))
}

/// (min, max) of `values`.
fn span<T: Copy + PartialOrd>(values: impl Iterator<Item = T>) -> Option<(T, T)> {
    values.fold(None, |acc, v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((if v < lo { v } else { lo }, if v > hi { v } else { hi })),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarting_servers_lose_nothing_and_the_daemon_stays_flat() {
    let secs = setting("STREAMWATCH_SOAK_SECS", 30);
    let subs = setting("STREAMWATCH_SOAK_SUBS", 20) as usize;
    let restart_every = Duration::from_secs(setting("STREAMWATCH_SOAK_RESTART_SECS", 10));

    let mut servers = Vec::new();
    for _ in 0..SERVERS {
        servers.push(Some(
            DemoServer::start(([127, 0, 0, 1], 0).into(), demo_config())
                .await
                .expect("demo server"),
        ));
    }
    let addrs: Vec<_> = servers
        .iter()
        .map(|s| s.as_ref().expect("started").addr())
        .collect();

    // One import file, not one `subs add` per subscription.
    let data = Data::new();
    let entries: Vec<_> = (0..subs)
        .map(|i| {
            let addr = addrs[i % SERVERS];
            json!({
                "name": format!("soak{i}"),
                "url": format!("http://{addr}/events?rate={RATE}&test=soak{i}"),
                // Quick retries: a restart takes a moment, and the soak is about loss.
                "retry": {"initial_ms": 200, "max_ms": 2000},
            })
        })
        .collect();
    let file = data.path().join("soak.json");
    std::fs::write(
        &file,
        json!({"format": "streamwatch-export", "version": 1, "subscriptions": entries}).to_string(),
    )
    .expect("write the import file");
    data.ok(&["import", file.to_str().expect("utf-8")]).await;

    let run = data.daemon(&[]);
    let pid = run.pid();
    let started = Instant::now();
    let end = started + Duration::from_secs(secs);
    // Warm-up: the first fifth of the run (every stream open, caches and pools grown).
    let warm = started + Duration::from_secs(secs / 5);
    let mut samples: Vec<(Duration, u64, usize)> = Vec::new();
    let mut restarts = 0u32;
    let mut next_restart: Vec<Instant> = (0..SERVERS)
        .map(|i| started + restart_every + restart_every * i as u32 / SERVERS as u32)
        .collect();
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    let mut sampled_at = started;
    while Instant::now() < end {
        tick.tick().await;
        for (i, due) in next_restart.iter_mut().enumerate() {
            if Instant::now() >= *due {
                // Down for a moment, then back on the same port with no memory of its ids.
                if let Some(server) = servers[i].take() {
                    server.shutdown().await;
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
                servers[i] = Some(
                    DemoServer::start(addrs[i], demo_config())
                        .await
                        .expect("the demo server restarts on its port"),
                );
                restarts += 1;
                *due += restart_every;
            }
        }
        if sampled_at.elapsed() >= Duration::from_secs(5) {
            sampled_at = Instant::now();
            if let Some((rss, fds)) = sample(pid) {
                samples.push((started.elapsed(), rss, fds));
            }
        }
    }
    let ended = run.terminate().await;
    assert!(
        !ended.log.iter().any(|l| l["type"] == "warning"),
        "the daemon warned: {:#?}",
        ended
            .log
            .iter()
            .filter(|l| l["type"] == "warning")
            .collect::<Vec<_>>()
    );

    let mut stored = 0usize;
    let mut holes = 0u64;
    let mut duplicates = 0u64;
    for i in 0..subs {
        let out = data
            .ok(&["history", &format!("soak{i}"), "--limit", "100000000"])
            .await;
        let ids: Vec<u64> = out
            .json()
            .iter()
            .map(|m| {
                m["id"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .expect("numeric id")
            })
            .collect();
        stored += ids.len();
        for w in ids.windows(2) {
            match w[1].cmp(&(w[0] + 1)) {
                std::cmp::Ordering::Equal => {}
                std::cmp::Ordering::Greater => holes += w[1] - w[0] - 1,
                std::cmp::Ordering::Less => duplicates += 1,
            }
        }
        assert!(!ids.is_empty(), "soak{i} stored nothing");
    }

    let after_warmup: Vec<_> = samples
        .iter()
        .filter(|(at, _, _)| started + *at >= warm)
        .collect();
    let (rss_lo, rss_hi) = span(after_warmup.iter().map(|s| s.1)).unwrap_or((0, 0));
    let (fd_lo, fd_hi) = span(after_warmup.iter().map(|s| s.2)).unwrap_or((0, 0));
    let level_rss = after_warmup.first().map_or(0, |s| s.1);
    let level_fds = after_warmup.first().map_or(0, |s| s.2);
    let pct = |v: u64, base: u64| (v as f64 / base.max(1) as f64 - 1.0) * 100.0;
    println!(
        "soak: {secs} s, {subs} subscriptions on {SERVERS} demo servers at {RATE} events/s each, \
         {restarts} server restarts (each every {} s)",
        restart_every.as_secs()
    );
    println!("  events stored: {stored}; holes: {holes}; duplicates: {duplicates}");
    println!(
        "  RSS after warm-up: level {:.1} MiB, min {:.1} MiB ({:+.1} %), max {:.1} MiB ({:+.1} %)",
        level_rss as f64 / 1024.0,
        rss_lo as f64 / 1024.0,
        pct(rss_lo, level_rss),
        rss_hi as f64 / 1024.0,
        pct(rss_hi, level_rss)
    );
    println!(
        "  open descriptors after warm-up: level {level_fds}, min {fd_lo}, max {fd_hi} ({:+.1} %)",
        pct(fd_hi as u64, level_fds as u64)
    );
    for (at, rss, fds) in &samples {
        println!(
            "    {:>5} s  {:>8.1} MiB  {fds:>5} fds",
            at.as_secs(),
            *rss as f64 / 1024.0
        );
    }

    assert_eq!(holes, 0, "events lost across restarts");
    assert_eq!(duplicates, 0, "events stored twice");
    assert!(restarts >= 2, "the servers restarted only {restarts} times");
    assert!(samples.len() >= 2, "too few samples: {samples:?}");
    // Connections are replaced on every restart: their descriptors must be returned. A sample
    // may fall mid-restart, so the later half's peak is held to the earlier half's.
    let half = after_warmup.len() / 2;
    let early = after_warmup[..half.max(1)]
        .iter()
        .map(|s| s.2)
        .max()
        .unwrap_or(0);
    let late = after_warmup[half..].iter().map(|s| s.2).max().unwrap_or(0);
    println!(
        "  descriptors' peak: first half of the run after warm-up {early}, second half {late}"
    );
    assert!(
        late as f64 <= early as f64 * 1.1 + 4.0,
        "descriptors grew: {early} → {late}"
    );
    if secs >= 300 {
        assert!(
            pct(rss_hi, level_rss) <= 10.0 && pct(rss_lo, level_rss) >= -10.0,
            "RSS not flat within ±10 %"
        );
    }
}
