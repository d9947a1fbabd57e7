//! What a subscription wants to be told about: its notification rules, as stored in the
//! subscription's `notify` JSON, and their checked, compiled form.

use super::message_rule::CompiledMessageRule;
pub use super::message_rule::MessageRule;
pub use super::rules_error::{RulesError, MAX_DOWN_AFTER_SECS};
use super::run_rules::{CompiledRunRules, RunRules};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Down this long before a "down" notification: a quick reconnect stays quiet.
pub const DEFAULT_DOWN_AFTER_SECS: u64 = 10;

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
    /// Notify when an event does not match its expected JSON Schema (see
    /// [`crate::expectations`]); a flood is folded like message rules.
    pub schema_mismatch: bool,
    /// Notify on messages that match one of these.
    pub messages: Vec<MessageRule>,
    /// Rules on the runs of a finite stream or probe (see [`super::run_rules`]).
    #[serde(skip_serializing_if = "RunRules::is_default")]
    pub runs: RunRules,
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
            schema_mismatch: true,
            messages: Vec::new(),
            runs: RunRules::default(),
            demo: false,
        }
    }
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
        let runs = self.runs.compile()?;
        Ok(CompiledRules {
            rules: self.clone(),
            messages,
            runs,
        })
    }
}

/// Rules ready to apply: regular expressions compiled, pointers checked.
#[derive(Debug, Clone, Default)]
pub struct CompiledRules {
    /// The rules as configured.
    pub rules: NotifyRules,
    messages: Vec<CompiledMessageRule>,
    /// The run rules, compiled.
    pub runs: CompiledRunRules,
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
            .map(|r| r.label().to_string())
            .unwrap_or_else(|| "message rule".into())
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
