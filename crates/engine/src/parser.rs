//! The SSE stream parser: bytes of any split in, frames out. Pure: no I/O, no clock, no async.
//!
//! It follows the WHATWG "event stream interpretation" rules. Lines are cut with `memchr`, and
//! values are handed out as slices of the buffers that were pushed in, so a data line of 64 KiB
//! is never copied on its way to the caller.
//!
//! Two ways to be handed frames: [`Parser::feed`] gives owned [`Frame`]s (what a consumer that
//! keeps events needs), and [`Parser::feed_ref`] lends [`FrameRef`]s that point into the read
//! and the parser's own buffers, for a consumer that only looks at each event (filters,
//! counters): it costs no reference-count update and no allocation per event, and
//! [`FrameRef::into_owned`] still keeps the ones it wants.

use crate::line_ends::{line_end, scan, LineEnd, Scan};
use crate::read_block::ReadLender;
use crate::shared_str::SharedStr;
use bytes::{Buf, Bytes};
use std::fmt;
use std::ops::{Deref, Range};

/// Default cap on one event's size: 16 MiB.
pub const DEFAULT_MAX_EVENT_SIZE: usize = 16 * 1024 * 1024;

const BOM: &[u8; 3] = b"\xEF\xBB\xBF";
/// A `static` rather than a `const`, so a borrowed event can point at it; inline, so the
/// clone every owned event takes is a copy.
static MESSAGE: SharedStr = SharedStr::inline_static("message");

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
    /// An `id` or `event` value longer than [`MAX_FIELD_BYTES`]: both are kept from one event
    /// to the next, so they need a bound of their own.
    #[error("an event's {field} field is longer than the {limit}-byte limit")]
    FieldTooLong {
        /// `id` or `event`.
        field: &'static str,
        /// The limit in bytes.
        limit: usize,
    },
}

/// Longest `id` or `event` value accepted, in bytes as received: the parser keeps the last of
/// each across events, so they are bounded apart from the event cap. An id longer than this
/// could not be sent back as `Last-Event-ID` by most servers' header limits anyway.
pub const MAX_FIELD_BYTES: usize = 4096;

/// Text lent by [`Parser::feed_ref`]: valid UTF-8 (invalid bytes already replaced) that lies in
/// the read, in a buffer the parser reuses, or that the parser already made owned.
pub struct TextRef<'a>(TextSrc<'a>);

enum TextSrc<'a> {
    /// A slice of `owner`, so keeping it shares `owner` instead of copying.
    In { owner: &'a Bytes, text: &'a str },
    /// A slice of a buffer the parser reuses: keeping it copies.
    Scratch(&'a str),
    /// Already owned (joined lines, repaired UTF-8).
    Owned(SharedStr),
}

impl<'a> TextRef<'a> {
    /// The text.
    #[inline]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            TextSrc::In { text, .. } | TextSrc::Scratch(text) => text,
            TextSrc::Owned(s) => s.as_str(),
        }
    }

    /// The text as an owned string, sharing the read's bytes where it can.
    #[inline(always)]
    pub fn into_shared(self) -> SharedStr {
        match self.0 {
            TextSrc::In { owner, text } => SharedStr::share_in(owner, text),
            TextSrc::Scratch(text) => SharedStr::from(text),
            TextSrc::Owned(s) => s,
        }
    }

    /// As [`TextRef::into_shared`], taking text inside the lender's read from its block.
    #[inline(always)]
    fn into_shared_lent(self, lender: &ReadLender<'_>) -> SharedStr {
        match self.0 {
            TextSrc::In { owner, text } => SharedStr::share_lent(lender, owner, text),
            TextSrc::Scratch(text) => SharedStr::from(text),
            TextSrc::Owned(s) => s,
        }
    }
}

impl Deref for TextRef<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for TextRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// A dispatched event lent by [`Parser::feed_ref`]; [`EventRef::into_owned`] keeps it.
#[derive(Debug)]
pub struct EventRef<'a> {
    event: &'a SharedStr,
    data: TextRef<'a>,
    id: &'a SharedStr,
    has_id: bool,
}

impl<'a> EventRef<'a> {
    /// The event type; `message` when the stream gave none.
    #[inline]
    pub fn event(&self) -> &str {
        self.event.as_str()
    }

    /// The data, lines joined with LF.
    #[inline]
    pub fn data(&self) -> &str {
        self.data.as_str()
    }

    /// The last event id in force when this event was dispatched ("" when none).
    #[inline]
    pub fn id(&self) -> &str {
        self.id.as_str()
    }

    /// Whether this event's own block carried a (valid) `id` field.
    #[inline]
    pub fn has_id(&self) -> bool {
        self.has_id
    }

    /// The owned event, sharing the read's bytes where it can.
    #[inline]
    pub fn into_owned(self) -> Event {
        Event {
            event: self.event.clone(),
            data: self.data.into_shared(),
            id: self.id.clone(),
            has_id: self.has_id,
        }
    }

    /// As [`EventRef::into_owned`], with the data taken from the lender's read.
    #[inline(always)]
    fn into_owned_lent(self, lender: &ReadLender<'_>) -> Event {
        Event {
            event: self.event.clone(),
            data: self.data.into_shared_lent(lender),
            id: self.id.clone(),
            has_id: self.has_id,
        }
    }
}

/// A frame lent by [`Parser::feed_ref`].
#[derive(Debug)]
pub enum FrameRef<'a> {
    /// A complete event.
    Event(EventRef<'a>),
    /// A comment line (`:` first); one leading space is stripped.
    Comment(TextRef<'a>),
    /// A valid `retry:` field, in milliseconds, to apply at once.
    Retry(u64),
}

impl FrameRef<'_> {
    /// The owned frame.
    #[inline]
    pub fn into_owned(self) -> Frame {
        match self {
            FrameRef::Event(e) => Frame::Event(e.into_owned()),
            FrameRef::Comment(c) => Frame::Comment(c.into_shared()),
            FrameRef::Retry(ms) => Frame::Retry(ms),
        }
    }

    /// As [`FrameRef::into_owned`], with text taken from the lender's read.
    #[inline(always)]
    fn into_owned_lent(self, lender: &ReadLender<'_>) -> Frame {
        match self {
            FrameRef::Event(e) => Frame::Event(e.into_owned_lent(lender)),
            FrameRef::Comment(c) => Frame::Comment(c.into_shared_lent(lender)),
            FrameRef::Retry(ms) => Frame::Retry(ms),
        }
    }
}

/// The value of a read that is one data-line event: `start..end` of the read.
struct WholeRead {
    start: usize,
    end: usize,
    /// Known ASCII (else it is validated).
    utf8: bool,
}

/// Where a line's bytes live, and whether they are already known to be valid UTF-8.
#[derive(Clone, Copy)]
struct Src<'a> {
    /// The buffer the line lies in, when values can share it; `None` for the parser's own
    /// reused buffer.
    owner: Option<&'a Bytes>,
    /// The whole read was validated up to past this line's end.
    utf8: bool,
    /// `owner` is the read being fed, so a value can be remembered as a range of it.
    in_read: bool,
}

/// A line copied into the parser's own buffer.
const SCRATCH: Src<'static> = Src {
    owner: None,
    utf8: false,
    in_read: false,
};

