//! LLM-like streaming endpoints: OpenAI Chat Completions, OpenAI Responses, Anthropic Messages
//! and Gemini `streamGenerateContent?alt=sse`, each speaking its provider's real event format
//! at a token pace, with fault knobs. The answer is deterministic (see [`answer`]) so tests can
//! expect its exact text and usage.

mod answer;
mod anthropic;
mod gemini;
mod knobs;
mod openai_chat;
mod openai_responses;
mod prompt;
mod routes;
mod script;
mod sse;

pub(crate) use routes::{llm_router, LlmApp};
