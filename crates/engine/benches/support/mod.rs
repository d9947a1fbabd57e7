//! Code shared by the benches (each includes it with `#[path]`): the workloads and one driver
//! per parser.
// Each bench binary uses only part of this module.
#![allow(dead_code)]

pub mod eventsource_peer;
pub mod line_scan;
pub mod ours;
pub mod sse_stream_peer;
pub mod sseer_peer;
pub mod tally;
pub mod workloads;
