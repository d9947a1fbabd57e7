//! `streamwatch subs`: saved subscriptions, edited in the database directly (no connection is
//! made). A running `streamwatch run` notices the changes within about 2 seconds.

use std::io::{self, Write};
use std::path::Path;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use streamwatch_engine::catalog::SubscriptionRecord;
use streamwatch_engine::secrets::{SecretError, SecretRef};

use crate::curl_paste::record_from_curl;
use crate::data_dir::open_catalog;
use crate::sub_options::SubOptions;
use crate::subs_view::{list_row, print_show, print_table, show_view};
use crate::usage::{catalog_error, UsageError};

/// `streamwatch subs …`.
#[derive(Args, Debug)]
pub struct SubsArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: SubsCommand,
}

/// The `subs` subcommands.
#[derive(Subcommand, Debug)]
pub enum SubsCommand {
    /// Save a new subscription (checked first: URL, headers, method, retry settings).
    ///
    /// It starts with the next `streamwatch run` (or at once in a running one), unless
    /// --paused. Secret header values go to the OS keyring, never to the database.
    #[command(after_help = "Examples:\n  \
        streamwatch subs add ticks http://127.0.0.1:8787/events\n  \
        streamwatch subs add feed https://example.com/feed \\\n    \
        --secret-header 'Authorization: Bearer TOKEN' --keep-days 7\n  \
        streamwatch subs add feed --from-curl \\\n    \
        'curl https://example.com/feed -H \"Authorization: Bearer TOKEN\"'")]
    Add(AddArgs),
    /// List saved subscriptions: id, name, paused or enabled, URL, messages stored, last id.
    List(ListArgs),
    /// Show one subscription: its settings (secret values as ••••), where it resumes, its
    /// counters, recent state transitions and gaps.
    Show(ShowArgs),
    /// Change a saved subscription's settings; flags left out keep their value.
    ///
    /// Its position in the stream is kept unless --last-event-id is given.
    Edit(EditArgs),
    /// Delete a subscription with its history and its keyring secrets.
    Remove(Target),
    /// Pause a subscription: `run` closes its stream and keeps it closed.
    Pause(Target),
    /// Resume a paused subscription.
    Resume(Target),
}

/// Flags of `subs add`.
#[derive(Args, Debug)]
pub struct AddArgs {
    /// A unique name (letters' case is ignored when comparing); not a plain number.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// The stream's URL (http:// or https://); with --from-curl, it replaces the paste's.
    #[arg(value_name = "URL", required_unless_present = "from_curl")]
    pub url: Option<String>,
    /// A curl command line (a browser's "Copy as cURL", bash or cmd, or a terminal line): its
    /// URL, method, headers and body; Authorization, Cookie and API-key-like headers become
    /// secret. The other flags override what it gives.
    #[arg(long, value_name = "CURL COMMAND")]
    pub from_curl: Option<String>,
    /// Settings.
    #[command(flatten)]
    pub options: SubOptions,
    /// Save it paused.
    #[arg(long)]
    pub paused: bool,
}

/// Flags of `subs list`.
#[derive(Args, Debug)]
pub struct ListArgs {
    /// Print a JSON array instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Flags of `subs show`.
#[derive(Args, Debug)]
pub struct ShowArgs {
    /// The subscription's name or id.
    #[arg(value_name = "NAME|ID")]
    pub target: String,
    /// Print one JSON object instead of lines of text.
    #[arg(long)]
    pub json: bool,
}

/// Flags of `subs edit`.
#[derive(Args, Debug)]
pub struct EditArgs {
    /// The subscription's name or id.
    #[arg(value_name = "NAME|ID")]
    pub target: String,
    /// A new name.
    #[arg(long, value_name = "NEW")]
    pub name: Option<String>,
    /// A new URL.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// Remove every header with this name (secret or not); repeatable.
    #[arg(long = "remove-header", value_name = "NAME")]
    pub remove_headers: Vec<String>,
    /// Send no request body any more.
    #[arg(long, conflicts_with = "body")]
    pub no_body: bool,
    /// Settings.
    #[command(flatten)]
    pub options: SubOptions,
}

/// A subscription named on the command line.
#[derive(Args, Debug)]
pub struct Target {
    /// The subscription's name or id.
    #[arg(value_name = "NAME|ID")]
    pub target: String,
}

/// Runs `streamwatch subs …` on the database in `dir`.
pub fn run(dir: &Path, args: &SubsArgs) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    match &args.command {
        SubsCommand::Add(a) => add(dir, a, &mut out),
        SubsCommand::List(a) => list(dir, a, &mut out),
        SubsCommand::Show(a) => show(dir, a, &mut out),
        SubsCommand::Edit(a) => edit(dir, a, &mut out),
        SubsCommand::Remove(t) => remove(dir, t, &mut out),
        SubsCommand::Pause(t) => set_paused(dir, t, true, &mut out),
        SubsCommand::Resume(t) => set_paused(dir, t, false, &mut out),
    }
}

