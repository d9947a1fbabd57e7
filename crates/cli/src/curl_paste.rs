//! `subs add NAME --from-curl '…'`: the request of a pasted curl command as a new record, read
//! by the engine's one rule ([`streamwatch_engine::catalog::from_curl`]). The other flags are
//! applied after it, so they override what the paste gave.

use std::io::Write;

use streamwatch_engine::catalog::{parse_curl, SubscriptionRecord};

use crate::usage::UsageError;

/// A new record named `name` with the request `curl` describes; what the paste gave that
/// changed nothing (and what was added) is told on `notes`, one `note:` line each.
pub fn record_from_curl(
    name: &str,
    curl: &str,
    notes: &mut impl Write,
) -> Result<SubscriptionRecord, UsageError> {
    let draft = parse_curl(curl).map_err(|e| UsageError::Invalid(format!("--from-curl: {e}")))?;
    let mut record = SubscriptionRecord::new(name, &draft.url);
    record.method = draft.method;
    record.headers = draft.headers;
    record.body = draft.body;
    for note in &draft.notes {
        // A note is advice: failing to print it must not stop the add.
        let _ = writeln!(notes, "note: {note}");
    }
    Ok(record)
}
