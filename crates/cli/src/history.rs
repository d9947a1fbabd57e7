//! `streamwatch history`: a saved subscription's stored messages, oldest first, as JSON lines
//! or CSV.

use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::time::{Duration, SystemTime};

use clap::{Args, ValueEnum};
use jiff::Timestamp;
use serde::Serialize;
use streamwatch_engine::catalog::{Catalog, HistoryQuery, StoredMessage};
use streamwatch_engine::SubscriptionId;

use crate::data_dir::open_catalog;
use crate::subs_view::stamp;

/// Rows read from the database at a time when printing a whole history.
const PAGE: usize = 5000;

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

/// One JSON line.
#[derive(Serialize)]
struct JsonMessage<'a> {
    seq: u64,
    received_at: String,
    event: &'a str,
    id: &'a str,
    data: &'a str,
    /// Present (true) only for an event the server re-sent after a reconnect, as in
    /// `watch --json`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    replayed: bool,
}

/// Prints the history `args` asks for.
pub fn run(dir: &Path, args: &HistoryArgs) -> anyhow::Result<()> {
    let store = open_catalog(dir)?;
    let saved = store.find(&args.target)?;
    let since = args.since.map(|s| s.time(SystemTime::now()));
    let out = BufWriter::new(io::stdout().lock());
    let mut sink = Sink::new(out, args.format)?;
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
            rows.iter().try_for_each(|m| sink.write(m))
        }
        None => write_all(&store, saved.id, since, &mut sink),
    };
    match res.and_then(|()| sink.finish()) {
        // Nobody reads any more (`| head`): that is not a failure.
        Err(e) if is_broken_pipe(&e) => Ok(()),
        other => other,
    }
}

/// Streams every matching message, a page at a time, so a large history is never all in memory.
fn write_all(
    store: &Catalog,
    id: SubscriptionId,
    since: Option<SystemTime>,
    sink: &mut Sink<impl Write>,
) -> anyhow::Result<()> {
    let mut after = None;
    loop {
        let q = HistoryQuery {
            since,
            after_seq: after,
            limit: PAGE,
            ..Default::default()
        };
        let rows = store.history(id, &q)?;
        for m in &rows {
            sink.write(m)?;
        }
        match rows.last() {
            Some(last) if rows.len() == PAGE => after = Some(last.seq),
            _ => return Ok(()),
        }
    }
}

enum Sink<W: Write> {
    Jsonl(W),
    // Boxed: the CSV writer carries its own buffer and state.
    Csv(Box<csv::Writer<W>>),
}

impl<W: Write> Sink<W> {
    fn new(out: W, format: HistoryFormat) -> anyhow::Result<Self> {
        Ok(match format {
            HistoryFormat::Jsonl => Sink::Jsonl(out),
            HistoryFormat::Csv => {
                let mut w = csv::WriterBuilder::new()
                    .quote_style(csv::QuoteStyle::Necessary)
                    .from_writer(out);
                w.write_record(["seq", "received_at", "event", "id", "data", "replayed"])?;
                Sink::Csv(Box::new(w))
            }
        })
    }

    fn write(&mut self, m: &StoredMessage) -> anyhow::Result<()> {
        let received_at = stamp(m.received_at);
        match self {
            Sink::Jsonl(out) => {
                let line = JsonMessage {
                    seq: m.seq,
                    received_at,
                    event: &m.event,
                    id: &m.id,
                    data: &m.data,
                    replayed: m.replayed,
                };
                serde_json::to_writer(&mut *out, &line)?;
                out.write_all(b"\n")?;
            }
            Sink::Csv(w) => {
                let seq = m.seq.to_string();
                // Event, id and data are the server's words: defuse them for spreadsheets.
                w.write_record([
                    seq.as_str(),
                    received_at.as_str(),
                    &csv_safe(&m.event),
                    &csv_safe(&m.id),
                    &csv_safe(&m.data),
                    if m.replayed { "true" } else { "false" },
                ])?;
            }
        }
        Ok(())
    }

    fn finish(self) -> anyhow::Result<()> {
        match self {
            Sink::Jsonl(mut out) => out.flush()?,
            Sink::Csv(mut w) => w.flush()?,
        }
        Ok(())
    }
}

/// A CSV cell a spreadsheet will not run as a formula (OWASP's CSV injection rule): text
/// beginning with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, which
/// Excel, LibreOffice and Google Sheets take as "this is text". A hostile stream could
/// otherwise plant `=HYPERLINK(…)` or `=cmd|…` in a user's export.
pub fn csv_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
            || cause.downcast_ref::<csv::Error>().is_some_and(|c| {
                matches!(c.kind(), csv::ErrorKind::Io(io) if io.kind() == io::ErrorKind::BrokenPipe)
            })
            || cause.downcast_ref::<serde_json::Error>().is_some_and(|j| {
                j.io_error_kind() == Some(io::ErrorKind::BrokenPipe)
            })
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
fn parse_duration(text: &str) -> Option<Duration> {
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
    fn csv_cells_that_could_be_formulas_get_a_quote() {
        for risky in [
            "=1+1",
            "+1",
            "-1",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "=cmd|' /C calc'!A0",
        ] {
            assert_eq!(csv_safe(risky), format!("'{risky}"), "{risky:?}");
        }
        for plain in ["", "1", "tick", " =1", "a=b", "'x", "{\"n\":1}"] {
            assert_eq!(csv_safe(plain), plain, "{plain:?}");
        }
    }

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
