//! 10,000 idle subscriptions: memory once open, CPU while idling.

use crate::load_support::proc_stats::{self, Memory, Threads};
use crate::load_support::server_process::ServerProcess;
use crate::load_support::verdict;
use crate::subs::{self, Error};
use std::time::{Duration, Instant};
use streamwatch_engine::monitor::{Monitor, MonitorOptions};
use streamwatch_engine::{Lifecycle, SupervisorEvent};
use tokio::sync::broadcast::error::RecvError;

const SUBS: usize = 10_000;
const SHORT_SUBS: usize = 50;
const WAVE: usize = 1_000;
/// Longer than the heartbeat interval, so every connection has shown it is alive.
const HOLD: Duration = Duration::from_secs(20);
const SHORT_HOLD: Duration = Duration::from_millis(500);
const TARGET_RSS_MIB: f64 = 150.0;
/// What this bench measured before the memory work of issue 13 (2 workers, glibc malloc), for
/// comparison: RSS with all open, and per subscription above the start.
const BEFORE_MIB: f64 = 289.7;
const BEFORE_KIB_PER_SUB: f64 = 29.2;

pub struct Idle {
    subs: usize,
    open_after_ramp: usize,
    open_after_hold: usize,
    ramp: Duration,
    base: Memory,
    opened: Memory,
    opened_heap: Option<u64>,
    held: Memory,
    server: Memory,
    fds: usize,
    hold: Duration,
    hold_cpu: Duration,
    hold_threads: Vec<(String, Duration)>,
    hold_server_cpu: Duration,
    heartbeats: u64,
    lagged: u64,
    reconnects: u64,
}

pub async fn measure(server: &ServerProcess, benching: bool) -> Result<Idle, Error> {
    let (count, hold) = if benching {
        (SUBS, HOLD)
    } else {
        (SHORT_SUBS, SHORT_HOLD)
    };
    // No events for ~28 hours (the first is due at server start + 1/rate), a heartbeat
    // comment every 15 s.
    let url = server.events_url("rate=0.00001&size=100&heartbeat_ms=15000");
    let base = Memory::of_self();
    let dir = tempfile::tempdir()?;
    let monitor = Monitor::open(MonitorOptions::new(dir.path().to_path_buf()))?;

    let start = Instant::now();
    subs::add_and_open(&monitor, "idle", &url, count, WAVE).await?;
    let ramp = start.elapsed();
    let open_after_ramp = subs::count_open(&monitor);
    let opened = Memory::of_self();
    let opened_heap = proc_stats::heap_in_use();
    let fds = proc_stats::open_fds();

    // Count heartbeats to show the connections are live (the broadcast may lag: counted too).
    let mut events = monitor.supervisor().subscribe();
    let counter = tokio::spawn(async move {
        let (mut beats, mut lagged) = (0u64, 0u64);
        loop {
            match events.recv().await {
                Ok(SupervisorEvent::Lifecycle {
                    event: Lifecycle::Comment { .. },
                    ..
                }) => beats += 1,
                Ok(_) => {}
                Err(RecvError::Lagged(n)) => lagged += n,
                Err(RecvError::Closed) => break,
            }
        }
        (beats, lagged)
    });
    let cpu_before = proc_stats::process_cpu();
    let threads_before = Threads::read();
    let server_before = server.cpu();
    let hold_start = Instant::now();
    tokio::time::sleep(hold).await;
    let hold = hold_start.elapsed();
    let hold_cpu = proc_stats::process_cpu() - cpu_before;
    let hold_threads = Threads::read().since(&threads_before);
    let hold_server_cpu = server.cpu().saturating_sub(server_before);
    let held = Memory::of_self();
    let server_memory = server.memory();
    let open_after_hold = subs::count_open(&monitor);
    let (_, reconnects) = subs::totals(&monitor);

    monitor.shutdown().await?;
    let (heartbeats, lagged) = counter.await?;
    Ok(Idle {
        subs: count,
        open_after_ramp,
        open_after_hold,
        ramp,
        base,
        opened,
        opened_heap,
        held,
        server: server_memory,
        fds,
        hold,
        hold_cpu,
        hold_threads,
        hold_server_cpu,
        heartbeats,
        lagged,
        reconnects,
    })
}

impl Idle {
    /// The higher RSS of "all open" and "after idling", in MiB.
    pub fn worst_mib(&self) -> f64 {
        self.opened.rss_mib().max(self.held.rss_mib())
    }

    /// Prints the figures; `client` names the HTTP/1.1 client they were measured with.
    pub fn print(&self, benching: bool, client: &str) {
        let mib = |kib: u64| kib as f64 / 1024.0;
        println!(
            "IDLE: {} subscriptions (rate ~0, heartbeat every 15 s), added {WAVE} at a time, \
             HTTP/1.1 client: {client}",
            self.subs
        );
        println!(
            "  open after ramp-up        {:>8} of {} in {:.1} s",
            self.open_after_ramp,
            self.subs,
            self.ramp.as_secs_f64()
        );
        println!(
            "  open after {:>4.1} s idle    {:>8}   reconnects {}, heartbeats seen {} (+{} \
             lagged broadcast events)",
            self.hold.as_secs_f64(),
            self.open_after_hold,
            self.reconnects,
            self.heartbeats,
            self.lagged
        );
        println!("  open file descriptors     {:>8}", self.fds);
        println!(
            "  engine RSS before adding  {:>8.1} MiB (anon {:.1})",
            self.base.rss_mib(),
            self.base.anon_mib()
        );
        println!(
            "  engine RSS all open       {:>8.1} MiB (anon {:.1}); {:.1} KiB per subscription \
             above the start",
            self.opened.rss_mib(),
            self.opened.anon_mib(),
            (self.opened.rss_kib.saturating_sub(self.base.rss_kib)) as f64 / self.subs as f64
        );
        if let Some(heap) = self.opened_heap {
            println!(
                "  heap allocated (malloc)   {:>8.1} MiB (may exceed RSS: untouched parts of \
                 buffers are not resident)",
                heap as f64 / (1024.0 * 1024.0)
            );
        }
        println!(
            "  engine RSS after idling   {:>8.1} MiB (anon {:.1}); peak {:.1} MiB",
            self.held.rss_mib(),
            self.held.anon_mib(),
            self.held.hwm_mib()
        );
        println!(
            "  server RSS (child)        {:>8.1} MiB, not counted",
            mib(self.server.rss_kib)
        );
        let secs = self.hold.as_secs_f64();
        println!(
            "  engine CPU while idle     {:>8.4} cores ({:.3} s in {secs:.1} s: {})",
            self.hold_cpu.as_secs_f64() / secs,
            self.hold_cpu.as_secs_f64(),
            subs::describe_threads(&self.hold_threads)
        );
        println!(
            "  server CPU while idle     {:>8.4} cores",
            self.hold_server_cpu.as_secs_f64() / secs
        );
        if benching {
            println!(
                "  before issue 13            {BEFORE_MIB:>7.1} MiB, {BEFORE_KIB_PER_SUB:.1} KiB \
                 per subscription"
            );
            let worst = self.worst_mib();
            let all_open = self.open_after_ramp == self.subs && self.open_after_hold == self.subs;
            println!(
                "  target engine RSS < {TARGET_RSS_MIB:.0} MiB with all open: {worst:.1} MiB, \
                 {} open -> {}",
                if all_open { "all" } else { "NOT all" },
                verdict(all_open && worst < TARGET_RSS_MIB)
            );
        }
    }
}
