//! Many subscriptions at once: add, update, remove, pause, resume, reconnect now.
//!
//! Each subscription is one tokio task (no thread), so thousands of idle streams cost little.
//! Events fan out on a broadcast channel bounded by count and by bytes ([`crate::event_bus`]):
//! a slow consumer lags and is told how much it missed, and never stalls a network read.

use crate::client_cache::ClientCache;
use crate::client_options::ClientOptions;
use crate::conditions::{self, Conditions};
use crate::conditions_feed::ConditionsFeed;
use crate::connection::{self, ConnectionState, EventSink, Outcome};
use crate::event_bus::{EventBus, EventReceiver, DEFAULT_BUDGET};
pub use crate::ids::SubscriptionId;
use crate::lifecycle::{ErrorKind, Lifecycle};
use crate::liveness::{self, AutoIdle, Change, Liveness};
use crate::probe_schedule;
use crate::record::Record;
use crate::record_queue::RecordSender;
pub use crate::run_history::RunHistory;
use crate::run_result::RunResult;
use crate::run_summary::RunSummary;
use crate::status::{State, Status};
use crate::storage::StoredCounters;
use crate::subscription::{ConfigError, SubscriptionConfig};
pub use crate::supervisor_event::SupervisorEvent;
use crate::timeline::TimelineEvent;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};
use tokio::sync::{mpsc, watch, Notify};

/// A supervisor request that could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum SupervisorError {
    /// No subscription has this id.
    #[error("no subscription with id {0}")]
    NotFound(SubscriptionId),
    /// The id is taken.
    #[error("a subscription with id {0} already exists")]
    Duplicate(SubscriptionId),
    /// The configuration is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The HTTP client could not be built (TLS setup).
    #[error("could not set up the HTTP client: {0}")]
    Client(String),
}

enum Command {
    Pause,
    Resume,
    ReconnectNow,
    /// New settings; with `restart_from`, the stream restarts at the config's last event id
    /// instead of keeping its position.
    Update {
        config: Box<SubscriptionConfig>,
        restart_from: bool,
    },
}

struct Entry {
    config: SubscriptionConfig,
    status: Arc<Mutex<Status>>,
    commands: mpsc::UnboundedSender<Command>,
    task: tokio::task::JoinHandle<()>,
}

/// Keeps many subscriptions alive on the current tokio runtime.
pub struct Supervisor {
    /// One client per distinct proxy and TLS settings; subscriptions sharing settings share
    /// its connection pool.
    clients: Arc<ClientCache>,
    entries: Mutex<HashMap<SubscriptionId, Entry>>,
    events: EventBus,
    /// Lossless path to storage: awaiting it slows only the subscription that produced.
    recorder: Option<RecordSender>,
    /// The floor of each connection's automatic idle timeout.
    idle_floor: Duration,
    /// The network and sleep news every subscription obeys.
    conditions: ConditionsFeed,
}

