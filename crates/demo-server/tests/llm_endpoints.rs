//! The LLM-like endpoints over real HTTP: each provider's event sequence, the token pace, the
//! fault knobs, refused bodies, and the request log counting each POST.

mod common;

use std::time::{Duration, Instant};

use common::{client, fast_server, parse, Parsed};
use futures_util::StreamExt;
use serde_json::{json, Value};
use streamwatch_demo_server::LoggedRequest;

fn chat_request(text: &str) -> Value {
    json!({"model": "gpt-demo", "stream": true, "stream_options": {"include_usage": true},
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": text}]})
}

/// POSTs `body` and returns the status, content type and the whole body's events.
async fn post(url: &str, body: &Value) -> (u16, String, Vec<Parsed>) {
    let response = client()
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let bytes = response.bytes().await.expect("whole body");
    (status, content_type, parse(&bytes).events)
}

fn json_of(event: &Parsed) -> Value {
    serde_json::from_str(&event.data).expect("JSON data")
}

#[tokio::test]
async fn openai_chat_streams_chunks_usage_and_done() {
    let server = fast_server().await;
    let url = server.url("/v1/chat/completions?token_ms=0");
    let (status, content_type, events) = post(&url, &chat_request("hello streaming world")).await;
    assert_eq!(status, 200);
    assert_eq!(content_type, "text/event-stream");
    assert!(events.iter().all(|e| e.event == "message"));
    assert_eq!(events.last().map(|e| e.data.as_str()), Some("[DONE]"));
    let chunks: Vec<Value> = events[..events.len() - 1].iter().map(json_of).collect();
    assert!(chunks
        .iter()
        .all(|c| c["object"] == "chat.completion.chunk"));
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, "You said: hello streaming world");
    // role, 5 tokens, finish, usage
    assert_eq!(chunks.len(), 8);
    assert_eq!(chunks[6]["choices"][0]["finish_reason"], "stop");
    assert_eq!(chunks[7]["choices"], json!([]));
    assert_eq!(
        chunks[7]["usage"],
        json!({"prompt_tokens": 5, "completion_tokens": 5, "total_tokens": 10})
    );
    assert!(chunks[..7].iter().all(|c| c["usage"].is_null()));
    server.shutdown().await;
}

#[tokio::test]
async fn openai_chat_without_usage_or_past_max_tokens() {
    let server = fast_server().await;
    let url = server.url("/v1/chat/completions?token_ms=0");
    let body = json!({"model": "m", "stream": true, "max_tokens": 3,
        "messages": [{"role": "user", "content": "one two three"}]});
    let (_, _, events) = post(&url, &body).await;
    let chunks: Vec<Value> = events[..events.len() - 1].iter().map(json_of).collect();
    assert!(chunks.iter().all(|c| c.get("usage").is_none()));
    assert_eq!(
        chunks
            .last()
            .map(|c| c["choices"][0]["finish_reason"].clone()),
        Some(json!("length"))
    );
    assert_eq!(chunks.len(), 1 + 3 + 1);
    server.shutdown().await;
}

#[tokio::test]
async fn openai_responses_streams_typed_events() {
    let server = fast_server().await;
    let url = server.url("/v1/responses?token_ms=0");
    let body = json!({"model": "gpt-demo", "stream": true, "input": "hi there"});
    let (status, _, events) = post(&url, &body).await;
    assert_eq!(status, 200);
    let names: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(
        names,
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    for (i, event) in events.iter().enumerate() {
        let data = json_of(event);
        assert_eq!(data["type"], event.event.as_str());
        assert_eq!(data["sequence_number"], i);
    }
    assert_eq!(json_of(&events[8])["text"], "You said: hi there");
    let completed = json_of(&events[11]);
    assert_eq!(completed["response"]["status"], "completed");
    assert_eq!(completed["response"]["usage"]["input_tokens"], 2);
    assert_eq!(completed["response"]["usage"]["output_tokens"], 4);
    assert_eq!(completed["response"]["usage"]["total_tokens"], 6);
    server.shutdown().await;
}

#[tokio::test]
async fn anthropic_streams_messages_events_with_a_ping() {
    let server = fast_server().await;
    let url = server.url("/v1/messages?token_ms=0");
    let body = json!({"model": "claude-demo", "max_tokens": 2, "stream": true,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "cut me short"}]}]});
    let (status, _, events) = post(&url, &body).await;
    assert_eq!(status, 200);
    let names: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(
        names,
        [
            "message_start",
            "content_block_start",
            "ping",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop",
        ]
    );
    assert_eq!(json_of(&events[0])["message"]["usage"]["input_tokens"], 3);
    assert_eq!(
        json_of(&events[3])["delta"],
        json!({"type": "text_delta", "text": "You"})
    );
    let delta = json_of(&events[6]);
    assert_eq!(delta["delta"]["stop_reason"], "max_tokens");
    assert_eq!(delta["usage"]["output_tokens"], 2);
    server.shutdown().await;
}

