//! The subscription form's "Probe" section: how often it runs (`every`, in seconds; 0 or
//! empty: not a probe) and its run notification rules, mapped to and from the record's
//! `probe_every_ms` and the `runs` part of its `notify` JSON.

use crate::error::CommandError;
use serde::{Deserialize, Serialize};
use streamwatch_engine::alerts::{MessageRule, NotifyRules, RulesError, RunRules};
use streamwatch_engine::catalog::SubscriptionRecord;
use ts_rs::TS;

/// Probe settings as the form edits them; "" is "not set" in each text field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "ProbeForm.ts")]
pub struct ProbeForm {
    /// Run once every this many seconds (10 to 604800); `null`: not a probe.
    #[ts(type = "number | null")]
    pub every_secs: Option<u64>,
    /// Notify when a run fails (on by default).
    pub notify_failed: bool,
    /// Notify when a run ends without its end sentinel.
    pub notify_no_sentinel: bool,
    /// Notify when the first token takes longer than this (ms); `null`: no limit.
    #[ts(type = "number | null")]
    pub first_token_limit_ms: Option<u64>,
    /// Notify when a run takes longer than this in total (ms); `null`: no limit.
    #[ts(type = "number | null")]
    pub total_limit_ms: Option<u64>,
    /// The answer must contain this text.
    pub expect_contains: String,
    /// The answer must match this regular expression.
    pub expect_regex: String,
    /// The answer, parsed as JSON, must have `expectJsonEquals` at this pointer.
    pub expect_json_pointer: String,
    /// JSON (`"done"`, `5`, `true`) or, when it does not parse, a plain string.
    pub expect_json_equals: String,
}

impl Default for ProbeForm {
    fn default() -> Self {
        ProbeForm::of(&SubscriptionRecord::new("", ""))
    }
}

impl ProbeForm {
    /// The form showing a saved record (rules that do not load show the defaults).
    pub fn of(record: &SubscriptionRecord) -> ProbeForm {
        let runs = NotifyRules::from_json(&record.notify)
            .unwrap_or_default()
            .runs;
        let expect = runs.expect.unwrap_or_default();
        ProbeForm {
            every_secs: record.probe_every_ms.map(|ms| ms / 1000),
            notify_failed: runs.failed,
            notify_no_sentinel: runs.no_sentinel,
            first_token_limit_ms: runs.first_token_ms,
            total_limit_ms: runs.total_ms,
            expect_contains: expect.contains.unwrap_or_default(),
            expect_regex: expect.regex.unwrap_or_default(),
            expect_json_pointer: expect.json_pointer.unwrap_or_default(),
            expect_json_equals: expect
                .json_equals
                .map(|v| match v {
                    serde_json::Value::String(s)
                        if serde_json::from_str::<serde_json::Value>(&s).is_err() =>
                    {
                        s
                    }
                    v => v.to_string(),
                })
                .unwrap_or_default(),
        }
    }

    /// Writes the form into `record`: its probe interval and the `runs` rules of its `notify`
    /// JSON (the other rules kept). Problems name the `probeEvery` or `notify` field; the
    /// catalog checks the interval's range.
    pub fn apply(&self, record: &mut SubscriptionRecord) -> Result<(), CommandError> {
        record.probe_every_ms = match self.every_secs {
            None | Some(0) => None,
            Some(s) => Some(s.checked_mul(1000).ok_or_else(|| {
                CommandError::invalid("The probe interval is too long.", Some("probeEvery"))
            })?),
        };
        let some = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        let expect = MessageRule {
            event: None,
            contains: (!self.expect_contains.is_empty()).then(|| self.expect_contains.clone()),
            regex: some(&self.expect_regex),
            json_pointer: some(&self.expect_json_pointer),
            json_equals: some(&self.expect_json_equals)
                .map(|text| serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))),
        };
        let runs = RunRules {
            failed: self.notify_failed,
            no_sentinel: self.notify_no_sentinel,
            first_token_ms: self.first_token_limit_ms.filter(|ms| *ms > 0),
            total_ms: self.total_limit_ms.filter(|ms| *ms > 0),
            expect: (expect != MessageRule::default()).then_some(expect),
        };
        // Checked alone first, so a refusal names the probe's own field rather than the
        // message rules' "rule 1".
        runs.compile().map_err(|e| run_rule_error(&e))?;
        let mut rules = NotifyRules::from_json(&record.notify)
            .map_err(|e| CommandError::invalid(e.to_string(), Some("notify")))?;
        rules.runs = runs;
        rules
            .compile()
            .map_err(|e| CommandError::invalid(e.to_string(), Some("notify")))?;
        record.notify = rules.to_json();
        Ok(())
    }
}

/// A run rule the engine refused, on the probe field it is about.
fn run_rule_error(e: &RulesError) -> CommandError {
    let (field, words) = match e {
        RulesError::Regex { reason, .. } => (
            "probe.expectRegex",
            format!("The expected answer's regular expression is not valid: {reason}"),
        ),
        RulesError::JsonPointer { reason, .. } => (
            "probe.expectJsonPointer",
            format!("The expected answer's JSON pointer: {reason}"),
        ),
        other => {
            let words = other.to_string();
            let field = if words.contains("first token") {
                "probe.firstTokenLimitMs"
            } else if words.contains("total time") {
                "probe.totalLimitMs"
            } else {
                "probe"
            };
            (field, words)
        }
    };
    CommandError::invalid(words, Some(field))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_probe_form_round_trips_and_keeps_the_other_rules() {
        let mut record = SubscriptionRecord::new("p", "http://h/");
        record.notify = serde_json::json!({"downAfterSecs": 30});
        let form = ProbeForm {
            every_secs: Some(300),
            notify_no_sentinel: true,
            first_token_limit_ms: Some(1000),
            total_limit_ms: Some(5000),
            expect_contains: "Paris".into(),
            ..ProbeForm::default()
        };
        form.apply(&mut record).unwrap();
        assert_eq!(record.probe_every_ms, Some(300_000));
        assert_eq!(record.notify["downAfterSecs"], 30);
        assert_eq!(record.notify["runs"]["firstTokenMs"], 1000);
        assert_eq!(ProbeForm::of(&record), form);
        // 0 is "not a probe"; a bad regex or limit names its own probe field.
        let off = ProbeForm {
            every_secs: Some(0),
            expect_regex: "(".into(),
            ..ProbeForm::default()
        };
        let err = off.apply(&mut record).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("probe.expectRegex"), "{err:?}");
        assert!(err.message.contains("regular expression"), "{err:?}");
        let slow = ProbeForm {
            total_limit_ms: Some(10_000_000),
            ..ProbeForm::default()
        };
        let err = slow.apply(&mut record).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("probe.totalLimitMs"), "{err:?}");
        let off = ProbeForm {
            every_secs: Some(0),
            ..ProbeForm::default()
        };
        off.apply(&mut record).unwrap();
        assert_eq!(record.probe_every_ms, None);
        assert!(record.notify.get("runs").is_none(), "{}", record.notify);
    }
}