/// Locks, recovering the data if a panicking holder poisoned the lock: status snapshots stay
/// meaningful even then.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Supervisor {
    /// A supervisor whose broadcast keeps up to `capacity` events for slow consumers (and at
    /// most [`DEFAULT_BUDGET`] bytes of large messages beyond the ring's small ones).
    pub fn new(capacity: usize) -> Result<Self, SupervisorError> {
        let clients = Arc::new(ClientCache::new());
        // Fails early, as before, if this machine cannot set up TLS at all.
        clients
            .get(&ClientOptions::default())
            .map_err(|e| SupervisorError::Client(e.to_string()))?;
        let events = EventBus::new(capacity.max(16), DEFAULT_BUDGET);
        Ok(Supervisor {
            clients,
            entries: Mutex::new(HashMap::new()),
            recorder: None,
            idle_floor: liveness::AUTO_IDLE_FLOOR,
            conditions: ConditionsFeed::announcing_on(events.clone()),
            events,
        })
    }

    /// Sets the floor of the automatic idle timeout for subscriptions added from now on
    /// ([`liveness::AUTO_IDLE_FLOOR`] unless set; tests use a short one).
    pub fn set_idle_floor(&mut self, floor: Duration) {
        self.idle_floor = floor;
    }

    /// Like [`Supervisor::new`], also sending every message, gap, reset and state transition to a
    /// storage writer, none dropped.
    pub fn with_recorder(capacity: usize, recorder: RecordSender) -> Result<Self, SupervisorError> {
        let mut sup = Self::new(capacity)?;
        sup.recorder = Some(recorder);
        Ok(sup)
    }

    /// Where the machine's network and sleep news go in ([`crate::system`] feeds it; so can a
    /// test). While offline or asleep, streams wait in [`State::Offline`] without attempts.
    pub fn conditions(&self) -> &ConditionsFeed {
        &self.conditions
    }

    /// Subscribes to every subscription's events from now on.
    pub fn subscribe(&self) -> EventReceiver {
        self.events.subscribe()
    }

    /// Starts (or, with `paused`, just registers) a subscription.
    pub fn add(
        &self,
        id: SubscriptionId,
        config: SubscriptionConfig,
        paused: bool,
    ) -> Result<(), SupervisorError> {
        self.add_after(id, config, paused, RunHistory::default())
    }

    /// [`Supervisor::add`] for a subscription that ran before a restart: a finite stream that
    /// finished stays finished, a probe keeps its schedule (see [`RunHistory`]).
    pub fn add_after(
        &self,
        id: SubscriptionId,
        config: SubscriptionConfig,
        paused: bool,
        history: RunHistory,
    ) -> Result<(), SupervisorError> {
        config.validate()?;
        let mut entries = lock(&self.entries);
        if entries.contains_key(&id) {
            return Err(SupervisorError::Duplicate(id));
        }
        let status = Arc::new(Mutex::new(Status::new(
            config.last_event_id.clone().unwrap_or_default(),
            paused,
        )));
        let (tx, rx) = mpsc::unbounded_channel();
        let sink = FanOut {
            id,
            status: status.clone(),
            events: self.events.clone(),
            recorder: self.recorder.clone(),
            liveness: Arc::new(Mutex::new(Liveness::new(config.stale_after))),
            wake: Arc::new(Notify::new()),
        };
        let mut state = ConnectionState::new(&config);
        state.auto_idle = AutoIdle::with_floor(self.idle_floor);
        let task = tokio::spawn(drive(
            self.clients.clone(),
            config.clone(),
            state,
            (paused, history),
            sink,
            rx,
            self.conditions.subscribe(),
        ));
        entries.insert(
            id,
            Entry {
                config,
                status,
                commands: tx,
                task,
            },
        );
        Ok(())
    }

    /// Replaces a subscription's configuration and reconnects with it. The stream keeps its
    /// position unless `restart_from` asks to start again at `config.last_event_id` (the user
    /// changed the starting id).
    pub fn update(
        &self,
        id: SubscriptionId,
        config: SubscriptionConfig,
        restart_from: bool,
    ) -> Result<(), SupervisorError> {
        config.validate()?;
        let mut entries = lock(&self.entries);
        let entry = entries.get_mut(&id).ok_or(SupervisorError::NotFound(id))?;
        entry.config = config.clone();
        let _ = entry.commands.send(Command::Update {
            config: Box::new(config),
            restart_from,
        });
        Ok(())
    }

    /// Stops and forgets a subscription.
    pub fn remove(&self, id: SubscriptionId) -> Result<(), SupervisorError> {
        let entry = lock(&self.entries)
            .remove(&id)
            .ok_or(SupervisorError::NotFound(id))?;
        entry.task.abort();
        let _ = self.events.send(SupervisorEvent::Removed { id });
        Ok(())
    }

    /// Closes the stream and holds it closed until resumed.
    pub fn pause(&self, id: SubscriptionId) -> Result<(), SupervisorError> {
        self.command(id, Command::Pause)
    }

    /// Reconnects a paused (or failed) subscription.
    pub fn resume(&self, id: SubscriptionId) -> Result<(), SupervisorError> {
        self.command(id, Command::Resume)
    }

    /// Drops any wait or stream and connects at once, with a fresh retry budget.
    pub fn reconnect_now(&self, id: SubscriptionId) -> Result<(), SupervisorError> {
        self.command(id, Command::ReconnectNow)
    }

    fn command(&self, id: SubscriptionId, cmd: Command) -> Result<(), SupervisorError> {
        let entries = lock(&self.entries);
        let entry = entries.get(&id).ok_or(SupervisorError::NotFound(id))?;
        let _ = entry.commands.send(cmd);
        Ok(())
    }

    /// One subscription's status snapshot.
    pub fn status(&self, id: SubscriptionId) -> Result<Status, SupervisorError> {
        let entries = lock(&self.entries);
        let entry = entries.get(&id).ok_or(SupervisorError::NotFound(id))?;
        let status = lock(&entry.status).clone();
        Ok(status)
    }

    /// One subscription's configuration.
    pub fn config(&self, id: SubscriptionId) -> Result<SubscriptionConfig, SupervisorError> {
        let entries = lock(&self.entries);
        let entry = entries.get(&id).ok_or(SupervisorError::NotFound(id))?;
        Ok(entry.config.clone())
    }

    /// Every subscription's status, ordered by id.
    pub fn list(&self) -> Vec<(SubscriptionId, Status)> {
        let entries = lock(&self.entries);
        let mut all: Vec<_> = entries
            .iter()
            .map(|(id, e)| (*id, lock(&e.status).clone()))
            .collect();
        all.sort_by_key(|(id, _)| *id);
        all
    }

    /// Carries counters over from storage after a restart, so totals do not start again at 0.
    pub fn seed_counters(
        &self,
        id: SubscriptionId,
        stored: &StoredCounters,
    ) -> Result<(), SupervisorError> {
        let entries = lock(&self.entries);
        let entry = entries.get(&id).ok_or(SupervisorError::NotFound(id))?;
        let mut status = lock(&entry.status);
        // Stored counts saturate at i64::MAX; adding to them must not overflow either.
        status.messages = status.messages.saturating_add(stored.messages);
        status.bytes = status.bytes.saturating_add(stored.bytes);
        status.gaps = status.gaps.saturating_add(stored.gaps);
        status.missed_events = status.missed_events.saturating_add(stored.missed_events);
        status.replayed = status.replayed.saturating_add(stored.replayed);
        status.resets = status.resets.saturating_add(stored.resets);
        status.schema_mismatches = status.schema_mismatches.saturating_add(stored.mismatches);
        Ok(())
    }

    /// Stops every connection and waits until their tasks are gone, so nothing more is sent
    /// to the recorder.
    pub async fn stop_all(&self) {
        let tasks: Vec<_> = lock(&self.entries)
            .drain()
            .map(|(_, e)| {
                e.task.abort();
                e.task
            })
            .collect();
        for t in tasks {
            let _ = t.await;
        }
    }

    /// How many subscriptions are registered.
    pub fn len(&self) -> usize {
        lock(&self.entries).len()
    }

    /// Whether no subscription is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        for entry in lock(&self.entries).values() {
            entry.task.abort();
        }
    }
}

