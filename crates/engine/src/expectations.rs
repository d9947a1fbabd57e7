//! Expectations on events: a JSON Schema per event type (or one for all events). An event whose
//! data is not JSON, or does not match, is flagged with the first error in words; the stream
//! goes on. Schemas are compiled once per configuration (the compiled form is shared by every
//! clone of the config) and never fetch anything: a remote `$ref` is refused.

use crate::shared_str::SharedStr;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::{Arc, OnceLock};

/// Largest schema accepted, in bytes of compact JSON.
pub const MAX_SCHEMA_BYTES: usize = 64 * 1024;
/// Most schemas on one subscription.
pub const MAX_EXPECTATIONS: usize = 32;
/// Longest mismatch text kept on a message, in bytes.
pub const MAX_MISMATCH_BYTES: usize = 200;

/// One schema and the events it applies to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Expectation {
    /// The event type it applies to; `None` applies it to every event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    /// The JSON Schema the event's data must match.
    pub schema: serde_json::Value,
}

impl Expectation {
    /// Words naming which events it is for, as error texts say it.
    pub fn target(&self) -> String {
        match &self.event_type {
            Some(t) => format!("event type {t:?}"),
            None => "all events".into(),
        }
    }
}

/// Why a set of expectations cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExpectationError {
    /// More schemas than [`MAX_EXPECTATIONS`].
    #[error("{count} schemas: at most {MAX_EXPECTATIONS} per subscription")]
    TooMany {
        /// How many were given.
        count: usize,
    },
    /// A schema larger than [`MAX_SCHEMA_BYTES`].
    #[error("the schema for {target} is {bytes} bytes: at most {MAX_SCHEMA_BYTES}")]
    TooLarge {
        /// Which events it is for, in words.
        target: String,
        /// Its size.
        bytes: usize,
    },
    /// A `$ref` outside the schema itself: nothing is fetched.
    #[error(
        "the schema for {target} refers to {reference:?}: only references inside the schema \
         (starting with #) are allowed, nothing is fetched"
    )]
    RemoteRef {
        /// Which events it is for, in words.
        target: String,
        /// The reference.
        reference: String,
    },
    /// An event type that is empty or has a line break.
    #[error("event type {0:?} is not an event type: give a name without line breaks, or none for all events")]
    BadEventType(String),
    /// The schema does not compile.
    #[error("the schema for {target} is not a valid JSON Schema: {reason}")]
    Invalid {
        /// Which events it is for, in words.
        target: String,
        /// The compiler's words.
        reason: String,
    },
}

struct Compiled {
    /// Per expectation, in order: the event type and its validator.
    validators: Vec<(Option<String>, jsonschema::Validator)>,
}

/// A subscription's expectations, compiled on first use and shared by clones. Equality and
/// (de)serialization see only the schemas.
#[derive(Clone, Default)]
pub struct Expectations {
    list: Vec<Expectation>,
    compiled: Arc<OnceLock<Result<Compiled, ExpectationError>>>,
}

impl Expectations {
    /// Wraps `list`; nothing is compiled until it is checked or used.
    pub fn new(list: Vec<Expectation>) -> Self {
        Expectations {
            list,
            compiled: Arc::default(),
        }
    }

    /// The schemas, as given.
    pub fn list(&self) -> &[Expectation] {
        &self.list
    }

    /// Whether there are none (then nothing is checked and no data is parsed).
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Compiles them (once); the first problem in words.
    pub fn check(&self) -> Result<(), ExpectationError> {
        self.compiled().map(|_| ())
    }

