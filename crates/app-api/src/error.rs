//! Why a command failed ([`CommandError`], the value an `invoke` promise rejects with), and
//! engine failures as such: which kind, and which form field is to blame.

use serde::{Deserialize, Serialize};
use streamwatch_engine::catalog::{CatalogError, Field, Invalid, StorageError};
use streamwatch_engine::monitor::MonitorError;
use streamwatch_engine::secrets::SecretError;
use streamwatch_engine::subscription::ConfigError;
use streamwatch_engine::supervisor::SupervisorError;
use ts_rs::TS;

/// What kind of failure a command reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ErrorKind {
    /// The input is unusable; `field` names the form field when one is to blame.
    Invalid,
    /// No such subscription.
    NotFound,
    /// The database refused (the message names the file and what to do).
    Storage,
    /// The OS keyring refused.
    Secret,
    /// No OS keyring is available: the form may offer to save without it (secrets kept in
    /// memory for this session only; `SubscriptionForm.withoutKeyring`).
    KeyringUnavailable,
    /// A file the user chose could not be written: the disk is full.
    DiskFull,
    /// A file the user chose could not be written or read: the system refused.
    PermissionDenied,
    /// A file the user chose could not be written or read for another reason (the message says).
    File,
    /// A bug or an unexpected failure.
    Internal,
}

/// Why a command failed: the value an `invoke` promise rejects with.
///
/// `field` is a [`SubscriptionForm`] field name (`name`, `url`, `method`, `retryMaxMs`,
/// `idleTimeoutSecs`…) or, for a header, `headers.N.name` / `headers.N.value` (N counts from 0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, thiserror::Error)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "CommandError.ts")]
#[error("{message}")]
pub struct CommandError {
    #[ts(inline)]
    pub kind: ErrorKind,
    pub message: String,
    pub field: Option<String>,
}

impl CommandError {
    /// Unusable input, blamed on `field` when one is known.
    pub fn invalid(message: impl Into<String>, field: Option<&str>) -> Self {
        CommandError {
            kind: ErrorKind::Invalid,
            message: message.into(),
            field: field.map(str::to_owned),
        }
    }

    /// No such subscription.
    pub fn not_found(message: impl Into<String>) -> Self {
        CommandError {
            kind: ErrorKind::NotFound,
            message: message.into(),
            field: None,
        }
    }

    /// An unexpected failure.
    pub fn internal(message: impl Into<String>) -> Self {
        CommandError {
            kind: ErrorKind::Internal,
            message: message.into(),
            field: None,
        }
    }
}

/// The form field a configuration error is about.
pub fn config_field(e: &ConfigError) -> &'static str {
    match e {
        ConfigError::InvalidUrl { .. } | ConfigError::UnsupportedScheme(_) => "url",
        ConfigError::InvalidMethod(_) => "method",
        ConfigError::InvalidHeader(_) => "headers",
        ConfigError::InvalidRetry(_) => "retryMaxMs",
        ConfigError::Client(c) => c.form_field(),
        ConfigError::Expectations(_) => "expectations",
    }
}

impl From<ConfigError> for CommandError {
    fn from(e: ConfigError) -> Self {
        let field = config_field(&e);
        CommandError::invalid(e.to_string(), Some(field))
    }
}

impl From<StorageError> for CommandError {
    fn from(e: StorageError) -> Self {
        let message = e.to_string();
        match &e {
            StorageError::NotFound(_) => CommandError::not_found(message),
            StorageError::NameTaken(_) => CommandError::invalid(message, Some("name")),
            StorageError::Invalid(what) => {
                // The storage layer's own checks, worded "the name is empty" and so on.
                let field = ["name", "URL", "method"]
                    .into_iter()
                    .find(|f| what.contains(f))
                    .map(|f| if f == "URL" { "url" } else { f });
                CommandError::invalid(message, field)
            }
            _ => CommandError {
                kind: ErrorKind::Storage,
                message,
                field: None,
            },
        }
    }
}

impl From<SupervisorError> for CommandError {
    fn from(e: SupervisorError) -> Self {
        match e {
            SupervisorError::NotFound(_) => CommandError::not_found(e.to_string()),
            SupervisorError::Config(c) => c.into(),
            SupervisorError::Duplicate(_) | SupervisorError::Client(_) => {
                CommandError::internal(e.to_string())
            }
        }
    }
}

