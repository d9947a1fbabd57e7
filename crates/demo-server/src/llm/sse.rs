//! Writing one SSE event.

use bytes::Bytes;
use serde_json::Value;

/// `event: <name>` (when given) and one `data:` line of compact JSON, ended by `line_end`
/// twice (Gemini ends its lines with CRLF).
pub(crate) fn sse_event(name: Option<&str>, data: &Value, line_end: &str) -> Bytes {
    // Compact JSON holds no raw line break (those inside strings are escaped), so one data
    // line carries it.
    let mut out = String::new();
    if let Some(name) = name {
        out.push_str("event: ");
        out.push_str(name);
        out.push_str(line_end);
    }
    out.push_str("data: ");
    out.push_str(&data.to_string());
    out.push_str(line_end);
    out.push_str(line_end);
    Bytes::from(out)
}

/// `data: <text>` as is (for `[DONE]`).
pub(crate) fn sse_raw_data(text: &str) -> Bytes {
    Bytes::from(format!("data: {text}\n\n"))
}
