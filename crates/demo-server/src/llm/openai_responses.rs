//! `POST /v1/responses`: OpenAI Responses streaming. `response.created`, `response.in_progress`,
//! the output item and content part added, one `response.output_text.delta` per token, the
//! text, part and item done, then `response.completed` with the usage (or
//! `response.incomplete` when `max_output_tokens` cut the answer). Every event carries its
//! `sequence_number`.

use serde::Deserialize;
use serde_json::{json, Value};

use super::answer::Answer;
use super::prompt::{Content, Prompt};
use super::script::Script;
use super::sse::sse_event;

#[derive(Debug, Deserialize)]
struct ResponsesRequest {
    model: String,
    input: Input,
    #[serde(default)]
    instructions: Option<String>,
    #[serde(default)]
    stream: bool,
    #[serde(default)]
    max_output_tokens: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Input {
    Text(String),
    Items(Vec<InputItem>),
}

/// A message item (other item kinds, such as tool output, have no role).
#[derive(Debug, Deserialize)]
struct InputItem {
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    content: Option<Content>,
}

/// The prompt of a request body, or why it is refused.
pub(crate) fn parse(body: &[u8]) -> Result<Prompt, String> {
    let request: ResponsesRequest =
        serde_json::from_slice(body).map_err(|err| format!("invalid request body: {err}"))?;
    if !request.stream {
        return Err("this demo server only streams: set \"stream\": true".to_owned());
    }
    let mut messages: Vec<(&str, String)> = Vec::new();
    if let Some(instructions) = &request.instructions {
        messages.push(("developer", instructions.clone()));
    }
    match &request.input {
        Input::Text(text) => messages.push(("user", text.clone())),
        Input::Items(items) => messages.extend(items.iter().map(|item| {
            (
                item.role.as_deref().unwrap_or(""),
                item.content.as_ref().map(Content::text).unwrap_or_default(),
            )
        })),
    }
    Ok(Prompt::from_messages(
        request.model,
        messages,
        request.max_output_tokens,
    ))
}

/// OpenAI's error shape.
pub(crate) fn error_body(message: &str) -> Value {
    json!({"error": {"message": message, "type": "invalid_request_error", "param": null, "code": null}})
}

/// The events answering `prompt`; `n` numbers the response, `created` is in Unix seconds.
pub(crate) fn script(prompt: &Prompt, answer: &Answer, n: u64, created: u64) -> Script {
    let mut sequence = 0u64;
    let mut event = |name: &str, mut body: Value| {
        body["type"] = json!(name);
        body["sequence_number"] = json!(sequence);
        sequence += 1;
        sse_event(Some(name), &body, "\n")
    };
    let item_id = format!("msg_demo{n}");
    let response = |status: &str, output: Value, usage: Value| {
        json!({
            "id": format!("resp_demo{n}"),
            "object": "response",
            "created_at": created,
            "status": status,
            "model": prompt.model,
            "output": output,
            "usage": usage,
        })
    };
    let item = |status: &str, content: Value| json!({"id": item_id, "type": "message", "status": status, "role": "assistant", "content": content});
    let text = answer.text();
    let part = json!({"type": "output_text", "text": text, "annotations": []});

    let prelude = vec![
        event(
            "response.created",
            json!({"response": response("in_progress", json!([]), Value::Null)}),
        ),
        event(
            "response.in_progress",
            json!({"response": response("in_progress", json!([]), Value::Null)}),
        ),
        event(
            "response.output_item.added",
            json!({"output_index": 0, "item": item("in_progress", json!([]))}),
        ),
        event(
            "response.content_part.added",
            json!({"item_id": item_id, "output_index": 0, "content_index": 0,
                "part": {"type": "output_text", "text": "", "annotations": []}}),
        ),
    ];
    let tokens = answer
        .tokens
        .iter()
        .map(|token| {
            event(
                "response.output_text.delta",
                json!({"item_id": item_id, "output_index": 0, "content_index": 0, "delta": token, "logprobs": []}),
            )
        })
        .collect();
    let closing = vec![
        event(
            "response.output_text.done",
            json!({"item_id": item_id, "output_index": 0, "content_index": 0, "text": text, "logprobs": []}),
        ),
        event(
            "response.content_part.done",
            json!({"item_id": item_id, "output_index": 0, "content_index": 0, "part": part}),
        ),
        event(
            "response.output_item.done",
            json!({"output_index": 0, "item": item("completed", json!([part]))}),
        ),
    ];
    let usage = json!({
        "input_tokens": answer.input_tokens,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": answer.output_tokens(),
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": answer.input_tokens + answer.output_tokens(),
    });
    let output = json!([item("completed", json!([part]))]);
    let end = if answer.cut_by_max_tokens {
        let mut incomplete = response("incomplete", output, usage);
        incomplete["incomplete_details"] = json!({"reason": "max_output_tokens"});
        event("response.incomplete", json!({"response": incomplete}))
    } else {
        event(
            "response.completed",
            json!({"response": response("completed", output, usage)}),
        )
    };
    Script {
        prelude,
        tokens,
        closing,
        end: Some(end),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_or_item_input() {
        let text = parse(br#"{"model":"m","input":"hello you","stream":true}"#).expect("valid");
        assert_eq!(text.last_user_text, "hello you");
        let items = parse(
            br#"{"model":"m","stream":true,"instructions":"Be brief.","max_output_tokens":5,
                "input":[{"role":"user","content":[{"type":"input_text","text":"a b"}]},{"type":"function_call_output","call_id":"c","output":"x"}]}"#,
        )
        .expect("valid");
        assert_eq!(items.last_user_text, "a b");
        assert_eq!(items.input_tokens, 4);
        assert_eq!(items.max_tokens, Some(5));
    }

    #[test]
    fn refusals() {
        assert!(parse(br#"{"model":"m","input":"x"}"#).is_err());
        assert!(parse(br#"{"model":"m","input":7,"stream":true}"#).is_err());
        assert!(parse(b"").is_err());
    }
}
