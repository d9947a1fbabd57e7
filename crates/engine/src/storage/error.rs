//! What can go wrong with the database, each case worded so a user knows what happened to which
//! file and what to do about it.

use rusqlite::ErrorCode;
use std::path::{Path, PathBuf};

/// A storage operation that failed.
///
/// Every variant about the database file names it, and says whether the user's data is safe:
/// the storage layer never starts empty over a file it cannot read, and never rewrites one it does
/// not understand.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    /// The file is not an SQLite database, or its pages are damaged.
    #[error(
        "{} is not a valid Streamwatch database ({detail}). Move it aside and start again, or \
         restore a backup; it was not modified.",
        path.display()
    )]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// SQLite's own words.
        detail: String,
    },
    /// A healthy SQLite database that some other program made.
    #[error(
        "{} is an SQLite database, but not a Streamwatch one. Move it aside or choose another data \
         directory; it was not modified.",
        path.display()
    )]
    Foreign {
        /// The database file.
        path: PathBuf,
    },
    /// The file was written by a newer Streamwatch whose schema this version does not know.
    #[error(
        "{} was written by a newer version of Streamwatch (schema version {found}; this version \
         understands up to {supported}). Update Streamwatch, or move the file aside to start \
         afresh; it was not modified.",
        path.display()
    )]
    TooNew {
        /// The database file.
        path: PathBuf,
        /// The schema version found in the file.
        found: i64,
        /// The newest schema version this build knows.
        supported: i64,
    },
    /// The disk (or the database's size limit) is full.
    #[error(
        "cannot write {}: the disk is full. Free some space (or keep less history); nothing that was \
         already saved was lost.",
        path.display()
    )]
    DiskFull {
        /// The database file.
        path: PathBuf,
    },
    /// The file or its directory cannot be written.
    #[error(
        "cannot write {}: {detail}. Check the permissions of the file and its folder (or whether the \
         disk is mounted read-only), or choose another data directory.",
        path.display()
    )]
    ReadOnly {
        /// The database file (or the directory that could not be created).
        path: PathBuf,
        /// What the system said.
        detail: String,
    },
    /// The file cannot be opened or created at all.
    #[error(
        "cannot open {}: {detail}. Check that its folder exists and can be written, or choose \
         another data directory.",
        path.display()
    )]
    CannotOpen {
        /// The database file (or the directory that could not be created).
        path: PathBuf,
        /// What the system said.
        detail: String,
    },
    /// Another process holds the database's write lock for too long.
    #[error(
        "{} is locked by another process (is a second Streamwatch running?). Close it and try again.",
        path.display()
    )]
    Busy {
        /// The database file.
        path: PathBuf,
    },
    /// Reading or writing the disk failed.
    #[error(
        "a disk error occurred on {}: {detail}. Check the disk; nothing that was already saved was \
         lost.",
        path.display()
    )]
    Io {
        /// The database file.
        path: PathBuf,
        /// What SQLite or the system said.
        detail: String,
    },
    /// A stored value cannot be read back (a column holds something this version does not expect).
    #[error(
        "{} holds a value this version cannot read ({detail}). Restore a backup or remove the \
         affected subscription; the file was not modified.",
        path.display()
    )]
    BadData {
        /// The database file.
        path: PathBuf,
        /// Which value, and why.
        detail: String,
    },
    /// Any other database failure.
    #[error("database error on {}: {detail}", path.display())]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// SQLite's own words.
        detail: String,
    },
    /// No per-user data directory is known (no home directory).
    #[error(
        "no data directory is known for this user (is HOME set?): pass a directory explicitly"
    )]
    NoDataDir,
    /// Another subscription already has this name.
    #[error("a subscription named {0:?} already exists: choose another name")]
    NameTaken(String),
    /// No subscription matches.
    #[error("no subscription {0}")]
    NotFound(String),
    /// The caller gave a value that cannot be stored.
    #[error("invalid subscription: {0}")]
    Invalid(String),
    /// The writer thread is gone (it was shut down, or it stopped after an unrecoverable error).
    #[error("the storage writer has stopped; events can no longer be saved")]
    WriterStopped,
}

impl StorageError {
    /// Maps an SQLite failure on `path` to the case a user can act on.
    pub fn from_sqlite(path: &Path, err: rusqlite::Error) -> StorageError {
        let path = path.to_path_buf();
        let detail = err.to_string();
        match &err {
            rusqlite::Error::SqliteFailure(e, _) => match e.code {
                ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => {
                    StorageError::Corrupt { path, detail }
                }
                ErrorCode::DiskFull => StorageError::DiskFull { path },
                ErrorCode::ReadOnly | ErrorCode::PermissionDenied => {
                    StorageError::ReadOnly { path, detail }
                }
                ErrorCode::CannotOpen => StorageError::CannotOpen { path, detail },
                ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => StorageError::Busy { path },
                ErrorCode::SystemIoFailure => StorageError::Io { path, detail },
                _ => StorageError::Sqlite { path, detail },
            },
            rusqlite::Error::FromSqlConversionFailure(..)
            | rusqlite::Error::IntegralValueOutOfRange(..)
            | rusqlite::Error::InvalidColumnType(..)
            | rusqlite::Error::Utf8Error(..) => StorageError::BadData { path, detail },
            _ => StorageError::Sqlite { path, detail },
        }
    }

    /// Maps a failure to create or reach `path` (the data directory or the file) on the filesystem.
    pub fn from_io(path: &Path, err: &std::io::Error) -> StorageError {
        let path = path.to_path_buf();
        let detail = err.to_string();
        match err.kind() {
            std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem => {
                StorageError::ReadOnly { path, detail }
            }
            std::io::ErrorKind::StorageFull => StorageError::DiskFull { path },
            _ => StorageError::CannotOpen { path, detail },
        }
    }
}

/// Shorthand for results that carry a [`StorageError`].
pub type Result<T, E = StorageError> = std::result::Result<T, E>;
