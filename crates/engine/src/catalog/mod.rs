//! The catalog: the one API over saved subscriptions that every front end uses (the CLI, the
//! daemon, the desktop app). Validation ([`validate`]: names, methods, headers, every setting),
//! secret sealing ([`sealing`]: one reference rule, rolled back on failure), add / edit / rename /
//! remove / pause ([`Catalog`]; [`crate::monitor::Monitor`] applies the same changes to a running
//! supervisor), export / import ([`transfer`]) and history files ([`history_export`]). Front
//! ends map their inputs and errors to this and nothing more; none of them opens storage.

mod changes;
mod declare;
mod duplicate;
mod error;
mod fatal_told;
pub mod file_entries;
pub mod from_curl;
pub mod history_export;
pub mod network_check;
pub mod network_sealing;
mod not_started;
mod runs;
mod runs_export;
mod saved;
pub mod sealing;
pub mod transfer;
pub mod validate;

pub use declare::Declared;
pub use duplicate::copy_name;
pub use error::CatalogError;
pub use from_curl::{parse_curl, CurlDraft, CurlError};
pub use history_export::{HistoryExportError, TimeRange};
pub use saved::{Catalog, Edited};
pub use sealing::Keeping;
pub use transfer::{Export, ExportOptions, Imported};
pub use validate::{normalize_method, Field, Invalid, METHODS};

/// The stored values front ends read and build, re-exported so none of them reaches into
/// storage.
pub use crate::storage::{
    FatalTold, GapRecord, HistoryQuery, NewNotification, ResetRecord, Retention, SavedSubscription,
    StorageError, StoredCounters, StoredHeader, StoredMessage, StoredNotification,
    SubscriptionRecord, Transition, DB_FILE_NAME,
};