/// Lends `slice` (inside `owner` when given) as text, validating it unless `utf8` says it was.
#[inline(always)]
fn text_ref<'a>(owner: Option<&'a Bytes>, slice: &'a [u8], utf8: bool) -> TextRef<'a> {
    let text = if utf8 {
        // SAFETY: callers pass `utf8` only for slices that lie inside the validated prefix of
        // their read and start and end on ASCII bytes (field syntax, line ends), so on
        // character boundaries.
        unsafe { std::str::from_utf8_unchecked(slice) }
    } else {
        match valid_utf8(slice) {
            Some(text) => text,
            None => {
                let repaired = String::from_utf8_lossy(slice).into_owned();
                return TextRef(TextSrc::Owned(SharedStr::from(repaired)));
            }
        }
    };
    TextRef(match owner {
        Some(owner) => TextSrc::In { owner, text },
        None => TextSrc::Scratch(text),
    })
}

/// `b` as text when it is valid UTF-8. Short ASCII (ids, event types) is the common case, and
/// the SIMD validator's dispatch costs more than checking it directly.
#[inline]
fn valid_utf8(b: &[u8]) -> Option<&str> {
    if b.len() <= 32 {
        std::str::from_utf8(b).ok()
    } else {
        simdutf8::basic::from_utf8(b).ok()
    }
}

/// Data lines of the event in progress.
enum DataBuf {
    /// No `data` field yet: a blank line dispatches nothing.
    None,
    /// Exactly one data line, a range of the read being fed. Turned into `One` when the read
    /// ends with the event still open, so lending an event costs no reference count.
    InRead(Range<usize>),
    /// Exactly one data line, copied into `Fields::scratch` (it came from a short line that
    /// straddled reads, itself already a copy).
    Scratch,
    /// Exactly one data line, shared with its input buffer.
    One(Bytes),
    /// Several data lines joined with LF.
    Many(Vec<u8>),
}

/// Partial lines up to this size are copied into the parser's own inline buffer (cheaper than
/// reference-counting many tiny reads, and no heap); longer ones are kept as slices of their
/// reads and joined once, into an exact-size buffer, when the line ends. Typical SSE lines
/// (ids, types, JSON of a few hundred bytes) fit.
const SMALL_LINE: usize = 256;

/// A line's continuation in a read longer than this is searched with its text check.
const CHECKED_REST: usize = 1024;

/// Reads up to this size that only extend a held line take the fast path of `feed_ref`.
const TINY_READ: usize = 16;

/// Slices of reads a long partial line keeps without a heap list: a line longer than one read
/// but shorter than two (a large event in full-size reads) needs at most two.
const INLINE_PIECES: usize = 2;

/// Pieces at least this long are kept as slices of their reads (no copy until the line ends).
/// Shorter ones are copied: a line trickled in tiny reads must cost its own bytes, not a
/// handle, a list slot and a pinned read buffer per read (over 5 GiB for a 16 MiB line sent a
/// byte per write).
const SHARE_MIN: usize = 8 * 1024;

/// A line is kept as shared pieces only up to this size; past it, it is copied into one
/// growing buffer. The copy a line's end needs anyway is then made as the line grows, so a
/// line of the cap never has its pieces and its copy alive at once (twice the cap), and the
/// pieces' handles stay a constant.
const SHARED_MAX: usize = 256 * 1024;

/// What one shared piece is estimated to cost beyond its bytes: its handle, a list slot
/// (the list may be up to twice the size it needs), and the read's reference-count header.
const PIECE_OVERHEAD: usize = 2 * std::mem::size_of::<Bytes>() + 48;

/// The first allocation of the copy buffer, so a trickled line does not realloc per byte.
const MIN_TAIL: usize = 1024;

/// A copy buffer up to this size is kept for the next line; a larger one is freed.
const KEEP_TAIL: usize = 4096;

/// The pieces of a long line that straddles reads, shared with their reads.
#[derive(Default)]
struct Pieces {
    inline: [Bytes; INLINE_PIECES],
    count: usize,
    spill: Vec<Bytes>,
}

impl Pieces {
    fn is_empty(&self) -> bool {
        self.count == 0
    }

    fn push(&mut self, piece: Bytes) {
        match self.inline.get_mut(self.count) {
            Some(slot) => *slot = piece,
            None => self.spill.push(piece),
        }
        self.count += 1;
    }

    fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.inline[..self.count.min(INLINE_PIECES)]
            .iter()
            .chain(&self.spill)
            .map(|b| &b[..])
    }

    /// Heap held: the pieces' bytes, their estimated overhead, and the list.
    fn held_bytes(&self) -> usize {
        self.iter().map(<[u8]>::len).sum::<usize>()
            + self.count * PIECE_OVERHEAD
            + self.spill.capacity() * std::mem::size_of::<Bytes>()
    }

    #[inline]
    fn clear(&mut self) {
        if self.count != 0 {
            self.clear_slow();
        }
    }

    fn clear_slow(&mut self) {
        for slot in &mut self.inline[..self.count.min(INLINE_PIECES)] {
            *slot = Bytes::new();
        }
        self.spill.clear();
        // A long line in many reads leaves a long list; do not keep it for good.
        if self.spill.capacity() > 64 {
            self.spill = Vec::new();
        }
        self.count = 0;
    }
}

/// The start of a line whose end has not arrived yet. Three forms, in the order the line
/// grows: a copied head (short lines); the head then pieces shared with large reads (a large
/// event in large reads, no copy until the line ends); or one copy buffer holding the whole
/// line, once a read too small to share arrives after the head is full (a trickling server).
struct Partial {
    head: [u8; SMALL_LINE],
    head_len: usize,
    pieces: Pieces,
    /// When not empty, the whole line: the head and the pieces were folded into it.
    tail: Vec<u8>,
    /// Bytes held in all: `head_len` plus the pieces' lengths, or the tail's length.
    len: usize,
    /// Length of the last line that outgrew the head.
    hint: usize,
    /// Every byte held is known ASCII (from the line search), so a long line whose end is
    /// ASCII too needs no validation. `false` says nothing.
    ascii: bool,
}

impl Default for Partial {
    fn default() -> Self {
        Partial {
            head: [0; SMALL_LINE],
            head_len: 0,
            pieces: Pieces::default(),
            tail: Vec::new(),
            len: 0,
            hint: 0,
            ascii: true,
        }
    }
}

impl Partial {
    fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds `piece` (a slice of `owner`); `limit` is the most the line may hold, which the
    /// caller has checked `len + piece.len()` against. Only the copy into the head is inline:
    /// it is what a trickle of tiny reads into a short line does per read.
    #[inline(always)]
    fn push(&mut self, owner: &Bytes, piece: &[u8], limit: usize, ascii: bool) {
        self.ascii &= ascii;
        let end = self.head_len + piece.len();
        if end <= SMALL_LINE && self.pieces.is_empty() && self.tail.is_empty() {
            copy_short(&mut self.head[self.head_len..end], piece);
            self.head_len = end;
            self.len += piece.len();
        } else {
            self.push_long(owner, piece, limit);
        }
    }

    /// Adds a piece the head has no room for: shared when large, else copied.
    #[inline(never)]
    fn push_long(&mut self, owner: &Bytes, piece: &[u8], limit: usize) {
        if piece.is_empty() {
            return;
        }
        if self.tail.is_empty() && self.shares(piece) {
            self.pieces.push(owner.slice_ref(piece));
        } else {
            self.copy_in(piece, limit);
        }
        self.len += piece.len();
    }

