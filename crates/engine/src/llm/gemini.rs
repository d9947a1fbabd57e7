//! Gemini `streamGenerateContent?alt=sse`: each event a `GenerateContentResponse`, the text in
//! `candidates[0].content.parts[*].text`, `candidates[0].finishReason`, and the running
//! `usageMetadata`.

use serde_json::Value;

use super::chunk::{object_at, str_at, Chunk};

/// Whether this event is a `GenerateContentResponse`.
pub(super) fn recognises(json: &Value) -> bool {
    json.get("candidates").is_some_and(Value::is_array)
        || object_at(json, "usageMetadata").is_some()
}

/// The first candidate's text parts (not its thoughts), finish reason, and the usage.
pub(super) fn extract(json: &Value) -> Chunk<'_> {
    let mut chunk = Chunk {
        usage: object_at(json, "usageMetadata"),
        ..Chunk::default()
    };
    let Some(candidate) = first_candidate(json) else {
        return chunk;
    };
    if let Some(parts) = candidate
        .get("content")
        .and_then(|c| c.get("parts"))
        .and_then(Value::as_array)
    {
        chunk.texts = parts
            .iter()
            .filter(|part| part.get("thought").and_then(Value::as_bool) != Some(true))
            .filter_map(|part| str_at(part, "text"))
            .collect();
    }
    chunk.finish_reason = str_at(candidate, "finishReason");
    chunk
}

/// The candidate with `index` 0, else the first listed (`index` is left out when there is one).
fn first_candidate(json: &Value) -> Option<&Value> {
    let candidates = json.get("candidates")?.as_array()?;
    candidates
        .iter()
        .find(|c| c.get("index").and_then(Value::as_u64) == Some(0))
        .or_else(|| candidates.first().filter(|c| c.get("index").is_none()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parts_finish_reason_and_usage() {
        let event = json!({
            "candidates": [{"content": {"role": "model", "parts": [
                {"text": "thinking…", "thought": true}, {"text": "Hel"}, {"text": "lo"}
            ]}, "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": 4, "candidatesTokenCount": 2, "totalTokenCount": 6}
        });
        assert!(recognises(&event));
        let chunk = extract(&event);
        assert_eq!(chunk.texts, vec!["Hel", "lo"]);
        assert_eq!(chunk.finish_reason, Some("STOP"));
        assert_eq!(
            chunk.usage,
            Some(&json!({"promptTokenCount": 4, "candidatesTokenCount": 2, "totalTokenCount": 6}))
        );
    }

    #[test]
    fn other_json_is_not_gemini() {
        assert!(!recognises(&json!({"choices": []})));
        assert!(!recognises(&json!({"candidates": "x"})));
    }
}