fn add(dir: &Path, a: &AddArgs, out: &mut impl Write) -> anyhow::Result<()> {
    let mut record = match &a.from_curl {
        Some(curl) => {
            let mut r = record_from_curl(a.name.trim(), curl, &mut io::stderr())?;
            if let Some(url) = &a.url {
                r.url = url.trim().to_string();
            }
            r
        }
        None => SubscriptionRecord::new(a.name.trim(), a.url.as_deref().unwrap_or("").trim()),
    };
    record.paused = a.paused;
    a.options.apply(&mut record)?;
    let catalog = open_catalog(dir)?;
    let id = catalog.add(&record).map_err(catalog_error)?;
    let paused = if record.paused { ", paused" } else { "" };
    writeln!(
        out,
        "added subscription {:?} (id {id}{paused})",
        record.name
    )?;
    Ok(())
}

fn list(dir: &Path, a: &ListArgs, out: &mut impl Write) -> anyhow::Result<()> {
    let catalog = open_catalog(dir)?;
    let rows = catalog
        .subscriptions()?
        .iter()
        .map(|s| list_row(&catalog, s))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if a.json {
        serde_json::to_writer_pretty(&mut *out, &rows)?;
        writeln!(out)?;
    } else {
        print_table(out, &rows)?;
    }
    Ok(())
}

fn show(dir: &Path, a: &ShowArgs, out: &mut impl Write) -> anyhow::Result<()> {
    let catalog = open_catalog(dir)?;
    let saved = catalog.find(&a.target)?;
    let view = show_view(&catalog, &saved)?;
    if a.json {
        serde_json::to_writer_pretty(&mut *out, &view)?;
        writeln!(out)?;
    } else {
        print_show(out, &view)?;
    }
    Ok(())
}

fn edit(dir: &Path, a: &EditArgs, out: &mut impl Write) -> anyhow::Result<()> {
    let catalog = open_catalog(dir)?;
    let saved = catalog.find(&a.target)?;
    let mut record = saved.record.clone();
    if let Some(name) = &a.name {
        record.name = name.trim().to_owned();
    }
    if let Some(url) = &a.url {
        record.url = url.trim().to_owned();
    }
    for name in &a.remove_headers {
        let before = record.headers.len();
        record
            .headers
            .retain(|h| !h.name.eq_ignore_ascii_case(name.trim()));
        if record.headers.len() == before {
            return Err(UsageError::Invalid(format!(
                "--remove-header {name:?}: {:?} has no such header",
                saved.record.name
            ))
            .into());
        }
    }
    if a.no_body {
        record.body = None;
    }
    a.options.apply(&mut record)?;
    if record == saved.record {
        writeln!(out, "nothing to change in {:?}", saved.record.name)?;
        return Ok(());
    }
    let edited = catalog.edit(saved.id, &record).map_err(catalog_error)?;
    warn_orphaned(&edited.orphaned);
    writeln!(
        out,
        "updated subscription {:?} (id {})",
        edited.new.name, saved.id
    )?;
    Ok(())
}

fn remove(dir: &Path, t: &Target, out: &mut impl Write) -> anyhow::Result<()> {
    let catalog = open_catalog(dir)?;
    let saved = catalog.find(&t.target)?;
    let (_, orphaned) = catalog
        .remove(saved.id)
        .with_context(|| format!("cannot remove {:?}", saved.record.name))?;
    warn_orphaned(&orphaned);
    writeln!(
        out,
        "removed subscription {:?} (id {}) and its history",
        saved.record.name, saved.id
    )?;
    Ok(())
}

fn set_paused(dir: &Path, t: &Target, paused: bool, out: &mut impl Write) -> anyhow::Result<()> {
    let catalog = open_catalog(dir)?;
    let saved = catalog.find(&t.target)?;
    if !catalog.set_paused(saved.id, paused)? {
        let state = if paused { "paused" } else { "enabled" };
        writeln!(out, "{:?} is already {state}", saved.record.name)?;
        return Ok(());
    }
    let word = if paused { "paused" } else { "resumed" };
    writeln!(
        out,
        "{word} subscription {:?} (id {})",
        saved.record.name, saved.id
    )?;
    Ok(())
}

/// Keyring items that could not be deleted hold a value nothing points at any more: say so,
/// without failing a command whose change was saved.
pub fn warn_orphaned(orphaned: &[(SecretRef, SecretError)]) {
    for (r, e) in orphaned {
        eprintln!("streamwatch: warning: could not delete the keyring item {r}: {e}");
    }
}
