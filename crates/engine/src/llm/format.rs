//! The LLM streaming formats a tracker recognises.

use serde::{Deserialize, Serialize};

/// One recognised LLM streaming format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LlmFormat {
    /// OpenAI Chat Completions (`chat.completion.chunk` objects, ended by `data: [DONE]`).
    OpenaiChat,
    /// OpenAI Responses (`response.*` events, ended by `response.completed`).
    OpenaiResponses,
    /// Anthropic Messages (`message_start` … `message_stop`).
    Anthropic,
    /// Gemini `streamGenerateContent?alt=sse` (`candidates[0].content.parts[*].text`).
    Gemini,
    /// Any JSON stream: the string at the user's JSON pointer in each event, concatenated.
    JsonPointer,
}

impl LlmFormat {
    /// The name people know the format by, for labels.
    pub fn label(self) -> &'static str {
        match self {
            LlmFormat::OpenaiChat => "OpenAI Chat Completions",
            LlmFormat::OpenaiResponses => "OpenAI Responses",
            LlmFormat::Anthropic => "Anthropic Messages",
            LlmFormat::Gemini => "Gemini",
            LlmFormat::JsonPointer => "JSON pointer",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialized_in_kebab_case() {
        let names: Vec<String> = [
            LlmFormat::OpenaiChat,
            LlmFormat::OpenaiResponses,
            LlmFormat::Anthropic,
            LlmFormat::Gemini,
            LlmFormat::JsonPointer,
        ]
        .iter()
        .map(|f| serde_json::to_string(f).unwrap_or_default())
        .collect();
        assert_eq!(
            names,
            [
                "\"openai-chat\"",
                "\"openai-responses\"",
                "\"anthropic\"",
                "\"gemini\"",
                "\"json-pointer\""
            ]
        );
    }
}
