//! Notification rules on the runs of a finite stream or probe: a run that failed, one that
//! ended without its end sentinel, one slower than a limit to its first token or in total, and
//! an answer (the assembled text, or the events' data when no LLM format was recognised) that
//! does not match a rule written like a message rule (contains / regex / JSON pointer).
//! Stored in the subscription's `notify` JSON under `runs`.

use super::message_rule::{CompiledMessageRule, MessageRule};
use super::rules_error::RulesError;
use crate::run_result::RunResult;
use crate::run_summary::EndReason;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The longest time limit a run rule accepts (one hour): beyond it the limit is a typo.
pub const MAX_RUN_LIMIT_MS: u64 = 3_600_000;

/// One subscription's run rules. `{}` is the defaults: tell failed runs, nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RunRules {
    /// Notify when a run fails (it could not connect, the server answered an error, the
    /// stream broke or timed out).
    pub failed: bool,
    /// Notify when a run ended by a close or a timeout without its end sentinel (`[DONE]`,
    /// `message_stop`, …): the answer may be cut short.
    pub no_sentinel: bool,
    /// Notify when the first token took longer than this many milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_token_ms: Option<u64>,
    /// Notify when the whole run took longer than this many milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_ms: Option<u64>,
    /// Notify when the answer does not match this rule (its event type is not used).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expect: Option<MessageRule>,
}

impl Default for RunRules {
    fn default() -> Self {
        RunRules {
            failed: true,
            no_sentinel: false,
            first_token_ms: None,
            total_ms: None,
            expect: None,
        }
    }
}

impl RunRules {
    /// Whether these are the defaults (left out of the stored JSON).
    pub fn is_default(&self) -> bool {
        *self == RunRules::default()
    }

    /// Checks and compiles the rules.
    pub fn compile(&self) -> Result<CompiledRunRules, RulesError> {
        for (limit, what) in [
            (self.first_token_ms, "time to first token"),
            (self.total_ms, "total time"),
        ] {
            if limit.is_some_and(|ms| ms == 0 || ms > MAX_RUN_LIMIT_MS) {
                return Err(RulesError::Malformed(format!(
                    "the run limit on {what} must be between 1 ms and 1 hour"
                )));
            }
        }
        let expect = match &self.expect {
            None => None,
            Some(rule) if rule.event.is_some() => {
                return Err(RulesError::Malformed(
                    "the expected answer is matched on the whole answer: leave its event type \
                     unset"
                        .into(),
                ))
            }
            // Numbered 1 in its own errors: it is the one answer rule.
            Some(rule) => Some(CompiledMessageRule::new(1, rule)?),
        };
        Ok(CompiledRunRules {
            rules: self.clone(),
            expect,
        })
    }
}

/// Run rules ready to judge runs.
#[derive(Debug, Clone, Default)]
pub struct CompiledRunRules {
    rules: RunRules,
    expect: Option<CompiledMessageRule>,
}

/// Which run rule a run broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunBreach {
    /// It failed.
    Failed,
    /// It ended without its end sentinel.
    NoSentinel,
    /// Its first token came too late.
    SlowFirstToken,
    /// It took too long in all.
    SlowTotal,
    /// Its answer did not match.
    Unexpected,
}

/// "2.4 s" / "850 ms".
fn ms_words(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        crate::liveness::words(Duration::from_millis(ms))
    }
}

