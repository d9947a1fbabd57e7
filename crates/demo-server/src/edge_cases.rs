//! `/edge-cases`: a short stream that walks through the WHATWG event-stream parsing rules, one
//! small write at a time, and the result a conforming parser must produce from it.

use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;
use serde::{Deserialize, Serialize};

/// One event a conforming parser dispatches from `/edge-cases`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectedEvent {
    /// The event type (`message` when the stream sets none).
    pub event: String,
    /// The data, with the final line feed removed.
    pub data: String,
    /// The last event ID at dispatch time (empty when none is set).
    pub id: String,
}

/// The writes of `/edge-cases`, in order; each one is sent separately so splits are real.
///
/// Along the way the reconnection time is set to 3000 ms (`retry: 12x` is ignored), and the
/// last write is an event without its blank line, which must be discarded at the end of the body.
pub fn edge_case_chunks() -> &'static [&'static [u8]] {
    const CHUNKS: &[&[u8]] = &[
        // A BOM split across writes, then a comment.
        b"\xEF\xBB",
        b"\xBF: a comment right after the BOM\n",
        b"data: first\n\n",
        // No space after the colon, CRLF line ends.
        b"data:no space\r\n\r\n",
        // Two spaces: only one is removed. The CRLF is split across writes.
        b"data:  two spaces\r",
        b"\n\r\n",
        // CR-only line ends, then all three kinds in one event.
        b"data: cr only\r\r",
        b"data: a\r\ndata: b\ndata: c\r\r",
        b"id: 1\nevent: custom\ndata: with id and type\n\n",
        b"data: value: with a colon\n\n",
        // A colon-less `data` line appends an empty line.
        b"data\n\n",
        b"data:\ndata:\n\n",
        b": a comment between events\n",
        b"data: x\n: a comment inside an event\ndata: y\n\n",
        b"foo: an unknown field\ndata: after an unknown field\n\n",
        // Field names are case-sensitive.
        b"Event: wrong case\nDATA: wrong case\ndata: wrong-case fields are ignored\n\n",
        // An id containing NUL is ignored: the last id stays 1.
        b"id: 2\0bad\ndata: id with NUL ignored\n\n",
        b"id: 3\ndata: id three\n\n",
        // An empty id resets the last id, with or without a colon.
        b"id:\ndata: empty id resets\n\n",
        b"id: 4\n",
        b"id\ndata: colon-less id resets too\n\n",
        b"retry: 12x\nretry: 3000\ndata: after retry fields\n\n",
        b"data: line one\ndata: line two\ndata: line three\n\n",
        b"event:\ndata: empty event type\n\n",
        // No data: nothing is dispatched, and the event type does not carry over.
        b"event: no-data\n\n",
        b"data: type was reset\n\n",
        // "caf\u{e9} \u{20ac}" with both characters split across writes.
        b"data: caf\xC3",
        b"\xA9 \xE2\x82",
        b"\xAC\n\n",
        // An invalid byte decodes to U+FFFD.
        b"data: bad \xFF byte\n\n",
        b"id: 5\ndata: last complete event\n\n",
        b"event: lost\ndata: never dispatched\ndata: no blank line",
    ];
    CHUNKS
}

/// What a conforming parser dispatches from [`edge_case_chunks`].
pub fn edge_case_expected() -> Vec<ExpectedEvent> {
    const EXPECTED: &[(&str, &str, &str)] = &[
        ("message", "first", ""),
        ("message", "no space", ""),
        ("message", " two spaces", ""),
        ("message", "cr only", ""),
        ("message", "a\nb\nc", ""),
        ("custom", "with id and type", "1"),
        ("message", "value: with a colon", "1"),
        ("message", "", "1"),
        ("message", "\n", "1"),
        ("message", "x\ny", "1"),
        ("message", "after an unknown field", "1"),
        ("message", "wrong-case fields are ignored", "1"),
        ("message", "id with NUL ignored", "1"),
        ("message", "id three", "3"),
        ("message", "empty id resets", ""),
        ("message", "colon-less id resets too", ""),
        ("message", "after retry fields", ""),
        ("message", "line one\nline two\nline three", ""),
        ("message", "empty event type", ""),
        ("message", "type was reset", ""),
        ("message", "caf\u{e9} \u{20ac}", ""),
        ("message", "bad \u{fffd} byte", ""),
        ("message", "last complete event", "5"),
    ];
    EXPECTED
        .iter()
        .map(|&(event, data, id)| ExpectedEvent {
            event: event.to_owned(),
            data: data.to_owned(),
            id: id.to_owned(),
        })
        .collect()
}

/// The `/edge-cases` body: each chunk in its own write, `gap` apart.
pub(crate) fn edge_case_stream(
    gap: Duration,
) -> impl Stream<Item = Result<Bytes, std::convert::Infallible>> + Send + 'static {
    futures_util::stream::unfold(0usize, move |index| async move {
        let chunk = *edge_case_chunks().get(index)?;
        if index > 0 {
            crate::faults::pause(gap).await;
        }
        Some((Ok(Bytes::from_static(chunk)), index + 1))
    })
}
