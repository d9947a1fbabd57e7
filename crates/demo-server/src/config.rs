//! Server-wide defaults for every knob; a request's query parameters override them.

use std::time::Duration;

/// Server-wide settings; each field is the default for the query parameter of the same meaning.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoConfig {
    /// Events per second; 0 means "as fast as the socket takes them".
    pub rate: f64,
    /// Approximate length in bytes of each event's `data:` line.
    pub size: usize,
    /// Event types, cycled through by event number.
    pub event_types: Vec<String>,
    /// How many already-published events a resuming client can still get.
    pub replay: usize,
    /// Interval of `: heartbeat` comments while a stream is idle; `None` disables them.
    pub heartbeat: Option<Duration>,
    /// A `retry:` field sent before the first event.
    pub retry_ms: Option<u64>,
    /// End each response cleanly (the final chunk) after this many events: a planned close,
    /// after which a client reconnects as for any server-closed stream.
    pub close_after: Option<u64>,
    /// Drop the connection abruptly after this many events: the body is cut off mid-stream
    /// (no final chunk), which a client sees as a broken body.
    pub abort_after: Option<u64>,
    /// Go silent (no events, no heartbeats) after this many events, keeping the connection open.
    pub stall_after: Option<u64>,
    /// Status sequence for successive requests; empty means always 200.
    pub status: Vec<u16>,
    /// A Content-Type to send instead of `text/event-stream`.
    pub content_type: Option<String>,
    /// Write the body one byte at a time, this far apart.
    pub trickle: Option<Duration>,
    /// Skip one id after every this many ids (ids that are multiples of `skip + 1`).
    pub skip: Option<u64>,
    /// The pause before each token of the LLM endpoints (`token_ms`).
    pub llm_token: Duration,
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            rate: 10.0,
            size: 100,
            event_types: vec!["tick".to_owned()],
            replay: 10_000,
            heartbeat: Some(Duration::from_secs(15)),
            retry_ms: None,
            close_after: None,
            abort_after: None,
            stall_after: None,
            status: Vec::new(),
            content_type: None,
            trickle: None,
            skip: None,
            // About the pace of a hosted model's answer.
            llm_token: Duration::from_millis(30),
        }
    }
}
