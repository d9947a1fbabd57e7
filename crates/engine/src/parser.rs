//! The SSE stream parser: bytes of any split in, frames out. Pure: no I/O, no clock, no async.
//!
//! It follows the WHATWG "event stream interpretation" rules. Lines are cut with `memchr`, and
//! values are handed out as slices of the buffers that were pushed in, so a data line of 64 KiB
//! is never copied on its way to the caller.

use crate::shared_str::SharedStr;
use bytes::{Bytes, BytesMut};

/// Default cap on one event's size: 16 MiB.
pub const DEFAULT_MAX_EVENT_SIZE: usize = 16 * 1024 * 1024;

const BOM: &[u8; 3] = b"\xEF\xBB\xBF";
const MESSAGE: SharedStr = SharedStr::from_static("message");

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The event type; `message` when the stream gave none.
    pub event: SharedStr,
    /// The data, lines joined with LF.
    pub data: SharedStr,
    /// The last event id in force when this event was dispatched ("" when none).
    pub id: SharedStr,
    /// Whether this event's own block carried a (valid) `id` field, rather than inheriting one.
    pub has_id: bool,
}

/// What the parser hands out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A complete event.
    Event(Event),
    /// A comment line (`:` first); one leading space is stripped.
    Comment(SharedStr),
    /// A valid `retry:` field, in milliseconds, to apply at once.
    Retry(u64),
}

/// The stream broke a rule the parser enforces to protect memory.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// One event (or one line) grew past the configured cap.
    #[error("an event grew past the {limit}-byte limit")]
    EventTooLarge {
        /// The cap in bytes.
        limit: usize,
    },
}

/// Data lines of the event in progress.
enum DataBuf {
    /// No `data` field yet: a blank line dispatches nothing.
    None,
    /// Exactly one data line, still a slice of its input buffer.
    One(Bytes),
    /// Several data lines joined with LF.
    Many(BytesMut),
}

/// An incremental SSE parser for one connection.
pub struct Parser {
    /// The start of a line whose end has not arrived yet.
    partial: BytesMut,
    /// How many bytes of a leading BOM have been seen; `None` once the check is over.
    bom_seen: Option<usize>,
    /// The previous read ended in CR: an LF at the start of the next read belongs to it.
    skip_lf: bool,
    data: DataBuf,
    event_type: Option<SharedStr>,
    /// The "last event ID buffer" of the spec.
    id_buffer: SharedStr,
    /// The "last event ID string": what `Last-Event-ID` sends on reconnect.
    last_event_id: SharedStr,
    /// The current block set the id buffer.
    block_has_id: bool,
    /// Bytes of field lines since the last dispatch.
    event_bytes: usize,
    max_event_size: usize,
}

impl Default for Parser {
    fn default() -> Self {
        Self::new()
    }
}

impl Parser {
    /// A parser with the default event size cap.
    pub fn new() -> Self {
        Self::with_max_event_size(DEFAULT_MAX_EVENT_SIZE)
    }

    /// A parser whose events (and lines) may not exceed `max_event_size` bytes.
    pub fn with_max_event_size(max_event_size: usize) -> Self {
        Parser {
            partial: BytesMut::new(),
            bom_seen: Some(0),
            skip_lf: false,
            data: DataBuf::None,
            event_type: None,
            id_buffer: SharedStr::empty(),
            last_event_id: SharedStr::empty(),
            block_has_id: false,
            event_bytes: 0,
            max_event_size,
        }
    }

    /// Starts from a known last event id, as after a reconnect or a restart.
    pub fn with_last_event_id(mut self, id: SharedStr) -> Self {
        self.id_buffer = id.clone();
        self.last_event_id = id;
        self
    }

    /// The last event id string: set when an event block ends, kept across events.
    pub fn last_event_id(&self) -> &SharedStr {
        &self.last_event_id
    }

    /// Feeds one read's bytes, calling `emit` for each frame they complete.
    ///
    /// On error the event in progress is dropped; the caller should reconnect.
    pub fn feed<F: FnMut(Frame)>(&mut self, chunk: Bytes, mut emit: F) -> Result<(), ParseError> {
        let mut start = 0;
        if let Some(seen) = self.bom_seen {
            start = match self.strip_bom(&chunk, seen) {
                Some(s) => s,
                None => return Ok(()),
            };
        }
        if self.skip_lf && start < chunk.len() {
            self.skip_lf = false;
            if chunk[start] == b'\n' {
                start += 1;
            }
        }
        let result = self.feed_lines(&chunk, start, &mut emit);
        if result.is_err() {
            self.reset_event();
            self.partial.clear();
        }
        result
    }

    /// Convenience for callers holding a borrowed slice; copies it once.
    pub fn feed_slice<F: FnMut(Frame)>(&mut self, chunk: &[u8], emit: F) -> Result<(), ParseError> {
        self.feed(Bytes::copy_from_slice(chunk), emit)
    }

    /// Returns where parsing starts in `chunk`, or `None` when the chunk was all BOM prefix.
    fn strip_bom(&mut self, chunk: &[u8], mut seen: usize) -> Option<usize> {
        let mut i = 0;
        while seen < BOM.len() && i < chunk.len() {
            if chunk[i] != BOM[seen] {
                // Not a BOM after all: the bytes held back are ordinary input.
                self.partial.extend_from_slice(&BOM[..seen]);
                self.bom_seen = None;
                return Some(i);
            }
            seen += 1;
            i += 1;
        }
        if seen == BOM.len() {
            self.bom_seen = None;
            Some(i)
        } else {
            self.bom_seen = Some(seen);
            None
        }
    }

