//! The synchronous handle for configuration (CRUD) and for reading history back.

use super::error::{Result, StorageError};
use super::model::{
    GapRecord, HistoryQuery, ResetRecord, Retention, SavedSubscription, StoredCounters,
    StoredHeader, StoredMessage, SubscriptionRecord, Transition,
};
use super::schema;
use super::time::{from_ms, now_ms, to_ms};
use crate::client_options::ClientOptions;
use crate::ids::SubscriptionId;
use crate::reconnect_mode::ReconnectMode;
use crate::redirects::RedirectMode;
use crate::subscription::RetryConfig;
use rusqlite::{params, Connection, OptionalExtension, Row};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

/// The database file's name inside the data directory.
pub const DB_FILE_NAME: &str = "streamwatch.db";

/// Reads and edits the database through its own connection. Cheap calls; blocking (use
/// `spawn_blocking` from async code if a call may be slow, e.g. removing a large history).
pub struct Store {
    // A mutex makes the handle `Sync`, so a GUI shell can share one; calls are short.
    conn: Mutex<Connection>,
    path: PathBuf,
}

const SUBSCRIPTION_COLUMNS: &str = "id, name, url, method, headers, body, initial_last_event_id, \
     retry_initial_ms, retry_max_ms, retry_max_retries, idle_timeout_ms, max_event_size, paused, \
     retention_max_rows, retention_max_age_ms, notify, created_at, updated_at, redirects, \
     secret_params, stale_after_secs, ids_not_sequential, network, reconnect, end_event, \
     probe_every_ms, expectations";

impl Store {
    /// The per-user data directory (XDG data dir on Linux, Application Support on macOS, AppData
    /// on Windows).
    pub fn default_dir() -> Result<PathBuf> {
        directories::ProjectDirs::from("dev", "Streamwatch", "Streamwatch")
            .map(|d| d.data_dir().to_path_buf())
            .ok_or(StorageError::NoDataDir)
    }

