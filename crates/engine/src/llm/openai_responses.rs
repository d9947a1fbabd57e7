//! OpenAI Responses streaming: typed `response.*` events, the text in
//! `response.output_text.delta` events' `delta`, and the usage and status on the final
//! `response.completed` (or `response.incomplete` / `response.failed`) event's `response`.

use serde_json::Value;

use super::chunk::{object_at, str_at, Chunk};

/// Whether this event belongs to a Responses stream.
pub(super) fn recognises(event_type: &str, json: &Value) -> bool {
    event_name(event_type, json).is_some_and(|name| name.starts_with("response."))
}

/// Text deltas; at the end, why it stopped and the usage.
pub(super) fn extract<'a>(event_type: &'a str, json: &'a Value) -> Chunk<'a> {
    let mut chunk = Chunk::default();
    match event_name(event_type, json) {
        Some("response.output_text.delta") => {
            if let Some(delta) = str_at(json, "delta") {
                chunk.texts.push(delta);
            }
        }
        Some("response.completed" | "response.incomplete" | "response.failed") => {
            if let Some(response) = json.get("response") {
                chunk.usage = object_at(response, "usage");
                // An incomplete answer says why (`max_output_tokens`); a whole one only that
                // it is `completed`.
                chunk.finish_reason = response
                    .get("incomplete_details")
                    .and_then(|d| str_at(d, "reason"))
                    .or_else(|| str_at(response, "status"));
            }
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
    fn deltas_then_completed() {
        let delta = json!({"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 0, "content_index": 0, "delta": "Hel"});
        assert!(recognises("response.output_text.delta", &delta));
        assert_eq!(
            extract("response.output_text.delta", &delta).texts,
            vec!["Hel"]
        );
        let done = json!({"type": "response.completed", "response": {"status": "completed", "usage": {"input_tokens": 5, "output_tokens": 2, "total_tokens": 7}}});
        let chunk = extract("response.completed", &done);
        assert_eq!(chunk.finish_reason, Some("completed"));
        assert_eq!(
            chunk.usage,
            Some(&json!({"input_tokens": 5, "output_tokens": 2, "total_tokens": 7}))
        );
    }

    #[test]
    fn incomplete_says_why() {
        let incomplete = json!({"type": "response.incomplete", "response": {"status": "incomplete", "incomplete_details": {"reason": "max_output_tokens"}}});
        assert_eq!(
            extract("", &incomplete).finish_reason,
            Some("max_output_tokens")
        );
    }

    #[test]
    fn the_event_type_alone_is_enough() {
        let delta = json!({"delta": "x"});
        assert!(recognises("response.output_text.delta", &delta));
        assert_eq!(
            extract("response.output_text.delta", &delta).texts,
            vec!["x"]
        );
        assert!(!recognises("message", &delta));
    }
}