    fn feed_lines<F: FnMut(Frame)>(
        &mut self,
        chunk: &Bytes,
        mut pos: usize,
        emit: &mut F,
    ) -> Result<(), ParseError> {
        let buf: &[u8] = chunk;
        if !self.partial.is_empty() {
            match memchr::memchr2(b'\n', b'\r', &buf[pos..]) {
                None => return self.hold_partial(&buf[pos..]),
                Some(off) => {
                    let end = pos + off;
                    self.check_size(self.partial.len() + off)?;
                    self.partial.extend_from_slice(&buf[pos..end]);
                    let line = std::mem::take(&mut self.partial);
                    self.line(&line, None, emit)?;
                    // Hand the allocation back so the next straddling line reuses it.
                    self.partial = line;
                    self.partial.clear();
                    pos = self.after_line_end(buf, end);
                }
            }
        }
        while pos < buf.len() {
            match memchr::memchr2(b'\n', b'\r', &buf[pos..]) {
                None => return self.hold_partial(&buf[pos..]),
                Some(off) => {
                    let end = pos + off;
                    self.line(&buf[pos..end], Some(chunk), emit)?;
                    pos = self.after_line_end(buf, end);
                }
            }
        }
        Ok(())
    }

    /// Skips the terminator at `end`, treating CRLF as one, even across reads.
    #[inline]
    fn after_line_end(&mut self, buf: &[u8], end: usize) -> usize {
        let next = end + 1;
        if buf[end] == b'\r' {
            if next < buf.len() {
                if buf[next] == b'\n' {
                    return next + 1;
                }
            } else {
                self.skip_lf = true;
            }
        }
        next
    }

    fn hold_partial(&mut self, rest: &[u8]) -> Result<(), ParseError> {
        self.check_size(self.partial.len() + rest.len())?;
        self.partial.extend_from_slice(rest);
        Ok(())
    }

    #[inline]
    fn check_size(&self, line_len: usize) -> Result<(), ParseError> {
        if self.event_bytes + line_len > self.max_event_size {
            Err(ParseError::EventTooLarge {
                limit: self.max_event_size,
            })
        } else {
            Ok(())
        }
    }

    /// Interprets one line. `owner` is the buffer `line` lies in when it can be shared.
    #[inline]
    fn line<F: FnMut(Frame)>(
        &mut self,
        line: &[u8],
        owner: Option<&Bytes>,
        emit: &mut F,
    ) -> Result<(), ParseError> {
        if line.is_empty() {
            self.dispatch(emit);
            return Ok(());
        }
        if line[0] == b':' {
            let text = strip_one_space(&line[1..]);
            emit(Frame::Comment(decode(owner, text)));
            return Ok(());
        }
        self.check_size(line.len())?;
        self.event_bytes += line.len() + 1;
        let (name, value) = match memchr::memchr(b':', line) {
            Some(c) => (&line[..c], strip_one_space(&line[c + 1..])),
            None => (line, &line[line.len()..]),
        };
        match name {
            b"data" => self.push_data(value, owner),
            b"event" => self.event_type = Some(decode(owner, value)),
            b"id" if memchr::memchr(0, value).is_none() => {
                self.id_buffer = decode(owner, value);
                self.block_has_id = true;
            }
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                let ms = value.iter().fold(0u64, |acc, d| {
                    acc.saturating_mul(10).saturating_add(u64::from(d - b'0'))
                });
                emit(Frame::Retry(ms));
            }
            _ => {}
        }
        Ok(())
    }

    #[inline]
    fn push_data(&mut self, value: &[u8], owner: Option<&Bytes>) {
        self.data = match std::mem::replace(&mut self.data, DataBuf::None) {
            DataBuf::None => DataBuf::One(match owner {
                Some(o) if !value.is_empty() => o.slice_ref(value),
                _ => Bytes::copy_from_slice(value),
            }),
            DataBuf::One(first) => {
                let mut joined = BytesMut::with_capacity(first.len() + 1 + value.len());
                joined.extend_from_slice(&first);
                joined.extend_from_slice(b"\n");
                joined.extend_from_slice(value);
                DataBuf::Many(joined)
            }
            DataBuf::Many(mut joined) => {
                joined.extend_from_slice(b"\n");
                joined.extend_from_slice(value);
                DataBuf::Many(joined)
            }
        };
    }

    fn dispatch<F: FnMut(Frame)>(&mut self, emit: &mut F) {
        self.last_event_id = self.id_buffer.clone();
        self.event_bytes = 0;
        let has_id = std::mem::take(&mut self.block_has_id);
        let data = match std::mem::replace(&mut self.data, DataBuf::None) {
            DataBuf::None => {
                self.event_type = None;
                return;
            }
            DataBuf::One(b) => SharedStr::decode(b),
            DataBuf::Many(m) => SharedStr::decode(m.freeze()),
        };
        let event = match self.event_type.take() {
            Some(t) if !t.is_empty() => t,
            _ => MESSAGE,
        };
        emit(Frame::Event(Event {
            event,
            data,
            id: self.last_event_id.clone(),
            has_id,
        }));
    }

    fn reset_event(&mut self) {
        self.block_has_id = false;
        self.data = DataBuf::None;
        self.event_type = None;
        self.event_bytes = 0;
    }
}

#[inline]
fn strip_one_space(v: &[u8]) -> &[u8] {
    match v.first() {
        Some(b' ') => &v[1..],
        _ => v,
    }
}

#[inline]
fn decode(owner: Option<&Bytes>, slice: &[u8]) -> SharedStr {
    match owner {
        Some(o) => SharedStr::decode_in(o, slice),
        None => SharedStr::decode_slice(slice),
    }
}
