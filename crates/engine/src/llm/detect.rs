//! Telling which of the four LLM formats a stream speaks from one of its events.

use serde_json::Value;

use super::format::LlmFormat;
use super::{anthropic, gemini, openai_chat, openai_responses};

/// The format this event belongs to, if it is one of the four known ones. Typed events
/// (Responses, Anthropic) are tried first: their `type` names are specific, while the shape
/// checks of the other two only look for a field.
pub(super) fn detect(event_type: &str, json: &Value) -> Option<LlmFormat> {
    if openai_responses::recognises(event_type, json) {
        Some(LlmFormat::OpenaiResponses)
    } else if anthropic::recognises(event_type, json) {
        Some(LlmFormat::Anthropic)
    } else if openai_chat::recognises(json) {
        Some(LlmFormat::OpenaiChat)
    } else if gemini::recognises(json) {
        Some(LlmFormat::Gemini)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_format_from_a_typical_event() {
        let chat = json!({"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": "x"}}]});
        assert_eq!(detect("message", &chat), Some(LlmFormat::OpenaiChat));
        let responses = json!({"type": "response.created", "response": {}});
        assert_eq!(
            detect("response.created", &responses),
            Some(LlmFormat::OpenaiResponses)
        );
        let anthropic = json!({"type": "message_start", "message": {}});
        assert_eq!(
            detect("message_start", &anthropic),
            Some(LlmFormat::Anthropic)
        );
        let gemini = json!({"candidates": [{"content": {"parts": [{"text": "x"}]}}]});
        assert_eq!(detect("message", &gemini), Some(LlmFormat::Gemini));
        assert_eq!(detect("tick", &json!({"n": 1})), None);
        assert_eq!(detect("ping", &json!({"type": "ping"})), None);
    }
}
