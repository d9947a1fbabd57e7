//! One window's live updates: the supervisor's broadcast and the alert loop's verdicts,
//! batched for the window's channel (a Tauri `Channel` in the app) about 20 times a second.
//!
//! The batching is the plain [`Batcher`] (no async), so it is tested on its own; [`run`] is the
//! loop around it, on whichever tokio runtime the caller spawns it.

use crate::dto::{
    HealthName, MessageView, StatusUpdate, StatusView, SubscriptionView, UpdateBatch,
};
use crate::health::{HealthBoard, HealthChanges};
use crate::live::LiveEvent;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::time::Duration;
use streamwatch_engine::event_bus::EventReceiver;
use streamwatch_engine::{SubscriptionId, Supervisor, SupervisorEvent};
use tokio::sync::broadcast::{self, error::RecvError};

/// How often a non-empty batch is sent.
pub const FLUSH_EVERY: Duration = Duration::from_millis(50);
/// Live messages per batch (at 20 batches a second, 40,000 messages/s keep up); more wait for
/// the next batch, so a burst is spread over several frames instead of stalling one.
pub const MAX_MESSAGES: usize = 2_000;
/// Messages waiting for a batch; beyond this they are counted in `droppedMessages` (storage has
/// them). A resume can bring a server's whole replay at once (the demo server sends up to
/// 10,000 missed events): that waits and arrives in full.
pub const MAX_BACKLOG: usize = 20_000;
/// Lifecycle events per batch; beyond this they are left out (a reconnect storm across many
/// subscriptions; each subscription's status still arrives).
pub const MAX_LIFECYCLE: usize = 2_000;
/// Bytes of live messages per batch (at least one message goes): one IPC message stays small
/// enough for the webview to take in a frame, even when every event is a 64 KiB preview.
pub const MAX_BATCH_BYTES: usize = 4 << 20;
/// Bytes of messages waiting for a batch; beyond this they are counted in `droppedMessages`
/// like the count bound (2,000 previews of 64 KiB would otherwise hold 1.3 GB).
pub const MAX_BACKLOG_BYTES: usize = 64 << 20;

/// Where fresh status snapshots come from when a batch is sent.
pub trait StatusSource {
    /// One subscription's status, if it still exists.
    fn status(&self, id: u64) -> Option<StatusView>;
    /// Every subscription's status.
    fn all(&self) -> Vec<(u64, StatusView)>;
    /// The alert loop's verdict on one subscription, if it has one.
    fn health(&self, _id: u64) -> Option<HealthName> {
        None
    }
}

/// The app's statuses: the supervisor's snapshots, with the alert loop's verdicts.
pub struct AppStatuses<'a> {
    /// Where the snapshots come from.
    pub supervisor: &'a Supervisor,
    /// Where the verdicts come from.
    pub health: &'a HealthBoard,
}

impl StatusSource for AppStatuses<'_> {
    fn status(&self, id: u64) -> Option<StatusView> {
        self.supervisor
            .status(SubscriptionId(id))
            .ok()
            .map(|s| (&s).into())
    }

    fn all(&self) -> Vec<(u64, StatusView)> {
        self.supervisor
            .list()
            .iter()
            .map(|(id, s)| (id.0, s.into()))
            .collect()
    }

    fn health(&self, id: u64) -> Option<HealthName> {
        self.health.get(SubscriptionId(id))
    }
}

/// No snapshots: a batch holds only what its events said.
impl StatusSource for () {
    fn status(&self, _: u64) -> Option<StatusView> {
        None
    }

    fn all(&self) -> Vec<(u64, StatusView)> {
        Vec::new()
    }
}

/// Accumulates events into the next [`UpdateBatch`].
#[derive(Debug)]
pub struct Batcher {
    batch: UpdateBatch,
    /// Messages not yet in a batch, oldest first.
    backlog: VecDeque<MessageView>,
    /// Bytes the backlog's messages carry.
    backlog_bytes: usize,
    /// Position of each subscription's entry in `batch.statuses`.
    status_at: HashMap<u64, usize>,
    /// Subscriptions whose counters moved: their status is refreshed when the batch is taken
    /// (the supervisor announces state changes only, not every message).
    touched: BTreeSet<u64>,
    /// Events were lost: refresh every status.
    resync: bool,
    max_messages: usize,
    max_backlog: usize,
    max_lifecycle: usize,
    max_batch_bytes: usize,
    max_backlog_bytes: usize,
}

