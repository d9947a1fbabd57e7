//! Why a catalog operation failed; each front end maps these to its own words and exit codes.

use super::sealing::SealError;
use super::validate::Invalid;
use crate::export_format::ExportFormatError;
use crate::secrets::SecretError;
use crate::storage::StorageError;

/// Why a catalog operation failed. Nothing was saved (and no keyring item was left behind)
/// unless the variant says otherwise.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// A setting is unusable; it names the field.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The name is taken (names are compared without regard to ASCII case).
    #[error("a subscription named {0:?} already exists: choose another name")]
    NameTaken(String),
    /// No subscription has that name or id.
    #[error("no saved subscription is named or numbered {0:?} (see `streamwatch subs list`)")]
    NotFound(String),
    /// The database refused.
    #[error(transparent)]
    Storage(StorageError),
    /// The OS keyring refused.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// A subscription's secrets could not be read from the keyring.
    #[error("cannot read the secret headers of {name:?} from the OS keyring: {source}")]
    SecretsOf {
        /// The subscription's name.
        name: String,
        /// What the keyring said.
        source: SecretError,
    },
    /// An import file is not a usable export file.
    #[error(transparent)]
    Format(#[from] ExportFormatError),
    /// One subscription of an import or config file is unusable; nothing was saved.
    #[error(
        "{what}: {place} (subscription {name}): {}; nothing was saved",
        problem.to_string().trim_end_matches('.')
    )]
    ImportEntry {
        /// Where in the file: `subscriptions[2]`, or the field, `subscriptions[2].max_event_size`.
        place: String,
        /// The subscription's name in the file, quoted and cut short.
        name: String,
        /// The file, as the caller named it.
        what: String,
        /// What is wrong with it: quoted, not chained as a `source`, so that a caller
        /// printing the chain does not say it twice.
        problem: Box<CatalogError>,
    },
    /// Names in an import file are taken; nothing was imported.
    #[error(
        "subscriptions named {} already exist; nothing was imported (import them under new \
         names, or remove them first)",
        .0.iter().map(|n| format!("{n:?}")).collect::<Vec<_>>().join(", ")
    )]
    ImportClash(Vec<String>),
}

impl From<StorageError> for CatalogError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NameTaken(name) => CatalogError::NameTaken(name),
            other => CatalogError::Storage(other),
        }
    }
}

impl From<SealError> for CatalogError {
    fn from(e: SealError) -> Self {
        match e {
            SealError::Invalid(i) => CatalogError::Invalid(i),
            SealError::Secret(s) => CatalogError::Secret(s),
        }
    }
}
