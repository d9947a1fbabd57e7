//! The LLM tracker over whole streams of each format, hostile input, and properties: any event
//! sequence is taken without a panic, and the text is the deltas concatenated (up to the cap).

use proptest::prelude::*;
use serde_json::{json, Value};
use streamwatch_engine::llm::{EndSentinel, LlmFormat, LlmTracker, Observation};

/// Feeds `(event type, data)` pairs; returns the observations.
fn feed(tracker: &mut LlmTracker, events: &[(&str, String)]) -> Vec<Observation> {
    events
        .iter()
        .map(|(event_type, data)| tracker.observe(event_type, data))
        .collect()
}

fn chat_chunk(content: Option<&str>, finish: Option<&str>) -> String {
    let delta = match content {
        Some(text) => json!({"content": text}),
        None => json!({}),
    };
    json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "m",
        "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}],
        "usage": null})
    .to_string()
}

fn chat_stream(deltas: &[String]) -> Vec<(&'static str, String)> {
    let mut events = vec![(
        "message",
        json!({"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": null}]}).to_string(),
    )];
    events.extend(
        deltas
            .iter()
            .map(|d| ("message", chat_chunk(Some(d), None))),
    );
    events.push(("message", chat_chunk(None, Some("stop"))));
    events.push((
        "message",
        json!({"object": "chat.completion.chunk", "choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": deltas.len(), "total_tokens": 9 + deltas.len()}}).to_string(),
    ));
    events.push(("message", "[DONE]".to_owned()));
    events
}

fn responses_stream(deltas: &[String]) -> Vec<(&'static str, String)> {
    let mut events = vec![
        ("response.created", json!({"type": "response.created", "response": {"status": "in_progress"}}).to_string()),
        ("response.output_item.added", json!({"type": "response.output_item.added", "output_index": 0, "item": {"type": "message"}}).to_string()),
    ];
    events.extend(deltas.iter().map(|d| {
        ("response.output_text.delta", json!({"type": "response.output_text.delta", "output_index": 0, "content_index": 0, "delta": d}).to_string())
    }));
    events.push((
        "response.output_text.done",
        json!({"type": "response.output_text.done", "text": deltas.concat()}).to_string(),
    ));
    events.push((
        "response.completed",
        json!({"type": "response.completed", "response": {"status": "completed", "usage": {"input_tokens": 9, "output_tokens": deltas.len(), "total_tokens": 9 + deltas.len()}}}).to_string(),
    ));
    events
}

fn anthropic_stream(deltas: &[String]) -> Vec<(&'static str, String)> {
    let mut events = vec![
        ("message_start", json!({"type": "message_start", "message": {"id": "msg_1", "role": "assistant", "content": [], "stop_reason": null, "usage": {"input_tokens": 9, "output_tokens": 1}}}).to_string()),
        ("content_block_start", json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}).to_string()),
        ("ping", json!({"type": "ping"}).to_string()),
    ];
    events.extend(deltas.iter().map(|d| {
        ("content_block_delta", json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": d}}).to_string())
    }));
    events.push((
        "content_block_stop",
        json!({"type": "content_block_stop", "index": 0}).to_string(),
    ));
    events.push((
        "message_delta",
        json!({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null}, "usage": {"output_tokens": deltas.len()}}).to_string(),
    ));
    events.push(("message_stop", json!({"type": "message_stop"}).to_string()));
    events
}

fn gemini_stream(deltas: &[String]) -> Vec<(&'static str, String)> {
    let count = deltas.len();
    deltas
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let mut candidate = json!({"content": {"role": "model", "parts": [{"text": d}]}, "index": 0});
            if i + 1 == count {
                candidate["finishReason"] = json!("STOP");
            }
            ("message", json!({"candidates": [candidate], "usageMetadata": {"promptTokenCount": 9, "candidatesTokenCount": i + 1, "totalTokenCount": 10 + i}}).to_string())
        })
        .collect()
}

fn words() -> Vec<String> {
    ["Hello", ",", " wörld", " 😀", "!"]
        .map(str::to_owned)
        .to_vec()
}