/// Bytes a message view carries to the window (its strings).
fn view_bytes(m: &MessageView) -> usize {
    m.data.len() + m.event.len() + m.id.len()
}

impl Default for Batcher {
    fn default() -> Self {
        Batcher::new(MAX_MESSAGES, MAX_BACKLOG, MAX_LIFECYCLE)
    }
}

impl Batcher {
    /// A batcher sending at most `max_messages` messages per batch with up to `max_backlog`
    /// waiting, and at most `max_lifecycle` lifecycle events per batch.
    pub fn new(max_messages: usize, max_backlog: usize, max_lifecycle: usize) -> Self {
        Batcher {
            batch: UpdateBatch::default(),
            backlog: VecDeque::new(),
            backlog_bytes: 0,
            status_at: HashMap::new(),
            touched: BTreeSet::new(),
            resync: false,
            max_messages,
            max_backlog,
            max_lifecycle,
            max_batch_bytes: MAX_BATCH_BYTES,
            max_backlog_bytes: MAX_BACKLOG_BYTES,
        }
    }

    /// The same batcher with other byte bounds: `per_batch` bytes of messages per batch, and
    /// `backlog` bytes waiting.
    pub fn with_byte_limits(mut self, per_batch: usize, backlog: usize) -> Self {
        self.max_batch_bytes = per_batch;
        self.max_backlog_bytes = backlog;
        self
    }

    /// Folds in one supervisor event.
    pub fn push(&mut self, event: SupervisorEvent) {
        match event {
            SupervisorEvent::Lifecycle { id, at, event } => match LiveEvent::new(id, at, &event) {
                LiveEvent::Message(m) => {
                    self.touched.insert(id.0);
                    let bytes = view_bytes(&m);
                    if self.backlog.len() < self.max_backlog
                        && self.backlog_bytes + bytes <= self.max_backlog_bytes
                    {
                        self.backlog_bytes += bytes;
                        self.backlog.push_back(m);
                    } else {
                        self.batch.dropped_messages += 1;
                    }
                }
                LiveEvent::Lifecycle(l) => {
                    self.touched.insert(id.0);
                    if self.batch.lifecycle.len() < self.max_lifecycle {
                        self.batch.lifecycle.push(l);
                    }
                }
                LiveEvent::Comment => {}
            },
            SupervisorEvent::Status { id, status } => self.set_status(id.0, (&*status).into()),
            SupervisorEvent::Removed { id } => self.removed(id.0),
            // Each stream's status says offline; the notifier tells the machine's news once.
            SupervisorEvent::Machine { .. } => {}
            // Stored by the writer; front ends read runs from storage.
            SupervisorEvent::RunEnded { .. } => {}
        }
    }

    /// The receiver lagged: `n` events were lost (counted as dropped messages, the usual case);
    /// every status is refreshed with the next batch.
    pub fn lagged(&mut self, n: u64) {
        self.batch.dropped_messages += n;
        self.resync = true;
    }

    /// Refresh every status with the next batch.
    pub fn resync(&mut self) {
        self.resync = true;
    }

    /// The alert loop's verdict on `id` changed (it went stale, or came back): its status is
    /// sent with the next batch although no event said anything.
    pub fn health_changed(&mut self, id: u64) {
        self.touched.insert(id);
    }

    /// A subscription was added or changed. The view's status is as of when it was made: the
    /// batch also carries a fresh one (statuses apply after views), so a view that waited here
    /// cannot take a window back to an older state.
    pub fn added(&mut self, view: SubscriptionView) {
        self.batch.removed.retain(|id| *id != view.id);
        self.batch.added.retain(|v| v.id != view.id);
        self.touched.insert(view.id);
        self.batch.added.push(view);
    }

    /// Records `status` as the latest for `id`, replacing an earlier one in this batch.
    pub fn set_status(&mut self, id: u64, status: StatusView) {
        match self.status_at.get(&id) {
            Some(&i) => self.batch.statuses[i].status = status,
            None => {
                self.status_at.insert(id, self.batch.statuses.len());
                self.batch.statuses.push(StatusUpdate { id, status });
            }
        }
    }

