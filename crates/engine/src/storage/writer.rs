//! The group-commit writer: one OS thread with its own connection turns a stream of records into
//! few, large transactions.
//!
//! Why a thread and not a task: SQLite calls block, and a commit may wait on the disk; the async
//! runtime's workers must never. Why group commit: one transaction per event would cost one WAL
//! append and commit per event; batching ~50 ms or ~4096 records makes 100k events/s cheap.
//!
//! A message and its subscription's new last id are written in the same transaction, so after any
//! crash the stored last id never points past the stored history. A batch that fails (full disk,
//! I/O error) is kept and retried with backoff while the health watch says why; meanwhile the
//! bounded channel fills and producers wait instead of losing events. The channel is bounded by
//! bytes as well ([`crate::record_queue`]), and a batch is committed early once its messages
//! reach [`WriterConfig::max_batch_bytes`], so 16 MiB events cannot pile up by the thousand.

use super::error::{Result, StorageError};
use super::retention::{self, SubRetention};
use super::schema;
use super::time::to_ms;
use crate::ids::SubscriptionId;
pub use crate::record::Record;
use crate::record_queue::{self, Queued, RecordReceiver, RecordSender};
use crate::shared_str::SharedStr;
use rusqlite::{params, CachedStatement, Connection, OptionalExtension, TransactionBehavior};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::{mpsc, oneshot, watch};

/// Test hook: a database size cap in pages, changeable while the writer runs, to simulate a full
/// disk (`0` lifts it). Not for production use.
#[doc(hidden)]
#[derive(Debug, Clone, Default)]
pub struct PageLimit(Arc<AtomicU64>);

impl PageLimit {
    /// A cap of `pages` (0: none).
    pub fn new(pages: u64) -> Self {
        PageLimit(Arc::new(AtomicU64::new(pages)))
    }

    /// Changes the cap; the writer applies it before its next transaction.
    pub fn set(&self, pages: u64) {
        self.0.store(pages, Ordering::SeqCst);
    }

    fn get(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// How the writer batches.
#[derive(Debug, Clone)]
pub struct WriterConfig {
    /// Commit once this many records are pending.
    pub max_batch_rows: usize,
    /// Commit at the latest this long after the first pending record arrived.
    pub max_batch_delay: Duration,
    /// Records the channel holds before producers wait.
    pub channel_capacity: usize,
    /// Bytes of message data queued and pending together before producers wait.
    pub channel_bytes: usize,
    /// Commit once the pending messages' data reaches this many bytes.
    pub max_batch_bytes: usize,
    /// Test hook (see [`PageLimit`]); `None` in production.
    #[doc(hidden)]
    pub page_limit: Option<PageLimit>,
}

impl Default for WriterConfig {
    fn default() -> Self {
        WriterConfig {
            max_batch_rows: 4096,
            max_batch_delay: Duration::from_millis(50),
            // Two full batches: one being committed while the next fills.
            channel_capacity: 8192,
            channel_bytes: record_queue::DEFAULT_BYTES,
            // Half the budget: the next batch can fill while one is committed.
            max_batch_bytes: record_queue::DEFAULT_BYTES / 2,
            page_limit: None,
        }
    }
}

/// Whether the writer is keeping up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriterHealth {
    /// The last commit succeeded.
    Ok,
    /// Commits fail; the pending batch is kept and retried.
    Failing {
        /// Why, in words a user can act on.
        error: String,
        /// When the failures began.
        since: SystemTime,
    },
}

/// What the writer has done since it started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriterStats {
    /// Transactions committed.
    pub commits: u64,
    /// Records persisted (flushes not counted).
    pub records: u64,
    /// Records dropped because their subscription no longer exists.
    pub dropped: u64,
    /// Messages deleted by retention.
    pub pruned: u64,
    /// Failed commit attempts.
    pub failures: u64,
    /// Times a producer waited because the queue held its byte budget (backpressure, nothing
    /// lost).
    pub byte_waits: u64,
}

#[derive(Default)]
struct StatCells {
    commits: AtomicU64,
    records: AtomicU64,
    dropped: AtomicU64,
    pruned: AtomicU64,
    failures: AtomicU64,
}

