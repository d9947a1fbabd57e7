//! The whole engine behind one handle: saved subscriptions and their secrets, the supervisor
//! that runs them, and the writer that persists what they receive. The CLI daemon and the
//! desktop shell are both thin layers over this.

use crate::alerts::{NotifyRules, RulesError};
use crate::secrets::{SecretError, SecretRef, SecretStore};
/// Whether the writer is committing; front ends report it.
pub use crate::storage::WriterHealth;
use crate::storage::{
    SavedSubscription, StorageError, Store, StoredHeader, SubscriptionRecord, Writer, WriterConfig,
};
use crate::subscription::{ConfigError, SubscriptionConfig};
use crate::supervisor::{SubscriptionId, Supervisor, SupervisorError};
use crate::SharedStr;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

/// Why a monitor operation failed.
#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    /// The database refused.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The OS keyring refused; nothing was saved.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// The subscription's settings are unusable.
    #[error("subscription {name:?}: {source}")]
    Config {
        /// The subscription's name.
        name: String,
        /// What is wrong.
        source: ConfigError,
    },
    /// The supervisor refused.
    #[error(transparent)]
    Supervisor(#[from] SupervisorError),
    /// The subscription's notification rules are unusable; nothing was saved.
    #[error("subscription {name:?}: {source}")]
    Rules {
        /// The subscription's name.
        name: String,
        /// What is wrong.
        source: RulesError,
    },
}

/// Checks a record's notification rules before it is saved.
fn check_rules(record: &SubscriptionRecord) -> Result<(), MonitorError> {
    NotifyRules::from_json(&record.notify)
        .and_then(|r| r.compile().map(drop))
        .map_err(|source| MonitorError::Rules {
            name: record.name.clone(),
            source,
        })
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
        }
    }
}

