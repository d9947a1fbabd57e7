//! The rows of the comparison: a workload fed in reads of one size, and who runs on it.

use crate::contenders::{Contender, ALL, PARSERS};
use crate::support::workloads::READ_SIZE;

/// One workload × read size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Row {
    /// W1 in 64 KiB reads.
    Ticks,
    /// W1 in one read: the ceiling when nothing straddles reads.
    TicksWhole,
    /// W2 in 64 KiB reads.
    Multiline,
    /// W3 in 64 KiB reads.
    TicksCrlf,
    /// W4 in 64 KiB reads.
    Large,
    /// W5: W1 in 7-byte reads (a trickling server, or a proxy that flushes every write).
    TicksTinyReads,
    /// W5: W1 in 16 KiB reads (a TLS record's worth).
    TicksMidReads,
    /// W6: LLM token deltas in 16 KiB reads.
    TokensMidReads,
    /// W6: LLM token deltas, one event per read (the server flushes every token).
    TokensPerEvent,
}

pub const ALL_ROWS: &[Row] = &[
    Row::Ticks,
    Row::TicksWhole,
    Row::Multiline,
    Row::TicksCrlf,
    Row::Large,
    Row::TicksTinyReads,
    Row::TicksMidReads,
    Row::TokensMidReads,
    Row::TokensPerEvent,
];

impl Row {
    /// Short label for the summary table.
    pub fn label(self) -> &'static str {
        match self {
            Row::Ticks => "W1 64 KiB reads",
            Row::TicksWhole => "W1 one read",
            Row::Multiline => "W2 64 KiB reads",
            Row::TicksCrlf => "W3 64 KiB reads",
            Row::Large => "W4 64 KiB reads",
            Row::TicksTinyReads => "W5 7 B reads",
            Row::TicksMidReads => "W5 16 KiB reads",
            Row::TokensMidReads => "W6 16 KiB reads",
            Row::TokensPerEvent => "W6 event/read",
        }
    }

    /// Criterion group name (also its directory under `criterion/`).
    pub fn group(self) -> &'static str {
        match self {
            Row::Ticks => "W1-ticks-64KiB",
            Row::TicksWhole => "W1-ticks-whole",
            Row::Multiline => "W2-multiline-64KiB",
            Row::TicksCrlf => "W3-ticks-crlf-64KiB",
            Row::Large => "W4-64KiB-lines-64KiB",
            Row::TicksTinyReads => "W5-ticks-7B",
            Row::TicksMidReads => "W5-ticks-16KiB",
            Row::TokensMidReads => "W6-tokens-16KiB",
            Row::TokensPerEvent => "W6-tokens-event-per-read",
        }
    }

    /// The size of each read the input is split into (`None`: one read per event).
    pub fn read_size(self) -> Option<usize> {
        Some(match self {
            Row::TokensPerEvent => return None,
            Row::TicksWhole => usize::MAX,
            Row::TicksTinyReads => 7,
            Row::TicksMidReads | Row::TokensMidReads => 16 * 1024,
            Row::Ticks | Row::Multiline | Row::TicksCrlf | Row::Large => READ_SIZE,
        })
    }

    /// Who runs on this row: everyone on W1, only us on the one-read ceiling.
    pub fn contenders(self) -> &'static [Contender] {
        match self {
            Row::Ticks => ALL,
            Row::TicksWhole => &[Contender::Ours, Contender::OursOwned],
            _ => PARSERS,
        }
    }
}
