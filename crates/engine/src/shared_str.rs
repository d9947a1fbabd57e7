//! Text that is either stored inline (short ids and event types) or shares the bytes it was read from.

use bytes::Bytes;
use std::fmt;
use std::ops::Deref;

/// Longest string kept inline; ids and event types are usually shorter, which saves an
/// atomic reference-count update per event on the parser's hot path.
const INLINE_CAP: usize = 23;

/// Short text stored in place. Word-aligned with the length inside, so moving a `SharedStr`
/// is a few aligned word copies: a byte-aligned layout made every move of an event a
/// store-forwarding stall on the parser's hot path.
#[derive(Clone, Copy)]
#[repr(C, align(8))]
struct Inline {
    buf: [u8; INLINE_CAP],
    len: u8,
}

#[derive(Clone)]
enum Repr {
    Inline(Inline),
    Shared(Bytes),
}

/// Immutable UTF-8 text, cheap to clone, usually sharing the network buffer it came from.
#[derive(Clone)]
pub struct SharedStr(Repr);

impl SharedStr {
    /// The empty string.
    pub const fn empty() -> Self {
        SharedStr(Repr::Inline(Inline {
            buf: [0; INLINE_CAP],
            len: 0,
        }))
    }

    /// Wraps a static string without copying.
    pub const fn from_static(s: &'static str) -> Self {
        SharedStr(Repr::Shared(Bytes::from_static(s.as_bytes())))
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

    /// Decodes `slice`, which must lie inside `owner`, sharing `owner`'s allocation when long.
    pub(crate) fn decode_in(owner: &Bytes, slice: &[u8]) -> Self {
        if slice.len() <= INLINE_CAP {
            return Self::decode_slice(slice);
        }
        Self::decode(owner.slice_ref(slice))
    }

    /// Wraps `slice` (inside `owner`) without validating it.
    ///
    /// # Safety
    /// `slice` must be valid UTF-8.
    pub(crate) unsafe fn from_utf8_unchecked_in(owner: &Bytes, slice: &[u8]) -> Self {
        if slice.len() <= INLINE_CAP {
            Self::copy_valid(slice)
        } else {
            SharedStr(Repr::Shared(owner.slice_ref(slice)))
        }
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
            let mut buf = [0; INLINE_CAP];
            buf[..bytes.len()].copy_from_slice(bytes);
            SharedStr(Repr::Inline(Inline {
                buf,
                len: bytes.len() as u8,
            }))
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
            Repr::Inline(i) => &i.buf[..i.len as usize],
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
        let short = SharedStr::decode_in(&owner, &owner[..5]);
        assert!(matches!(short.0, Repr::Inline(_)));
        assert_eq!(short, "aaaaa");
        let long = SharedStr::decode_in(&owner, &owner[..64]);
        match &long.0 {
            Repr::Shared(b) => assert_eq!(b.as_ptr(), owner.as_ptr()),
            Repr::Inline(_) => panic!("64 bytes must be shared, not copied"),
        }
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
