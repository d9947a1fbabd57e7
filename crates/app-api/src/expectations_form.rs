//! The subscription form's "Expectations" section: rows of an event type ("" for all events)
//! and a JSON Schema as text, mapped to and from the engine's
//! [`streamwatch_engine::expectations::Expectation`]. Text that is not JSON is refused against
//! its row's schema field; the catalog checks the rest (compiles, size, no remote `$ref`) and its
//! words come back against the same field.

use crate::error::CommandError;
use serde::{Deserialize, Serialize};
use streamwatch_engine::expectations::Expectation;
use ts_rs::TS;

/// One row: which events, and the schema their data must match.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "ExpectationForm.ts")]
pub struct ExpectationForm {
    /// The event type it applies to; "" applies it to every event.
    pub event_type: String,
    /// The JSON Schema, as JSON text.
    pub schema: String,
}

/// The form field of row `i`'s schema (its errors are shown under it).
pub fn schema_field(i: usize) -> String {
    format!("expectations.{i}.schema")
}

/// The rows showing saved expectations, schemas pretty-printed.
pub fn form_of(list: &[Expectation]) -> Vec<ExpectationForm> {
    list.iter()
        .map(|e| ExpectationForm {
            event_type: e.event_type.clone().unwrap_or_default(),
            schema: serde_json::to_string_pretty(&e.schema).unwrap_or_default(),
        })
        .collect()
}

/// The expectations to save, one per row (so the catalog's row numbers are the form's).
pub fn expectations_of(rows: &[ExpectationForm]) -> Result<Vec<Expectation>, CommandError> {
    let mut out = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let event_type = row.event_type.trim();
        let text = row.schema.trim();
        if text.is_empty() {
            let words = if event_type.is_empty() {
                "Enter the JSON Schema that every event must match, or remove this row.".into()
            } else {
                format!("Enter the JSON Schema that events of type {event_type:?} must match.")
            };
            return Err(CommandError::invalid(words, Some(&schema_field(i))));
        }
        let schema: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            CommandError::invalid(
                format!("This schema is not JSON: {e}."),
                Some(&schema_field(i)),
            )
        })?;
        out.push(Expectation {
            event_type: (!event_type.is_empty()).then(|| event_type.to_string()),
            schema,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(t: &str, s: &str) -> ExpectationForm {
        ExpectationForm {
            event_type: t.into(),
            schema: s.into(),
        }
    }

    #[test]
    fn rows_round_trip_and_an_empty_type_is_all_events() {
        let list = expectations_of(&[
            row(" tick ", r#"{"type":"object"}"#),
            row("", r#"{"required":["n"]}"#),
        ])
        .unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].event_type.as_deref(), Some("tick"));
        assert_eq!(list[1].event_type, None);
        assert_eq!(list[1].schema, json!({"required": ["n"]}));
        let back = form_of(&list);
        assert_eq!(back[0].event_type, "tick");
        assert_eq!(back[1].event_type, "");
        assert_eq!(expectations_of(&back).unwrap(), list);
    }

    #[test]
    fn text_that_is_not_json_or_missing_is_refused_against_its_row() {
        let e = expectations_of(&[row("", "{}"), row("t", "{not json")]).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("expectations.1.schema"));
        assert!(e.message.contains("not JSON"), "{}", e.message);
        let e = expectations_of(&[row("t", "")]).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("expectations.0.schema"));
        let e = expectations_of(&[row("", " ")]).unwrap_err();
        assert!(e.message.contains("remove this row"), "{}", e.message);
    }
}