/// The form field a catalog problem is about (the names of docs/app-contract.md).
pub fn form_field(field: Field) -> Option<String> {
    Some(match field {
        Field::Name => "name".into(),
        Field::Url => "url".into(),
        Field::Method => "method".into(),
        Field::HeaderName(i) => format!("headers.{i}.name"),
        Field::HeaderValue(i) => format!("headers.{i}.value"),
        Field::Body => "body".into(),
        Field::LastEventId => "lastEventId".into(),
        Field::RetryInitial => "retryInitialMs".into(),
        Field::RetryMax => "retryMaxMs".into(),
        Field::IdleTimeout => "idleTimeoutSecs".into(),
        Field::StaleAfter => "staleAfterSecs".into(),
        Field::Notify => "notify".into(),
        Field::Proxy => "proxy".into(),
        Field::CaCertificates => "caCertificates".into(),
        Field::ClientCertificate => "clientCertificate".into(),
        Field::ClientKey => "clientKey".into(),
        Field::EndEvent => "endEvent".into(),
        Field::ProbeEvery => "probeEvery".into(),
        // The schema's field of that row, as `expectations_form::schema_field` names it.
        Field::Expectation(i) => format!("expectations.{i}.schema"),
        // The form does not show these; the message says what is wrong.
        Field::MaxEventSize | Field::RetentionRows | Field::RetentionAge | Field::ResumeId => {
            return None
        }
    })
}

impl From<Invalid> for CommandError {
    fn from(e: Invalid) -> Self {
        CommandError {
            kind: ErrorKind::Invalid,
            field: form_field(e.field),
            message: e.message,
        }
    }
}

impl From<CatalogError> for CommandError {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::Invalid(i) => i.into(),
            CatalogError::NameTaken(_) => CommandError::invalid(e.to_string(), Some("name")),
            CatalogError::NotFound(_) => CommandError::not_found(e.to_string()),
            CatalogError::Storage(s) => s.into(),
            CatalogError::Secret(SecretError::Unavailable { .. }) => CommandError {
                kind: ErrorKind::KeyringUnavailable,
                message: e.to_string(),
                field: None,
            },
            CatalogError::Secret(_) | CatalogError::SecretsOf { .. } => CommandError {
                kind: ErrorKind::Secret,
                message: e.to_string(),
                field: None,
            },
            CatalogError::Format(_)
            | CatalogError::ImportEntry { .. }
            | CatalogError::ImportClash(_) => CommandError::invalid(e.to_string(), None),
        }
    }
}

impl From<MonitorError> for CommandError {
    fn from(e: MonitorError) -> Self {
        match e {
            MonitorError::Catalog(c) => c.into(),
            MonitorError::Storage(s) => s.into(),
            MonitorError::Supervisor(s) => s.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn kinds_and_fields() {
        let e: CommandError = MonitorError::Catalog(CatalogError::Invalid(Invalid::new(
            Field::HeaderValue(2),
            "bad",
        )))
        .into();
        assert_eq!(
            (e.kind, e.field.as_deref()),
            (ErrorKind::Invalid, Some("headers.2.value"))
        );
        let e: CommandError = CatalogError::NameTaken("a".into()).into();
        assert_eq!(e.field.as_deref(), Some("name"));
        let e: CommandError = StorageError::NameTaken("a".into()).into();
        assert_eq!(e.field.as_deref(), Some("name"));
        let e: CommandError = StorageError::Invalid("the URL is empty".into()).into();
        assert_eq!(e.field.as_deref(), Some("url"));
        let e: CommandError = StorageError::NotFound("with id 4".into()).into();
        assert_eq!(e.kind, ErrorKind::NotFound);
        let e: CommandError = StorageError::DiskFull {
            path: PathBuf::from("/x/streamwatch.db"),
        }
        .into();
        assert_eq!(e.kind, ErrorKind::Storage);
        assert!(e.message.contains("/x/streamwatch.db"));
        let e: CommandError =
            SupervisorError::NotFound(streamwatch_engine::SubscriptionId(1)).into();
        assert_eq!(e.kind, ErrorKind::NotFound);
    }

    #[test]
    fn an_unavailable_keyring_is_its_own_kind_so_the_form_can_offer_the_choice() {
        let unavailable = SecretError::Unavailable {
            reason: "org.freedesktop.DBus.Error.ServiceUnknown".into(),
        };
        let e: CommandError = MonitorError::Catalog(CatalogError::Secret(unavailable)).into();
        assert_eq!(e.kind, ErrorKind::KeyringUnavailable);
        assert_eq!(
            serde_json::to_value(&e).unwrap()["kind"],
            "keyringUnavailable"
        );
        let locked = SecretError::Locked {
            reason: "dismissed".into(),
        };
        let e: CommandError = CatalogError::Secret(locked).into();
        assert_eq!(e.kind, ErrorKind::Secret);
    }

    #[test]
    fn json_is_camel_case() {
        let e = CommandError::not_found("m");
        assert_eq!(
            serde_json::to_value(e).unwrap(),
            serde_json::json!({"kind": "notFound", "message": "m", "field": null})
        );
    }
}
