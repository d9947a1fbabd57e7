//! 1,000 subscriptions at 10 events/s each, all persisted: CPU over a steady window.

use crate::load_support::proc_stats::{self, Memory, Threads};
use crate::load_support::server_process::ServerProcess;
use crate::load_support::verdict;
use crate::subs::{self, Error};
use std::time::{Duration, Instant};
use streamwatch_engine::monitor::{Monitor, MonitorOptions};
use streamwatch_engine::storage::{HistoryQuery, Store};

const SUBS: usize = 1_000;
const SHORT_SUBS: usize = 20;
const RATE: f64 = 10.0;
const WARM_UP: Duration = Duration::from_secs(5);
const WINDOW: Duration = Duration::from_secs(20);
const SHORT_WARM_UP: Duration = Duration::from_millis(300);
const SHORT_WINDOW: Duration = Duration::from_secs(1);
const TARGET_CORES: f64 = 1.0;

pub struct Active {
    subs: usize,
    ramp: Duration,
    window: Duration,
    received: u64,
    reconnects: u64,
    cpu: Duration,
    threads: Vec<(String, Duration)>,
    server_cpu: Duration,
    memory: Memory,
    stored: u64,
    received_at_stop: u64,
}

pub async fn measure(server: &ServerProcess, benching: bool) -> Result<Active, Error> {
    let (count, warm_up, window) = if benching {
        (SUBS, WARM_UP, WINDOW)
    } else {
        (SHORT_SUBS, SHORT_WARM_UP, SHORT_WINDOW)
    };
    let url = server.events_url(&format!("rate={RATE}&size=100&heartbeat_ms=15000"));
    let dir = tempfile::tempdir()?;
    let monitor = Monitor::open(MonitorOptions::new(dir.path().to_path_buf()))?;
    let start = Instant::now();
    // All at once, as when the app starts with them saved.
    let ids = subs::add_and_open(&monitor, "active", &url, count, count).await?;
    let ramp = start.elapsed();
    tokio::time::sleep(warm_up).await;

    let (received_before, reconnects_before) = subs::totals(&monitor);
    let cpu_before = proc_stats::process_cpu();
    let threads_before = Threads::read();
    let server_before = server.cpu();
    let window_start = Instant::now();
    tokio::time::sleep(window).await;
    let window = window_start.elapsed();
    let cpu = proc_stats::process_cpu() - cpu_before;
    let threads = Threads::read().since(&threads_before);
    let server_cpu = server.cpu().saturating_sub(server_before);
    let (received_after, reconnects_after) = subs::totals(&monitor);
    let memory = Memory::of_self();

    // Shutting down stops every connection, then commits everything received.
    let (received_at_stop, _) = subs::totals(&monitor);
    monitor.shutdown().await?;
    let stored = check_stored(&Store::open(dir.path())?, &ids)?;
    if stored < received_at_stop {
        return Err(format!("{stored} events stored, but {received_at_stop} received").into());
    }
    Ok(Active {
        subs: count,
        ramp,
        window,
        received: received_after - received_before,
        reconnects: reconnects_after - reconnects_before,
        cpu,
        threads,
        server_cpu,
        memory,
        stored,
        received_at_stop,
    })
}

/// Each subscription's history is whole: contiguous ids, count = stored counter. Returns the
/// total stored.
fn check_stored(store: &Store, ids: &[streamwatch_engine::SubscriptionId]) -> Result<u64, Error> {
    let mut total = 0;
    for &id in ids {
        let count = store.message_count(id)?;
        let counters = store.counters(id)?;
        let oldest = store.history(
            id,
            &HistoryQuery {
                limit: 1,
                ..HistoryQuery::default()
            },
        )?;
        let newest = store.history(id, &HistoryQuery::latest(1))?;
        let (Some(first), Some(last)) = (oldest.first(), newest.first()) else {
            return Err(format!("subscription {id} stored nothing").into());
        };
        let first_id: u64 = first.id.parse()?;
        let last_id: u64 = last.id.parse()?;
        if last_id - first_id + 1 != count
            || last.seq - first.seq + 1 != count
            || counters.messages != count
            || counters.gaps != 0
        {
            return Err(format!(
                "subscription {id}: {count} stored, ids {first_id}..={last_id}, seqs {}..={}, \
                 {counters:?}",
                first.seq, last.seq
            )
            .into());
        }
        total += count;
    }
    Ok(total)
}

impl Active {
    pub fn print(&self, benching: bool) {
        let secs = self.window.as_secs_f64();
        let cores = self.cpu.as_secs_f64() / secs;
        println!(
            "ACTIVE: {} subscriptions x {RATE} events/s (size 100), all persisted",
            self.subs
        );
        println!(
            "  all open after            {:>8.1} s",
            self.ramp.as_secs_f64()
        );
        println!(
            "  window                    {secs:>8.1} s: {} events received = {:.0} events/s, \
             {} reconnects",
            self.received,
            self.received as f64 / secs,
            self.reconnects
        );
        println!(
            "  stored after shutdown     {:>8} events, every history contiguous ({} received \
             when stopping)",
            self.stored, self.received_at_stop
        );
        println!(
            "  engine CPU                {cores:>8.3} cores ({:.2} s; {:.1} us per event): {}",
            self.cpu.as_secs_f64(),
            self.cpu.as_secs_f64() * 1e6 / self.received.max(1) as f64,
            subs::describe_threads(&self.threads)
        );
        println!(
            "  server CPU (child)        {:>8.3} cores, not counted",
            self.server_cpu.as_secs_f64() / secs
        );
        println!(
            "  engine RSS                {:>8.1} MiB (not this phase's alone: the allocator keeps \
             what the idle phase freed; process peak so far {:.1} MiB)",
            self.memory.rss_mib(),
            self.memory.hwm_mib()
        );
        if benching {
            let expected = RATE * self.subs as f64;
            let rate_ok = self.received as f64 / secs >= 0.95 * expected;
            println!(
                "  target engine < {TARGET_CORES} core at {expected:.0} events/s: {cores:.3} \
                 cores{} -> {}",
                if rate_ok {
                    ""
                } else {
                    " (but the rate was not reached)"
                },
                verdict(rate_ok && cores < TARGET_CORES)
            );
        }
    }
}
