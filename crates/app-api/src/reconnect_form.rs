//! The form's reconnect choice: the engine's [`ReconnectMode`], or the method's default.

use serde::{Deserialize, Serialize};
use streamwatch_engine::reconnect_mode::ReconnectMode;

/// What the form's "Reconnect" select says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReconnectChoice {
    /// No choice saved: always for GET, after errors only for any other method (the engine's
    /// [`ReconnectMode::default_for_method`]).
    ByMethod,
    /// After any end.
    Always,
    /// After errors only: a clean end is done.
    Error,
    /// Never.
    Never,
}

impl ReconnectChoice {
    /// The mode to save (`None`: the method's default).
    pub fn mode(self) -> Option<ReconnectMode> {
        match self {
            ReconnectChoice::ByMethod => None,
            ReconnectChoice::Always => Some(ReconnectMode::Always),
            ReconnectChoice::Error => Some(ReconnectMode::Error),
            ReconnectChoice::Never => Some(ReconnectMode::Never),
        }
    }

    /// The choice showing a saved mode.
    pub fn of(mode: Option<ReconnectMode>) -> ReconnectChoice {
        match mode {
            None => ReconnectChoice::ByMethod,
            Some(ReconnectMode::Always) => ReconnectChoice::Always,
            Some(ReconnectMode::Error) => ReconnectChoice::Error,
            Some(ReconnectMode::Never) => ReconnectChoice::Never,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_choice_round_trips() {
        for c in [
            ReconnectChoice::ByMethod,
            ReconnectChoice::Always,
            ReconnectChoice::Error,
            ReconnectChoice::Never,
        ] {
            assert_eq!(ReconnectChoice::of(c.mode()), c);
        }
        assert_eq!(
            serde_json::to_value(ReconnectChoice::ByMethod).unwrap(),
            "by-method"
        );
    }
}
