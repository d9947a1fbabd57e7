//! Persistence: subscriptions, their message history, resume points and status log, in one
//! SQLite database (WAL mode) in the user's data directory.
//!
//! Two handles, each with its own connection: [`Store`] for configuration and reads (synchronous),
//! and [`Writer`], a thread that commits the event stream in batches. A message and its
//! subscription's new last event id always share a transaction, so after any crash resuming
//! re-requests at most a few events and never skips one.

mod error;
mod fatal_told;
mod model;
mod notifications;
mod retention;
mod runs;
mod schema;
mod store;
mod time;
mod timeline_rows;
mod writer;

pub use error::StorageError;
pub use fatal_told::FatalTold;
pub use model::{
    GapRecord, HistoryQuery, ResetRecord, Retention, SavedSubscription, StoredCounters,
    StoredHeader, StoredMessage, SubscriptionRecord, Transition,
};
pub use notifications::{NewNotification, StoredNotification, MAX_NOTIFICATIONS};
pub use runs::{
    RunStats, StoredRun, CUT_WORDS, MAX_RUNS_PER_READ, MAX_RUNS_PER_SUBSCRIPTION,
    RUN_TEXT_CAP_BYTES,
};
pub use schema::SCHEMA_VERSION;
pub use store::{Store, DB_FILE_NAME};
pub use timeline_rows::MAX_TIMELINE_ROWS;
#[doc(hidden)]
pub use writer::PageLimit;
pub use writer::{Record, Writer, WriterConfig, WriterHealth, WriterStats};
