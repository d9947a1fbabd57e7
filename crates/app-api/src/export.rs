//! `export_subscriptions`: the file `streamwatch export` writes, built with the same definition
//! (the engine's `export_format`, crates/cli/EXPORT_FORMAT.md), so `streamwatch import` reads
//! what the app exports. Secret header values are never exported from the app: a secret header
//! appears with its name only.

use streamwatch_engine::export_format::{
    rfc3339_millis, ExportFile, ExportedMessage, ExportedSubscription, FORMAT, VERSION,
};
use streamwatch_engine::storage::{HistoryQuery, StorageError, Store};

/// Every saved subscription as export-format JSON text, with each one's stored messages
/// (oldest first) when `with_history`.
pub fn export_json(store: &Store, with_history: bool) -> Result<String, StorageError> {
    let mut subscriptions = Vec::new();
    for s in store.subscriptions()? {
        let resume = store.resume_point(s.id)?;
        let mut exported = ExportedSubscription::from_saved(&s, &s.record, false, resume);
        if with_history {
            let rows = store.history(s.id, &HistoryQuery::default())?;
            exported.history = Some(rows.iter().map(ExportedMessage::from_stored).collect());
        }
        subscriptions.push(exported);
    }
    let file = ExportFile {
        format: FORMAT.into(),
        version: VERSION,
        exported_at: Some(rfc3339_millis(jiff::Timestamp::now())),
        subscriptions,
    };
    let mut text = serde_json::to_string_pretty(&file)
        .map_err(|e| StorageError::Invalid(format!("cannot write the export: {e}")))?;
    text.push('\n');
    Ok(text)
}
