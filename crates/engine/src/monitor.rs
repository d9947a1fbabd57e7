//! The whole engine behind one handle: the catalog of saved subscriptions, the supervisor that
//! runs them, and the writer that persists what they receive. Every change to a saved
//! subscription goes through the catalog's rules and is then applied to the running stream; the
//! CLI daemon and the desktop app are thin layers over this.

use crate::catalog::{Catalog, CatalogError, Keeping, SavedSubscription, SubscriptionRecord};
use crate::secrets::SecretStore;
use crate::status::{State, Status};
use crate::storage::{StorageError, Writer, WriterConfig};
use crate::supervisor::{SubscriptionId, Supervisor, SupervisorError};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

/// Whether the writer is committing; front ends report it.
pub use crate::storage::WriterHealth;

/// Why a monitor operation failed.
#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    /// The catalog refused (a setting, a taken name, the database, the keyring); nothing was
    /// saved.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// The writer failed to commit what was received.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The supervisor refused.
    #[error(transparent)]
    Supervisor(#[from] SupervisorError),
}

/// Where and how to run.
#[derive(Debug, Clone)]
pub struct MonitorOptions {
    /// The data directory holding `streamwatch.db`.
    pub dir: PathBuf,
    /// Group-commit settings.
    pub writer: WriterConfig,
    /// Events kept for slow live consumers before they lag.
    pub event_capacity: usize,
    /// The keyring service secrets live under.
    pub secrets: SecretStore,
    /// Start the saved subscriptions in `open`; when false, call [`Monitor::start_saved`]
    /// after subscribing, so not even the first events are missed.
    pub autostart: bool,
    /// The floor of the automatic idle timeout ([`crate::liveness::AUTO_IDLE_FLOOR`]); tests
    /// lower it to see a half-open stream cut in seconds.
    pub idle_floor: std::time::Duration,
    /// Follow the platform's network and sleep news ([`crate::system`]); tests that feed
    /// [`Supervisor::conditions`] themselves turn it off.
    pub watch_system: bool,
}

impl MonitorOptions {
    /// Defaults for a data directory.
    pub fn new(dir: PathBuf) -> Self {
        MonitorOptions {
            dir,
            writer: WriterConfig::default(),
            event_capacity: 8192,
            secrets: SecretStore::default(),
            autostart: true,
            idle_floor: crate::liveness::AUTO_IDLE_FLOOR,
            watch_system: true,
        }
    }
}

/// Saved subscriptions, running and persisted.
pub struct Monitor {
    catalog: Catalog,
    writer: Writer,
    supervisor: Supervisor,
    /// What each running subscription was started with, to spot edits made by another
    /// process.
    running: Mutex<HashMap<SubscriptionId, Known>>,
    startup_errors: Mutex<Vec<StartError>>,
    /// Held by each change made here and by [`Monitor::sync_from_store`]: a sync between an
    /// add's save and its start would take the new subscription for one made elsewhere and
    /// start it a second time.
    changing: Mutex<()>,
    /// Starts and then holds the platform watchers; aborted (dropping them) with the monitor.
    _system: Option<AbortOnDrop>,
}

/// A task that lives exactly as long as its owner.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A saved subscription that could not be started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartError {
    /// Which one.
    pub id: SubscriptionId,
    /// Its name.
    pub name: String,
    /// Why.
    pub message: String,
}

/// The parts of a saved subscription that decide how to apply an edit.
#[derive(Debug, Clone, PartialEq)]
struct Known {
    updated_at: SystemTime,
    paused: bool,
    /// The user-given starting id; changing it restarts the stream from there.
    initial_id: Option<String>,
}

