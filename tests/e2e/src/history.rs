//! The app's stored history, read straight from its SQLite database (as the CLI would) while
//! it runs.

use std::path::Path;

use streamwatch_engine::storage::{HistoryQuery, Store, StoredMessage};

/// Every stored message of the subscription named `name`, oldest first.
pub fn stored_history(data_dir: &Path, name: &str) -> Result<Vec<StoredMessage>, String> {
    let store = Store::open(data_dir).map_err(|e| format!("cannot open the app's store: {e}"))?;
    let sub = store
        .find_subscription(name)
        .map_err(|e| format!("no stored subscription {name:?}: {e}"))?;
    store
        .history(
            sub.id,
            &HistoryQuery {
                limit: 0,
                newest_first: false,
                ..HistoryQuery::default()
            },
        )
        .map_err(|e| format!("cannot read the history of {name:?}: {e}"))
}

/// Whether the store still has a subscription named `name`.
pub fn stored_subscription_exists(data_dir: &Path, name: &str) -> Result<bool, String> {
    let store = Store::open(data_dir).map_err(|e| format!("cannot open the app's store: {e}"))?;
    let subs = store
        .subscriptions()
        .map_err(|e| format!("cannot list subscriptions: {e}"))?;
    Ok(subs.iter().any(|s| s.record.name == name))
}

/// The demo server's event number in a message's data (`{"n":…}`).
pub fn demo_n(data: &str) -> Option<u64> {
    serde_json::from_str::<serde_json::Value>(data)
        .ok()?
        .get("n")?
        .as_u64()
}