    /// Opens `dir/streamwatch.db`, creating the directory and the database if missing, in WAL
    /// mode with the schema brought up to date. A damaged, foreign or newer file is refused and
    /// left as it was. On Unix the directory is created 0700 and the database files are 0600:
    /// history holds whatever the monitored servers sent, which other local users have no
    /// business reading.
    pub fn open(dir: &Path) -> Result<Store> {
        create_private_dir(dir).map_err(|e| StorageError::from_io(dir, &e))?;
        let path = dir.join(DB_FILE_NAME);
        create_private_file(&path)
            .map_err(|e| explain_cannot_open(StorageError::from_io(&path, &e), dir))?;
        let conn = schema::open(&path).map_err(|e| explain_cannot_open(e, dir))?;
        tighten_companions(&path);
        Ok(Store {
            conn: Mutex::new(conn),
            path,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(super) fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves the connection usable: SQLite rolls back any
        // unfinished transaction when its guard is dropped.
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn sql(&self, e: rusqlite::Error) -> StorageError {
        StorageError::from_sqlite(&self.path, e)
    }

    /// Saves a new subscription; the database assigns its id.
    pub fn add_subscription(&self, s: &SubscriptionRecord) -> Result<SubscriptionId> {
        let v = Columns::new(s)?;
        let now = now_ms();
        let conn = self.conn();
        let res = conn.execute(
            "INSERT INTO subscriptions (name, url, method, headers, body, initial_last_event_id,
                 retry_initial_ms, retry_max_ms, retry_max_retries, idle_timeout_ms, max_event_size,
                 paused, retention_max_rows, retention_max_age_ms, notify, created_at, updated_at,
                 redirects, secret_params, stale_after_secs, ids_not_sequential, network,
                 reconnect, end_event, probe_every_ms, expectations)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?16,
                 ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25)",
            params![
                s.name.trim(),
                s.url,
                s.method,
                v.headers,
                s.body,
                s.last_event_id,
                v.retry_initial_ms,
                v.retry_max_ms,
                s.retry.max_retries,
                v.idle_timeout_ms,
                v.max_event_size,
                s.paused,
                v.max_rows,
                v.max_age_ms,
                v.notify,
                now,
                s.redirects.as_str(),
                v.secret_params,
                v.stale_after_secs,
                s.ids_not_sequential,
                v.network,
                s.reconnect.map(|m| m.as_str()),
                s.end_event,
                v.probe_every_ms,
                v.expectations,
            ],
        );
        match res {
            Ok(_) => Ok(SubscriptionId(id_from_rowid(conn.last_insert_rowid()))),
            Err(e) => Err(self.name_taken_or(e, &s.name)),
        }
    }

    /// Replaces a subscription's configuration. Changing the user-given starting id forgets the
    /// stored resume point, so the next connection starts from the new one.
    pub fn update_subscription(&self, id: SubscriptionId, s: &SubscriptionRecord) -> Result<()> {
        let v = Columns::new(s)?;
        let key = rowid(id)?;
        let mut conn = self.conn();
        // Immediate: a deferred transaction that reads first cannot take the write lock once
        // the writer has committed in between (SQLITE_BUSY at once, no busy wait), which an
        // edit of a running subscription meets while its messages are stored.
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| self.sql(e))?;
        let old_start: Option<Option<String>> = tx
            .query_row(
                "SELECT initial_last_event_id FROM subscriptions WHERE id = ?1",
                [key],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.sql(e))?;
        let Some(old_start) = old_start else {
            return Err(not_found(id));
        };
        let res = tx.execute(
            "UPDATE subscriptions SET name = ?2, url = ?3, method = ?4, headers = ?5, body = ?6,
                 initial_last_event_id = ?7, retry_initial_ms = ?8, retry_max_ms = ?9,
                 retry_max_retries = ?10, idle_timeout_ms = ?11, max_event_size = ?12, paused = ?13,
                 retention_max_rows = ?14, retention_max_age_ms = ?15, notify = ?16,
                 updated_at = ?17, redirects = ?18, secret_params = ?19, stale_after_secs = ?20,
                 ids_not_sequential = ?21, network = ?22, reconnect = ?23, end_event = ?24,
                 probe_every_ms = ?25, expectations = ?26
             WHERE id = ?1",
            params![
                key,
                s.name.trim(),
                s.url,
                s.method,
                v.headers,
                s.body,
                s.last_event_id,
                v.retry_initial_ms,
                v.retry_max_ms,
                s.retry.max_retries,
                v.idle_timeout_ms,
                v.max_event_size,
                s.paused,
                v.max_rows,
                v.max_age_ms,
                v.notify,
                now_ms(),
                s.redirects.as_str(),
                v.secret_params,
                v.stale_after_secs,
                s.ids_not_sequential,
                v.network,
                s.reconnect.map(|m| m.as_str()),
                s.end_event,
                v.probe_every_ms,
                v.expectations,
            ],
        );
        if let Err(e) = res {
            return Err(self.name_taken_or(e, &s.name));
        }
        if old_start != s.last_event_id {
            tx.execute(
                "UPDATE sub_state SET last_event_id = NULL WHERE subscription_id = ?1",
                [key],
            )
            .map_err(|e| self.sql(e))?;
        }
        tx.commit().map_err(|e| self.sql(e))
    }

    /// Deletes a subscription with its history, state, transitions and gaps.
    pub fn remove_subscription(&self, id: SubscriptionId) -> Result<()> {
        let key = rowid(id)?;
        // The foreign keys cascade, in one transaction.
        let n = self
            .conn()
            .execute("DELETE FROM subscriptions WHERE id = ?1", [key])
            .map_err(|e| self.sql(e))?;
        if n == 0 {
            return Err(not_found(id));
        }
        Ok(())
    }

    /// Records whether a subscription is paused.
    pub fn set_paused(&self, id: SubscriptionId, paused: bool) -> Result<()> {
        let n = self
            .conn()
            .execute(
                "UPDATE subscriptions SET paused = ?2, updated_at = ?3 WHERE id = ?1",
                params![rowid(id)?, paused, now_ms()],
            )
            .map_err(|e| self.sql(e))?;
        if n == 0 {
            return Err(not_found(id));
        }
        Ok(())
    }