    /// Whether `piece` is kept as a slice of its read rather than copied: it must be large and
    /// the line not too long yet.
    #[inline]
    fn shares(&self, piece: &[u8]) -> bool {
        piece.len() >= SHARE_MIN && self.len + piece.len() <= SHARED_MAX
    }

    /// Appends `piece` to the copy buffer, first folding the head and pieces into it. The
    /// buffer doubles, but never past `limit`, so it never holds more than the cap.
    fn copy_in(&mut self, piece: &[u8], limit: usize) {
        let folding = self.tail.is_empty();
        let needed = if folding { self.len } else { self.tail.len() } + piece.len();
        if needed > self.tail.capacity() {
            // A new buffer starts at the last long line's size, so a line of large events
            // usually needs no realloc, not even for its last read.
            let hint = if folding { self.hint } else { 0 };
            let target = (self.tail.capacity() * 2)
                .max(MIN_TAIL)
                .max(hint)
                .min(limit)
                .max(needed);
            self.tail.reserve_exact(target - self.tail.len());
        }
        if folding {
            self.tail.extend_from_slice(&self.head[..self.head_len]);
            for part in self.pieces.iter() {
                self.tail.extend_from_slice(part);
            }
            self.head_len = 0;
            self.pieces.clear();
        }
        self.tail.extend_from_slice(piece);
    }

    /// The held bytes, then `last`, in order.
    fn parts<'a>(&'a self, last: &'a [u8]) -> impl Iterator<Item = &'a [u8]> {
        std::iter::once(&self.head[..self.head_len])
            .chain(self.pieces.iter())
            .chain(std::iter::once(&self.tail[..]))
            .chain(std::iter::once(last))
    }

    /// Copies the first `out.len()` bytes of the line (held bytes, then `last`) into `out`;
    /// returns how many there were.
    fn prefix(&self, last: &[u8], out: &mut [u8]) -> usize {
        let mut n = 0;
        for part in self.parts(last) {
            let take = part.len().min(out.len() - n);
            out[n..n + take].copy_from_slice(&part[..take]);
            n += take;
            if n == out.len() {
                break;
            }
        }
        n
    }

    /// Appends the line (held bytes, then `last`) from byte `skip` on to `out`, releasing
    /// each shared piece once copied so the reads and the copy are not all alive at once.
    fn drain_into(&mut self, mut skip: usize, last: &[u8], out: &mut Vec<u8>) {
        let mut put = |part: &[u8]| {
            let s = skip.min(part.len());
            out.extend_from_slice(&part[s..]);
            skip -= s;
        };
        put(&self.head[..self.head_len]);
        let inline = self.pieces.count.min(INLINE_PIECES);
        for slot in &mut self.pieces.inline[..inline] {
            put(&std::mem::take(slot));
        }
        for piece in self.pieces.spill.drain(..) {
            put(&piece);
        }
        put(&self.tail);
        put(last);
    }

    /// Takes the copy buffer (the whole line) with `last` appended, trimmed to its length
    /// so a kept event does not carry spare capacity.
    fn take_tail(&mut self, last: &[u8]) -> Bytes {
        let mut line = std::mem::take(&mut self.tail);
        line.reserve_exact(last.len());
        line.extend_from_slice(last);
        line.shrink_to_fit();
        Bytes::from(line)
    }

    /// Heap held for the line, with the shared pieces' estimated overhead.
    fn held_bytes(&self) -> usize {
        self.pieces.held_bytes() + self.tail.capacity()
    }

    #[inline]
    fn clear(&mut self) {
        self.head_len = 0;
        self.pieces.clear();
        if self.tail.capacity() != 0 {
            self.clear_tail();
        }
        self.len = 0;
        self.ascii = true;
    }

    fn clear_tail(&mut self) {
        self.tail.clear();
        if self.tail.capacity() > KEEP_TAIL {
            self.tail = Vec::new();
        }
    }
}

