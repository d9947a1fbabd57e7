//! The probe flags of `subs add` and `subs edit`: how often a subscription runs as a probe and
//! its run notification rules (the `runs` part of its notification rules).

use std::time::Duration;

use clap::builder::BoolishValueParser;
use clap::Args;
use streamwatch_engine::alerts::{MessageRule, NotifyRules};
use streamwatch_engine::catalog::SubscriptionRecord;

use crate::usage::UsageError;

/// A `--probe-every` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeEvery {
    /// Not a probe any more.
    Off,
    /// One run every this long.
    Every(Duration),
}

/// Parses `--probe-every`: `off`, or a duration such as `30s`, `5m`, `1h`, `1d`.
pub fn parse_probe_every(text: &str) -> Result<ProbeEvery, String> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("off") {
        return Ok(ProbeEvery::Off);
    }
    crate::history::parse_duration(text)
        .map(ProbeEvery::Every)
        .ok_or_else(|| format!("{text:?} is not a duration (30s, 5m, 1h, 1d, 1h30m) nor off"))
}

/// Probe flags; each left out keeps the current value.
#[derive(Args, Debug, Clone, Default, PartialEq)]
pub struct ProbeArgs {
    /// Run as a probe: one request every DURATION (10s to 7d: 30s, 5m, 1h), each run stored
    /// (`streamwatch runs NAME`) and never retried or reconnected inside a run; off stops.
    #[arg(long, value_name = "DURATION|off", value_parser = parse_probe_every)]
    pub probe_every: Option<ProbeEvery>,

    /// Notify when a run (of a probe or a finite stream) fails (new: on).
    #[arg(long, value_name = "on|off", value_parser = BoolishValueParser::new())]
    pub run_alert_failed: Option<bool>,

    /// Notify when a run ends without its end sentinel ([DONE], message_stop, …) (new: off).
    #[arg(long, value_name = "on|off", value_parser = BoolishValueParser::new())]
    pub run_alert_no_sentinel: Option<bool>,

    /// Notify when the first token takes longer than MS milliseconds; 0 removes the limit.
    #[arg(long, value_name = "MS")]
    pub run_alert_ttft_ms: Option<u64>,

    /// Notify when a run takes longer than MS milliseconds in total; 0 removes the limit.
    #[arg(long, value_name = "MS")]
    pub run_alert_total_ms: Option<u64>,

    /// Notify when the answer (the assembled text) does not contain TEXT; '' removes it.
    #[arg(long, value_name = "TEXT")]
    pub run_alert_expect_contains: Option<String>,

    /// Notify when the answer does not match REGEX; '' removes it.
    #[arg(long, value_name = "REGEX")]
    pub run_alert_expect_regex: Option<String>,
}

impl ProbeArgs {
    /// Applies the flags to `record` (the catalog checks the interval's range when saved).
    pub fn apply(&self, record: &mut SubscriptionRecord) -> Result<(), UsageError> {
        match self.probe_every {
            None => {}
            Some(ProbeEvery::Off) => record.probe_every_ms = None,
            Some(ProbeEvery::Every(d)) => {
                record.probe_every_ms = Some(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            }
        }
        let touches_rules = self.run_alert_failed.is_some()
            || self.run_alert_no_sentinel.is_some()
            || self.run_alert_ttft_ms.is_some()
            || self.run_alert_total_ms.is_some()
            || self.run_alert_expect_contains.is_some()
            || self.run_alert_expect_regex.is_some();
        if !touches_rules {
            return Ok(());
        }
        let mut rules = NotifyRules::from_json(&record.notify)
            .map_err(|e| UsageError::Invalid(e.to_string()))?;
        let runs = &mut rules.runs;
        if let Some(on) = self.run_alert_failed {
            runs.failed = on;
        }
        if let Some(on) = self.run_alert_no_sentinel {
            runs.no_sentinel = on;
        }
        if let Some(ms) = self.run_alert_ttft_ms {
            runs.first_token_ms = Some(ms).filter(|ms| *ms > 0);
        }
        if let Some(ms) = self.run_alert_total_ms {
            runs.total_ms = Some(ms).filter(|ms| *ms > 0);
        }
        let mut expect = runs.expect.take().unwrap_or_default();
        if let Some(text) = &self.run_alert_expect_contains {
            expect.contains = Some(text.clone()).filter(|t| !t.is_empty());
        }
        if let Some(re) = &self.run_alert_expect_regex {
            expect.regex = Some(re.clone()).filter(|t| !t.is_empty());
        }
        runs.expect = (expect != MessageRule::default()).then_some(expect);
        rules
            .compile()
            .map_err(|e| UsageError::Invalid(format!("invalid run alert: {e}")))?;
        record.notify = rules.to_json();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_off_parse() {
        assert_eq!(
            parse_probe_every("5m"),
            Ok(ProbeEvery::Every(Duration::from_secs(300)))
        );
        assert_eq!(parse_probe_every("off"), Ok(ProbeEvery::Off));
        assert!(parse_probe_every("often").is_err());
    }

    #[test]
    fn rules_are_set_kept_and_removed() {
        let mut r = SubscriptionRecord::new("p", "http://h/");
        let args = ProbeArgs {
            probe_every: Some(ProbeEvery::Every(Duration::from_secs(60))),
            run_alert_ttft_ms: Some(1000),
            run_alert_expect_contains: Some("Paris".into()),
            ..ProbeArgs::default()
        };
        args.apply(&mut r).unwrap();
        assert_eq!(r.probe_every_ms, Some(60_000));
        let runs = NotifyRules::from_json(&r.notify).unwrap().runs;
        assert_eq!(runs.first_token_ms, Some(1000));
        assert_eq!(runs.expect.unwrap().contains.as_deref(), Some("Paris"));
        // Flags left out keep; 0 and '' remove.
        ProbeArgs::default().apply(&mut r).unwrap();
        assert_eq!(r.probe_every_ms, Some(60_000));
        let off = ProbeArgs {
            probe_every: Some(ProbeEvery::Off),
            run_alert_ttft_ms: Some(0),
            run_alert_expect_contains: Some(String::new()),
            ..ProbeArgs::default()
        };
        off.apply(&mut r).unwrap();
        assert_eq!(r.probe_every_ms, None);
        assert!(NotifyRules::from_json(&r.notify).unwrap().runs.is_default());
        let bad = ProbeArgs {
            run_alert_expect_regex: Some("(".into()),
            ..ProbeArgs::default()
        };
        assert!(bad.apply(&mut r).is_err());
    }
}
