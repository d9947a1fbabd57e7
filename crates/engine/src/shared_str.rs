//! Text that is either stored inline (short ids and event types) or shares the bytes it was read from.

use crate::read_block::{BlockStr, ReadLender, BLOCK_TAG};
use bytes::Bytes;
use std::fmt;
use std::mem::ManuallyDrop;
use std::ops::Deref;

/// Longest string kept inline; ids and event types are usually shorter, which saves an
/// atomic reference-count update per event on the parser's hot path.
const INLINE_CAP: usize = 23;

/// Bytes an `Inline` occupies: the text, then its length in the last byte.
const INLINE_BYTES: usize = INLINE_CAP + 1;

/// Where the length byte (the last byte in memory) sits in the last word.
const LEN_SHIFT: u32 = if cfg!(target_endian = "little") {
    56
} else {
    0
};

/// Short text stored in place: three machine words holding the text's bytes in memory order,
/// the length in the last byte. Built, moved and compared as whole words: a byte-wise layout
/// (or a length byte stored on its own) made the next 16-byte move of the value wait for a
/// failed store-to-load forward, several times per event on the parser's hot path.
#[derive(Clone, Copy)]
#[repr(transparent)]
struct Inline([u64; 3]);

impl Inline {
    const EMPTY: Inline = Inline([0; 3]);

    /// The text `padded[..len]`; the rest of `padded` is ignored (and never read back).
    #[inline(always)]
    fn from_padded(padded: &[u8; INLINE_BYTES], len: usize) -> Inline {
        debug_assert!(len <= INLINE_CAP);
        let mut words: [u64; 3] =
            std::array::from_fn(|w| u64::from_ne_bytes(std::array::from_fn(|i| padded[w * 8 + i])));
        words[2] = (words[2] & !(0xFF << LEN_SHIFT)) | ((len as u64 & 0xFF) << LEN_SHIFT);
        Inline(words)
    }

    #[inline(always)]
    fn as_bytes(&self) -> &[u8] {
        let len = ((self.0[2] >> LEN_SHIFT) & 0xFF) as usize;
        // SAFETY: `[u64; 3]` is 24 initialised bytes without padding, readable as bytes for as
        // long as `self` is borrowed; `len` is capped at `INLINE_CAP` < 24.
        unsafe { std::slice::from_raw_parts(self.0.as_ptr().cast::<u8>(), len.min(INLINE_CAP)) }
    }
}

/// Text kept in the string's own 24 bytes: inline text, or a handle on a read's block (see
/// `read_block`). The last byte tells which: an inline length (at most 23) or `BLOCK_TAG`.
/// One union rather than a third `Repr` variant, which would make every string (and every
/// event) 8 bytes larger.
#[repr(C)]
union Small {
    inline: Inline,
    block: ManuallyDrop<BlockStr>,
}

impl Small {
    const EMPTY: Small = Small {
        inline: Inline::EMPTY,
    };

    #[inline(always)]
    fn inline(inline: Inline) -> Small {
        Small { inline }
    }

    #[inline(always)]
    fn is_block(&self) -> bool {
        // SAFETY: both fields are 24 bytes with every byte initialised (`Inline` is three
        // words; `BlockStr` is `repr(C)` without padding), and byte 23 is a plain `u8` in each.
        unsafe { *std::ptr::from_ref(self).cast::<u8>().add(INLINE_BYTES - 1) == BLOCK_TAG }
    }

    #[inline(always)]
    fn as_bytes(&self) -> &[u8] {
        if self.is_block() {
            // SAFETY: the tag says the block field is the one stored.
            unsafe { self.block.as_bytes() }
        } else {
            // SAFETY: the tag says the inline field is the one stored.
            unsafe { self.inline.as_bytes() }
        }
    }
}

impl Clone for Small {
    #[inline(always)]
    fn clone(&self) -> Self {
        if self.is_block() {
            // SAFETY: the tag says the block field is the one stored.
            let block = unsafe { BlockStr::clone(&self.block) };
            Small {
                block: ManuallyDrop::new(block),
            }
        } else {
            // SAFETY: the tag says the inline field is the one stored.
            Small {
                inline: unsafe { self.inline },
            }
        }
    }
}

impl Drop for Small {
    #[inline(always)]
    fn drop(&mut self) {
        if self.is_block() {
            // SAFETY: the tag says the block field is the one stored, and it is dropped once.
            unsafe { ManuallyDrop::drop(&mut self.block) }
        }
    }
}

#[derive(Clone)]
enum Repr {
    Small(Small),
    Shared(Bytes),
}

/// Immutable UTF-8 text, cheap to clone, usually sharing the network buffer it came from.
#[derive(Clone)]
pub struct SharedStr(Repr);

impl SharedStr {
    /// The empty string.
    pub const fn empty() -> Self {
        SharedStr(Repr::Small(Small::EMPTY))
    }