/// `dst.copy_from_slice(src)` for the few bytes of a tiny read: up to 16 bytes are moved with
/// two overlapping fixed-size copies rather than a call to `memcpy`, whose entry cost was a
/// tenth of the time on 7-byte reads.
#[inline(always)]
fn copy_short(dst: &mut [u8], src: &[u8]) {
    let n = src.len();
    debug_assert_eq!(dst.len(), n);
    if n != dst.len() {
        return dst.copy_from_slice(src); // panics, as `copy_from_slice` would
    }
    if (8..=16).contains(&n) {
        dst[..8].copy_from_slice(&src[..8]);
        dst[n - 8..].copy_from_slice(&src[n - 8..]);
    } else if (4..8).contains(&n) {
        dst[..4].copy_from_slice(&src[..4]);
        dst[n - 4..].copy_from_slice(&src[n - 4..]);
    } else if n < 4 {
        for (d, s) in dst.iter_mut().zip(src) {
            *d = *s;
        }
    } else {
        dst.copy_from_slice(src);
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
    /// Apart from `partial`, so a line held there can be interpreted in place.
    fields: Fields,
}

/// The event in progress and the state that outlives events.
struct Fields {
    data: DataBuf,
    /// Holds the data of `DataBuf::Scratch`; reused, never longer than `SMALL_LINE`.
    scratch: Vec<u8>,
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
            fields: Fields {
                data: DataBuf::None,
                scratch: Vec::new(),
                has_type: false,
                id_buffer: SharedStr::empty(),
                last_event_id: SharedStr::empty(),
                block_has_id: false,
                type_cache: MESSAGE.clone(),
                joined_hint: 0,
                data_utf8: true,
                event_bytes: 0,
                max_event_size,
            },
        }
    }

    /// Starts from a known last event id, as after a reconnect or a restart.
    pub fn with_last_event_id(mut self, id: SharedStr) -> Self {
        self.fields.id_buffer = id.clone();
        self.fields.last_event_id = id;
        self
    }

    /// The last event id string: set when an event block ends, kept across events.
    pub fn last_event_id(&self) -> &SharedStr {
        &self.fields.last_event_id
    }

    /// Heap bytes the parser holds between reads: the held part of an unfinished line (with
    /// an estimate of the handles' overhead when it is kept as slices of reads), the event in
    /// progress, and the ids and type kept across events. Bounded by about the event cap
    /// plus a small constant, whatever the read sizes.
    pub fn held_bytes(&self) -> usize {
        self.partial.held_bytes() + self.fields.held_bytes()
    }

    /// Feeds one read's bytes, calling `emit` with each owned frame they complete.
    ///
    /// On error the event in progress is dropped; the caller should reconnect.
    pub fn feed<F: FnMut(Frame)>(&mut self, chunk: Bytes, mut emit: F) -> Result<(), ParseError> {
        // First, before the checks and the lender below: a trickle is mostly such reads.
        if self.only_extends_line(&chunk) {
            return self.hold_tiny(&chunk);
        }
        if let Some(data) = self.whole_read_data(&chunk) {
            // The read is one event and nothing else: its data is the read itself, trimmed,
            // rather than a second handle on it (two atomic count updates saved per event).
            let mut read = chunk;
            read.truncate(data.end);
            read.advance(data.start);
            let event = self.fields.dispatch_read(read, data.utf8);
            emit(Frame::Event(event));
            return Ok(());
        }
        // The many events a large read completes take their references from one block.
        let lender = ReadLender::new(&chunk);
        self.feed_ref(&chunk, |frame| emit(frame.into_owned_lent(&lender)))
    }

    /// When `chunk` is exactly one event of one LF-terminated data line (`data: …` LF LF) and
    /// nothing is in progress: where its value lies, and whether it is known ASCII. What an
    /// LLM server that flushes every token sends.
    #[inline]
    fn whole_read_data(&self, chunk: &[u8]) -> Option<WholeRead> {
        if !self.partial.is_empty()
            || self.bom_seen.is_some()
            || self.skip_lf
            || !matches!(self.fields.data, DataBuf::None)
            || !chunk.starts_with(b"data:")
            || !chunk.ends_with(b"\n\n")
        {
            return None;
        }
        let LineEnd { at, ascii } = line_end(chunk, 0)?;
        if at != chunk.len() - 2 || self.fields.check_size(at).is_err() {
            return None;
        }
        let start = 5 + usize::from(chunk.get(5) == Some(&b' '));
        Some(WholeRead {
            start: start.min(at),
            end: at,
            utf8: ascii,
        })
    }

    /// Feeds one read's bytes, lending `emit` each frame they complete. Values still share
    /// `chunk` when kept (with [`FrameRef::into_owned`]), so the caller need not clone it.
    ///
    /// On error the event in progress is dropped; the caller should reconnect.
    pub fn feed_ref<F: FnMut(FrameRef<'_>)>(
        &mut self,
        chunk: &Bytes,
        mut emit: F,
    ) -> Result<(), ParseError> {
        if self.only_extends_line(chunk) {
            return self.hold_tiny(chunk);
        }
        let mut start = 0;
        if let Some(seen) = self.bom_seen {
            start = match self.strip_bom(chunk, seen) {
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
        let result = self.feed_lines(chunk, start, &mut emit);
        match result {
            Ok(()) => self.fields.keep_data(chunk),
            Err(_) => {
                self.fields.reset_event();
                self.partial.clear();
            }
        }
        result
    }

    /// Whether `chunk` is a tiny read (a trickling server, a proxy flushing every write) that
    /// only extends a line that has not ended: most tiny reads are, and they skip the full
    /// machinery.
    #[inline(always)]
    fn only_extends_line(&self, chunk: &[u8]) -> bool {
        chunk.len() <= TINY_READ
            && !self.partial.is_empty()
            && self.bom_seen.is_none()
            && !self.skip_lf
            && !has_line_end_short(chunk)
    }

    /// Holds a read [`Parser::only_extends_line`] accepted.
    #[inline(always)]
    fn hold_tiny(&mut self, chunk: &Bytes) -> Result<(), ParseError> {
        let held = self.hold_partial(chunk, chunk, false);
        if held.is_err() {
            self.fields.reset_event();
            self.partial.clear();
        }
        held
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
                self.partial
                    .push(&Bytes::from_static(BOM), &BOM[..seen], BOM.len(), false);
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

    fn feed_lines<F: FnMut(FrameRef<'_>)>(
        &mut self,
        chunk: &Bytes,
        mut pos: usize,
        emit: &mut F,
    ) -> Result<(), ParseError> {
        let buf: &[u8] = chunk;
        if !self.partial.is_empty() {
            // A long read is searched with the line check too: the rest of a long line then
            // needs no validation of its own. A short one is not worth the setup.
            let found = if buf.len() - pos > CHECKED_REST {
                scan(buf, pos)
            } else {
                match find_line_end(&buf[pos..]) {
                    Some(off) => Scan::End(LineEnd {
                        at: pos + off,
                        ascii: false,
                    }),
                    None => Scan::Open { ascii: false },
                }
            };
            match found {
                Scan::Open { ascii } => return self.hold_partial(chunk, &buf[pos..], ascii),
                Scan::End(LineEnd { at: end, ascii }) => {
                    self.fields.check_size(self.partial.len + (end - pos))?;
                    self.finish_partial(chunk, &buf[pos..end], ascii, emit)?;
                    pos = self.after_line_end(buf, end);
                }
            }
        }
        while pos < buf.len() {
            // The search also checks the line's text, so values inside the read need no
            // validation of their own.
            let LineEnd { at: end, ascii } = match scan(buf, pos) {
                Scan::End(found) => found,
                Scan::Open { ascii } => return self.hold_partial(chunk, &buf[pos..], ascii),
            };
            let line = &buf[pos..end];
            // The shape of most events (every LLM token): one data line, then a blank line,
            // LF-terminated. It is dispatched at once, without the field dispatch and the
            // event-in-progress bookkeeping a line at a time needs.
            if buf.get(end..end + 2) == Some(b"\n\n")
                && line.starts_with(b"data:")
                && matches!(self.fields.data, DataBuf::None)
            {
                self.fields.check_size(line.len())?;
                let start = pos + 5 + usize::from(line.get(5) == Some(&b' '));
                self.fields.dispatch_one(chunk, start..end, ascii, emit);
                pos = end + 2;
                continue;
            }
            let src = Src {
                owner: Some(chunk),
                utf8: ascii,
                in_read: true,
            };
            self.fields.line(line, src, chunk, emit)?;
            pos = self.after_line_end(buf, end);
        }
        Ok(())
    }

    /// Completes the held line with `last` (the start of `read`; `last_ascii` if known ASCII)
    /// and interprets it.
    fn finish_partial<F: FnMut(FrameRef<'_>)>(
        &mut self,
        read: &Bytes,
        last: &[u8],
        last_ascii: bool,
        emit: &mut F,
    ) -> Result<(), ParseError> {
        let total = self.partial.len + last.len();
        let head_len = self.partial.head_len;
        let result = match self.partial.head.get_mut(head_len..total) {
            Some(room) if self.partial.pieces.is_empty() && self.partial.tail.is_empty() => {
                copy_short(room, last);
                let line = &self.partial.head[..total];
                self.fields.line(line, SCRATCH, read, emit)
            }
            _ => self.finish_long(read, last, total, last_ascii, emit),
        };
        self.partial.clear();
        result
    }

    /// Completes a line too long for the head buffer: one exact-size copy (or the copy buffer
    /// that already holds it), so a large event costs its own size and no more.
    fn finish_long<F: FnMut(FrameRef<'_>)>(
        &mut self,
        read: &Bytes,
        last: &[u8],
        total: usize,
        last_ascii: bool,
        emit: &mut F,
    ) -> Result<(), ParseError> {
        // Known ASCII throughout: both searches that found the line's parts said so.
        let ascii = self.partial.ascii && last_ascii;
        let mut head = [0u8; 6];
        let n = self.partial.prefix(last, &mut head);
        let copied = !self.partial.tail.is_empty();
        self.partial.hint = total;
        if let Some(skip) = data_value_start(&head[..n]) {
            // A data line: only its value becomes the event's data, as it is (no second
            // buffer sharing it).
            self.fields.check_size(total)?;
            self.fields.event_bytes += total + 1;
            let value = if copied {
                // Already one buffer: skip the field name in place instead of copying.
                let mut line = self.partial.take_tail(last);
                line.advance(skip);
                line
            } else {
                let mut value = Vec::with_capacity(total - skip);
                self.partial.drain_into(skip, last, &mut value);
                Bytes::from(value)
            };
            self.fields.push_data_owned(value, read, ascii);
            return Ok(());
        }
        let joined = if copied {
            self.partial.take_tail(last)
        } else {
            let mut joined = Vec::with_capacity(total);
            self.partial.drain_into(0, last, &mut joined);
            Bytes::from(joined)
        };
        let src = Src {
            owner: Some(&joined),
            utf8: false,
            in_read: false,
        };
        self.fields.line(&joined, src, read, emit)
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

    /// Holds `rest`, the start of a line whose end has not come; `ascii` if known ASCII.
    #[inline(always)]
    fn hold_partial(&mut self, chunk: &Bytes, rest: &[u8], ascii: bool) -> Result<(), ParseError> {
        self.fields.check_size(self.partial.len + rest.len())?;
        let limit = self.fields.max_event_size - self.fields.event_bytes;
        self.partial.push(chunk, rest, limit, ascii);
        Ok(())
    }
}

/// Where the value of a line that starts with `head` (its first six bytes, or all of a shorter
/// line) begins, if it is a `data` field with a colon.
fn data_value_start(head: &[u8]) -> Option<usize> {
    let rest = head.strip_prefix(b"data:")?;
    Some(if rest.first() == Some(&b' ') { 6 } else { 5 })
}

impl Fields {
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

    /// Interprets one line; `src` says where it lies and whether it is known valid, and `read`
    /// is the read being fed (what `DataBuf::InRead` ranges refer to).
    #[inline(always)]
    fn line<F: FnMut(FrameRef<'_>)>(
        &mut self,
        line: &[u8],
        src: Src<'_>,
        read: &Bytes,
        emit: &mut F,
    ) -> Result<(), ParseError> {
        if line.is_empty() {
            self.dispatch(read, emit);
            return Ok(());
        }
        // Before the comment branch: a line held across reads is checked against the cap
        // whatever it is, so a whole one must be too, or the result would depend on the reads.
        self.check_size(line.len())?;
        if line[0] == b':' {
            let text = strip_one_space(&line[1..]);
            emit(FrameRef::Comment(text_ref(src.owner, text, src.utf8)));
            return Ok(());
        }
        self.event_bytes += line.len() + 1;
        let (name, start) = field(line);
        let value = &line[start..];
        if value.len() > MAX_FIELD_BYTES && matches!(name, Name::Id | Name::Event) {
            return Err(ParseError::FieldTooLong {
                field: if name == Name::Id { "id" } else { "event" },
                limit: MAX_FIELD_BYTES,
            });
        }
        match name {
            Name::Data => self.push_data(value, src, read),
            Name::Event => {
                self.has_type = !value.is_empty();
                if self.has_type && value != self.type_cache.as_bytes() {
                    self.type_cache = text_ref(src.owner, value, src.utf8).into_shared();
                }
            }
            Name::Id if value.iter().all(|&b| b != 0) => {
                self.id_buffer = text_ref(src.owner, value, src.utf8).into_shared();
                self.block_has_id = true;
            }
            Name::Retry if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                let ms = value.iter().fold(0u64, |acc, d| {
                    acc.saturating_mul(10).saturating_add(u64::from(d - b'0'))
                });
                emit(FrameRef::Retry(ms));
            }
            _ => {}
        }
        Ok(())
    }

    #[inline(always)]
    fn push_data(&mut self, value: &[u8], src: Src<'_>, read: &Bytes) {
        self.data_utf8 &= src.utf8;
        if !matches!(self.data, DataBuf::None) {
            self.append_data(value, read);
            return;
        }
        self.data = match src.owner {
            Some(_) if src.in_read && !value.is_empty() => {
                // `value` is a slice of `read` (that is what `in_read` means).
                let start = value.as_ptr() as usize - read.as_ptr() as usize;
                debug_assert!(start + value.len() <= read.len());
                DataBuf::InRead(start..start + value.len())
            }
            Some(owner) if !value.is_empty() => DataBuf::One(owner.slice_ref(value)),
            _ => {
                self.scratch.clear();
                self.scratch.extend_from_slice(value);
                DataBuf::Scratch
            }
        };
    }

    /// Takes a data line that was joined from several reads, as the event's data when it is
    /// the first line (no copy).
    fn push_data_owned(&mut self, value: Bytes, read: &Bytes, utf8: bool) {
        self.data_utf8 &= utf8;
        if matches!(self.data, DataBuf::None) {
            self.data = DataBuf::One(value);
        } else {
            self.append_data(&value, read);
        }
    }

    /// Adds a second or later data line: inline while the joined buffer has room (the usual
    /// case once its size is learned from the last event), out of line otherwise.
    #[inline(always)]
    fn append_data(&mut self, value: &[u8], read: &Bytes) {
        if let DataBuf::Many(joined) = &mut self.data {
            if joined.capacity() - joined.len() > value.len() {
                joined.push(b'\n');
                joined.extend_from_slice(value);
                return;
            }
        }
        self.append_data_slow(value, read);
    }

    #[inline(never)]
    fn append_data_slow(&mut self, value: &[u8], read: &Bytes) {
        let mut joined = match std::mem::replace(&mut self.data, DataBuf::None) {
            DataBuf::Many(joined) => joined,
            first => {
                let first: &[u8] = match &first {
                    DataBuf::InRead(range) => &read[range.clone()],
                    DataBuf::Scratch => &self.scratch,
                    DataBuf::One(bytes) => bytes,
                    DataBuf::None | DataBuf::Many(_) => &[],
                };
                let needed = first.len() + 1 + value.len();
                let mut joined = Vec::with_capacity(needed.max(self.joined_hint));
                joined.extend_from_slice(first);
                joined
            }
        };
        let needed = joined.len() + 1 + value.len();
        if needed > joined.capacity() {
            joined = grow_within(joined, needed, self.max_event_size);
        }
        joined.push(b'\n');
        joined.extend_from_slice(value);
        self.data = DataBuf::Many(joined);
    }

    /// Heap held for the event in progress and the values kept across events.
    fn held_bytes(&self) -> usize {
        let data = match &self.data {
            DataBuf::None | DataBuf::InRead(_) | DataBuf::Scratch => 0,
            DataBuf::One(bytes) => bytes.len(),
            DataBuf::Many(joined) => joined.capacity(),
        };
        // The id buffer and the last id usually are one string: count it once.
        let ids = if self.id_buffer.as_str().as_ptr() == self.last_event_id.as_str().as_ptr() {
            self.id_buffer.len()
        } else {
            self.id_buffer.len() + self.last_event_id.len()
        };
        data + self.scratch.capacity() + ids + self.type_cache.len()
    }

    /// At the end of a read, an open event's data range must outlive the read: share it.
    #[inline]
    fn keep_data(&mut self, read: &Bytes) {
        if let DataBuf::InRead(range) = &self.data {
            self.data = DataBuf::One(read.slice(range.clone()));
        }
    }

    #[inline(always)]
    fn dispatch<F: FnMut(FrameRef<'_>)>(&mut self, read: &Bytes, emit: &mut F) {
        self.last_event_id = self.id_buffer.clone();
        self.event_bytes = 0;
        let has_id = std::mem::take(&mut self.block_has_id);
        let has_type = std::mem::take(&mut self.has_type);
        let trusted = std::mem::replace(&mut self.data_utf8, true);
        let data = match std::mem::replace(&mut self.data, DataBuf::None) {
            DataBuf::None => return,
            DataBuf::InRead(range) => text_ref(Some(read), &read[range], trusted),
            DataBuf::Scratch => text_ref(None, &self.scratch, trusted),
            DataBuf::One(bytes) => TextRef(TextSrc::Owned(data_text(bytes, trusted))),
            DataBuf::Many(mut joined) => {
                self.joined_hint = joined.len().min(self.max_event_size);
                // Exact size, so the `Bytes` is the buffer itself: a larger one needs a second
                // allocation to remember its capacity, and an atomic count to drop it.
                joined.shrink_to_fit();
                TextRef(TextSrc::Owned(data_text(Bytes::from(joined), trusted)))
            }
        };
        let event = if has_type { &self.type_cache } else { &MESSAGE };
        emit(FrameRef::Event(EventRef {
            event,
            data,
            id: &self.last_event_id,
            has_id,
        }));
    }

    /// Dispatches an event whose only field is one data line, `range` of `read`, with no data
    /// before it: what [`Fields::line`] then [`Fields::dispatch`] would do, in one step.
    #[inline(always)]
    fn dispatch_one<F: FnMut(FrameRef<'_>)>(
        &mut self,
        read: &Bytes,
        range: Range<usize>,
        trusted: bool,
        emit: &mut F,
    ) {
        self.last_event_id = self.id_buffer.clone();
        self.event_bytes = 0;
        self.data_utf8 = true;
        let has_id = std::mem::take(&mut self.block_has_id);
        let has_type = std::mem::take(&mut self.has_type);
        let data = text_ref(Some(read), &read[range], trusted);
        let event = if has_type { &self.type_cache } else { &MESSAGE };
        emit(FrameRef::Event(EventRef {
            event,
            data,
            id: &self.last_event_id,
            has_id,
        }));
    }

    /// Dispatches an event whose only field is one data line, `data` (validated here unless
    /// `trusted`), with nothing before it, as an owned event.
    #[inline]
    fn dispatch_read(&mut self, data: Bytes, trusted: bool) -> Event {
        self.last_event_id = self.id_buffer.clone();
        self.event_bytes = 0;
        self.data_utf8 = true;
        let has_id = std::mem::take(&mut self.block_has_id);
        let has_type = std::mem::take(&mut self.has_type);
        Event {
            event: if has_type {
                self.type_cache.clone()
            } else {
                MESSAGE.clone()
            },
            data: data_text(data, trusted),
            id: self.last_event_id.clone(),
            has_id,
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

/// `joined` moved into a buffer of at least `needed` bytes: doubling, as `Vec` would, but
/// never past the cap, so joined data lines cannot hold twice the cap.
#[cold]
fn grow_within(joined: Vec<u8>, needed: usize, cap: usize) -> Vec<u8> {
    let target = (joined.capacity() * 2).min(cap).max(needed);
    let mut grown = Vec::with_capacity(target);
    grown.extend_from_slice(&joined);
    grown
}

/// Owned data bytes as text, validated unless `trusted`.
#[inline]
fn data_text(bytes: Bytes, trusted: bool) -> SharedStr {
    if trusted {
        // SAFETY: `trusted` means every line joined into `bytes` lay in a validated part of
        // its read, and joining with LF keeps UTF-8 valid.
        unsafe { SharedStr::from_utf8_unchecked(bytes) }
    } else {
        SharedStr::decode(bytes)
    }
}

/// The field a line sets.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Name {
    Data,
    Event,
    Id,
    Retry,
    Other,
}

/// Splits a (non-empty) field line without searching for the colon: the four names we know are
/// matched as prefixes, and every other name is ignored anyway. Returns the field and where its
/// value starts. A pair in registers, not an enum of slices: that one went through memory and
/// was read back with a wider load than it was written with, a store-forwarding stall per line.
#[inline(always)]
fn field(line: &[u8]) -> (Name, usize) {
    let (name, name_len) = match line.first() {
        Some(b'd') if line.starts_with(b"data") => (Name::Data, 4),
        Some(b'i') if line.starts_with(b"id") => (Name::Id, 2),
        Some(b'e') if line.starts_with(b"event") => (Name::Event, 5),
        Some(b'r') if line.starts_with(b"retry") => (Name::Retry, 5),
        _ => return (Name::Other, line.len()),
    };
    match line.get(name_len) {
        // A colon-less line is the field name with an empty value.
        None => (name, name_len),
        Some(b':') => match line.get(name_len + 1) {
            Some(b' ') => (name, name_len + 2),
            _ => (name, name_len + 1),
        },
        // A longer name that merely starts like ours ("datum:") is unknown.
        Some(_) => (Name::Other, line.len()),
    }
}

/// Whether `b` (at most 16 bytes) holds a CR or LF: a word-at-a-time test of two overlapping
/// words, instead of a loop with a branch per byte.
#[inline(always)]
fn has_line_end_short(b: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // Non-zero exactly when some byte of `w` is LF or CR (the classic "has a zero byte" test
    // on `w` XOR each target byte repeated).
    let hit = |w: u64| {
        let lf = w ^ (ONES * u64::from(b'\n'));
        let cr = w ^ (ONES * u64::from(b'\r'));
        ((lf.wrapping_sub(ONES) & !lf) | (cr.wrapping_sub(ONES) & !cr)) & HIGHS != 0
    };
    debug_assert!(b.len() <= 16);
    if let (Some(first), Some(last)) = (b.first_chunk::<8>(), b.last_chunk::<8>()) {
        hit(u64::from_le_bytes(*first)) || hit(u64::from_le_bytes(*last))
    } else if let (Some(first), Some(last)) = (b.first_chunk::<4>(), b.last_chunk::<4>()) {
        let lo = u64::from(u32::from_le_bytes(*first));
        let hi = u64::from(u32::from_le_bytes(*last));
        hit(lo | (hi << 32))
    } else {
        b.iter().any(|&c| c == b'\n' || c == b'\r')
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A frame as plain strings, to compare the two ways of being handed frames.
    fn plain(frame: Frame) -> (u8, String, String, String, bool) {
        match frame {
            Frame::Event(e) => (
                0,
                e.event.to_string(),
                e.data.to_string(),
                e.id.to_string(),
                e.has_id,
            ),
            Frame::Comment(c) => (1, c.to_string(), String::new(), String::new(), false),
            Frame::Retry(ms) => (2, ms.to_string(), String::new(), String::new(), false),
        }
    }

    fn borrowed(frame: &FrameRef<'_>) -> (u8, String, String, String, bool) {
        match frame {
            FrameRef::Event(e) => (
                0,
                e.event().into(),
                e.data().into(),
                e.id().into(),
                e.has_id(),
            ),
            FrameRef::Comment(c) => (1, c.as_str().into(), String::new(), String::new(), false),
            FrameRef::Retry(ms) => (2, ms.to_string(), String::new(), String::new(), false),
        }
    }

    /// Feeds `input` cut at `cuts` through `feed`, and through `feed_ref` both looking at each
    /// frame in place and keeping it; all three must agree.
    fn parse_three_ways(input: &[u8], cuts: &[usize]) -> Vec<(u8, String, String, String, bool)> {
        let mut bounds: Vec<usize> = cuts.iter().map(|&c| c.min(input.len())).collect();
        bounds.push(input.len());
        bounds.sort_unstable();
        let reads: Vec<Bytes> = std::iter::once(0)
            .chain(bounds.iter().copied())
            .zip(bounds.iter().copied())
            .map(|(a, b)| Bytes::copy_from_slice(&input[a..b]))
            .collect();
        let (mut owned, mut lent, mut kept) = (Vec::new(), Vec::new(), Vec::new());
        let (mut p1, mut p2, mut p3) = (Parser::new(), Parser::new(), Parser::new());
        for read in &reads {
            p1.feed(read.clone(), |f| owned.push(plain(f)))
                .expect("within the cap");
            p2.feed_ref(read, |f| lent.push(borrowed(&f)))
                .expect("within the cap");
            p3.feed_ref(read, |f| kept.push(f.into_owned()))
                .expect("within the cap");
        }
        let kept: Vec<_> = kept.into_iter().map(plain).collect();
        assert_eq!(owned, lent, "feed and feed_ref disagree");
        assert_eq!(owned, kept, "kept frames differ from lent ones");
        assert_eq!(p1.last_event_id(), p2.last_event_id());
        owned
    }

    fn event(data: &str) -> (u8, String, String, String, bool) {
        (0, "message".into(), data.into(), String::new(), false)
    }

    #[test]
    fn a_long_data_line_over_many_reads_keeps_only_its_value() {
        let value = "0123456789".repeat(700);
        for sep in ["data: ", "data:"] {
            let input = format!("{sep}{value}\n\n");
            // 300-byte reads: too small to share, so the line is copied into one buffer.
            let cuts: Vec<usize> = (300..input.len()).step_by(300).collect();
            assert_eq!(parse_three_ways(input.as_bytes(), &cuts), [event(&value)]);
            // The field name itself split across the first pieces.
            assert_eq!(
                parse_three_ways(input.as_bytes(), &[2, 4, 5, 400, 7000]),
                [event(&value)]
            );
        }
    }

    #[test]
    fn a_joined_data_value_is_the_event_data_without_a_copy() {
        let value = "v".repeat(5000);
        let input = format!("data: {value}\n\n");
        let mut p = Parser::new();
        let mut ptrs = Vec::new();
        for piece in input.as_bytes().chunks(1500) {
            p.feed_ref(&Bytes::copy_from_slice(piece), |f| {
                if let FrameRef::Event(e) = f {
                    let before = e.data().as_ptr();
                    let kept = e.into_owned();
                    ptrs.push((before, kept.data.as_ptr(), kept.data.len()));
                }
            })
            .expect("within the cap");
        }
        assert_eq!(ptrs.len(), 1);
        let (lent, kept, len) = ptrs[0];
        assert_eq!(
            lent, kept,
            "keeping the event must move the joined buffer, not copy it"
        );
        assert_eq!(len, value.len());
    }

    #[test]
    fn the_events_of_one_read_share_it_and_outlive_it() {
        // Data lines of one line, several lines, comments and ids, all in one owned read:
        // every value stays inside the read (no copies), whatever handle kind it gets.
        let mut input = String::new();
        for n in 0..40 {
            input.push_str(&format!(": comment number {n} that is long enough\n"));
            input.push_str(&format!(
                "id: {n}\ndata: {{\"n\":{n},\"pad\":\"{}\"}}\n\n",
                "x".repeat(n)
            ));
        }
        input.push_str("data: a\ndata: joined across two lines of data\n\n");
        let read = Bytes::from(input.clone());
        let (start, end) = (read.as_ptr() as usize, read.as_ptr() as usize + read.len());
        let mut frames = Vec::new();
        let mut p = Parser::new();
        p.feed(read, |f| frames.push(f)).expect("within the cap");
        // The read is gone but for the events' handles; every frame is as a fresh parse says.
        let mut expected = Vec::new();
        Parser::new()
            .feed_ref(&Bytes::from(input), |f| expected.push(f.into_owned()))
            .expect("within the cap");
        assert_eq!(frames, expected);
        assert_eq!(frames.len(), 81);
        let inside = |s: &SharedStr| (start..end).contains(&(s.as_ptr() as usize));
        for f in &frames[..80] {
            match f {
                Frame::Event(e) if e.data.len() > 23 => assert!(inside(&e.data), "{e:?}"),
                Frame::Comment(c) => assert!(inside(c), "{c:?}"),
                _ => {}
            }
        }
        // Clones and drops in any order, on other threads, as the connection's consumers do.
        let clones = frames.clone();
        drop(frames);
        let texts = std::thread::spawn(move || {
            clones
                .iter()
                .map(|f| match f {
                    Frame::Event(e) => e.data.len(),
                    Frame::Comment(c) => c.len(),
                    Frame::Retry(_) => 0,
                })
                .sum::<usize>()
        })
        .join()
        .expect("thread");
        assert!(texts > 40 * 40);
    }

    #[test]
    fn long_lines_of_other_fields_and_later_data_lines_join_too() {
        let long = "x".repeat(900);
        let input =
            format!(": {long}\nid: {long}\nevent: {long}\ndata: a\ndata: {long}\ndata: {long}\n\n");
        let cuts: Vec<usize> = (7..input.len()).step_by(311).collect();
        let got = parse_three_ways(input.as_bytes(), &cuts);
        assert_eq!(got.len(), 2);
        assert_eq!(
            got[0],
            (1, long.clone(), String::new(), String::new(), false)
        );
        assert_eq!(
            got[1],
            (
                0,
                long.clone(),
                format!("a\n{long}\n{long}"),
                long.clone(),
                true
            )
        );
    }

    #[test]
    fn a_read_that_is_one_event_becomes_its_data_and_keeps_every_rule() {
        // What an LLM server flushing every token sends: `feed` hands the read itself over as
        // the data (no copy, no second handle), with the type and id of earlier reads, the
        // text validated when it is not ASCII, and the same frames as `feed_ref`.
        let long = format!("data: {}\n\n", "x".repeat(100));
        let reads: Vec<Bytes> = [
            b"\xEF\xBB\xBFdata: first\n\n".to_vec(),
            b"id: 7\nevent: tok\n".to_vec(),
            long.clone().into_bytes(),
            format!("data:{}\n\n", "é".repeat(40)).into_bytes(),
            b"data: a\xFFb\n\n".to_vec(),
            b"data:\n\n".to_vec(),
            b"data: two\n\ndata: events\n\n".to_vec(),
        ]
        .into_iter()
        .map(Bytes::from)
        .collect();
        let mut parser = Parser::new();
        let mut owned = Vec::new();
        for read in &reads {
            parser
                .feed(read.clone(), |f| owned.push(f))
                .expect("within the cap");
        }
        let mut lent = Vec::new();
        let mut other = Parser::new();
        for read in &reads {
            other
                .feed_ref(read, |f| lent.push(borrowed(&f)))
                .expect("within the cap");
        }
        let plain_owned: Vec<_> = owned.iter().cloned().map(plain).collect();
        assert_eq!(plain_owned, lent);
        let Frame::Event(tok) = &owned[1] else {
            panic!("an event")
        };
        assert_eq!(
            (tok.event.as_str(), tok.id.as_str(), tok.has_id),
            ("tok", "7", true)
        );
        assert_eq!(tok.data.as_str(), "x".repeat(100));
        // The data is the read's own bytes.
        let at = tok.data.as_str().as_ptr() as usize;
        let read = reads[2].as_ptr() as usize;
        assert_eq!(at, read + 6, "the data should be the read, trimmed");
        let data: Vec<String> = owned
            .iter()
            .map(|f| match f {
                Frame::Event(e) => e.data.to_string(),
                other => panic!("only events: {other:?}"),
            })
            .collect();
        let accents = "é".repeat(40);
        assert_eq!(
            data,
            [
                "first",
                &"x".repeat(100),
                &accents,
                "a\u{FFFD}b",
                "",
                "two",
                "events"
            ]
        );
        let Frame::Event(after) = &owned[2] else {
            panic!("an event")
        };
        assert_eq!(
            (after.event.as_str(), after.id.as_str(), after.has_id),
            ("message", "7", false)
        );
    }

    #[test]
    fn data_still_open_when_a_read_ends_outlives_the_read() {
        let mut p = Parser::new();
        let mut got = Vec::new();
        let first = Bytes::from(format!("data: {}\n", "d".repeat(100)));
        p.feed_ref(&first, |f| got.push(f.into_owned()))
            .expect("within the cap");
        drop(first);
        p.feed_ref(&Bytes::from_static(b"data: e\n\n"), |f| {
            got.push(f.into_owned())
        })
        .expect("within the cap");
        assert_eq!(
            got.into_iter().map(plain).collect::<Vec<_>>(),
            [event(&format!("{}\ne", "d".repeat(100)))]
        );
    }

    #[test]
    fn invalid_utf8_in_straddling_and_in_read_values_is_replaced() {
        let input = b"data: a\xFFb\n\n: c\xFE\n\ndata: \xE2\x82\xACok\n\n";
        for cuts in [vec![], vec![3], vec![8, 9], (1..input.len()).collect()] {
            let got = parse_three_ways(input, &cuts);
            assert_eq!(
                got,
                [
                    event("a\u{FFFD}b"),
                    (1, "c\u{FFFD}".into(), String::new(), String::new(), false),
                    event("\u{20AC}ok"),
                ]
            );
        }
    }

    proptest! {
        #[test]
        fn the_word_test_finds_line_ends_like_a_byte_loop(
            b in proptest::collection::vec(prop_oneof![Just(b'\n'), Just(b'\r'), any::<u8>()], 0..=16),
        ) {
            let want = b.iter().any(|&c| c == b'\n' || c == b'\r');
            prop_assert_eq!(has_line_end_short(&b), want);
        }

        #[test]
        fn copy_short_copies_like_copy_from_slice(src in proptest::collection::vec(any::<u8>(), 0..=40)) {
            let mut dst = vec![0u8; src.len()];
            copy_short(&mut dst, &src);
            prop_assert_eq!(dst, src);
        }
    }

    #[test]
    fn tiny_reads_take_the_fast_path_and_still_follow_every_rule() {
        // BOM, CR then LF in the next read, a comment and an oversized line, all in 1- to
        // 16-byte reads.
        let input = "\u{FEFF}id: 7\r\n:hi\rdata: abcdefghijklmnopqrstuvwxyz\r\n\r\ndata:x\n\n";
        for size in 1..=17 {
            let cuts: Vec<usize> = (size..input.len()).step_by(size).collect();
            let got = parse_three_ways(input.as_bytes(), &cuts);
            assert_eq!(
                got,
                [
                    (1, "hi".into(), String::new(), String::new(), false),
                    (
                        0,
                        "message".into(),
                        "abcdefghijklmnopqrstuvwxyz".into(),
                        "7".into(),
                        true
                    ),
                    (0, "message".into(), "x".into(), "7".into(), false),
                ],
                "reads of {size} bytes"
            );
        }
        let mut p = Parser::with_max_event_size(20);
        let mut failed = false;
        for piece in b"data: 0123456789abcdefghij".chunks(7) {
            if p.feed_ref(&Bytes::copy_from_slice(piece), |_| {}).is_err() {
                failed = true;
                break;
            }
        }
        assert!(
            failed,
            "a line growing in tiny reads must still hit the cap"
        );
        let mut out = Vec::new();
        p.feed_ref(&Bytes::from_static(b"\ndata: ok\n\n"), |f| {
            out.push(f.into_owned())
        })
        .expect("recovered");
        assert_eq!(
            out.into_iter().map(plain).collect::<Vec<_>>(),
            [event("ok")]
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

        /// Lines short and long (past the inline head), multi-line data, comments and CRLF,
        /// under any split, read the same through `feed` and `feed_ref`.
        #[test]
        fn long_lines_cut_across_reads_are_trusted_only_when_every_part_is_ascii(
            len in 900usize..5000,
            stray in proptest::option::of((0usize..5000, prop_oneof![
                Just(vec![0xFFu8]),
                Just(vec![0xC3u8]),
                Just("é".as_bytes().to_vec()),
                Just("😀".as_bytes().to_vec()),
            ])),
            cut in 0usize..6000,
            second_cut in 0usize..6000,
        ) {
            // One data line of a few KiB, maybe with one non-ASCII or invalid byte anywhere,
            // in two or three reads: the parts are searched with the text check (long reads)
            // or without (short ones), and the line must come out exactly as a lossy decode.
            let mut value = vec![b'x'; len];
            if let Some((at, bytes)) = stray {
                let at = at.min(len);
                value.splice(at..at, bytes);
            }
            let mut input = b"data: ".to_vec();
            input.extend_from_slice(&value);
            input.extend_from_slice(b"\n\ndata: after\n\n");
            let mut cuts = vec![cut.min(input.len()), second_cut.min(input.len())];
            cuts.sort_unstable();
            let want = String::from_utf8_lossy(&value).into_owned();
            let got = parse_three_ways(&input, &cuts);
            let data: Vec<String> = got.into_iter().filter(|f| f.0 == 0).map(|f| f.2).collect();
            prop_assert_eq!(data, vec![want, "after".to_owned()]);
        }

        #[test]
        fn both_apis_agree_under_any_split(
            events in proptest::collection::vec(
                (0usize..3, "[a-z]{0,4}", proptest::collection::vec(0usize..700, 1..3), any::<bool>()),
                0..8,
            ),
            crlf in any::<bool>(),
            cuts in proptest::collection::vec(0usize..6000, 0..40),
        ) {
            let nl = if crlf { "\r\n" } else { "\n" };
            let mut input = String::new();
            let mut want = Vec::new();
            for (n, (kind, t, lines, comment)) in events.iter().enumerate() {
                if *comment {
                    input.push_str(&format!(":{}{nl}", "c".repeat(n * 97 % 400)));
                }
                input.push_str(&format!("id: {kind}{n}{nl}event: {t}{nl}"));
                let data: Vec<String> = lines.iter().map(|&len| "é".repeat(len / 2) + &"z".repeat(len % 2)).collect();
                for line in &data {
                    input.push_str(&format!("data: {line}{nl}"));
                }
                input.push_str(nl);
                want.push(data.join("\n"));
            }
            let mut cuts = cuts;
            cuts.sort_unstable();
            cuts.dedup();
            let got = parse_three_ways(input.as_bytes(), &cuts);
            let data: Vec<String> = got.into_iter().filter(|f| f.0 == 0).map(|f| f.2).collect();
            prop_assert_eq!(data, want);
        }
    }
}
