//! The parser's memory is bounded by the event cap plus a small constant whatever the read
//! sizes, measured with a counting allocator and with `Parser::held_bytes`, and tiny reads
//! change nothing in what is parsed.

use bytes::Bytes;
use proptest::prelude::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use streamwatch_engine::parser::{Frame, ParseError, Parser};

/// Counts live heap bytes, so a test sees what the parser really keeps, handles included.
struct CountingAlloc(AtomicUsize);

// SAFETY: every call is forwarded to `System` unchanged; the counter only observes sizes.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            self.0.fetch_add(layout.size(), Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        self.0.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            self.0.fetch_add(new_size, Ordering::Relaxed);
            self.0.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        new
    }
}

#[global_allocator]
static HEAP: CountingAlloc = CountingAlloc(AtomicUsize::new(0));

/// The allocator counts the whole process: every test takes this, so the ones that measure
/// see only their own parser.
static MEASURING: Mutex<()> = Mutex::new(());

/// What "a small constant" above the cap may be: the few handles the parser keeps, and what
/// the test harness allocates on its other threads while a test measures.
const SLACK: usize = 64 * 1024;

const MIB: usize = 1024 * 1024;

#[test]
fn an_endless_line_in_one_byte_reads_holds_at_most_the_cap() {
    let _one_at_a_time = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
    let cap = MIB;
    let mut p = Parser::with_max_event_size(cap);
    // Warm the parser up (its first line and event), so the baseline includes what it keeps.
    p.feed_slice(b"data: warm\n\n", |_| {})
        .expect("within the cap");
    let mut line = b"data: ".to_vec();
    line.resize(2 * MIB, b'x');
    let base = HEAP.0.load(Ordering::Relaxed);
    let mut errors = Vec::new();
    let (mut peak_live, mut peak_held) = (0, 0);
    for (i, &b) in line.iter().enumerate() {
        if let Err(e) = p.feed(Bytes::from(vec![b]), |_| panic!("no frame expected")) {
            errors.push((i + 1, e));
        }
        peak_live = peak_live.max(HEAP.0.load(Ordering::Relaxed).saturating_sub(base));
        peak_held = peak_held.max(p.held_bytes());
    }
    assert_eq!(
        errors,
        [(cap + 1, ParseError::EventTooLarge { limit: cap })],
        "the cap must trip at the first byte past it, once"
    );
    assert!(
        peak_live <= cap + SLACK,
        "live heap grew by {peak_live} bytes for a {cap}-byte cap"
    );
    assert!(
        peak_held <= cap + SLACK,
        "held_bytes reported {peak_held} for a {cap}-byte cap"
    );
    assert!(
        peak_held >= cap / 2,
        "held_bytes must see the line ({peak_held})"
    );
}

#[test]
fn an_endless_line_in_large_reads_trips_at_the_cap_too() {
    let _one_at_a_time = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
    let cap = MIB;
    let mut p = Parser::with_max_event_size(cap);
    let read = Bytes::from(vec![b'x'; 64 * 1024]);
    let base = HEAP.0.load(Ordering::Relaxed);
    let mut fed = 0;
    let mut peak_live = 0;
    let failed_at = loop {
        fed += read.len();
        if p.feed(read.clone(), |_| {}).is_err() {
            break fed;
        }
        peak_live = peak_live.max(HEAP.0.load(Ordering::Relaxed).saturating_sub(base));
        assert!(p.held_bytes() <= cap + SLACK, "held {}", p.held_bytes());
    };
    assert_eq!(failed_at, cap + read.len(), "the read that crosses the cap");
    // Shared with the reads at first, then copied once the line is long: never both.
    assert!(peak_live <= cap + SLACK, "live heap grew by {peak_live}");
}

/// A stream of many small events: ids, types, comments, multi-line data, CR, LF and CRLF.
fn many_events(n: usize) -> Vec<u8> {
    let mut s = String::new();
    for i in 0..n {
        let nl = ["\n", "\r\n", "\r"][i % 3];
        if i % 7 == 0 {
            s.push_str(&format!(": keep-alive {i}{nl}"));
        }
        s.push_str(&format!("id: {i}{nl}event: tick{}{nl}", i % 4));
        s.push_str(&format!(
            "data: {{\"n\":{i},\"v\":\"é{}\"}}{nl}",
            "z".repeat(i % 50)
        ));
        if i % 5 == 0 {
            s.push_str(&format!("data: second line {i}{nl}"));
        }
        if i % 11 == 0 {
            s.push_str(&format!("retry: {}{nl}", 1000 + i));
        }
        s.push_str(nl);
    }
    s.into_bytes()
}

fn parse_in_reads(input: &[u8], read: usize) -> (Vec<Frame>, String, usize) {
    let mut p = Parser::new();
    let mut out = Vec::new();
    let mut peak_held = 0;
    for piece in input.chunks(read) {
        p.feed(Bytes::copy_from_slice(piece), |f| out.push(f))
            .expect("within the cap");
        peak_held = peak_held.max(p.held_bytes());
    }
    (out, p.last_event_id().to_string(), peak_held)
}

#[test]
fn many_events_in_one_byte_reads_parse_as_the_whole_input() {
    let _one_at_a_time = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
    let input = many_events(3000);
    let (whole, whole_id, _) = parse_in_reads(&input, input.len());
    let (tiny, tiny_id, held) = parse_in_reads(&input, 1);
    let events = whole
        .iter()
        .filter(|f| matches!(f, Frame::Event(_)))
        .count();
    assert_eq!(events, 3000, "every event delivered");
    assert_eq!(tiny, whole, "one-byte reads must not change any frame");
    assert_eq!(tiny_id, whole_id);
    assert!(held <= 4096, "small events held {held} bytes");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    /// Lines long enough to be kept as shared slices of large reads, mixed with tiny reads
    /// that switch them to the copy buffer mid-line, parse as the whole input does.
    #[test]
    fn long_lines_under_mixed_read_sizes_parse_as_the_whole_input(
        lens in proptest::collection::vec(0usize..40_000, 1..5),
        reads in proptest::collection::vec(prop_oneof![1usize..4, 4usize..300, 8_000usize..30_000], 1..40),
    ) {
        let _one_at_a_time = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
        let mut input = Vec::new();
        for (i, &len) in lens.iter().enumerate() {
            let field = ["data: ", "id: ", ": ", "event:"][i % 4];
            // Ids and types have a limit of their own (a parser_rules test covers it).
            let len = if i % 2 == 1 { len.min(streamwatch_engine::parser::MAX_FIELD_BYTES) } else { len };
            input.extend_from_slice(field.as_bytes());
            input.extend(std::iter::repeat_n(b'a' + (i % 26) as u8, len));
            input.extend_from_slice(b"\ndata: end\n\n");
        }
        let (whole, whole_id, _) = parse_in_reads(&input, input.len());
        let mut p = Parser::new();
        let mut out = Vec::new();
        let (mut at, mut k) = (0, 0);
        while at < input.len() {
            let end = (at + reads[k % reads.len()]).min(input.len());
            p.feed(Bytes::copy_from_slice(&input[at..end]), |f| out.push(f)).expect("within the cap");
            at = end;
            k += 1;
        }
        prop_assert_eq!(out, whole);
        prop_assert_eq!(p.last_event_id().to_string(), whole_id);
    }
}