    /// Wraps a static string without copying.
    pub const fn from_static(s: &'static str) -> Self {
        SharedStr(Repr::Shared(Bytes::from_static(s.as_bytes())))
    }

    /// Short static text (at most 23 bytes) stored inline: cloning and dropping it then costs
    /// no call through `Bytes`' vtable (the parser clones its default event type into every
    /// owned event). Longer text fails to compile in a `const`, and panics elsewhere.
    pub const fn inline_static(s: &'static str) -> Self {
        let b = s.as_bytes();
        assert!(b.len() <= INLINE_CAP, "inline text is at most 23 bytes");
        let mut words = [0u64; 3];
        let mut w = 0;
        while w < 3 {
            let mut word = [0u8; 8];
            let mut i = 0;
            while i < 8 && w * 8 + i < b.len() {
                word[i] = b[w * 8 + i];
                i += 1;
            }
            words[w] = u64::from_ne_bytes(word);
            w += 1;
        }
        words[2] = (words[2] & !(0xFF << LEN_SHIFT)) | ((b.len() as u64) << LEN_SHIFT);
        SharedStr(Repr::Small(Small {
            inline: Inline(words),
        }))
    }

    /// Decodes bytes as UTF-8 the WHATWG way: invalid sequences become U+FFFD.
    pub fn decode(bytes: Bytes) -> Self {
        if simdutf8::basic::from_utf8(&bytes).is_ok() {
            Self::from_valid(bytes)
        } else {
            Self::from(String::from_utf8_lossy(&bytes).into_owned())
        }
    }

    /// Decodes a borrowed slice, copying it (inline when short).
    pub fn decode_slice(bytes: &[u8]) -> Self {
        // Short ASCII (ids, event types) is the common case; skip the SIMD dispatch for it.
        let valid = if bytes.len() <= INLINE_CAP {
            bytes.is_ascii() || std::str::from_utf8(bytes).is_ok()
        } else {
            simdutf8::basic::from_utf8(bytes).is_ok()
        };
        if valid {
            Self::copy_valid(bytes)
        } else {
            Self::from(String::from_utf8_lossy(bytes).into_owned())
        }
    }

    /// `text`, which must lie inside `owner`: copied inline when short, else sharing `owner`'s
    /// allocation. Panics if `text` is not inside `owner` (a bug in the caller, never input).
    #[inline(always)]
    pub(crate) fn share_in(owner: &Bytes, text: &str) -> Self {
        let start = text.as_ptr() as usize - owner.as_ptr() as usize;
        if text.len() <= INLINE_CAP {
            // Short text is copied as three whole words when `owner` has that many bytes from
            // its start (the read usually does): no byte-by-byte copy of a variable length.
            match owner.get(start..).and_then(|rest| rest.first_chunk()) {
                Some(padded) => SharedStr(Repr::Small(Small::inline(Inline::from_padded(
                    padded,
                    text.len(),
                )))),
                None => Self::copy_valid(text.as_bytes()),
            }
        } else {
            // `slice` (inlined, bounds checked) rather than `slice_ref`, an out-of-line call
            // that checks the pointers again: this runs once per owned event.
            SharedStr(Repr::Shared(owner.slice(start..start + text.len())))
        }
    }

    /// `text`, which must lie inside `owner`, as [`SharedStr::share_in`] makes it, except that
    /// long text inside the lender's read takes a reference from the read's block (no atomic
    /// update per event once a read has completed a few).
    #[inline(always)]
    pub(crate) fn share_lent(lender: &ReadLender<'_>, owner: &Bytes, text: &str) -> Self {
        if text.len() > INLINE_CAP && std::ptr::eq(owner, lender.read()) {
            if let Some(lent) = lender.lend(text.as_bytes()) {
                return SharedStr(Repr::Small(Small {
                    block: ManuallyDrop::new(lent),
                }));
            }
        }
        Self::share_in(owner, text)
    }

    /// Wraps bytes without validating them.
    ///
    /// # Safety
    /// `bytes` must be valid UTF-8.
    pub(crate) unsafe fn from_utf8_unchecked(bytes: Bytes) -> Self {
        Self::from_valid(bytes)
    }

    fn from_valid(bytes: Bytes) -> Self {
        if bytes.len() <= INLINE_CAP {
            Self::copy_valid(&bytes)
        } else {
            SharedStr(Repr::Shared(bytes))
        }
    }

    fn copy_valid(bytes: &[u8]) -> Self {
        if bytes.len() <= INLINE_CAP {
            let mut padded = [0; INLINE_BYTES];
            padded[..bytes.len()].copy_from_slice(bytes);
            SharedStr(Repr::Small(Small::inline(Inline::from_padded(
                &padded,
                bytes.len(),
            ))))
        } else {
            SharedStr(Repr::Shared(Bytes::copy_from_slice(bytes)))
        }
    }

