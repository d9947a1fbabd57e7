//! Reads handed over owned, as an HTTP client hands them to whoever parses its body (reqwest's
//! `bytes_stream`, which `sse-stream`'s and `sseer`'s own docs build on, and the engine's
//! connection): each read a `Bytes` handle on the client's read buffer. Making the handles is
//! the client's work, so it is left out of the time; dropping them (by the parser, or by an
//! event that keeps one) is counted. Handles are made a batch at a time, with the clock
//! stopped, so the memory stays small (W5 has 19 million reads).

use crate::cpu_time;
use bytes::Bytes;
use std::cell::Cell;
use std::time::Duration;

/// Reads made per batch.
const BATCH: usize = 4096;

/// The thread's CPU time from `start` to `stop`, less the pauses.
pub struct Clock {
    spent: Cell<Duration>,
    since: Cell<Duration>,
}

impl Clock {
    pub fn start() -> Clock {
        Clock {
            spent: Cell::new(Duration::ZERO),
            since: Cell::new(cpu_time::thread_now()),
        }
    }

    fn pause(&self) {
        let now = cpu_time::thread_now();
        self.spent
            .set(self.spent.get() + now.saturating_sub(self.since.get()));
    }

    fn resume(&self) {
        self.since.set(cpu_time::thread_now());
    }

    /// The CPU time counted since `start`.
    pub fn stop(&self) -> Duration {
        self.pause();
        self.spent.get()
    }
}

/// Owned reads, made a batch at a time with `clock` paused.
pub struct TimedReads<'a> {
    chunks: std::slice::Iter<'a, Bytes>,
    batch: std::vec::IntoIter<Bytes>,
    clock: &'a Clock,
}

impl<'a> TimedReads<'a> {
    pub fn new(chunks: &'a [Bytes], clock: &'a Clock) -> Self {
        TimedReads {
            chunks: chunks.iter(),
            batch: Vec::new().into_iter(),
            clock,
        }
    }
}

impl Iterator for TimedReads<'_> {
    type Item = Bytes;

    #[inline]
    fn next(&mut self) -> Option<Bytes> {
        if let Some(read) = self.batch.next() {
            return Some(read);
        }
        // Out of handles: the clock stops while the client makes the next batch.
        self.clock.pause();
        let batch: Vec<Bytes> = self.chunks.by_ref().take(BATCH).cloned().collect();
        self.batch = batch.into_iter();
        self.clock.resume();
        self.batch.next()
    }
}