    /// One subscription.
    pub fn subscription(&self, id: SubscriptionId) -> Result<SavedSubscription> {
        let conn = self.conn();
        let sql = format!("SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id = ?1");
        let row = conn
            .query_row(&sql, [rowid(id)?], RawSubscription::read)
            .optional()
            .map_err(|e| self.sql(e))?;
        row.ok_or_else(|| not_found(id))?.decode(&self.path)
    }

    /// A subscription by name (ASCII case ignored) or, failing that, by numeric id.
    pub fn find_subscription(&self, name_or_id: &str) -> Result<SavedSubscription> {
        let key = name_or_id.trim();
        let by_name = {
            let conn = self.conn();
            let sql = format!("SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE name = ?1");
            conn.query_row(&sql, [key], RawSubscription::read)
                .optional()
                .map_err(|e| self.sql(e))?
        };
        if let Some(raw) = by_name {
            return raw.decode(&self.path);
        }
        match key.parse::<u64>() {
            Ok(n) => self.subscription(SubscriptionId(n)),
            Err(_) => Err(StorageError::NotFound(format!("named {key:?}"))),
        }
    }

    /// Every subscription, by id.
    pub fn subscriptions(&self) -> Result<Vec<SavedSubscription>> {
        let conn = self.conn();
        let sql = format!("SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions ORDER BY id");
        let mut stmt = conn.prepare(&sql).map_err(|e| self.sql(e))?;
        let raws = stmt
            .query_map([], RawSubscription::read)
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| self.sql(e))?;
        raws.into_iter().map(|r| r.decode(&self.path)).collect()
    }

    /// Where to resume: the last event id stored with the history, or, when nothing has been
    /// stored since the subscription was added (or its starting id changed), the user-given one.
    pub fn resume_point(&self, id: SubscriptionId) -> Result<Option<String>> {
        let row: Option<(Option<String>, Option<String>)> = self
            .conn()
            .query_row(
                "SELECT st.last_event_id, s.initial_last_event_id
                 FROM subscriptions s LEFT JOIN sub_state st ON st.subscription_id = s.id
                 WHERE s.id = ?1",
                [rowid(id)?],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| self.sql(e))?;
        let (stored, initial) = row.ok_or_else(|| not_found(id))?;
        Ok(stored.or(initial))
    }

    /// Stored messages matching `q`.
    pub fn history(&self, id: SubscriptionId, q: &HistoryQuery) -> Result<Vec<StoredMessage>> {
        let key = rowid(id)?;
        let conn = self.conn();
        self.check_exists(&conn, id)?;
        // Data as bytes, so a preview is a byte prefix (SQLite's substr on text counts
        // characters); the cut is moved back to a character boundary below.
        let sql = if q.newest_first {
            "SELECT seq, received_at, event, event_id,
               CASE WHEN ?6 > 0 THEN substr(CAST(data AS BLOB), 1, ?6) ELSE CAST(data AS BLOB) END,
               replayed, length(CAST(data AS BLOB)), mismatch FROM messages
             WHERE subscription_id = ?1 AND seq > ?2 AND seq < ?3 AND received_at >= ?4
               AND received_at <= ?7
             ORDER BY seq DESC LIMIT ?5"
        } else {
            "SELECT seq, received_at, event, event_id,
               CASE WHEN ?6 > 0 THEN substr(CAST(data AS BLOB), 1, ?6) ELSE CAST(data AS BLOB) END,
               replayed, length(CAST(data AS BLOB)), mismatch FROM messages
             WHERE subscription_id = ?1 AND seq > ?2 AND seq < ?3 AND received_at >= ?4
               AND received_at <= ?7
             ORDER BY seq ASC LIMIT ?5"
        };
        let preview = i64::try_from(q.preview_bytes).unwrap_or(i64::MAX);
        let after = q.after_seq.map_or(0, saturating_i64);
        let before = q.before_seq.map_or(i64::MAX, saturating_i64);
        let since = q.since.map_or(i64::MIN, to_ms);
        let until = q.until.map_or(i64::MAX, to_ms);
        // SQLite reads a negative LIMIT as "no limit".
        let limit = if q.limit == 0 {
            -1
        } else {
            i64::try_from(q.limit).unwrap_or(i64::MAX)
        };
        let mut stmt = conn.prepare_cached(sql).map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map(
                params![key, after, before, since, limit, preview, until],
                |r| {
                    Ok(StoredMessage {
                        seq: r.get(0)?,
                        received_at: from_ms(r.get(1)?),
                        event: r.get(2)?,
                        id: r.get(3)?,
                        data: prefix_text(r.get(4)?),
                        replayed: r.get(5)?,
                        size: r.get(6)?,
                        mismatch: r.get(7)?,
                    })
                },
            )
            .map_err(|e| self.sql(e))?;
        // Rows are read one at a time: a byte-bounded page never loads the rows past its end.
        let mut out = Vec::new();
        let mut bytes = 0usize;
        for row in rows {
            let row = row.map_err(|e| self.sql(e))?;
            bytes = bytes.saturating_add(row.data.len());
            out.push(row);
            if q.max_bytes > 0 && bytes >= q.max_bytes {
                break;
            }
        }
        Ok(out)
    }

    /// How many messages are stored now (after retention).
    pub fn message_count(&self, id: SubscriptionId) -> Result<u64> {
        let conn = self.conn();
        self.check_exists(&conn, id)?;
        conn.query_row(
            "SELECT count(*) FROM messages WHERE subscription_id = ?1",
            [rowid(id)?],
            |r| r.get(0),
        )
        .map_err(|e| self.sql(e))
    }

    /// Stores one state change of `id` made outside a running stream (a start that failed,
    /// and the start after it); the writer stores a running stream's own.
    pub fn add_transition(
        &self,
        id: SubscriptionId,
        at: SystemTime,
        from: &str,
        to: &str,
        reason: &str,
    ) -> Result<()> {
        let conn = self.conn();
        self.check_exists(&conn, id)?;
        conn.execute(
            "INSERT INTO transitions (subscription_id, at, from_state, to_state, reason)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![rowid(id)?, to_ms(at), from, to, reason],
        )
        .map_err(|e| self.sql(e))?;
        Ok(())
    }

    /// State changes, oldest first, optionally only those at or after `since`.
    pub fn transitions(
        &self,
        id: SubscriptionId,
        since: Option<SystemTime>,
    ) -> Result<Vec<Transition>> {
        let conn = self.conn();
        self.check_exists(&conn, id)?;
        let mut stmt = conn
            .prepare_cached(
                "SELECT at, from_state, to_state, reason FROM transitions
                 WHERE subscription_id = ?1 AND at >= ?2 ORDER BY at, id",
            )
            .map_err(|e| self.sql(e))?;
        let since = since.map_or(i64::MIN, to_ms);
        let rows = stmt
            .query_map(params![rowid(id)?, since], |r| {
                Ok(Transition {
                    at: from_ms(r.get(0)?),
                    from: r.get(1)?,
                    to: r.get(2)?,
                    reason: r.get(3)?,
                })
            })
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| self.sql(e))?;
        Ok(rows)
    }

    /// Detected gaps, oldest first.
    pub fn gaps(&self, id: SubscriptionId) -> Result<Vec<GapRecord>> {
        let conn = self.conn();
        self.check_exists(&conn, id)?;
        let mut stmt = conn
            .prepare_cached(
                "SELECT at, after_id, next_id, missed FROM gaps
                 WHERE subscription_id = ?1 ORDER BY at, id",
            )
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map([rowid(id)?], |r| {
                Ok(GapRecord {
                    at: from_ms(r.get(0)?),
                    // Stored bit-cast (see the schema): u64 ids above i64::MAX survive the trip.
                    after: r.get::<_, i64>(1)? as u64,
                    next: r.get::<_, i64>(2)? as u64,
                    missed: r.get::<_, i64>(3)? as u64,
                })
            })
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| self.sql(e))?;
        Ok(rows)
    }

    /// Id resets (ids that went backwards without a replay), oldest first.
    pub fn resets(&self, id: SubscriptionId) -> Result<Vec<ResetRecord>> {
        let conn = self.conn();
        self.check_exists(&conn, id)?;
        let mut stmt = conn
            .prepare_cached(
                "SELECT at, last_id, first_id FROM resets
                 WHERE subscription_id = ?1 ORDER BY at, id",
            )
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map([rowid(id)?], |r| {
                Ok(ResetRecord {
                    at: from_ms(r.get(0)?),
                    // Stored bit-cast, as gaps are.
                    last: r.get::<_, i64>(1)? as u64,
                    first: r.get::<_, i64>(2)? as u64,
                })
            })
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| self.sql(e))?;
        Ok(rows)
    }

    /// Lifetime counters: gaps, missed events, messages and bytes ever stored, replays and
    /// resets.
    pub fn counters(&self, id: SubscriptionId) -> Result<StoredCounters> {
        let conn = self.conn();
        self.check_exists(&conn, id)?;
        let c = conn
            .query_row(
                "SELECT gaps, missed_events, messages, bytes, replayed, resets, mismatches
                 FROM sub_state WHERE subscription_id = ?1",
                [rowid(id)?],
                |r| {
                    Ok(StoredCounters {
                        gaps: r.get(0)?,
                        missed_events: r.get(1)?,
                        messages: r.get(2)?,
                        bytes: r.get(3)?,
                        replayed: r.get(4)?,
                        resets: r.get(5)?,
                        mismatches: r.get(6)?,
                    })
                },
            )
            .optional()
            .map_err(|e| self.sql(e))?;
        Ok(c.unwrap_or_default())
    }

    fn check_exists(&self, conn: &Connection, id: SubscriptionId) -> Result<()> {
        let found = conn
            .prepare_cached("SELECT 1 FROM subscriptions WHERE id = ?1")
            .and_then(|mut s| s.exists([rowid(id).unwrap_or(-1)]))
            .map_err(|e| self.sql(e))?;
        if found {
            Ok(())
        } else {
            Err(not_found(id))
        }
    }

    /// A unique-constraint failure on insert or update can only be the name.
    fn name_taken_or(&self, e: rusqlite::Error, name: &str) -> StorageError {
        match &e {
            rusqlite::Error::SqliteFailure(f, _)
                if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE =>
            {
                StorageError::NameTaken(name.trim().to_string())
            }
            _ => self.sql(e),
        }
    }
}