#[test]
fn openai_chat_stream() {
    let mut tracker = LlmTracker::new(None);
    let seen = feed(&mut tracker, &chat_stream(&words()));
    let firsts: Vec<usize> = (0..seen.len()).filter(|&i| seen[i].first_token).collect();
    // The role chunk's empty content is not a token.
    assert_eq!(firsts, vec![1]);
    assert_eq!(seen.last().and_then(|o| o.end), Some(EndSentinel::Done));
    assert!(seen[..seen.len() - 1].iter().all(|o| o.end.is_none()));
    let summary = tracker.summary().expect("recognised");
    assert_eq!(summary.format, LlmFormat::OpenaiChat);
    assert_eq!(summary.text, "Hello, wörld 😀!");
    assert!(!summary.text_truncated);
    assert_eq!(summary.finish_reason.as_deref(), Some("stop"));
    assert_eq!(
        summary.usage,
        Some(json!({"prompt_tokens": 9, "completion_tokens": 5, "total_tokens": 14}))
    );
}

#[test]
fn openai_responses_stream() {
    let mut tracker = LlmTracker::new(None);
    let seen = feed(&mut tracker, &responses_stream(&words()));
    assert_eq!(seen.iter().filter(|o| o.first_token).count(), 1);
    assert!(seen[2].first_token);
    assert_eq!(
        seen.last().and_then(|o| o.end),
        Some(EndSentinel::ResponseCompleted)
    );
    let summary = tracker.summary().expect("recognised");
    assert_eq!(summary.format, LlmFormat::OpenaiResponses);
    // `response.output_text.done` repeats the whole text: it must not be counted twice.
    assert_eq!(summary.text, "Hello, wörld 😀!");
    assert_eq!(summary.finish_reason.as_deref(), Some("completed"));
    assert_eq!(
        summary.usage,
        Some(json!({"input_tokens": 9, "output_tokens": 5, "total_tokens": 14}))
    );
}

#[test]
fn anthropic_stream_merges_usage() {
    let mut tracker = LlmTracker::new(None);
    let seen = feed(&mut tracker, &anthropic_stream(&words()));
    assert!(seen[3].first_token);
    assert_eq!(seen.iter().filter(|o| o.first_token).count(), 1);
    assert_eq!(
        seen.last().and_then(|o| o.end),
        Some(EndSentinel::MessageStop)
    );
    let summary = tracker.summary().expect("recognised");
    assert_eq!(summary.format, LlmFormat::Anthropic);
    assert_eq!(summary.text, "Hello, wörld 😀!");
    assert_eq!(summary.finish_reason.as_deref(), Some("end_turn"));
    assert_eq!(
        summary.usage,
        Some(json!({"input_tokens": 9, "output_tokens": 5}))
    );
}

#[test]
fn gemini_stream_keeps_the_last_totals() {
    let mut tracker = LlmTracker::new(None);
    let seen = feed(&mut tracker, &gemini_stream(&words()));
    assert!(seen[0].first_token);
    assert!(seen.iter().all(|o| o.end.is_none()));
    let summary = tracker.summary().expect("recognised");
    assert_eq!(summary.format, LlmFormat::Gemini);
    assert_eq!(summary.text, "Hello, wörld 😀!");
    assert_eq!(summary.finish_reason.as_deref(), Some("STOP"));
    assert_eq!(
        summary.usage,
        Some(json!({"promptTokenCount": 9, "candidatesTokenCount": 5, "totalTokenCount": 14}))
    );
}

#[test]
fn json_pointer_concatenates_the_strings_at_it() {
    let mut tracker = LlmTracker::new(Some("/token/text".to_owned()));
    assert_eq!(tracker.summary(), None);
    let events = [
        ("tick", json!({"n": 1}).to_string()),
        ("token", json!({"token": {"text": "ab"}}).to_string()),
        ("token", json!({"token": {"text": 7}}).to_string()),
        ("token", json!({"token": {"text": "cd"}}).to_string()),
        ("message", "[DONE]".to_owned()),
    ];
    let seen = feed(&mut tracker, &events);
    assert_eq!(
        seen.iter().map(|o| o.first_token).collect::<Vec<_>>(),
        [false, true, false, false, false]
    );
    assert_eq!(seen[4].end, Some(EndSentinel::Done));
    let summary = tracker.summary().expect("recognised");
    assert_eq!(summary.format, LlmFormat::JsonPointer);
    assert_eq!(summary.text, "abcd");
    assert_eq!(summary.finish_reason, None);
    assert_eq!(summary.usage, None);
}