/// Handle on the writer thread.
pub struct Writer {
    sender: RecordSender,
    health: watch::Receiver<WriterHealth>,
    last_error: Arc<Mutex<Option<StorageError>>>,
    stats: Arc<StatCells>,
    // Dropping it (with the handle) also tells the thread to drain and stop.
    stop: watch::Sender<bool>,
    done: Option<oneshot::Receiver<Result<()>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// The first retry comes quickly (a lock or a blip); later ones at most every second, which is
/// cheap for a full disk and quick to notice freed space.
const BACKOFF_START: Duration = Duration::from_millis(50);
const BACKOFF_MAX: Duration = Duration::from_secs(1);
/// After a stop request a failing batch gets this many more attempts, so shutdown cannot hang.
const ATTEMPTS_WHEN_STOPPING: u32 = 3;

impl Writer {
    /// Opens its own connection to `db_file` (migrating like [`super::Store::open`]) and starts
    /// the writer thread.
    pub fn spawn(db_file: &Path, cfg: WriterConfig) -> Result<Writer> {
        let path = db_file.to_path_buf();
        let conn = schema::open(&path)?;
        conn.set_prepared_statement_cache_capacity(32);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .map_err(|e| StorageError::from_io(&path, &e))?;
        let (sender, rx) = record_queue::channel(cfg.channel_capacity, cfg.channel_bytes);
        let (health_tx, health) = watch::channel(WriterHealth::Ok);
        let (stop, stop_rx) = watch::channel(false);
        let (done_tx, done) = oneshot::channel();
        let last_error = Arc::new(Mutex::new(None));
        let stats = Arc::new(StatCells::default());
        let mut worker = Worker {
            conn,
            path: path.clone(),
            max_rows: cfg.max_batch_rows.max(1),
            max_bytes: cfg.max_batch_bytes.max(1),
            max_delay: cfg.max_batch_delay,
            page_limit: cfg.page_limit,
            applied_page_limit: None,
            rx,
            stop: stop_rx,
            stopping: false,
            health: health_tx,
            last_error: last_error.clone(),
            stats: stats.clone(),
            subs: HashMap::new(),
        };
        let thread = std::thread::Builder::new()
            .name("streamwatch-storage".into())
            .spawn(move || {
                let res = rt.block_on(worker.run());
                if let Err(e) = &res {
                    tracing::error!("storage writer stopped: {e}");
                }
                let _ = done_tx.send(res);
            })
            .map_err(|e| StorageError::from_io(&path, &e))?;
        Ok(Writer {
            sender,
            health,
            last_error,
            stats,
            stop,
            done: Some(done),
            thread: Some(thread),
        })
    }

    /// Where to send records. Bounded by count and bytes: when the disk cannot keep up (or
    /// fails), senders wait.
    pub fn sender(&self) -> RecordSender {
        self.sender.clone()
    }

    /// The writer's health, updated on every failed attempt and on recovery.
    pub fn health(&self) -> watch::Receiver<WriterHealth> {
        self.health.clone()
    }

    /// What the writer has done so far.
    pub fn stats(&self) -> WriterStats {
        let s = &self.stats;
        WriterStats {
            commits: s.commits.load(Ordering::Relaxed),
            records: s.records.load(Ordering::Relaxed),
            dropped: s.dropped.load(Ordering::Relaxed),
            pruned: s.pruned.load(Ordering::Relaxed),
            failures: s.failures.load(Ordering::Relaxed),
            byte_waits: self.sender.waits(),
        }
    }

