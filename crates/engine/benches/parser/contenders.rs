//! The parsers compared, and the speed-of-light line scan beside them.

use crate::support::tally::Tally;
use crate::support::workloads::Chunks;
use crate::support::{eventsource_peer, line_scan, ours, sse_stream_peer, sseer_peer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Contender {
    /// Events looked at in place (`FrameRef`).
    Ours,
    /// Events made owned (`Frame`), as the engine's connection forwards them.
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

    /// Runs once over `chunks`. For the line scan, `events` counts lines instead.
    pub fn run(self, chunks: &Chunks) -> Tally {
        match self {
            Contender::Ours => ours::parse(chunks),
            Contender::OursOwned => ours::parse_owned(chunks),
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
