//! The alert loop: feeds the supervisor's events and a clock into the engine's
//! [`HealthTracker`] and [`Notifier`], publishes the tracker's verdicts ([`HealthBoard`]: the
//! windows show them), redraws the tray at most four times a second, and delivers what the
//! notifier decides ([`crate::notifications`]), quietly while [`DoNotDisturb`] is on.

use crate::dnd::DoNotDisturb;
use crate::notifications;
use crate::tray::Tray;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use streamwatch_app_api::dto::SubscriptionView;
use streamwatch_app_api::health::HealthBoard;
use streamwatch_engine::alerts::{HealthTracker, Notifier, NotifyRules, TrayMenu};
use streamwatch_engine::catalog::SavedSubscription;
use streamwatch_engine::monitor::Monitor;
use streamwatch_engine::{SubscriptionId, SupervisorEvent};
use tauri::{AppHandle, Runtime};
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::sync::watch;

/// How often the clock moves and the tray may be redrawn (at most 4 times a second however
/// fast states change).
pub const TICK: Duration = Duration::from_millis(250);
/// How often every name and rule is reread from storage as a backstop; edits by the app or the
/// CLI arrive at once as views (`AppState::added`), one subscription at a time.
pub const REFRESH: Duration = Duration::from_secs(30);

/// Starts the loop on Tauri's runtime. `tray` is `None` where no tray could be created;
/// notifications still work.
pub fn spawn<R: Runtime>(
    app: AppHandle<R>,
    monitor: Arc<Monitor>,
    board: HealthBoard,
    tray: Option<Tray<R>>,
    dnd: &DoNotDisturb,
    views: broadcast::Receiver<SubscriptionView>,
) {
    let dnd = dnd.watch();
    // Subscribed here, before the caller starts the saved subscriptions, so no early event
    // (a 401 on the first request) is missed.
    let events = monitor.supervisor().subscribe();
    tauri::async_runtime::spawn(run(app, monitor, board, tray, dnd, events, views));
}

async fn run<R: Runtime>(
    app: AppHandle<R>,
    monitor: Arc<Monitor>,
    board: HealthBoard,
    mut tray: Option<Tray<R>>,
    dnd: watch::Receiver<bool>,
    mut events: streamwatch_engine::event_bus::EventReceiver,
    mut views: broadcast::Receiver<SubscriptionView>,
) {
    let mut rules = Rules::default();
    let mut notifier = Notifier::new();
    let mut health = HealthTracker::new();
    rules.refresh(&monitor, &mut health, &mut notifier, SystemTime::now());
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_refresh = tokio::time::Instant::now();
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Ok(event) => {
                    if let SupervisorEvent::Removed { id } = &event {
                        rules.forget(*id, &mut health);
                    }
                    notifier.observe(&event, SystemTime::now());
                }
                // Missed events: catch up from the snapshots (a message rule may miss a match
                // in a flood; states are never missed).
                Err(RecvError::Lagged(_)) => catch_up(&monitor, &mut notifier),
                Err(RecvError::Closed) => break,
            },
            view = views.recv() => match view {
                Ok(v) => rules.reload(&monitor, SubscriptionId(v.id), &mut health, &mut notifier, SystemTime::now()),
                Err(RecvError::Lagged(_)) => {
                    rules.refresh(&monitor, &mut health, &mut notifier, SystemTime::now());
                }
                // The app is closing; the supervisor's events end the loop.
                Err(RecvError::Closed) => {}
            },
            _ = ticker.tick() => {
                let now = SystemTime::now();
                if last_refresh.elapsed() >= REFRESH {
                    last_refresh = tokio::time::Instant::now();
                    rules.refresh(&monitor, &mut health, &mut notifier, now);
                }
                for (id, status) in monitor.supervisor().list() {
                    health.observe(id, &status, now);
                }
                notifier.set_dnd(*dnd.borrow());
                notifier.tick(now);
                for n in notifier.drain() {
                    notifications::deliver(&app, &monitor, &n);
                }
                // Kept so a relaunch does not tell a still-standing fatal stop again.
                for change in notifier.drain_occurrences() {
                    if let Err(e) = monitor.catalog().record_occurrence(&change, now) {
                        eprintln!("streamwatch: cannot keep which fatal stop was told: {e}");
                    }
                }
                let snapshot = health.snapshot(now);
                // Wakes the windows' bridges only when a verdict changed.
                board.publish(&snapshot);
                if let Some(t) = &mut tray {
                    let menu = TrayMenu::from_snapshot(&snapshot);
                    if let Err(e) = t.show(&app, &menu, *dnd.borrow()) {
                        eprintln!("streamwatch: cannot update the tray: {e}");
                    }
                }
            }
        }
    }
}

