//! `POST /v1/chat/completions`: OpenAI Chat Completions streaming. A role chunk, one
//! `chat.completion.chunk` per token in `choices[0].delta.content`, a chunk with the
//! `finish_reason`, with `stream_options.include_usage` a chunk with empty `choices` and the
//! `usage` (and `"usage": null` on the others), then `data: [DONE]`.

use serde::Deserialize;
use serde_json::{json, Value};

use super::answer::Answer;
use super::prompt::{Content, Prompt};
use super::script::Script;
use super::sse::{sse_event, sse_raw_data};

#[derive(Debug, Deserialize)]
struct ChatRequest {
    model: String,
    messages: Vec<ChatMessage>,
    #[serde(default)]
    stream: bool,
    #[serde(default)]
    stream_options: Option<StreamOptions>,
    #[serde(default)]
    max_tokens: Option<u64>,
    #[serde(default)]
    max_completion_tokens: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct ChatMessage {
    role: String,
    // Assistant messages with tool calls have `"content": null`.
    #[serde(default)]
    content: Option<Content>,
}

#[derive(Debug, Deserialize)]
struct StreamOptions {
    #[serde(default)]
    include_usage: bool,
}

/// The prompt of a request body, or why it is refused.
pub(crate) fn parse(body: &[u8]) -> Result<Prompt, String> {
    let request: ChatRequest =
        serde_json::from_slice(body).map_err(|err| format!("invalid request body: {err}"))?;
    if request.messages.is_empty() {
        return Err("`messages` must not be empty".to_owned());
    }
    if !request.stream {
        return Err("this demo server only streams: set \"stream\": true".to_owned());
    }
    let mut prompt = Prompt::from_messages(
        request.model,
        request.messages.iter().map(|m| {
            (
                m.role.as_str(),
                m.content.as_ref().map(Content::text).unwrap_or_default(),
            )
        }),
        request.max_completion_tokens.or(request.max_tokens),
    );
    prompt.include_usage = request.stream_options.is_some_and(|o| o.include_usage);
    Ok(prompt)
}

/// OpenAI's error shape.
pub(crate) fn error_body(message: &str) -> Value {
    json!({"error": {"message": message, "type": "invalid_request_error", "param": null, "code": null}})
}

/// The events answering `prompt`; `n` numbers the response, `created` is in Unix seconds.
pub(crate) fn script(prompt: &Prompt, answer: &Answer, n: u64, created: u64) -> Script {
    let chunk = |delta: Value, finish_reason: Option<&str>| {
        let mut chunk = json!({
            "id": format!("chatcmpl-demo{n}"),
            "object": "chat.completion.chunk",
            "created": created,
            "model": prompt.model,
            "system_fingerprint": "fp_demo",
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish_reason}],
        });
        if prompt.include_usage {
            chunk["usage"] = Value::Null;
        }
        sse_event(None, &chunk, "\n")
    };
    let finish = if answer.cut_by_max_tokens {
        "length"
    } else {
        "stop"
    };
    let mut closing = vec![chunk(json!({}), Some(finish))];
    if prompt.include_usage {
        let usage = json!({
            "id": format!("chatcmpl-demo{n}"),
            "object": "chat.completion.chunk",
            "created": created,
            "model": prompt.model,
            "system_fingerprint": "fp_demo",
            "choices": [],
            "usage": {
                "prompt_tokens": answer.input_tokens,
                "completion_tokens": answer.output_tokens(),
                "total_tokens": answer.input_tokens + answer.output_tokens(),
            },
        });
        closing.push(sse_event(None, &usage, "\n"));
    }
    Script {
        prelude: vec![chunk(
            json!({"role": "assistant", "content": "", "refusal": null}),
            None,
        )],
        tokens: answer
            .tokens
            .iter()
            .map(|token| chunk(json!({"content": token}), None))
            .collect(),
        closing,
        end: Some(sse_raw_data("[DONE]")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_request() {
        let body = br#"{"model":"gpt-demo","stream":true,"stream_options":{"include_usage":true},"max_tokens":9,
            "messages":[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"hi there"}]},{"role":"assistant","content":null}]}"#;
        let prompt = parse(body).expect("valid");
        assert_eq!(prompt.model, "gpt-demo");
        assert_eq!(prompt.last_user_text, "hi there");
        assert_eq!(prompt.input_tokens, 4);
        assert_eq!(prompt.max_tokens, Some(9));
        assert!(prompt.include_usage);
    }

    #[test]
    fn refusals() {
        assert!(parse(b"{not json")
            .expect_err("bad json")
            .starts_with("invalid request body"));
        assert!(parse(br#"{"model":"m","messages":[],"stream":true}"#).is_err());
        assert!(
            parse(br#"{"model":"m","messages":[{"role":"user","content":"x"}]}"#)
                .expect_err("not streaming")
                .contains("stream")
        );
        assert!(parse(br#"{"messages":[{"role":"user","content":"x"}],"stream":true}"#).is_err());
    }
}
