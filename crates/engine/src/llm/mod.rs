//! What an LLM stream said: for the recognised streaming formats of LLM APIs (OpenAI Chat
//! Completions, OpenAI Responses, Anthropic Messages, Gemini `streamGenerateContent?alt=sse`,
//! or any JSON stream through a user's JSON pointer), the assembled text, the finish reason,
//! the usage figures the server sends, when the first token came and which end sentinel closed
//! the stream.
//!
//! Pure: [`LlmTracker`] is fed each event's type and data and never does I/O, so the connection
//! that owns it decides what to do with an [`Observation`] (time to first token, a stream that
//! ended without its sentinel).

mod anthropic;
mod chunk;
mod detect;
mod format;
mod gemini;
mod json_pointer;
mod openai_chat;
mod openai_responses;
mod sentinel;
mod summary;
mod text;
mod tracker;
mod usage;

pub use format::LlmFormat;
pub use sentinel::EndSentinel;
pub use summary::LlmSummary;
pub use text::TEXT_CAP_BYTES;
pub use tracker::{LlmTracker, Observation};
