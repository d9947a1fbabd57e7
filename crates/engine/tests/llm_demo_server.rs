//! The LLM tracker over real streams from the demo server's LLM endpoints, read through the
//! engine's own SSE parser: the exact text, finish reason, usage, first token and end marker
//! for each format.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{json, Value};
use streamwatch_demo_server::{DemoConfig, DemoServer};
use streamwatch_engine::llm::{EndSentinel, LlmFormat, LlmSummary, LlmTracker};
use streamwatch_engine::{Frame, Parser};

async fn demo() -> DemoServer {
    let addr: SocketAddr = "127.0.0.1:0".parse().expect("literal address");
    DemoServer::start(addr, DemoConfig::default())
        .await
        .expect("demo server starts")
}

/// What the tracker made of one whole response.
struct Tracked {
    summary: Option<LlmSummary>,
    /// Index of the event that was the first token.
    first_token_at: Vec<usize>,
    /// End sentinels seen, with the index of their event.
    ends: Vec<(usize, EndSentinel)>,
    events: usize,
}

async fn track(url: &str, body: &Value, pointer: Option<&str>) -> Tracked {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200, "{url}");
    let bytes = response.bytes().await.expect("whole body");
    let mut parser = Parser::new();
    let mut frames = Vec::new();
    parser
        .feed_slice(&bytes, |frame| frames.push(frame))
        .expect("a valid event stream");
    let mut tracker = LlmTracker::new(pointer.map(str::to_owned));
    let mut tracked = Tracked {
        summary: None,
        first_token_at: Vec::new(),
        ends: Vec::new(),
        events: 0,
    };
    for frame in frames {
        let Frame::Event(event) = frame else { continue };
        let i = tracked.events;
        let seen = tracker.observe(event.event.as_str(), event.data.as_str());
        if seen.first_token {
            tracked.first_token_at.push(i);
        }
        if let Some(end) = seen.end {
            tracked.ends.push((i, end));
        }
        tracked.events += 1;
    }
    tracked.summary = tracker.summary();
    tracked
}

fn messages(text: &str) -> Value {
    json!([{"role": "system", "content": "Be brief."}, {"role": "user", "content": text}])
}

#[tokio::test]
async fn openai_chat_from_the_demo_server() {
    let server = demo().await;
    let body = json!({"model": "gpt-demo", "stream": true, "stream_options": {"include_usage": true},
        "messages": messages("watch this stream")});
    let tracked = track(&server.url("/v1/chat/completions?token_ms=1"), &body, None).await;
    let summary = tracked.summary.expect("recognised");
    assert_eq!(summary.format, LlmFormat::OpenaiChat);
    assert_eq!(summary.text, "You said: watch this stream");
    assert!(!summary.text_truncated);
    assert_eq!(summary.finish_reason.as_deref(), Some("stop"));
    assert_eq!(
        summary.usage,
        Some(json!({"prompt_tokens": 5, "completion_tokens": 5, "total_tokens": 10}))
    );
    // The role chunk carries no text: the first token is the next event.
    assert_eq!(tracked.first_token_at, [1]);
    assert_eq!(tracked.ends, [(tracked.events - 1, EndSentinel::Done)]);
    server.shutdown().await;
}

