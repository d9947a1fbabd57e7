//! What a subscription wants to be told about: its notification rules, as stored in the
//! subscription's `notify` JSON, and their checked, compiled form.

use regex::Regex;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Down this long before a "down" notification: a quick reconnect stays quiet.
pub const DEFAULT_DOWN_AFTER_SECS: u64 = 10;
/// Longest allowed "down after" threshold (one day); beyond it the rule is a typo.
pub const MAX_DOWN_AFTER_SECS: u64 = 86_400;
/// Longest allowed regular expression source, so a pasted blob cannot make matching slow.
const MAX_PATTERN_LEN: usize = 1_000;

/// One subscription's notification rules (the `notify` column, a JSON object). Every field has
/// a default, so `{}` means "the defaults" and older or newer files still load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NotifyRules {
    /// Notify when the stream has not been open for this many seconds (0: never).
    pub down_after_secs: u64,
    /// Notify when a stream comes back after a notified outage.
    pub recovered: bool,
    /// Notify when the retry budget is spent (`retries-failed`).
    pub gave_up: bool,
    /// Notify on failures retrying cannot fix (401/403/404, wrong content type).
    pub fatal: bool,
    /// Notify when integer ids go backwards (the server restarted its counter).
    pub reset: bool,
    /// Notify when the stream goes silent past its stale threshold, and when data comes
    /// again.
    pub stale: bool,
    /// Notify on messages that match one of these.
    pub messages: Vec<MessageRule>,
    /// The first-run demo subscription (the app repoints it at its embedded server).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub demo: bool,
}

impl Default for NotifyRules {
    fn default() -> Self {
        NotifyRules {
            down_after_secs: DEFAULT_DOWN_AFTER_SECS,
            recovered: true,
            gave_up: true,
            fatal: true,
            reset: true,
            stale: true,
            messages: Vec::new(),
            demo: false,
        }
    }
}

/// A message rule: every condition that is set must hold.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct MessageRule {
    /// The event type must equal this (`message` for untyped events).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// The data must contain this text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contains: Option<String>,
    /// The data must match this regular expression.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    /// The data must parse as JSON whose value at this pointer (RFC 6901, e.g. `/level`)...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub json_pointer: Option<String>,
    /// ...equals this JSON value (e.g. `"error"`, `5`, `true`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub json_equals: Option<serde_json::Value>,
}

/// Rules that cannot be used, with what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    /// The stored JSON is not a rules object.
    #[error("notification rules are not valid: {0}")]
    Malformed(String),
    /// The down threshold is out of range.
    #[error("\"down after\" must be at most {MAX_DOWN_AFTER_SECS} seconds (0 turns it off)")]
    DownAfter,
    /// A message rule has no condition, so it would fire on every message.
    #[error("message rule {0} has no condition: set an event type, text, regex or JSON pointer")]
    EmptyRule(usize),
    /// A regular expression does not compile.
    #[error("message rule {index}: invalid regular expression: {reason}")]
    Regex {
        /// Which rule (1-based).
        index: usize,
        /// The regex crate's explanation.
        reason: String,
    },
    /// A JSON pointer is malformed or has no value to compare with.
    #[error("message rule {index}: {reason}")]
    JsonPointer {
        /// Which rule (1-based).
        index: usize,
        /// What is wrong.
        reason: String,
    },
}

impl NotifyRules {
    /// Reads the rules from a subscription's `notify` JSON (`null` and `{}` give the defaults).
    pub fn from_json(value: &serde_json::Value) -> Result<NotifyRules, RulesError> {
        if value.is_null() {
            return Ok(NotifyRules::default());
        }
        serde_json::from_value(value.clone()).map_err(|e| RulesError::Malformed(e.to_string()))
    }

    /// The rules as the `notify` JSON stores them.
    pub fn to_json(&self) -> serde_json::Value {
        // Serialising plain data with string keys cannot fail.
        serde_json::to_value(self).unwrap_or_else(|_| serde_json::json!({}))
    }

    /// The "down" threshold, `None` when that rule is off.
    pub fn down_after(&self) -> Option<Duration> {
        (self.down_after_secs > 0).then(|| Duration::from_secs(self.down_after_secs))
    }

    /// Checks and compiles the rules; the error says which rule and what to fix.
    pub fn compile(&self) -> Result<CompiledRules, RulesError> {
        if self.down_after_secs > MAX_DOWN_AFTER_SECS {
            return Err(RulesError::DownAfter);
        }
        let messages = self
            .messages
            .iter()
            .enumerate()
            .map(|(i, rule)| CompiledMessageRule::new(i + 1, rule))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(CompiledRules {
            rules: self.clone(),
            messages,
        })
    }
}

