//! The subscriptions of an import or `run --config` file, checked before anything is saved,
//! each problem placed where it is in the file (`subscriptions[2].max_event_size`) so a user
//! can find it in a long file.

use super::error::CatalogError;
use super::validate::{check_event_id, check_record, shown, Field};
use crate::export_format::ExportedSubscription;
use crate::storage::SubscriptionRecord;

/// A checked entry: the record to save and the secret headers the file gave no value for.
pub type Entry = (SubscriptionRecord, Vec<String>);

/// Checks every subscription of a file (`what` names it in errors): its settings, its resume
/// id and its messages' times. The first problem fails the whole file.
pub fn check_entries(
    subscriptions: &[ExportedSubscription],
    what: &str,
) -> Result<Vec<Entry>, CatalogError> {
    let mut entries = Vec::with_capacity(subscriptions.len());
    for (index, s) in subscriptions.iter().enumerate() {
        let fail = |key: Option<String>, source: CatalogError| {
            entry_error(index, &s.name, what, key, source)
        };
        let (record, missing) = s.to_record();
        check_record(&record).map_err(|e| fail(Some(file_key(e.field)), e.into()))?;
        if let Some(id) = &s.resume_id {
            check_event_id(Field::ResumeId, id)
                .map_err(|e| fail(Some(file_key(e.field)), e.into()))?;
        }
        for (i, m) in s.history.iter().flatten().enumerate() {
            m.received_at()
                .map_err(|e| fail(Some(format!("history[{i}].received_at")), e.into()))?;
        }
        entries.push((record, missing));
    }
    Ok(entries)
}

/// The error for the subscription at `index` of the file `what`, about the field `key` (as the
/// file spells it) when known.
pub(super) fn entry_error(
    index: usize,
    name: &str,
    what: &str,
    key: Option<String>,
    source: CatalogError,
) -> CatalogError {
    let place = match key {
        Some(key) => format!("subscriptions[{index}].{key}"),
        None => format!("subscriptions[{index}]"),
    };
    CatalogError::ImportEntry {
        place,
        name: shown(name.trim()),
        what: what.to_string(),
        problem: Box::new(source),
    }
}

/// A field's key in the export file (EXPORT_FORMAT.md).
pub(super) fn file_key(field: Field) -> String {
    match field {
        Field::Name => "name".into(),
        Field::Url => "url".into(),
        Field::Method => "method".into(),
        Field::HeaderName(i) => format!("headers[{i}].name"),
        Field::HeaderValue(i) => format!("headers[{i}].value"),
        Field::Body => "body".into(),
        Field::LastEventId => "last_event_id".into(),
        Field::RetryInitial => "retry.initial_ms".into(),
        Field::RetryMax => "retry.max_ms".into(),
        Field::IdleTimeout => "idle_timeout_ms".into(),
        Field::StaleAfter => "stale_after_secs".into(),
        Field::MaxEventSize => "max_event_size".into(),
        Field::RetentionRows => "retention.max_rows".into(),
        Field::RetentionAge => "retention.max_age_ms".into(),
        Field::Notify => "notify".into(),
        Field::ResumeId => "resume_id".into(),
        Field::Proxy => "network.proxy".into(),
        Field::CaCertificates => "network.ca_certificates".into(),
        Field::ClientCertificate => "network.client_certificate".into(),
        Field::ClientKey => "network.client_key".into(),
        Field::EndEvent => "end_event".into(),
        Field::ProbeEvery => "probe_every_ms".into(),
        Field::Expectation(i) => format!("expectations[{i}]"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export_format::parse;

    fn file(subscriptions: serde_json::Value) -> Vec<ExportedSubscription> {
        let doc = serde_json::json!({
            "format": "streamwatch-export",
            "version": 1,
            "subscriptions": subscriptions,
        });
        parse(&doc.to_string(), "f.json")
            .expect("parses")
            .subscriptions
    }

    fn error(subscriptions: serde_json::Value) -> String {
        check_entries(&file(subscriptions), "f.json")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn a_problem_is_placed_at_its_field_in_the_file() {
        let ok = serde_json::json!({"name": "a", "url": "http://h/"});
        let e = error(serde_json::json!([
            ok,
            {"name": "b", "url": "http://h/"},
            {"name": "feed", "url": "http://h/", "max_event_size": 0},
        ]));
        assert!(
            e.starts_with("f.json: subscriptions[2].max_event_size (subscription \"feed\"): "),
            "{e}"
        );
        assert!(e.contains("268435456"), "{e}");
        assert!(e.ends_with("; nothing was saved"), "{e}");
        for (sub, key) in [
            (
                serde_json::json!({"name": "x", "url": "http://h/", "retention": {"max_rows": 0}}),
                "retention.max_rows",
            ),
            (
                serde_json::json!({"name": "x", "url": "http://h/",
                                   "retention": {"max_age_ms": 18446744073709551615u64}}),
                "retention.max_age_ms",
            ),
            (
                serde_json::json!({"name": "x", "url": "http://h/",
                                   "retry": {"initial_ms": 5, "max_ms": 1}}),
                "retry.max_ms",
            ),
            (
                serde_json::json!({"name": "x", "url": "http://h/",
                                   "headers": [{"name": "ok", "value": "1"},
                                               {"name": "bad name", "value": "1"}]}),
                "headers[1].name",
            ),
            (
                serde_json::json!({"name": "x", "url": "http://h/",
                                   "resume_id": "9".repeat(5000)}),
                "resume_id",
            ),
            (
                serde_json::json!({"name": "x", "url": "http://h/",
                                   "history": [{"received_at": "yesterday", "event": "m",
                                                "id": "", "data": ""}]}),
                "history[0].received_at",
            ),
        ] {
            let e = error(serde_json::json!([sub]));
            assert!(
                e.starts_with(&format!("f.json: subscriptions[0].{key} ")),
                "{e}"
            );
        }
    }

    #[test]
    fn a_huge_name_is_not_repeated_in_the_error() {
        let name = "n".repeat(10 << 20);
        let e = error(serde_json::json!([{"name": name, "url": "http://h/"}]));
        assert!(
            e.starts_with("f.json: subscriptions[0].name "),
            "{}",
            &e[..100]
        );
        assert!(e.len() < 400, "{} bytes", e.len());
    }

    #[test]
    fn every_field_has_a_key_of_the_file() {
        // The keys must be ones the file format has: a renamed field would mislead.
        let sample = serde_json::to_value(
            &file(serde_json::json!([
                {"name": "x", "url": "http://h/", "last_event_id": "1", "idle_timeout_ms": 1,
                 "body": "b", "headers": [{"name": "h", "value": "v"}], "resume_id": "2"}
            ]))[0],
        )
        .expect("json");
        for field in [
            Field::Name,
            Field::Url,
            Field::Method,
            Field::HeaderName(0),
            Field::HeaderValue(0),
            Field::Body,
            Field::LastEventId,
            Field::RetryInitial,
            Field::RetryMax,
            Field::IdleTimeout,
            Field::MaxEventSize,
            Field::RetentionRows,
            Field::RetentionAge,
            Field::Notify,
            Field::ResumeId,
        ] {
            let key = file_key(field).replace('[', ".").replace(']', "");
            let found = key
                .split('.')
                .try_fold(&sample, |v, k| match k.parse::<usize>() {
                    Ok(i) => v.get(i),
                    Err(_) => v.get(k),
                });
            assert!(found.is_some(), "{field:?}: {key} is not in {sample}");
        }
    }
}
