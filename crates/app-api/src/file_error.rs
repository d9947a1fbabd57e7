//! Why a file the user chose for an export or an import could not be written or read, each case
//! worded so the user knows what to do; and its [`CommandError`] (a kind of its own for a full
//! disk and for a refused permission, so the window can say so plainly).

use crate::error::{CommandError, ErrorKind};
use std::io;
use std::path::{Path, PathBuf};

/// A file that could not be written or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    /// No space left (or a quota reached) while writing.
    #[error(
        "cannot write {}: the disk is full. Free some space or choose another place; nothing \
         was written.",
        path.display()
    )]
    DiskFull {
        /// The file asked for.
        path: PathBuf,
    },
    /// The system refused: no permission, or a read-only disk.
    #[error(
        "cannot {} {}: permission denied. Choose a {} you can {}.",
        if *writing { "write" } else { "read" },
        path.display(),
        if *writing { "folder" } else { "file" },
        if *writing { "write to" } else { "read" }
    )]
    PermissionDenied {
        /// The file asked for.
        path: PathBuf,
        /// Writing (else reading).
        writing: bool,
    },
    /// The file (or its folder) does not exist.
    #[error("{} does not exist.", path.display())]
    NotFound {
        /// The file asked for.
        path: PathBuf,
    },
    /// An import file beyond what is read into memory.
    #[error(
        "{} is too large to import ({size} bytes; at most {limit}). Is it a Streamwatch export?",
        path.display()
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The most that is read.
        limit: u64,
    },
    /// An import file that is not UTF-8 text.
    #[error("{} is not a Streamwatch export file (not UTF-8 text).", path.display())]
    NotText {
        /// The file.
        path: PathBuf,
    },
    /// Any other failure of the system.
    #[error("cannot {} {}: {detail}.", if *writing { "write" } else { "read" }, path.display())]
    Io {
        /// The file asked for.
        path: PathBuf,
        /// Writing (else reading).
        writing: bool,
        /// What the system said.
        detail: String,
    },
}

impl FileError {
    /// Writing `path` failed with `e`.
    pub fn writing(path: &Path, e: &io::Error) -> FileError {
        FileError::of(path, e, true)
    }

    /// Reading `path` failed with `e`.
    pub fn reading(path: &Path, e: &io::Error) -> FileError {
        FileError::of(path, e, false)
    }

    fn of(path: &Path, e: &io::Error, writing: bool) -> FileError {
        let path = path.to_path_buf();
        match e.kind() {
            io::ErrorKind::StorageFull
            | io::ErrorKind::QuotaExceeded
            | io::ErrorKind::FileTooLarge
                if writing =>
            {
                FileError::DiskFull { path }
            }
            io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
                FileError::PermissionDenied { path, writing }
            }
            io::ErrorKind::NotFound => FileError::NotFound { path },
            io::ErrorKind::InvalidData if !writing => FileError::NotText { path },
            _ => FileError::Io {
                path,
                writing,
                detail: e.to_string(),
            },
        }
    }
}

impl From<FileError> for CommandError {
    fn from(e: FileError) -> Self {
        let kind = match e {
            FileError::DiskFull { .. } => ErrorKind::DiskFull,
            FileError::PermissionDenied { .. } => ErrorKind::PermissionDenied,
            FileError::TooLarge { .. } | FileError::NotText { .. } => ErrorKind::Invalid,
            FileError::NotFound { .. } | FileError::Io { .. } => ErrorKind::File,
        };
        CommandError {
            kind,
            message: e.to_string(),
            field: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_errors_become_the_users_words_and_kinds() {
        let p = Path::new("/x/out.csv");
        let cases = [
            (
                FileError::writing(p, &io::Error::from(io::ErrorKind::StorageFull)),
                ErrorKind::DiskFull,
                "the disk is full",
            ),
            (
                FileError::writing(p, &io::Error::from(io::ErrorKind::PermissionDenied)),
                ErrorKind::PermissionDenied,
                "cannot write /x/out.csv: permission denied. Choose a folder you can write to.",
            ),
            (
                FileError::reading(p, &io::Error::from(io::ErrorKind::PermissionDenied)),
                ErrorKind::PermissionDenied,
                "cannot read /x/out.csv: permission denied",
            ),
            (
                FileError::writing(p, &io::Error::from(io::ErrorKind::ReadOnlyFilesystem)),
                ErrorKind::PermissionDenied,
                "permission denied",
            ),
            (
                FileError::reading(p, &io::Error::from(io::ErrorKind::NotFound)),
                ErrorKind::File,
                "/x/out.csv does not exist.",
            ),
            (
                FileError::reading(p, &io::Error::from(io::ErrorKind::InvalidData)),
                ErrorKind::Invalid,
                "not UTF-8 text",
            ),
            (
                FileError::writing(p, &io::Error::other("boom")),
                ErrorKind::File,
                "cannot write /x/out.csv: boom.",
            ),
        ];
        for (e, kind, words) in cases {
            let c = CommandError::from(e.clone());
            assert_eq!(c.kind, kind, "{e}");
            assert!(c.message.contains(words), "{e}");
        }
    }
}
