//! When a stream that ended is connected again: the per-subscription reconnect mode, named as
//! Datastar's `retry` option names it, and the one rule for its default.

use serde::{Deserialize, Serialize};

/// Whether a subscription reconnects after its stream ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReconnectMode {
    /// After any end, clean or not: an endless stream (the default for GET).
    Always,
    /// Only after an error or a broken stream; a clean end (an end sentinel, a clean close) is
    /// done. The default for every other method: re-sending a POST costs the user (an LLM
    /// answer is paid for).
    Error,
    /// Never: the first end, clean or not, is the last.
    Never,
}

impl ReconnectMode {
    /// Every mode, in the order a form lists them.
    pub const ALL: [ReconnectMode; 3] = [
        ReconnectMode::Always,
        ReconnectMode::Error,
        ReconnectMode::Never,
    ];

    /// The name used in JSON, the database, the export format and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            ReconnectMode::Always => "always",
            ReconnectMode::Error => "error",
            ReconnectMode::Never => "never",
        }
    }

    /// The mode named `name` (as [`ReconnectMode::as_str`] writes it).
    pub fn parse(name: &str) -> Option<ReconnectMode> {
        Self::ALL.into_iter().find(|m| m.as_str() == name)
    }

    /// The mode a subscription with this HTTP method gets when it sets none: GET streams are
    /// endless, any other method is a request whose answer is a finite stream.
    pub fn default_for_method(method: &str) -> ReconnectMode {
        if method.trim().eq_ignore_ascii_case("GET") {
            ReconnectMode::Always
        } else {
            ReconnectMode::Error
        }
    }

    /// The mode in force: the chosen one, else the default for `method`.
    pub fn resolve(chosen: Option<ReconnectMode>, method: &str) -> ReconnectMode {
        chosen.unwrap_or_else(|| Self::default_for_method(method))
    }

    /// Whether a stream that ended cleanly (sentinel or clean close) is connected again.
    pub fn after_clean_end(self) -> bool {
        self == ReconnectMode::Always
    }

    /// Whether a stream that failed (an error, a broken or timed-out stream) is connected again.
    pub fn after_error(self) -> bool {
        self != ReconnectMode::Never
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_is_endless_and_every_other_method_ends() {
        assert_eq!(
            ReconnectMode::default_for_method("GET"),
            ReconnectMode::Always
        );
        assert_eq!(
            ReconnectMode::default_for_method("get"),
            ReconnectMode::Always
        );
        for m in ["POST", "PUT", "PATCH", "DELETE", "QUERY"] {
            assert_eq!(
                ReconnectMode::default_for_method(m),
                ReconnectMode::Error,
                "{m}"
            );
        }
        assert_eq!(
            ReconnectMode::resolve(Some(ReconnectMode::Never), "GET"),
            ReconnectMode::Never
        );
        assert_eq!(ReconnectMode::resolve(None, "POST"), ReconnectMode::Error);
    }

    #[test]
    fn names_round_trip_and_decide() {
        for m in ReconnectMode::ALL {
            assert_eq!(ReconnectMode::parse(m.as_str()), Some(m));
            assert_eq!(serde_json::to_value(m).unwrap(), m.as_str());
        }
        assert_eq!(ReconnectMode::parse("sometimes"), None);
        assert!(ReconnectMode::Always.after_clean_end());
        assert!(!ReconnectMode::Error.after_clean_end());
        assert!(ReconnectMode::Error.after_error());
        assert!(!ReconnectMode::Never.after_error());
        assert!(!ReconnectMode::Never.after_clean_end());
    }
}
