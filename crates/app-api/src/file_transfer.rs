//! The window's Export and Import, to and from a path the user chose in the system's file
//! dialog: stored history as JSON lines or CSV (streamed a page at a time, so memory stays
//! bounded whatever its size), a probe's or finite stream's stored runs in the runs file of
//! `streamwatch runs --json|--csv`, the saved subscriptions in the export format of `streamwatch
//! export` (secret values only when asked for, masked otherwise), and an import of such a file
//! (all or nothing, with what was left out told). The rules are the engine's: the history file's
//! ([`streamwatch_engine::history_format`]), the runs file's ([`streamwatch_engine::runs_format`]),
//! the catalog's export and import. Every file is written whole or not at all
//! ([`write_whole`]).

use crate::error::CommandError;
use crate::file_error::FileError;
use crate::output_file::write_whole;
use crate::transfer_dto::{
    ExportDone, HistoryExportForm, HistoryFileFormat, ImportDone, ImportedView,
};
use std::io::Read as _;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use streamwatch_engine::catalog::{
    Catalog, CatalogError, ExportOptions, HistoryExportError, Imported, TimeRange,
};
use streamwatch_engine::export_format;
use streamwatch_engine::history_format::{HistoryFormat, HistoryWriter};
use streamwatch_engine::runs_format::RunsWriter;
use streamwatch_engine::SubscriptionId;

type Result<T> = std::result::Result<T, CommandError>;

/// The largest import file read: a file is parsed whole, so a hostile one must not take the
/// app's memory. An export with history of a few hundred thousand messages fits.
pub const IMPORT_MAX_BYTES: u64 = 256 << 20;

fn time(ms: Option<u64>) -> Option<SystemTime> {
    ms.map(|ms| UNIX_EPOCH + Duration::from_millis(ms))
}

fn engine_format(format: HistoryFileFormat) -> HistoryFormat {
    match format {
        HistoryFileFormat::Jsonl => HistoryFormat::Jsonl,
        HistoryFileFormat::Csv => HistoryFormat::Csv,
    }
}

/// An export's failure: a write to `path` (a full disk, a folder gone) as a file error naming
/// it, a failed read of the database as the catalog's error.
fn export_error(path: &Path, e: HistoryExportError) -> CommandError {
    match e {
        HistoryExportError::Write(e) => FileError::writing(path, &e).into(),
        HistoryExportError::Catalog(e) => e.into(),
    }
}

/// Writes the stored messages `form` asks for to `path` (replaced whole). Flush the monitor
/// first for a history complete up to now.
pub fn export_history(
    catalog: &Catalog,
    form: &HistoryExportForm,
    path: &Path,
) -> Result<ExportDone> {
    let ids: Vec<SubscriptionId> = match form.subscription_id {
        // Checked before a file is made: a subscription removed meanwhile is "not found".
        Some(id) => vec![catalog.subscription(SubscriptionId(id))?.id],
        None => catalog.subscriptions()?.iter().map(|s| s.id).collect(),
    };
    let range = TimeRange {
        since: time(form.since_ms),
        until: time(form.until_ms),
    };
    let format = engine_format(form.format);
    let count = write_whole(path, |out| {
        let io = |e: &std::io::Error| CommandError::from(FileError::writing(path, e));
        let mut writer =
            HistoryWriter::new(out, format, form.subscription_id.is_none()).map_err(|e| io(&e))?;
        let n = catalog
            .export_history(&ids, range, &mut writer)
            .map_err(|e| export_error(path, e))?;
        writer.finish().map_err(|e| io(&e))?;
        Ok(n)
    })?;
    Ok(ExportDone {
        path: path.display().to_string(),
        count,
        revealed: 0,
    })
}