#[tokio::test]
async fn gemini_streams_with_crlf_and_a_finish_chunk() {
    let server = fast_server().await;
    let url = server.url("/v1beta/models/gemini-demo:streamGenerateContent?alt=sse&token_ms=0");
    let body = json!({"contents": [{"role": "user", "parts": [{"text": "hey"}]}]});
    let response = client()
        .post(&url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.expect("body");
    assert!(bytes.starts_with(b"data: {"));
    assert!(bytes.ends_with(b"}\r\n\r\n"));
    let events = parse(&bytes).events;
    let chunks: Vec<Value> = events.iter().map(json_of).collect();
    let text: String = chunks
        .iter()
        .filter_map(|c| c["candidates"][0]["content"]["parts"][0]["text"].as_str())
        .collect();
    assert_eq!(text, "You said: hey");
    let last = chunks.last().expect("chunks");
    assert_eq!(last["candidates"][0]["finishReason"], "STOP");
    assert_eq!(
        last["usageMetadata"],
        json!({"promptTokenCount": 1, "candidatesTokenCount": 3, "totalTokenCount": 4})
    );
    assert_eq!(last["modelVersion"], "gemini-demo");
    server.shutdown().await;
}

#[tokio::test]
async fn bad_requests_get_the_providers_error_json() {
    let server = fast_server().await;
    let bad = |path: &str| {
        let url = server.url(path);
        async move {
            let response = client()
                .post(url)
                .header("content-type", "application/json")
                .body("{\"model\": ")
                .send()
                .await
                .expect("request");
            let status = response.status().as_u16();
            let bytes = response.bytes().await.expect("error body");
            (
                status,
                serde_json::from_slice::<Value>(&bytes).expect("JSON error body"),
            )
        }
    };
    let (status, body) = bad("/v1/chat/completions").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert!(body["error"]["message"]
        .as_str()
        .is_some_and(|m| m.starts_with("invalid request body")));
    let (status, body) = bad("/v1/responses").await;
    assert_eq!(
        (status, body["error"]["type"].clone()),
        (400, json!("invalid_request_error"))
    );
    let (status, body) = bad("/v1/messages").await;
    assert_eq!((status, body["type"].clone()), (400, json!("error")));
    assert_eq!(body["error"]["type"], "invalid_request_error");
    let (status, body) = bad("/v1beta/models/g:streamGenerateContent?alt=sse").await;
    assert_eq!(
        (status, body["error"]["status"].clone()),
        (400, json!("INVALID_ARGUMENT"))
    );
    let (status, _) = bad("/v1beta/models/g:generateContent?alt=sse").await;
    assert_eq!(status, 404);
    let (status, body) = bad("/v1beta/models/g:streamGenerateContent").await;
    assert_eq!(status, 400);
    assert!(body["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("alt=sse")));
    let (status, _) = bad("/v1/chat/completions?token_ms=soon").await;
    assert_eq!(status, 400);
    // Valid JSON, not a streaming request.
    let response = client()
        .post(server.url("/v1/chat/completions"))
        .header("content-type", "application/json")
        .body(json!({"model": "m", "messages": [{"role": "user", "content": "x"}]}).to_string())
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 400);
    server.shutdown().await;
}

#[tokio::test]
async fn tokens_come_at_the_configured_pace() {
    let server = fast_server().await;
    // Default pace (30 ms a token), 5 tokens: at least 150 ms from request to the end.
    let started = Instant::now();
    let (_, _, events) = post(&server.url("/v1/chat/completions"), &chat_request("a b c")).await;
    let paced = started.elapsed();
    assert_eq!(events.len(), 9);
    assert!(paced >= Duration::from_millis(150), "{paced:?}");
    // The first token waits first_token_ms; the rest follow at once.
    let started = Instant::now();
    let response = client()
        .post(server.url("/v1/chat/completions?token_ms=0&first_token_ms=400"))
        .header("content-type", "application/json")
        .body(chat_request("a b c").to_string())
        .send()
        .await
        .expect("request");
    let headers_after = started.elapsed();
    let body = response.bytes().await.expect("body");
    let whole = started.elapsed();
    assert_eq!(parse(&body).events.len(), 9);
    assert!(
        headers_after < Duration::from_millis(400),
        "{headers_after:?}"
    );
    assert!(whole >= Duration::from_millis(400), "{whole:?}");
    server.shutdown().await;
}

#[tokio::test]
async fn cut_before_end_leaves_the_end_marker_out() {
    let server = fast_server().await;
    let url = server.url("/v1/chat/completions?token_ms=0&cut_before_end=1");
    let (status, _, events) = post(&url, &chat_request("x")).await;
    assert_eq!(status, 200);
    assert!(events.iter().all(|e| e.data != "[DONE]"));
    // Everything else is there: role, 3 tokens, finish, usage.
    assert_eq!(events.len(), 6);
    let url = server.url("/v1/messages?token_ms=0&cut_before_end=1");
    let body = json!({"model": "m", "max_tokens": 9, "stream": true, "messages": [{"role": "user", "content": "x"}]});
    let (_, _, events) = post(&url, &body).await;
    assert_eq!(
        events.last().map(|e| e.event.as_str()),
        Some("message_delta")
    );
    server.shutdown().await;
}

#[tokio::test]
async fn stall_before_first_sends_the_prelude_then_nothing() {
    let server = fast_server().await;
    let response = client()
        .post(server.url("/v1/messages?stall_before_first=1"))
        .header("content-type", "application/json")
        .body(json!({"model": "m", "max_tokens": 9, "stream": true, "messages": [{"role": "user", "content": "x"}]}).to_string())
        .send()
        .await
        .expect("request");
    let mut body = response.bytes_stream();
    let mut received = Vec::new();
    let deadline = Instant::now() + Duration::from_millis(700);
    loop {
        match tokio::time::timeout_at(deadline.into(), body.next()).await {
            Ok(Some(Ok(bytes))) => received.extend_from_slice(&bytes),
            Ok(other) => panic!("the stream ended while it should stall: {other:?}"),
            Err(_) => break,
        }
    }
    let names: Vec<String> = parse(&received)
        .events
        .into_iter()
        .map(|e| e.event)
        .collect();
    assert_eq!(names, ["message_start", "content_block_start", "ping"]);
    server.shutdown().await;
}

#[tokio::test]
async fn abort_after_breaks_the_body() {
    let server = fast_server().await;
    let response = client()
        .post(server.url("/v1/chat/completions?token_ms=0&abort_after=2"))
        .header("content-type", "application/json")
        .body(chat_request("one two three four").to_string())
        .send()
        .await
        .expect("request");
    let mut body = response.bytes_stream();
    let mut received = Vec::new();
    let mut broken = false;
    while let Some(chunk) = body.next().await {
        match chunk {
            Ok(bytes) => received.extend_from_slice(&bytes),
            Err(_) => {
                broken = true;
                break;
            }
        }
    }
    assert!(broken, "the body must end in an error, not cleanly");
    let text: String = parse(&received)
        .events
        .iter()
        .filter_map(|e| {
            json_of(e)["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(text, "You said:");
    server.shutdown().await;
}

#[tokio::test]
async fn the_request_log_counts_each_post() {
    let server = fast_server().await;
    post(
        &server.url("/v1/chat/completions?token_ms=0"),
        &chat_request("count me"),
    )
    .await;
    let log: Vec<LoggedRequest> = client()
        .get(server.url("/requests"))
        .send()
        .await
        .expect("request")
        .bytes()
        .await
        .map(|b| serde_json::from_slice(&b).expect("log JSON"))
        .expect("log");
    let posts: Vec<&LoggedRequest> = log
        .iter()
        .filter(|r| r.path.starts_with("/v1/chat/completions"))
        .collect();
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].method, "POST");
    let sent: Value = serde_json::from_str(&posts[0].body).expect("logged body");
    assert_eq!(sent, chat_request("count me"));
    server.shutdown().await;
}

#[tokio::test]
async fn the_status_knob_answers_429_with_retry_after_then_streams() {
    let server = fast_server().await;
    let url = server.url("/v1/messages?token_ms=0&status=429,200&retry_after=3");
    let body = json!({"model": "m", "max_tokens": 9, "stream": true,
        "messages": [{"role": "user", "content": "x"}]});
    let send = || {
        client()
            .post(&url)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
    };
    let limited = send().await.expect("request");
    assert_eq!(limited.status(), 429);
    assert_eq!(
        limited
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("3")
    );
    let error: Value =
        serde_json::from_slice(&limited.bytes().await.expect("body")).expect("error JSON");
    assert_eq!(error["type"], "error");
    let streamed = send().await.expect("request");
    assert_eq!(streamed.status(), 200);
    let events = parse(&streamed.bytes().await.expect("body")).events;
    assert_eq!(
        events.last().map(|e| e.event.as_str()),
        Some("message_stop")
    );

    let gemini = server.url("/v1beta/models/g:streamGenerateContent?alt=sse&status=503");
    let unavailable = client()
        .post(gemini)
        .header("content-type", "application/json")
        .body(json!({"contents": [{"parts": [{"text": "x"}]}]}).to_string())
        .send()
        .await
        .expect("request");
    assert_eq!(unavailable.status(), 503);
    let error: Value =
        serde_json::from_slice(&unavailable.bytes().await.expect("body")).expect("error JSON");
    assert_eq!(error["error"]["status"], "UNAVAILABLE");
    server.shutdown().await;
}
