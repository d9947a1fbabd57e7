//! Finding the end of a line in a read, for the parser's line cutting, and checking its text
//! on the way.
//!
//! Each line is searched from its start 16 bytes at a time: most SSE lines are short (an id, an
//! event type, one data line of a few hundred bytes), where a call to a SIMD search pays more
//! in setup than the search costs, and a mask of a whole block per 64 bytes needs bookkeeping
//! per line. The same loads tell whether the line is all ASCII, so a line in a read fresh from
//! the network is read once: its text needs no validation of its own. A long line (past
//! [`LONG_LINE`] bytes) is searched with `memchr2`, whose wide loads win there, and is left to
//! its consumer to validate.

/// A line's end: where its CR or LF is, and whether every byte before it is known ASCII.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LineEnd {
    /// Index of the CR or LF in the buffer.
    pub(crate) at: usize,
    /// The line's bytes are all ASCII (so valid UTF-8). `false` says nothing: not checked,
    /// or a byte near the line that is not ASCII.
    pub(crate) ascii: bool,
}

/// Bytes searched a vector at a time before the rest of the line goes to `memchr2`: well past
/// a typical JSON value of a few hundred bytes.
const LONG_LINE: usize = 1024;

/// The first CR or LF at or after `pos` in `buf`.
#[inline(always)]
pub(crate) fn line_end(buf: &[u8], pos: usize) -> Option<LineEnd> {
    #[cfg(target_arch = "x86_64")]
    {
        sse2::line_end(buf, pos)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        portable_line_end(buf, pos)
    }
}

/// The rest of a long line, from `at`: the wide search, no text check.
#[cold]
#[inline(never)]
fn long_line_end(buf: &[u8], at: usize) -> Option<LineEnd> {
    let at = at + memchr::memchr2(b'\n', b'\r', &buf[at..])?;
    Some(LineEnd { at, ascii: false })
}

/// A short buffer's end, a byte at a time.
#[inline]
fn scalar_line_end(buf: &[u8], pos: usize, from: usize) -> Option<LineEnd> {
    let off = buf[from..].iter().position(|&c| c == b'\n' || c == b'\r')?;
    let at = from + off;
    Some(LineEnd {
        at,
        ascii: buf[pos..at].is_ascii(),
    })
}

#[cfg(not(target_arch = "x86_64"))]
fn portable_line_end(buf: &[u8], pos: usize) -> Option<LineEnd> {
    let rest = &buf[pos..];
    let head = rest.len().min(LONG_LINE);
    match rest[..head].iter().position(|&c| c == b'\n' || c == b'\r') {
        Some(off) => Some(LineEnd {
            at: pos + off,
            ascii: rest[..off].is_ascii(),
        }),
        None if head < rest.len() => long_line_end(buf, pos + head),
        None => None,
    }
}