impl CompiledRunRules {
    /// The rules a run broke, each with its words ("2.4 s to first token (limit 1 s)"), in a
    /// fixed order; `answer` is the text to match when no LLM text was assembled (the events'
    /// data), if known.
    pub fn judge(&self, run: &RunResult, answer: Option<&str>) -> Vec<(RunBreach, String)> {
        let r = &self.rules;
        let mut out = Vec::new();
        if !run.ok {
            if r.failed {
                let why = run.failure.clone().unwrap_or_else(|| "it failed".into());
                out.push((RunBreach::Failed, format!("run failed: {why}")));
            }
            // A failed run's timings and answer say nothing more.
            return out;
        }
        let Some(s) = &run.summary else {
            return out;
        };
        if r.no_sentinel && s.end != EndReason::DoneSentinel {
            out.push((
                RunBreach::NoSentinel,
                format!("ended without its end marker ({})", s.words()),
            ));
        }
        if let Some(limit) = r.first_token_ms {
            match s.first_token_ms {
                Some(t) if t > limit => out.push((
                    RunBreach::SlowFirstToken,
                    format!("{} to first token (limit {})", ms_words(t), ms_words(limit)),
                )),
                None if s.llm.is_some() => out.push((
                    RunBreach::SlowFirstToken,
                    format!("no token came (limit {})", ms_words(limit)),
                )),
                _ => {}
            }
        }
        if let Some(limit) = r.total_ms.filter(|l| s.duration_ms > *l) {
            out.push((
                RunBreach::SlowTotal,
                format!(
                    "{} in total (limit {})",
                    ms_words(s.duration_ms),
                    ms_words(limit)
                ),
            ));
        }
        if let Some(rule) = &self.expect {
            let text = s
                .llm
                .as_ref()
                .map(|l| l.text.as_str())
                .or(answer)
                .unwrap_or("");
            if !rule.matches("message", text, &mut None) {
                out.push((
                    RunBreach::Unexpected,
                    format!("the answer does not match ({})", rule.label()),
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::{LlmFormat, LlmSummary};
    use crate::run_summary::RunSummary;

    fn run(first_token_ms: u64, duration_ms: u64, end: EndReason, text: &str) -> RunResult {
        RunResult::ended(RunSummary {
            status: 200,
            ttfb_ms: 5,
            first_event_ms: Some(6),
            first_token_ms: Some(first_token_ms),
            duration_ms,
            events: 3,
            bytes: 100,
            end,
            sentinel: (end == EndReason::DoneSentinel).then(|| "[DONE]".into()),
            llm: Some(LlmSummary {
                format: LlmFormat::OpenaiChat,
                text: text.into(),
                text_truncated: false,
                finish_reason: Some("stop".into()),
                usage: None,
            }),
            raw: None,
        })
    }

    fn rules(v: serde_json::Value) -> CompiledRunRules {
        serde_json::from_value::<RunRules>(v)
            .expect("rules")
            .compile()
            .expect("valid")
    }

    #[test]
    fn each_rule_says_what_it_saw_and_its_limit() {
        let r = rules(serde_json::json!({
            "noSentinel": true, "firstTokenMs": 1000, "totalMs": 5000,
            "expect": {"contains": "Paris"}
        }));
        let fine = run(200, 900, EndReason::DoneSentinel, "It is Paris.");
        assert!(r.judge(&fine, None).is_empty());
        let slow = run(2400, 6000, EndReason::CleanClose, "London");
        let words: Vec<String> = r.judge(&slow, None).into_iter().map(|(_, w)| w).collect();
        assert_eq!(
            words[0],
            "ended without its end marker (closed by the server after 6 s, 3 events)"
        );
        assert_eq!(words[1], "2.4 s to first token (limit 1 s)");
        assert_eq!(words[2], "6 s in total (limit 5 s)");
        assert!(
            words[3].starts_with("the answer does not match (contains"),
            "{}",
            words[3]
        );
    }

    #[test]
    fn a_failed_run_is_told_by_default_and_only_that() {
        let r = rules(serde_json::json!({"firstTokenMs": 10}));
        let failed = RunResult::failed(None, "connection refused".into());
        assert_eq!(
            r.judge(&failed, None),
            vec![(RunBreach::Failed, "run failed: connection refused".into())]
        );
        let quiet = rules(serde_json::json!({"failed": false}));
        assert!(quiet.judge(&failed, None).is_empty());
    }

    #[test]
    fn bad_rules_are_refused_with_words() {
        for bad in [
            serde_json::json!({"firstTokenMs": 0}),
            serde_json::json!({"totalMs": 4_000_000}),
            serde_json::json!({"expect": {"event": "x", "contains": "a"}}),
            serde_json::json!({"expect": {"regex": "("}}),
            serde_json::json!({"expect": {}}),
        ] {
            let r: RunRules = serde_json::from_value(bad.clone()).expect("shape");
            assert!(r.compile().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_answer_is_the_events_data_without_a_format() {
        let r = rules(serde_json::json!({"expect": {"jsonPointer": "/ok", "jsonEquals": true}}));
        let mut plain = run(1, 2, EndReason::CleanClose, "");
        plain.summary.as_mut().unwrap().llm = None;
        assert!(r.judge(&plain, Some(r#"{"ok":true}"#)).is_empty());
        assert_eq!(r.judge(&plain, Some(r#"{"ok":false}"#)).len(), 1);
    }
}
