//! `export_subscriptions`: the file `streamwatch export` writes, built by the same loop (the
//! engine catalog's export), so `streamwatch import` reads what the app exports. Secret header
//! values are never in this text: a secret header appears with its name only (the Export
//! dialog's file, [`crate::file_transfer`], holds them only when the user asks).

use streamwatch_engine::catalog::{Catalog, CatalogError, ExportOptions};

/// Every saved subscription as export-format JSON text, with each one's stored messages
/// (oldest first) when `with_history`.
pub fn export_json(catalog: &Catalog, with_history: bool) -> Result<String, CatalogError> {
    catalog
        .export(ExportOptions {
            with_history,
            with_secrets: false,
        })?
        .to_json()
}
