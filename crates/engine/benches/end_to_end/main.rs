//! `cargo bench -p streamwatch-engine --bench end_to_end`: the whole receive path over
//! loopback. The demo server streams 1,000,000 events of ~100 bytes as fast as it can; our
//! client (`connection::run`: HTTP client, parser, lifecycle events) delivers them to a sink that
//! counts them. Both HTTP/1.1 clients are measured in the same run, in turns: the lean one
//! (`http1_direct`, what `http://` subscriptions use) and hyper's through reqwest. The server runs in this process, on its own thread and runtime; the client on
//! the main thread in a current-thread runtime, so each one's CPU time can be read apart.

mod counting_sink;
mod cpu_time;
mod server_thread;

use counting_sink::CountingSink;
use cpu_time::ThreadClock;
use server_thread::ServerThread;
use std::time::{Duration, Instant};
use streamwatch_engine::connection::{build_client, run, ConnectionState};
use streamwatch_engine::http_client::HttpClient;
use streamwatch_engine::SubscriptionConfig;

const EVENTS: u64 = 1_000_000;
/// Events of the unreported warm-up run, and of every run when only smoke-tested
/// (`cargo test --all-targets` runs this binary unoptimised and without `--bench`).
const SHORT_RUN: u64 = 10_000;
const RUNS: usize = 3;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let benching = std::env::args().any(|a| a == "--bench");
    let events = if benching { EVENTS } else { SHORT_RUN };
    let server = ServerThread::start()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let lean = build_client()?;
    let hyper = build_client()?.hyper_only();
    let url = url::Url::parse(&server.events_url("")).map_err(|e| e.to_string())?;
    if !lean.is_direct(&url) {
        println!("note: a proxy variable is set, so both clients below are reqwest's");
    }
    let clients: [(&str, &HttpClient); 2] = [("lean", &lean), ("hyper", &hyper)];

    println!(
        "end to end over loopback: demo server (rate=0, size=100) -> HTTP/1.1 client -> parser \
         -> connection::run -> counting sink; {events} events per run"
    );
    println!("the server runs in this process on its own thread; CPU figures are per 100k events");
    let mut runs: [Vec<Measurement>; 2] = [Vec::new(), Vec::new()];
    for (_, client) in clients {
        runtime.block_on(measure(client, &server, SHORT_RUN))?;
    }
    // In turns, so a slow minute of a shared machine falls on both.
    for n in 1..=RUNS {
        for (i, (name, client)) in clients.iter().enumerate() {
            let m = runtime.block_on(measure(client, &server, events))?;
            println!("run {n} {name:>5}: {}", m.describe());
            runs[i].push(m);
        }
    }
    let mut medians = Vec::new();
    for (i, (name, _)) in clients.iter().enumerate() {
        runs[i].sort_by_key(|m| m.wall);
        let median = &runs[i][runs[i].len() / 2];
        println!("median {name:>5}: {}", median.describe());
        let mut cpu: Vec<Duration> = runs[i].iter().filter_map(Measurement::client_cpu).collect();
        cpu.sort();
        medians.push((median.wall, cpu.get(cpu.len() / 2).copied()));
    }
    println!(
        "lean / hyper, medians: wall time {:.2}{} (below 1: the lean client is faster)",
        medians[0].0.as_secs_f64() / medians[1].0.as_secs_f64(),
        match (medians[0].1, medians[1].1) {
            (Some(l), Some(h)) => format!(
                ", client thread CPU {:.2}",
                l.as_secs_f64() / h.as_secs_f64()
            ),
            _ => String::new(),
        }
    );
    Ok(())
}

/// CPU clocks read at one instant.
#[derive(Clone, Copy)]
struct Clocks {
    process: Option<Duration>,
    client: Option<Duration>,
    server: Option<Duration>,
}

impl Clocks {
    fn read(client: Option<ThreadClock>, server: &ServerThread) -> Clocks {
        Clocks {
            process: cpu_time::process(),
            client: client.and_then(ThreadClock::now),
            server: server.cpu(),
        }
    }
}

struct Measurement {
    events: u64,
    stream_bytes: u64,
    wall: Duration,
    before: Clocks,
    after: Clocks,
}

impl Measurement {
    /// The client thread's CPU time over the run, where the platform tells.
    fn client_cpu(&self) -> Option<Duration> {
        self.before
            .client
            .zip(self.after.client)
            .map(|(b, a)| a.saturating_sub(b))
    }

    fn describe(&self) -> String {
        let secs = self.wall.as_secs_f64();
        let per_100k = |before: Option<Duration>, after: Option<Duration>| match before.zip(after) {
            Some((b, a)) => {
                let ms = (a - b).as_secs_f64() * 1e3 * 100_000.0 / self.events as f64;
                format!("{ms:.1} ms")
            }
            None => "n/a".into(),
        };
        format!(
            "{} events in {secs:.3} s = {:.0} events/s, {:.1} MB/s of SSE; CPU per 100k events: \
             client thread {}, server thread {}, whole process {}",
            self.events,
            self.events as f64 / secs,
            self.stream_bytes as f64 / secs / 1e6,
            per_100k(self.before.client, self.after.client),
            per_100k(self.before.server, self.after.server),
            per_100k(self.before.process, self.after.process),
        )
    }
}

/// One connection that receives `events` events, timed from the request to the last event.
async fn measure(
    client: &HttpClient,
    server: &ServerThread,
    events: u64,
) -> Result<Measurement, String> {
    let url = server.events_url(&format!("rate=0&count={events}&size=100"));
    let config = SubscriptionConfig::new(&url).map_err(|e| e.to_string())?;
    let mut state = ConnectionState::new(&config);
    let (mut sink, finished) = CountingSink::new(events);
    let client_clock = ThreadClock::current();

    let before = Clocks::read(client_clock, server);
    let start = Instant::now();
    // `run` reconnects forever after a clean end: it is stopped by dropping it once the sink
    // has counted enough.
    tokio::select! {
        biased;
        outcome = finished => outcome.map_err(|_| "the sink went away".to_string())??,
        end = run(client, &config, &mut state, &mut sink) => {
            return Err(format!("the connection ended early: {end:?}"));
        }
    }
    let wall = start.elapsed();
    let after = Clocks::read(client_clock, server);
    Ok(Measurement {
        events: sink.messages,
        stream_bytes: sink.stream_bytes,
        wall,
        before,
        after,
    })
}