    /// Waits until everything sent before is committed. Returns the writer's error instead if a
    /// commit attempt fails meanwhile; the records are kept and retried all the same, so calling
    /// again later may succeed.
    pub async fn flush(&self) -> Result<()> {
        let (tx, rx) = oneshot::channel();
        let mut health = self.health.clone();
        health.borrow_and_update();
        tokio::select! {
            biased;
            sent = self.sender.send(Record::Flush(tx)) => {
                sent.map_err(|_| self.failure())?;
            }
            _ = next_failure(&mut health) => return Err(self.failure()),
        }
        tokio::pin!(rx);
        tokio::select! {
            biased;
            done = &mut rx => done.map_err(|_| self.failure()),
            failing = next_failure(&mut health) => match failing {
                Some(()) => Err(self.failure()),
                // The thread ended; the answer (or its absence) tells whether it got that far.
                None => rx.await.map_err(|_| self.failure()),
            },
        }
    }

    /// Commits everything sent so far (by anyone), stops the thread and waits for it. Records
    /// sent afterwards are refused by the channel. If commits keep failing, gives up after a few
    /// more attempts and returns the error: those records are lost, and the error says why.
    pub async fn shutdown(mut self) -> Result<()> {
        let _ = self.stop.send(true);
        let res = match self.done.take() {
            Some(done) => done.await.unwrap_or(Err(StorageError::WriterStopped)),
            None => Err(StorageError::WriterStopped),
        };
        if let Some(t) = self.thread.take() {
            // It has sent its result, so it is returning: joining does not block for long.
            let _ = tokio::task::spawn_blocking(move || t.join()).await;
        }
        res
    }

