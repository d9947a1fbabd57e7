//! A read's bytes behind a reference count of the parser's own, so the many events one large
//! read completes are handed out with one atomic update per read rather than one per event.
//!
//! `Bytes` counts every handle with an atomic add; on the machines we measured an uncontended
//! one costs about as much as parsing a ~200-byte event. [`ReadLender`] instead reserves a
//! large number of references up front, hands them out with a plain counter, and gives back
//! the unused ones in one update when the read is done. Dropping a handle is still one atomic
//! update, as with `Bytes`: events are dropped one by one, often on another thread.

use bytes::Bytes;
use std::cell::Cell;
use std::ptr::NonNull;
use std::sync::atomic::{fence, AtomicUsize, Ordering};

/// References reserved per read: far more than a read can complete events (each needs at
/// least two bytes), so the reservation never runs out in practice; if it did, a handle is
/// counted the ordinary way.
const RESERVE: usize = usize::MAX / 4;

/// Past this count a clone aborts, as `Arc` does: only a leak of handles could get there.
const MAX_REFS: usize = usize::MAX / 2;

/// Lends before the first block: a read that completes one or two events costs what a `Bytes`
/// handle costs, without a block's allocation.
const PLAIN_LENDS: usize = 2;

/// The shared header: the read and how many handles (or reserved references) point at it.
struct Block {
    refs: AtomicUsize,
    /// Held only to keep the read alive while handles point into it.
    _read: Bytes,
}

/// The last byte of every [`BlockStr`]: `SharedStr` keeps a handle in the same 24 bytes as
/// its inline text, whose last byte is a length of at most 23, and tells them apart by it.
pub(crate) const BLOCK_TAG: u8 = 0xFF;

/// Text inside one read, kept alive by the read's block. Laid out in C order with no padding,
/// so that every byte is initialised and the last one is [`BLOCK_TAG`].
#[repr(C)]
pub(crate) struct BlockStr {
    block: NonNull<Block>,
    ptr: NonNull<u8>,
    len: u32,
    zero: [u8; 3],
    tag: u8,
}

const _: () = assert!(std::mem::size_of::<BlockStr>() == 24);

// SAFETY: the block is immutable apart from its atomic count, and `Bytes` is `Send + Sync`;
// the handle only reads the bytes the block keeps alive.
unsafe impl Send for BlockStr {}
// SAFETY: as above; `&BlockStr` gives only shared reads.
unsafe impl Sync for BlockStr {}

impl BlockStr {
    /// The bytes.
    #[inline]
    pub(crate) fn as_bytes(&self) -> &[u8] {
        // SAFETY: `ptr..ptr + len` lies inside the block's `bytes`, which this handle keeps
        // alive (its reference is counted), and `Bytes` never moves or changes its contents.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len as usize) }
    }

    /// The block's count, for tests.
    #[cfg(test)]
    fn refs(&self) -> usize {
        // SAFETY: the handle keeps the block alive.
        unsafe { self.block.as_ref() }.refs.load(Ordering::Acquire)
    }
}

impl Clone for BlockStr {
    #[inline]
    fn clone(&self) -> Self {
        // SAFETY: the handle keeps the block alive.
        let old = unsafe { self.block.as_ref() }
            .refs
            .fetch_add(1, Ordering::Relaxed);
        if old > MAX_REFS {
            std::process::abort();
        }
        BlockStr { ..*self }
    }
}

impl Drop for BlockStr {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: this handle holds one of the block's references.
        unsafe { release(self.block, 1) }
    }
}

/// Gives back `n` references; the last one frees the block (and drops its read).
///
/// # Safety
/// The caller holds `n` of the block's references and uses none of them afterwards.
#[inline]
unsafe fn release(block: NonNull<Block>, n: usize) {
    if n == 0 {
        // Holding nothing: the block may already be gone.
        return;
    }
    // SAFETY: the caller's references keep the block alive until this update.
    if unsafe { block.as_ref() }
        .refs
        .fetch_sub(n, Ordering::Release)
        != n
    {
        return;
    }
    // Every other holder's updates happen before the free (as in `Arc`'s drop).
    fence(Ordering::Acquire);
    // SAFETY: the count reached zero, so nobody else holds the block; it came from a `Box`.
    drop(unsafe { Box::from_raw(block.as_ptr()) });
}

/// Hands out handles on text inside one read for as long as the read is being parsed.
pub(crate) struct ReadLender<'a> {
    read: &'a Bytes,
    block: Cell<Option<NonNull<Block>>>,
    /// Handles given out: plain ones first, then references taken from the reservation.
    lent: Cell<usize>,
}