/// Updates the snapshot and fans the event out. Only the recorder may make it wait, and then
/// only this subscription waits. Clones share everything (the liveness watchdog holds one).
#[derive(Clone)]
struct FanOut {
    id: SubscriptionId,
    status: Arc<Mutex<Status>>,
    events: EventBus,
    recorder: Option<RecordSender>,
    /// Locked after `status`, never before.
    liveness: Arc<Mutex<Liveness>>,
    /// Wakes the watchdog when there is something new to judge (a stream opened, a stale
    /// period ended, the settings changed).
    wake: Arc<Notify>,
}

impl FanOut {
    async fn set_state(&self, state: State, reason: &str) {
        let (from, snapshot) = {
            let mut status = lock(&self.status);
            let from = status.state;
            if !status.set_state(state) {
                return;
            }
            self.settle(&mut status);
            (from, status.clone())
        };
        self.announce(from, snapshot, reason.to_string()).await;
    }

    /// Keeps and records how a finite stream's run ended; returns the words for its state.
    async fn finished(&self, summary: &RunSummary) -> String {
        let ending = summary.ending();
        let words = format!("finished: {}", ending.words());
        self.record(Record::Timeline {
            sub: self.id,
            at: SystemTime::now(),
            event: TimelineEvent::RunFinished {
                status: summary.status,
                ending: ending.clone(),
            },
        })
        .await;
        lock(&self.status).finished = Some(ending);
        words
    }

    /// Stores that a run (one request of a finite stream or probe) begins.
    async fn run_started(&self, probe: bool) {
        self.record(Record::RunStarted {
            sub: self.id,
            at: SystemTime::now(),
            probe,
        })
        .await;
    }

