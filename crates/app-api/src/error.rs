//! Why a command failed ([`CommandError`], the value an `invoke` promise rejects with), and
//! engine failures as such: which kind, and which form field is to blame.

use serde::{Deserialize, Serialize};
use streamwatch_engine::monitor::MonitorError;
use streamwatch_engine::storage::StorageError;
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

impl From<MonitorError> for CommandError {
    fn from(e: MonitorError) -> Self {
        match e {
            MonitorError::Storage(s) => s.into(),
            MonitorError::Secret(s) => CommandError {
                kind: ErrorKind::Secret,
                message: s.to_string(),
                field: None,
            },
            MonitorError::Config { source, .. } => source.into(),
            MonitorError::Supervisor(s) => s.into(),
            MonitorError::Rules { source, .. } => {
                CommandError::invalid(source.to_string(), Some("notify"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn kinds_and_fields() {
        let e: CommandError = MonitorError::Config {
            name: "x".into(),
            source: ConfigError::UnsupportedScheme("ftp".into()),
        }
        .into();
        assert_eq!(
            (e.kind, e.field.as_deref()),
            (ErrorKind::Invalid, Some("url"))
        );
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
    fn json_is_camel_case() {
        let e = CommandError::not_found("m");
        assert_eq!(
            serde_json::to_value(e).unwrap(),
            serde_json::json!({"kind": "notFound", "message": "m", "field": null})
        );
    }
}
