//! `streamwatch import`: adds the subscriptions of an export file, their secrets to the OS
//! keyring and their history to the database. All or nothing: if one cannot be added, those
//! already added are removed again.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context as _};
use clap::Args;
use streamwatch_engine::catalog::CatalogError;
use streamwatch_engine::export_format::parse;

use crate::data_dir::open_catalog;

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

/// Imports the file `args` names into the database in `dir`.
pub fn run(dir: &Path, args: &ImportArgs) -> anyhow::Result<()> {
    let what = if args.file.as_os_str() == "-" {
        "standard input".to_owned()
    } else {
        args.file.display().to_string()
    };
    let text = read(&args.file).with_context(|| format!("cannot read {what}"))?;
    let file = parse(&text, &what)?;
    let catalog = open_catalog(dir)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let imported = rt
        .block_on(catalog.import(&file, &what, args.rename))
        .map_err(|e| match e {
            CatalogError::ImportClash(names) => {
                let names: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
                anyhow!(
                    "subscriptions named {} already exist; nothing was imported (use --rename \
                     to import them under new names, or remove them first)",
                    names.join(", ")
                )
            }
            other => other.into(),
        })?;
    let mut messages = 0;
    for i in &imported {
        messages += i.messages;
        if i.name != i.from_name {
            println!(
                "{:?} was imported as {:?} (the name was taken)",
                i.from_name, i.name
            );
        }
        for header in &i.missing_secrets {
            if header.starts_with("URL ") {
                eprintln!(
                    "streamwatch: warning: {:?}: the file has no value for the {header}, so it \
                     was left out of the URL; put it back with `streamwatch subs edit {:?} \
                     --url URL`",
                    i.name, i.name
                );
                continue;
            }
            eprintln!(
                "streamwatch: warning: {:?}: the file has no value for the secret header \
                 {header:?}, so it was left out; set it with `streamwatch subs edit {:?} \
                 --secret-header '{header}: VALUE'`",
                i.name, i.name
            );
        }
    }
    println!(
        "imported {} subscription(s) and {messages} stored message(s) from {what}",
        imported.len()
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
