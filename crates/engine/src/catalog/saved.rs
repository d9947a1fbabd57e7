//! [`Catalog`]: the one API over saved subscriptions. It works on the database alone (the CLI's
//! `subs` commands, imports), and [`crate::monitor::Monitor`] wraps it to apply each change to
//! the running supervisor as well. Every front end goes through here; none opens storage.

use super::error::CatalogError;
use super::sealing::{self, Keeping, Sealed};
use super::validate::{check_record, check_settings, Field, Invalid};
use crate::expectations::Expectations;
use crate::ids::SubscriptionId;
use crate::secrets::{SecretError, SecretRef, SecretStore};
use crate::storage::{
    GapRecord, HistoryQuery, NewNotification, ResetRecord, SavedSubscription, StorageError, Store,
    StoredCounters, StoredMessage, StoredNotification, SubscriptionRecord, Transition,
};
use crate::subscription::SubscriptionConfig;
use crate::timeline::{TimelineEvent, TimelineRecord};
use crate::SharedStr;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// What an edit changed, for the caller that runs the subscription.
#[derive(Debug)]
pub struct Edited {
    /// The record as it was.
    pub old: SubscriptionRecord,
    /// The record as saved now (secret values sealed).
    pub new: SubscriptionRecord,
    /// Keyring items the edit no longer uses that could not be deleted.
    pub orphaned: Vec<(SecretRef, SecretError)>,
}

/// Saved subscriptions, their secrets and what was stored for them.
pub struct Catalog {
    store: Store,
    secrets: SecretStore,
}

impl Catalog {
    /// Opens (creating if missing) the database in `dir`; secrets live under `secrets`.
    pub fn open(dir: &Path, secrets: SecretStore) -> Result<Catalog, CatalogError> {
        Ok(Catalog {
            store: Store::open(dir)?,
            secrets,
        })
    }

    /// The per-user data directory (e.g. `~/.local/share/streamwatch` on Linux).
    pub fn default_dir() -> Result<PathBuf, CatalogError> {
        Ok(Store::default_dir()?)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        self.store.path()
    }

    /// The keyring service secrets live under.
    pub fn secrets(&self) -> &SecretStore {
        &self.secrets
    }

    /// The database, for the catalog's other files.
    pub(super) fn store(&self) -> &Store {
        &self.store
    }

    // --- Reads -------------------------------------------------------------------------------

    /// Every saved subscription, by id.
    pub fn subscriptions(&self) -> Result<Vec<SavedSubscription>, CatalogError> {
        Ok(self.store.subscriptions()?)
    }

    /// One subscription by id.
    pub fn subscription(&self, id: SubscriptionId) -> Result<SavedSubscription, CatalogError> {
        self.store.subscription(id).map_err(|e| match e {
            StorageError::NotFound(_) => CatalogError::NotFound(id.to_string()),
            other => other.into(),
        })
    }

    /// The subscription called `key` (ASCII case ignored) or, failing that, numbered `key`.
    pub fn find(&self, key: &str) -> Result<SavedSubscription, CatalogError> {
        self.store.find_subscription(key).map_err(|e| match e {
            StorageError::NotFound(_) => CatalogError::NotFound(key.trim().to_string()),
            other => other.into(),
        })
    }

    /// Where the next connection resumes: the last stored id, else the user-given one.
    pub fn resume_point(&self, id: SubscriptionId) -> Result<Option<String>, CatalogError> {
        Ok(self.store.resume_point(id)?)
    }

    /// Stored messages matching `q`.
    pub fn history(
        &self,
        id: SubscriptionId,
        q: &HistoryQuery,
    ) -> Result<Vec<StoredMessage>, CatalogError> {
        Ok(self.store.history(id, q)?)
    }

    /// How many messages are stored now (after retention).
    pub fn message_count(&self, id: SubscriptionId) -> Result<u64, CatalogError> {
        Ok(self.store.message_count(id)?)
    }

    /// State transitions at or after `since` (all when `None`), oldest first.
    pub fn transitions(
        &self,
        id: SubscriptionId,
        since: Option<SystemTime>,
    ) -> Result<Vec<Transition>, CatalogError> {
        Ok(self.store.transitions(id, since)?)
    }