    /// The text's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.as_str().as_bytes()
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        let bytes: &[u8] = match &self.0 {
            Repr::Small(s) => s.as_bytes(),
            Repr::Shared(b) => b,
        };
        // SAFETY: every constructor validates UTF-8 (or starts from a `str`/`String`), and the
        // bytes are immutable afterwards.
        unsafe { std::str::from_utf8_unchecked(bytes) }
    }
}

impl Default for SharedStr {
    fn default() -> Self {
        Self::empty()
    }
}

impl Deref for SharedStr {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for SharedStr {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl From<String> for SharedStr {
    fn from(s: String) -> Self {
        if s.len() <= INLINE_CAP {
            Self::copy_valid(s.as_bytes())
        } else {
            SharedStr(Repr::Shared(Bytes::from(s)))
        }
    }
}

impl From<&str> for SharedStr {
    fn from(s: &str) -> Self {
        Self::copy_valid(s.as_bytes())
    }
}

impl PartialEq for SharedStr {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}
impl Eq for SharedStr {}

impl PartialEq<str> for SharedStr {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}
impl PartialEq<&str> for SharedStr {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::hash::Hash for SharedStr {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl fmt::Debug for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for SharedStr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for SharedStr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(SharedStr::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_inline_and_long_text_is_shared() {
        let owner = Bytes::from(vec![b'a'; 100]);
        let text = std::str::from_utf8(&owner).expect("ASCII");
        let short = SharedStr::share_in(&owner, &text[..5]);
        assert!(matches!(&short.0, Repr::Small(s) if !s.is_block()));
        assert_eq!(short, "aaaaa");
        let long = SharedStr::share_in(&owner, &text[..64]);
        match &long.0 {
            Repr::Shared(b) => assert_eq!(b.as_ptr(), owner.as_ptr()),
            Repr::Small(_) => panic!("64 bytes must share their owner"),
        }
    }

    #[test]
    fn inline_text_keeps_its_bytes_and_length_whatever_follows_it() {
        // 0..=23 bytes, at the start, middle and very end of the owner: with and without the
        // padding `share_in` reads past the text, and with a non-zero byte where the length goes.
        let owner =
            Bytes::from_static("abcdefghijklmnopqrstuvwxyzé0123456789ABCDEFGHIJ".as_bytes());
        let text = std::str::from_utf8(&owner).expect("valid");
        for start in [0, 5, 20, text.len() - 23, text.len() - 10] {
            for len in 0..=INLINE_CAP {
                let Some(part) = text.get(start..start + len) else {
                    continue; // not on a character boundary, or past the end
                };
                let shared = SharedStr::share_in(&owner, part);
                assert!(matches!(&shared.0, Repr::Small(s) if !s.is_block()));
                assert_eq!(shared.as_str(), part);
                assert_eq!(shared.clone(), SharedStr::from(part));
            }
        }
        assert_eq!(SharedStr::empty().as_str(), "");
        for text in ["", "message", "x".repeat(23).leak()] {
            let inline = SharedStr::inline_static(text);
            assert!(matches!(&inline.0, Repr::Small(s) if !s.is_block()));
            assert_eq!(inline.as_str(), text);
        }
        assert_eq!(SharedStr::from("x".repeat(23)).as_str(), "x".repeat(23));
    }

    #[test]
    fn text_lent_from_a_read_block_is_a_string_like_any_other() {
        const VALUE: &str = "0123456789012345678901234567890123456789";
        let read = Bytes::from(format!("data: {VALUE}\n\n").repeat(4));
        let lender = ReadLender::new(&read);
        let texts: Vec<SharedStr> = (0..4)
            .map(|i| {
                let at = i * 48 + 6;
                let text = std::str::from_utf8(&read[at..at + 40]).expect("ASCII");
                SharedStr::share_lent(&lender, &read, text)
            })
            .collect();
        drop(lender);
        drop(read);
        assert!(
            matches!(&texts[0].0, Repr::Shared(_)),
            "the first lends are plain"
        );
        assert!(matches!(&texts[3].0, Repr::Small(s) if s.is_block()));
        for t in &texts {
            assert_eq!(t.as_str(), VALUE);
            assert_eq!(t, &SharedStr::from(VALUE));
        }
        let kept = texts[3].clone();
        drop(texts);
        assert_eq!(kept, VALUE);
        let len = std::thread::spawn(move || kept.len())
            .join()
            .expect("thread");
        assert_eq!(len, 40);
        // No larger than before the block handles: every event carries three of these.
        assert_eq!(std::mem::size_of::<SharedStr>(), 32);
    }

    #[test]
    fn invalid_utf8_becomes_replacement_character() {
        assert_eq!(
            SharedStr::decode(Bytes::from_static(b"a\xffb")),
            "a\u{FFFD}b"
        );
        assert_eq!(SharedStr::decode_slice(b"\xe2\x82"), "\u{FFFD}");
    }
}
