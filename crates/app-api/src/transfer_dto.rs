//! The transport types of the window's Export and Import (docs/app-contract.md): what the
//! dialogs send with the path the user chose in the system's file dialog, and what the shell
//! answers. camelCase JSON; TypeScript generated with the other DTOs ([`crate::bindings`]).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// How a history or runs file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "HistoryFileFormat.ts")]
pub enum HistoryFileFormat {
    /// One JSON object per line.
    Jsonl,
    /// CSV with a header row; cells a spreadsheet could run as a formula are defused.
    Csv,
}

/// Which stored messages to export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "HistoryExportForm.ts")]
pub struct HistoryExportForm {
    /// One subscription's; `null`: every subscription's, each line naming its subscription.
    #[ts(type = "number | null")]
    pub subscription_id: Option<u64>,
    pub format: HistoryFileFormat,
    /// Received at or after (ms since the epoch); `null`: from the oldest stored.
    #[ts(type = "number | null")]
    pub since_ms: Option<u64>,
    /// Received at or before (ms since the epoch); `null`: up to now.
    #[ts(type = "number | null")]
    pub until_ms: Option<u64>,
}

/// A file written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "ExportDone.ts")]
pub struct ExportDone {
    /// Where it was written.
    pub path: String,
    /// Messages (history), runs (runs) or subscriptions (subscriptions) in it.
    #[ts(type = "number")]
    pub count: u64,
    /// Subscriptions whose secret values the file holds in plain text (0 unless asked for).
    #[ts(type = "number")]
    pub revealed: u64,
}

/// One subscription an import added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "ImportedView.ts")]
pub struct ImportedView {
    #[ts(type = "number")]
    pub id: u64,
    /// Its name now.
    pub name: String,
    /// Its name in the file (differs when the name was taken and renaming was asked for).
    pub from_name: String,
    /// Stored messages imported with it.
    #[ts(type = "number")]
    pub messages: u64,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "ImportDone.ts")]
pub struct ImportDone {
    /// Every subscription added, in the file's order.
    pub added: Vec<ImportedView>,
    /// What was left out and why: secret values the file did not hold (masked credentials,
    /// secret headers without a value), one sentence each.
    pub warnings: Vec<String>,
}
