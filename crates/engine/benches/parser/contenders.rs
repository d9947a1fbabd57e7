//! The parsers compared, and the speed-of-light line scan beside them.

use crate::cpu_time;
use crate::owned_reads::{Clock, TimedReads};
use crate::support::ours::OwnedFeeder;
use crate::support::tally::Tally;
use crate::support::workloads::Chunks;
use crate::support::{eventsource_peer, line_scan, ours, sse_stream_peer, sseer_peer};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Contender {
    /// Events looked at in place (`FrameRef`).
    Ours,
    /// Owned reads in, owned events (`Frame`) out: `Parser::feed`, as the engine's connection
    /// calls it.
    OursOwned,
    SseStream,
    EventsourceClient,
    Sseer,
    /// `memchr_iter(b'\n', ..).count()`: no parser can find lines faster than this.
    LineScan,
}

/// The parsers, for rows without the line scan.
pub const PARSERS: &[Contender] = &[
    Contender::Ours,
    Contender::OursOwned,
    Contender::SseStream,
    Contender::EventsourceClient,
    Contender::Sseer,
];

/// The parsers and the line scan.
pub const ALL: &[Contender] = &[
    Contender::Ours,
    Contender::OursOwned,
    Contender::SseStream,
    Contender::EventsourceClient,
    Contender::Sseer,
    Contender::LineScan,
];

impl Contender {
    pub fn name(self) -> &'static str {
        match self {
            Contender::Ours => "ours",
            Contender::OursOwned => "ours-owned",
            Contender::SseStream => "sse-stream",
            Contender::EventsourceClient => "eventsource-client",
            Contender::Sseer => "sseer",
            Contender::LineScan => "memchr LF scan",
        }
    }

    pub fn is_peer(self) -> bool {
        matches!(
            self,
            Contender::SseStream | Contender::EventsourceClient | Contender::Sseer
        )
    }

    /// Runs once over `chunks`, and the thread CPU time the parsing took. For the line scan,
    /// `events` counts lines instead.
    /// `ours-owned`, `sse-stream` and `sseer` are handed owned reads (see `owned_reads`), as in
    /// real use; `ours` is lent them, and `eventsource-client`'s transport clones them itself.
    pub fn run_timed(self, chunks: &Chunks) -> (Tally, Duration) {
        let owned = |parse: fn(TimedReads<'_>) -> Tally| {
            let clock = Clock::start();
            let tally = parse(TimedReads::new(chunks, &clock));
            (tally, clock.stop())
        };
        match self {
            Contender::OursOwned => {
                return owned(|reads| {
                    let mut feeder = OwnedFeeder::new();
                    feeder.feed_all(reads);
                    feeder.finish()
                })
            }
            Contender::SseStream => return owned(|reads| sse_stream_peer::parse_reads(reads)),
            Contender::Sseer => return owned(|reads| sseer_peer::parse_reads(reads)),
            _ => {}
        }
        let start = cpu_time::thread_now();
        let tally = self.run(chunks);
        (tally, cpu_time::thread_now().saturating_sub(start))
    }

    /// Runs once over `chunks`.
    fn run(self, chunks: &Chunks) -> Tally {
        match self {
            Contender::Ours => ours::parse(chunks),
            Contender::OursOwned => self.run_timed(chunks).0,
            Contender::SseStream => sse_stream_peer::parse(chunks),
            Contender::EventsourceClient => eventsource_peer::parse(chunks),
            Contender::Sseer => sseer_peer::parse(chunks),
            Contender::LineScan => Tally {
                events: line_scan::count_lines(chunks),
                data_bytes: 0,
            },
        }
    }
}
