//! Finding the end of a line in a read, for the parser's line cutting, and checking its text
//! on the way.
//!
//! Each line is searched from its start 16 bytes at a time: most SSE lines are short (an id, an
//! event type, one data line of a few hundred bytes), where a call to a SIMD search pays more
//! in setup than the search costs, and a mask of a whole block per 64 bytes needs bookkeeping
//! per line. The same loads tell whether the line is all ASCII, so a line in a read fresh from
//! the network is read once: its text needs no validation of its own. A long line (past
//! [`LONG_LINE`] bytes) is searched with wider loads (AVX2 when the CPU has it, else
//! `memchr2`), and on AVX2 the same loads still tell whether it is ASCII: a 64 KiB line is
//! then read twice (searched, copied), not three times (searched, copied, validated).

/// A line's end: where its CR or LF is, and whether every byte before it is known ASCII.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LineEnd {
    /// Index of the CR or LF in the buffer.
    pub(crate) at: usize,
    /// The line's bytes are all ASCII (so valid UTF-8). `false` says nothing: not checked,
    /// or a byte near the line that is not ASCII.
    pub(crate) ascii: bool,
}

/// What a search from a line's start found: its end, or that the line goes on past the
/// buffer, and whether the bytes searched are all ASCII (`false` says nothing, as in
/// [`LineEnd`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scan {
    /// The line ends in the buffer.
    End(LineEnd),
    /// No CR or LF from the line's start to the buffer's end.
    Open {
        /// Every byte from the line's start to the buffer's end is ASCII.
        ascii: bool,
    },
}

/// Bytes searched a vector at a time before the rest of the line goes to the wide search:
/// well past a typical JSON value of a few hundred bytes.
const LONG_LINE: usize = 1024;

/// The first CR or LF at or after `pos` in `buf`.
#[inline(always)]
pub(crate) fn line_end(buf: &[u8], pos: usize) -> Option<LineEnd> {
    match scan(buf, pos) {
        Scan::End(end) => Some(end),
        Scan::Open { .. } => None,
    }
}

/// The first CR or LF at or after `pos` in `buf`, or whether the open line is ASCII so far.
#[inline(always)]
pub(crate) fn scan(buf: &[u8], pos: usize) -> Scan {
    #[cfg(target_arch = "x86_64")]
    {
        sse2::scan(buf, pos)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        portable_scan(buf, pos)
    }
}

/// The rest of a long line, from `at`; `ascii` says whether the line before `at` is.
#[cold]
#[inline(never)]
fn long_scan(buf: &[u8], at: usize, ascii: bool) -> Scan {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked just above).
        return unsafe { avx2::scan(buf, at, ascii) };
    }
    match memchr::memchr2(b'\n', b'\r', &buf[at..]) {
        Some(off) => Scan::End(LineEnd {
            at: at + off,
            ascii: false,
        }),
        None => Scan::Open { ascii: false },
    }
}

/// A short buffer's end, a byte at a time; `pos` is the line's start.
#[inline]
fn scalar_scan(buf: &[u8], pos: usize, from: usize) -> Scan {
    match buf[from..].iter().position(|&c| c == b'\n' || c == b'\r') {
        Some(off) => Scan::End(LineEnd {
            at: from + off,
            ascii: buf[pos..from + off].is_ascii(),
        }),
        None => Scan::Open {
            ascii: buf[pos..].is_ascii(),
        },
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn portable_scan(buf: &[u8], pos: usize) -> Scan {
    let head = (buf.len() - pos).min(LONG_LINE);
    match scalar_scan(&buf[..pos + head], pos, pos) {
        Scan::Open { ascii } if pos + head < buf.len() => long_scan(buf, pos + head, ascii),
        found => found,
    }
}

/// The wide search with its text check, 64 bytes a step.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{LineEnd, Scan};
    use std::arch::x86_64::{
        __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_or_si256,
        _mm256_set1_epi8, _mm256_setzero_si256,
    };

    /// The first CR or LF at or after `at`; `ascii` says whether the line before `at` is.
    /// 128 bytes a step (four vectors, one test), then 32, then a byte at a time.
    ///
    /// # Safety
    /// The CPU must have AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn scan(buf: &[u8], mut at: usize, ascii: bool) -> Scan {
        let len = buf.len();
        let lf = _mm256_set1_epi8(b'\n' as i8);
        let cr = _mm256_set1_epi8(b'\r' as i8);
        // SAFETY (for every call): callers load `buf[i..i + 32]` with `i + 32 <= len`.
        let load = |i: usize| unsafe { _mm256_loadu_si256(buf.as_ptr().add(i).cast::<__m256i>()) };
        let ends = |v: __m256i| _mm256_or_si256(_mm256_cmpeq_epi8(v, lf), _mm256_cmpeq_epi8(v, cr));
        let mut high = _mm256_setzero_si256();
        while at + 128 <= len {
            let v = [load(at), load(at + 32), load(at + 64), load(at + 96)];
            let e = [ends(v[0]), ends(v[1]), ends(v[2]), ends(v[3])];
            high = _mm256_or_si256(
                high,
                _mm256_or_si256(_mm256_or_si256(v[0], v[1]), _mm256_or_si256(v[2], v[3])),
            );
            let any = _mm256_or_si256(_mm256_or_si256(e[0], e[1]), _mm256_or_si256(e[2], e[3]));
            if _mm256_movemask_epi8(any) != 0 {
                let first = e
                    .iter()
                    .enumerate()
                    .find_map(|(i, &e)| {
                        let m = _mm256_movemask_epi8(e) as u32;
                        (m != 0).then(|| i * 32 + m.trailing_zeros() as usize)
                    })
                    .unwrap_or(0);
                // Bytes after the end in this step count too: a false "not ASCII" only
                // costs the line a validation of its own.
                return Scan::End(LineEnd {
                    at: at + first,
                    ascii: ascii && _mm256_movemask_epi8(high) == 0,
                });
            }
            at += 128;
        }
        while at + 32 <= len {
            let v = load(at);
            high = _mm256_or_si256(high, v);
            let m = _mm256_movemask_epi8(ends(v)) as u32;
            if m != 0 {
                return Scan::End(LineEnd {
                    at: at + m.trailing_zeros() as usize,
                    ascii: ascii && _mm256_movemask_epi8(high) == 0,
                });
            }
            at += 32;
        }
        let mut ascii = ascii && _mm256_movemask_epi8(high) == 0;
        for (i, &c) in buf[at..].iter().enumerate() {
            if c == b'\n' || c == b'\r' {
                return Scan::End(LineEnd { at: at + i, ascii });
            }
            ascii &= c.is_ascii();
        }
        Scan::Open { ascii }
    }
}

