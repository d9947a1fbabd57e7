//! `cargo bench -p streamwatch-engine --bench parser_memory`: peak live heap while parsing W4
//! (10,000 events of one 64 KiB data line, held in memory as 64 KiB `Bytes` reads), against
//! the design's budget "input + one event + a small constant" (the constant: the parser's own
//! few fields, e.g. an event type). The peers are measured the same way, for comparison.

#[path = "../support/mod.rs"]
mod support;

mod counting_alloc;

use counting_alloc::CountingAlloc;
use support::tally::Tally;
use support::workloads::{self, Chunks, Scale, READ_SIZE};
use support::{eventsource_peer, ours, sse_stream_peer};

#[global_allocator]
static HEAP: CountingAlloc = CountingAlloc::new();

/// A parser driver: parses the reads, counts the events.
type Driver = fn(&Chunks) -> Tally;

/// One event's data in W4: what a consumer must be able to hold at once.
const ONE_EVENT: usize = 64 * 1024;
/// The parser's own state beside the event (field values, a few handles): small and fixed,
/// whatever the input.
const SMALL_CONSTANT: usize = 1024;

fn main() {
    let scale = Scale::from_args();
    let before_input = HEAP.live();
    let w4 = workloads::large(scale.events(10_000));
    let chunks = workloads::split(&w4.bytes, READ_SIZE);
    let input = HEAP.live() - before_input;

    println!(
        "W4: {} events, {} bytes of SSE in {} reads of 64 KiB; input on the heap: {input} bytes \
         (the stream plus its `Bytes` handles)",
        w4.events,
        w4.bytes.len(),
        chunks.len(),
    );
    println!(
        "budget: peak live heap <= input + one event ({ONE_EVENT} bytes) + {SMALL_CONSTANT} bytes"
    );
    println!(
        "{:<20} {:>14} {:>16} {:>8}  vs budget",
        "parser", "peak heap (B)", "above input (B)", "events"
    );
    let parsers: [(&str, Driver); 4] = [
        ("ours", |c| ours::parse(c)),
        ("ours-owned", |c| ours::parse_owned(c)),
        ("sse-stream", |c| sse_stream_peer::parse(c)),
        ("eventsource-client", eventsource_peer::parse),
    ];
    for (name, parse) in parsers {
        // Everything live now (the input, and the little the program held before) is the base.
        let base = HEAP.live();
        HEAP.reset_peak();
        let tally = parse(&chunks);
        let above = HEAP.peak() - base;
        assert_eq!(tally.events, w4.events, "{name} missed events");
        let verdict = if above <= ONE_EVENT + SMALL_CONSTANT {
            "PASS"
        } else {
            "FAIL"
        };
        println!(
            "{name:<20} {:>14} {above:>16} {:>8}  {verdict} ({:.2}x one event)",
            base + above,
            tally.events,
            above as f64 / ONE_EVENT as f64
        );
    }
}
