//! What a tracker learnt from one stream.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::format::LlmFormat;

/// The answer an LLM stream carried, as far as it got.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LlmSummary {
    /// The format recognised.
    pub format: LlmFormat,
    /// The text deltas concatenated, at most [`super::TEXT_CAP_BYTES`] bytes.
    pub text: String,
    /// True when more text came than is kept.
    pub text_truncated: bool,
    /// The server's reason for stopping (`stop`, `end_turn`, `STOP`, `completed`, …), when sent.
    pub finish_reason: Option<String>,
    /// The usage figures as the server sent them (fields merged across events), when sent.
    pub usage: Option<Value>,
}
