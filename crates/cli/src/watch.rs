//! `streamwatch watch`: runs one subscription on the engine and prints its lifecycle until it
//! ends, the `--count` is reached, or nobody reads the output any more.

use std::io::{self, Write};

use jiff::Timestamp;
use streamwatch_engine::connection::{run, ConnectionState, EventSink, Outcome};
use streamwatch_engine::{Lifecycle, SubscriptionConfig};
use tokio::sync::mpsc;

use crate::output::Printer;
use crate::reconnect_signal;

/// Events the engine may read ahead of a slow terminal before it waits for the printer.
const QUEUE_LEN: usize = 256;

/// Why a watch ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchEnd {
    /// `--count` message events were printed.
    CountReached,
    /// The server answered 204: nothing more to stream.
    NoContent,
    /// A failure that retrying cannot fix (reported just before).
    Fatal,
    /// `--max-retries` consecutive retries failed.
    GaveUp,
    /// The stream ended cleanly and `--reconnect` (error or never) says it is done.
    Finished,
    /// It failed and `--reconnect never` says not to try again.
    NotReconnected,
    /// Stdout was closed (e.g. `| head`): nobody is reading, so there is nothing left to do.
    OutputClosed,
}

/// A watch that could not run or could not report.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// The HTTP client could not be built (e.g. no usable TLS roots).
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
    /// The reconnect signal (SIGUSR1) could not be watched.
    #[error("cannot watch for SIGUSR1: {0}")]
    Signal(String),
    /// Stdout failed for a reason other than a closed pipe.
    #[error("cannot write the output")]
    Output(#[source] io::Error),
}

/// Stamps each event as the engine emits it, so queueing cannot skew the printed time.
struct StampingSink(mpsc::Sender<(Timestamp, Lifecycle)>);

impl EventSink for StampingSink {
    async fn emit(&mut self, event: Lifecycle) {
        // A closed receiver means the printer is done; the engine future is about to be dropped.
        let _ = self.0.send((Timestamp::now(), event)).await;
    }
}

/// Counts message events against `--count`.
struct Counter {
    seen: u64,
    limit: Option<u64>,
}

impl Counter {
    /// Notes one printed event; true once the limit is reached.
    fn reached_after(&mut self, event: &Lifecycle) -> bool {
        if matches!(event, Lifecycle::Message { .. }) {
            self.seen += 1;
        }
        self.limit.is_some_and(|limit| self.seen >= limit)
    }
}

/// Watches `config`, printing every event, until one of the [`WatchEnd`]s. Each of
/// `reconnects` drops the connection (or the wait before the next one) and connects again at
/// once from the last id seen, with a fresh retry budget.
pub async fn watch<W: Write>(
    config: SubscriptionConfig,
    mut printer: Printer<W>,
    count: Option<u64>,
    mut reconnects: reconnect_signal::Requests,
) -> Result<WatchEnd, WatchError> {
    // The stream's own proxy and TLS settings (the environment's proxy when it has none).
    let client = config
        .client
        .build_client()
        .map_err(|e| WatchError::Client(e.to_string()))?;
    let (tx, mut rx) = mpsc::channel(QUEUE_LEN);
    let engine = async move {
        let mut state = ConnectionState::new(&config);
        let mut sink = StampingSink(tx);
        loop {
            // Dropping `run` mid-stream is safe: the state keeps the last id it dispatched.
            tokio::select! {
                outcome = run(&client, &config, &mut state, &mut sink) => return outcome,
                Some(()) = reconnects.recv() => state.failures = 0,
            }
        }
        // The sink (and so the sender) is dropped on return, which lets the drain below finish.
    };
    tokio::pin!(engine);
    let mut counter = Counter {
        seen: 0,
        limit: count,
    };
    // Printing first (`biased`) keeps the queue short; returning drops the engine, which is
    // how the engine is stopped.
    let outcome = loop {
        tokio::select! {
            biased;
            Some((at, event)) = rx.recv() => {
                if let Some(end) = show(&mut printer, &mut counter, at, &event)? {
                    return Ok(end);
                }
            }
            outcome = &mut engine => break outcome,
        }
    };
    // The engine has ended; what it emitted last is still queued.
    while let Ok((at, event)) = rx.try_recv() {
        if let Some(end) = show(&mut printer, &mut counter, at, &event)? {
            return Ok(end);
        }
    }
    let (end, summary) = match outcome {
        Outcome::NoContent => (WatchEnd::NoContent, None),
        Outcome::Fatal => (WatchEnd::Fatal, None),
        Outcome::GaveUp { .. } => (WatchEnd::GaveUp, None),
        Outcome::Finished { summary } => (WatchEnd::Finished, Some(summary)),
        Outcome::NotReconnected { summary } => (WatchEnd::NotReconnected, summary),
    };
    // The run's figures come last, after its `finished` or `error`.
    if let Some(summary) = summary {
        match printer.print_summary(Timestamp::now(), &summary) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(WatchEnd::OutputClosed),
            Err(e) => return Err(WatchError::Output(e)),
        }
    }
    Ok(end)
}

/// Prints one event; `Some` when the watch should end because of it.
fn show<W: Write>(
    printer: &mut Printer<W>,
    counter: &mut Counter,
    at: Timestamp,
    event: &Lifecycle,
) -> Result<Option<WatchEnd>, WatchError> {
    match printer.print(at, event) {
        Ok(()) => Ok(counter
            .reached_after(event)
            .then_some(WatchEnd::CountReached)),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(Some(WatchEnd::OutputClosed)),
        Err(e) => Err(WatchError::Output(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message() -> Lifecycle {
        Lifecycle::Message {
            event: "message".into(),
            data: "x".into(),
            id: "".into(),
            replayed: false,
            mismatch: None,
        }
    }

    #[test]
    fn only_messages_count() {
        let mut c = Counter {
            seen: 0,
            limit: Some(2),
        };
        assert!(!c.reached_after(&Lifecycle::Finished));
        assert!(!c.reached_after(&message()));
        assert!(!c.reached_after(&Lifecycle::Comment { text: "".into() }));
        assert!(c.reached_after(&message()));
    }

    #[test]
    fn no_limit_never_ends() {
        let mut c = Counter {
            seen: 0,
            limit: None,
        };
        assert!((0..1000).all(|_| !c.reached_after(&message())));
    }
}
