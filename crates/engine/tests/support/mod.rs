//! Runs one connection and reads what it emitted, for the connection and supervisor tests.
#![allow(dead_code)]

use std::time::Duration;
use streamwatch_engine::connection::{self, ConnectionState, Outcome};
use streamwatch_engine::{Lifecycle, SubscriptionConfig};
use tokio::sync::mpsc;

/// Runs a connection until `done` says so (or it ends), returning what it emitted, leaving
/// out `connecting` so tests read like the CLI's contract.
pub async fn run_until(
    config: &SubscriptionConfig,
    limit: Duration,
    done: impl FnMut(&[Lifecycle]) -> bool,
) -> (Vec<Lifecycle>, Option<Outcome>) {
    let (mut events, outcome) = run_until_all(config, limit, done).await;
    events.retain(|e| !matches!(e, Lifecycle::Connecting { .. }));
    (events, outcome)
}

/// Like [`run_until`], keeping every event.
pub async fn run_until_all(
    config: &SubscriptionConfig,
    limit: Duration,
    mut done: impl FnMut(&[Lifecycle]) -> bool,
) -> (Vec<Lifecycle>, Option<Outcome>) {
    // The subscription's own proxy and TLS settings, as the supervisor builds them.
    let client = config.client.build_client().expect("client");
    let (tx, mut rx) = mpsc::unbounded_channel();
    let cfg = config.clone();
    let task = tokio::spawn(async move {
        let mut state = ConnectionState::new(&cfg);
        let mut tx = tx;
        connection::run(&client, &cfg, &mut state, &mut tx).await
    });
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if done(&events) {
            break;
        }
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(e)) => events.push(e),
            Ok(None) => break,
            Err(_) => panic!("timed out after {limit:?}; got {events:#?}"),
        }
    }
    let outcome = if task.is_finished() {
        task.await.ok()
    } else {
        task.abort();
        None
    };
    (events, outcome)
}

/// Collects messages' data.
pub fn messages(events: &[Lifecycle]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Lifecycle::Message { data, .. } => Some(data.to_string()),
            _ => None,
        })
        .collect()
}

/// Collects errors' messages.
pub fn error_messages(events: &[Lifecycle]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Lifecycle::Error { message, .. } => Some(message.clone()),
            _ => None,
        })
        .collect()
}

/// The names of the events, for sequence assertions.
pub fn names(events: &[Lifecycle]) -> Vec<&'static str> {
    events.iter().map(|e| e.name()).collect()
}

/// The `delay_ms` of every `retrying`.
pub fn delays(events: &[Lifecycle]) -> Vec<(u32, u64)> {
    events
        .iter()
        .filter_map(|e| match e {
            Lifecycle::Retrying { attempt, delay_ms } => Some((*attempt, *delay_ms)),
            _ => None,
        })
        .collect()
}

/// Counts events of one name.
pub fn count(events: &[Lifecycle], name: &str) -> usize {
    events.iter().filter(|e| e.name() == name).count()
}
