//! Drives our parser the way `connection::stream_body` does: one `feed` per read, each event
//! looked at and dropped.

use super::tally::Tally;
use bytes::Bytes;
use std::hint::black_box;
use streamwatch_engine::parser::{Frame, Parser};

/// Parses `chunks` in order and counts the events.
pub fn parse(chunks: &[Bytes]) -> Tally {
    let mut parser = Parser::new();
    let mut tally = Tally::default();
    for chunk in chunks {
        parser
            .feed(chunk.clone(), |frame| {
                if let Frame::Event(event) = frame {
                    tally.event(black_box(event).data.len());
                }
            })
            .expect("the workloads are within the event size cap");
    }
    tally
}