    fn compiled(&self) -> Result<&Compiled, ExpectationError> {
        self.compiled
            .get_or_init(|| compile(&self.list))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Judges one event: `None` when it matches (or no schema applies), else the first error,
    /// at most [`MAX_MISMATCH_BYTES`].
    pub fn judge(&self, event_type: &str, data: &str) -> Option<SharedStr> {
        if self.list.is_empty() {
            return None;
        }
        // Refused at configuration; a set that still fails checks nothing rather than
        // flagging every event for the schema's fault.
        let compiled = self.compiled().ok()?;
        let mut applicable = compiled
            .validators
            .iter()
            .filter(|(t, _)| t.as_deref().is_none_or(|t| t == event_type))
            .peekable();
        applicable.peek()?;
        let value: serde_json::Value = match serde_json::from_str(data) {
            Ok(v) => v,
            Err(e) => return Some(bounded(format!("not JSON: {e}"))),
        };
        for (_, validator) in applicable {
            if let Err(e) = validator.validate(&value) {
                let path = e.instance_path().to_string();
                let path = if path.is_empty() { "/".into() } else { path };
                return Some(bounded(format!("{path}: {e}")));
            }
        }
        None
    }
}

/// Cuts `text` to [`MAX_MISMATCH_BYTES`] at a character boundary, marking the cut.
fn bounded(text: String) -> SharedStr {
    if text.len() <= MAX_MISMATCH_BYTES {
        return SharedStr::from(text);
    }
    let mut end = MAX_MISMATCH_BYTES - '…'.len_utf8();
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    SharedStr::from(format!("{}…", &text[..end]))
}

fn compile(list: &[Expectation]) -> Result<Compiled, ExpectationError> {
    if list.len() > MAX_EXPECTATIONS {
        return Err(ExpectationError::TooMany { count: list.len() });
    }
    let mut validators = Vec::with_capacity(list.len());
    for e in list {
        if let Some(t) = &e.event_type {
            if t.is_empty() || t.contains(['\r', '\n']) {
                return Err(ExpectationError::BadEventType(t.clone()));
            }
        }
        let bytes = serde_json::to_vec(&e.schema).map_or(usize::MAX, |v| v.len());
        if bytes > MAX_SCHEMA_BYTES {
            return Err(ExpectationError::TooLarge {
                target: e.target(),
                bytes,
            });
        }
        if let Some(reference) = outside_ref(&e.schema) {
            return Err(ExpectationError::RemoteRef {
                target: e.target(),
                reference,
            });
        }
        let validator =
            jsonschema::validator_for(&e.schema).map_err(|err| ExpectationError::Invalid {
                target: e.target(),
                reason: err.to_string(),
            })?;
        validators.push((e.event_type.clone(), validator));
    }
    Ok(Compiled { validators })
}

/// The first reference that leaves the schema (anything but a `#` fragment).
fn outside_ref(schema: &serde_json::Value) -> Option<String> {
    match schema {
        serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| match (k.as_str(), v) {
            ("$ref" | "$dynamicRef" | "$recursiveRef", serde_json::Value::String(r))
                if !r.starts_with('#') =>
            {
                Some(r.clone())
            }
            _ => outside_ref(v),
        }),
        serde_json::Value::Array(items) => items.iter().find_map(outside_ref),
        _ => None,
    }
}

impl fmt::Debug for Expectations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.list).finish()
    }
}

impl PartialEq for Expectations {
    fn eq(&self, other: &Self) -> bool {
        self.list == other.list
    }
}