fn catch_up(monitor: &Monitor, notifier: &mut Notifier) {
    let now = SystemTime::now();
    for (id, status) in monitor.supervisor().list() {
        notifier.observe_status(id, &status, now);
    }
}

/// The name and notification rules each subscription was last set up with in the tracker and
/// the notifier.
#[derive(Default)]
struct Rules {
    known: HashMap<SubscriptionId, (String, serde_json::Value)>,
}

impl Rules {
    /// Rereads every subscription's name and rules (at start, then as a backstop).
    fn refresh(
        &mut self,
        monitor: &Monitor,
        health: &mut HealthTracker,
        notifier: &mut Notifier,
        now: SystemTime,
    ) {
        let saved = match monitor.catalog().subscriptions() {
            Ok(s) => s,
            Err(e) => {
                eprintln!("streamwatch: cannot read the subscriptions for alerts: {e}");
                return;
            }
        };
        let gone: Vec<SubscriptionId> = self
            .known
            .keys()
            .filter(|id| !saved.iter().any(|s| s.id == **id))
            .copied()
            .collect();
        for id in gone {
            self.forget(id, health);
            notifier.remove(id);
        }
        for s in saved {
            self.apply(monitor, &s, health, notifier, now);
        }
    }

    /// Rereads one subscription that was added or changed.
    fn reload(
        &mut self,
        monitor: &Monitor,
        id: SubscriptionId,
        health: &mut HealthTracker,
        notifier: &mut Notifier,
        now: SystemTime,
    ) {
        // Deleted again in between: its removal is on its way.
        if let Ok(s) = monitor.catalog().subscription(id) {
            self.apply(monitor, &s, health, notifier, now);
        }
    }

    /// A subscription is gone.
    fn forget(&mut self, id: SubscriptionId, health: &mut HealthTracker) {
        self.known.remove(&id);
        health.remove(id);
    }

    /// Sets one subscription up in the tracker and the notifier if its name or rules changed;
    /// a new one gets its current status at once.
    fn apply(
        &mut self,
        monitor: &Monitor,
        s: &SavedSubscription,
        health: &mut HealthTracker,
        notifier: &mut Notifier,
        now: SystemTime,
    ) {
        let key = (s.record.name.clone(), s.record.notify.clone());
        if self.known.get(&s.id) == Some(&key) {
            return;
        }
        let first_seen = !self.known.contains_key(&s.id);
        // Rules were checked when saved; a file edited by hand falls back to the defaults.
        let rules = NotifyRules::from_json(&s.record.notify)
            .and_then(|r| r.compile())
            .or_else(|e| {
                eprintln!(
                    "streamwatch: {:?}: {e}; using the default rules",
                    s.record.name
                );
                NotifyRules::default().compile()
            });
        if let Ok(rules) = rules {
            health.upsert(s.id, &s.record.name, rules.rules.down_after());
            notifier.upsert(s.id, &s.record.name, rules);
            if first_seen {
                // A fatal stop told before the app restarted, and not acted on since.
                match monitor.catalog().fatal_told(s.id) {
                    Ok(Some(told)) => notifier.remember_fatal(s.id, &told.key),
                    Ok(None) => {}
                    Err(e) => eprintln!(
                        "streamwatch: cannot read which fatal stop of {:?} was told: {e}",
                        s.record.name
                    ),
                }
            }
            if let Ok(status) = monitor.supervisor().status(s.id) {
                notifier.observe_status(s.id, &status, now);
            }
        }
        self.known.insert(s.id, key);
    }
}
