//! Following one LLM stream event by event.

use serde_json::Value;

use super::chunk::Chunk;
use super::detect::detect;
use super::format::LlmFormat;
use super::sentinel::{end_sentinel, EndSentinel};
use super::summary::LlmSummary;
use super::text::{BoundedText, TEXT_CAP_BYTES};
use super::usage::merge_usage;
use super::{anthropic, gemini, json_pointer, openai_chat, openai_responses};

/// The longest finish reason kept: real ones are a word.
const FINISH_REASON_CAP_BYTES: usize = 256;

/// What one event meant to the stream's answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Observation {
    /// True on the first event that added non-empty text, and never again.
    pub first_token: bool,
    /// The end sentinel this event is, whatever format the stream was detected as.
    pub end: Option<EndSentinel>,
}

/// Follows one stream (one connection's events) and assembles its answer.
#[derive(Debug, Clone)]
pub struct LlmTracker {
    /// The user's JSON pointer: the generic format instead of detection.
    pointer: Option<String>,
    format: Option<LlmFormat>,
    text: BoundedText,
    finish_reason: Option<String>,
    usage: Option<Value>,
    first_token_seen: bool,
}

impl LlmTracker {
    /// A tracker that concatenates the strings at `pointer`, or with `None` detects which of
    /// the four known formats the stream speaks from its events.
    pub fn new(pointer: Option<String>) -> LlmTracker {
        LlmTracker::with_text_cap(pointer, TEXT_CAP_BYTES)
    }

    /// Like [`LlmTracker::new`], keeping at most `cap` bytes of text.
    pub fn with_text_cap(pointer: Option<String>, cap: usize) -> LlmTracker {
        LlmTracker {
            pointer,
            format: None,
            text: BoundedText::new(cap),
            finish_reason: None,
            usage: None,
            first_token_seen: false,
        }
    }

    /// The format recognised so far.
    pub fn format(&self) -> Option<LlmFormat> {
        self.format
    }

    /// Takes in one event (its type, `message` when the server named none, and its data).
    pub fn observe(&mut self, event_type: &str, data: &str) -> Observation {
        // Invalid JSON (and JSON nested past serde_json's recursion limit) is simply not a
        // chunk: the stream may mix in other events.
        // Every event of the four known formats is a JSON object: other data (a plain-text
        // stream, a busy feed of numbers) is not parsed at all unless a pointer asks for it.
        let may_be_chunk = self.pointer.is_some() || data.trim_start().starts_with('{');
        let json = may_be_chunk
            .then(|| serde_json::from_str::<Value>(data).ok())
            .flatten();
        let end = end_sentinel(event_type, data, json.as_ref());
        let Some(json) = json else {
            return Observation {
                first_token: false,
                end,
            };
        };
        let chunk = self.chunk(event_type, &json);
        let first_token = chunk.as_ref().is_some_and(|chunk| self.take(chunk));
        Observation { first_token, end }
    }

    /// What the stream said so far; `None` until a format was recognised.
    pub fn summary(&self) -> Option<LlmSummary> {
        Some(LlmSummary {
            format: self.format?,
            text: self.text.as_str().to_owned(),
            text_truncated: self.text.truncated(),
            finish_reason: self.finish_reason.clone(),
            usage: self.usage.clone(),
        })
    }

    /// The event's contribution in the stream's format, detecting it on the way.
    fn chunk<'a>(&mut self, event_type: &'a str, json: &'a Value) -> Option<Chunk<'a>> {
        if let Some(pointer) = &self.pointer {
            let chunk = json_pointer::extract(pointer, json)?;
            self.format = Some(LlmFormat::JsonPointer);
            return Some(chunk);
        }
        let format = match self.format {
            Some(format) => format,
            None => {
                let format = detect(event_type, json)?;
                self.format = Some(format);
                format
            }
        };
        Some(match format {
            LlmFormat::OpenaiChat => openai_chat::extract(json),
            LlmFormat::OpenaiResponses => openai_responses::extract(event_type, json),
            LlmFormat::Anthropic => anthropic::extract(event_type, json),
            LlmFormat::Gemini => gemini::extract(json),
            LlmFormat::JsonPointer => return None,
        })
    }

    /// Keeps the chunk's parts; true when this is the first text of the stream.
    fn take(&mut self, chunk: &Chunk<'_>) -> bool {
        let mut added_text = false;
        for text in &chunk.texts {
            if !text.is_empty() {
                self.text.push(text);
                added_text = true;
            }
        }
        if let Some(reason) = chunk.finish_reason {
            let mut reason = reason.to_owned();
            if reason.len() > FINISH_REASON_CAP_BYTES {
                let mut end = FINISH_REASON_CAP_BYTES;
                while !reason.is_char_boundary(end) {
                    end -= 1;
                }
                reason.truncate(end);
            }
            self.finish_reason = Some(reason);
        }
        if let Some(usage) = chunk.usage {
            merge_usage(&mut self.usage, usage);
        }
        let first = added_text && !self.first_token_seen;
        self.first_token_seen |= added_text;
        first
    }
}
