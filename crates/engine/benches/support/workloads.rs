//! The benchmark inputs: SSE streams built in memory, and their split into reads.

use bytes::Bytes;
use std::sync::Arc;

/// The size of one network read for W1–W4: what hyper typically hands over on a fast socket.
pub const READ_SIZE: usize = 64 * 1024;

/// Length of one W1 data value (a JSON object), as a typical small SSE payload.
const TICK_DATA_LEN: usize = 100;

/// Length of one W4 data value.
const LARGE_DATA_LEN: usize = 64 * 1024;

/// Data lines per W2 event.
const MULTILINE_LINES: usize = 8;

/// A stream already split into reads; shared so a peer that needs `'static` input can hold it.
pub type Chunks = Arc<[Bytes]>;

/// How big the workloads are: the real sizes under `cargo bench`, a small fraction when the
/// bench binary is only smoke-tested (`cargo test --all-targets` runs it unoptimised).
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    divisor: usize,
}

impl Scale {
    /// Full size when the binary got `--bench` (as `cargo bench` passes), 1 % otherwise.
    pub fn from_args() -> Scale {
        let benching = std::env::args().any(|a| a == "--bench");
        Scale {
            divisor: if benching { 1 } else { 100 },
        }
    }

    /// `n` events at this scale (at least one).
    pub fn events(self, n: usize) -> usize {
        (n / self.divisor).max(1)
    }
}

/// One workload: the whole stream, and how many events a parser must find in it.
pub struct Workload {
    pub bytes: Bytes,
    pub events: u64,
}

/// W1 (and W3 with `crlf`): `id: n`, `event: tick`, one ~100-byte JSON data line.
pub fn ticks(events: usize, crlf: bool) -> Workload {
    let eol: &[u8] = if crlf { b"\r\n" } else { b"\n" };
    let mut buf = Vec::with_capacity(events * (TICK_DATA_LEN + 40));
    for n in 1..=events {
        push_line(&mut buf, &[b"id: ", n.to_string().as_bytes()], eol);
        push_line(&mut buf, &[b"event: tick"], eol);
        push_line(&mut buf, &[b"data: ", &tick_json(n)], eol);
        buf.extend_from_slice(eol);
    }
    finish(buf, events)
}

/// W2: 8 data lines per event, as a pretty-printed JSON object would be sent.
pub fn multiline(events: usize) -> Workload {
    let mut buf = Vec::with_capacity(events * MULTILINE_LINES * 40);
    for n in 1..=events {
        push_line(&mut buf, &[b"id: ", n.to_string().as_bytes()], b"\n");
        push_line(&mut buf, &[b"event: tick"], b"\n");
        push_line(&mut buf, &[b"data: {"], b"\n");
        for field in 0..MULTILINE_LINES - 2 {
            let line = format!("data:   \"field{field}\": \"value {n} of field {field}\",");
            push_line(&mut buf, &[line.as_bytes()], b"\n");
        }
        push_line(&mut buf, &[b"data: }"], b"\n");
        buf.push(b'\n');
    }
    finish(buf, events)
}

/// W4: one 64 KiB data line per event (a large JSON document on one line).
pub fn large(events: usize) -> Workload {
    let value = large_json();
    let mut buf = Vec::with_capacity(events * (value.len() + 8));
    for _ in 0..events {
        push_line(&mut buf, &[b"data: ", &value], b"\n");
        buf.push(b'\n');
    }
    finish(buf, events)
}

/// W6: an LLM's answer streamed token by token, OpenAI-style: one `data:` line of ~200 bytes of
/// JSON per event (a `chat.completion.chunk` whose delta is one word), ending with `[DONE]`.
pub fn token_deltas(events: usize) -> Workload {
    let mut buf = Vec::with_capacity(events * (TOKEN_EVENT_LEN + 16));
    for n in 0..events {
        push_line(&mut buf, &[b"data: ", token_json(n).as_bytes()], b"\n");
        buf.push(b'\n');
    }
    push_line(&mut buf, &[b"data: [DONE]"], b"\n");
    buf.push(b'\n');
    finish(buf, events + 1)
}

