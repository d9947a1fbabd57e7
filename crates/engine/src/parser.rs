//! The SSE stream parser: bytes of any split in, frames out. Pure: no I/O, no clock, no async.
//!
//! It follows the WHATWG "event stream interpretation" rules. Lines are cut with `memchr`, and
//! values are handed out as slices of the buffers that were pushed in, so a data line of 64 KiB
//! is never copied on its way to the caller.

use crate::line_ends::LineEnds;
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

/// Where a line's bytes live, and whether they are already known to be valid UTF-8.
#[derive(Clone, Copy)]
struct Src<'a> {
    /// The buffer the line lies in, when values can share it.
    owner: Option<&'a Bytes>,
    /// The whole read was validated up to past this line's end.
    utf8: bool,
}

impl Src<'_> {
    #[inline]
    fn text(self, slice: &[u8]) -> SharedStr {
        match self.owner {
            // SAFETY: `utf8` is only set for lines inside the validated prefix of the read.
            Some(o) if self.utf8 => unsafe { SharedStr::from_utf8_unchecked_in(o, slice) },
            Some(o) => SharedStr::decode_in(o, slice),
            None => SharedStr::decode_slice(slice),
        }
    }
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

/// Partial lines up to this size are copied into a reused buffer; longer ones are kept as
/// slices of their reads and joined once, into an exact-size buffer, when the line ends.
const SMALL_LINE: usize = 512;

/// Reads shorter than this skip the up-front UTF-8 pass (its setup outweighs the gain).
const TRUST_MIN_READ: usize = 64;

/// The start of a line whose end has not arrived yet.
#[derive(Default)]
struct Partial {
    /// Small beginnings, copied (cheaper than reference-counting many tiny reads).
    small: Vec<u8>,
    /// Large beginnings, shared with their reads; `small` is empty while these are in use.
    pieces: Vec<Bytes>,
    len: usize,
}

impl Partial {
    fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn push(&mut self, owner: &Bytes, piece: &[u8]) {
        if piece.is_empty() {
            return;
        }
        self.len += piece.len();
        if self.pieces.is_empty() && self.len <= SMALL_LINE {
            self.small.extend_from_slice(piece);
            return;
        }
        if !self.small.is_empty() {
            self.pieces.push(Bytes::copy_from_slice(&self.small));
            self.small.clear();
        }
        self.pieces.push(owner.slice_ref(piece));
    }

    fn clear(&mut self) {
        self.small.clear();
        self.pieces.clear();
        self.len = 0;
    }
}

