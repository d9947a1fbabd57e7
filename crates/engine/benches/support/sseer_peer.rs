//! Drives `sseer` 0.3, a parser written for LLM token streams. Its `EventStream` is a `Stream`
//! of events over a `TryStream` of anything `Into<Bytes>`, and slices each event's fields out
//! of the reads it is given, so it is handed owned `Bytes` (one reference-count increment per
//! read, which its zero-copy design needs). The reads come from `futures_util::stream::iter`,
//! polled by `futures_executor::block_on`: no I/O, no runtime, only the poll per event that its
//! API implies. Its events are owned (`bytes_utils::Str` fields), as `ours-owned`'s are.

use super::tally::Tally;
use bytes::Bytes;
use futures_util::StreamExt;
use sseer::EventStream;
use std::convert::Infallible;
use std::hint::black_box;

/// Parses `chunks` in order and counts the events.
pub fn parse(chunks: &[Bytes]) -> Tally {
    let reads = futures_util::stream::iter(chunks.iter().map(|c| Ok::<_, Infallible>(c.clone())));
    let mut events = EventStream::new(reads);
    futures_executor::block_on(async {
        let mut tally = Tally::default();
        while let Some(item) = events.next().await {
            let event = black_box(item.expect("the workloads are valid SSE"));
            tally.event(event.data.len());
        }
        tally
    })
}

/// Parses owned reads in order, as `EventStream` is used over an HTTP client's body stream,
/// and counts the events.
pub fn parse_reads(reads: impl Iterator<Item = Bytes>) -> Tally {
    let mut events = EventStream::new(futures_util::stream::iter(reads.map(Ok::<_, Infallible>)));
    futures_executor::block_on(async {
        let mut tally = Tally::default();
        while let Some(item) = events.next().await {
            let event = black_box(item.expect("the workloads are valid SSE"));
            tally.event(event.data.len());
        }
        tally
    })
}
