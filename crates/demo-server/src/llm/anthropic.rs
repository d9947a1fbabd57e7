//! `POST /v1/messages`: Anthropic Messages streaming. `message_start` (input usage),
//! `content_block_start`, a `ping`, one `content_block_delta` (`text_delta`) per token,
//! `content_block_stop`, `message_delta` (`stop_reason` and output usage), `message_stop`.

use serde::Deserialize;
use serde_json::{json, Value};

use super::answer::Answer;
use super::prompt::{Content, Prompt};
use super::script::Script;
use super::sse::sse_event;

#[derive(Debug, Deserialize)]
struct MessagesRequest {
    model: String,
    max_tokens: u64,
    messages: Vec<Message>,
    #[serde(default)]
    system: Option<Content>,
    #[serde(default)]
    stream: bool,
}

#[derive(Debug, Deserialize)]
struct Message {
    role: String,
    content: Content,
}

/// The prompt of a request body, or why it is refused.
pub(crate) fn parse(body: &[u8]) -> Result<Prompt, String> {
    let request: MessagesRequest =
        serde_json::from_slice(body).map_err(|err| format!("invalid request body: {err}"))?;
    if request.messages.is_empty() {
        return Err("messages: at least one message is required".to_owned());
    }
    if !request.stream {
        return Err("this demo server only streams: set \"stream\": true".to_owned());
    }
    let system = request.system.as_ref().map(|s| ("system", s.text()));
    let messages = request
        .messages
        .iter()
        .map(|m| (m.role.as_str(), m.content.text()));
    Ok(Prompt::from_messages(
        request.model,
        system.into_iter().chain(messages),
        Some(request.max_tokens),
    ))
}

/// Anthropic's error shape.
pub(crate) fn error_body(message: &str) -> Value {
    json!({"type": "error", "error": {"type": "invalid_request_error", "message": message}})
}

/// The events answering `prompt`; `n` numbers the message.
pub(crate) fn script(prompt: &Prompt, answer: &Answer, n: u64) -> Script {
    let event = |name: &str, mut body: Value| {
        body["type"] = json!(name);
        sse_event(Some(name), &body, "\n")
    };
    let message = json!({
        "id": format!("msg_demo{n}"),
        "type": "message",
        "role": "assistant",
        "model": prompt.model,
        "content": [],
        "stop_reason": null,
        "stop_sequence": null,
        "usage": {"input_tokens": answer.input_tokens, "output_tokens": 1},
    });
    let stop_reason = if answer.cut_by_max_tokens {
        "max_tokens"
    } else {
        "end_turn"
    };
    Script {
        prelude: vec![
            event("message_start", json!({"message": message})),
            event(
                "content_block_start",
                json!({"index": 0, "content_block": {"type": "text", "text": ""}}),
            ),
            event("ping", json!({})),
        ],
        tokens: answer
            .tokens
            .iter()
            .map(|token| {
                event(
                    "content_block_delta",
                    json!({"index": 0, "delta": {"type": "text_delta", "text": token}}),
                )
            })
            .collect(),
        closing: vec![
            event("content_block_stop", json!({"index": 0})),
            event(
                "message_delta",
                json!({"delta": {"stop_reason": stop_reason, "stop_sequence": null},
                    "usage": {"output_tokens": answer.output_tokens()}}),
            ),
        ],
        end: Some(event("message_stop", json!({}))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_request() {
        let prompt = parse(
            br#"{"model":"claude-demo","max_tokens":64,"stream":true,"system":"Be brief.",
                "messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}]}"#,
        )
        .expect("valid");
        assert_eq!(prompt.last_user_text, "hi");
        assert_eq!(prompt.input_tokens, 3);
        assert_eq!(prompt.max_tokens, Some(64));
    }

    #[test]
    fn max_tokens_is_required() {
        let err =
            parse(br#"{"model":"m","stream":true,"messages":[{"role":"user","content":"x"}]}"#)
                .expect_err("no max_tokens");
        assert!(err.contains("max_tokens"), "{err}");
    }
}
