//! Anthropic Messages streaming: `message_start` (the input usage), `content_block_delta`
//! events whose `delta.type` is `text_delta`, `message_delta` (`delta.stop_reason` and the
//! output usage), `ping`, and `message_stop` at the end.

use serde_json::Value;

use super::chunk::{object_at, str_at, Chunk};

/// Event types only a Messages stream sends (`ping` and `error` are too generic to tell it).
const MESSAGE_EVENTS: [&str; 6] = [
    "message_start",
    "content_block_start",
    "content_block_delta",
    "content_block_stop",
    "message_delta",
    "message_stop",
];

/// Whether this event belongs to a Messages stream.
pub(super) fn recognises(event_type: &str, json: &Value) -> bool {
    event_name(event_type, json).is_some_and(|name| MESSAGE_EVENTS.contains(&name))
}

/// Text deltas, the stop reason and the usage.
pub(super) fn extract<'a>(event_type: &'a str, json: &'a Value) -> Chunk<'a> {
    let mut chunk = Chunk::default();
    match event_name(event_type, json) {
        Some("message_start") => {
            if let Some(message) = json.get("message") {
                chunk.usage = object_at(message, "usage");
            }
        }
        Some("content_block_delta") => {
            // Tool input (`input_json_delta`) and thinking are not the answer's text.
            if let Some(delta) = json.get("delta") {
                if str_at(delta, "type") == Some("text_delta") {
                    if let Some(text) = str_at(delta, "text") {
                        chunk.texts.push(text);
                    }
                }
            }
        }
        Some("message_delta") => {
            chunk.finish_reason = json.get("delta").and_then(|d| str_at(d, "stop_reason"));
            chunk.usage = object_at(json, "usage");
        }
        _ => {}
    }
    chunk
}

/// The JSON `type`, else the SSE event type.
fn event_name<'a>(event_type: &'a str, json: &'a Value) -> Option<&'a str> {
    str_at(json, "type").or(Some(event_type).filter(|t| !t.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn start_deltas_and_stop_reason() {
        let start = json!({"type": "message_start", "message": {"id": "msg_1", "usage": {"input_tokens": 25, "output_tokens": 1}}});
        assert!(recognises("message_start", &start));
        assert_eq!(
            extract("message_start", &start).usage,
            Some(&json!({"input_tokens": 25, "output_tokens": 1}))
        );
        let delta = json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}});
        assert_eq!(extract("content_block_delta", &delta).texts, vec!["Hi"]);
        let tool = json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "{\"a\""}});
        assert!(extract("content_block_delta", &tool).texts.is_empty());
        let end = json!({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null}, "usage": {"output_tokens": 15}});
        let chunk = extract("message_delta", &end);
        assert_eq!(chunk.finish_reason, Some("end_turn"));
        assert_eq!(chunk.usage, Some(&json!({"output_tokens": 15})));
    }

    #[test]
    fn ping_alone_is_not_enough() {
        assert!(!recognises("ping", &json!({"type": "ping"})));
    }
}