/// Splits `whole` into one read per event (after each blank line), as an LLM server flushes
/// every token: the reads are slices of one allocation, as in [`split`].
pub fn split_events(whole: &Bytes) -> Chunks {
    let mut reads = Vec::new();
    let mut start = 0;
    for end in memchr::memmem::find_iter(whole, b"\n\n") {
        reads.push(whole.slice(start..end + 2));
        start = end + 2;
    }
    if start < whole.len() {
        reads.push(whole.slice(start..));
    }
    reads.into()
}

/// Splits `whole` into reads of `size` bytes.
///
/// The reads are slices of one allocation, as hyper's reads are slices of its read buffer;
/// this also keeps the 7-byte split of W1 (19 million reads) within memory.
pub fn split(whole: &Bytes, size: usize) -> Chunks {
    (0..whole.len())
        .step_by(size)
        .map(|start| whole.slice(start..whole.len().min(start + size)))
        .collect()
}

fn push_line(buf: &mut Vec<u8>, parts: &[&[u8]], eol: &[u8]) {
    for part in parts {
        buf.extend_from_slice(part);
    }
    buf.extend_from_slice(eol);
}

/// `{"n":…,"ts":…,"price":…,"pad":"xx…"}` padded to exactly `TICK_DATA_LEN` bytes.
fn tick_json(n: usize) -> Vec<u8> {
    let ts = 1_700_000_000_000u64 + n as u64;
    let head = format!(
        "{{\"n\":{n},\"ts\":{ts},\"price\":{}.{:02},\"pad\":\"",
        100 + n % 900,
        n % 100
    );
    let mut json = head.into_bytes();
    let pad = TICK_DATA_LEN.saturating_sub(json.len() + 2);
    json.resize(json.len() + pad, b'x');
    json.extend_from_slice(b"\"}");
    json
}

/// About how long one W6 event is on the wire.
const TOKEN_EVENT_LEN: usize = 200;

/// Words an answer is made of, cycled through so the deltas vary in length.
#[rustfmt::skip]
const TOKEN_WORDS: &[&str] = &[
    "The", " quick", " brown", " fox", " jumps", " over", " the", " lazy", " dog", ".",
    " Server", "-Sent", " Events", " stream", " tokens", " one", " at", " a", " time", ",",
    " and", " each", " carries", " a", " JSON", " chunk", " like", " this", " \\\"one\\\"", "\\n",
];

/// One `chat.completion.chunk` as OpenAI's API streams it; `n` picks the word.
fn token_json(n: usize) -> String {
    let word = TOKEN_WORDS[n % TOKEN_WORDS.len()];
    format!(
        "{{\"id\":\"chatcmpl-AbC9xYz8WvU7tSr6QpO5nMl4\",\"object\":\"chat.completion.chunk\",\
         \"created\":1733212800,\"model\":\"gpt-4o-2024-08-06\",\"system_fingerprint\":\"fp_5f20662549\",\
         \"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{word}\"}},\"logprobs\":null,\
         \"finish_reason\":null}}]}}"
    )
}

/// A 64 KiB JSON array of short strings: varied ASCII rather than one repeated byte.
fn large_json() -> Vec<u8> {
    let mut json = b"[".to_vec();
    let mut i = 0;
    while json.len() < LARGE_DATA_LEN - 32 {
        json.extend_from_slice(format!("\"item-{i}\",").as_bytes());
        i += 1;
    }
    json.extend_from_slice(b"\"end\"");
    json.resize(LARGE_DATA_LEN - 1, b' ');
    json.push(b']');
    json
}

fn finish(buf: Vec<u8>, events: usize) -> Workload {
    Workload {
        bytes: Bytes::from(buf),
        events: events as u64,
    }
}
