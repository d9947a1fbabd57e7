//! `cargo bench -p streamwatch-engine --bench fault_comments_flood`: the fault matrix's comment
//! flood at full size (docs/fault-matrix.md). A local server streams 10 GB of `: xxx…` comment
//! lines as fast as loopback takes them, then one event; the client is the supervisor, as
//! `watch`, the daemon and the app run it, with one reader draining its broadcast. Printed:
//! throughput, the resident peak, and whether the stream stayed open without an error.
//!
//! `STREAMWATCH_FLOOD_GB` (default 10) and `STREAMWATCH_FLOOD_LINE` (bytes per comment line,
//! default 1024) change the run. Without `--bench` (as `cargo test --all-targets` runs it,
//! unoptimised) it streams 64 MiB.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use streamwatch_engine::{Lifecycle, SupervisorEvent};
use streamwatch_engine::{State, SubscriptionConfig, SubscriptionId, Supervisor};
use streamwatch_test_support::comment_flood::CommentFlood;
use streamwatch_test_support::memory::{
    reset_resident_peak, resident_bytes, resident_peak_bytes, RssSampler,
};

const MIB: f64 = 1024.0 * 1024.0;
const ID: SubscriptionId = SubscriptionId(1);

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let benching = std::env::args().any(|a| a == "--bench");
    let total = if benching {
        (env_or("STREAMWATCH_FLOOD_GB", 10.0f64) * 1e9) as u64
    } else {
        64 << 20
    };
    let line: usize = env_or("STREAMWATCH_FLOOD_LINE", 1024);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let ok = runtime.block_on(flood(total, line))?;
    if !ok {
        return Err("the stream did not stay open through the flood".into());
    }
    Ok(())
}

async fn flood(total: u64, line: usize) -> Result<bool, Box<dyn std::error::Error>> {
    let server = CommentFlood::start(total, line).await;
    let mut config = SubscriptionConfig::new(&server.url())?;
    config.retry.max_retries = Some(0);
    let sup = Supervisor::new(1024)?;
    let comments = Arc::new(AtomicU64::new(0));
    let lagged = Arc::new(AtomicU64::new(0));
    let mut bus = sup.subscribe();
    let (c, l) = (comments.clone(), lagged.clone());
    tokio::spawn(async move {
        use tokio::sync::broadcast::error::RecvError;
        loop {
            match bus.recv().await {
                Ok(SupervisorEvent::Lifecycle {
                    event: Lifecycle::Comment { .. },
                    ..
                }) => {
                    c.fetch_add(1, Ordering::Relaxed);
                }
                Ok(_) => {}
                Err(RecvError::Lagged(n)) => {
                    l.fetch_add(n, Ordering::Relaxed);
                }
                Err(RecvError::Closed) => return,
            }
        }
    });

    println!(
        "comment flood: {:.2} GB of {line}-byte comment lines over loopback -> supervisor -> \
         one broadcast reader",
        total as f64 / 1e9
    );
    let start_rss = resident_bytes().unwrap_or(0);
    let peak_reset = reset_resident_peak();
    let sampler = RssSampler::start(Duration::from_millis(50));
    let started = Instant::now();
    sup.add(ID, config, false)?;
    let mut next_report = Duration::from_secs(10);
    let status = loop {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let s = sup.status(ID)?;
        if s.messages > 0 || s.last_error.is_some() || s.state == State::Failed {
            break s;
        }
        if started.elapsed() >= next_report {
            next_report += Duration::from_secs(10);
            println!(
                "  {:>6.1} s: {:.2} GB, resident {:.0} MiB (peak so far {:.0} MiB)",
                started.elapsed().as_secs_f64(),
                server.written() as f64 / 1e9,
                resident_bytes().unwrap_or(0) as f64 / MIB,
                sampler.peak() as f64 / MIB,
            );
        }
    };
    let wall = started.elapsed();
    let sampled_peak = sampler.finish();
    let written = server.written();
    println!(
        "streamed {:.2} GB in {:.1} s: {:.0} MiB/s; {} comments read, {} lagged past the reader",
        written as f64 / 1e9,
        wall.as_secs_f64(),
        written as f64 / MIB / wall.as_secs_f64(),
        comments.load(Ordering::Relaxed),
        lagged.load(Ordering::Relaxed),
    );
    let hwm = if peak_reset {
        resident_peak_bytes()
            .map(|b| format!("{:.0} MiB", b as f64 / MIB))
            .unwrap_or_else(|| "n/a".into())
    } else {
        "n/a".into()
    };
    println!(
        "resident: {:.0} MiB at start, peak {:.0} MiB sampled every 50 ms, VmHWM {hwm}",
        start_rss as f64 / MIB,
        sampled_peak as f64 / MIB,
    );
    let stayed_open = status.state == State::Open
        && status.last_error.is_none()
        && status.reconnects == 0
        && server.connections() == 1
        && status.messages == 1;
    println!(
        "end state: {} ({} message after the flood, {} reconnects, last error {:?})",
        status.state.as_str(),
        status.messages,
        status.reconnects,
        status.last_error
    );
    Ok(stayed_open)
}