    /// Stores how the run under way came out. The text is cut to what a row keeps before it
    /// is queued, so the queue holds kilobytes per run, not the tracker's megabyte.
    async fn run_ended(&self, probe: bool, mut result: RunResult) {
        if let Some(llm) = result.summary.as_mut().and_then(|s| s.llm.as_mut()) {
            let cap = crate::storage::RUN_TEXT_CAP_BYTES;
            if llm.text.len() > cap {
                let mut end = cap;
                while !llm.text.is_char_boundary(end) {
                    end -= 1;
                }
                llm.text.truncate(end);
                llm.text_truncated = true;
            }
        }
        let at = SystemTime::now();
        let result = Box::new(result);
        self.record(Record::RunEnded {
            sub: self.id,
            at,
            result: result.clone(),
        })
        .await;
        let _ = self.events.send(SupervisorEvent::RunEnded {
            id: self.id,
            at,
            probe,
            result,
        });
    }

    /// The latest error's words, or `fallback`.
    fn last_error_or(&self, fallback: &str) -> String {
        lock(&self.status)
            .last_error
            .clone()
            .unwrap_or_else(|| fallback.to_string())
    }

    /// A stream stopped, paused, failed or offline is not stale: its state says what is wrong.
    fn settle(&self, status: &mut Status) {
        if matches!(
            status.state,
            State::Paused | State::Stopped | State::Failed | State::Offline
        ) {
            lock(&self.liveness).ended();
            status.stale_since = None;
        }
    }

    /// Stores and tells a liveness change, with the snapshot that shows it.
    async fn tell_liveness(&self, at: SystemTime, change: Change, snapshot: Status) {
        self.record(Record::Liveness {
            sub: self.id,
            at,
            stale: matches!(change, Change::Stale { .. }),
            reason: change.reason(),
        })
        .await;
        let _ = self.events.send(SupervisorEvent::Status {
            id: self.id,
            status: Box::new(snapshot),
        });
    }

    async fn announce(&self, from: State, status: Status, reason: String) {
        if from != status.state {
            self.record(Record::Transition {
                sub: self.id,
                at: SystemTime::now(),
                from,
                to: status.state,
                reason,
            })
            .await;
        }
        let _ = self.events.send(SupervisorEvent::Status {
            id: self.id,
            status: Box::new(status),
        });
    }

    async fn record(&self, record: Record) {
        if let Some(recorder) = &self.recorder {
            // A closed writer means shutdown is under way; nothing left to keep it for.
            let _ = recorder.send(record).await;
        }
    }
}

/// Words for a state transition caused by `event`, for the stored status history.
fn reason(event: &Lifecycle, status: &Status) -> String {
    match event {
        Lifecycle::Started { status: code, .. } => format!("stream opened ({code})"),
        Lifecycle::Connecting { attempt: 0 } => "connecting".into(),
        Lifecycle::Connecting { attempt } => format!("reconnecting (retry {attempt})"),
        Lifecycle::Retrying { attempt, delay_ms } => format!(
            "{}; retry {attempt} in {delay_ms} ms",
            status.last_error.as_deref().unwrap_or("stream ended")
        ),
        Lifecycle::RetriesFailed { attempts } => format!("gave up after {attempts} retries"),
        Lifecycle::Error { message, .. } => message.clone(),
        other => other.name().into(),
    }
}

impl EventSink for FanOut {
    fn emit(&mut self, event: Lifecycle) -> impl std::future::Future<Output = ()> + Send {
        // Boxed: every await on `emit` in a connection's state machine would otherwise reserve
        // room for this future (status snapshots, storage sends), kilobytes per subscription
        // held for as long as it is open, idle or not. One small allocation per event instead.
        Box::pin(self.emit_now(event))
    }
}

