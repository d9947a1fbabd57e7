//! The alert loop's verdict on each subscription (open, stale, down…), shared with whoever
//! shows statuses. The engine's `HealthTracker` is the one place the "stale" and "down" rules
//! run; the windows must not judge again (they would disagree with the tray), so its verdicts
//! are published here: read when a view is built, and watched by every window's bridge so a
//! stream that goes quiet is told without any event arriving.

use crate::dto::HealthName;
use std::collections::BTreeMap;
use std::sync::Arc;
use streamwatch_engine::alerts::{Condition, Snapshot};
use streamwatch_engine::SubscriptionId;
use tokio::sync::watch;

/// Verdicts by subscription id.
type Verdicts = BTreeMap<u64, HealthName>;

/// The latest verdict per subscription: written by the alert loop, read by view building,
/// watched by the bridges. Clones share one board; reading takes a brief lock.
#[derive(Debug, Clone)]
pub struct HealthBoard {
    verdicts: Arc<watch::Sender<Verdicts>>,
}

impl Default for HealthBoard {
    fn default() -> Self {
        HealthBoard::new()
    }
}

impl HealthBoard {
    /// An empty board: no verdict yet, every status shows its state's own condition.
    pub fn new() -> Self {
        HealthBoard {
            verdicts: Arc::new(watch::Sender::new(Verdicts::new())),
        }
    }

    /// Takes the tracker's `snapshot` as the verdicts; whether any changed.
    pub fn publish(&self, snapshot: &Snapshot) -> bool {
        self.replace(snapshot.subs.iter().map(|s| (s.id, s.condition)))
    }

    /// Replaces every verdict (a subscription left out has none); whether any changed.
    /// Watchers are woken only on a change, so an unchanged snapshot costs them nothing.
    pub fn replace(
        &self,
        conditions: impl IntoIterator<Item = (SubscriptionId, Condition)>,
    ) -> bool {
        let next: Verdicts = conditions
            .into_iter()
            .map(|(id, c)| (id.0, c.into()))
            .collect();
        self.verdicts.send_if_modified(|now| {
            if *now == next {
                return false;
            }
            *now = next;
            true
        })
    }

    /// The verdict on `id`, if the alert loop has one.
    pub fn get(&self, id: SubscriptionId) -> Option<HealthName> {
        self.verdicts.borrow().get(&id.0).copied()
    }

    /// Follows the board from now on.
    pub fn watch(&self) -> HealthChanges {
        let mut rx = self.verdicts.subscribe();
        let seen = rx.borrow_and_update().clone();
        HealthChanges { rx, seen }
    }
}

/// One watcher of a [`HealthBoard`]: which verdicts changed since it last looked.
#[derive(Debug)]
pub struct HealthChanges {
    rx: watch::Receiver<Verdicts>,
    seen: Verdicts,
}

impl HealthChanges {
    /// Waits until a verdict changes and returns the ids whose verdict changed, appeared or
    /// went away since the last call; `None` once the board is gone. Cancel-safe: dropped
    /// while waiting, nothing is lost (the next call compares with what this one last saw).
    pub async fn next(&mut self) -> Option<Vec<u64>> {
        loop {
            self.rx.changed().await.ok()?;
            let now = self.rx.borrow_and_update().clone();
            let mut changed: Vec<u64> = now
                .iter()
                .filter(|(id, h)| self.seen.get(id) != Some(h))
                .map(|(id, _)| *id)
                .collect();
            changed.extend(self.seen.keys().filter(|id| !now.contains_key(id)));
            self.seen = now;
            if !changed.is_empty() {
                changed.sort_unstable();
                return Some(changed);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn id(n: u64) -> SubscriptionId {
        SubscriptionId(n)
    }

    #[test]
    fn the_board_holds_the_latest_verdicts() {
        let board = HealthBoard::new();
        assert_eq!(board.get(id(1)), None);
        assert!(board.replace([
            (id(1), Condition::Stale),
            (id(2), Condition::Down { attempt: 3 })
        ]));
        assert_eq!(board.get(id(1)), Some(HealthName::Stale));
        assert_eq!(board.get(id(2)), Some(HealthName::Down));
        assert!(
            !board.replace([
                (id(1), Condition::Stale),
                (id(2), Condition::Down { attempt: 4 })
            ]),
            "the same words: no change"
        );
        assert!(board.replace([(id(2), Condition::Failed)]));
        assert_eq!(board.get(id(1)), None, "left out: no verdict");
    }

    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn watchers_hear_of_changes_only() {
        let board = HealthBoard::new();
        board.replace([(id(1), Condition::Open), (id(2), Condition::Open)]);
        let mut changes = board.watch();
        board.replace([(id(1), Condition::Open), (id(2), Condition::Open)]);
        let quiet = tokio::time::timeout(Duration::from_secs(1), changes.next()).await;
        assert!(quiet.is_err(), "nothing changed: {quiet:?}");
        board.replace([(id(1), Condition::Stale), (id(2), Condition::Open)]);
        assert_eq!(changes.next().await, Some(vec![1]));
        board.replace([(id(1), Condition::Stale), (id(3), Condition::Paused)]);
        assert_eq!(changes.next().await, Some(vec![2, 3]), "gone and new");
        drop(board);
        assert_eq!(changes.next().await, None);
    }
}