#[test]
fn a_pointer_replaces_detection() {
    // An OpenAI chat stream read through a pointer to the role gives only that: no finish
    // reason or usage, which belong to the detected formats.
    let mut tracker = LlmTracker::new(Some("/choices/0/delta/role".to_owned()));
    feed(&mut tracker, &chat_stream(&words()));
    let summary = tracker.summary().expect("recognised");
    assert_eq!(summary.format, LlmFormat::JsonPointer);
    assert_eq!(summary.text, "assistant");
    assert_eq!(summary.finish_reason, None);
    assert_eq!(summary.usage, None);
}

#[test]
fn the_empty_pointer_takes_json_strings_whole() {
    // Data that is a JSON string, not an object, is read only through a pointer.
    let mut tracker = LlmTracker::new(Some(String::new()));
    feed(
        &mut tracker,
        &[
            ("token", "\"Hel\"".to_owned()),
            ("token", " \"lo\"".to_owned()),
        ],
    );
    assert_eq!(tracker.summary().map(|s| s.text), Some("Hello".to_owned()));
    let mut detecting = LlmTracker::new(None);
    feed(&mut detecting, &[("token", "\"Hel\"".to_owned())]);
    assert_eq!(detecting.summary(), None);
}

#[test]
fn plain_sse_is_no_llm_format() {
    let mut tracker = LlmTracker::new(None);
    let seen = feed(
        &mut tracker,
        &[
            ("tick", json!({"n": 1, "ts": 5}).to_string()),
            ("message", "hello".to_owned()),
            ("ping", json!({"type": "ping"}).to_string()),
        ],
    );
    assert!(seen.iter().all(|o| *o == Observation::default()));
    assert_eq!(tracker.summary(), None);
}

#[test]
fn sentinels_are_told_whatever_the_format() {
    // A Gemini stream (no sentinel of its own) that a proxy ends with `[DONE]`, then events
    // of the other formats' sentinels.
    let mut tracker = LlmTracker::new(None);
    feed(&mut tracker, &gemini_stream(&words()));
    assert_eq!(
        tracker.observe("message", "[DONE]").end,
        Some(EndSentinel::Done)
    );
    assert_eq!(
        tracker.observe("message_stop", "{}").end,
        Some(EndSentinel::MessageStop)
    );
    assert_eq!(
        tracker
            .observe("message", r#"{"type":"response.completed"}"#)
            .end,
        Some(EndSentinel::ResponseCompleted)
    );
    assert_eq!(tracker.summary().map(|s| s.format), Some(LlmFormat::Gemini));
}

#[test]
fn text_is_capped_on_a_char_boundary() {
    let mut tracker = LlmTracker::with_text_cap(None, 8);
    feed(
        &mut tracker,
        &chat_stream(&["abcdef".to_owned(), "g😀h".to_owned()]),
    );
    let summary = tracker.summary().expect("recognised");
    assert_eq!(summary.text, "abcdefg");
    assert!(summary.text_truncated);
    // The rest still arrives.
    assert_eq!(summary.finish_reason.as_deref(), Some("stop"));
}

#[test]
fn the_default_cap_is_one_mebibyte() {
    let mut tracker = LlmTracker::new(None);
    let delta = "é".repeat(100_000); // 200,000 bytes
    let events: Vec<_> = (0..6)
        .map(|_| ("message", chat_chunk(Some(&delta), None)))
        .collect();
    feed(&mut tracker, &events);
    let summary = tracker.summary().expect("recognised");
    assert!(summary.text_truncated);
    assert_eq!(summary.text.len(), streamwatch_engine::llm::TEXT_CAP_BYTES);
}

#[test]
fn hostile_json_is_taken_without_a_panic() {
    let mut tracker = LlmTracker::new(None);
    feed(&mut tracker, &chat_stream(&["ok".to_owned()]));
    let deep_array = "[".repeat(100_000) + &"]".repeat(100_000);
    let deep_object = r#"{"choices":"#.repeat(50_000);
    let hostile = [
        deep_array,
        deep_object,
        r#"{"choices":[{"index":0,"delta":{"content":"!"}}],"usage":{"total_tokens":1e400}}"#.to_owned(),
        r#"{"choices":[{"index":18446744073709551616,"delta":{"content":"?"}}]}"#.to_owned(),
        r#"{"choices":[{"index":0,"delta":{"content":"\ud800"}}]}"#.to_owned(),
        r#"{"choices":[{"index":0,"finish_reason":"length","delta":{"content":"."}}],"usage":{"total_tokens":123456789012345678901234567890}}"#.to_owned(),
        "\u{0}\u{feff}{".to_owned(),
    ];
    for data in &hostile {
        tracker.observe("message", data);
    }
    let summary = tracker.summary().expect("recognised");
    assert_eq!(summary.text, "ok.");
    assert_eq!(summary.finish_reason.as_deref(), Some("length"));
    // A number past u64 is kept as a float, as serde_json reads it.
    let total = summary
        .usage
        .as_ref()
        .and_then(|u| u.get("total_tokens"))
        .and_then(Value::as_f64);
    assert!(total.is_some_and(|t| t > 1e29));
}

fn json_text() -> impl Strategy<Value = String> {
    // Strings made of JSON's own tokens and the names the formats look for, so that many are
    // valid JSON of nearly the right shape.
    let tokens = prop::sample::select(vec![
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "\"",
        "null",
        "0",
        "-1",
        "1e999",
        "true",
        "\"choices\"",
        "\"delta\"",
        "\"content\"",
        "\"text\"",
        "\"type\"",
        "\"index\"",
        "\"candidates\"",
        "\"parts\"",
        "\"usage\"",
        "\"usageMetadata\"",
        "\"finish_reason\"",
        "\"response.output_text.delta\"",
        "\"content_block_delta\"",
        "\"text_delta\"",
        "\"message_start\"",
        "\"message\"",
        "\"response\"",
        "\"x\"",
        "[DONE]",
    ]);
    prop::collection::vec(tokens, 0..40).prop_map(|parts| parts.concat())
}

fn event_type() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "message",
        "",
        "message_start",
        "content_block_delta",
        "message_delta",
        "message_stop",
        "response.output_text.delta",
        "response.completed",
        "ping",
        "error",
    ])
    .prop_map(str::to_owned)
}

