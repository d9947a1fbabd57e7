//! The SSE parser must not care how the bytes were split: the frames (and the error, if any)
//! from the whole body in one read must equal those from the same body cut into random reads.
//! Neither way may panic.
//!
//! Input layout, read with `arbitrary::Unstructured` one byte at a time so seed files can be
//! written by hand (fuzz/corpus/parser_differential/ starts each with `\0\0`):
//!   byte 0      event cap: 0 = the default (16 MiB), n > 0 = `8 * n` bytes, so the fuzzer
//!               reaches `EventTooLarge` with small inputs;
//!   then pairs  `[odd byte, len]`: one read of `len + 1` bytes, repeated while the first byte
//!               of a pair is odd (an even byte ends the list);
//!   the rest    the body. Reads past the list take what remains, in one read.
#![no_main]

use arbitrary::Unstructured;
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use streamwatch_engine::parser::{
    Frame, ParseError, Parser, DEFAULT_MAX_EVENT_SIZE, MAX_FIELD_BYTES,
};

/// Reads one list at most this long: more adds nothing the fuzzer cannot reach by mutation.
const MAX_SPLITS: usize = 64;
/// What the parser may hold between reads beyond the event cap and the values it keeps across
/// events (`Parser::held_bytes`): the per-read handles of a held line, scratch space.
const HELD_SLACK: usize = 1024;

/// The values kept across events: the last id, the id being read, and the event type, each at
/// most `MAX_FIELD_BYTES` (and the cap) as received, and up to three times that once invalid
/// UTF-8 is replaced by U+FFFD.
fn kept(cap: usize) -> usize {
    3 * 3 * cap.min(MAX_FIELD_BYTES)
}

struct Run {
    frames: Vec<Frame>,
    error: Option<ParseError>,
    last_event_id: String,
}

fn run(cap: usize, body: &[u8], reads: &[usize]) -> Run {
    let mut parser = Parser::with_max_event_size(cap);
    let mut frames = Vec::new();
    let mut error = None;
    let mut pos = 0;
    let mut sizes = reads.iter().copied();
    while pos < body.len() {
        let n = sizes
            .next()
            .unwrap_or(body.len() - pos)
            .min(body.len() - pos);
        let chunk = Bytes::copy_from_slice(&body[pos..pos + n]);
        pos += n;
        if let Err(e) = parser.feed(chunk, |f| frames.push(f)) {
            // On error the caller reconnects: nothing more is fed to this parser.
            error = Some(e);
            break;
        }
        // Memory is bounded by bytes under any server and any read size.
        let held = parser.held_bytes();
        let bound = cap + kept(cap) + HELD_SLACK;
        assert!(
            held <= bound,
            "parser holds {held} bytes between reads, over {bound} (cap {cap})"
        );
    }
    Run {
        frames,
        error,
        last_event_id: {
            let id: &str = parser.last_event_id();
            id.to_owned()
        },
    }
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let cap_byte: u8 = u.arbitrary().unwrap_or(0);
    let cap = if cap_byte == 0 {
        DEFAULT_MAX_EVENT_SIZE
    } else {
        8 * cap_byte as usize
    };
    let mut reads = Vec::new();
    while reads.len() < MAX_SPLITS {
        let more: u8 = u.arbitrary().unwrap_or(0);
        if more & 1 == 0 {
            break;
        }
        let len: u8 = u.arbitrary().unwrap_or(0);
        reads.push(len as usize + 1);
    }
    let body = u.take_rest();

    let Some(msg) = differs(cap, body, &reads) else {
        return;
    };
    panic!("{msg}");
});

/// Feeds `body` in one read, in `reads`, and byte by byte; says how the results differ.
fn differs(cap: usize, body: &[u8], reads: &[usize]) -> Option<String> {
    let whole = run(cap, body, &[]);
    let split = run(cap, body, reads);
    // Also byte by byte, the trickling server's way (the parser's tiny-read fast path).
    let ones = vec![1usize; body.len()];
    let trickle = run(cap, body, &ones);
    for (name, other) in [("split", &split), ("byte-by-byte", &trickle)] {
        if whole.error != other.error {
            return Some(format!(
                "error differs between one read and {name} reads {reads:?}: {:?} vs {:?}",
                whole.error, other.error
            ));
        }
        if whole.frames != other.frames {
            return Some(format!(
                "frames differ between one read and {name} reads {reads:?}:\n{:?}\nvs\n{:?}",
                whole.frames, other.frames
            ));
        }
        if whole.error.is_none() && whole.last_event_id != other.last_event_id {
            return Some(format!(
                "last event id differs between one read and {name} reads {reads:?}: {:?} vs {:?}",
                whole.last_event_id, other.last_event_id
            ));
        }
    }
    // Every dispatched event fits the cap. The cap counts the bytes received; repairing
    // invalid UTF-8 may turn one byte into U+FFFD (three), hence the factor.
    for f in &whole.frames {
        if let Frame::Event(e) = f {
            if e.data.len() > 3 * cap {
                return Some(format!("event data {} > 3 * cap {cap}", e.data.len()));
            }
        }
    }
    None
}
