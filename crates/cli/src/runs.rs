//! `streamwatch runs NAME`: a saved subscription's stored runs (probe runs and finite streams'
//! runs), newest first, as a table, JSON lines or CSV (the runs file of
//! [`streamwatch_engine::runs_format`], the same the app exports).

use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::time::{Duration, SystemTime};

use clap::Args;
use jiff::Timestamp;
use streamwatch_engine::catalog::Catalog;
use streamwatch_engine::history_format::HistoryFormat;
use streamwatch_engine::runs_format::RunsWriter;
use streamwatch_engine::storage::StoredRun;
use streamwatch_engine::SubscriptionId;

use crate::data_dir::open_catalog;

/// Flags of `streamwatch runs`.
#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
        streamwatch runs \"LLM probe\"\n  \
        streamwatch runs 3 --limit 5 --json\n  \
        streamwatch runs \"LLM probe\" --all --csv > runs.csv")]
pub struct RunsArgs {
    /// The subscription's name or id.
    #[arg(value_name = "NAME|ID")]
    pub target: String,

    /// Only the newest N runs (default 20, at most 1000).
    #[arg(long, value_name = "N", default_value_t = 20,
          value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub limit: u64,

    /// One JSON object per run and line, with the assembled text.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,

    /// CSV with a header row (every figure, the failure and the assembled text), for a
    /// spreadsheet.
    #[arg(long)]
    pub csv: bool,

    /// Every stored run (a subscription keeps its newest 1,000), not only the newest --limit.
    #[arg(long, conflicts_with = "limit")]
    pub all: bool,
}

fn rfc3339(t: SystemTime) -> String {
    Timestamp::try_from(t).map_or_else(|_| String::new(), |t| t.to_string())
}

fn ms_cell(ms: Option<u64>) -> String {
    ms.map_or_else(|| "-".into(), |ms| format!("{ms}"))
}

/// The answer's first line, cut short for the table.
fn excerpt(text: Option<&str>) -> String {
    let line = text.unwrap_or("").lines().next().unwrap_or("");
    match line.char_indices().nth(40) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_string(),
    }
}

/// The table's header, aligned with [`run_row`].
const HEADER: &str =
    "STARTED               STATUS    TTFB MS    TTFT MS  DURATION  END            RESULT  ANSWER";

/// One run as a table row.
fn run_row(r: &StoredRun) -> String {
    let result = match (r.ok, &r.failure) {
        (None, _) => "running".to_string(),
        (Some(true), _) => "ok".to_string(),
        (Some(false), Some(f)) => format!("failed: {f}"),
        (Some(false), None) => "failed".to_string(),
    };
    let end = r.end.map_or("-", |e| e.as_str());
    let duration = r.duration_ms.map_or_else(
        || "-".into(),
        |ms| streamwatch_engine::liveness::words(Duration::from_millis(ms)),
    );
    format!(
        "{:<20}  {:>6}  {:>9}  {:>9}  {:>8}  {:<13}  {}  {}",
        rfc3339(r.started_at),
        r.status.map_or_else(|| "-".into(), |s| s.to_string()),
        ms_cell(r.ttfb_ms),
        ms_cell(r.first_token_ms),
        duration,
        end,
        result,
        excerpt(r.text.as_deref()),
    )
}

/// Prints the runs `args` asks for.
pub fn run(dir: &Path, args: &RunsArgs) -> anyhow::Result<()> {
    let catalog = open_catalog(dir)?;
    let saved = catalog.find(&args.target)?;
    let out = BufWriter::new(io::stdout().lock());
    let file_format = match (args.json, args.csv) {
        (true, _) => Some(HistoryFormat::Jsonl),
        (_, true) => Some(HistoryFormat::Csv),
        _ => None,
    };
    let res = match file_format {
        Some(format) => write_file(&catalog, saved.id, args, format, out),
        None => write_table(&catalog, &saved.record.name, saved.id, args, out),
    };
    match res {
        // Nobody reads any more (`| head`): that is not a failure.
        Err(e) if broken_pipe(&e) => Ok(()),
        other => other,
    }
}

fn broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// The newest `--limit` runs (every run with `--all`) as JSON lines or CSV.
fn write_file(
    catalog: &Catalog,
    id: SubscriptionId,
    args: &RunsArgs,
    format: HistoryFormat,
    out: impl Write,
) -> anyhow::Result<()> {
    let mut w = RunsWriter::new(out, format)?;
    if args.all {
        catalog.export_runs(id, &mut w)?;
    } else {
        for r in &catalog.runs(id, limit(args), None)? {
            w.write(r)?;
        }
    }
    w.finish()?;
    Ok(())
}

fn limit(args: &RunsArgs) -> usize {
    usize::try_from(args.limit).unwrap_or(1000)
}

/// The newest runs as a table for people.
fn write_table(
    catalog: &Catalog,
    name: &str,
    id: SubscriptionId,
    args: &RunsArgs,
    mut out: impl Write,
) -> anyhow::Result<()> {
    let limit = if args.all { 1000 } else { limit(args) };
    let runs = catalog.runs(id, limit, None)?;
    if runs.is_empty() {
        writeln!(out, "No runs stored for {name} yet.")?;
    } else {
        writeln!(out, "{HEADER}")?;
        for r in &runs {
            writeln!(out, "{}", run_row(r))?;
        }
    }
    out.flush()?;
    Ok(())
}
