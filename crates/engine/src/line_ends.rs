//! Finding CR and LF in a read, for the parser's line cutting.
//!
//! SSE lines are short (an id, an event type, one data line), so calling a SIMD search once
//! per line pays its setup every ~30 bytes. Instead, one 64-byte block at a time is turned into
//! a bit mask of line-end positions, and successive lines pop bits off it.

/// Iterates over the positions of CR and LF bytes in a buffer, in order.
pub(crate) struct LineEnds<'a> {
    buf: &'a [u8],
    /// Start of the block `mask` describes.
    block: usize,
    /// Bit `i` set: `buf[block + i]` is CR or LF and not yet returned.
    mask: u64,
}

const BLOCK: usize = 64;

impl<'a> LineEnds<'a> {
    /// Starts at `from`; nothing is scanned until the first call.
    pub(crate) fn new(buf: &'a [u8], from: usize) -> Self {
        LineEnds {
            buf,
            // One block "before" `from`, so the first call scans the block at `from`.
            block: from.wrapping_sub(BLOCK),
            mask: 0,
        }
    }

    /// The first line end at or after `pos` (which never moves backwards between calls).
    #[inline]
    pub(crate) fn next_from(&mut self, pos: usize) -> Option<usize> {
        loop {
            if self.mask != 0 {
                let at = self.block + self.mask.trailing_zeros() as usize;
                self.mask &= self.mask - 1;
                if at >= pos {
                    return Some(at);
                }
                continue;
            }
            let next = self.block.wrapping_add(BLOCK);
            if next >= self.buf.len() {
                return None;
            }
            self.block = next;
            self.mask = block_mask(self.buf, next);
        }
    }
}

/// The line-end mask of the (up to) 64 bytes of `buf` from `at`.
#[inline]
fn block_mask(buf: &[u8], at: usize) -> u64 {
    let rest = buf.len() - at;
    if rest >= BLOCK {
        simd_mask(&buf[at..at + BLOCK])
    } else if buf.len() >= BLOCK {
        // The short last block of a read (one event per read always ends in one): the 64
        // bytes that end the buffer, shifted so bit 0 is `at`, instead of a loop per byte.
        simd_mask(&buf[buf.len() - BLOCK..]) >> (BLOCK - rest)
    } else {
        scalar_mask(&buf[at..])
    }
}

fn scalar_mask(b: &[u8]) -> u64 {
    b.iter().take(BLOCK).enumerate().fold(0u64, |m, (i, &c)| {
        m | (u64::from(c == b'\n' || c == b'\r') << i)
    })
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn simd_mask(b: &[u8]) -> u64 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    debug_assert!(b.len() >= BLOCK);
    // SAFETY: SSE2 is part of the x86_64 baseline, and each unaligned 16-byte load reads
    // inside `b`, which holds at least 64 bytes.
    unsafe {
        let lf = _mm_set1_epi8(b'\n' as i8);
        let cr = _mm_set1_epi8(b'\r' as i8);
        let mut mask = 0u64;
        for i in 0..4 {
            let v = _mm_loadu_si128(b.as_ptr().add(i * 16) as *const __m128i);
            let hit = _mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr));
            mask |= u64::from(_mm_movemask_epi8(hit) as u16) << (i * 16);
        }
        mask
    }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn simd_mask(b: &[u8]) -> u64 {
    scalar_mask(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn all_ends(buf: &[u8], from: usize) -> Vec<usize> {
        let mut it = LineEnds::new(buf, from);
        let mut out = Vec::new();
        let mut pos = from;
        while let Some(e) = it.next_from(pos) {
            out.push(e);
            pos = e + 1;
        }
        out
    }

    proptest! {
        #[test]
        fn finds_exactly_the_cr_and_lf_bytes(
            buf in proptest::collection::vec(prop_oneof![Just(b'\n'), Just(b'\r'), Just(b'a'), any::<u8>()], 0..400),
            from in 0usize..400,
        ) {
            let from = from.min(buf.len());
            let want: Vec<usize> = (from..buf.len()).filter(|&i| buf[i] == b'\n' || buf[i] == b'\r').collect();
            prop_assert_eq!(all_ends(&buf, from), want);
        }

        #[test]
        fn the_last_short_block_of_a_long_buffer_finds_its_ends(
            head in 64usize..200,
            tail in proptest::collection::vec(prop_oneof![Just(b'\n'), Just(b'\r'), Just(b'x')], 1..64),
        ) {
            // Line ends before `from` must not leak into the shifted mask of the last block.
            let mut buf = vec![b'\n'; head];
            buf.extend_from_slice(&tail);
            let from = buf.len() - tail.len();
            let want: Vec<usize> = (from..buf.len()).filter(|&i| buf[i] == b'\n' || buf[i] == b'\r').collect();
            prop_assert_eq!(all_ends(&buf, from), want);
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
            let want: Vec<usize> = (from..len).filter(|&i| buf[i] == b'\n' || buf[i] == b'\r').collect();
            prop_assert_eq!(all_ends(&buf, from), want);
        }

        #[test]
        fn skipping_ahead_skips_earlier_ends(buf in proptest::collection::vec(prop_oneof![Just(b'\n'), Just(b'x')], 0..300), skip in 0usize..300) {
            let mut it = LineEnds::new(&buf, 0);
            let want = (skip..buf.len()).find(|&i| buf[i] == b'\n');
            prop_assert_eq!(it.next_from(skip), want);
        }
    }
}
