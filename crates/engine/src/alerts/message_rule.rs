//! A message rule (event type, contains, regex, JSON pointer) and its compiled matcher: used
//! by the notification rules on messages and by the run rules on a run's answer.

use super::rules_error::RulesError;
use regex::Regex;
use serde::{Deserialize, Serialize};

/// Longest allowed regular expression source, so a pasted blob cannot make matching slow.
const MAX_PATTERN_LEN: usize = 1_000;

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

/// One message rule, compiled; the run rules' expected answer is one too.
#[derive(Debug, Clone)]
pub(crate) struct CompiledMessageRule {
    event: Option<String>,
    contains: Option<String>,
    regex: Option<Regex>,
    pointer: Option<(String, serde_json::Value)>,
    label: String,
}

impl CompiledMessageRule {
    pub(crate) fn new(index: usize, rule: &MessageRule) -> Result<Self, RulesError> {
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

    /// Its words, for notifications.
    pub(crate) fn label(&self) -> &str {
        &self.label
    }

    pub(crate) fn matches(
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
