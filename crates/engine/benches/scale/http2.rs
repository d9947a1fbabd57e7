//! Subscriptions to one HTTPS host that speaks HTTP/2 (the demo server, ALPN `h2`, its CA
//! trusted per subscription): how many TCP connections carry 1,000 and then 10,000 of them,
//! and this process's RSS with 10,000 idle. Runs in a process of its own (see `main.rs`), so
//! its RSS is not the other phases' leftovers.

use crate::load_support::proc_stats::{self, Memory};
use crate::load_support::server_process::ServerProcess;
use crate::load_support::verdict;
use crate::subs::Error;
use std::time::{Duration, Instant};
use streamwatch_engine::{State, SubscriptionConfig, SubscriptionId, Supervisor};

const SUBS: usize = 10_000;
const SHORT_SUBS: usize = 50;
const WAVE: usize = 1_000;
const HOLD: Duration = Duration::from_secs(20);
const SHORT_HOLD: Duration = Duration::from_millis(500);
const OPEN_LIMIT: Duration = Duration::from_secs(120);
/// "A handful".
const TARGET_CONNECTIONS: usize = 8;
const TARGET_RSS_MIB: f64 = 150.0;

pub struct Http2 {
    subs: usize,
    connections_first_wave: usize,
    connections_all: usize,
    connections_after_hold: usize,
    ramp: Duration,
    hold: Duration,
    base: Memory,
    opened: Memory,
    held: Memory,
    fds: usize,
    reconnects: u64,
}

pub async fn measure(server: &ServerProcess, benching: bool) -> Result<Http2, Error> {
    let (count, hold) = if benching {
        (SUBS, HOLD)
    } else {
        (SHORT_SUBS, SHORT_HOLD)
    };
    let ca = server
        .ca_pem()
        .ok_or("the HTTP/2 server has no CA")?
        .to_owned();
    let port = server.port().ok_or("the server's URL has no port")?;
    let url = server.events_url("rate=0.00001&size=100&heartbeat_ms=15000");
    let base = Memory::of_self();
    let sup = Supervisor::new(8192)?;
    let config = {
        let mut c = SubscriptionConfig::new(&url)?;
        c.client.extra_ca_pem = Some(ca);
        c
    };
    let start = Instant::now();
    let mut added = 0;
    let mut connections_first_wave = 0;
    while added < count {
        let n = WAVE.min(count - added);
        for i in added..added + n {
            sup.add(SubscriptionId(i as u64 + 1), config.clone(), false)?;
            // The first one alone: the rest then find its connection in the pool instead of
            // racing to open their own before ALPN has said `h2`.
            if i == 0 {
                wait_open(&sup, 1).await?;
            }
        }
        added += n;
        wait_open(&sup, added).await?;
        if added == n {
            connections_first_wave = proc_stats::tcp_connections_to(port);
        }
    }
    let ramp = start.elapsed();
    let connections_all = proc_stats::tcp_connections_to(port);
    let opened = Memory::of_self();
    let fds = proc_stats::open_fds();
    tokio::time::sleep(hold).await;
    let held = Memory::of_self();
    let connections_after_hold = proc_stats::tcp_connections_to(port);
    let reconnects = sup.list().iter().map(|(_, s)| s.reconnects).sum();
    if sup.list().iter().any(|(_, s)| s.state != State::Open) {
        return Err("a subscription dropped while idling".into());
    }
    sup.stop_all().await;
    Ok(Http2 {
        subs: count,
        connections_first_wave,
        connections_all,
        connections_after_hold,
        ramp,
        hold,
        base,
        opened,
        held,
        fds,
        reconnects,
    })
}

async fn wait_open(sup: &Supervisor, expected: usize) -> Result<(), Error> {
    let start = Instant::now();
    loop {
        let list = sup.list();
        let open = list.iter().filter(|(_, s)| s.state == State::Open).count();
        if open >= expected {
            return Ok(());
        }
        if start.elapsed() > OPEN_LIMIT {
            let sample = list
                .iter()
                .find(|(_, s)| s.state != State::Open)
                .map(|(id, s)| format!("{id}: {:?} {:?}", s.state, s.last_error));
            return Err(format!("only {open} of {expected} open; e.g. {sample:?}").into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

impl Http2 {
    pub fn print(&self, benching: bool) {
        let first = WAVE.min(self.subs);
        println!(
            "HTTP/2: {} idle subscriptions to one HTTPS host (ALPN h2), added {WAVE} at a time \
             (Supervisor, no storage)",
            self.subs
        );
        println!(
            "  TCP connections           {:>8} for the first {first}, {} for all {} (open in \
             {:.1} s), {} after {:.0} s idle; {} reconnects",
            self.connections_first_wave,
            self.connections_all,
            self.subs,
            self.ramp.as_secs_f64(),
            self.connections_after_hold,
            self.hold.as_secs_f64(),
            self.reconnects
        );
        println!("  open file descriptors     {:>8}", self.fds);
        println!(
            "  engine RSS all open       {:>8.1} MiB (anon {:.1}); {:.1} KiB per subscription \
             above the start ({:.1} MiB)",
            self.opened.rss_mib(),
            self.opened.anon_mib(),
            (self.opened.rss_kib.saturating_sub(self.base.rss_kib)) as f64 / self.subs as f64,
            self.base.rss_mib()
        );
        println!(
            "  engine RSS after idling   {:>8.1} MiB; peak {:.1} MiB",
            self.held.rss_mib(),
            self.held.hwm_mib()
        );
        if benching {
            let worst = self.opened.rss_mib().max(self.held.rss_mib());
            let few = self.connections_first_wave <= TARGET_CONNECTIONS
                && self.connections_all <= TARGET_CONNECTIONS;
            println!(
                "  target {first} subscriptions over <= {TARGET_CONNECTIONS} TCP connections: \
                 {} -> {}",
                self.connections_first_wave,
                verdict(few)
            );
            println!(
                "  target engine RSS < {TARGET_RSS_MIB:.0} MiB with {} open: {worst:.1} MiB -> {}",
                self.subs,
                verdict(worst < TARGET_RSS_MIB)
            );
        }
    }
}
