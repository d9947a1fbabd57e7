//! What the endpoints take from a request, whatever its format.

use serde::Deserialize;

/// The most answer tokens one request gets, so an echoed prompt cannot grow without bound.
pub(crate) const MAX_ANSWER_TOKENS: usize = 2_000;

/// A message's content: a string, or a list of parts of which the `text` ones count.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum Content {
    Text(String),
    Parts(Vec<Part>),
}

/// One content part (`{"type":"text","text":…}`, `{"text":…}`, an image, …).
#[derive(Debug, Deserialize)]
pub(crate) struct Part {
    #[serde(default)]
    text: Option<String>,
}

impl Content {
    /// The text parts joined by a space.
    pub(crate) fn text(&self) -> String {
        match self {
            Content::Text(text) => text.clone(),
            Content::Parts(parts) => join_parts(parts),
        }
    }
}

/// The text of `parts`, joined by a space.
pub(crate) fn join_parts(parts: &[Part]) -> String {
    parts
        .iter()
        .filter_map(|p| p.text.as_deref())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A request reduced to what shapes the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Prompt {
    /// The model the request named, echoed back.
    pub model: String,
    /// The text of the last user message (empty when there is none).
    pub last_user_text: String,
    /// Words in every message of the request: the demo's "input tokens".
    pub input_tokens: u64,
    /// The request's cap on output tokens.
    pub max_tokens: Option<u64>,
    /// OpenAI chat's `stream_options.include_usage`.
    pub include_usage: bool,
}

impl Prompt {
    /// From `(role, text)` pairs in order.
    pub(crate) fn from_messages<'a>(
        model: String,
        messages: impl IntoIterator<Item = (&'a str, String)>,
        max_tokens: Option<u64>,
    ) -> Prompt {
        let mut last_user_text = String::new();
        let mut input_tokens = 0u64;
        for (role, text) in messages {
            input_tokens = input_tokens.saturating_add(text.split_whitespace().count() as u64);
            if role == "user" {
                last_user_text = text;
            }
        }
        Prompt {
            model,
            last_user_text,
            input_tokens,
            max_tokens,
            include_usage: false,
        }
    }
}