/// An incremental SSE parser for one connection.
pub struct Parser {
    /// The start of a line whose end has not arrived yet.
    partial: Partial,
    /// How many bytes of a leading BOM have been seen; `None` once the check is over.
    bom_seen: Option<usize>,
    /// The previous read ended in CR: an LF at the start of the next read belongs to it.
    skip_lf: bool,
    data: DataBuf,
    /// The block set a non-empty `event`; its value is `type_cache`.
    has_type: bool,
    /// The "last event ID buffer" of the spec.
    id_buffer: SharedStr,
    /// The "last event ID string": what `Last-Event-ID` sends on reconnect.
    last_event_id: SharedStr,
    /// The current block set the id buffer.
    block_has_id: bool,
    /// The latest event type seen, reused while the stream repeats it (it usually does).
    type_cache: SharedStr,
    /// Size of the last multi-line data, to allocate the next one in one go.
    joined_hint: usize,
    /// Every data line of the event in progress came from validated UTF-8.
    data_utf8: bool,
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
            partial: Partial::default(),
            bom_seen: Some(0),
            skip_lf: false,
            data: DataBuf::None,
            has_type: false,
            id_buffer: SharedStr::empty(),
            last_event_id: SharedStr::empty(),
            block_has_id: false,
            type_cache: MESSAGE,
            joined_hint: 0,
            data_utf8: true,
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
                self.partial.push(&Bytes::from_static(BOM), &BOM[..seen]);
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
        // One SIMD pass over the read, so values inside it need no validation of their own
        // (a character split across reads only stops this short of the end).
        // Tiny reads are all straddling lines, which are validated when joined anyway.
        let valid_to = if buf.len() - pos < TRUST_MIN_READ {
            pos
        } else {
            match simdutf8::compat::from_utf8(&buf[pos..]) {
                Ok(_) => buf.len(),
                Err(e) => pos + e.valid_up_to(),
            }
        };
        if !self.partial.is_empty() {
            match find_line_end(&buf[pos..]) {
                None => return self.hold_partial(chunk, &buf[pos..]),
                Some(off) => {
                    let end = pos + off;
                    self.check_size(self.partial.len + off)?;
                    self.finish_partial(&buf[pos..end], emit)?;
                    pos = self.after_line_end(buf, end);
                }
            }
        }
        let mut ends = LineEnds::new(buf, pos);
        while pos < buf.len() {
            match ends.next_from(pos) {
                None => return self.hold_partial(chunk, &buf[pos..]),
                Some(end) => {
                    let src = Src {
                        owner: Some(chunk),
                        utf8: end <= valid_to,
                    };
                    self.line(&buf[pos..end], src, emit)?;
                    pos = self.after_line_end(buf, end);
                }
            }
        }
        Ok(())
    }

    /// Completes the held line with `last` and interprets it.
    fn finish_partial<F: FnMut(Frame)>(
        &mut self,
        last: &[u8],
        emit: &mut F,
    ) -> Result<(), ParseError> {
        let total = self.partial.len + last.len();
        let result = if self.partial.pieces.is_empty() && total <= SMALL_LINE {
            let mut line = std::mem::take(&mut self.partial.small);
            line.extend_from_slice(last);
            let src = Src {
                owner: None,
                utf8: false,
            };
            let r = self.line(&line, src, emit);
            // Hand the allocation back so the next straddling line reuses it.
            line.clear();
            self.partial.small = line;
            r
        } else {
            // One exact-size copy, so a large event costs its own size and no more.
            let mut joined = Vec::with_capacity(total);
            joined.extend_from_slice(&self.partial.small);
            for piece in &self.partial.pieces {
                joined.extend_from_slice(piece);
            }
            joined.extend_from_slice(last);
            let joined = Bytes::from(joined);
            let src = Src {
                owner: Some(&joined),
                utf8: false,
            };
            self.line(&joined, src, emit)
        };
        self.partial.clear();
        result
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

    fn hold_partial(&mut self, chunk: &Bytes, rest: &[u8]) -> Result<(), ParseError> {
        self.check_size(self.partial.len + rest.len())?;
        self.partial.push(chunk, rest);
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

    /// Interprets one line; `src` says where it lies and whether it is known valid.
    #[inline]
    fn line<F: FnMut(Frame)>(
        &mut self,
        line: &[u8],
        src: Src<'_>,
        emit: &mut F,
    ) -> Result<(), ParseError> {
        if line.is_empty() {
            self.dispatch(emit);
            return Ok(());
        }
        if line[0] == b':' {
            let text = strip_one_space(&line[1..]);
            emit(Frame::Comment(src.text(text)));
            return Ok(());
        }
        self.check_size(line.len())?;
        self.event_bytes += line.len() + 1;
        match field(line) {
            Field::Data(value) => self.push_data(value, src),
            Field::Event(value) => {
                self.has_type = !value.is_empty();
                if self.has_type && value != self.type_cache.as_bytes() {
                    self.type_cache = src.text(value);
                }
            }
            Field::Id(value) if value.iter().all(|&b| b != 0) => {
                self.id_buffer = src.text(value);
                self.block_has_id = true;
            }
            Field::Retry(value) if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
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
    fn push_data(&mut self, value: &[u8], src: Src<'_>) {
        self.data_utf8 &= src.utf8;
        self.data = match std::mem::replace(&mut self.data, DataBuf::None) {
            DataBuf::None => DataBuf::One(match src.owner {
                Some(o) if !value.is_empty() => o.slice_ref(value),
                _ => Bytes::copy_from_slice(value),
            }),
            DataBuf::One(first) => {
                let needed = first.len() + 1 + value.len();
                let mut joined = BytesMut::with_capacity(needed.max(self.joined_hint));
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
                self.has_type = false;
                return;
            }
            DataBuf::One(b) => self.data_text(b),
            DataBuf::Many(m) => {
                self.joined_hint = m.len().min(self.max_event_size);
                self.data_text(m.freeze())
            }
        };
        let event = if std::mem::take(&mut self.has_type) {
            self.type_cache.clone()
        } else {
            MESSAGE
        };
        emit(Frame::Event(Event {
            event,
            data,
            id: self.last_event_id.clone(),
            has_id,
        }));
    }

    #[inline]
    fn data_text(&mut self, bytes: Bytes) -> SharedStr {
        let trusted = std::mem::replace(&mut self.data_utf8, true);
        if trusted {
            // SAFETY: every line joined into `bytes` lay in a validated part of its read, and
            // joining with LF keeps UTF-8 valid.
            unsafe { SharedStr::from_utf8_unchecked(bytes) }
        } else {
            SharedStr::decode(bytes)
        }
    }

    fn reset_event(&mut self) {
        self.data_utf8 = true;
        self.block_has_id = false;
        self.data = DataBuf::None;
        self.has_type = false;
        self.event_bytes = 0;
    }
}

/// A field line, split without searching for the colon: the four names we know are matched
/// as prefixes, and every other name is ignored anyway.
enum Field<'a> {
    Data(&'a [u8]),
    Event(&'a [u8]),
    Id(&'a [u8]),
    Retry(&'a [u8]),
    Other,
}

#[inline]
fn field(line: &[u8]) -> Field<'_> {
    #[derive(Clone, Copy)]
    enum Name {
        Data,
        Event,
        Id,
        Retry,
    }
    let (name_len, name) = match line[0] {
        b'd' if line.starts_with(b"data") => (4, Name::Data),
        b'i' if line.starts_with(b"id") => (2, Name::Id),
        b'e' if line.starts_with(b"event") => (5, Name::Event),
        b'r' if line.starts_with(b"retry") => (5, Name::Retry),
        _ => return Field::Other,
    };
    let value = match line.get(name_len) {
        // A colon-less line is the field name with an empty value.
        None => &line[name_len..],
        Some(b':') => strip_one_space(&line[name_len + 1..]),
        // A longer name that merely starts like ours ("datum:") is unknown.
        Some(_) => return Field::Other,
    };
    match name {
        Name::Data => Field::Data(value),
        Name::Event => Field::Event(value),
        Name::Id => Field::Id(value),
        Name::Retry => Field::Retry(value),
    }
}

/// Where the line starting at `h[0]` ends (CR or LF). Most SSE lines are short, so the first
/// bytes are checked directly before paying for the SIMD search's setup.
#[inline]
fn find_line_end(h: &[u8]) -> Option<usize> {
    const DIRECT: usize = 16;
    let head = h.len().min(DIRECT);
    for (i, &b) in h[..head].iter().enumerate() {
        if b == b'\n' || b == b'\r' {
            return Some(i);
        }
    }
    if h.len() > DIRECT {
        memchr::memchr2(b'\n', b'\r', &h[DIRECT..]).map(|i| i + DIRECT)
    } else {
        None
    }
}

#[inline]
fn strip_one_space(v: &[u8]) -> &[u8] {
    match v.first() {
        Some(b' ') => &v[1..],
        _ => v,
    }
}
