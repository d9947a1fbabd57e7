//! The database's tables, the migrations that build them, and opening a connection safely.
//!
//! Rules for migrations: each entry of [`MIGRATIONS`] moves the schema up one version, runs in one
//! transaction together with the `user_version` bump, and only adds (tables, columns, indexes) or
//! copies: none may drop user data. A file whose version is newer than this build's is refused
//! before anything is written to it.

use super::error::{Result, StorageError};
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags, TransactionBehavior, MAIN_DB};
use std::path::Path;
use std::time::Duration;

/// Marks the file as ours in the SQLite header ("SWDB"), so a foreign database is never migrated.
pub(crate) const APPLICATION_ID: i32 = 0x5357_4442;

/// How long a connection waits for another one's write lock before reporting `Busy`. The writer's
/// transactions last milliseconds; deleting a large subscription may take longer.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Migration `i` moves the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // Version 1: everything.
    r#"
    CREATE TABLE subscriptions (
        -- AUTOINCREMENT: an id is never reused, so records still in flight for a removed
        -- subscription can never land in a newer one.
        id                    INTEGER PRIMARY KEY AUTOINCREMENT,
        name                  TEXT NOT NULL UNIQUE COLLATE NOCASE,
        url                   TEXT NOT NULL,
        method                TEXT NOT NULL,
        -- JSON [{name, value, secret}]; for secret headers `value` is a keyring reference.
        headers               TEXT NOT NULL DEFAULT '[]',
        body                  TEXT,
        initial_last_event_id TEXT,
        retry_initial_ms      INTEGER NOT NULL,
        retry_max_ms          INTEGER NOT NULL,
        retry_max_retries     INTEGER,            -- NULL: retry forever
        idle_timeout_ms       INTEGER,            -- NULL: automatic (off before v6), 0: off
        max_event_size        INTEGER NOT NULL,
        paused                INTEGER NOT NULL DEFAULT 0,
        retention_max_rows    INTEGER NOT NULL,
        retention_max_age_ms  INTEGER NOT NULL,
        -- Reserved for notification rules (JSON object).
        notify                TEXT NOT NULL DEFAULT '{}',
        created_at            INTEGER NOT NULL,   -- Unix ms
        updated_at            INTEGER NOT NULL
    );

    -- A rowid table (not WITHOUT ROWID): event data can be large, and large rows belong in a
    -- rowid table's leaves rather than in an index b-tree.
    CREATE TABLE messages (
        subscription_id INTEGER NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
        seq             INTEGER NOT NULL,         -- per subscription, increasing, never reused
        received_at     INTEGER NOT NULL,         -- Unix ms
        event           TEXT NOT NULL,
        event_id        TEXT NOT NULL,
        data            TEXT NOT NULL,
        size            INTEGER NOT NULL,         -- bytes of data
        PRIMARY KEY (subscription_id, seq)
    );

    CREATE TABLE sub_state (
        subscription_id INTEGER PRIMARY KEY REFERENCES subscriptions(id) ON DELETE CASCADE,
        last_event_id   TEXT,                     -- NULL: none received (or reset by the user)
        -- Highest seq ever given: seq keeps increasing even after retention empties the history.
        last_seq        INTEGER NOT NULL DEFAULT 0,
        messages        INTEGER NOT NULL DEFAULT 0,
        bytes           INTEGER NOT NULL DEFAULT 0,
        gaps            INTEGER NOT NULL DEFAULT 0,
        missed_events   INTEGER NOT NULL DEFAULT 0,
        last_message_at INTEGER
    );

    CREATE TABLE transitions (
        id              INTEGER PRIMARY KEY,
        subscription_id INTEGER NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
        at              INTEGER NOT NULL,
        from_state      TEXT NOT NULL,
        to_state        TEXT NOT NULL,
        reason          TEXT NOT NULL
    );
    CREATE INDEX transitions_by_subscription ON transitions(subscription_id, at);

    -- after_id / next_id / missed hold u64 values bit-cast to SQLite's i64.
    CREATE TABLE gaps (
        id              INTEGER PRIMARY KEY,
        subscription_id INTEGER NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
        at              INTEGER NOT NULL,
        after_id        INTEGER NOT NULL,
        next_id         INTEGER NOT NULL,
        missed          INTEGER NOT NULL
    );
    CREATE INDEX gaps_by_subscription ON gaps(subscription_id, at);
    "#,
    // Version 2: the in-app list of notifications. Not tied to a subscription by a foreign key:
    // a notification stays listed after its subscription is removed (it names it in `title`),
    // and some are about many subscriptions at once (NULL).
    r#"
    CREATE TABLE notifications (
        id              INTEGER PRIMARY KEY,
        at              INTEGER NOT NULL,         -- Unix ms
        subscription_id INTEGER,
        kind            TEXT NOT NULL,
        title           TEXT NOT NULL,
        body            TEXT NOT NULL,
        delivery        TEXT NOT NULL             -- shown | silenced | folded
    );
    "#,
    // Version 3: no event is dropped without a trace. Events a server re-sent after a reconnect
    // are kept and flagged; a counter that started again is logged beside the gaps.
    r#"
    ALTER TABLE messages ADD COLUMN replayed INTEGER NOT NULL DEFAULT 0;

    -- last_id / first_id hold u64 values bit-cast to SQLite's i64, as in `gaps`.
    CREATE TABLE resets (
        id              INTEGER PRIMARY KEY,
        subscription_id INTEGER NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
        at              INTEGER NOT NULL,
        last_id         INTEGER NOT NULL,
        first_id        INTEGER NOT NULL
    );
    CREATE INDEX resets_by_subscription ON resets(subscription_id, at);
    "#,
    // Version 4: which redirects a subscription follows (any | same-origin | never), and the
    // replayed and reset counters kept across restarts like the others.
    r#"
    ALTER TABLE subscriptions ADD COLUMN redirects TEXT NOT NULL DEFAULT 'any';
    ALTER TABLE sub_state ADD COLUMN replayed INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE sub_state ADD COLUMN resets INTEGER NOT NULL DEFAULT 0;
    "#,
    // Version 5: query parameters the user marked secret (JSON array of names). Their values,
    // like userinfo and well-known token parameters, are keyring references inside `url`.
    r#"
    ALTER TABLE subscriptions ADD COLUMN secret_params TEXT NOT NULL DEFAULT '[]';
    "#,
    // Version 6: liveness by default. A per-subscription stale threshold (NULL: learned from
    // the stream). And `idle_timeout_ms` NULL, which meant "off", now means "automatic" (3×
    // the usual gap between byte arrivals, at least 45 s); 0 is off. Existing NULLs are left
    // NULL on purpose: older versions saved an explicit "off" as NULL too, so the two cannot be
    // told apart, and a half-open socket going unnoticed forever is the failure this fixes.
    // Whoever wants it off sets 0 again.
    r#"
    ALTER TABLE subscriptions ADD COLUMN stale_after_secs INTEGER;
    "#,
    // Version 7: a subscription whose integer ids do not count by one (0: they do, so a jump
    // is a gap, as before).
    r#"
    ALTER TABLE subscriptions ADD COLUMN ids_not_sequential INTEGER NOT NULL DEFAULT 0;
    "#,
    // Version 8: the timeline beside the state changes: each connection step with its numbers
    // (the status it opened with, an error's kind and chain, each backoff step's attempt and
    // wait) and each edit of the settings (which fields, never their values), so the timeline
    // reads the same after a restart. See `crate::timeline`.
    r#"
    CREATE TABLE timeline (
        id              INTEGER PRIMARY KEY,
        subscription_id INTEGER NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
        at              INTEGER NOT NULL,         -- Unix ms
        kind            TEXT NOT NULL,            -- started | error | retrying | edited | ...
        attempt         INTEGER,
        delay_ms        INTEGER,
        status          INTEGER,
        error_kind      TEXT,
        detail          TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX timeline_by_subscription ON timeline(subscription_id, at);
    "#,
    // Version 9: the fatal stop told per subscription and not ended (the user has not started
    // it again), so a relaunch of the app does not tell it again. See
    // `crate::alerts::fatal_occurrence`.
    r#"
    CREATE TABLE fatal_told (
        subscription_id INTEGER PRIMARY KEY REFERENCES subscriptions(id) ON DELETE CASCADE,
        occurrence      TEXT NOT NULL,            -- "http-status 401", "content-type"
        at              INTEGER NOT NULL          -- Unix ms, when it was told
    );
    "#,
    // Version 10: each subscription's own proxy, extra CA certificates and client certificate
    // (JSON, `crate::client_options::ClientOptions`; '{}': the environment's proxy and the
    // system's CAs). The proxy's credentials and the client key are keyring references.
    r#"
    ALTER TABLE subscriptions ADD COLUMN network TEXT NOT NULL DEFAULT '{}';
    "#,
    // Next version: each subscription's reconnect mode (`always` | `error` | `never`; NULL:
    // the default for its method, see `crate::reconnect_mode`) and its own end event name.
    r#"
    ALTER TABLE subscriptions ADD COLUMN reconnect TEXT;
    ALTER TABLE subscriptions ADD COLUMN end_event TEXT;
    "#,
    // Next version: runs of finite streams and probes (one row per run, inserted when it
    // starts with `ended_at` NULL and completed when it ends, so a run cut by a shutdown is
    // told apart from one that finished), and each subscription's probe interval (NULL: not a
    // probe). See `crate::storage::runs`.
    r#"
    ALTER TABLE subscriptions ADD COLUMN probe_every_ms INTEGER;
    CREATE TABLE runs (
        id              INTEGER PRIMARY KEY,
        subscription_id INTEGER NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
        probe           INTEGER NOT NULL DEFAULT 0,
        started_at      INTEGER NOT NULL,         -- Unix ms
        ended_at        INTEGER,                  -- NULL: under way, or cut by a shutdown
        ok              INTEGER,                  -- NULL until it ended
        status          INTEGER,
        ttfb_ms         INTEGER,
        first_event_ms  INTEGER,
        first_token_ms  INTEGER,
        duration_ms     INTEGER,
        events          INTEGER,
        bytes           INTEGER,
        end_reason      TEXT,
        sentinel        TEXT,
        format          TEXT,
        text            TEXT,                     -- capped, see text_truncated
        text_truncated  INTEGER NOT NULL DEFAULT 0,
        finish_reason   TEXT,
        usage           TEXT,                     -- JSON
        failure         TEXT                      -- why it failed, in words (redacted)
    );
    CREATE INDEX runs_by_subscription ON runs(subscription_id, id);
    "#,
    // Next version: a message whose data did not match its expected JSON Schema keeps the
    // first error in words (NULL: it matched, or no schema applied); each subscription's
    // expectations (JSON, a list of `crate::expectations::Expectation`).
    r#"
    ALTER TABLE messages ADD COLUMN mismatch TEXT;
    ALTER TABLE subscriptions ADD COLUMN expectations TEXT NOT NULL DEFAULT '[]';
    "#,
    // Next version: messages ever stored that did not match their schema, a lifetime counter
    // like the others (retention does not lower it), so the count survives a restart. Files
    // of the version before start from the flagged messages they still hold.
    r#"
    ALTER TABLE sub_state ADD COLUMN mismatches INTEGER NOT NULL DEFAULT 0;
    UPDATE sub_state SET mismatches = (SELECT count(*) FROM messages
        WHERE messages.subscription_id = sub_state.subscription_id
          AND messages.mismatch IS NOT NULL);
    "#,
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// What the file's header and catalogue say before anything is written.
struct Probe {
    application_id: i32,
    version: i64,
    objects: i64,
}

fn probe(conn: &Connection) -> rusqlite::Result<Probe> {
    Ok(Probe {
        application_id: conn.pragma_query_value(None, "application_id", |r| r.get(0))?,
        version: conn.pragma_query_value(None, "user_version", |r| r.get(0))?,
        // Reading the catalogue also makes SQLite parse the schema, which catches many damaged files.
        objects: conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?,
    })
}

/// Opens (creating if needed) the database at `path`, refuses a file that is damaged, foreign or
/// too new without writing to it, then switches to WAL and brings the schema up to date.
pub(crate) fn open(path: &Path) -> Result<Connection> {
    let sql = |e| StorageError::from_sqlite(path, e);
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(sql)?;
    // Until we know the file is ours, closing must not checkpoint a leftover WAL into it.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)
        .map_err(sql)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(sql)?;

    let p = probe(&conn).map_err(sql)?;
    let fresh = p.application_id == 0 && p.version == 0 && p.objects == 0;
    if !fresh && p.application_id != APPLICATION_ID {
        return Err(StorageError::Foreign {
            path: path.to_path_buf(),
        });
    }
    if p.version > SCHEMA_VERSION {
        return Err(StorageError::TooNew {
            path: path.to_path_buf(),
            found: p.version,
            supported: SCHEMA_VERSION,
        });
    }
    // SQLite silently opens a file it may not write read-only; say so now rather than at the
    // first write.
    if conn.is_readonly(MAIN_DB).map_err(sql)? {
        return Err(StorageError::ReadOnly {
            path: path.to_path_buf(),
            detail: "the file is read-only".into(),
        });
    }
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, false)
        .map_err(sql)?;

    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
        .map_err(sql)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StorageError::Sqlite {
            path: path.to_path_buf(),
            detail: format!("could not switch to WAL mode (the journal stays {mode:?})"),
        });
    }
    // In WAL mode NORMAL never corrupts the file; a power cut may lose the last commits, but a
    // message and its last id always go together.
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(sql)?;
    conn.pragma_update(None, "foreign_keys", true)
        .map_err(sql)?;
    // The bundled SQLite re-plans a statement on every bind when STAT4 sees new values, which
    // was half of the writer's CPU with 1,000 subscriptions; a stable plan is all we need.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )
    .map_err(sql)?;
    migrate(&conn).map_err(sql)?;
    Ok(conn)
}

/// Applies the missing migrations, each in its own transaction. Several processes may open the
/// file at once: the version is read again under the write lock, so each step runs exactly once.
fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    loop {
        let tx = rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
        let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let Some(step) = usize::try_from(version)
            .ok()
            .and_then(|v| MIGRATIONS.get(v))
        else {
            // Up to date (a newer version was refused before we got here).
            return tx.commit();
        };
        tx.execute_batch(step)?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)?;
        tx.pragma_update(None, "user_version", version + 1)?;
        tx.commit()?;
    }
}
