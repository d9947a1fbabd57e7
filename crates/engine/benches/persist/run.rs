//! The measurement itself.

use crate::load_support::proc_stats::{self, Threads};
use crate::load_support::server_process::ServerProcess;
use crate::load_support::{benching, verdict};
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use streamwatch_demo_server::DemoConfig;
use streamwatch_engine::monitor::{Monitor, MonitorOptions};
use streamwatch_engine::storage::{HistoryQuery, Retention, SubscriptionRecord};
use streamwatch_engine::SubscriptionId;

type Error = Box<dyn std::error::Error>;

const EVENTS: u64 = 500_000;
const WARM_UP: u64 = 20_000;
const RUNS: usize = 3;
/// Every run of the smoke test (`cargo test --all-targets`, unoptimised, no `--bench`).
const SHORT_RUN: u64 = 2_000;
const TARGET_EVENTS_PER_SEC: f64 = 200_000.0;
/// A run that takes longer than this has stalled.
const LIMIT: Duration = Duration::from_secs(300);

pub fn main() -> ExitCode {
    match measure_all() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("persist: {e}");
            ExitCode::FAILURE
        }
    }
}

fn measure_all() -> Result<(), Error> {
    let benching = benching();
    // Before any thread exists.
    let server = ServerProcess::fork(DemoConfig::default())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let events = if benching { EVENTS } else { SHORT_RUN };

    println!(
        "persisted throughput, one subscription: demo server (child process, rate=0, size=100) \
         -> loopback -> Monitor (connection -> supervisor -> recorder channel -> group-commit \
         writer) -> SQLite WAL on disk ({})",
        std::env::temp_dir().display()
    );
    println!(
        "timed from Monitor::add until flush() returns and message_count = {events}; \
         tokio multi-thread runtime, 2 workers; {} CPUs",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    if benching {
        runtime.block_on(run_once(&server, WARM_UP))?;
    }
    let runs = if benching { RUNS } else { 1 };
    let mut results = Vec::new();
    for n in 1..=runs {
        let r = runtime.block_on(run_once(&server, events))?;
        if n == 1 {
            print_header();
        }
        r.print(&format!("run {n}"));
        results.push(r);
    }
    if results.len() > 1 {
        results.sort_by_key(|r| r.persisted);
        results[results.len() / 2].print("median");
    }
    println!(
        "(cores = CPU seconds / wall seconds over the timed interval; engine = this process, \
         server = the child)"
    );
    if benching {
        let best = results.iter().map(Run::rate).fold(0.0, f64::max);
        println!(
            "target >= {TARGET_EVENTS_PER_SEC:.0} events/s persisted: median {:.0}, best {best:.0} \
             -> {}",
            results[results.len() / 2].rate(),
            verdict(results[results.len() / 2].rate() >= TARGET_EVENTS_PER_SEC)
        );
    }
    Ok(())
}

struct Run {
    events: u64,
    received: Duration,
    persisted: Duration,
    engine_cpu: Duration,
    server_cpu: Duration,
    threads: Vec<(String, Duration)>,
    db_bytes: u64,
}

fn print_header() {
    println!(
        "{:<8} {:>8} {:>10} {:>11} {:>12} {:>13} {:>13}  engine threads (CPU s) | db+wal",
        "", "events", "received", "persisted", "events/s", "engine cores", "server cores",
    );
}

impl Run {
    fn rate(&self) -> f64 {
        self.events as f64 / self.persisted.as_secs_f64()
    }

    fn print(&self, label: &str) {
        let wall = self.persisted.as_secs_f64();
        let threads: Vec<String> = self
            .threads
            .iter()
            .filter(|(_, d)| *d >= Duration::from_millis(10))
            .map(|(name, d)| format!("{name} {:.2}", d.as_secs_f64()))
            .collect();
        println!(
            "{label:<8} {:>8} {:>9.3}s {:>10.3}s {:>12.0} {:>13.2} {:>13.2}  {} | {:.1} MB",
            self.events,
            self.received.as_secs_f64(),
            wall,
            self.rate(),
            self.engine_cpu.as_secs_f64() / wall,
            self.server_cpu.as_secs_f64() / wall,
            threads.join(", "),
            self.db_bytes as f64 / 1e6,
        );
    }
}

async fn run_once(server: &ServerProcess, events: u64) -> Result<Run, Error> {
    let dir = tempfile::tempdir()?;
    let monitor = Monitor::open(MonitorOptions::new(dir.path().to_path_buf()))?;
    // `stall_after`, not `count`: after `count` the stream ends cleanly and the client would
    // reconnect for more; a stalled stream stays open and silent.
    let url = server.events_url(&format!(
        "rate=0&size=100&stall_after={events}&heartbeat_ms=0"
    ));
    let mut record = SubscriptionRecord::new("persist", url);
    // Keep every event (the default keeps 100,000), so the history can be checked whole.
    record.retention = Retention {
        max_rows: events,
        ..Retention::default()
    };

    let cpu_before = proc_stats::process_cpu();
    let threads_before = Threads::read();
    let server_before = server.cpu();
    let start = Instant::now();
    let id = monitor.add(&record)?;
    let received = loop {
        let status = monitor.supervisor().status(id)?;
        if status.messages >= events {
            break start.elapsed();
        }
        if start.elapsed() > LIMIT {
            return Err(format!("only {} of {events} events arrived", status.messages).into());
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    let persisted = loop {
        monitor.flush().await?;
        let stored = monitor.catalog().message_count(id)?;
        if stored >= events {
            break start.elapsed();
        }
        if start.elapsed() > LIMIT {
            return Err(format!("only {stored} of {events} events were stored").into());
        }
    };
    let engine_cpu = proc_stats::process_cpu() - cpu_before;
    let threads = Threads::read().since(&threads_before);
    let server_cpu = server.cpu().saturating_sub(server_before);

    let received_total = monitor.supervisor().status(id)?.messages;
    if received_total != events {
        return Err(format!("received {received_total} events, expected exactly {events}").into());
    }
    check_history(&monitor, id, events)?;
    monitor.shutdown().await?;
    let db_bytes = db_size(dir.path());
    Ok(Run {
        events,
        received,
        persisted,
        engine_cpu,
        server_cpu,
        threads,
        db_bytes,
    })
}

/// Every event 1..=events is stored exactly once, in order: seq n holds id n and data n.
fn check_history(monitor: &Monitor, id: SubscriptionId, events: u64) -> Result<(), Error> {
    let store = monitor.catalog();
    let count = store.message_count(id)?;
    if count != events {
        return Err(format!("{count} events stored, expected {events}").into());
    }
    let counters = store.counters(id)?;
    if counters.messages != events || counters.gaps != 0 {
        return Err(format!("stored counters disagree: {counters:?}").into());
    }
    let mut expected = 1u64;
    let page = 50_000;
    loop {
        let q = HistoryQuery {
            after_seq: Some(expected - 1),
            limit: page,
            ..HistoryQuery::default()
        };
        let rows = store.history(id, &q)?;
        if rows.is_empty() {
            break;
        }
        for m in &rows {
            let n = data_number(&m.data);
            if m.seq != expected || m.id != expected.to_string() || n != Some(expected) {
                return Err(format!(
                    "history broken at seq {expected}: got seq {} id {:?} n {n:?}",
                    m.seq, m.id
                )
                .into());
            }
            expected += 1;
        }
    }
    if expected != events + 1 {
        return Err(format!("history ends at seq {}, expected {events}", expected - 1).into());
    }
    if store.resume_point(id)? != Some(events.to_string()) {
        return Err("the stored last event id is not the last event".into());
    }
    Ok(())
}

/// The `n` in the demo server's `{"n":…,"ts":…,"pad":"…"}`.
fn data_number(data: &str) -> Option<u64> {
    let rest = data.strip_prefix("{\"n\":")?;
    let end = rest.find(',')?;
    rest[..end].parse().ok()
}

fn db_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir).map_or(0, |d| {
        d.flatten()
            .filter_map(|e| e.metadata().ok())
            .map(|m| m.len())
            .sum()
    })
}