    fn removed(&mut self, id: u64) {
        self.touched.remove(&id);
        self.batch.added.retain(|v| v.id != id);
        self.backlog.retain(|m| m.subscription_id != id);
        self.backlog_bytes = self.backlog.iter().map(view_bytes).sum();
        self.batch.lifecycle.retain(|l| l.subscription_id != id);
        if self.status_at.remove(&id).is_some() {
            self.batch.statuses.retain(|s| s.id != id);
            self.status_at = self
                .batch
                .statuses
                .iter()
                .enumerate()
                .map(|(i, s)| (s.id, i))
                .collect();
        }
        if !self.batch.removed.contains(&id) {
            self.batch.removed.push(id);
        }
    }

    /// Whether there is nothing to send.
    pub fn is_empty(&self) -> bool {
        self.batch.is_empty() && self.backlog.is_empty() && self.touched.is_empty() && !self.resync
    }

    /// The batch so far, with the statuses of touched subscriptions refreshed from `source`
    /// and every status given its verdict; the batcher starts empty again.
    pub fn take(&mut self, source: &dyn StatusSource) -> UpdateBatch {
        if std::mem::take(&mut self.resync) {
            for (id, status) in source.all() {
                if !self.batch.removed.contains(&id) {
                    self.set_status(id, status);
                }
            }
        }
        for id in std::mem::take(&mut self.touched) {
            if let Some(status) = source.status(id) {
                self.set_status(id, status);
            }
        }
        for s in &mut self.batch.statuses {
            s.status.set_health(source.health(s.id));
        }
        self.status_at.clear();
        // Up to the count and byte bounds, and always one message so a huge one cannot block.
        let mut bytes = 0;
        let mut n = 0;
        for m in self.backlog.iter().take(self.max_messages) {
            let b = view_bytes(m);
            if n > 0 && bytes + b > self.max_batch_bytes {
                break;
            }
            bytes += b;
            n += 1;
        }
        self.backlog_bytes -= bytes;
        self.batch.messages.extend(self.backlog.drain(..n));
        std::mem::take(&mut self.batch)
    }
}

