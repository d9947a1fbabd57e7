//! Usage figures merged across events, bounded in size.

use serde_json::{Map, Value};

/// The largest usage object kept, serialized: real ones are a few hundred bytes.
const USAGE_CAP_BYTES: usize = 16 * 1024;

/// Folds `new` into `current`: objects are merged field by field (Anthropic sends input tokens
/// in `message_start` and output tokens in `message_delta`; Gemini repeats the running totals),
/// `null` fields never erase a figure, and a result over the cap is refused.
pub(super) fn merge_usage(current: &mut Option<Value>, new: &Value) {
    let Value::Object(fields) = new else {
        return;
    };
    let mut merged = match current {
        Some(Value::Object(existing)) => existing.clone(),
        _ => Map::new(),
    };
    for (key, value) in fields {
        if !value.is_null() {
            merged.insert(key.clone(), value.clone());
        }
    }
    let merged = Value::Object(merged);
    if serialized_len(&merged) <= USAGE_CAP_BYTES {
        *current = Some(merged);
    }
}

fn serialized_len(value: &Value) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    match serde_json::to_writer(&mut counter, value) {
        Ok(()) => counter.0,
        Err(_) => usize::MAX,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_merge_and_nulls_do_not_erase() {
        let mut usage = None;
        merge_usage(&mut usage, &json!({"input_tokens": 25, "output_tokens": 1}));
        merge_usage(
            &mut usage,
            &json!({"output_tokens": 15, "input_tokens": null}),
        );
        assert_eq!(
            usage,
            Some(json!({"input_tokens": 25, "output_tokens": 15}))
        );
    }

    #[test]
    fn a_huge_usage_object_is_refused() {
        let mut usage = Some(json!({"total_tokens": 3}));
        merge_usage(&mut usage, &json!({"junk": "x".repeat(USAGE_CAP_BYTES)}));
        assert_eq!(usage, Some(json!({"total_tokens": 3})));
        merge_usage(&mut usage, &json!(5));
        assert_eq!(usage, Some(json!({"total_tokens": 3})));
    }
}