/// Writes every stored run of subscription `id` (a probe's or a finite stream's: figures, end,
/// failure, assembled text, finish reason and usage), newest first, to `path` (replaced whole)
/// as JSON lines or CSV, the file `streamwatch runs --all --json|--csv` prints; CSV cells a
/// spreadsheet could run as a formula are defused. Flush the monitor first for the runs up to
/// now.
pub fn export_runs(
    catalog: &Catalog,
    id: SubscriptionId,
    format: HistoryFileFormat,
    path: &Path,
) -> Result<ExportDone> {
    // Checked before a file is made: a subscription removed meanwhile is "not found".
    let id = catalog.subscription(id)?.id;
    let count = write_whole(path, |out| {
        let io = |e: &std::io::Error| CommandError::from(FileError::writing(path, e));
        let mut writer = RunsWriter::new(out, engine_format(format)).map_err(|e| io(&e))?;
        let n = catalog
            .export_runs(id, &mut writer)
            .map_err(|e| export_error(path, e))?;
        writer.finish().map_err(|e| io(&e))?;
        Ok(n)
    })?;
    Ok(ExportDone {
        path: path.display().to_string(),
        count,
        revealed: 0,
    })
}

/// Writes every saved subscription (without history) to `path` in the export format. Secret
/// values (secret headers, URL credentials) are in it in plain text only `with_secrets`; else
/// the headers have no value and the credentials read "••••", as with `streamwatch export`.
pub fn export_subscriptions(
    catalog: &Catalog,
    with_secrets: bool,
    path: &Path,
) -> Result<ExportDone> {
    let export = catalog.export(ExportOptions {
        with_history: false,
        with_secrets,
    })?;
    let text = export.to_json()?;
    write_whole(path, |out| {
        out.write_all(text.as_bytes())
            .map_err(|e| FileError::writing(path, &e).into())
    })?;
    Ok(ExportDone {
        path: path.display().to_string(),
        count: export.file.subscriptions.len() as u64,
        revealed: export.revealed as u64,
    })
}

/// Reads an import file: at most [`IMPORT_MAX_BYTES`], UTF-8.
fn read_import_file(path: &Path) -> Result<String> {
    let fail = |e: &std::io::Error| CommandError::from(FileError::reading(path, e));
    let file = std::fs::File::open(path).map_err(|e| fail(&e))?;
    let size = file.metadata().map_err(|e| fail(&e))?.len();
    let too_large = |size| FileError::TooLarge {
        path: path.to_path_buf(),
        size,
        limit: IMPORT_MAX_BYTES,
    };
    if size > IMPORT_MAX_BYTES {
        return Err(too_large(size).into());
    }
    let mut text = String::new();
    // The size can change under us (a file still being written): read one byte past the cap.
    file.take(IMPORT_MAX_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| fail(&e))?;
    if text.len() as u64 > IMPORT_MAX_BYTES {
        return Err(too_large(text.len() as u64).into());
    }
    Ok(text)
}

/// Adds every subscription of the export file at `path`, with secrets to the keyring and
/// history to the database; all or nothing (a problem names its place in the file, such as
/// `subscriptions[2].retry.max_ms`, and nothing is saved). A taken name fails the import unless
/// `rename`, which picks "NAME (2)"…. The subscriptions added are not started here: apply them
/// to the monitor with a store sync. Blocks on SQLite and the keyring: run it on a blocking
/// thread (inside the runtime's `block_on`).
pub async fn import_subscriptions(
    catalog: &Catalog,
    path: &Path,
    rename: bool,
) -> Result<ImportDone> {
    let text = read_import_file(path)?;
    let what = path.display().to_string();
    let file = export_format::parse(&text, &what).map_err(CatalogError::from)?;
    drop(text);
    let imported = catalog.import(&file, &what, rename).await?;
    Ok(import_done(&imported))
}

/// What an import did, its warnings worded for the window.
pub fn import_done(imported: &[Imported]) -> ImportDone {
    let mut warnings = Vec::new();
    for i in imported {
        for missing in &i.missing_secrets {
            warnings.push(if missing.starts_with("URL ") {
                format!(
                    "{:?}: the file has no value for the {missing} (it was exported masked), so it \
                     was left out of the URL. Put it back with Edit.",
                    i.name
                )
            } else {
                format!(
                    "{:?}: the file has no value for the secret header {missing:?}, so it was left \
                     out. Set it with Edit.",
                    i.name
                )
            });
        }
    }
    ImportDone {
        added: imported
            .iter()
            .map(|i| ImportedView {
                id: i.id.0,
                name: i.name.clone(),
                from_name: i.from_name.clone(),
                messages: i.messages as u64,
            })
            .collect(),
        warnings,
    }
}
