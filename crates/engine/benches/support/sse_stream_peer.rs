//! Drives `sse-stream` 0.3. Its parser is private; the most direct public API is
//! `SseByteStream`, a `Stream` of events over a `TryStream` of byte buffers (its docs prefer it
//! to `SseStream`, which adds an `http_body` adapter). The reads come from
//! `futures_util::stream::iter`, polled by `futures_executor::block_on`: no I/O, no runtime,
//! only the poll per event that its API implies. It accepts any `Buf` and only reads each one's
//! `chunk()`, so it is given borrowed slices of the reads: no reference count per read, as our
//! `feed_ref` needs none.

use super::tally::Tally;
use bytes::Bytes;
use futures_util::StreamExt;
use sse_stream::SseByteStream;
use std::convert::Infallible;
use std::hint::black_box;

/// Parses `chunks` in order and counts the events (blocks with a data field).
pub fn parse(chunks: &[Bytes]) -> Tally {
    let reads = futures_util::stream::iter(chunks.iter().map(|c| Ok::<_, Infallible>(&c[..])));
    let mut events = SseByteStream::new(reads);
    futures_executor::block_on(async {
        let mut tally = Tally::default();
        while let Some(item) = events.next().await {
            let sse = black_box(item.expect("the workloads are valid SSE"));
            // It also yields blocks without data (metadata only); a browser would not.
            if let Some(data) = &sse.data {
                tally.event(data.len());
            }
        }
        tally
    })
}

/// Parses owned reads in order, as `SseByteStream` is used over an HTTP client's body stream,
/// and counts the events.
pub fn parse_reads(reads: impl Iterator<Item = Bytes>) -> Tally {
    let mut events = SseByteStream::new(futures_util::stream::iter(reads.map(Ok::<_, Infallible>)));
    futures_executor::block_on(async {
        let mut tally = Tally::default();
        while let Some(item) = events.next().await {
            let sse = black_box(item.expect("the workloads are valid SSE"));
            if let Some(data) = &sse.data {
                tally.event(data.len());
            }
        }
        tally
    })
}
