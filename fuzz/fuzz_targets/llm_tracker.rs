//! Hostile LLM streams: whatever events arrive (any type, any data, invalid or deeply nested
//! JSON, huge numbers), the tracker never panics, tells the first token at most once, keeps
//! its text within the cap, and its summary serializes.
//!
//! Input: the first byte picks a pointer (or detection) and a small text cap; the rest is one
//! event per line, `type<TAB>data` or just `data` (type `message`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use streamwatch_engine::llm::LlmTracker;

const POINTERS: [&str; 4] = ["", "/choices/0/delta/content", "/a/~1/~0/0", "no-slash"];

fuzz_target!(|data: &[u8]| {
    let Some((&head, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let pointer = (head & 0x80 != 0).then(|| POINTERS[usize::from(head & 3)].to_owned());
    let cap = usize::from((head >> 2) & 0x1f) * 7;
    let mut tracker = LlmTracker::with_text_cap(pointer, cap);
    let mut firsts = 0;
    for line in text.split('\n') {
        let (event_type, data) = line.split_once('\t').unwrap_or(("message", line));
        let seen = tracker.observe(event_type, data);
        firsts += usize::from(seen.first_token);
    }
    assert!(firsts <= 1, "first token told {firsts} times");
    if let Some(summary) = tracker.summary() {
        assert!(summary.text.len() <= cap);
        // The first token is the first non-empty delta received, kept or (past the cap) not.
        assert!(summary.text.is_empty() || firsts == 1);
        assert!(firsts == 0 || !summary.text.is_empty() || summary.text_truncated);
        serde_json::to_string(&summary).expect("a summary always serializes");
    }
});
