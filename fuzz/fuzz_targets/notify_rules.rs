//! Hostile notification rules (the `notify` JSON of an imported file or a form): reading,
//! compiling and applying them must never panic. Regular expressions are limited to
//! 1,000 bytes of source and 1 MiB compiled (alerts/rules.rs), so compiling stays bounded.
#![no_main]

use libfuzzer_sys::fuzz_target;
use streamwatch_engine::alerts::rules::NotifyRules;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        return;
    };
    let Ok(rules) = NotifyRules::from_json(&value) else {
        return;
    };
    let _ = rules.down_after();
    let _ = rules.to_json();
    let Ok(compiled) = rules.compile() else {
        return;
    };
    // Apply them to a few messages, the input itself among them (as event type and data).
    for (event, data) in [
        ("message", ""),
        (
            "alert",
            r#"{"level":"error","n":5,"ok":true,"a":[1,{"b":null}]}"#,
        ),
        (text, text),
    ] {
        if let Some(i) = compiled.matching_message_rule(event, data) {
            let _ = compiled.describe_message_rule(i);
        }
    }
});
