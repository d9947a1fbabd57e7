//! `cargo bench -p streamwatch-engine --bench parser_peak`: the parser's peak memory under
//! hostile and heavy read patterns, against the budget "one event's cap plus a small constant".
//!
//! Each scenario generates its reads on the fly and drops them after feeding, as a connection
//! does, so what stays live is what the parser keeps. Two measures: the heap above the start
//! (a counting allocator: exact, includes space allocated but not touched) and the resident
//! peak (`VmHWM`, reset through `/proc/self/clear_refs` before each scenario).
//!
//! Without `--bench` (as `cargo test --all-targets` runs it) the cap and counts are small.

#[path = "../parser_memory/counting_alloc.rs"]
mod counting_alloc;

use bytes::Bytes;
use counting_alloc::CountingAlloc;
use std::time::Instant;
use streamwatch_engine::parser::{FrameRef, Parser};

#[global_allocator]
static HEAP: CountingAlloc = CountingAlloc::new();

const MIB: usize = 1024 * 1024;

/// What a scenario ended with.
struct Outcome {
    reads: usize,
    bytes: usize,
    events: usize,
    cap_tripped: bool,
}

/// Resident memory above the cap that still counts as "a small constant": the allocator's
/// own bookkeeping and page rounding, and a line of shared pieces (up to 256 KiB) briefly
/// alive beside the buffer it is folded into.
const BUDGET_SLACK: usize = 512 * 1024;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let full = args.iter().any(|a| a == "--bench");
    // The cap can be lowered (the old parser needed about 100 bytes per byte of a trickle).
    let cap = std::env::var("STREAMWATCH_PEAK_CAP_MIB")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(if full { 16 } else { 1 })
        * MIB;
    let tiny_events = if full { 1_000_000 } else { 10_000 };
    let large_events = if full { 3 } else { 2 };
    let scenarios: [(String, Box<dyn Fn() -> Outcome>); 4] = [
        (
            "1-byte reads, endless line".into(),
            Box::new(move || endless_line(cap)),
        ),
        (
            format!("{tiny_events} tiny events, 1-byte reads"),
            Box::new(move || tiny_flood(cap, tiny_events)),
        ),
        (
            format!("{large_events} events of the cap, 64 KiB reads"),
            Box::new(move || large(cap, large_events, 64 * 1024)),
        ),
        (
            format!("{large_events} events of the cap, 1 KiB reads"),
            Box::new(move || large(cap, large_events, 1024)),
        ),
    ];

    // Each scenario runs in a process of its own: memory one scenario freed stays resident
    // in the allocator and would hide the next one's peak.
    if let Some(at) = args.iter().position(|a| a == "--scenario") {
        let n: usize = args[at + 1].parse().expect("a scenario number");
        let (name, run) = &scenarios[n];
        run_one(name, run.as_ref(), cap);
        return;
    }
    println!(
        "cap: {} MiB; budget: resident peak <= cap + {} KiB (the heap peak counts whole \
         allocations, untouched pages and both sides of a realloc included)",
        cap / MIB,
        BUDGET_SLACK / 1024
    );
    println!(
        "{:<34} {:>10} {:>8} {:>8} {:>4} {:>11} {:>11} {:>6}  verdict",
        "scenario", "reads", "MiB fed", "events", "cap", "heap peak", "RSS peak", "secs"
    );
    let exe = std::env::current_exe().expect("the bench's own path");
    for n in 0..scenarios.len() {
        let status = std::process::Command::new(&exe)
            .args(&args[1..])
            .args(["--scenario", &n.to_string()])
            .status()
            .expect("run a scenario");
        assert!(status.success(), "scenario {n} failed");
    }
}