/// Creates `dir` and any missing parents, owner-only on Unix. An existing directory keeps its
/// mode: the user may have chosen a shared folder on purpose, and the files inside are 0600.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Makes sure the database file exists with owner-only permissions (Unix) before SQLite opens
/// it: SQLite gives its `-wal` and `-shm` files the database file's mode, so all three end up
/// 0600. An empty file is what SQLite itself would have created. A file left more open by an
/// older version is tightened.
fn create_private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    // `create_new`: never truncate, and never follow a planted symlink to create elsewhere.
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            tighten(path);
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// Tightens the `-wal` and `-shm` files an older version may have left readable by others.
fn tighten_companions(db: &Path) {
    for suffix in ["-wal", "-shm"] {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        tighten(Path::new(&name));
    }
}

/// Removes group and other access from `path` if it has any (Unix). Best effort: a file we do
/// not own cannot be changed, and that is no reason to refuse to open the history.
fn tighten(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::symlink_metadata(path) {
            let mode = meta.permissions().mode();
            if meta.is_file() && mode & 0o077 != 0 {
                let _ =
                    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o700));
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// SQLite says only "unable to open database file" when the folder forbids creating the file
/// (or its WAL companions); name the real cause when the folder is plainly not writable.
fn explain_cannot_open(e: StorageError, dir: &Path) -> StorageError {
    match e {
        StorageError::CannotOpen { path, .. } | StorageError::ReadOnly { path, .. }
            if std::fs::metadata(dir).is_ok_and(|m| m.permissions().readonly()) =>
        {
            StorageError::ReadOnly {
                path,
                detail: format!("its folder {} is read-only", dir.display()),
            }
        }
        e => e,
    }
}

fn not_found(id: SubscriptionId) -> StorageError {
    StorageError::NotFound(format!("with id {id}"))
}

/// Ids are SQLite rowids, which are never negative for AUTOINCREMENT keys.
fn id_from_rowid(rowid: i64) -> u64 {
    u64::try_from(rowid).unwrap_or(0)
}

/// An id that does not fit a rowid cannot name a stored subscription.
fn rowid(id: SubscriptionId) -> Result<i64> {
    i64::try_from(id.0).map_err(|_| not_found(id))
}

fn saturating_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn int(v: u64, what: &str) -> Result<i64> {
    i64::try_from(v).map_err(|_| StorageError::Invalid(format!("{what} {v} is too large")))
}

/// A record's values in the form the columns hold, checked before any SQL runs.
struct Columns {
    headers: String,
    notify: String,
    secret_params: String,
    network: String,
    expectations: String,
    retry_initial_ms: i64,
    retry_max_ms: i64,
    idle_timeout_ms: Option<i64>,
    stale_after_secs: Option<i64>,
    probe_every_ms: Option<i64>,
    max_event_size: i64,
    max_rows: i64,
    max_age_ms: i64,
}

impl Columns {
    fn new(s: &SubscriptionRecord) -> Result<Columns> {
        if s.name.trim().is_empty() {
            return Err(StorageError::Invalid("the name is empty".into()));
        }
        if s.url.trim().is_empty() {
            return Err(StorageError::Invalid("the URL is empty".into()));
        }
        if s.method.trim().is_empty() {
            return Err(StorageError::Invalid("the method is empty".into()));
        }
        let headers = serde_json::to_string(&s.headers)
            .map_err(|e| StorageError::Invalid(format!("headers: {e}")))?;
        let notify = if s.notify.is_null() {
            "{}".to_string()
        } else {
            serde_json::to_string(&s.notify)
                .map_err(|e| StorageError::Invalid(format!("notify: {e}")))?
        };
        let max_age_ms = u64::try_from(s.retention.max_age.as_millis()).unwrap_or(u64::MAX);
        let secret_params = serde_json::to_string(&s.secret_params)
            .map_err(|e| StorageError::Invalid(format!("secret params: {e}")))?;
        let network = serde_json::to_string(&s.network)
            .map_err(|e| StorageError::Invalid(format!("network: {e}")))?;
        let expectations = serde_json::to_string(&s.expectations)
            .map_err(|e| StorageError::Invalid(format!("expectations: {e}")))?;
        Ok(Columns {
            headers,
            notify,
            secret_params,
            network,
            expectations,
            retry_initial_ms: int(s.retry.initial_ms, "retry initial delay")?,
            retry_max_ms: int(s.retry.max_ms, "retry max delay")?,
            idle_timeout_ms: s
                .idle_timeout_ms
                .map(|ms| int(ms, "idle timeout"))
                .transpose()?,
            stale_after_secs: s
                .stale_after_secs
                .map(|secs| int(secs, "stale threshold"))
                .transpose()?,
            probe_every_ms: s
                .probe_every_ms
                .map(|ms| int(ms, "probe interval"))
                .transpose()?,
            max_event_size: int(s.max_event_size as u64, "max event size")?,
            max_rows: int(s.retention.max_rows, "retention row count")?,
            max_age_ms: int(max_age_ms, "retention age")?,
        })
    }
}

/// A subscription row as read, before its JSON columns are decoded.
struct RawSubscription {
    id: i64,
    record: SubscriptionRecord,
    headers: String,
    notify: String,
    created_at: i64,
    updated_at: i64,
    redirects: String,
    secret_params: String,
    network: String,
    reconnect: Option<String>,
    expectations: String,
}

impl RawSubscription {
    fn read(r: &Row<'_>) -> rusqlite::Result<RawSubscription> {
        Ok(RawSubscription {
            id: r.get(0)?,
            record: SubscriptionRecord {
                name: r.get(1)?,
                url: r.get(2)?,
                method: r.get(3)?,
                headers: Vec::new(),
                body: r.get(5)?,
                last_event_id: r.get(6)?,
                retry: RetryConfig {
                    initial_ms: r.get(7)?,
                    max_ms: r.get(8)?,
                    max_retries: r.get(9)?,
                },
                idle_timeout_ms: r.get(10)?,
                max_event_size: r.get(11)?,
                paused: r.get(12)?,
                retention: Retention {
                    max_rows: r.get(13)?,
                    max_age: Duration::from_millis(r.get(14)?),
                },
                notify: serde_json::Value::Null,
                redirects: RedirectMode::default(),
                secret_params: Vec::new(),
                stale_after_secs: r.get(20)?,
                ids_not_sequential: r.get(21)?,
                network: ClientOptions::default(),
                reconnect: None,
                end_event: r.get(24)?,
                expectations: Vec::new(),
                probe_every_ms: r
                    .get::<_, Option<i64>>(25)?
                    .and_then(|v| u64::try_from(v).ok()),
            },
            headers: r.get(4)?,
            notify: r.get(15)?,
            created_at: r.get(16)?,
            updated_at: r.get(17)?,
            redirects: r.get(18)?,
            secret_params: r.get(19)?,
            network: r.get(22)?,
            reconnect: r.get(23)?,
            expectations: r.get(26)?,
        })
    }

    fn decode(self, path: &Path) -> Result<SavedSubscription> {
        let bad = |what: &str, e: serde_json::Error| StorageError::BadData {
            path: path.to_path_buf(),
            detail: format!("subscription {}: {what} is not valid JSON: {e}", self.id),
        };
        let mut record = self.record;
        record.headers = serde_json::from_str::<Vec<StoredHeader>>(&self.headers)
            .map_err(|e| bad("headers", e))?;
        record.notify = serde_json::from_str(&self.notify).map_err(|e| bad("notify", e))?;
        record.secret_params = serde_json::from_str::<Vec<String>>(&self.secret_params)
            .map_err(|e| bad("secret_params", e))?;
        record.network =
            serde_json::from_str::<ClientOptions>(&self.network).map_err(|e| bad("network", e))?;
        record.expectations =
            serde_json::from_str(&self.expectations).map_err(|e| bad("expectations", e))?;
        // Written by a newer version, or by hand: refuse to guess which redirects to follow.
        record.redirects =
            self.redirects
                .parse::<RedirectMode>()
                .map_err(|e| StorageError::BadData {
                    path: path.to_path_buf(),
                    detail: format!("subscription {}: redirects: {e}", self.id),
                })?;
        // Likewise for a reconnect mode this build does not know.
        record.reconnect = match self.reconnect.as_deref() {
            None => None,
            Some(name) => {
                Some(
                    ReconnectMode::parse(name).ok_or_else(|| StorageError::BadData {
                        path: path.to_path_buf(),
                        detail: format!(
                            "subscription {}: unknown reconnect mode {name:?}",
                            self.id
                        ),
                    })?,
                )
            }
        };
        Ok(SavedSubscription {
            id: SubscriptionId(id_from_rowid(self.id)),
            record,
            created_at: from_ms(self.created_at),
            updated_at: from_ms(self.updated_at),
        })
    }
}

/// Stored text read as bytes, possibly cut inside a character by a preview: the partial
/// character at the end is left out (anything else invalid becomes U+FFFD, as on the wire).
fn prefix_text(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) if e.utf8_error().error_len().is_none() => {
            let valid = e.utf8_error().valid_up_to();
            let mut bytes = e.into_bytes();
            bytes.truncate(valid);
            String::from_utf8(bytes).unwrap_or_default()
        }
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}