impl FanOut {
    async fn emit_now(&mut self, event: Lifecycle) {
        let now = SystemTime::now();
        let (changed, fresh) = {
            let mut status = lock(&self.status);
            let from = status.state;
            let changed = status.apply(&event, now);
            let fresh = match &event {
                Lifecycle::Message { .. } => {
                    let mut l = lock(&self.liveness);
                    let before = l.threshold();
                    let change = l.message(now, status.connected_since);
                    if l.threshold() < before {
                        // Learning shortened the threshold: the watchdog sleeps too long.
                        self.wake.notify_one();
                    }
                    status.usual_interval_ms = l
                        .usual()
                        .map(|u| u64::try_from(u.as_millis()).unwrap_or(u64::MAX));
                    drop(l);
                    change.map(|c| {
                        status.stale_since = None;
                        (c, status.clone())
                    })
                }
                _ => None,
            };
            if changed {
                self.settle(&mut status);
            }
            (changed.then(|| (from, status.clone())), fresh)
        };
        if matches!(event, Lifecycle::Started { .. }) {
            self.wake.notify_one();
        }
        if let Some((change, snapshot)) = fresh {
            // Before the message itself, so the timeline reads "fresh again", then the data.
            self.tell_liveness(now, change, snapshot).await;
            self.wake.notify_one();
        }
        match &event {
            Lifecycle::Message {
                event: ty,
                data,
                id,
                replayed,
                mismatch,
            } => {
                self.record(Record::Message {
                    sub: self.id,
                    at: now,
                    event: ty.clone(),
                    id: id.clone(),
                    data: data.clone(),
                    replayed: *replayed,
                    mismatch: mismatch.clone(),
                })
                .await
            }
            Lifecycle::Reset { last, first } => {
                self.record(Record::Reset {
                    sub: self.id,
                    at: now,
                    last: *last,
                    first: *first,
                })
                .await
            }
            Lifecycle::Gap {
                after,
                next,
                missed,
            } => {
                self.record(Record::Gap {
                    sub: self.id,
                    at: now,
                    after: *after,
                    next: *next,
                    missed: *missed,
                })
                .await
            }
            other => {
                if let Some(step) = TimelineEvent::from_lifecycle(other) {
                    self.record(Record::Timeline {
                        sub: self.id,
                        at: now,
                        event: step,
                    })
                    .await
                }
            }
        }
        let reason = changed.as_ref().map(|(_, s)| reason(&event, s));
        // Nobody listening is fine: the snapshot above already holds the news.
        let _ = self.events.send(SupervisorEvent::Lifecycle {
            id: self.id,
            at: now,
            event,
        });
        if let (Some((from, snapshot)), Some(reason)) = (changed, reason) {
            self.announce(from, snapshot, reason).await;
        }
    }
}

/// Aborts a task when dropped: the watchdog lives exactly as long as its subscription's task.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Judges one subscription's liveness on a timer: sleeps until the stream would be stale
/// (or until woken by news), then records and tells it if it is.
async fn watch_liveness(fan: FanOut) {
    loop {
        let now = SystemTime::now();
        let (stale, next) = {
            let mut status = lock(&fan.status);
            let mut l = lock(&fan.liveness);
            let open = status.state == State::Open;
            let (last, since) = (status.last_message_at, status.connected_since);
            let change = l.check(open, last, since, now);
            let next = l.next_check(open, last, since);
            drop(l);
            let stale = change.map(|c| {
                status.stale_since = last.max(since);
                (c, status.clone())
            });
            (stale, next)
        };
        if let Some((change, snapshot)) = stale {
            // Boxed so the sleeping watchdog (one per subscription) stays small.
            Box::pin(fan.tell_liveness(now, change, snapshot)).await;
        }
        match next {
            Some(at) => {
                let wait = at.duration_since(SystemTime::now()).unwrap_or_default();
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    () = fan.wake.notified() => {}
                }
            }
            None => fan.wake.notified().await,
        }
    }
}

