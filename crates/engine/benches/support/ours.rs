//! Drives our parser, one `feed_ref` per read (it borrows the read, so the driver needs no
//! clone of it), in two ways:
//! - `parse`: each event looked at where it lies (`FrameRef`), as a consumer that only
//!   inspects events (a filter, a counter) would;
//! - `parse_owned`: each event made owned (`into_owned`) and dropped: the cost of a consumer
//!   that keeps events but is only lent the reads;
//! - [`OwnedFeeder`]: what `connection::stream_body` does, `Parser::feed` given each read owned
//!   (as the HTTP client hands them over) and each owned event dropped.

use super::tally::Tally;
use bytes::Bytes;
use std::hint::black_box;
use streamwatch_engine::parser::{Frame, FrameRef, Parser};

/// Parses `chunks` in order and counts the events, looking at each one in place.
pub fn parse(chunks: &[Bytes]) -> Tally {
    let mut parser = Parser::new();
    let mut tally = Tally::default();
    for chunk in chunks {
        parser
            .feed_ref(chunk, |frame| {
                if let FrameRef::Event(event) = frame {
                    tally.event(black_box(event).data().len());
                }
            })
            .expect("the workloads are within the event size cap");
    }
    tally
}

/// Parses `chunks` in order and counts the events, making each one owned.
pub fn parse_owned(chunks: &[Bytes]) -> Tally {
    let mut parser = Parser::new();
    let mut tally = Tally::default();
    for chunk in chunks {
        parser
            .feed_ref(chunk, |frame| {
                if let FrameRef::Event(event) = frame {
                    tally.event(black_box(event.into_owned()).data.len());
                }
            })
            .expect("the workloads are within the event size cap");
    }
    tally
}

/// Feeds owned reads to `Parser::feed`, as the engine's connection does, counting the events.
#[derive(Default)]
pub struct OwnedFeeder {
    parser: Parser,
    tally: Tally,
}

impl OwnedFeeder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds `reads` in order; each read is dropped by the parser (or kept by an event).
    pub fn feed_all(&mut self, reads: impl Iterator<Item = Bytes>) {
        for read in reads {
            let tally = &mut self.tally;
            self.parser
                .feed(read, |frame| {
                    if let Frame::Event(event) = frame {
                        tally.event(black_box(event).data.len());
                    }
                })
                .expect("the workloads are within the event size cap");
        }
    }

    pub fn finish(self) -> Tally {
        self.tally
    }
}