    /// Timeline events (connection steps, edits) at or after `since` (all when `None`),
    /// oldest first: the newest [`crate::storage::MAX_TIMELINE_ROWS`].
    pub fn timeline(
        &self,
        id: SubscriptionId,
        since: Option<SystemTime>,
    ) -> Result<Vec<TimelineRecord>, CatalogError> {
        Ok(self.store.timeline(id, since)?)
    }

    /// Recorded gaps, oldest first.
    pub fn gaps(&self, id: SubscriptionId) -> Result<Vec<GapRecord>, CatalogError> {
        Ok(self.store.gaps(id)?)
    }

    /// Stored id resets (the server restarted its counter), oldest first.
    pub fn resets(&self, id: SubscriptionId) -> Result<Vec<ResetRecord>, CatalogError> {
        Ok(self.store.resets(id)?)
    }

    /// The stored counters (messages, bytes, gaps, missed events).
    pub fn counters(&self, id: SubscriptionId) -> Result<StoredCounters, CatalogError> {
        Ok(self.store.counters(id)?)
    }

    /// Adds to the in-app notification list; returns the entry's id.
    pub fn add_notification(&self, n: &NewNotification<'_>) -> Result<u64, CatalogError> {
        Ok(self.store.add_notification(n)?)
    }

    /// The in-app notification list, newest first: `limit` entries older than `before`.
    pub fn notifications(
        &self,
        before: Option<u64>,
        limit: u32,
    ) -> Result<Vec<StoredNotification>, CatalogError> {
        Ok(self.store.notifications(before, limit)?)
    }

    /// Empties the in-app notification list.
    pub fn clear_notifications(&self) -> Result<(), CatalogError> {
        Ok(self.store.clear_notifications()?)
    }

    /// The runnable config of a saved record, its secrets read from the keyring;
    /// `resume_point` (when known) replaces the user-given starting id.
    pub fn runtime_config(
        &self,
        record: &SubscriptionRecord,
        resume_point: Option<String>,
    ) -> Result<SubscriptionConfig, CatalogError> {
        let plain = sealing::reveal(&self.secrets, record)?;
        runnable(&plain, resume_point)
    }

    // --- Changes -----------------------------------------------------------------------------

    /// Checks and saves a new subscription; secret header values (plain here) go to the
    /// keyring, never to the database. Nothing is left behind on failure.
    pub fn add(&self, draft: &SubscriptionRecord) -> Result<SubscriptionId, CatalogError> {
        self.add_keeping(draft, Keeping::Keyring)
    }

    /// [`Catalog::add`], putting its secrets where `keep` says: [`Keeping::SessionOnly`] only
    /// when the user chose it after the keyring was unavailable.
    pub fn add_keeping(
        &self,
        draft: &SubscriptionRecord,
        keep: Keeping,
    ) -> Result<SubscriptionId, CatalogError> {
        check_record(draft)?;
        // Checked before any secret reaches the keyring; the database refuses a duplicate too.
        self.check_name_free(&draft.name, None)?;
        let Sealed { record, created } = sealing::seal_keeping(&self.secrets, draft, None, keep)?;
        self.store.add_subscription(&record).map_err(|e| {
            sealing::forget(&self.secrets, &created);
            e.into()
        })
    }

    /// Checks and saves new settings for `id`. Secret headers hold a new plain value or the
    /// reference they already had; references no longer used are deleted from the keyring.
    pub fn edit(
        &self,
        id: SubscriptionId,
        draft: &SubscriptionRecord,
    ) -> Result<Edited, CatalogError> {
        self.edit_keeping(id, draft, Keeping::Keyring)
    }

    /// [`Catalog::edit`], putting new secrets where `keep` says.
    pub fn edit_keeping(
        &self,
        id: SubscriptionId,
        draft: &SubscriptionRecord,
        keep: Keeping,
    ) -> Result<Edited, CatalogError> {
        let old = self.subscription(id)?.record;
        check_record(draft)?;
        self.check_name_free(&draft.name, Some(id))?;
        let Sealed { record, created } =
            sealing::seal_keeping(&self.secrets, draft, Some(&old), keep)?;
        if let Err(e) = self.store.update_subscription(id, &record) {
            sealing::forget(&self.secrets, &created);
            return Err(e.into());
        }
        let orphaned = sealing::forget(&self.secrets, &sealing::dropped(&old, &record));
        let fields = super::changes::changed_fields(&old, &record);
        if !fields.is_empty() {
            let edited = TimelineEvent::Edited {
                fields: fields.join(", "),
            };
            self.store.add_timeline(id, SystemTime::now(), &edited)?;
        }
        Ok(Edited {
            old,
            new: record,
            orphaned,
        })
    }