/// Saved subscriptions, running and persisted.
pub struct Monitor {
    store: Mutex<Store>,
    writer: Writer,
    supervisor: Supervisor,
    secrets: SecretStore,
    /// What each running subscription was started with, to spot edits made by another
    /// process.
    running: Mutex<HashMap<SubscriptionId, Known>>,
    startup_errors: Mutex<Vec<StartError>>,
    /// Held by each change made here and by [`Monitor::sync_from_store`]: a sync between an
    /// add's save and its start would take the new subscription for one made elsewhere and
    /// start it a second time.
    changing: Mutex<()>,
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

/// Builds a runnable config from a saved record; secret headers are resolved through `secrets`
/// unless `plain_secrets`, where they still hold the user's values.
pub fn runtime_config(
    record: &SubscriptionRecord,
    resume_point: Option<String>,
    secrets: &SecretStore,
    plain_secrets: bool,
) -> Result<SubscriptionConfig, MonitorError> {
    let bad = |source| MonitorError::Config {
        name: record.name.clone(),
        source,
    };
    let mut config = SubscriptionConfig::new(&record.url).map_err(bad)?;
    config.method = record.method.clone();
    for h in &record.headers {
        let value = if h.secret && !plain_secrets {
            let r: SecretRef = h.value.parse()?;
            secrets.get(&r)?
        } else {
            h.value.clone()
        };
        config.headers.push((h.name.clone(), value));
    }
    config.body = record.body.clone();
    config.last_event_id = resume_point
        .or_else(|| record.last_event_id.clone())
        .filter(|id| !id.is_empty())
        .map(SharedStr::from);
    config.retry = record.retry.clone();
    config.idle_timeout = record
        .idle_timeout_ms
        .filter(|ms| *ms > 0)
        .map(Duration::from_millis);
    config.max_event_size = record.max_event_size;
    config.validate().map_err(bad)?;
    Ok(config)
}

/// Whether a header value is already a reference into our keyring (kept on edit).
fn is_reference(secrets: &SecretStore, value: &str) -> bool {
    value
        .parse::<SecretRef>()
        .ok()
        .and_then(|r| r.parts().ok().map(|(svc, _)| svc == secrets.service()))
        .unwrap_or(false)
}

impl Monitor {
    /// Opens the database and starts every saved subscription (paused ones stay paused),
    /// each resuming from its stored last event id. Call inside a tokio runtime.
    pub fn open(opts: MonitorOptions) -> Result<Monitor, MonitorError> {
        let store = Store::open(&opts.dir)?;
        let writer = Writer::spawn(store.path(), opts.writer.clone())?;
        let supervisor = Supervisor::with_recorder(opts.event_capacity, writer.sender())?;
        let monitor = Monitor {
            store: Mutex::new(store),
            writer,
            supervisor,
            secrets: opts.secrets,
            running: Mutex::new(HashMap::new()),
            startup_errors: Mutex::new(Vec::new()),
            changing: Mutex::new(()),
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
        let saved = lock(&self.store).subscriptions()?;
        let running: Vec<SubscriptionId> = lock(&self.running).keys().copied().collect();
        let mut errors = Vec::new();
        for s in saved.iter().filter(|s| !running.contains(&s.id)) {
            if let Err(e) = self.start(s) {
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

    /// Saved subscriptions that could not be started, with why.
    pub fn startup_errors(&self) -> Vec<StartError> {
        lock(&self.startup_errors).clone()
    }

    fn start(&self, saved: &SavedSubscription) -> Result<(), MonitorError> {
        let resume = lock(&self.store).resume_point(saved.id)?;
        let config = runtime_config(&saved.record, resume, &self.secrets, false)?;
        self.supervisor.add(saved.id, config, saved.record.paused)?;
        let c = lock(&self.store).counters(saved.id)?;
        self.supervisor
            .seed_counters(saved.id, c.messages, c.bytes, c.gaps, c.missed_events)?;
        lock(&self.running).insert(saved.id, Known::of(saved));
        Ok(())
    }

    /// The supervisor, for status snapshots and live events.
    pub fn supervisor(&self) -> &Supervisor {
        &self.supervisor
    }

    /// The database, for reads (history, transitions, counters).
    pub fn store(&self) -> MutexGuard<'_, Store> {
        lock(&self.store)
    }

    /// Whether the writer is committing.
    pub fn writer_health(&self) -> tokio::sync::watch::Receiver<WriterHealth> {
        self.writer.health()
    }

    /// Moves secret header values into the keyring, returning the record to store and the
    /// references created (to undo on failure).
    fn seal_secrets(
        &self,
        record: &SubscriptionRecord,
    ) -> Result<(SubscriptionRecord, Vec<SecretRef>), MonitorError> {
        let mut sealed = record.clone();
        let mut created = Vec::new();
        for h in sealed.headers.iter_mut().filter(|h| h.secret) {
            if is_reference(&self.secrets, &h.value) {
                continue;
            }
            match self.secrets.put(&h.name, &h.value) {
                Ok(r) => {
                    h.value = r.to_string();
                    created.push(r);
                }
                Err(e) => {
                    self.forget(&created);
                    return Err(e.into());
                }
            }
        }
        Ok((sealed, created))
    }

    fn forget(&self, refs: &[SecretRef]) {
        for r in refs {
            // Best effort: an orphaned keyring item holds no data we still point at.
            let _ = self.secrets.delete(r);
        }
    }

    /// Checks, saves and starts a subscription. Secret headers hold their plain values here;
    /// they go to the keyring, never to the database.
    pub fn add(&self, record: &SubscriptionRecord) -> Result<SubscriptionId, MonitorError> {
        let _changing = lock(&self.changing);
        runtime_config(record, None, &self.secrets, true)?;
        check_rules(record)?;
        let (sealed, created) = self.seal_secrets(record)?;
        let id = match lock(&self.store).add_subscription(&sealed) {
            Ok(id) => id,
            Err(e) => {
                self.forget(&created);
                return Err(e.into());
            }
        };
        let saved = lock(&self.store).subscription(id)?;
        self.start(&saved)?;
        Ok(id)
    }

    /// Saves new settings and reconnects with them, keeping the stream's position. Secret
    /// headers may hold a new plain value or their existing keyring reference.
    pub fn update(
        &self,
        id: SubscriptionId,
        record: &SubscriptionRecord,
    ) -> Result<(), MonitorError> {
        let _changing = lock(&self.changing);
        let old = lock(&self.store).subscription(id)?;
        check_rules(record)?;
        let (sealed, created) = self.seal_secrets(record)?;
        let config = match runtime_config(&sealed, None, &self.secrets, false) {
            Ok(c) => c,
            Err(e) => {
                self.forget(&created);
                return Err(e);
            }
        };
        if let Err(e) = lock(&self.store).update_subscription(id, &sealed) {
            self.forget(&created);
            return Err(e.into());
        }
        self.forget(&dropped_secrets(&old.record, &sealed));
        let restart_from = record.last_event_id != old.record.last_event_id;
        self.supervisor.update(id, config, restart_from)?;
        if sealed.paused != old.record.paused {
            self.apply_paused(id, sealed.paused)?;
        }
        self.remember(id)
    }

    fn remember(&self, id: SubscriptionId) -> Result<(), MonitorError> {
        let saved = lock(&self.store).subscription(id)?;
        lock(&self.running).insert(id, Known::of(&saved));
        Ok(())
    }

    /// Stops a subscription and deletes it, its history and its secrets.
    pub fn remove(&self, id: SubscriptionId) -> Result<(), MonitorError> {
        let _changing = lock(&self.changing);
        let old = lock(&self.store).subscription(id)?;
        lock(&self.store).remove_subscription(id)?;
        let _ = self.supervisor.remove(id);
        lock(&self.running).remove(&id);
        let refs: Vec<SecretRef> = secret_refs(&old.record);
        self.forget(&refs);
        Ok(())
    }

    /// Pauses or resumes, durably.
    pub fn set_paused(&self, id: SubscriptionId, paused: bool) -> Result<(), MonitorError> {
        let _changing = lock(&self.changing);
        self.apply_paused(id, paused)
    }

    /// [`Monitor::set_paused`] for a caller that holds `changing`.
    fn apply_paused(&self, id: SubscriptionId, paused: bool) -> Result<(), MonitorError> {
        lock(&self.store).set_paused(id, paused)?;
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
        let saved = lock(&self.store).subscriptions()?;
        let mut report = SyncReport::default();
        let known = lock(&self.running).clone();
        for s in &saved {
            let result = match known.get(&s.id) {
                None => self.start(s).map(|()| report.added.push(s.id)),
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
        let config = runtime_config(&s.record, None, &self.secrets, false)?;
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

fn secret_refs(record: &SubscriptionRecord) -> Vec<SecretRef> {
    record
        .headers
        .iter()
        .filter(|h| h.secret)
        .filter_map(|h| h.value.parse().ok())
        .collect()
}

/// References the old record had that the new one no longer uses.
fn dropped_secrets(old: &SubscriptionRecord, new: &SubscriptionRecord) -> Vec<SecretRef> {
    let kept: Vec<&StoredHeader> = new.headers.iter().filter(|h| h.secret).collect();
    secret_refs(old)
        .into_iter()
        .filter(|r| !kept.iter().any(|h| h.value == r.as_str()))
        .collect()
}
