//! The events one connection speaks in, named as Datastar's `datastar-fetch` names them.

use crate::parser::Event;
use crate::shared_str::SharedStr;
use serde::Serialize;

/// Why a connection attempt or a stream failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    /// DNS, connect, TLS or a body read failed.
    Network,
    /// The server answered with a status we do not stream from.
    HttpStatus,
    /// The response was not `text/event-stream`.
    ContentType,
    /// No byte arrived within the idle timeout.
    Timeout,
    /// The stream broke a protocol limit (an oversized event).
    Protocol,
}

impl ErrorKind {
    /// The kebab-case name used on the wire and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Network => "network",
            ErrorKind::HttpStatus => "http-status",
            ErrorKind::ContentType => "content-type",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Protocol => "protocol",
        }
    }
}

/// One thing that happened to a subscription.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Lifecycle {
    /// A request is being made (first connect or a retry).
    Connecting {
        /// The failed attempts before this one.
        attempt: u32,
    },
    /// A response with an event stream was accepted.
    Started {
        /// The URL after redirects.
        url: String,
        /// The HTTP status.
        status: u16,
    },
    /// An event arrived.
    Message {
        /// The event type.
        event: SharedStr,
        /// The data.
        data: SharedStr,
        /// The last event id ("" when none).
        id: SharedStr,
        /// The server re-sent an event already received (see [`crate::continuity`]); absent
        /// from JSON when false, so the usual shape is unchanged.
        #[serde(default, skip_serializing_if = "is_false")]
        replayed: bool,
        /// The data does not match its expected JSON Schema (see [`crate::expectations`]):
        /// the first error in words. Absent from JSON when it matches or none applies.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mismatch: Option<SharedStr>,
    },
    /// A comment line arrived.
    Comment {
        /// The comment text.
        text: SharedStr,
    },
    /// Integer ids jumped after a reconnect: events were missed.
    Gap {
        /// The last id received before the jump.
        after: u64,
        /// The first id received after it.
        next: u64,
        /// How many events were missed.
        missed: u64,
    },
    /// Integer ids went backwards without replaying: the server's counter started again.
    /// Events after it are delivered as usual.
    Reset {
        /// The id we had before.
        last: u64,
        /// The id that arrived.
        first: u64,
    },
    /// The server changed the reconnection delay with `retry:`.
    RetryChanged {
        /// The new base delay.
        retry_ms: u64,
    },
    /// Something failed.
    Error {
        /// What kind of failure.
        kind: ErrorKind,
        /// A human-readable description.
        message: String,
        /// The HTTP status, for HTTP failures.
        #[serde(skip_serializing_if = "Option::is_none")]
        status: Option<u16>,
        /// Whether the connection will be retried.
        will_retry: bool,
    },
    /// The stream ended (cleanly, by an error, or by a 204).
    Finished,
    /// A reconnection is scheduled.
    Retrying {
        /// Consecutive failed attempts so far, counting from 1.
        attempt: u32,
        /// The wait actually applied, `Retry-After` included.
        delay_ms: u64,
    },
    /// The retry budget is spent; the connection stops.
    RetriesFailed {
        /// How many retries were made.
        attempts: u32,
    },
}

impl Lifecycle {
    /// The event's name, as in the JSON `type` field.
    pub fn name(&self) -> &'static str {
        match self {
            Lifecycle::Connecting { .. } => "connecting",
            Lifecycle::Started { .. } => "started",
            Lifecycle::Message { .. } => "message",
            Lifecycle::Comment { .. } => "comment",
            Lifecycle::Gap { .. } => "gap",
            Lifecycle::Reset { .. } => "reset",
            Lifecycle::RetryChanged { .. } => "retry-changed",
            Lifecycle::Error { .. } => "error",
            Lifecycle::Finished => "finished",
            Lifecycle::Retrying { .. } => "retrying",
            Lifecycle::RetriesFailed { .. } => "retries-failed",
        }
    }
}

/// For serde: leaves a false flag out of JSON.
fn is_false(b: &bool) -> bool {
    !b
}

impl From<Event> for Lifecycle {
    fn from(e: Event) -> Self {
        Lifecycle::Message {
            event: e.event,
            data: e.data,
            id: e.id,
            replayed: false,
            mismatch: None,
        }
    }
}