/// One subscription's task: runs the connection and obeys commands.
async fn drive(
    clients: Arc<ClientCache>,
    mut config: SubscriptionConfig,
    mut state: ConnectionState,
    (mut paused, history): (bool, RunHistory),
    mut sink: FanOut,
    mut commands: mpsc::UnboundedReceiver<Command>,
    mut machine: watch::Receiver<Conditions>,
) {
    let _watchdog = AbortOnDrop(tokio::spawn(watch_liveness(sink.clone())));
    let mut wakes_seen = machine.borrow_and_update().wakes;
    if let Some(ending) = history.finished.filter(|_| !paused) {
        // Finished before a restart: shown as it was, and its request (a POSTed prompt) is
        // not sent again until the user asks.
        let words = format!("finished: {}", ending.words());
        lock(&sink.status).finished = Some(ending);
        sink.set_state(State::Stopped, &words).await;
        if !wait_after_end(&mut commands, &mut paused, &mut config, &mut state, &sink).await {
            return;
        }
    }
    // A probe's next slot, counted from its last run's start (stored, after a restart).
    let mut probe_due: Option<SystemTime> = match (config.probe_every, history.last_probe_start) {
        (Some(every), Some(at)) => Some(probe_schedule::next_run(at, every, rand::random())),
        _ => None,
    };
    loop {
        if let (false, Some(due)) = (paused, probe_due.take()) {
            if due > SystemTime::now() {
                let words = format!("next run at {}", probe_schedule::clock(due));
                match wait_for_probe(due, &words, &mut commands, &mut config, &mut state, &sink)
                    .await
                {
                    None => return,
                    Some(Wake::Pause) => paused = true,
                    Some(Wake::Run) => {}
                }
            }
        }
        if paused {
            sink.set_state(State::Paused, "paused").await;
            match commands.recv().await {
                None => return,
                Some(Command::Pause) => continue,
                Some(Command::Resume | Command::ReconnectNow) => paused = false,
                Some(Command::Update {
                    config: c,
                    restart_from,
                }) => {
                    apply_update(&mut config, &mut state, &sink, *c, restart_from);
                    continue;
                }
            }
        }
        // No attempts while the machine is asleep, or offline for a stream that needs the
        // network: one wait, one state, instead of a retry storm that counts as downtime.
        let loopback = conditions::is_loopback(&config.url);
        let held = hold_reason(&machine.borrow_and_update(), loopback);
        if let Some(why) = held {
            sink.set_state(State::Offline, why).await;
            let resumed = tokio::select! {
                () = until_free(&mut machine, loopback) => true,
                cmd = commands.recv() => match cmd {
                    None => return,
                    Some(Command::Pause) => { paused = true; false }
                    Some(Command::Resume | Command::ReconnectNow) => false,
                    Some(Command::Update { config: c, restart_from }) => {
                        apply_update(&mut config, &mut state, &sink, *c, restart_from);
                        false
                    }
                },
            };
            if resumed {
                wakes_seen = machine.borrow().wakes;
                state.failures = 0;
                let after = if why == ASLEEP {
                    "resumed after sleep"
                } else {
                    "network is back"
                };
                sink.set_state(State::Connecting, after).await;
                jitter().await;
            }
            continue;
        }
        let run_start = SystemTime::now();
        let records_runs = config.records_runs();
        if records_runs {
            sink.run_started(config.probe_every.is_some()).await;
        }
        let outcome = {
            let status = sink.status.clone();
            let run = async {
                match clients.get(&config.client) {
                    Ok(client) => connection::run(&client, &config, &mut state, &mut sink).await,
                    Err(e) => {
                        // Checked when added or edited; only a machine that cannot set up
                        // TLS gets here, and retrying will not fix that.
                        sink.emit(Lifecycle::Error {
                            kind: ErrorKind::Protocol,
                            message: e.to_string(),
                            status: None,
                            will_retry: false,
                        })
                        .await;
                        Outcome::Fatal
                    }
                }
            };
            tokio::select! {
                outcome = run => Some(outcome),
                why = interruption(&mut machine, &status, loopback, &mut wakes_seen) => {
                    if records_runs {
                        let words = if why == Interruption::Woke {
                            "interrupted: the computer slept"
                        } else {
                            "interrupted: the network went away"
                        };
                        sink.run_ended(config.probe_every.is_some(), RunResult::failed(None, words.into())).await;
                    }
                    if why == Interruption::Woke {
                        // Sockets from before a sleep are dead or stale: start over at once.
                        state.failures = 0;
                        sink.set_state(State::Connecting, "resumed after sleep").await;
                        jitter().await;
                    }
                    None
                }
                cmd = commands.recv() => {
                    if records_runs {
                        let words = match &cmd {
                            Some(Command::Pause) => "interrupted: paused",
                            Some(Command::Update { .. }) => "interrupted: the settings changed",
                            _ => "interrupted: started again",
                        };
                        sink.run_ended(config.probe_every.is_some(), RunResult::failed(None, words.into())).await;
                    }
                    match cmd {
                    None => return,
                    Some(Command::Pause) => { paused = true; None }
                    Some(Command::Resume) => None,
                    Some(Command::ReconnectNow) => { state.failures = 0; None }
                    Some(Command::Update { config: c, restart_from }) => {
                        apply_update(&mut config, &mut state, &sink, *c, restart_from);
                        None
                    }
                    }
                },
            }
        };
        if let (Some(outcome), true) = (&outcome, records_runs) {
            sink.run_ended(config.probe_every.is_some(), run_result(outcome, &sink))
                .await;
        }
        if let (Some(outcome), Some(every)) = (&outcome, config.probe_every) {
            // A probe: the run is over; the next one is due at its slot.
            let due = probe_schedule::next_run(run_start, every, rand::random());
            let how = match outcome {
                Outcome::Finished { summary } => {
                    // In the timeline like any finished run; the state says when the next is.
                    sink.record(Record::Timeline {
                        sub: sink.id,
                        at: SystemTime::now(),
                        event: TimelineEvent::RunFinished {
                            status: summary.status,
                            ending: summary.ending(),
                        },
                    })
                    .await;
                    format!("last run ok: {}", summary.words())
                }
                _ => format!(
                    "last run failed: {}",
                    sink.last_error_or("it did not end cleanly")
                ),
            };
            let words = format!("{how}; next run at {}", probe_schedule::clock(due));
            state.failures = 0;
            match wait_for_probe(due, &words, &mut commands, &mut config, &mut state, &sink).await {
                None => return,
                Some(Wake::Pause) => paused = true,
                Some(Wake::Run) => {}
            }
            continue;
        }
        if let Some(outcome) = outcome {
            let (state_now, why) = match outcome {
                Outcome::NoContent => (State::Stopped, "server has nothing more (204)".into()),
                Outcome::Fatal => (State::Failed, "failed; retrying cannot help".into()),
                Outcome::GaveUp { .. } => (State::Failed, "gave up".into()),
                Outcome::NotReconnected { .. } => {
                    (State::Failed, "failed; reconnect mode is never".into())
                }
                Outcome::Finished { summary } => (State::Stopped, sink.finished(&summary).await),
            };
            sink.set_state(state_now, &why).await;
            if !wait_after_end(&mut commands, &mut paused, &mut config, &mut state, &sink).await {
                return;
            }
        }
    }
}

