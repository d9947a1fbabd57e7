//! The one writer of the machine's [`Conditions`]: every subscription's task watches it, and
//! each change is announced to the supervisor's consumers.

use tokio::sync::watch;

use crate::conditions::Conditions;
use crate::event_bus::EventBus;
use crate::supervisor_event::SupervisorEvent;

/// The one writer of [`Conditions`]; cheap to clone.
#[derive(Debug, Clone)]
pub struct ConditionsFeed {
    tx: watch::Sender<Conditions>,
    /// Where consumers (the notifier, the window, the daemon's log) hear of each change.
    events: Option<EventBus>,
}

impl Default for ConditionsFeed {
    fn default() -> Self {
        Self::new()
    }
}

impl ConditionsFeed {
    /// Online, awake; changes are only watched, not announced.
    pub fn new() -> Self {
        ConditionsFeed {
            tx: watch::Sender::new(Conditions::default()),
            events: None,
        }
    }

    /// Also announces each change on `events` as [`SupervisorEvent::Machine`].
    pub fn announcing_on(events: EventBus) -> Self {
        ConditionsFeed {
            events: Some(events),
            ..Self::new()
        }
    }

    fn announce(&self, changed: bool) {
        if let (true, Some(bus)) = (changed, &self.events) {
            // Nobody listening is fine: the watch value holds the news.
            let _ = bus.send(SupervisorEvent::Machine {
                conditions: self.now(),
            });
        }
    }

    /// A receiver for one subscription's task.
    pub fn subscribe(&self) -> watch::Receiver<Conditions> {
        self.tx.subscribe()
    }

    /// The conditions now.
    pub fn now(&self) -> Conditions {
        *self.tx.borrow()
    }

    /// The network came or went; a repeat of the same news changes nothing.
    pub fn set_online(&self, online: bool) {
        let changed = self.tx.send_if_modified(|c| {
            let changed = c.online != online;
            c.online = online;
            changed
        });
        self.announce(changed);
    }

    /// The machine is about to sleep.
    pub fn sleeping(&self) {
        let changed = self
            .tx
            .send_if_modified(|c| !std::mem::replace(&mut c.asleep, true));
        self.announce(changed);
    }

    /// The machine woke (also when the "about to sleep" was missed).
    pub fn woke(&self) {
        self.tx.send_modify(|c| {
            c.asleep = false;
            c.wakes += 1;
        });
        self.announce(true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn news_is_sent_once_and_every_wake_counts() {
        let feed = ConditionsFeed::new();
        let mut rx = feed.subscribe();
        feed.set_online(true);
        assert!(!rx.has_changed().unwrap());
        feed.set_online(false);
        assert!(rx.has_changed().unwrap());
        assert!(!rx.borrow_and_update().online);
        feed.sleeping();
        feed.sleeping();
        assert!(rx.borrow_and_update().asleep);
        feed.woke();
        feed.woke();
        let c = *rx.borrow_and_update();
        assert_eq!((c.asleep, c.wakes), (false, 2));
    }
}
