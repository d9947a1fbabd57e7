//! `streamwatch runs NAME`: a saved subscription's stored runs (probe runs and finite streams'
//! runs), newest first, as a table or JSON lines.

use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::Args;
use jiff::Timestamp;
use serde_json::{json, Value};
use streamwatch_engine::storage::StoredRun;

use crate::data_dir::open_catalog;

/// Flags of `streamwatch runs`.
#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
        streamwatch runs \"LLM probe\"\n  \
        streamwatch runs 3 --limit 5 --json")]
pub struct RunsArgs {
    /// The subscription's name or id.
    #[arg(value_name = "NAME|ID")]
    pub target: String,

    /// Only the newest N runs (default 20, at most 1000).
    #[arg(long, value_name = "N", default_value_t = 20,
          value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub limit: u64,

    /// One JSON object per run and line, with the assembled text.
    #[arg(long)]
    pub json: bool,
}

fn rfc3339(t: SystemTime) -> String {
    Timestamp::try_from(t).map_or_else(|_| String::new(), |t| t.to_string())
}

fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// One run as a JSON line.
fn run_json(r: &StoredRun) -> Value {
    json!({
        "id": r.id,
        "probe": r.probe,
        "started_at": rfc3339(r.started_at),
        "started_at_ms": unix_ms(r.started_at),
        "ended_at": r.ended_at.map(rfc3339),
        "ok": r.ok,
        "status": r.status,
        "ttfb_ms": r.ttfb_ms,
        "first_event_ms": r.first_event_ms,
        "first_token_ms": r.first_token_ms,
        "duration_ms": r.duration_ms,
        "events": r.events,
        "bytes": r.bytes,
        "end": r.end.map(|e| e.as_str()),
        "sentinel": r.sentinel,
        "format": r.format,
        "text": r.text,
        "text_truncated": r.text_truncated,
        "finish_reason": r.finish_reason,
        "usage": r.usage,
        "failure": r.failure,
    })
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
    let runs = catalog.runs(saved.id, usize::try_from(args.limit).unwrap_or(1000), None)?;
    let mut out = BufWriter::new(io::stdout().lock());
    let res = (|| -> io::Result<()> {
        if args.json {
            for r in &runs {
                writeln!(out, "{}", run_json(r))?;
            }
        } else if runs.is_empty() {
            writeln!(out, "No runs stored for {} yet.", saved.record.name)?;
        } else {
            writeln!(out, "{HEADER}")?;
            for r in &runs {
                writeln!(out, "{}", run_row(r))?;
            }
        }
        out.flush()
    })();
    match res {
        // Nobody reads any more (`| head`): that is not a failure.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
