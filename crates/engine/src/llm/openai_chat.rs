//! OpenAI Chat Completions streaming: `chat.completion.chunk` objects, the text in
//! `choices[0].delta.content`, `choices[0].finish_reason`, and with
//! `stream_options.include_usage` a last chunk with empty `choices` and the `usage`.

use serde_json::Value;

use super::chunk::{object_at, str_at, Chunk};

/// Whether this event is a Chat Completions chunk.
pub(super) fn recognises(json: &Value) -> bool {
    if str_at(json, "object") == Some("chat.completion.chunk") {
        return true;
    }
    // Compatible servers that leave `object` out still send choices with a `delta`.
    json.get("choices")
        .and_then(Value::as_array)
        .is_some_and(|choices| choices.iter().any(|c| c.get("delta").is_some()))
}

/// The first choice's delta and finish reason, and the usage.
pub(super) fn extract(json: &Value) -> Chunk<'_> {
    let mut chunk = Chunk {
        usage: object_at(json, "usage"),
        ..Chunk::default()
    };
    if let Some(choice) = first_choice(json) {
        if let Some(content) = choice.get("delta").and_then(|d| str_at(d, "content")) {
            chunk.texts.push(content);
        }
        chunk.finish_reason = str_at(choice, "finish_reason");
    }
    chunk
}

/// The choice with `index` 0 (with `n > 1` choices interleave), else the first listed.
fn first_choice(json: &Value) -> Option<&Value> {
    let choices = json.get("choices")?.as_array()?;
    choices
        .iter()
        .find(|c| c.get("index").and_then(Value::as_u64) == Some(0))
        .or_else(|| choices.first().filter(|c| c.get("index").is_none()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn delta_finish_and_usage() {
        let first = json!({"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": null}]});
        assert!(recognises(&first));
        assert_eq!(extract(&first).texts, vec![""]);
        let token = json!({"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": null}], "usage": null});
        let chunk = extract(&token);
        assert_eq!(chunk.texts, vec!["Hi"]);
        assert_eq!(chunk.usage, None);
        let last = json!({"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]});
        assert_eq!(extract(&last).finish_reason, Some("stop"));
        let usage = json!({"object": "chat.completion.chunk", "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}});
        assert_eq!(
            extract(&usage).usage,
            Some(&json!({"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}))
        );
    }

    #[test]
    fn only_choice_zero_counts() {
        let other = json!({"choices": [{"index": 1, "delta": {"content": "B"}}]});
        assert!(recognises(&other));
        assert!(extract(&other).texts.is_empty());
    }

    #[test]
    fn other_json_is_not_a_chunk() {
        assert!(!recognises(&json!({"choices": [{"text": "x"}]})));
        assert!(!recognises(&json!({"candidates": []})));
    }
}