impl<'a> ReadLender<'a> {
    /// A lender for `read`; nothing is allocated until a block pays for itself.
    #[inline]
    pub(crate) fn new(read: &'a Bytes) -> Self {
        ReadLender {
            read,
            block: Cell::new(None),
            lent: Cell::new(0),
        }
    }

    /// The read this lender hands out text from.
    #[inline]
    pub(crate) fn read(&self) -> &'a Bytes {
        self.read
    }

    /// A handle on `text`, which must lie inside the read; `None` while the first few texts
    /// are better kept as plain `Bytes` handles (and for text over 4 GiB).
    #[inline]
    pub(crate) fn lend(&self, text: &[u8]) -> Option<BlockStr> {
        let start = text.as_ptr() as usize - self.read.as_ptr() as usize;
        assert!(
            start + text.len() <= self.read.len(),
            "text outside the read"
        );
        let len = u32::try_from(text.len()).ok()?;
        let lent = self.lent.get();
        self.lent.set(lent + 1);
        let block = match self.block.get() {
            Some(block) => {
                if lent - PLAIN_LENDS >= RESERVE {
                    // SAFETY: the lender's reservation keeps the block alive.
                    unsafe { block.as_ref() }
                        .refs
                        .fetch_add(1, Ordering::Relaxed);
                }
                block
            }
            None if lent < PLAIN_LENDS => return None,
            None => self.new_block(),
        };
        Some(BlockStr {
            block,
            // `text` is a slice, so its pointer is not null.
            ptr: NonNull::from(text).cast(),
            len,
            zero: [0; 3],
            tag: BLOCK_TAG,
        })
    }

    #[cold]
    fn new_block(&self) -> NonNull<Block> {
        let block = NonNull::from(Box::leak(Box::new(Block {
            refs: AtomicUsize::new(RESERVE),
            _read: self.read.clone(),
        })));
        self.block.set(Some(block));
        block
    }
}

impl Drop for ReadLender<'_> {
    #[inline]
    fn drop(&mut self) {
        if let Some(block) = self.block.get() {
            let taken = (self.lent.get() - PLAIN_LENDS).min(RESERVE);
            // SAFETY: the lender holds the references it reserved and did not hand out.
            unsafe { release(block, RESERVE - taken) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_lends_are_plain_then_one_block_serves_the_rest() {
        let read = Bytes::from(vec![b'x'; 100]);
        let lender = ReadLender::new(&read);
        assert!(lender.lend(&read[0..10]).is_none());
        assert!(lender.lend(&read[10..20]).is_none());
        let a = lender.lend(&read[20..30]).expect("a block from the third");
        let b = lender.lend(&read[30..100]).expect("the same block");
        assert_eq!(a.block, b.block);
        assert_eq!(b.as_bytes(), &read[30..100]);
        assert_eq!(
            b.as_bytes().as_ptr(),
            read[30..].as_ptr(),
            "shared, not copied"
        );
        drop(lender);
        // Only the two handles are left on the block once the reservation is given back.
        assert_eq!(a.refs(), 2);
    }

    #[test]
    fn handles_outlive_the_lender_and_the_read_and_free_it_once() {
        let read = Bytes::from(b"0123456789abcdef".repeat(8));
        let weak_ptr = read.as_ptr();
        let handles: Vec<BlockStr> = {
            let lender = ReadLender::new(&read);
            (0..20)
                .filter_map(|i| lender.lend(&read[i..i + 30]))
                .collect()
        };
        drop(read);
        assert_eq!(handles.len(), 18);
        let clones: Vec<BlockStr> = handles.iter().map(Clone::clone).collect();
        assert_eq!(handles[0].refs(), 36);
        // Dropped on other threads, as events are.
        let threads: Vec<_> = handles
            .into_iter()
            .map(|h| std::thread::spawn(move || h.as_bytes().len()))
            .collect();
        for t in threads {
            assert_eq!(t.join().expect("thread"), 30);
        }
        assert_eq!(clones[0].refs(), 18);
        // The third lend (at 2) was the first from the block, so handle 5 is the one at 7.
        assert_eq!(clones[5].as_bytes(), &b"0123456789abcdef".repeat(8)[7..37]);
        assert_eq!(clones[0].as_bytes().as_ptr(), weak_ptr.wrapping_add(2));
    }

    #[test]
    fn a_lender_that_made_a_block_and_kept_nothing_frees_it() {
        let read = Bytes::from(vec![b'y'; 64]);
        let lender = ReadLender::new(&read);
        for i in 0..5 {
            drop(lender.lend(&read[i..i + 1]));
        }
        drop(lender);
        // The read is the only holder again: `Bytes` can hand back its vector without a copy.
        assert!(read.try_into_mut().is_ok());
    }
}
