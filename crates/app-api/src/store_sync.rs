//! Changes made to the saved subscriptions by another process (the `streamwatch` CLI, while the
//! app runs) are applied by the app: new ones start, edited ones reconnect with their new
//! settings, deleted ones stop, and the windows are told.
//!
//! The engine's [`Monitor::sync_from_store`] does the applying; [`StoreSync`] runs it every
//! [`SYNC_EVERY`] and turns what it changed into the views the bridge announces. Removals need
//! nothing here: the supervisor announces them itself.

use crate::dto::SubscriptionView;
use crate::health::HealthBoard;
use crate::views::view_of;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use streamwatch_engine::monitor::{Monitor, MonitorError, SyncReport};
use streamwatch_engine::SubscriptionId;
use tokio::sync::broadcast;

/// How often storage is checked for changes made elsewhere (the CLI's edits show within this).
pub const SYNC_EVERY: Duration = Duration::from_secs(2);

/// Applies changes made elsewhere and announces them to the windows.
#[derive(Debug, Default)]
pub struct StoreSync {
    /// Subscriptions that could not start, with the reason the windows were last shown.
    announced_errors: HashMap<SubscriptionId, String>,
}

impl StoreSync {
    /// One pass: applies what changed and announces, on `added` (the bridge's channel; an edit
    /// replaces the view a window holds), each subscription that started or changed, and each
    /// that could not start the first time (or when its reason changes) so it shows as failed.
    pub fn pass(
        &mut self,
        monitor: &Monitor,
        health: &HealthBoard,
        added: &broadcast::Sender<SubscriptionView>,
    ) -> Result<SyncReport, MonitorError> {
        let report = monitor.sync_from_store()?;
        let mut announce: Vec<SubscriptionId> = report
            .added
            .iter()
            .chain(&report.updated)
            .copied()
            .collect();
        for e in &report.errors {
            if self.announced_errors.get(&e.id) != Some(&e.message) {
                self.announced_errors.insert(e.id, e.message.clone());
                announce.push(e.id);
            }
        }
        self.announced_errors
            .retain(|id, _| report.errors.iter().any(|e| e.id == *id));
        for id in announce {
            // A subscription deleted again in between has nothing to show.
            if let Ok(view) = view_of(monitor, health, id) {
                // Nobody listening (no window yet) is fine: a window lists on connect.
                let _ = added.send(view);
            }
        }
        Ok(report)
    }
}

/// What one pass went wrong with, in one line; `None` when it all applied.
pub fn problem(outcome: &Result<SyncReport, MonitorError>) -> Option<String> {
    match outcome {
        Ok(report) if report.errors.is_empty() => None,
        Ok(report) => Some(
            report
                .errors
                .iter()
                .map(|e| format!("{:?}: {}", e.name, e.message))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        Err(e) => Some(e.to_string()),
    }
}

/// Runs [`StoreSync::pass`] every [`SYNC_EVERY`] for as long as the app runs (spawn it on the
/// runtime the monitor lives on). A problem is written to stderr once, not every pass; the
/// subscription it names shows as failed in the window with its reason.
pub async fn run(
    monitor: Arc<Monitor>,
    health: HealthBoard,
    added: broadcast::Sender<SubscriptionView>,
) {
    let mut tick = tokio::time::interval(SYNC_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first tick is immediate; the saved subscriptions were just started.
    tick.tick().await;
    let mut last_problem: Option<String> = None;
    let mut sync = StoreSync::default();
    loop {
        tick.tick().await;
        let m = Arc::clone(&monitor);
        let h = health.clone();
        let tx = added.clone();
        // SQLite reads: off the async workers.
        let (outcome, back) = match tokio::task::spawn_blocking(move || {
            let outcome = sync.pass(&m, &h, &tx);
            (outcome, sync)
        })
        .await
        {
            Ok(done) => done,
            Err(_) => return,
        };
        sync = back;
        let now = problem(&outcome);
        if now.is_some() && now != last_problem {
            if let Some(text) = &now {
                eprintln!("streamwatch: cannot apply changes made outside the app: {text}");
            }
        }
        last_problem = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dto::StateName;
    use streamwatch_engine::monitor::MonitorOptions;
    // The CLI of an older version (or a hand-edited database) can save what the catalog now
    // refuses: written straight to storage, as another process would.
    use streamwatch_engine::storage::{Store, SubscriptionRecord};

    #[tokio::test]
    async fn a_failure_made_elsewhere_is_announced_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut options = MonitorOptions::new(dir.path().to_path_buf());
        options.autostart = false;
        let m = Monitor::open(options).unwrap();
        let (tx, mut rx) = broadcast::channel(8);
        let mut sync = StoreSync::default();
        let board = HealthBoard::new();
        assert_eq!(problem(&sync.pass(&m, &board, &tx)), None);
        // The CLI: another connection to the same database.
        let cli = Store::open(dir.path()).unwrap();
        let id = cli
            .add_subscription(&SubscriptionRecord::new("broken", "ftp://x/"))
            .unwrap();
        let outcome = sync.pass(&m, &board, &tx);
        assert!(
            problem(&outcome).is_some_and(|p| p.contains("broken")),
            "{outcome:?}"
        );
        let view = rx.try_recv().unwrap();
        assert_eq!((view.id, view.status.state), (id.0, StateName::Failed));
        sync.pass(&m, &board, &tx).unwrap();
        assert!(rx.try_recv().is_err(), "the same failure is told once");
    }
}
