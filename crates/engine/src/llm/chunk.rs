//! What one event contributes, whatever its format.

use serde_json::Value;

/// The parts of one event a tracker keeps, borrowed from the parsed event.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Chunk<'a> {
    /// Text deltas, in order.
    pub texts: Vec<&'a str>,
    /// The finish reason, when this event carries one.
    pub finish_reason: Option<&'a str>,
    /// Usage figures, when this event carries them (merged into what came before).
    pub usage: Option<&'a Value>,
}

/// The string at `value[key]`, if it is one.
pub(super) fn str_at<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

/// `value[key]` when it is an object (`null` usage placeholders are not usage).
pub(super) fn object_at<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    value.get(key).filter(|v| v.is_object())
}