fn stream_of(format: usize, deltas: &[String]) -> Vec<(&'static str, String)> {
    match format {
        0 => chat_stream(deltas),
        1 => responses_stream(deltas),
        2 => anthropic_stream(deltas),
        _ => gemini_stream(deltas),
    }
}

proptest! {
    #[test]
    fn any_events_never_panic(
        pointer in prop::option::of(prop::sample::select(vec!["", "/", "/choices/0/delta/content", "/x/~1/~0", "bad"])),
        events in prop::collection::vec((event_type(), prop_oneof![json_text(), any::<String>()]), 0..30),
    ) {
        let mut tracker = LlmTracker::with_text_cap(pointer.map(str::to_owned), 64);
        let mut firsts = 0;
        for (event_type, data) in &events {
            firsts += usize::from(tracker.observe(event_type, data).first_token);
        }
        prop_assert!(firsts <= 1);
        if let Some(summary) = tracker.summary() {
            prop_assert!(summary.text.len() <= 64);
            prop_assert_eq!(firsts == 1, !summary.text.is_empty());
        }
    }

    #[test]
    fn text_is_the_deltas_concatenated(format in 0usize..4, deltas in prop::collection::vec(any::<String>(), 1..20)) {
        let mut tracker = LlmTracker::new(None);
        let seen = feed(&mut tracker, &stream_of(format, &deltas));
        let summary = tracker.summary().expect("recognised");
        prop_assert_eq!(summary.text, deltas.concat());
        prop_assert!(!summary.text_truncated);
        let expected_firsts = usize::from(deltas.iter().any(|d| !d.is_empty()));
        prop_assert_eq!(seen.iter().filter(|o| o.first_token).count(), expected_firsts);
    }

    #[test]
    fn capped_text_is_a_prefix(format in 0usize..4, cap in 0usize..40, deltas in prop::collection::vec(any::<String>(), 1..10)) {
        let mut tracker = LlmTracker::with_text_cap(None, cap);
        feed(&mut tracker, &stream_of(format, &deltas));
        let summary = tracker.summary().expect("recognised");
        let whole = deltas.concat();
        prop_assert!(whole.starts_with(&summary.text));
        prop_assert!(summary.text.len() <= cap);
        prop_assert_eq!(summary.text_truncated, whole.len() > summary.text.len());
        // Nothing that would have fitted was left out: the next character did not fit.
        if summary.text_truncated {
            let next = whole[summary.text.len()..].chars().next().map_or(0, char::len_utf8);
            prop_assert!(summary.text.len() + next > cap);
        }
    }
}