#[cfg(target_arch = "x86_64")]
mod sse2 {
    use super::{long_line_end, scalar_line_end, LineEnd, LONG_LINE};
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
        _mm_setzero_si128,
    };

    const V: usize = 16;
    const BLOCK: usize = 4 * V;

    /// The 16-bit mask of CR and LF bytes in `v`.
    #[inline(always)]
    unsafe fn ends(v: __m128i, lf: __m128i, cr: __m128i) -> __m128i {
        _mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr))
    }

    #[inline(always)]
    pub(super) fn line_end(buf: &[u8], pos: usize) -> Option<LineEnd> {
        let len = buf.len();
        // Past this the line is long: the rest goes to `memchr2`.
        let limit = if len - pos > LONG_LINE {
            pos + LONG_LINE
        } else {
            len
        };
        // SAFETY: SSE2 is part of the x86_64 baseline; every unaligned 16-byte load below
        // reads `buf[i..i + 16]` with `i + 16 <= len`.
        unsafe {
            let lf = _mm_set1_epi8(b'\n' as i8);
            let cr = _mm_set1_epi8(b'\r' as i8);
            let load = |i: usize| _mm_loadu_si128(buf.as_ptr().add(i).cast::<__m128i>());
            let mut high = _mm_setzero_si128();
            let mut at = pos;
            // One vector first: ids, event types and short values end in it.
            if at + V <= limit {
                let v = load(at);
                high = v;
                let hit = _mm_movemask_epi8(ends(v, lf, cr));
                if hit != 0 {
                    // The bytes after the end in this vector count too: a false "not ASCII"
                    // only costs the line a validation of its own.
                    return Some(LineEnd {
                        at: at + hit.trailing_zeros() as usize,
                        ascii: _mm_movemask_epi8(high) == 0,
                    });
                }
                at += V;
            }
            // Then 64 bytes per step, one test for the four vectors.
            while at + BLOCK <= limit {
                let v = [load(at), load(at + V), load(at + 2 * V), load(at + 3 * V)];
                let e = [
                    ends(v[0], lf, cr),
                    ends(v[1], lf, cr),
                    ends(v[2], lf, cr),
                    ends(v[3], lf, cr),
                ];
                high = _mm_or_si128(
                    high,
                    _mm_or_si128(_mm_or_si128(v[0], v[1]), _mm_or_si128(v[2], v[3])),
                );
                let any = _mm_or_si128(_mm_or_si128(e[0], e[1]), _mm_or_si128(e[2], e[3]));
                if _mm_movemask_epi8(any) != 0 {
                    let mask = e.iter().enumerate().fold(0u64, |m, (i, e)| {
                        m | (u64::from(_mm_movemask_epi8(*e) as u16) << (i * V))
                    });
                    return Some(LineEnd {
                        at: at + mask.trailing_zeros() as usize,
                        ascii: _mm_movemask_epi8(high) == 0,
                    });
                }
                at += BLOCK;
            }
            while at + V <= limit {
                let v = load(at);
                high = _mm_or_si128(high, v);
                let hit = _mm_movemask_epi8(ends(v, lf, cr));
                if hit != 0 {
                    return Some(LineEnd {
                        at: at + hit.trailing_zeros() as usize,
                        ascii: _mm_movemask_epi8(high) == 0,
                    });
                }
                at += V;
            }
            if limit < len {
                return long_line_end(buf, at);
            }
            if at == len {
                return None;
            }
            if len < V {
                return scalar_line_end(buf, pos, at);
            }
            // The short rest: the last 16 bytes of the buffer, shifted so bit 0 is `at`.
            let v = load(len - V);
            high = _mm_or_si128(high, v);
            let hit = _mm_movemask_epi8(ends(v, lf, cr)) as u32 >> (V - (len - at));
            if hit == 0 {
                return None;
            }
            Some(LineEnd {
                at: at + hit.trailing_zeros() as usize,
                ascii: _mm_movemask_epi8(high) == 0,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every line end from `from` on, as the parser walks them.
    fn all_ends(buf: &[u8], from: usize) -> Vec<LineEnd> {
        let mut out = Vec::new();
        let mut pos = from;
        while pos < buf.len() {
            let Some(end) = line_end(buf, pos) else { break };
            out.push(end);
            pos = end.at + 1;
        }
        out
    }

    fn want_ends(buf: &[u8], from: usize) -> Vec<usize> {
        (from..buf.len())
            .filter(|&i| buf[i] == b'\n' || buf[i] == b'\r')
            .collect()
    }

    fn ats(ends: &[LineEnd]) -> Vec<usize> {
        ends.iter().map(|e| e.at).collect()
    }

    proptest! {
        #[test]
        fn finds_exactly_the_cr_and_lf_bytes(
            buf in proptest::collection::vec(prop_oneof![Just(b'\n'), Just(b'\r'), Just(b'a'), any::<u8>()], 0..400),
            from in 0usize..400,
        ) {
            let from = from.min(buf.len());
            prop_assert_eq!(ats(&all_ends(&buf, from)), want_ends(&buf, from));
        }

        #[test]
        fn long_lines_with_few_ends_are_found_past_the_wide_search(
            len in 0usize..1500,
            ends in proptest::collection::vec((0usize..1500, any::<bool>()), 0..6),
            from in 0usize..1500,
        ) {
            let mut buf = vec![b'x'; len];
            for &(at, cr) in &ends {
                if let Some(b) = buf.get_mut(at) {
                    *b = if cr { b'\r' } else { b'\n' };
                }
            }
            let from = from.min(len);
            prop_assert_eq!(ats(&all_ends(&buf, from)), want_ends(&buf, from));
        }

        #[test]
        fn ascii_is_said_only_of_ascii_lines_and_of_every_short_one_among_ascii(
            parts in proptest::collection::vec(
                prop_oneof![
                    6 => "[ -~]{0,40}".prop_map(String::into_bytes),
                    2 => Just(b"\n".to_vec()),
                    1 => Just(vec![b'x'; 300]),
                    1 => "[é€😀]{1,3}".prop_map(String::into_bytes),
                    1 => proptest::collection::vec(0x80u8..=0xFF, 1..3),
                ],
                0..24,
            ),
            from in any::<prop::sample::Index>(),
        ) {
            // Mostly ASCII, with characters, stray bytes and long lines anywhere: a line said
            // to be ASCII must be, and in an all-ASCII buffer every line shorter than the wide
            // search's threshold must be said to be (or every value would be validated twice).
            let buf = parts.concat();
            let from = from.index(buf.len() + 1);
            let all_ascii = buf.is_ascii();
            let mut pos = from;
            for end in all_ends(&buf, from) {
                let line = &buf[pos..end.at];
                if end.ascii {
                    prop_assert!(line.is_ascii(), "said ASCII: {:?}", line);
                } else if all_ascii {
                    prop_assert!(line.len() >= LONG_LINE, "short ASCII line not said ASCII: {:?}", line);
                }
                pos = end.at + 1;
            }
        }
    }
}
