//! The summary printed after criterion's own output: every row's throughput per parser, the
//! ratios, and the targets we promised. `ours` looks at events in place; `ours-owned` makes
//! each one owned, as the engine's connection does; both are shown so neither hides the other.

use crate::contenders::{Contender, PARSERS};
use crate::rows::{Row, ALL_ROWS};
use crate::timings::{Series, Timings};

/// A promise about one row.
struct Target {
    row: Row,
    /// Our throughput at least this many MB/s.
    min_mb_per_s: Option<f64>,
    /// Ours at least this many times sse-stream.
    min_vs_sse_stream: Option<f64>,
    /// Ours at least this many times the faster peer.
    min_vs_best_peer: Option<f64>,
}

/// Issue 14: owned events (what the connection forwards) at least this many times the best
/// peer on every row with peers...
const MIN_OWNED_VS_BEST_PEER: f64 = 1.5;
/// ...but for 64 KiB lines, where every parser is bound by memory bandwidth.
const MIN_OWNED_VS_BEST_PEER_LARGE: f64 = 1.0;

const TARGETS: &[Target] = &[
    Target {
        row: Row::Ticks,
        min_mb_per_s: Some(2000.0),
        min_vs_sse_stream: Some(3.0),
        min_vs_best_peer: None,
    },
    Target {
        row: Row::Large,
        min_mb_per_s: Some(6000.0),
        min_vs_sse_stream: None,
        min_vs_best_peer: None,
    },
    Target {
        row: Row::TicksTinyReads,
        min_mb_per_s: None,
        min_vs_sse_stream: None,
        min_vs_best_peer: Some(1.5),
    },
];

/// Prints the table of `series`, from the median of its last `samples` runs.
pub fn print(timings: &Timings, series: Series, samples: usize) {
    let speed = |row, c| timings.mb_per_s(series, row, c, samples);
    let of = match series {
        Series::Criterion => {
            format!("median of criterion's {samples} samples, one contender after another")
        }
        Series::Rounds => {
            format!("median of {samples} interleaved rounds, every contender once per round")
        }
    };
    println!();
    println!(
        "Throughput, MB/s (10^6 bytes of SSE input per second of the thread's CPU time), {of}"
    );
    println!(
        "{:<16} {:>9} {:>11} {:>11} {:>19} {:>9} {:>9} {:>10} {:>11}  targets",
        "workload",
        "ours",
        "ours-owned",
        "sse-stream",
        "eventsource-client",
        "sseer",
        "ours/sse",
        "ours/best",
        "owned/best"
    );
    for &row in ALL_ROWS {
        let ours = speed(row, Contender::Ours);
        let sse = speed(row, Contender::SseStream);
        let best_peer = PARSERS
            .iter()
            .filter(|c| c.is_peer())
            .filter_map(|&c| speed(row, c))
            .reduce(f64::max);
        if ours.is_none() && best_peer.is_none() {
            continue; // not run (filtered out on the command line)
        }
        let owned = speed(row, Contender::OursOwned);
        println!(
            "{:<16} {:>9} {:>11} {:>11} {:>19} {:>9} {:>9} {:>10} {:>11}  {}",
            row.label(),
            mb(ours),
            mb(owned),
            mb(sse),
            mb(speed(row, Contender::EventsourceClient)),
            mb(speed(row, Contender::Sseer)),
            ratio(ours, sse),
            ratio(ours, best_peer),
            ratio(owned, best_peer),
            verdicts(row, ours, owned, sse, best_peer),
        );
    }
    if let (Some(scan), Some(ours)) = (
        speed(Row::Ticks, Contender::LineScan),
        speed(Row::Ticks, Contender::Ours),
    ) {
        println!(
            "speed of light: memchr LF scan of W1 in 64 KiB reads {scan:.0} MB/s; ours is {:.0} % of it",
            100.0 * ours / scan
        );
    }
}

fn verdicts(
    row: Row,
    ours: Option<f64>,
    owned: Option<f64>,
    sse: Option<f64>,
    best: Option<f64>,
) -> String {
    let mut out = Vec::new();
    if best.is_some() {
        let min = if row == Row::Large {
            MIN_OWNED_VS_BEST_PEER_LARGE
        } else {
            MIN_OWNED_VS_BEST_PEER
        };
        let got = owned.zip(best).map(|(o, b)| o >= min * b);
        out.push(verdict(&format!("owned >= {min}x best peer"), got));
    }
    let Some(target) = TARGETS.iter().find(|t| t.row == row) else {
        return out.join("; ");
    };
    if let Some(min) = target.min_mb_per_s {
        out.push(verdict(
            &format!(">= {min:.0} MB/s"),
            ours.map(|o| o >= min),
        ));
    }
    if let Some(min) = target.min_vs_sse_stream {
        let got = ours.zip(sse).map(|(o, s)| o >= min * s);
        out.push(verdict(&format!(">= {min}x sse-stream"), got));
    }
    if let Some(min) = target.min_vs_best_peer {
        let got = ours.zip(best).map(|(o, b)| o >= min * b);
        out.push(verdict(&format!(">= {min}x best peer"), got));
    }
    out.join("; ")
}

fn verdict(what: &str, passed: Option<bool>) -> String {
    let result = match passed {
        Some(true) => "PASS",
        Some(false) => "FAIL",
        None => "n/a",
    };
    format!("{what}: {result}")
}

fn mb(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.0}"))
}

fn ratio(a: Option<f64>, b: Option<f64>) -> String {
    a.zip(b)
        .map_or_else(|| "-".into(), |(a, b)| format!("{:.2}x", a / b))
}