#[cfg(target_arch = "x86_64")]
mod sse2 {
    use super::{long_scan, scalar_scan, LineEnd, Scan, LONG_LINE};
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
    pub(super) fn scan(buf: &[u8], pos: usize) -> Scan {
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
                    return Scan::End(LineEnd {
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
                    return Scan::End(LineEnd {
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
                    return Scan::End(LineEnd {
                        at: at + hit.trailing_zeros() as usize,
                        ascii: _mm_movemask_epi8(high) == 0,
                    });
                }
                at += V;
            }
            if limit < len {
                return long_scan(buf, at, _mm_movemask_epi8(high) == 0);
            }
            if at == len {
                // Every byte from `pos` was loaded.
                return Scan::Open {
                    ascii: _mm_movemask_epi8(high) == 0,
                };
            }
            if len < V {
                return scalar_scan(buf, pos, at);
            }
            // The short rest: the last 16 bytes of the buffer, shifted so bit 0 is `at`.
            let v = load(len - V);
            high = _mm_or_si128(high, v);
            let hit = _mm_movemask_epi8(ends(v, lf, cr)) as u32 >> (V - (len - at));
            let ascii = _mm_movemask_epi8(high) == 0;
            if hit == 0 {
                // `v` holds the last 16 bytes, so every byte from `at` on.
                return Scan::Open { ascii };
            }
            Scan::End(LineEnd {
                at: at + hit.trailing_zeros() as usize,
                ascii,
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
            if let Scan::Open { ascii: true } = scan(&buf, pos.min(buf.len())) {
                prop_assert!(buf[pos.min(buf.len())..].is_ascii(), "open rest said ASCII");
            }
        }

        #[test]
        fn long_lines_are_said_ascii_only_when_they_are_and_always_when_they_are(
            len in 0usize..5000,
            stray in proptest::option::of((0usize..5000, 0x80u8..=0xFF)),
            end in proptest::option::of((0usize..5000, any::<bool>())),
            from in 0usize..5000,
        ) {
            let mut buf = vec![b'x'; len];
            if let Some((at, b)) = stray {
                if let Some(slot) = buf.get_mut(at) {
                    *slot = b;
                }
            }
            if let Some((at, cr)) = end {
                if let Some(slot) = buf.get_mut(at) {
                    *slot = if cr { b'\r' } else { b'\n' };
                }
            }
            let from = from.min(len);
            let want_end = want_ends(&buf, from).first().copied();
            let line = &buf[from..want_end.unwrap_or(len)];
            let said = match scan(&buf, from) {
                Scan::End(e) => {
                    prop_assert_eq!(Some(e.at), want_end);
                    e.ascii
                }
                Scan::Open { ascii } => {
                    prop_assert_eq!(None, want_end);
                    ascii
                }
            };
            if said {
                prop_assert!(line.is_ascii(), "said ASCII: {} bytes from {}", line.len(), from);
            }
            #[cfg(target_arch = "x86_64")]
            if buf.is_ascii() && std::is_x86_feature_detected!("avx2") {
                prop_assert!(said, "an all-ASCII line of {} bytes not said ASCII", line.len());
            }
        }
    }
}