/// Rules ready to apply: regular expressions compiled, pointers checked.
#[derive(Debug, Clone, Default)]
pub struct CompiledRules {
    /// The rules as configured.
    pub rules: NotifyRules,
    messages: Vec<CompiledMessageRule>,
}

impl CompiledRules {
    /// The index of the first message rule matching this event, if any.
    pub fn matching_message_rule(&self, event: &str, data: &str) -> Option<usize> {
        // Parsed once per message, and only when some rule needs it.
        let mut json: Option<Option<serde_json::Value>> = None;
        self.messages
            .iter()
            .position(|rule| rule.matches(event, data, &mut json))
    }

    /// A short description of message rule `index` for notification titles.
    pub fn describe_message_rule(&self, index: usize) -> String {
        self.messages
            .get(index)
            .map(|r| r.label.clone())
            .unwrap_or_else(|| "message rule".into())
    }
}

#[derive(Debug, Clone)]
struct CompiledMessageRule {
    event: Option<String>,
    contains: Option<String>,
    regex: Option<Regex>,
    pointer: Option<(String, serde_json::Value)>,
    label: String,
}

impl CompiledMessageRule {
    fn new(index: usize, rule: &MessageRule) -> Result<Self, RulesError> {
        let nonempty = |s: &Option<String>| s.as_ref().filter(|s| !s.is_empty()).cloned();
        let event = nonempty(&rule.event);
        let contains = nonempty(&rule.contains);
        let regex = match nonempty(&rule.regex) {
            None => None,
            Some(src) if src.len() > MAX_PATTERN_LEN => {
                return Err(RulesError::Regex {
                    index,
                    reason: format!("longer than {MAX_PATTERN_LEN} characters"),
                })
            }
            Some(src) => Some(
                regex::RegexBuilder::new(&src)
                    // Bounded compile size: a rule typed in a form must not eat memory.
                    .size_limit(1 << 20)
                    .build()
                    .map_err(|e| RulesError::Regex {
                        index,
                        reason: e.to_string(),
                    })?,
            ),
        };
        let pointer = match (nonempty(&rule.json_pointer), &rule.json_equals) {
            (None, None) => None,
            (None, Some(_)) => {
                return Err(RulesError::JsonPointer {
                    index,
                    reason: "a JSON value to compare needs a JSON pointer such as /level".into(),
                })
            }
            (Some(p), _) if !p.starts_with('/') => {
                return Err(RulesError::JsonPointer {
                    index,
                    reason: format!("JSON pointer {p:?} must start with / (e.g. /level)"),
                })
            }
            (Some(_), None) => {
                return Err(RulesError::JsonPointer {
                    index,
                    reason: "a JSON pointer needs a value to compare with".into(),
                })
            }
            (Some(p), Some(v)) => Some((p, v.clone())),
        };
        if event.is_none() && contains.is_none() && regex.is_none() && pointer.is_none() {
            return Err(RulesError::EmptyRule(index));
        }
        let mut parts = Vec::new();
        if let Some(e) = &event {
            parts.push(format!("type {e}"));
        }
        if let Some(c) = &contains {
            parts.push(format!("contains \u{201c}{c}\u{201d}"));
        }
        if let Some(r) = &regex {
            parts.push(format!("matches /{}/", r.as_str()));
        }
        if let Some((p, v)) = &pointer {
            parts.push(format!("{p} = {v}"));
        }
        Ok(CompiledMessageRule {
            event,
            contains,
            regex,
            pointer,
            label: parts.join(", "),
        })
    }

