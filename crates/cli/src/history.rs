//! `streamwatch history`: a saved subscription's stored messages, oldest first, as JSON lines
//! or CSV.

use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::time::{Duration, SystemTime};

use clap::{Args, ValueEnum};
use jiff::Timestamp;
use streamwatch_engine::catalog::{Catalog, HistoryExportError, HistoryQuery, TimeRange};
use streamwatch_engine::history_format::{self, HistoryWriter};
use streamwatch_engine::SubscriptionId;

use crate::data_dir::open_catalog;

/// Flags of `streamwatch history`.
#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
        streamwatch history ticks --since 10m\n  \
        streamwatch history ticks --since 2024-06-01T12:00:00Z --format csv > ticks.csv\n  \
        streamwatch history 3 --limit 20")]
pub struct HistoryArgs {
    /// The subscription's name or id.
    #[arg(value_name = "NAME|ID")]
    pub target: String,

    /// Only messages received since this time: RFC 3339 (2024-06-01T12:00:00Z) or a duration
    /// back from now (90s, 10m, 2h, 1d, 1h30m).
    #[arg(long, value_name = "WHEN", value_parser = parse_since)]
    pub since: Option<Since>,

    /// Only the newest N messages (still printed oldest first).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: Option<u64>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = HistoryFormat::Jsonl)]
    pub format: HistoryFormat,
}

/// How `history` writes messages.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryFormat {
    /// One JSON object per line: seq, received_at, event, id, data (and replayed: true for
    /// an event the server re-sent after a reconnect).
    Jsonl,
    /// RFC 4180 CSV with a header row: seq,received_at,event,id,data,replayed.
    Csv,
}

impl From<HistoryFormat> for history_format::HistoryFormat {
    fn from(f: HistoryFormat) -> Self {
        match f {
            HistoryFormat::Jsonl => history_format::HistoryFormat::Jsonl,
            HistoryFormat::Csv => history_format::HistoryFormat::Csv,
        }
    }
}

/// A `--since` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    /// A point in time.
    At(Timestamp),
    /// This long before now.
    Ago(Duration),
}

impl Since {
    fn time(self, now: SystemTime) -> SystemTime {
        match self {
            Since::At(t) => SystemTime::try_from(t).unwrap_or(SystemTime::UNIX_EPOCH),
            Since::Ago(d) => now.checked_sub(d).unwrap_or(SystemTime::UNIX_EPOCH),
        }
    }
}

/// Prints the history `args` asks for.
pub fn run(dir: &Path, args: &HistoryArgs) -> anyhow::Result<()> {
    let store = open_catalog(dir)?;
    let saved = store.find(&args.target)?;
    let since = args.since.map(|s| s.time(SystemTime::now()));
    let out = BufWriter::new(io::stdout().lock());
    let mut sink = HistoryWriter::new(out, args.format.into(), false)?;
    let res = match args.limit {
        Some(limit) => {
            let q = HistoryQuery {
                since,
                limit: usize::try_from(limit).unwrap_or(usize::MAX),
                newest_first: true,
                ..Default::default()
            };
            let mut rows = store.history(saved.id, &q)?;
            rows.reverse();
            rows.iter()
                .try_for_each(|m| sink.write(&saved.record.name, m))
                .map_err(anyhow::Error::from)
        }
        None => write_all(&store, saved.id, since, &mut sink),
    };
    match res.and_then(|()| sink.finish().map(drop).map_err(anyhow::Error::from)) {
        // Nobody reads any more (`| head`): that is not a failure.
        Err(e) if is_broken_pipe(&e) => Ok(()),
        other => other,
    }
}

/// Streams every matching message, a page at a time, so a large history is never all in memory
/// (the engine's paging, shared with the app's history export).
fn write_all(
    store: &Catalog,
    id: SubscriptionId,
    since: Option<SystemTime>,
    sink: &mut HistoryWriter<impl Write>,
) -> anyhow::Result<()> {
    let range = TimeRange { since, until: None };
    match store.export_history(&[id], range, sink) {
        Ok(_) => Ok(()),
        Err(HistoryExportError::Write(e)) => Err(e.into()),
        Err(HistoryExportError::Catalog(e)) => Err(e.into()),
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    // The history writer reports every failure to write as an io::Error.
    e.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// Parses `--since`: an RFC 3339 time, or a duration such as `10m`, `1h30m`, `2d`.
pub fn parse_since(text: &str) -> Result<Since, String> {
    let text = text.trim();
    if let Ok(t) = text.parse::<Timestamp>() {
        return Ok(Since::At(t));
    }
    parse_duration(text).map(Since::Ago).ok_or_else(|| {
        format!(
            "{text:?} is neither an RFC 3339 time (2024-06-01T12:00:00Z) nor a duration \
             (90s, 10m, 2h, 1d, 1h30m)"
        )
    })
}

/// `90s`, `10m`, `2h`, `1d`, `1w`, or several together (`1h30m`).
pub(crate) fn parse_duration(text: &str) -> Option<Duration> {
    let mut total = Duration::ZERO;
    let mut rest = text;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let n: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit: u64 = match &rest[..unit_len] {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            "w" => 7 * 86_400,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total = total.checked_add(Duration::from_secs(n.checked_mul(unit)?))?;
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_times_and_durations() {
        assert_eq!(parse_since("10m"), Ok(Since::Ago(Duration::from_secs(600))));
        assert_eq!(
            parse_since("1h30m"),
            Ok(Since::Ago(Duration::from_secs(5400)))
        );
        assert_eq!(
            parse_since("2d"),
            Ok(Since::Ago(Duration::from_secs(172_800)))
        );
        let at = parse_since("2024-06-01T12:00:00Z").unwrap();
        assert_eq!(at, Since::At("2024-06-01T12:00:00Z".parse().unwrap()));
        for bad in ["", "10", "m", "10x", "soon", "-5m", "2024-06-01"] {
            assert!(parse_since(bad).is_err(), "{bad}");
        }
    }
}
