//! Export and import of saved subscriptions (the file of `export_format`, EXPORT_FORMAT.md):
//! the one export loop the CLI and the app share, and an import that is all or nothing.

use super::error::CatalogError;
use super::file_entries::{check_entries, entry_error};
use super::saved::Catalog;
use super::sealing;
use crate::export_format::{
    rfc3339_millis, ExportFile, ExportedMessage, ExportedSubscription, FORMAT, VERSION,
};
use crate::ids::SubscriptionId;
use crate::record::Record;
use crate::storage::{HistoryQuery, StorageError, SubscriptionRecord, Writer, WriterConfig};

/// What to put in an export.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportOptions {
    /// Each subscription's stored messages, oldest first.
    pub with_history: bool,
    /// Secret header values in plain text, read from the keyring; without it a secret header
    /// is exported with its name only.
    pub with_secrets: bool,
}

/// An export, and how many subscriptions' secrets it reveals (for the caller's warning).
#[derive(Debug)]
pub struct Export {
    /// The file's content.
    pub file: ExportFile,
    /// Subscriptions whose secret values the file holds in plain text.
    pub revealed: usize,
}

impl Export {
    /// The file as pretty JSON text, ending in a newline.
    pub fn to_json(&self) -> Result<String, CatalogError> {
        let mut text = serde_json::to_string_pretty(&self.file)
            .map_err(|e| StorageError::Invalid(format!("cannot write the export: {e}")))?;
        text.push('\n');
        Ok(text)
    }
}

/// One imported subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    /// Its id now.
    pub id: SubscriptionId,
    /// Its name in the file.
    pub from_name: String,
    /// Its name now (differs when the file's was taken and renaming was asked for).
    pub name: String,
    /// Secret headers the file had no value for, left out.
    pub missing_secrets: Vec<String>,
    /// Stored messages imported with it.
    pub messages: usize,
}

impl Catalog {
    /// Every subscription in the export format.
    pub fn export(&self, opts: ExportOptions) -> Result<Export, CatalogError> {
        let mut subscriptions = Vec::new();
        let mut revealed = 0;
        for s in self.subscriptions()? {
            let record = if opts.with_secrets && sealing::has_secrets(&s.record) {
                revealed += 1;
                sealing::reveal(self.secrets(), &s.record).map_err(|source| {
                    CatalogError::SecretsOf {
                        name: s.record.name.clone(),
                        source,
                    }
                })?
            } else {
                s.record.clone()
            };
            let resume = self.resume_point(s.id)?;
            let mut exported =
                ExportedSubscription::from_saved(&s, &record, opts.with_secrets, resume);
            if opts.with_history {
                let rows = self.history(s.id, &HistoryQuery::default())?;
                exported.history = Some(rows.iter().map(ExportedMessage::from_stored).collect());
            }
            subscriptions.push(exported);
        }
        Ok(Export {
            file: ExportFile {
                format: FORMAT.into(),
                version: VERSION,
                exported_at: Some(rfc3339_millis(jiff::Timestamp::now())),
                subscriptions,
            },
            revealed,
        })
    }

    /// Adds every subscription of `file` (named `what` in errors), its secrets to the keyring
    /// and its history through the engine's writer (so seqs, counters and the resume point are
    /// kept exactly as for received messages). All or nothing: every entry is checked first,
    /// and on any failure what was added is removed again. A taken name fails the import
    /// unless `rename`, which picks "NAME (2)", "NAME (3)"….
    pub async fn import(
        &self,
        file: &ExportFile,
        what: &str,
        rename: bool,
    ) -> Result<Vec<Imported>, CatalogError> {
        let mut plan: Vec<_> = file
            .subscriptions
            .iter()
            .zip(check_entries(&file.subscriptions, what)?)
            .map(|(s, (record, missing))| (s, record, missing))
            .collect();
        self.name_all(&mut plan, rename)?;

        let mut added: Vec<SubscriptionId> = Vec::new();
        let mut done = Vec::with_capacity(plan.len());
        let res = async {
            for (index, (from, record, missing)) in plan.iter().enumerate() {
                let id = self
                    .add(record)
                    .map_err(|e| entry_error(index, &from.name, what, None, e))?;
                added.push(id);
                done.push(Imported {
                    id,
                    from_name: from.name.trim().to_string(),
                    name: record.name.clone(),
                    missing_secrets: missing.clone(),
                    messages: from.history.as_ref().map_or(0, Vec::len),
                });
            }
            self.import_history(&plan, &added).await
        }
        .await;
        if let Err(e) = res {
            for id in added {
                // Best effort: the import failed as a whole and says so.
                let _ = self.remove(id);
            }
            return Err(e);
        }
        Ok(done)
    }

    /// Refuses names already saved, or with `rename` picks free ones.
    fn name_all(
        &self,
        plan: &mut [(&ExportedSubscription, SubscriptionRecord, Vec<String>)],
        rename: bool,
    ) -> Result<(), CatalogError> {
        let mut taken: Vec<String> = self
            .subscriptions()?
            .into_iter()
            .map(|s| s.record.name.to_lowercase())
            .collect();
        let mut clashes = Vec::new();
        for (_, record, _) in plan.iter_mut() {
            let base = record.name.clone();
            if taken.contains(&base.to_lowercase()) {
                if !rename {
                    clashes.push(base);
                    continue;
                }
                record.name = (2..)
                    .map(|n| format!("{base} ({n})"))
                    .find(|candidate| !taken.contains(&candidate.to_lowercase()))
                    .unwrap_or(base);
            }
            taken.push(record.name.to_lowercase());
        }
        if clashes.is_empty() {
            Ok(())
        } else {
            Err(CatalogError::ImportClash(clashes))
        }
    }

    async fn import_history(
        &self,
        plan: &[(&ExportedSubscription, SubscriptionRecord, Vec<String>)],
        added: &[SubscriptionId],
    ) -> Result<(), CatalogError> {
        if plan.iter().all(|(from, _, _)| from.history.is_none()) {
            return Ok(());
        }
        let writer = Writer::spawn(self.path(), WriterConfig::default())?;
        let tx = writer.sender();
        for ((from, _, _), id) in plan.iter().zip(added) {
            let Some(history) = &from.history else {
                continue;
            };
            for m in history {
                let record = Record::Message {
                    sub: *id,
                    at: m.received_at()?,
                    event: m.event.as_str().into(),
                    id: m.id.as_str().into(),
                    data: m.data.as_str().into(),
                    replayed: m.replayed,
                    mismatch: None,
                };
                tx.send(record)
                    .await
                    .map_err(|_| StorageError::WriterStopped)?;
            }
            // A replayed message does not move the stored last id (see the writer), so the
            // resume point to compare with is the last one that was not replayed.
            let last = history.iter().rfind(|m| !m.replayed).map(|m| m.id.as_str());
            if let Some(resume) = from.resume_id.as_deref().filter(|r| Some(*r) != last) {
                tx.send(Record::LastId {
                    sub: *id,
                    id: resume.into(),
                })
                .await
                .map_err(|_| StorageError::WriterStopped)?;
            }
        }
        drop(tx);
        writer.flush().await?;
        writer.shutdown().await?;
        Ok(())
    }
}