    fn matches(
        &self,
        event: &str,
        data: &str,
        json: &mut Option<Option<serde_json::Value>>,
    ) -> bool {
        if self.event.as_deref().is_some_and(|e| e != event) {
            return false;
        }
        if self.contains.as_deref().is_some_and(|c| !data.contains(c)) {
            return false;
        }
        if self.regex.as_ref().is_some_and(|r| !r.is_match(data)) {
            return false;
        }
        if let Some((pointer, expected)) = &self.pointer {
            let parsed = json.get_or_insert_with(|| serde_json::from_str(data).ok());
            return parsed
                .as_ref()
                .and_then(|v| v.pointer(pointer))
                .is_some_and(|v| v == expected);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(v: serde_json::Value) -> MessageRule {
        serde_json::from_value(v).expect("a rule")
    }

    fn compiled(rules: Vec<MessageRule>) -> CompiledRules {
        NotifyRules {
            messages: rules,
            ..NotifyRules::default()
        }
        .compile()
        .expect("valid rules")
    }

    #[test]
    fn empty_and_null_json_give_the_defaults() {
        assert_eq!(
            NotifyRules::from_json(&json!({})),
            Ok(NotifyRules::default())
        );
        assert_eq!(
            NotifyRules::from_json(&json!(null)),
            Ok(NotifyRules::default())
        );
        let r = NotifyRules::default();
        assert_eq!(r.down_after(), Some(Duration::from_secs(10)));
        assert!(r.recovered && r.gave_up && r.fatal);
    }

    #[test]
    fn the_demo_flag_and_unknown_keys_survive_a_round_trip() {
        let r = NotifyRules::from_json(&json!({"demo": true, "futureKey": 1})).expect("loads");
        assert!(r.demo);
        assert_eq!(r.to_json()["demo"], json!(true));
        assert!(NotifyRules::default().to_json().get("demo").is_none());
    }

    #[test]
    fn malformed_json_is_a_clear_error() {
        let e = NotifyRules::from_json(&json!({"downAfterSecs": "ten"})).unwrap_err();
        assert!(matches!(e, RulesError::Malformed(_)), "{e}");
        assert!(matches!(
            NotifyRules::from_json(&json!([1, 2])),
            Err(RulesError::Malformed(_))
        ));
    }

    #[test]
    fn zero_turns_the_down_rule_off_and_huge_thresholds_are_refused() {
        let off = NotifyRules {
            down_after_secs: 0,
            ..NotifyRules::default()
        };
        assert_eq!(off.down_after(), None);
        let huge = NotifyRules {
            down_after_secs: MAX_DOWN_AFTER_SECS + 1,
            ..NotifyRules::default()
        };
        assert_eq!(huge.compile().unwrap_err(), RulesError::DownAfter);
    }

    #[test]
    fn a_rule_without_conditions_is_refused() {
        let e = NotifyRules {
            messages: vec![rule(json!({"event": ""}))],
            ..NotifyRules::default()
        }
        .compile()
        .unwrap_err();
        assert_eq!(e, RulesError::EmptyRule(1));
    }

    #[test]
    fn a_bad_regex_names_its_rule() {
        let e = NotifyRules {
            messages: vec![
                rule(json!({"event": "x"})),
                rule(json!({"regex": "(unclosed"})),
            ],
            ..NotifyRules::default()
        }
        .compile()
        .unwrap_err();
        assert!(matches!(e, RulesError::Regex { index: 2, .. }), "{e}");
    }

    #[test]
    fn pointer_needs_a_slash_and_a_value() {
        for bad in [
            json!({"jsonPointer": "level", "jsonEquals": "x"}),
            json!({"jsonPointer": "/level"}),
            json!({"jsonEquals": "x"}),
        ] {
            let e = NotifyRules {
                messages: vec![rule(bad.clone())],
                ..NotifyRules::default()
            }
            .compile()
            .unwrap_err();
            assert!(
                matches!(e, RulesError::JsonPointer { index: 1, .. }),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn event_type_must_equal() {
        let c = compiled(vec![rule(json!({"event": "alert"}))]);
        assert_eq!(c.matching_message_rule("alert", "x"), Some(0));
        assert_eq!(c.matching_message_rule("Alert", "x"), None);
        assert_eq!(c.matching_message_rule("message", "x"), None);
    }

    #[test]
    fn contains_regex_and_pointer_all_must_hold() {
        let c = compiled(vec![rule(json!({
            "contains": "disk",
            "regex": "\\d+%",
            "jsonPointer": "/level",
            "jsonEquals": "error"
        }))]);
        assert_eq!(
            c.matching_message_rule("message", r#"{"level":"error","msg":"disk 95%"}"#),
            Some(0)
        );
        assert_eq!(
            c.matching_message_rule("message", r#"{"level":"warn","msg":"disk 95%"}"#),
            None
        );
        assert_eq!(
            c.matching_message_rule("message", r#"{"level":"error","msg":"disk full"}"#),
            None
        );
        assert_eq!(
            c.matching_message_rule("message", "disk 95% not json"),
            None
        );
    }

    #[test]
    fn pointer_compares_numbers_and_nested_values() {
        let c = compiled(vec![rule(
            json!({"jsonPointer": "/a/0/b", "jsonEquals": 5}),
        )]);
        assert_eq!(c.matching_message_rule("m", r#"{"a":[{"b":5}]}"#), Some(0));
        assert_eq!(c.matching_message_rule("m", r#"{"a":[{"b":"5"}]}"#), None);
    }

    #[test]
    fn the_first_matching_rule_wins_and_labels_say_what_matched() {
        let c = compiled(vec![
            rule(json!({"event": "alert"})),
            rule(json!({"contains": "panic"})),
        ]);
        assert_eq!(c.matching_message_rule("tick", "kernel panic"), Some(1));
        assert_eq!(c.describe_message_rule(0), "type alert");
        assert_eq!(c.describe_message_rule(1), "contains \u{201c}panic\u{201d}");
    }
}