/// Runs one window's bridge until `send` fails (the window is gone) or the supervisor closes:
/// events from `events`, views from `added` and changed verdicts from `health` are batched and
/// sent every [`FLUSH_EVERY`] when there is something to send. The first batch holds every
/// subscription's status.
pub async fn run(
    mut events: EventReceiver,
    mut added: broadcast::Receiver<SubscriptionView>,
    mut health: HealthChanges,
    source: &(dyn StatusSource + Send + Sync),
    mut send: impl FnMut(UpdateBatch) -> bool,
) {
    let mut batcher = Batcher::default();
    // The first batch brings every status, so a window that listed the subscriptions before
    // connecting misses no change made in between.
    batcher.resync();
    // The first flush one period from now (not at once), so a burst lands in one batch.
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + FLUSH_EVERY, FLUSH_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut adding = true;
    let mut judging = true;
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Ok(e) => batcher.push(e),
                Err(RecvError::Lagged(n)) => batcher.lagged(n),
                Err(RecvError::Closed) => {
                    // What is left goes out now, a batch at a time.
                    while !batcher.is_empty() {
                        let batch = batcher.take(source);
                        if batch.is_empty() || !send(batch) {
                            break;
                        }
                    }
                    return;
                }
            },
            view = added.recv(), if adding => match view {
                Ok(v) => batcher.added(v),
                // Missed additions: the next status refresh still names them.
                Err(RecvError::Lagged(_)) => batcher.lagged(0),
                Err(RecvError::Closed) => adding = false,
            },
            changed = health.next(), if judging => match changed {
                Some(ids) => ids.into_iter().for_each(|id| batcher.health_changed(id)),
                // No alert loop any more: statuses keep their states' own conditions.
                None => judging = false,
            },
            _ = tick.tick() => {
                if batcher.is_empty() {
                    continue;
                }
                let batch = batcher.take(source);
                if !batch.is_empty() && !send(batch) {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dto::{StateName, SubscriptionForm};
    use std::time::UNIX_EPOCH;
    use streamwatch_engine::alerts::Condition;
    use streamwatch_engine::event_bus::EventBus;
    use streamwatch_engine::{Lifecycle, State, Status};

    fn msg(id: u64, n: u64) -> SupervisorEvent {
        SupervisorEvent::Lifecycle {
            id: SubscriptionId(id),
            at: UNIX_EPOCH,
            event: Lifecycle::Message {
                event: "tick".into(),
                data: format!("{n}").into(),
                id: format!("{n}").into(),
                replayed: false,
                mismatch: None,
            },
        }
    }

    fn status(id: u64, state: State, messages: u64) -> SupervisorEvent {
        let mut s = Status::new("".into(), false);
        s.state = state;
        s.messages = messages;
        SupervisorEvent::Status {
            id: SubscriptionId(id),
            status: Box::new(s),
        }
    }

    fn view(id: u64) -> SubscriptionView {
        let status = Status::new("".into(), false);
        SubscriptionView {
            id,
            name: format!("s{id}"),
            url: "http://127.0.0.1/".into(),
            form: SubscriptionForm::from_record(
                &streamwatch_engine::catalog::SubscriptionRecord::new("s", "http://127.0.0.1/"),
            ),
            status: (&status).into(),
            demo: None,
        }
    }

    /// Snapshots keyed by id.
    struct Fixed(Vec<(u64, StatusView)>);

    /// Fixed snapshots with a board's verdicts.
    struct Judged(Fixed, HealthBoard);

    impl StatusSource for Judged {
        fn status(&self, id: u64) -> Option<StatusView> {
            self.0.status(id)
        }
        fn all(&self) -> Vec<(u64, StatusView)> {
            self.0.all()
        }
        fn health(&self, id: u64) -> Option<HealthName> {
            self.1.get(SubscriptionId(id))
        }
    }

    fn open_view() -> StatusView {
        let mut open = Status::new("".into(), false);
        open.state = State::Open;
        // Delivering: without a message since it opened it would be "waiting".
        open.connected_since = Some(std::time::SystemTime::UNIX_EPOCH);
        open.last_message_at = open.connected_since;
        (&open).into()
    }

    impl StatusSource for Fixed {
        fn status(&self, id: u64) -> Option<StatusView> {
            self.0
                .iter()
                .find(|(i, _)| *i == id)
                .map(|(_, s)| s.clone())
        }
        fn all(&self) -> Vec<(u64, StatusView)> {
            self.0.clone()
        }
    }

    #[test]
    fn statuses_are_coalesced_to_the_latest_per_subscription() {
        let mut b = Batcher::default();
        assert!(b.is_empty());
        b.push(status(1, State::Connecting, 0));
        b.push(status(2, State::Connecting, 0));
        b.push(status(1, State::Open, 0));
        b.push(status(1, State::Retrying, 0));
        let batch = b.take(&());
        let got: Vec<_> = batch
            .statuses
            .iter()
            .map(|s| (s.id, s.status.state))
            .collect();
        assert_eq!(
            got,
            vec![(1, StateName::Retrying), (2, StateName::Connecting)]
        );
        assert!(b.is_empty());
        assert!(b.take(&()).is_empty());
    }

    #[test]
    fn a_burst_waits_for_the_next_batches_and_only_beyond_the_backlog_is_dropped() {
        let mut b = Batcher::new(3, 5, 10);
        for n in 0..7 {
            b.push(msg(1, n));
        }
        let data = |batch: &UpdateBatch| -> Vec<String> {
            batch.messages.iter().map(|m| m.data.to_string()).collect()
        };
        let first = b.take(&());
        assert_eq!(data(&first), ["0", "1", "2"]);
        // 5 could wait; the 6th and 7th could not.
        assert_eq!(first.dropped_messages, 2);
        assert!(first.messages.iter().all(|m| m.seq.is_none()));
        assert!(!b.is_empty(), "the rest is still to be sent");
        b.push(msg(1, 7));
        let second = b.take(&());
        assert_eq!(data(&second), ["3", "4", "7"]);
        assert_eq!(second.dropped_messages, 0);
        assert!(b.is_empty());
    }

    fn sized(id: u64, n: u64, size: usize) -> SupervisorEvent {
        SupervisorEvent::Lifecycle {
            id: SubscriptionId(id),
            at: UNIX_EPOCH,
            event: Lifecycle::Message {
                event: "m".into(),
                data: "x".repeat(size).into(),
                id: format!("{n}").into(),
                replayed: false,
                mismatch: None,
            },
        }
    }

    #[test]
    fn batches_and_the_backlog_are_bounded_by_bytes_too() {
        // Counts would allow 100 per batch and 100 waiting; bytes allow far fewer.
        let mut b = Batcher::new(100, 100, 10).with_byte_limits(2_500, 5_000);
        for n in 0..8 {
            b.push(sized(1, n, 1_000));
        }
        let ids = |batch: &UpdateBatch| -> Vec<String> {
            batch.messages.iter().map(|m| m.id.clone()).collect()
        };
        let first = b.take(&());
        // 1,002 bytes each (data, id, type): 4 fit in the backlog's 5,000 bytes, the other 4
        // are counted as skipped, as with the count bound.
        assert_eq!(ids(&first), ["0", "1"]);
        assert_eq!(first.dropped_messages, 4);
        assert_eq!(ids(&b.take(&())), ["2", "3"]);
        assert!(b.is_empty());
        // One message over the batch's bytes still goes (alone), never stuck.
        let mut b = Batcher::default().with_byte_limits(100, 1 << 20);
        b.push(sized(1, 1, 60_000));
        b.push(sized(1, 2, 10));
        assert_eq!(ids(&b.take(&())), ["1"]);
        assert_eq!(ids(&b.take(&())), ["2"]);
    }

    #[test]
    fn a_huge_message_reaches_the_window_as_a_marked_preview() {
        let mut b = Batcher::default();
        b.push(sized(1, 1, 16 << 20));
        let batch = b.take(&());
        let m = &batch.messages[0];
        assert_eq!((m.truncated, m.size), (true, 16 << 20));
        assert_eq!(m.data.len(), crate::preview::PREVIEW_BYTES);
        assert_eq!(batch.dropped_messages, 0);
    }

    #[test]
    fn a_view_comes_with_its_subscriptions_current_status() {
        let mut b = Batcher::default();
        // Made while it was connecting; it has opened since.
        b.added(view(3));
        let mut open = Status::new("".into(), false);
        open.state = State::Open;
        let batch = b.take(&Fixed(vec![(3, (&open).into())]));
        assert_eq!(batch.added.len(), 1);
        assert_eq!(
            batch
                .statuses
                .iter()
                .map(|s| (s.id, s.status.state))
                .collect::<Vec<_>>(),
            vec![(3, StateName::Open)]
        );
    }

    #[test]
    fn lag_counts_dropped_and_refreshes_every_status() {
        let mut b = Batcher::default();
        b.lagged(17);
        assert!(!b.is_empty());
        let mut open = Status::new("".into(), false);
        open.state = State::Open;
        let source = Fixed(vec![(1, (&open).into()), (2, (&open).into())]);
        let batch = b.take(&source);
        assert_eq!(batch.dropped_messages, 17);
        assert_eq!(batch.statuses.len(), 2);
    }

    #[test]
    fn messages_refresh_their_subscriptions_status_counters() {
        let mut b = Batcher::default();
        b.push(status(1, State::Open, 0));
        b.push(msg(1, 1));
        b.push(msg(1, 2));
        let mut now = Status::new("2".into(), false);
        now.state = State::Open;
        now.messages = 2;
        let batch = b.take(&Fixed(vec![(1, (&now).into())]));
        assert_eq!(batch.statuses.len(), 1);
        assert_eq!(batch.statuses[0].status.messages, 2);
        assert_eq!(batch.messages.len(), 2);
    }

    #[test]
    fn comments_are_left_out_and_lifecycle_kept_in_order() {
        let mut b = Batcher::default();
        let ev = |event| SupervisorEvent::Lifecycle {
            id: SubscriptionId(1),
            at: UNIX_EPOCH,
            event,
        };
        b.push(ev(Lifecycle::Comment {
            text: "heartbeat".into(),
        }));
        assert!(b.is_empty());
        b.push(ev(Lifecycle::Connecting { attempt: 0 }));
        b.push(ev(Lifecycle::Started {
            url: "http://x/".into(),
            status: 200,
        }));
        b.push(msg(1, 1));
        b.push(ev(Lifecycle::Finished));
        let batch = b.take(&());
        let kinds: Vec<_> = batch
            .lifecycle
            .iter()
            .map(|l| serde_json::to_value(l.kind).unwrap())
            .collect();
        assert_eq!(kinds, ["connecting", "started", "finished"]);
        assert_eq!(batch.messages.len(), 1);
    }

    #[test]
    fn removal_drops_what_the_batch_held_for_it() {
        let mut b = Batcher::default();
        b.added(view(1));
        b.added(view(2));
        b.push(status(1, State::Open, 0));
        b.push(status(2, State::Open, 0));
        b.push(msg(1, 1));
        b.push(msg(2, 1));
        b.push(SupervisorEvent::Removed {
            id: SubscriptionId(1),
        });
        b.push(status(2, State::Retrying, 0));
        let batch = b.take(&());
        assert_eq!(batch.removed, vec![1]);
        assert_eq!(
            batch.added.iter().map(|v| v.id).collect::<Vec<_>>(),
            vec![2]
        );
        assert_eq!(
            batch
                .messages
                .iter()
                .map(|m| m.subscription_id)
                .collect::<Vec<_>>(),
            vec![2]
        );
        assert_eq!(batch.statuses.len(), 1);
        assert_eq!(
            (batch.statuses[0].id, batch.statuses[0].status.state),
            (2, StateName::Retrying)
        );
    }

    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn run_flushes_in_batches_and_stops_when_sending_fails() {
        let tx = EventBus::new(64, 1 << 20);
        let rx = tx.subscribe();
        let (added_tx, added_rx) = broadcast::channel(4);
        let (out_tx, mut out_rx) = tokio::sync::mpsc::unbounded_channel();
        let board = HealthBoard::new();
        let health = board.watch();
        let task = tokio::spawn(async move {
            run(rx, added_rx, health, &(), move |batch| {
                out_tx.send(batch).is_ok()
            })
            .await;
        });
        for n in 0..10 {
            tx.send(msg(1, n)).unwrap();
        }
        added_tx.send(view(7)).unwrap();
        let first = out_rx.recv().await.unwrap();
        assert_eq!(first.messages.len(), 10);
        assert_eq!(first.added.len(), 1);
        // Nothing more to say: no empty batches.
        tokio::time::sleep(FLUSH_EVERY * 4).await;
        assert!(out_rx.try_recv().is_err());
        tx.send(msg(1, 10)).unwrap();
        assert_eq!(out_rx.recv().await.unwrap().messages.len(), 1);
        // The window is gone: the next send fails and the bridge ends.
        drop(out_rx);
        tx.send(msg(1, 11)).unwrap();
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("the bridge ends")
            .unwrap();
    }

    #[test]
    fn a_changed_verdict_sends_the_status_and_every_status_carries_its_verdict() {
        let board = HealthBoard::new();
        let source = Judged(
            Fixed(vec![(1, open_view()), (2, open_view())]),
            board.clone(),
        );
        let mut b = Batcher::default();
        board.replace([(SubscriptionId(1), Condition::Stale)]);
        b.health_changed(1);
        assert!(!b.is_empty());
        let batch = b.take(&source);
        let got: Vec<_> = batch
            .statuses
            .iter()
            .map(|s| (s.id, s.status.health))
            .collect();
        assert_eq!(got, vec![(1, HealthName::Stale)]);
        // A status from an event gets the verdict too.
        b.push(status(2, State::Open, 0));
        board.replace([(SubscriptionId(2), Condition::Stale)]);
        assert_eq!(b.take(&source).statuses[0].status.health, HealthName::Stale);
    }

    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn a_subscription_going_stale_and_back_is_told_without_events() {
        let _tx = EventBus::new(4, 1 << 20);
        let rx = _tx.subscribe();
        let (_added_tx, added_rx) = broadcast::channel(4);
        let (out_tx, mut out_rx) = tokio::sync::mpsc::unbounded_channel();
        let board = HealthBoard::new();
        board.replace([(SubscriptionId(1), Condition::Open)]);
        let source = Judged(Fixed(vec![(1, open_view())]), board.clone());
        let health = board.watch();
        tokio::spawn(async move {
            run(rx, added_rx, health, &source, move |batch| {
                out_tx.send(batch).is_ok()
            })
            .await;
        });
        let healths = |batch: UpdateBatch| -> Vec<(u64, HealthName)> {
            batch
                .statuses
                .iter()
                .map(|s| (s.id, s.status.health))
                .collect()
        };
        // The first batch: every status.
        assert_eq!(
            healths(out_rx.recv().await.unwrap()),
            [(1, HealthName::Open)]
        );
        board.replace([(SubscriptionId(1), Condition::Stale)]);
        assert_eq!(
            healths(out_rx.recv().await.unwrap()),
            [(1, HealthName::Stale)]
        );
        // The same verdict again: nothing to say.
        board.replace([(SubscriptionId(1), Condition::Stale)]);
        tokio::time::sleep(FLUSH_EVERY * 4).await;
        assert!(out_rx.try_recv().is_err());
        board.replace([(SubscriptionId(1), Condition::Open)]);
        assert_eq!(
            healths(out_rx.recv().await.unwrap()),
            [(1, HealthName::Open)]
        );
    }
}
