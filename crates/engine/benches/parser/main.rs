//! `cargo bench -p streamwatch-engine --bench parser`: our SSE parser beside `sse-stream` and
//! `eventsource-client` and `sseer` on W1–W6, then a summary table against our targets.
//!
//! Every input is split into reads (`Bytes`) before timing; a timed run feeds them in order
//! and looks at each event's data, as a real consumer does. See `support/` for how each peer
//! is driven.

#[path = "../support/mod.rs"]
mod support;

mod contenders;
mod cpu_time;
mod owned_reads;
mod report;
mod row_filter;
mod rows;
mod timings;

use contenders::Contender;
use criterion::{Criterion, SamplingMode, Throughput};
use row_filter::RowFilter;
use rows::Row;
use std::hint::black_box;
use std::time::Duration;
use support::workloads::{self, Scale, Workload};
use timings::{Series, Timings};

/// Few samples and short windows: the slow peers take seconds per run, and the machine has
/// two cores. Flat sampling keeps each sample at the same iteration count, so a run that takes
/// a second does not need 55 of them as linear sampling would.
const SAMPLES: usize = 10;
/// Interleaved rounds per row after criterion's samples. Criterion samples one contender,
/// then the next; on a shared machine the state drifts between them (another tenant, the
/// clock), and the drift lands on whichever contender was sampling. A round runs each once,
/// in turn, so drift weighs on all alike.
const ROUNDS: usize = 7;
const WARM_UP: Duration = Duration::from_millis(500);
const MEASUREMENT: Duration = Duration::from_secs(2);

fn main() {
    let scale = Scale::from_args();
    let wanted = RowFilter::from_env();
    let mut criterion = Criterion::default().configure_from_args();
    let timings = Timings::default();
    let mut bench = |row: Row, workload: &Workload| {
        if wanted.runs(row) {
            bench_row(&mut criterion, &timings, row, workload);
        }
    };

    // One workload in memory at a time: W4 alone is 650 MB. A workload no wanted row uses is
    // not built at all.
    let w1_rows = [
        Row::Ticks,
        Row::TicksWhole,
        Row::TicksTinyReads,
        Row::TicksMidReads,
    ];
    if wanted.any(&w1_rows) {
        let w1 = workloads::ticks(scale.events(1_000_000), false);
        for row in w1_rows {
            bench(row, &w1);
        }
    }
    if wanted.runs(Row::Multiline) {
        bench(Row::Multiline, &workloads::multiline(scale.events(200_000)));
    }
    if wanted.runs(Row::TicksCrlf) {
        bench(
            Row::TicksCrlf,
            &workloads::ticks(scale.events(1_000_000), true),
        );
    }
    if wanted.runs(Row::Large) {
        bench(Row::Large, &workloads::large(scale.events(10_000)));
    }
    let w6_rows = [Row::TokensMidReads, Row::TokensPerEvent];
    if wanted.any(&w6_rows) {
        let w6 = workloads::token_deltas(scale.events(500_000));
        for row in w6_rows {
            bench(row, &w6);
        }
    }

    criterion.final_summary();
    report::print(&timings, Series::Criterion, SAMPLES);
    report::print(&timings, Series::Rounds, ROUNDS);
}

/// Benchmarks the row's contenders on `workload`, split into the row's reads.
fn bench_row(criterion: &mut Criterion, timings: &Timings, row: Row, workload: &Workload) {
    let chunks = match row.read_size() {
        Some(size) => workloads::split(&workload.bytes, size),
        None => workloads::split_events(&workload.bytes),
    };
    let input_bytes = workload.bytes.len() as u64;
    let lines = memchr::memchr_iter(b'\n', &workload.bytes).count() as u64;
    // Every parser must agree on the data too, not only on the number of events.
    let mut data_bytes = None;

    let mut group = criterion.benchmark_group(row.group());
    group
        .sample_size(SAMPLES)
        .warm_up_time(WARM_UP)
        .measurement_time(MEASUREMENT)
        .sampling_mode(SamplingMode::Flat)
        // Decimal units, so criterion's lines read in the same MB/s and GB/s as the table.
        .throughput(Throughput::BytesDecimal(input_bytes));
    for &contender in row.contenders() {
        let expected = match contender {
            Contender::LineScan => lines,
            _ => workload.events,
        };
        group.bench_function(contender.name(), |b| {
            b.iter_custom(|iters| {
                let mut cpu = Duration::ZERO;
                for _ in 0..iters {
                    let (tally, spent) = contender.run_timed(&chunks);
                    let tally = black_box(tally);
                    cpu += spent;
                    assert_eq!(
                        tally.events,
                        expected,
                        "{} on {}",
                        contender.name(),
                        row.label()
                    );
                    if contender != Contender::LineScan {
                        let agreed = *data_bytes.get_or_insert(tally.data_bytes);
                        assert_eq!(
                            tally.data_bytes,
                            agreed,
                            "{} data on {}",
                            contender.name(),
                            row.label()
                        );
                    }
                }
                // Criterion is given the CPU time too: the wall clock would count the handles
                // made for owned reads (and the waits for a core of a shared machine).
                timings.record(row, contender, input_bytes, iters, cpu);
                cpu
            })
        });
    }
    group.finish();
    for _ in 0..ROUNDS {
        for &contender in row.contenders() {
            let (tally, spent) = contender.run_timed(&chunks);
            black_box(tally);
            timings.record_round(row, contender, input_bytes, spent);
        }
    }
}