    /// The latest commit error, or "stopped" when the thread is gone without one.
    fn failure(&self) -> StorageError {
        lock(&self.last_error)
            .clone()
            .unwrap_or(StorageError::WriterStopped)
    }
}

/// Resolves on the next failure report (`Some`), or when the writer is gone (`None`).
async fn next_failure(health: &mut watch::Receiver<WriterHealth>) -> Option<()> {
    loop {
        health.changed().await.ok()?;
        if matches!(*health.borrow_and_update(), WriterHealth::Failing { .. }) {
            return Some(());
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Records gathered for one transaction; flushes are answered after it commits.
#[derive(Default)]
struct Batch {
    records: Vec<Record>,
    flushes: Vec<oneshot::Sender<()>>,
    /// The records' share of the queue's byte budget, given back when the batch is dropped
    /// (after its commit).
    held: Vec<tokio::sync::OwnedSemaphorePermit>,
    bytes: usize,
}

impl Batch {
    fn push(&mut self, q: Queued) -> bool {
        self.bytes += q.bytes();
        let (r, permit) = q.into_parts();
        self.held.extend(permit);
        match r {
            Record::Flush(tx) => {
                self.flushes.push(tx);
                true
            }
            r => {
                self.records.push(r);
                false
            }
        }
    }
}

/// What the writer remembers about a subscription between batches.
struct SubCache {
    /// The highest seq given so far.
    last_seq: i64,
    /// When retention by age is due again.
    next_age_check: Instant,
}

/// One subscription's share of the batch being written.
struct Touched {
    alive: bool,
    retention: SubRetention,
    last_seq: i64,
    written: i64,
    last_id: Option<SharedStr>,
    bytes: i64,
    gaps: i64,
    missed: i64,
    replayed: i64,
    resets: i64,
    mismatches: i64,
    last_message_at: Option<i64>,
    age_due: bool,
}

impl Touched {
    /// A subscription that still exists, nothing of the batch written for it yet.
    fn alive(retention: SubRetention, last_seq: i64, age_due: bool) -> Touched {
        Touched {
            alive: true,
            retention,
            last_seq,
            written: 0,
            last_id: None,
            bytes: 0,
            gaps: 0,
            missed: 0,
            replayed: 0,
            resets: 0,
            mismatches: 0,
            last_message_at: None,
            age_due,
        }
    }

    /// A subscription that no longer exists: its records are dropped.
    fn removed() -> Touched {
        Touched {
            alive: false,
            ..Touched::alive(SubRetention::default(), 0, false)
        }
    }
}

/// The subscriptions a batch touches, in the order they first appear in it.
struct TouchedSubs {
    by_key: HashMap<i64, Touched>,
    order: Vec<i64>,
}

/// A subscription touched by a batch, and what the writer keeps of it: `None` if it no longer
/// exists, else its last seq and whether a complete age pass ran.
type SubOutcome = (i64, Option<(i64, bool)>);

/// What a committed batch changes in the writer's memory.
struct Committed {
    /// One per subscription touched.
    subs: Vec<SubOutcome>,
    records: u64,
    dropped: u64,
    pruned: u64,
}

struct Worker {
    conn: Connection,
    path: PathBuf,
    max_rows: usize,
    max_bytes: usize,
    max_delay: Duration,
    page_limit: Option<PageLimit>,
    applied_page_limit: Option<u64>,
    rx: RecordReceiver,
    stop: watch::Receiver<bool>,
    stopping: bool,
    health: watch::Sender<WriterHealth>,
    last_error: Arc<Mutex<Option<StorageError>>>,
    stats: Arc<StatCells>,
    subs: HashMap<i64, SubCache>,
}

impl Worker {
    async fn run(&mut self) -> Result<()> {
        while let Some(batch) = self.collect().await {
            self.commit_with_retry(batch).await?;
        }
        Ok(())
    }

    /// Turns on stopping: no new records are accepted, the queued ones are still written.
    fn begin_stop(&mut self) {
        self.stopping = true;
        self.rx.close();
    }

    /// Waits for a stop request (or the handle's drop).
    async fn stop_requested(stop: &mut watch::Receiver<bool>) {
        let _ = stop.wait_for(|s| *s).await;
    }

    /// Gathers the next batch: from its first record, until it is full, the delay has passed,
    /// or a flush asks for a commit now. `None` when the channel is closed and empty.
    async fn collect(&mut self) -> Option<Batch> {
        // Checked here too: under a steady stream `recv` is always ready and would win every race
        // against the stop signal below.
        if !self.stopping && (self.stop.has_changed().is_err() || *self.stop.borrow()) {
            self.begin_stop();
        }
        let first = if self.stopping {
            self.rx.recv().await
        } else {
            tokio::select! {
                biased;
                r = self.rx.recv() => r,
                _ = Self::stop_requested(&mut self.stop) => {
                    self.begin_stop();
                    self.rx.recv().await
                }
            }
        }?;
        let mut batch = Batch::default();
        if batch.push(first) {
            return Some(batch);
        }
        let deadline = tokio::time::Instant::now() + self.max_delay;
        while batch.records.len() < self.max_rows && batch.bytes < self.max_bytes {
            let next = match self.rx.try_recv() {
                Ok(r) => Some(r),
                Err(mpsc::error::TryRecvError::Disconnected) => None,
                // After a stop request nothing more can arrive: commit what we have.
                Err(mpsc::error::TryRecvError::Empty) if self.stopping => None,
                Err(mpsc::error::TryRecvError::Empty) => {
                    tokio::select! {
                        biased;
                        r = tokio::time::timeout_at(deadline, self.rx.recv()) => r.ok().flatten(),
                        _ = Self::stop_requested(&mut self.stop) => {
                            self.begin_stop();
                            continue;
                        }
                    }
                }
            };
            match next {
                Some(r) => {
                    if batch.push(r) {
                        break;
                    }
                }
                None => break,
            }
        }
        Some(batch)
    }

    /// Commits the batch, retrying with backoff while reporting the failure; only gives up once
    /// stopping, after a few attempts.
    async fn commit_with_retry(&mut self, batch: Batch) -> Result<()> {
        let mut delay = BACKOFF_START;
        let mut attempts_while_stopping = 0;
        loop {
            let attempt = if batch.records.is_empty() {
                Ok(None)
            } else {
                self.apply_page_limit()
                    .and_then(|()| self.commit(&batch.records).map(Some))
            };
            match attempt {
                Ok(done) => {
                    if let Some(done) = done {
                        self.after_commit(done);
                    }
                    *lock(&self.last_error) = None;
                    self.health.send_if_modified(|h| {
                        let was_failing = *h != WriterHealth::Ok;
                        *h = WriterHealth::Ok;
                        was_failing
                    });
                    for f in batch.flushes {
                        let _ = f.send(());
                    }
                    return Ok(());
                }
                Err(e) => {
                    self.stats.failures.fetch_add(1, Ordering::Relaxed);
                    *lock(&self.last_error) = Some(e.clone());
                    let since = match &*self.health.borrow() {
                        WriterHealth::Failing { since, .. } => Some(*since),
                        WriterHealth::Ok => None,
                    };
                    // Log the start of a failure once, not every retry of a full disk.
                    let since = since.unwrap_or_else(|| {
                        tracing::warn!(
                            "storage commit failed, keeping the batch and retrying: {e}"
                        );
                        SystemTime::now()
                    });
                    // `send_replace` notifies even when the text repeats, so a waiting flush
                    // learns of every failed attempt.
                    self.health.send_replace(WriterHealth::Failing {
                        error: e.to_string(),
                        since,
                    });
                    if self.stopping {
                        attempts_while_stopping += 1;
                        if attempts_while_stopping >= ATTEMPTS_WHEN_STOPPING {
                            return Err(e);
                        }
                    }
                    if self.stopping {
                        tokio::time::sleep(delay).await;
                    } else {
                        tokio::select! {
                            _ = tokio::time::sleep(delay) => {}
                            _ = Self::stop_requested(&mut self.stop) => self.begin_stop(),
                        }
                    }
                    delay = (delay * 2).min(BACKOFF_MAX);
                }
            }
        }
    }

    fn apply_page_limit(&mut self) -> Result<()> {
        let Some(limit) = &self.page_limit else {
            return Ok(());
        };
        let want = limit.get();
        if self.applied_page_limit == Some(want) {
            return Ok(());
        }
        // SQLite raises a cap below the current size to the current size: "no more growth".
        let pages = if want == 0 { 0xFFFF_FFFE } else { want };
        let pages = i64::try_from(pages).unwrap_or(i64::MAX);
        self.conn
            .pragma_update_and_check(None, "max_page_count", pages, |r| r.get::<_, i64>(0))
            .map_err(|e| StorageError::from_sqlite(&self.path, e))?;
        self.applied_page_limit = Some(want);
        Ok(())
    }

    /// Writes one batch in one transaction. Nothing in memory changes until it commits, so a
    /// failed attempt can be retried as if it never happened.
    fn commit(&mut self, records: &[Record]) -> Result<Committed> {
        let path = self.path.clone();
        let sql = |e| StorageError::from_sqlite(&path, e);
        // IMMEDIATE takes the write lock first, so a subscription cannot be removed between
        // reading it (`load_touched`) and the inserts (which its foreign key would then refuse).
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql)?;
        let mut touched = load_touched(&tx, records, &self.subs, Instant::now()).map_err(sql)?;
        let (written, dropped) = insert_records(&tx, records, &mut touched.by_key).map_err(sql)?;
        let (subs, pruned) = finish_subs(&tx, touched, to_ms(SystemTime::now())).map_err(sql)?;
        tx.commit().map_err(sql)?;
        Ok(Committed {
            subs,
            records: written,
            dropped,
            pruned,
        })
    }

    fn after_commit(&mut self, c: Committed) {
        let now = Instant::now();
        for (key, state) in c.subs {
            match state {
                None => {
                    self.subs.remove(&key);
                }
                Some((last_seq, age_checked)) => {
                    let entry = self.subs.entry(key).or_insert(SubCache {
                        last_seq,
                        next_age_check: now,
                    });
                    entry.last_seq = last_seq;
                    if age_checked {
                        entry.next_age_check = now + retention::AGE_CHECK_INTERVAL;
                    }
                }
            }
        }
        let s = &self.stats;
        s.commits.fetch_add(1, Ordering::Relaxed);
        s.records.fetch_add(c.records, Ordering::Relaxed);
        s.dropped.fetch_add(c.dropped, Ordering::Relaxed);
        s.pruned.fetch_add(c.pruned, Ordering::Relaxed);
    }
}

/// A subscription's key in the tables. Ids above i64::MAX cannot exist in the table: they get
/// a key no row has, so their records are treated as a removed subscription's.
fn sub_key(sub: SubscriptionId) -> i64 {
    i64::try_from(sub.0).unwrap_or(-1)
}

/// Reads what the batch needs about each subscription it touches: whether it still exists, its
/// retention, where its seqs continue, and whether an age pass is due.
fn load_touched(
    conn: &Connection,
    records: &[Record],
    cache: &HashMap<i64, SubCache>,
    now: Instant,
) -> rusqlite::Result<TouchedSubs> {
    let mut touched = TouchedSubs {
        by_key: HashMap::new(),
        order: Vec::new(),
    };
    for sub in records.iter().filter_map(Record::sub) {
        let key = sub_key(sub);
        if touched.by_key.contains_key(&key) {
            continue;
        }
        let t = match read_sub(conn, key)? {
            Some((retention, db_last_seq)) => {
                let cached = cache.get(&key);
                Touched::alive(
                    retention,
                    cached.map_or(db_last_seq, |c| c.last_seq.max(db_last_seq)),
                    cached.is_none_or(|c| c.next_age_check <= now),
                )
            }
            None => Touched::removed(),
        };
        touched.by_key.insert(key, t);
        touched.order.push(key);
    }
    Ok(touched)
}

/// A subscription's retention and the highest seq it has used (in its state or its messages),
/// or `None` if it no longer exists.
fn read_sub(conn: &Connection, key: i64) -> rusqlite::Result<Option<(SubRetention, i64)>> {
    conn.prepare_cached(
        "SELECT s.retention_max_rows, s.retention_max_age_ms,
                coalesce(st.last_seq, 0),
                coalesce((SELECT max(seq) FROM messages WHERE subscription_id = s.id), 0)
         FROM subscriptions s LEFT JOIN sub_state st ON st.subscription_id = s.id
         WHERE s.id = ?1",
    )?
    .query_row([key], |r| {
        let stored: i64 = r.get(2)?;
        let max_seq: i64 = r.get(3)?;
        Ok((
            SubRetention {
                max_rows: r.get(0)?,
                max_age_ms: r.get(1)?,
            },
            stored.max(max_seq),
        ))
    })
    .optional()
}

/// Inserts the batch's records in order and tallies each subscription's share. Returns how
/// many records were written and how many dropped because their subscription is gone.
fn insert_records(
    conn: &Connection,
    records: &[Record],
    touched: &mut HashMap<i64, Touched>,
) -> rusqlite::Result<(u64, u64)> {
    let mut inserts = Inserts::prepare(conn)?;
    let mut written = 0u64;
    let mut dropped = 0u64;
    for r in records {
        let Some(sub) = r.sub() else { continue };
        let key = sub_key(sub);
        let Some(t) = touched.get_mut(&key).filter(|t| t.alive) else {
            // The subscription was removed while its records were on their way.
            dropped += 1;
            continue;
        };
        inserts.apply(key, t, r)?;
        written += 1;
    }
    Ok((written, dropped))
}

/// The insert statements of one batch, prepared once for all its records.
struct Inserts<'c> {
    conn: &'c Connection,
    message: CachedStatement<'c>,
    gap: CachedStatement<'c>,
    reset: CachedStatement<'c>,
    transition: CachedStatement<'c>,
    timeline: CachedStatement<'c>,
}

impl<'c> Inserts<'c> {
    /// The statements, from the connection's cache after the first batch.
    fn prepare(conn: &'c Connection) -> rusqlite::Result<Inserts<'c>> {
        Ok(Inserts {
            conn,
            message: conn.prepare_cached(
                "INSERT INTO messages
                     (subscription_id, seq, received_at, event, event_id, data, size, replayed,
                      mismatch)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?,
            gap: conn.prepare_cached(
                "INSERT INTO gaps (subscription_id, at, after_id, next_id, missed)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?,
            reset: conn.prepare_cached(
                "INSERT INTO resets (subscription_id, at, last_id, first_id)
                 VALUES (?1, ?2, ?3, ?4)",
            )?,
            transition: conn.prepare_cached(
                "INSERT INTO transitions (subscription_id, at, from_state, to_state, reason)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?,
            timeline: conn.prepare_cached(
                "INSERT INTO timeline
                     (subscription_id, at, kind, attempt, delay_ms, status, error_kind, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?,
        })
    }

    /// Writes `r` for the live subscription `key`, whose share of the batch is `t`.
    fn apply(&mut self, key: i64, t: &mut Touched, r: &Record) -> rusqlite::Result<()> {
        match r {
            Record::Message {
                at,
                event,
                id,
                data,
                replayed,
                mismatch,
                ..
            } => self.message(key, t, *at, event, id, data, *replayed, mismatch.as_deref()),
            Record::LastId { id, .. } => {
                t.last_id = Some(id.clone());
                Ok(())
            }
            Record::Gap {
                at,
                after,
                next,
                missed,
                ..
            } => self.gap(key, t, *at, *after, *next, *missed),
            Record::Reset {
                at, last, first, ..
            } => {
                // Bit-cast: see the schema.
                self.reset
                    .execute(params![key, to_ms(*at), *last as i64, *first as i64])?;
                t.resets = t.resets.saturating_add(1);
                Ok(())
            }
            Record::Transition {
                at,
                from,
                to,
                reason,
                ..
            } => self.transition(key, *at, from.as_str(), to.as_str(), reason),
            Record::Liveness {
                at, stale, reason, ..
            } => {
                let (from, to) = if *stale {
                    ("open", "stale")
                } else {
                    ("stale", "open")
                };
                self.transition(key, *at, from, to, reason)
            }
            Record::Timeline { at, event, .. } => {
                let c = event.columns();
                // Delays fit i64 many times over; saturate rather than wrap.
                let delay = c.delay_ms.map(|d| i64::try_from(d).unwrap_or(i64::MAX));
                self.timeline.execute(params![
                    key,
                    to_ms(*at),
                    c.kind,
                    c.attempt,
                    delay,
                    c.status,
                    c.error_kind,
                    c.detail
                ])?;
                Ok(())
            }
            Record::RunStarted { at, probe, .. } => super::runs::start(self.conn, key, *at, *probe),
            Record::RunEnded { at, result, .. } => super::runs::end(self.conn, key, *at, result),
            Record::Flush(_) => Ok(()),
        }
    }

    /// Stores an event under the subscription's next seq; its id becomes the last id unless it
    /// was replayed (an older id would make the next resume ask for the replay again).
    #[allow(clippy::too_many_arguments)]
    fn message(
        &mut self,
        key: i64,
        t: &mut Touched,
        at: SystemTime,
        event: &SharedStr,
        id: &SharedStr,
        data: &SharedStr,
        replayed: bool,
        mismatch: Option<&str>,
    ) -> rusqlite::Result<()> {
        t.last_seq += 1;
        t.written += 1;
        let at = to_ms(at);
        let size = i64::try_from(data.len()).unwrap_or(i64::MAX);
        self.message.execute(params![
            key,
            t.last_seq,
            at,
            event.as_str(),
            id.as_str(),
            data.as_str(),
            size,
            replayed,
            mismatch
        ])?;
        if mismatch.is_some() {
            t.mismatches = t.mismatches.saturating_add(1);
        }
        if replayed {
            t.replayed = t.replayed.saturating_add(1);
        } else {
            t.last_id = Some(id.clone());
        }
        t.bytes = t.bytes.saturating_add(size);
        t.last_message_at = Some(at);
        Ok(())
    }

    /// Logs a jump in ids from `after` to `next` and counts it.
    fn gap(
        &mut self,
        key: i64,
        t: &mut Touched,
        at: SystemTime,
        after: u64,
        next: u64,
        missed: u64,
    ) -> rusqlite::Result<()> {
        // Bit-cast: see the schema.
        self.gap.execute(params![
            key,
            to_ms(at),
            after as i64,
            next as i64,
            missed as i64
        ])?;
        t.gaps += 1;
        t.missed = t.missed.saturating_add_unsigned(missed);
        Ok(())
    }

    /// Logs a state change.
    fn transition(
        &mut self,
        key: i64,
        at: SystemTime,
        from: &str,
        to: &str,
        reason: &str,
    ) -> rusqlite::Result<()> {
        self.transition
            .execute(params![key, to_ms(at), from, to, reason])?;
        Ok(())
    }
}

/// For each touched subscription, in the order the batch touched them: its stored state brought
/// up to date, then its retention applied. Returns what the writer's memory learns per
/// subscription (see [`Committed::subs`]) and how many messages retention deleted.
fn finish_subs(
    conn: &Connection,
    touched: TouchedSubs,
    now_ms: i64,
) -> rusqlite::Result<(Vec<SubOutcome>, u64)> {
    let mut pruned = 0u64;
    let mut subs = Vec::with_capacity(touched.order.len());
    for key in touched.order {
        let Some(t) = touched.by_key.get(&key) else {
            continue;
        };
        if !t.alive {
            subs.push((key, None));
            continue;
        }
        save_sub_state(conn, key, t)?;
        let (n, age_complete) = apply_retention(conn, key, t, now_ms)?;
        pruned += n;
        subs.push((key, Some((t.last_seq, age_complete))));
    }
    Ok((subs, pruned))
}

/// Adds the batch's share to the subscription's stored state: last id, last seq, counters. The
/// counters saturate at i64::MAX: SQLite would turn an overflowing sum into a REAL, which no
/// longer reads back as a count, and a hostile server can claim a jump of 2^63 ids.
fn save_sub_state(conn: &Connection, key: i64, t: &Touched) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO sub_state (subscription_id, last_event_id, last_seq, messages, bytes,
                                gaps, missed_events, last_message_at, replayed, resets,
                                mismatches)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT (subscription_id) DO UPDATE SET
             last_event_id = coalesce(excluded.last_event_id, last_event_id),
             last_seq = max(last_seq, excluded.last_seq),
             messages = CASE WHEN messages > 9223372036854775807 - excluded.messages
                 THEN 9223372036854775807 ELSE messages + excluded.messages END,
             bytes = CASE WHEN bytes > 9223372036854775807 - excluded.bytes
                 THEN 9223372036854775807 ELSE bytes + excluded.bytes END,
             gaps = CASE WHEN gaps > 9223372036854775807 - excluded.gaps
                 THEN 9223372036854775807 ELSE gaps + excluded.gaps END,
             missed_events = CASE WHEN missed_events > 9223372036854775807 - excluded.missed_events
                 THEN 9223372036854775807 ELSE missed_events + excluded.missed_events END,
             replayed = CASE WHEN replayed > 9223372036854775807 - excluded.replayed
                 THEN 9223372036854775807 ELSE replayed + excluded.replayed END,
             resets = CASE WHEN resets > 9223372036854775807 - excluded.resets
                 THEN 9223372036854775807 ELSE resets + excluded.resets END,
             mismatches = CASE WHEN mismatches > 9223372036854775807 - excluded.mismatches
                 THEN 9223372036854775807 ELSE mismatches + excluded.mismatches END,
             last_message_at = coalesce(excluded.last_message_at, last_message_at)",
    )?
    .execute(params![
        key,
        t.last_id.as_ref().map(|s| s.as_str()),
        t.last_seq,
        t.written,
        t.bytes,
        t.gaps,
        t.missed,
        t.last_message_at,
        t.replayed,
        t.resets,
        t.mismatches
    ])?;
    Ok(())
}

/// Applies the subscription's retention: by rows when the batch added some, by age when a pass
/// is due. Returns how many messages it deleted and whether an age pass ran and completed.
fn apply_retention(
    conn: &Connection,
    key: i64,
    t: &Touched,
    now_ms: i64,
) -> rusqlite::Result<(u64, bool)> {
    let mut pruned = 0;
    if t.written > 0 {
        pruned += retention::prune_rows(conn, key, t.last_seq, t.written, &t.retention)?;
    }
    let mut age_complete = false;
    if t.age_due {
        let (n, complete) = retention::prune_age(conn, key, now_ms, &t.retention)?;
        pruned += n;
        age_complete = complete;
    }
    Ok((pruned, age_complete))
}
