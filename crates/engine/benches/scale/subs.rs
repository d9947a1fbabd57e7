//! Adding many subscriptions and waiting for them to open.

use std::time::{Duration, Instant};
use streamwatch_engine::monitor::Monitor;
use streamwatch_engine::storage::SubscriptionRecord;
use streamwatch_engine::{State, SubscriptionId};

pub type Error = Box<dyn std::error::Error>;

/// A wave of subscriptions that does not take this long to open has stalled.
const OPEN_LIMIT: Duration = Duration::from_secs(120);

/// Adds `count` subscriptions to `url`, `wave` at a time, each wave waited for until every
/// subscription so far is open (a thousand connects at once stay within the server's accept
/// backlog). Returns their ids.
pub async fn add_and_open(
    monitor: &Monitor,
    prefix: &str,
    url: &str,
    count: usize,
    wave: usize,
) -> Result<Vec<SubscriptionId>, Error> {
    let mut ids = Vec::with_capacity(count);
    while ids.len() < count {
        let n = wave.min(count - ids.len());
        for i in ids.len()..ids.len() + n {
            let record = SubscriptionRecord::new(format!("{prefix}-{i}"), url);
            ids.push(monitor.add(&record)?);
        }
        wait_open(monitor, ids.len()).await?;
    }
    Ok(ids)
}

/// Waits until `expected` subscriptions are open.
pub async fn wait_open(monitor: &Monitor, expected: usize) -> Result<(), Error> {
    let start = Instant::now();
    loop {
        let open = count_open(monitor);
        if open >= expected {
            return Ok(());
        }
        if start.elapsed() > OPEN_LIMIT {
            let list = monitor.supervisor().list();
            let sample = list
                .iter()
                .find(|(_, s)| s.state != State::Open)
                .map(|(id, s)| format!("{id}: {:?} {:?}", s.state, s.last_error));
            return Err(format!("only {open} of {expected} open; e.g. {sample:?}").into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub fn count_open(monitor: &Monitor) -> usize {
    monitor
        .supervisor()
        .list()
        .iter()
        .filter(|(_, s)| s.state == State::Open)
        .count()
}

/// Messages received so far, and reconnections, over all subscriptions.
pub fn totals(monitor: &Monitor) -> (u64, u64) {
    monitor
        .supervisor()
        .list()
        .iter()
        .fold((0, 0), |(m, r), (_, s)| (m + s.messages, r + s.reconnects))
}

/// `name 1.23, other 0.45` for threads that used at least 10 ms.
pub fn describe_threads(threads: &[(String, Duration)]) -> String {
    let parts: Vec<String> = threads
        .iter()
        .filter(|(_, d)| *d >= Duration::from_millis(10))
        .map(|(name, d)| format!("{name} {:.2} s", d.as_secs_f64()))
        .collect();
    if parts.is_empty() {
        "each < 10 ms".into()
    } else {
        parts.join(", ")
    }
}
