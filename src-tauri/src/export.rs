//! `export_subscriptions`: the same file `streamwatch export` writes (crates/cli/EXPORT_FORMAT.md,
//! version 1), so `streamwatch import` reads what the app exports. Secret header values are
//! never exported from the app: a secret header appears with its name only.

use serde::Serialize;
use std::time::SystemTime;
use streamwatch_engine::storage::{HistoryQuery, StorageError, Store, StoredMessage};

#[derive(Serialize)]
struct ExportFile {
    format: &'static str,
    version: u32,
    exported_at: String,
    subscriptions: Vec<ExportedSubscription>,
}

#[derive(Serialize)]
struct ExportedSubscription {
    name: String,
    url: String,
    method: String,
    headers: Vec<ExportedHeader>,
    body: Option<String>,
    last_event_id: Option<String>,
    retry: ExportedRetry,
    idle_timeout_ms: Option<u64>,
    max_event_size: usize,
    paused: bool,
    retention: ExportedRetention,
    notify: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    resume_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    history: Option<Vec<ExportedMessage>>,
}

#[derive(Serialize)]
struct ExportedHeader {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<String>,
    secret: bool,
}

#[derive(Serialize)]
struct ExportedRetry {
    initial_ms: u64,
    max_ms: u64,
    max_retries: Option<u32>,
}

#[derive(Serialize)]
struct ExportedRetention {
    max_rows: u64,
    max_age_ms: u64,
}

#[derive(Serialize)]
struct ExportedMessage {
    received_at: String,
    event: String,
    id: String,
    data: String,
}

/// RFC 3339 in UTC with milliseconds, as the CLI writes it.
fn rfc3339(t: SystemTime) -> String {
    jiff::Timestamp::try_from(t)
        .map(|t| format!("{t:.3}"))
        .unwrap_or_default()
}

fn message(m: &StoredMessage) -> ExportedMessage {
    ExportedMessage {
        received_at: rfc3339(m.received_at),
        event: m.event.clone(),
        id: m.id.clone(),
        data: m.data.clone(),
    }
}

/// Every saved subscription as export-format JSON text, with each one's stored messages
/// (oldest first) when `with_history`.
pub fn export_json(store: &Store, with_history: bool) -> Result<String, StorageError> {
    let mut subscriptions = Vec::new();
    for s in store.subscriptions()? {
        let r = &s.record;
        let history = if with_history {
            let rows = store.history(s.id, &HistoryQuery::default())?;
            Some(rows.iter().map(message).collect())
        } else {
            None
        };
        subscriptions.push(ExportedSubscription {
            name: r.name.clone(),
            url: r.url.clone(),
            method: r.method.clone(),
            headers: r
                .headers
                .iter()
                .map(|h| ExportedHeader {
                    name: h.name.clone(),
                    value: (!h.secret).then(|| h.value.clone()),
                    secret: h.secret,
                })
                .collect(),
            body: r.body.clone(),
            last_event_id: r.last_event_id.clone(),
            retry: ExportedRetry {
                initial_ms: r.retry.initial_ms,
                max_ms: r.retry.max_ms,
                max_retries: r.retry.max_retries,
            },
            idle_timeout_ms: r.idle_timeout_ms,
            max_event_size: r.max_event_size,
            paused: r.paused,
            retention: ExportedRetention {
                max_rows: r.retention.max_rows,
                max_age_ms: u64::try_from(r.retention.max_age.as_millis()).unwrap_or(u64::MAX),
            },
            notify: r.notify.clone(),
            resume_id: store.resume_point(s.id)?,
            history,
        });
    }
    let file = ExportFile {
        format: "streamwatch-export",
        version: 1,
        exported_at: rfc3339(SystemTime::now()),
        subscriptions,
    };
    let mut text = serde_json::to_string_pretty(&file)
        .map_err(|e| StorageError::Invalid(format!("cannot write the export: {e}")))?;
    text.push('\n');
    Ok(text)
}