impl Known {
    fn of(saved: &SavedSubscription) -> Self {
        Known {
            updated_at: saved.updated_at,
            paused: saved.record.paused,
            initial_id: saved.record.last_event_id.clone(),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Monitor {
    /// Opens the database and starts every saved subscription (paused ones stay paused),
    /// each resuming from its stored last event id. Call inside a tokio runtime.
    pub fn open(opts: MonitorOptions) -> Result<Monitor, MonitorError> {
        let catalog = Catalog::open(&opts.dir, opts.secrets)?;
        // Before anything runs, so no older plain-text credential outlives this start.
        for (name, e) in catalog.seal_plain_url_credentials()? {
            tracing::warn!(subscription = %name, error = %e, "URL credentials stay unsealed");
        }
        let writer = Writer::spawn(catalog.path(), opts.writer.clone())?;
        let mut supervisor = Supervisor::with_recorder(opts.event_capacity, writer.sender())?;
        supervisor.set_idle_floor(opts.idle_floor);
        let supervisor_feed = supervisor.conditions().clone();
        let monitor = Monitor {
            catalog,
            writer,
            supervisor,
            running: Mutex::new(HashMap::new()),
            startup_errors: Mutex::new(Vec::new()),
            changing: Mutex::new(()),
            _system: opts.watch_system.then(|| {
                AbortOnDrop(tokio::spawn(async move {
                    let watch = crate::system::start(&supervisor_feed).await;
                    for what in &watch.unavailable {
                        tracing::info!("{what}; streams rely on their own timeouts instead");
                    }
                    // Held until the monitor goes: aborting this task drops it, which stops
                    // the watchers.
                    let _watch = watch;
                    std::future::pending::<()>().await;
                }))
            }),
        };
        if opts.autostart {
            monitor.start_saved()?;
        }
        Ok(monitor)
    }

    /// Starts every saved subscription not yet running. One that cannot start (its secret is
    /// unreadable, its settings broken) does not keep the others from starting: it is listed
    /// in [`Monitor::startup_errors`].
    pub fn start_saved(&self) -> Result<(), MonitorError> {
        let _changing = lock(&self.changing);
        let saved = self.catalog.subscriptions()?;
        let running: Vec<SubscriptionId> = lock(&self.running).keys().copied().collect();
        let before = self.startup_errors();
        let mut errors = Vec::new();
        for s in saved.iter().filter(|s| !running.contains(&s.id)) {
            let result = self.start(s);
            let was = before.iter().find(|e| e.id == s.id).map(|e| &e.message);
            self.note_start(s.id, was, &result);
            if let Err(e) = result {
                errors.push(StartError {
                    id: s.id,
                    name: s.record.name.clone(),
                    message: e.to_string(),
                });
            }
        }
        *lock(&self.startup_errors) = errors;
        Ok(())
    }

    /// Records a start's outcome for the timeline and uptime when it changed: a new reason it
    /// could not start (once per reason, not on every retry), or a start after one failed.
    fn note_start(
        &self,
        id: SubscriptionId,
        was: Option<&String>,
        result: &Result<(), MonitorError>,
    ) {
        let noted = match (was, result) {
            (Some(_), Ok(())) => self.catalog.note_started_again(id),
            (was, Err(e)) if was != Some(&e.to_string()) => {
                self.catalog.note_not_started(id, &e.to_string())
            }
            _ => Ok(()),
        };
        if let Err(e) = noted {
            tracing::warn!(subscription = %id, error = %e, "could not record a start's outcome");
        }
    }

    /// Saved subscriptions that could not be started, with why.
    pub fn startup_errors(&self) -> Vec<StartError> {
        lock(&self.startup_errors).clone()
    }

    fn start(&self, saved: &SavedSubscription) -> Result<(), MonitorError> {
        let resume = self.catalog.resume_point(saved.id)?;
        let config = self.catalog.runtime_config(&saved.record, resume)?;
        let history = self.catalog.run_history(saved)?;
        // Read before the connection starts: once it runs, its first messages may be stored
        // before the seeding and would be counted twice.
        let c = self.catalog.counters(saved.id)?;
        self.supervisor
            .add_after(saved.id, config, saved.record.paused, history)?;
        self.supervisor.seed_counters(saved.id, &c)?;
        lock(&self.running).insert(saved.id, Known::of(saved));
        Ok(())
    }

    /// Starts `id` again after it could not start (the keyring may be unlocked by now, an
    /// edit may have fixed it); its failure is recorded for [`Monitor::status_of`] and
    /// returned.
    fn start_again(&self, id: SubscriptionId) -> Result<(), MonitorError> {
        let saved = self.catalog.subscription(id)?;
        let mut errors = lock(&self.startup_errors);
        let was = errors
            .iter()
            .find(|e| e.id == id)
            .map(|e| e.message.clone());
        errors.retain(|e| e.id != id);
        let result = self.start(&saved);
        self.note_start(id, was.as_ref(), &result);
        match result {
            Ok(()) => Ok(()),
            Err(e) => {
                errors.push(StartError {
                    id,
                    name: saved.record.name.clone(),
                    message: e.to_string(),
                });
                Err(e)
            }
        }
    }

    fn is_running(&self, id: SubscriptionId) -> bool {
        lock(&self.running).contains_key(&id)
    }

    /// The supervisor, for status snapshots and live events.
    pub fn supervisor(&self) -> &Supervisor {
        &self.supervisor
    }

    /// The catalog, for reads (subscriptions, history, transitions, counters, notifications).
    /// Changes go through the monitor's own methods, which apply them to the running streams.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Whether the writer is committing.
    pub fn writer_health(&self) -> tokio::sync::watch::Receiver<WriterHealth> {
        self.writer.health()
    }

    /// The status of a saved subscription: the supervisor's, or, for one that is not running
    /// (it could not start), failed with why.
    pub fn status_of(&self, saved: &SavedSubscription) -> Status {
        if let Ok(status) = self.supervisor.status(saved.id) {
            return status;
        }
        let mut status = Status::new(Default::default(), saved.record.paused);
        status.state = State::Failed;
        status.last_error = Some(
            self.startup_errors()
                .into_iter()
                .find(|e| e.id == saved.id)
                .map_or_else(
                    || "not running".to_string(),
                    |e| format!("could not start: {}", e.message),
                ),
        );
        status
    }

    /// Checks, saves and starts a subscription. Secret headers hold their plain values here;
    /// they go to the keyring, never to the database.
    pub fn add(&self, draft: &SubscriptionRecord) -> Result<SubscriptionId, MonitorError> {
        self.add_keeping(draft, Keeping::Keyring)
    }

    /// [`Monitor::add`], putting its secrets where `keep` says (see [`Keeping`]).
    pub fn add_keeping(
        &self,
        draft: &SubscriptionRecord,
        keep: Keeping,
    ) -> Result<SubscriptionId, MonitorError> {
        let _changing = lock(&self.changing);
        let id = self.catalog.add_keeping(draft, keep)?;
        self.start_again(id)?;
        Ok(id)
    }

    /// Saves a copy of `id` with the same settings and its own keyring items (see
    /// [`Catalog::duplicate`]) and starts it; returns the copy's id.
    pub fn duplicate(&self, id: SubscriptionId) -> Result<SubscriptionId, MonitorError> {
        let _changing = lock(&self.changing);
        let copy = self.catalog.duplicate(id)?;
        self.start_again(copy)?;
        Ok(copy)
    }

    /// Saves new settings and reconnects with them, keeping the stream's position unless the
    /// starting id changed. Secret headers may hold a new plain value or their existing keyring
    /// reference. One that was not running (it could not start) is started again: the edit may
    /// have fixed it.
    pub fn update(
        &self,
        id: SubscriptionId,
        draft: &SubscriptionRecord,
    ) -> Result<(), MonitorError> {
        self.update_keeping(id, draft, Keeping::Keyring)
    }

    /// [`Monitor::update`], putting new secrets where `keep` says (see [`Keeping`]).
    pub fn update_keeping(
        &self,
        id: SubscriptionId,
        draft: &SubscriptionRecord,
        keep: Keeping,
    ) -> Result<(), MonitorError> {
        let _changing = lock(&self.changing);
        let edited = self.catalog.edit_keeping(id, draft, keep)?;
        warn_orphaned(&edited.orphaned);
        if !self.is_running(id) {
            return self.start_again(id);
        }
        let config = self.catalog.runtime_config(&edited.new, None)?;
        let restart_from = edited.new.last_event_id != edited.old.last_event_id;
        self.supervisor.update(id, config, restart_from)?;
        if edited.new.paused != edited.old.paused {
            self.apply_paused(id, edited.new.paused)?;
        }
        self.remember(id)
    }

    /// Renames a subscription; its stream goes on untouched.
    pub fn rename(&self, id: SubscriptionId, name: &str) -> Result<(), MonitorError> {
        let _changing = lock(&self.changing);
        let edited = self.catalog.rename(id, name)?;
        warn_orphaned(&edited.orphaned);
        if self.is_running(id) {
            self.remember(id)?;
        }
        Ok(())
    }

    fn remember(&self, id: SubscriptionId) -> Result<(), MonitorError> {
        let saved = self.catalog.subscription(id)?;
        lock(&self.running).insert(id, Known::of(&saved));
        Ok(())
    }

    /// Stops a subscription and deletes it, its history and its secrets.
    pub fn remove(&self, id: SubscriptionId) -> Result<(), MonitorError> {
        let _changing = lock(&self.changing);
        let (_, orphaned) = self.catalog.remove(id)?;
        warn_orphaned(&orphaned);
        let _ = self.supervisor.remove(id);
        lock(&self.running).remove(&id);
        lock(&self.startup_errors).retain(|e| e.id != id);
        Ok(())
    }

    /// Pauses or resumes, durably. Resuming one that never started (or could not) starts it;
    /// pausing one that is not running just records it, and it then says paused.
    pub fn set_paused(&self, id: SubscriptionId, paused: bool) -> Result<(), MonitorError> {
        let _changing = lock(&self.changing);
        self.apply_paused(id, paused)
    }

    /// What a "Resume" button means: a paused subscription resumes; one that is not running
    /// (it could not start) is started again; one that ended (failed, or the server said 204)
    /// connects again at once.
    pub fn resume(&self, id: SubscriptionId) -> Result<(), MonitorError> {
        let _changing = lock(&self.changing);
        let paused = self.catalog.subscription(id)?.record.paused;
        if paused || !self.is_running(id) {
            return self.apply_paused(id, false);
        }
        Ok(self.supervisor.reconnect_now(id)?)
    }

    /// [`Monitor::set_paused`] for a caller that holds `changing`.
    fn apply_paused(&self, id: SubscriptionId, paused: bool) -> Result<(), MonitorError> {
        self.catalog.set_paused(id, paused)?;
        if !self.is_running(id) {
            return if paused { Ok(()) } else { self.start_again(id) };
        }
        if paused {
            self.supervisor.pause(id)?;
        } else {
            self.supervisor.resume(id)?;
        }
        self.remember(id)
    }

    /// Connects at once, skipping any backoff wait.
    pub fn reconnect_now(&self, id: SubscriptionId) -> Result<(), MonitorError> {
        Ok(self.supervisor.reconnect_now(id)?)
    }

    /// Applies changes another process (the CLI) made to the saved subscriptions: new ones
    /// start, deleted ones stop, edited ones reconnect with their new settings. One that cannot
    /// start is in the report and in [`Monitor::startup_errors`], and is tried again next time.
    pub fn sync_from_store(&self) -> Result<SyncReport, MonitorError> {
        let _changing = lock(&self.changing);
        let saved = self.catalog.subscriptions()?;
        let mut report = SyncReport::default();
        let known = lock(&self.running).clone();
        let before = self.startup_errors();
        for s in &saved {
            let result = match known.get(&s.id) {
                None => {
                    let result = self.start(s);
                    let was = before.iter().find(|e| e.id == s.id).map(|e| &e.message);
                    self.note_start(s.id, was, &result);
                    result.map(|()| report.added.push(s.id))
                }
                Some(k) if k.updated_at != s.updated_at => {
                    self.apply_edit(s, k).map(|()| report.updated.push(s.id))
                }
                Some(_) => Ok(()),
            };
            if let Err(e) = result {
                report.errors.push(StartError {
                    id: s.id,
                    name: s.record.name.clone(),
                    message: e.to_string(),
                });
            }
        }
        for id in known.keys() {
            if !saved.iter().any(|s| s.id == *id) {
                let _ = self.supervisor.remove(*id);
                lock(&self.running).remove(id);
                report.removed.push(*id);
            }
        }
        // Why each saved subscription is not running, as of now: it reads like a failed start.
        let mut errors = lock(&self.startup_errors);
        errors.retain(|e| {
            saved.iter().any(|s| s.id == e.id)
                && !report.added.contains(&e.id)
                && !report.updated.contains(&e.id)
                && !report.errors.iter().any(|n| n.id == e.id)
        });
        errors.extend(report.errors.iter().cloned());
        drop(errors);
        Ok(report)
    }

    /// Applies one subscription's edit made elsewhere; a pause or resume alone does not
    /// reconnect.
    fn apply_edit(&self, s: &SavedSubscription, known: &Known) -> Result<(), MonitorError> {
        let restart_from = known.initial_id != s.record.last_event_id;
        let config = self.catalog.runtime_config(&s.record, None)?;
        let unchanged = self
            .supervisor
            .config(s.id)
            .map(|mut running| {
                let mut new = config.clone();
                running.last_event_id = None;
                new.last_event_id = None;
                running == new
            })
            .unwrap_or(false);
        if restart_from || !unchanged {
            self.supervisor.update(s.id, config, restart_from)?;
        }
        match (known.paused, s.record.paused) {
            (false, true) => self.supervisor.pause(s.id)?,
            (true, false) => self.supervisor.resume(s.id)?,
            _ => {}
        }
        lock(&self.running).insert(s.id, Known::of(s));
        Ok(())
    }

    /// Waits until everything received so far is committed.
    pub async fn flush(&self) -> Result<(), MonitorError> {
        Ok(self.writer.flush().await?)
    }

    /// Stops every connection, then commits everything received and closes the database.
    pub async fn shutdown(self) -> Result<(), MonitorError> {
        let Monitor {
            writer, supervisor, ..
        } = self;
        supervisor.stop_all().await;
        drop(supervisor);
        Ok(writer.shutdown().await?)
    }
}

/// Keyring items a change no longer uses but could not delete hold a value nothing points at;
/// the change itself was saved, so this is a warning, not a failure.
fn warn_orphaned(orphaned: &[(crate::secrets::SecretRef, crate::secrets::SecretError)]) {
    for (r, e) in orphaned {
        tracing::warn!("could not delete the keyring item {r}: {e}");
    }
}

/// What [`Monitor::sync_from_store`] changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SyncReport {
    /// Started.
    pub added: Vec<SubscriptionId>,
    /// Reconfigured.
    pub updated: Vec<SubscriptionId>,
    /// Stopped.
    pub removed: Vec<SubscriptionId>,
    /// Could not be applied, with why; the rest were.
    pub errors: Vec<StartError>,
}