    /// Renames `id`; the rest of its settings stay.
    pub fn rename(&self, id: SubscriptionId, name: &str) -> Result<Edited, CatalogError> {
        let mut draft = self.subscription(id)?.record;
        draft.name = name.trim().to_string();
        self.edit(id, &draft)
    }

    /// Deletes `id` with its history and its keyring items; returns the record it had and any
    /// keyring item that could not be deleted.
    pub fn remove(
        &self,
        id: SubscriptionId,
    ) -> Result<(SubscriptionRecord, Vec<(SecretRef, SecretError)>), CatalogError> {
        let old = self.subscription(id)?.record;
        self.store.remove_subscription(id)?;
        let orphaned = sealing::forget(&self.secrets, &sealing::refs(&old));
        Ok((old, orphaned))
    }

    /// Moves URL credentials that an older version saved in plain text into the keyring (the
    /// same as editing each such subscription without changes); returns the names it could not
    /// seal, with why. Nothing changes for those.
    pub fn seal_plain_url_credentials(&self) -> Result<Vec<(String, CatalogError)>, CatalogError> {
        let mut failed = Vec::new();
        for s in self.subscriptions()? {
            if sealing::has_plain_url_credentials(&s.record) {
                if let Err(e) = self.edit(s.id, &s.record) {
                    failed.push((s.record.name.clone(), e));
                }
            }
        }
        Ok(failed)
    }

    /// Records whether `id` is paused; returns whether that changed anything.
    pub fn set_paused(&self, id: SubscriptionId, paused: bool) -> Result<bool, CatalogError> {
        let saved = self.subscription(id)?;
        if saved.record.paused == paused {
            return Ok(false);
        }
        self.store.set_paused(id, paused)?;
        Ok(true)
    }

    /// Refuses `name` when another subscription (not `except`) has it, ignoring ASCII case.
    fn check_name_free(
        &self,
        name: &str,
        except: Option<SubscriptionId>,
    ) -> Result<(), CatalogError> {
        match self.store.find_subscription(name) {
            Ok(s) if Some(s.id) != except => Err(CatalogError::NameTaken(name.trim().to_string())),
            Ok(_) | Err(StorageError::NotFound(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

/// The runnable config of a record whose secret headers hold their plain values.
pub(super) fn runnable(
    record: &SubscriptionRecord,
    resume_point: Option<String>,
) -> Result<SubscriptionConfig, CatalogError> {
    check_settings(record)?;
    let mut config = SubscriptionConfig::new(&record.url)
        .map_err(|e| Invalid::new(Field::Url, e.to_string()))?;
    config.method = record.method.clone();
    config.headers = record
        .headers
        .iter()
        .map(|h| (h.name.clone(), h.value.clone()))
        .collect();
    config.secret_headers = record
        .headers
        .iter()
        .filter(|h| h.secret)
        .map(|h| h.name.clone())
        .collect();
    config.secret_params = record.secret_params.clone();
    config.body = record.body.clone();
    config.last_event_id = resume_point
        .or_else(|| record.last_event_id.clone())
        .filter(|id| !id.is_empty())
        .map(SharedStr::from);
    config.retry = record.retry.clone();
    // None stays None (automatic); Some(0) stays zero (off).
    config.idle_timeout = record.idle_timeout_ms.map(Duration::from_millis);
    config.stale_after = record.stale_after_secs.map(Duration::from_secs);
    config.ids_not_sequential = record.ids_not_sequential;
    config.max_event_size = record.max_event_size;
    config.redirects = record.redirects;
    config.client = record.network.clone();
    config.reconnect = record.reconnect;
    config.end_event = record.end_event.clone();
    config.expectations = Expectations::new(record.expectations.clone());
    config.probe_every = record.probe_every_ms.map(Duration::from_millis);
    Ok(config)
}
