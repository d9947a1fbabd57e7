//! Notification rules between the engine's [`NotifyRules`] and the form's [`NotifyForm`].

use crate::dto::{MessageRuleForm, NotifyForm};
use crate::error::CommandError;
use streamwatch_engine::alerts::{MessageRule, NotifyRules};

/// The form showing saved rules (`notify` JSON that does not load shows the defaults).
pub fn form_of(notify: &serde_json::Value) -> NotifyForm {
    let rules = NotifyRules::from_json(notify).unwrap_or_default();
    NotifyForm {
        down_after_secs: rules.down_after_secs,
        recovered: rules.recovered,
        gave_up: rules.gave_up,
        fatal: rules.fatal,
        reset: rules.reset,
        stale: rules.stale,
        schema_mismatch: Some(rules.schema_mismatch),
        messages: rules
            .messages
            .iter()
            .map(|m| MessageRuleForm {
                event: m.event.clone().unwrap_or_default(),
                contains: m.contains.clone().unwrap_or_default(),
                regex: m.regex.clone().unwrap_or_default(),
                json_pointer: m.json_pointer.clone().unwrap_or_default(),
                json_equals: m
                    .json_equals
                    .as_ref()
                    .map(|v| match v {
                        // A plain string shows as typed; other values as JSON.
                        serde_json::Value::String(s)
                            if serde_json::from_str::<serde_json::Value>(s).is_err() =>
                        {
                            s.clone()
                        }
                        v => v.to_string(),
                    })
                    .unwrap_or_default(),
            })
            .collect(),
    }
}

/// The `notify` JSON to save for `form`, keeping flags the form does not show (the demo
/// marker) from `old`; problems are reported against the `notify` field.
pub fn notify_json(
    form: &NotifyForm,
    old: Option<&serde_json::Value>,
) -> Result<serde_json::Value, CommandError> {
    let saved = old.and_then(|o| NotifyRules::from_json(o).ok());
    let demo = saved.as_ref().is_some_and(|r| r.demo);
    let schema_mismatch = form
        .schema_mismatch
        .unwrap_or_else(|| saved.as_ref().is_none_or(|r| r.schema_mismatch));
    let some = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let rules = NotifyRules {
        down_after_secs: form.down_after_secs,
        recovered: form.recovered,
        gave_up: form.gave_up,
        fatal: form.fatal,
        reset: form.reset,
        stale: form.stale,
        schema_mismatch,
        messages: form
            .messages
            .iter()
            .map(|m| MessageRule {
                event: some(&m.event),
                contains: (!m.contains.is_empty()).then(|| m.contains.clone()),
                regex: some(&m.regex),
                json_pointer: some(&m.json_pointer),
                json_equals: some(&m.json_equals).map(|text| {
                    serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
                }),
            })
            .collect(),
        // The probe section edits these (see `crate::probe_form`).
        runs: saved.as_ref().map(|r| r.runs.clone()).unwrap_or_default(),
        demo,
    };
    rules
        .compile()
        .map_err(|e| CommandError::invalid(e.to_string(), Some("notify")))?;
    Ok(rules.to_json())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(event: &str, equals: &str) -> MessageRuleForm {
        MessageRuleForm {
            event: event.into(),
            contains: String::new(),
            regex: String::new(),
            json_pointer: if equals.is_empty() {
                String::new()
            } else {
                "/level".into()
            },
            json_equals: equals.into(),
        }
    }

    #[test]
    fn defaults_show_for_empty_rules() {
        let f = form_of(&json!({}));
        assert_eq!(f.down_after_secs, 10);
        assert!(f.recovered && f.gave_up && f.fatal && f.reset && f.messages.is_empty());
    }

    #[test]
    fn the_stale_toggle_is_saved_and_shown_and_on_when_left_out() {
        let mut f = form_of(&json!({}));
        assert!(f.stale, "on by default");
        f.stale = false;
        let saved = notify_json(&f, None).expect("valid");
        assert!(!NotifyRules::from_json(&saved).expect("rules").stale);
        assert!(!form_of(&saved).stale);
        let mut old_ui = serde_json::to_value(form_of(&saved)).expect("json");
        old_ui.as_object_mut().expect("object").remove("stale");
        let old_ui: NotifyForm = serde_json::from_value(old_ui).expect("form");
        assert!(old_ui.stale);
    }

    #[test]
    fn the_reset_toggle_is_saved_and_shown() {
        let mut f = form_of(&json!({}));
        f.reset = false;
        let saved = notify_json(&f, None).expect("valid");
        assert!(!NotifyRules::from_json(&saved).expect("rules").reset);
        assert!(!form_of(&saved).reset);
        f.reset = true;
        let on = notify_json(&f, Some(&saved)).expect("valid");
        assert!(
            NotifyRules::from_json(&on).expect("rules").reset,
            "the form decides"
        );
        // A form from an older UI, without the field, keeps notifying.
        let mut old_ui = serde_json::to_value(form_of(&saved)).expect("json");
        old_ui.as_object_mut().expect("object").remove("reset");
        let parsed: NotifyForm = serde_json::from_value(old_ui).expect("parses");
        assert!(parsed.reset);
    }

    #[test]
    fn a_form_round_trips_and_keeps_the_demo_flag() {
        let mut f = form_of(&json!({}));
        f.down_after_secs = 30;
        f.messages = vec![rule("alert", ""), rule("", "error"), rule("", "5")];
        let saved = notify_json(&f, Some(&json!({"demo": true}))).expect("valid");
        assert_eq!(saved["demo"], json!(true));
        assert_eq!(
            saved["messages"][1]["jsonEquals"],
            json!("error"),
            "plain text is a string"
        );
        assert_eq!(saved["messages"][2]["jsonEquals"], json!(5), "JSON is JSON");
        assert_eq!(form_of(&saved), f);
    }

    #[test]
    fn bad_rules_name_the_notify_field() {
        let mut f = form_of(&json!({}));
        f.messages = vec![MessageRuleForm {
            regex: "(".into(),
            ..rule("", "")
        }];
        let e = notify_json(&f, None).expect_err("invalid");
        assert_eq!(e.field.as_deref(), Some("notify"));
        assert!(e.message.contains("message rule 1"), "{}", e.message);
    }
}