fn run_one(name: &str, run: &dyn Fn() -> Outcome, cap: usize) {
    let base = HEAP.live();
    HEAP.reset_peak();
    let rss_base = reset_rss_peak();
    let start = Instant::now();
    let out = run();
    let secs = start.elapsed().as_secs_f64();
    let heap = HEAP.peak() - base;
    let rss = rss_peak().zip(rss_base).map(|(p, b)| p.saturating_sub(b));
    // Judged on what the system sees when it can be read: a copy's buffer is allocated whole
    // but only becomes resident as it fills, and a growing buffer is moved by remapping.
    let verdict = if rss.unwrap_or(heap) <= cap + BUDGET_SLACK {
        "PASS"
    } else {
        "FAIL"
    };
    println!(
        "{name:<34} {:>10} {:>8.1} {:>8} {:>4} {:>11} {:>11} {secs:>6.2}  {verdict} ({:.2}x cap)",
        out.reads,
        out.bytes as f64 / MIB as f64,
        out.events,
        if out.cap_tripped { "hit" } else { "-" },
        mib(heap),
        rss.map_or("n/a".into(), mib),
        rss.unwrap_or(heap) as f64 / cap as f64,
    );
}

fn mib(bytes: usize) -> String {
    format!("{:.2} MiB", bytes as f64 / MIB as f64)
}

/// A server that sends one byte per write and never ends its line: fed until the cap trips.
fn endless_line(cap: usize) -> Outcome {
    let mut p = Parser::with_max_event_size(cap);
    let mut out = Outcome {
        reads: 0,
        bytes: 0,
        events: 0,
        cap_tripped: false,
    };
    let line = b"data: ".iter().copied().chain(std::iter::repeat(b'x'));
    for b in line.take(2 * cap) {
        out.reads += 1;
        out.bytes += 1;
        // A read of its own, as each write arrives: the parser may keep it or copy it.
        if p.feed_ref(&Bytes::from(vec![b]), |_| {}).is_err() {
            out.cap_tripped = true;
            break;
        }
    }
    out
}

/// Many small events, each byte a read of its own.
fn tiny_flood(cap: usize, events: usize) -> Outcome {
    let mut p = Parser::with_max_event_size(cap);
    let mut out = Outcome {
        reads: 0,
        bytes: 0,
        events: 0,
        cap_tripped: false,
    };
    for n in 0..events {
        let event = format!("id: {n}\ndata: {{\"n\":{n}}}\n\n");
        for &b in event.as_bytes() {
            out.reads += 1;
            out.bytes += 1;
            let read = Bytes::from(vec![b]);
            p.feed_ref(&read, |f| {
                if let FrameRef::Event(_) = f {
                    out.events += 1;
                }
            })
            .expect("tiny events are within the cap");
        }
    }
    out
}

/// Events whose one data line is as large as the cap allows, in reads of `read_size`; each
/// event is dropped once counted, as a consumer that forwards it would.
fn large(cap: usize, events: usize, read_size: usize) -> Outcome {
    let mut p = Parser::with_max_event_size(cap);
    let mut out = Outcome {
        reads: 0,
        bytes: 0,
        events: 0,
        cap_tripped: false,
    };
    // The line and its LF count against the cap; the blank line dispatches.
    let value = cap - b"data: ".len() - 1;
    let event_len = b"data: ".len() + value + 2;
    for _ in 0..events {
        let mut at = 0;
        while at < event_len {
            let end = (at + read_size).min(event_len);
            let read: Vec<u8> = (at..end)
                .map(|i| match i {
                    i if i < 6 => b"data: "[i],
                    i if i >= event_len - 2 => b'\n',
                    _ => b'v',
                })
                .collect();
            out.reads += 1;
            out.bytes += read.len();
            let mut kept = Vec::new();
            p.feed(Bytes::from(read), |f| kept.push(f))
                .expect("an event of the cap is within it");
            out.events += kept.len();
            at = end;
        }
    }
    out
}

/// Resets the kernel's resident peak to the current size; returns that size.
fn reset_rss_peak() -> Option<usize> {
    // "5" resets VmHWM (Linux 4.0+); elsewhere the column reads n/a.
    std::fs::write("/proc/self/clear_refs", "5").ok()?;
    status_kib("VmRSS:")
}

/// The resident peak since the last reset.
fn rss_peak() -> Option<usize> {
    status_kib("VmHWM:")
}

fn status_kib(key: &str) -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    let kib: usize = line[key.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}