/// How a finished connection's run is stored.
fn run_result(outcome: &Outcome, sink: &FanOut) -> RunResult {
    match outcome {
        Outcome::Finished { summary } => RunResult::ended((**summary).clone()),
        Outcome::NotReconnected { summary } => RunResult::failed(
            summary.as_deref().cloned(),
            sink.last_error_or("the stream did not end cleanly"),
        ),
        Outcome::NoContent => {
            RunResult::failed(None, "the server has nothing to stream (204)".into())
        }
        Outcome::Fatal | Outcome::GaveUp { .. } => {
            RunResult::failed(None, sink.last_error_or("failed"))
        }
    }
}

/// Ended for good: waits for the user to resume, reconnect, edit or remove; false when the
/// subscription was removed.
async fn wait_after_end(
    commands: &mut mpsc::UnboundedReceiver<Command>,
    paused: &mut bool,
    config: &mut SubscriptionConfig,
    state: &mut ConnectionState,
    sink: &FanOut,
) -> bool {
    match commands.recv().await {
        None => return false,
        Some(Command::Pause) => *paused = true,
        Some(Command::Resume | Command::ReconnectNow) => {}
        Some(Command::Update {
            config: c,
            restart_from,
        }) => apply_update(config, state, sink, *c, restart_from),
    }
    state.failures = 0;
    true
}

/// What ends a probe's wait between runs.
enum Wake {
    /// Its slot came, or the user asked for a run (Run now, Resume, an edit).
    Run,
    /// The user paused it: the schedule stops.
    Pause,
}

