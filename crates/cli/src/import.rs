//! `streamwatch import`: adds the subscriptions of an export file, their secrets to the OS
//! keyring and their history to the database. All or nothing: if one cannot be added, those
//! already added are removed again.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context as _};
use clap::Args;
use streamwatch_engine::secrets::SecretRef;
use streamwatch_engine::storage::{Record, Store, SubscriptionRecord, Writer, WriterConfig};
use streamwatch_engine::SubscriptionId;

use crate::data_dir::open_store;
use crate::keyring;
use crate::sub_options::check;
use streamwatch_engine::export_format::{parse, ExportedSubscription};

/// Flags of `streamwatch import`.
#[derive(Args, Debug)]
#[command(after_help = "The file format is documented in EXPORT_FORMAT.md.\n\n\
        Examples:\n  \
        streamwatch import subs.json\n  \
        streamwatch export --data-dir ~/old | streamwatch import - --rename")]
pub struct ImportArgs {
    /// The export file ('-' reads standard input).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// Import a subscription whose name is taken as "NAME (2)" (or 3, …) instead of refusing
    /// the whole import.
    #[arg(long)]
    pub rename: bool,
}

/// One subscription ready to be saved.
struct Planned<'a> {
    from: &'a ExportedSubscription,
    record: SubscriptionRecord,
    missing_secrets: Vec<String>,
}

/// What was saved so far, to undo on failure.
struct Added {
    id: SubscriptionId,
    refs: Vec<SecretRef>,
}

/// Imports the file `args` names into the database in `dir`.
pub fn run(dir: &Path, args: &ImportArgs) -> anyhow::Result<()> {
    let what = if args.file.as_os_str() == "-" {
        "standard input".to_owned()
    } else {
        args.file.display().to_string()
    };
    let text = read(&args.file).with_context(|| format!("cannot read {what}"))?;
    let file = parse(&text, &what)?;
    let mut plan = Vec::with_capacity(file.subscriptions.len());
    for s in &file.subscriptions {
        let (record, missing_secrets) = s.to_record();
        // Bad settings in a file are the file's failure, not a command-line usage error.
        check(&record).map_err(|e| anyhow!("subscription {:?} in {what}: {e}", s.name.trim()))?;
        for m in s.history.iter().flatten() {
            m.received_at()
                .with_context(|| format!("subscription {:?} in {what}", s.name.trim()))?;
        }
        plan.push(Planned {
            from: s,
            record,
            missing_secrets,
        });
    }

    let store = open_store(dir)?;
    name_all(&store, &mut plan, args.rename)?;

    let secrets = keyring::store();
    let mut added: Vec<Added> = Vec::new();
    let res = save_all(&store, &plan, &mut added);
    let res = res.and_then(|()| import_history(&store, &plan, &added));
    if let Err(e) = res {
        for a in &added {
            let _ = store.remove_subscription(a.id);
            keyring::forget(&secrets, &a.refs);
        }
        return Err(e.context("nothing was imported"));
    }

    let messages: usize = plan
        .iter()
        .map(|p| p.from.history.as_ref().map_or(0, Vec::len))
        .sum();
    for p in &plan {
        if p.record.name != p.from.name.trim() {
            println!(
                "{:?} was imported as {:?} (the name was taken)",
                p.from.name.trim(),
                p.record.name
            );
        }
        for header in &p.missing_secrets {
            eprintln!(
                "streamwatch: warning: {:?}: the file has no value for the secret header \
                 {header:?}, so it was left out; set it with `streamwatch subs edit {:?} \
                 --secret-header '{header}: VALUE'`",
                p.record.name, p.record.name
            );
        }
    }
    println!(
        "imported {} subscription(s) and {messages} stored message(s) from {what}",
        plan.len()
    );
    Ok(())
}

fn read(path: &Path) -> std::io::Result<String> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        Ok(text)
    } else {
        std::fs::read_to_string(path)
    }
}

/// Refuses names already saved, or with `rename` picks free ones.
fn name_all(store: &Store, plan: &mut [Planned<'_>], rename: bool) -> anyhow::Result<()> {
    let mut taken: Vec<String> = store
        .subscriptions()?
        .into_iter()
        .map(|s| s.record.name.to_lowercase())
        .collect();
    let mut clashes = Vec::new();
    for p in plan.iter_mut() {
        let base = p.record.name.clone();
        if taken.contains(&base.to_lowercase()) {
            if !rename {
                clashes.push(base);
                continue;
            }
            p.record.name = (2..)
                .map(|n| format!("{base} ({n})"))
                .find(|candidate| !taken.contains(&candidate.to_lowercase()))
                .unwrap_or(base);
        }
        taken.push(p.record.name.to_lowercase());
    }
    if !clashes.is_empty() {
        let names: Vec<String> = clashes.iter().map(|n| format!("{n:?}")).collect();
        bail!(
            "subscriptions named {} already exist; nothing was imported (use --rename to \
             import them under new names, or remove them first)",
            names.join(", ")
        );
    }
    Ok(())
}

fn save_all(store: &Store, plan: &[Planned<'_>], added: &mut Vec<Added>) -> anyhow::Result<()> {
    let secrets = keyring::store();
    for p in plan {
        let (sealed, refs) = if keyring::has_secrets(&p.record) {
            keyring::seal(&secrets, &p.record, None).with_context(|| {
                format!("cannot store the secret headers of {:?}", p.record.name)
            })?
        } else {
            (p.record.clone(), Vec::new())
        };
        match store.add_subscription(&sealed) {
            Ok(id) => added.push(Added { id, refs }),
            Err(e) => {
                keyring::forget(&secrets, &refs);
                return Err(e.into());
            }
        }
    }
    Ok(())
}

/// Writes the imported messages through the engine's writer, so seqs, counters and the resume
/// point are kept exactly as for received ones; then the file's resume point.
fn import_history(store: &Store, plan: &[Planned<'_>], added: &[Added]) -> anyhow::Result<()> {
    if plan.iter().all(|p| p.from.history.is_none()) {
        return Ok(());
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async {
        let writer = Writer::spawn(store.path(), WriterConfig::default())?;
        let tx = writer.sender();
        for (p, a) in plan.iter().zip(added) {
            let Some(history) = &p.from.history else {
                continue;
            };
            for m in history {
                let record = Record::Message {
                    sub: a.id,
                    at: m.received_at()?,
                    event: m.event.as_str().into(),
                    id: m.id.as_str().into(),
                    data: m.data.as_str().into(),
                };
                tx.send(record)
                    .await
                    .map_err(|_| anyhow!("the storage writer stopped"))?;
            }
            let last = history.last().map(|m| m.id.as_str());
            if let Some(resume) = p.from.resume_id.as_deref().filter(|r| Some(*r) != last) {
                tx.send(Record::LastId {
                    sub: a.id,
                    id: resume.into(),
                })
                .await
                .map_err(|_| anyhow!("the storage writer stopped"))?;
            }
        }
        drop(tx);
        writer.flush().await?;
        writer.shutdown().await?;
        anyhow::Ok(())
    })
}
