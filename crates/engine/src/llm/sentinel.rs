//! The events that say an LLM stream is over, whichever format was detected.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An end-of-answer marker seen on the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EndSentinel {
    /// `data: [DONE]` (OpenAI Chat Completions).
    Done,
    /// An event of type `message_stop` (Anthropic).
    MessageStop,
    /// An event (or JSON `type`) `response.completed` (OpenAI Responses).
    ResponseCompleted,
}

/// The sentinel this event is, if any: `json` is the data parsed, when it is JSON.
pub(super) fn end_sentinel(
    event_type: &str,
    data: &str,
    json: Option<&Value>,
) -> Option<EndSentinel> {
    if data.trim() == "[DONE]" {
        return Some(EndSentinel::Done);
    }
    let json_type = json.and_then(|v| v.get("type")).and_then(Value::as_str);
    // The SSE event type first: Anthropic and the Responses API send both, and a proxy that
    // drops one still leaves the other.
    for name in [Some(event_type), json_type].into_iter().flatten() {
        match name {
            "message_stop" => return Some(EndSentinel::MessageStop),
            "response.completed" => return Some(EndSentinel::ResponseCompleted),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn done_is_told_with_or_without_spaces() {
        assert_eq!(
            end_sentinel("message", "[DONE]", None),
            Some(EndSentinel::Done)
        );
        assert_eq!(end_sentinel("", " [DONE] ", None), Some(EndSentinel::Done));
        assert_eq!(end_sentinel("message", "[done]", None), None);
    }

    #[test]
    fn serialized_in_kebab_case() {
        let names: Vec<String> = [
            EndSentinel::Done,
            EndSentinel::MessageStop,
            EndSentinel::ResponseCompleted,
        ]
        .iter()
        .map(|s| serde_json::to_string(s).unwrap_or_default())
        .collect();
        assert_eq!(
            names,
            ["\"done\"", "\"message-stop\"", "\"response-completed\""]
        );
    }

    #[test]
    fn event_type_or_json_type() {
        assert_eq!(
            end_sentinel("message_stop", "{}", Some(&json!({}))),
            Some(EndSentinel::MessageStop)
        );
        let completed = json!({"type": "response.completed"});
        assert_eq!(
            end_sentinel("message", "", Some(&completed)),
            Some(EndSentinel::ResponseCompleted)
        );
        assert_eq!(
            end_sentinel("response.completed", "not json", None),
            Some(EndSentinel::ResponseCompleted)
        );
        assert_eq!(
            end_sentinel(
                "message_delta",
                "{}",
                Some(&json!({"type": "message_delta"}))
            ),
            None
        );
    }
}