impl Serialize for Expectations {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.list.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Expectations {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::<Expectation>::deserialize(d).map(Expectations::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn one(event_type: Option<&str>, schema: serde_json::Value) -> Expectation {
        Expectation {
            event_type: event_type.map(Into::into),
            schema,
        }
    }

    fn delta_schema() -> serde_json::Value {
        json!({
            "type": "object",
            "required": ["choices"],
            "properties": {"choices": {"type": "array", "items": {
                "type": "object",
                "required": ["delta"],
                "properties": {"delta": {"type": "object", "required": ["content"]}}
            }}}
        })
    }

    #[test]
    fn a_schema_that_does_not_compile_names_its_event_type_and_the_error() {
        let e = Expectations::new(vec![one(Some("tick"), json!({"type": 12}))]);
        let err = e.check().unwrap_err().to_string();
        assert!(err.contains("event type \"tick\""), "{err}");
        assert!(err.contains("not a valid JSON Schema"), "{err}");
        // Nothing is judged with a set that failed.
        assert_eq!(e.judge("tick", "1"), None);
        let all = Expectations::new(vec![one(None, json!({"minLength": "x"}))]);
        assert!(all.check().unwrap_err().to_string().contains("all events"));
    }

    #[test]
    fn a_remote_ref_is_refused_before_anything_is_fetched() {
        for r in [
            "https://example.com/s.json",
            "file:///etc/passwd",
            "other.json#/a",
        ] {
            let schema = json!({"properties": {"a": {"$ref": r}}});
            let err = Expectations::new(vec![one(None, schema)])
                .check()
                .unwrap_err();
            assert_eq!(
                err,
                ExpectationError::RemoteRef {
                    target: "all events".into(),
                    reference: r.into()
                }
            );
        }
        let local = json!({"$defs": {"n": {"type": "integer"}}, "properties": {"a": {"$ref": "#/$defs/n"}}});
        let e = Expectations::new(vec![one(None, local)]);
        e.check().unwrap();
        assert!(e.judge("message", r#"{"a":"x"}"#).is_some());
        assert_eq!(e.judge("message", r#"{"a":3}"#), None);
    }

    #[test]
    fn size_count_and_event_type_are_bounded() {
        let big = json!({"description": "x".repeat(MAX_SCHEMA_BYTES)});
        let err = Expectations::new(vec![one(Some("a"), big)])
            .check()
            .unwrap_err();
        assert!(matches!(err, ExpectationError::TooLarge { .. }), "{err}");
        let many = vec![one(None, json!({})); MAX_EXPECTATIONS + 1];
        assert!(matches!(
            Expectations::new(many).check(),
            Err(ExpectationError::TooMany { .. })
        ));
        let bad = Expectations::new(vec![one(Some("a\nb"), json!({}))]);
        assert!(matches!(
            bad.check(),
            Err(ExpectationError::BadEventType(_))
        ));
    }

    #[test]
    fn a_per_type_schema_judges_only_its_type_and_one_for_all_judges_every_event() {
        let e = Expectations::new(vec![one(Some("delta"), delta_schema())]);
        e.check().unwrap();
        assert_eq!(e.judge("other", "not json"), None);
        assert_eq!(
            e.judge("delta", r#"{"choices":[{"delta":{"content":"hi"}}]}"#),
            None
        );
        let words = e
            .judge("delta", r#"{"choices":[{"delta":{"role":"assistant"}}]}"#)
            .unwrap();
        assert!(
            words.starts_with("/choices/0/delta: ") && words.contains("content"),
            "{words}"
        );
        let not_json = e.judge("delta", "[DONE").unwrap();
        assert!(not_json.starts_with("not JSON"), "{not_json}");

        let all = Expectations::new(vec![one(None, json!({"type": "object"}))]);
        assert!(all.judge("anything", "3").is_some());
        assert!(all.judge("message", "{}").is_none());
    }

    #[test]
    fn mismatch_words_are_bounded() {
        let e = Expectations::new(vec![one(None, json!({"type": "string"}))]);
        let long = format!("[{}]", vec!["\"é\""; 400].join(","));
        let words = e.judge("message", &long).unwrap();
        assert!(words.len() <= MAX_MISMATCH_BYTES, "{}", words.len());
        assert!(words.ends_with('…'));
    }

    #[test]
    fn clones_share_one_compilation_and_serde_sees_only_the_list() {
        let e = Expectations::new(vec![one(Some("t"), json!({"type": "object"}))]);
        let c = e.clone();
        e.check().unwrap();
        assert!(c.compiled.get().is_some(), "compiled once for both");
        let text = serde_json::to_string(&e).unwrap();
        assert_eq!(text, r#"[{"event_type":"t","schema":{"type":"object"}}]"#);
        let back: Expectations = serde_json::from_str(&text).unwrap();
        assert_eq!(back, e);
    }
}