#[tokio::test]
async fn openai_responses_from_the_demo_server() {
    let server = demo().await;
    let body = json!({"model": "gpt-demo", "stream": true, "instructions": "Be brief.",
        "input": [{"role": "user", "content": [{"type": "input_text", "text": "hello responses"}]}]});
    let tracked = track(&server.url("/v1/responses?token_ms=1"), &body, None).await;
    let summary = tracked.summary.expect("recognised");
    assert_eq!(summary.format, LlmFormat::OpenaiResponses);
    assert_eq!(summary.text, "You said: hello responses");
    assert_eq!(summary.finish_reason.as_deref(), Some("completed"));
    assert_eq!(
        summary.usage,
        Some(
            json!({"input_tokens": 4, "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": 4, "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 8})
        )
    );
    assert_eq!(tracked.first_token_at, [4]);
    assert_eq!(
        tracked.ends,
        [(tracked.events - 1, EndSentinel::ResponseCompleted)]
    );
    server.shutdown().await;
}

#[tokio::test]
async fn anthropic_from_the_demo_server() {
    let server = demo().await;
    let body = json!({"model": "claude-demo", "max_tokens": 1024, "stream": true, "system": "Be brief.",
        "messages": [{"role": "user", "content": "hello claude"}]});
    let tracked = track(&server.url("/v1/messages?token_ms=1"), &body, None).await;
    let summary = tracked.summary.expect("recognised");
    assert_eq!(summary.format, LlmFormat::Anthropic);
    assert_eq!(summary.text, "You said: hello claude");
    assert_eq!(summary.finish_reason.as_deref(), Some("end_turn"));
    // Input from message_start, output from message_delta.
    assert_eq!(
        summary.usage,
        Some(json!({"input_tokens": 4, "output_tokens": 4}))
    );
    // message_start, content_block_start, ping, then the first delta.
    assert_eq!(tracked.first_token_at, [3]);
    assert_eq!(
        tracked.ends,
        [(tracked.events - 1, EndSentinel::MessageStop)]
    );
    server.shutdown().await;
}

#[tokio::test]
async fn gemini_from_the_demo_server() {
    let server = demo().await;
    let body = json!({"systemInstruction": {"parts": [{"text": "Be brief."}]},
        "contents": [{"role": "user", "parts": [{"text": "hello gemini"}]}]});
    let url = server.url("/v1beta/models/gemini-demo:streamGenerateContent?alt=sse&token_ms=1");
    let tracked = track(&url, &body, None).await;
    let summary = tracked.summary.expect("recognised");
    assert_eq!(summary.format, LlmFormat::Gemini);
    assert_eq!(summary.text, "You said: hello gemini");
    assert_eq!(summary.finish_reason.as_deref(), Some("STOP"));
    assert_eq!(
        summary.usage,
        Some(json!({"promptTokenCount": 4, "candidatesTokenCount": 4, "totalTokenCount": 8}))
    );
    assert_eq!(tracked.first_token_at, [0]);
    // Gemini has no end marker of its own.
    assert!(tracked.ends.is_empty());
    server.shutdown().await;
}

#[tokio::test]
async fn a_json_pointer_over_the_demo_chat_stream() {
    let server = demo().await;
    let body = json!({"model": "m", "stream": true, "messages": messages("point at me")});
    let tracked = track(
        &server.url("/v1/chat/completions?token_ms=0"),
        &body,
        Some("/choices/0/delta/content"),
    )
    .await;
    let summary = tracked.summary.expect("recognised");
    assert_eq!(summary.format, LlmFormat::JsonPointer);
    assert_eq!(summary.text, "You said: point at me");
    assert_eq!(summary.finish_reason, None);
    assert_eq!(tracked.ends.len(), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn max_tokens_and_a_cut_before_the_end() {
    let server = demo().await;
    let body =
        json!({"model": "m", "stream": true, "max_tokens": 3, "messages": messages("a b c d")});
    let tracked = track(
        &server.url("/v1/chat/completions?token_ms=0&cut_before_end=1"),
        &body,
        None,
    )
    .await;
    let summary = tracked.summary.expect("recognised");
    assert_eq!(summary.text, "You said: a");
    assert_eq!(summary.finish_reason.as_deref(), Some("length"));
    // No [DONE]: the stream ended without its sentinel.
    assert!(tracked.ends.is_empty());

    let body = json!({"model": "m", "stream": true, "max_output_tokens": 2, "input": "x y"});
    let tracked = track(&server.url("/v1/responses?token_ms=0"), &body, None).await;
    let summary = tracked.summary.expect("recognised");
    assert_eq!(summary.text, "You said:");
    assert_eq!(summary.finish_reason.as_deref(), Some("max_output_tokens"));
    // An incomplete response ends with response.incomplete, not response.completed.
    assert!(tracked.ends.is_empty());
    server.shutdown().await;
}
