//! The supervisor's broadcast, bounded by bytes as well as by count.
//!
//! A tokio broadcast ring keeps its last `capacity` values alive until they are overwritten,
//! read or not: with 16 MiB events, 32,768 slots could pin 512 GiB. So a message whose data is
//! larger than [`HOLD_OVER`] does not sit in the ring: the ring gets a weak handle, and the
//! strong one is kept in a queue bounded by a byte budget (the newest is always kept). A
//! consumer that keeps up upgrades the handle and sees the event as usual; one that fell more
//! than the budget behind finds it gone and is told it lagged by one event, exactly as when the
//! ring itself overflows (storage has every event either way).

use crate::lifecycle::Lifecycle;
use crate::supervisor_event::SupervisorEvent;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, Weak};
use tokio::sync::broadcast::{
    self,
    error::{RecvError, TryRecvError},
};

/// Messages with more data than this go through the byte-bounded queue instead of the ring,
/// so the ring holds at most `capacity × HOLD_OVER` bytes of data.
pub const HOLD_OVER: usize = 1024;
/// Default bytes of large messages kept for consumers that are behind.
pub const DEFAULT_BUDGET: usize = 32 << 20;

#[derive(Debug, Clone)]
enum Slot {
    Inline(SupervisorEvent),
    Held(Weak<SupervisorEvent>),
}

/// Strong handles on the latest large messages, oldest first.
#[derive(Debug, Default)]
struct Held {
    queue: VecDeque<(Arc<SupervisorEvent>, usize)>,
    bytes: usize,
}

/// Nobody subscribes to the bus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoReceivers;

/// The sending half: cheap to clone, shared by every subscription's task.
#[derive(Debug, Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Slot>,
    held: Arc<Mutex<Held>>,
    budget: usize,
}

/// Bytes of message data an event carries (0 for anything else).
fn data_len(event: &SupervisorEvent) -> usize {
    match event {
        SupervisorEvent::Lifecycle {
            event: Lifecycle::Message { data, .. },
            ..
        } => data.len(),
        // A run's assembled text (capped at the stored size) counts like message data.
        SupervisorEvent::RunEnded { result, .. } => result.text_bytes(),
        _ => 0,
    }
}

impl EventBus {
    /// A bus whose ring has `capacity` slots and which keeps up to `budget` bytes of large
    /// messages for consumers that are behind.
    pub fn new(capacity: usize, budget: usize) -> EventBus {
        let (tx, _) = broadcast::channel(capacity.max(1));
        EventBus {
            tx,
            held: Arc::new(Mutex::new(Held::default())),
            budget,
        }
    }

    /// A new consumer, seeing every event sent from now on.
    pub fn subscribe(&self) -> EventReceiver {
        EventReceiver {
            rx: self.tx.subscribe(),
        }
    }

    /// Sends to every consumer; fails when there is none (the event is dropped).
    pub fn send(&self, event: SupervisorEvent) -> Result<(), NoReceivers> {
        let size = data_len(&event);
        if size <= HOLD_OVER {
            return self
                .tx
                .send(Slot::Inline(event))
                .map(|_| ())
                .map_err(|_| NoReceivers);
        }
        if self.tx.receiver_count() == 0 {
            return Err(NoReceivers);
        }
        let strong = Arc::new(event);
        let weak = Arc::downgrade(&strong);
        {
            let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
            held.queue.push_back((strong, size));
            held.bytes += size;
            while held.bytes > self.budget && held.queue.len() > 1 {
                if let Some((_, n)) = held.queue.pop_front() {
                    held.bytes -= n;
                }
            }
        }
        // A receiver that went away meanwhile only means nobody reads this one.
        let _ = self.tx.send(Slot::Held(weak));
        Ok(())
    }

    /// Bytes of large messages held for consumers right now.
    pub fn held_bytes(&self) -> usize {
        self.held.lock().unwrap_or_else(|e| e.into_inner()).bytes
    }
}

/// The receiving half, like a broadcast receiver.
#[derive(Debug)]
pub struct EventReceiver {
    rx: broadcast::Receiver<Slot>,
}

/// A held event, or `Lagged(1)` when the budget let it go before this consumer got to it.
fn open(slot: Slot) -> Result<SupervisorEvent, u64> {
    match slot {
        Slot::Inline(e) => Ok(e),
        Slot::Held(weak) => weak.upgrade().map(|e| (*e).clone()).ok_or(1),
    }
}

impl EventReceiver {
    /// The next event; `Lagged(n)` when `n` events were missed (slow consumer).
    pub async fn recv(&mut self) -> Result<SupervisorEvent, RecvError> {
        open(self.rx.recv().await?).map_err(RecvError::Lagged)
    }

    /// The next event if one is waiting.
    pub fn try_recv(&mut self) -> Result<SupervisorEvent, TryRecvError> {
        open(self.rx.try_recv()?).map_err(TryRecvError::Lagged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::SubscriptionId;
    use std::time::UNIX_EPOCH;

    fn msg(n: usize, size: usize) -> SupervisorEvent {
        SupervisorEvent::Lifecycle {
            id: SubscriptionId(1),
            at: UNIX_EPOCH,
            event: Lifecycle::Message {
                event: "m".into(),
                data: "x".repeat(size).into(),
                id: n.to_string().into(),
                replayed: false,
                mismatch: None,
            },
        }
    }

    fn id_of(e: &SupervisorEvent) -> String {
        match e {
            SupervisorEvent::Lifecycle {
                event: Lifecycle::Message { id, .. },
                ..
            } => id.to_string(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn large_messages_are_bounded_by_bytes_and_a_late_reader_is_told_it_lagged() {
        let bus = EventBus::new(1000, 10_000);
        let mut late = bus.subscribe();
        let mut keeping_up = bus.subscribe();
        for n in 0..10 {
            bus.send(msg(n, 4_000)).unwrap();
            assert_eq!(id_of(&keeping_up.try_recv().unwrap()), n.to_string());
            // Never more than the budget (plus the newest) however many slots the ring has.
            assert!(bus.held_bytes() <= 10_000, "{}", bus.held_bytes());
        }
        // Only the last two fit in 10,000 bytes: the first eight are lags of one each.
        let mut lagged = 0;
        let mut got = Vec::new();
        loop {
            match late.try_recv() {
                Ok(e) => got.push(id_of(&e)),
                Err(TryRecvError::Lagged(n)) => lagged += n,
                Err(TryRecvError::Empty) => break,
                Err(e) => panic!("{e:?}"),
            }
        }
        assert_eq!((lagged, got), (8, vec!["8".to_string(), "9".to_string()]));
    }

    #[test]
    fn the_newest_large_message_is_kept_even_over_budget_and_small_ones_go_inline() {
        let bus = EventBus::new(16, 100);
        let mut rx = bus.subscribe();
        bus.send(msg(1, 5_000)).unwrap();
        bus.send(msg(2, 10)).unwrap();
        assert_eq!(bus.held_bytes(), 5_000);
        assert_eq!(id_of(&rx.try_recv().unwrap()), "1");
        assert_eq!(id_of(&rx.try_recv().unwrap()), "2");
        drop(rx);
        assert!(bus.send(msg(3, 5_000)).is_err(), "nobody listens");
    }
}
