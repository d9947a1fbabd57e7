//! `POST /v1beta/models/{model}:streamGenerateContent?alt=sse`: Gemini streaming. Each event a
//! `GenerateContentResponse` with one token in `candidates[0].content.parts[0].text` and the
//! running `usageMetadata`; the last one has an empty text and the `finishReason`. Lines end
//! with CRLF, as Google's servers send them.

use serde::Deserialize;
use serde_json::{json, Value};

use super::answer::Answer;
use super::prompt::{join_parts, Part, Prompt};
use super::script::Script;
use super::sse::sse_event;

/// The method of the path's `{model}:{method}` segment this endpoint serves.
pub(crate) const STREAM_METHOD: &str = "streamGenerateContent";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GenerateRequest {
    contents: Vec<GeminiContent>,
    #[serde(default)]
    system_instruction: Option<GeminiContent>,
    #[serde(default)]
    generation_config: Option<GenerationConfig>,
}

#[derive(Debug, Deserialize)]
struct GeminiContent {
    #[serde(default)]
    role: Option<String>,
    parts: Vec<Part>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GenerationConfig {
    #[serde(default)]
    max_output_tokens: Option<u64>,
}

/// The prompt of a request body for `model`, or why it is refused.
pub(crate) fn parse(model: &str, body: &[u8]) -> Result<Prompt, String> {
    let request: GenerateRequest = serde_json::from_slice(body)
        .map_err(|err| format!("Invalid JSON payload received. {err}"))?;
    if request.contents.is_empty() {
        return Err("* GenerateContentRequest.contents: contents is not specified".to_owned());
    }
    let system = request
        .system_instruction
        .as_ref()
        .map(|s| ("system", join_parts(&s.parts)));
    // A content without a role is the user's.
    let contents = request
        .contents
        .iter()
        .map(|c| (c.role.as_deref().unwrap_or("user"), join_parts(&c.parts)));
    Ok(Prompt::from_messages(
        model.to_owned(),
        system.into_iter().chain(contents),
        request.generation_config.and_then(|g| g.max_output_tokens),
    ))
}

/// Google's error shape.
pub(crate) fn error_body(code: u16, status: &str, message: &str) -> Value {
    json!({"error": {"code": code, "message": message, "status": status}})
}

/// The events answering `prompt`; `n` numbers the response.
pub(crate) fn script(prompt: &Prompt, answer: &Answer, n: u64) -> Script {
    let chunk = |text: &str, output_tokens: u64, finish_reason: Option<&str>| {
        let mut candidate =
            json!({"content": {"parts": [{"text": text}], "role": "model"}, "index": 0});
        if let Some(reason) = finish_reason {
            candidate["finishReason"] = json!(reason);
        }
        let body = json!({
            "candidates": [candidate],
            "usageMetadata": {
                "promptTokenCount": answer.input_tokens,
                "candidatesTokenCount": output_tokens,
                "totalTokenCount": answer.input_tokens + output_tokens,
            },
            "modelVersion": prompt.model,
            "responseId": format!("demo{n}"),
        });
        sse_event(None, &body, "\r\n")
    };
    let finish = if answer.cut_by_max_tokens {
        "MAX_TOKENS"
    } else {
        "STOP"
    };
    Script {
        prelude: Vec::new(),
        tokens: answer
            .tokens
            .iter()
            .zip(1u64..)
            .map(|(token, count)| chunk(token, count, None))
            .collect(),
        closing: Vec::new(),
        end: Some(chunk("", answer.output_tokens(), Some(finish))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_request() {
        let prompt = parse(
            "gemini-demo",
            br#"{"systemInstruction":{"parts":[{"text":"Be brief."}]},"generationConfig":{"maxOutputTokens":7},
                "contents":[{"role":"user","parts":[{"text":"one"},{"text":"two"}]},{"role":"model","parts":[{"text":"ok"}]},{"parts":[{"text":"three"}]}]}"#,
        )
        .expect("valid");
        assert_eq!(prompt.model, "gemini-demo");
        assert_eq!(prompt.last_user_text, "three");
        assert_eq!(prompt.input_tokens, 6);
        assert_eq!(prompt.max_tokens, Some(7));
    }

    #[test]
    fn refusals() {
        assert!(parse("m", br#"{"contents":[]}"#).is_err());
        assert!(parse("m", br#"{"contents":"x"}"#).is_err());
    }
}