/// A probe between runs: stopped, saying when it runs next, until `due` or a command; `None`
/// when the subscription was removed.
async fn wait_for_probe(
    due: SystemTime,
    words: &str,
    commands: &mut mpsc::UnboundedReceiver<Command>,
    config: &mut SubscriptionConfig,
    state: &mut ConnectionState,
    sink: &FanOut,
) -> Option<Wake> {
    lock(&sink.status).next_run_at = Some(due);
    sink.set_state(State::Stopped, words).await;
    let wait = due.duration_since(SystemTime::now()).unwrap_or_default();
    let wake = tokio::select! {
        () = tokio::time::sleep(wait) => Some(Wake::Run),
        cmd = commands.recv() => match cmd {
            None => None,
            Some(Command::Pause) => Some(Wake::Pause),
            Some(Command::Resume | Command::ReconnectNow) => Some(Wake::Run),
            Some(Command::Update { config: c, restart_from }) => {
                apply_update(config, state, sink, *c, restart_from);
                Some(Wake::Run)
            }
        },
    };
    lock(&sink.status).next_run_at = None;
    wake
}

/// The reason a stream waits for the machine, as its state transition says it.
const ASLEEP: &str = "the computer is asleep";
/// The same, for a machine without a usable network.
const NO_NETWORK: &str = "offline: no network";
/// The most a wake or a returning network delays one stream's reconnect, so that hundreds do
/// not hit their servers in the same millisecond.
const WAKE_JITTER: Duration = Duration::from_secs(1);

/// Why the machine keeps a stream from trying now, if it does.
fn hold_reason(c: &Conditions, loopback: bool) -> Option<&'static str> {
    if c.asleep {
        Some(ASLEEP)
    } else if !c.online && !loopback {
        Some(NO_NETWORK)
    } else {
        None
    }
}

/// Waits until nothing holds the stream back.
async fn until_free(machine: &mut watch::Receiver<Conditions>, loopback: bool) {
    while hold_reason(&machine.borrow_and_update(), loopback).is_some() {
        if machine.changed().await.is_err() {
            // The supervisor is gone; its drop aborts this task.
            std::future::pending::<()>().await;
        }
    }
}

/// What the machine did to a running stream.
#[derive(Debug, PartialEq, Eq)]
enum Interruption {
    /// It woke from sleep: reconnect now.
    Woke,
    /// It went to sleep, or offline while this stream was not open: stop trying.
    Hold,
}

/// Resolves when the machine interrupts a running stream: at once when it sleeps or wakes, or
/// goes offline while the stream is not open; after [`OFFLINE_GRACE`] for an open one.
async fn interruption(
    machine: &mut watch::Receiver<Conditions>,
    status: &Mutex<Status>,
    loopback: bool,
    wakes_seen: &mut u64,
) -> Interruption {
    let mut offline_since = None;
    loop {
        let c = *machine.borrow_and_update();
        if c.wakes != *wakes_seen {
            *wakes_seen = c.wakes;
            return Interruption::Woke;
        }
        if c.asleep {
            return Interruption::Hold;
        }
        let offline = hold_reason(&c, loopback).is_some();
        if !offline {
            offline_since = None;
            if machine.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
            continue;
        }
        let since = *offline_since.get_or_insert_with(tokio::time::Instant::now);
        // A socket without a route is dead even if it has not noticed (it would sit until the
        // idle timeout, going stale); but a route that blinks (a DHCP renewal) must not cut
        // healthy streams, so an open one gets a grace period.
        if lock(status).state != State::Open || since.elapsed() >= OFFLINE_GRACE {
            return Interruption::Hold;
        }
        tokio::select! {
            _ = machine.changed() => {}
            () = tokio::time::sleep_until(since + OFFLINE_GRACE) => {}
        }
    }
}

/// How long an open stream keeps its socket after the network went away.
const OFFLINE_GRACE: Duration = Duration::from_secs(2);

/// A random wait of up to [`WAKE_JITTER`].
async fn jitter() {
    let ms = rand::random_range(0..WAKE_JITTER.as_millis() as u64);
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

/// A new config keeps the stream's position (the live one, which storage may not have caught
/// up with) unless told to restart from the config's id.
fn apply_update(
    config: &mut SubscriptionConfig,
    state: &mut ConnectionState,
    sink: &FanOut,
    new: SubscriptionConfig,
    restart_from: bool,
) {
    if restart_from {
        state.last_event_id = new.last_event_id.clone().unwrap_or_default();
    }
    state.failures = 0;
    lock(&sink.liveness).set_stale_after(new.stale_after);
    sink.wake.notify_one();
    *config = new;
}
