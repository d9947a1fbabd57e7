//! Why notification rules cannot be used: its own file so the message rules, the run rules
//! and the rules object all name it without importing each other.

/// Longest allowed "down after" threshold (one day); beyond it the rule is a typo.
pub const MAX_DOWN_AFTER_SECS: u64 = 86_400;

/// Rules that cannot be used, with what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    /// The stored JSON is not a rules object.
    #[error("notification rules are not valid: {0}")]
    Malformed(String),
    /// The down threshold is out of range.
    #[error("\"down after\" must be at most {MAX_DOWN_AFTER_SECS} seconds (0 turns it off)")]
    DownAfter,
    /// A message rule has no condition, so it would fire on every message.
    #[error("message rule {0} has no condition: set an event type, text, regex or JSON pointer")]
    EmptyRule(usize),
    /// A regular expression does not compile.
    #[error("message rule {index}: invalid regular expression: {reason}")]
    Regex {
        /// Which rule (1-based).
        index: usize,
        /// The regex crate's explanation.
        reason: String,
    },
    /// A JSON pointer is malformed or has no value to compare with.
    #[error("message rule {index}: {reason}")]
    JsonPointer {
        /// Which rule (1-based).
        index: usize,
        /// What is wrong.
        reason: String,
    },
}
