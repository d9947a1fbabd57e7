//! The runs file: stored runs (probe runs and finite streams' runs) as JSON lines or CSV, as
//! `streamwatch runs` prints them and the app's "Export runs" writes them. One writer for both,
//! so the columns and the spreadsheet-safety rule cannot drift apart.

use std::io::{self, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::export_format::rfc3339_millis;
use crate::history_format::{csv_safe, HistoryFormat};
use crate::row_sink::{csv_io, RowSink};
use crate::storage::StoredRun;

/// The CSV header row.
pub const RUN_CSV_COLUMNS: [&str; 19] = [
    "id",
    "probe",
    "started_at",
    "ended_at",
    "ok",
    "status",
    "ttfb_ms",
    "first_event_ms",
    "first_token_ms",
    "duration_ms",
    "events",
    "bytes",
    "end",
    "sentinel",
    "format",
    "finish_reason",
    "usage",
    "failure",
    "text",
];

/// RFC 3339 with milliseconds, as the other files write times; empty for a time before 1970.
fn stamp(t: SystemTime) -> String {
    jiff::Timestamp::try_from(t).map_or_else(|_| String::new(), rfc3339_millis)
}

fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// One run as a JSON object: every stored figure, the assembled text and why it failed.
pub fn run_json(r: &StoredRun) -> Value {
    json!({
        "id": r.id,
        "probe": r.probe,
        "started_at": stamp(r.started_at),
        "started_at_ms": unix_ms(r.started_at),
        "ended_at": r.ended_at.map(stamp),
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

fn cell<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(String::new, |v| v.to_string())
}

/// One run as CSV cells, in [`RUN_CSV_COLUMNS`]' order. Every text cell a server or a person
/// wrote goes through [`csv_safe`].
fn run_cells(r: &StoredRun) -> Vec<String> {
    vec![
        r.id.to_string(),
        r.probe.to_string(),
        stamp(r.started_at),
        cell(r.ended_at.map(stamp)),
        cell(r.ok),
        cell(r.status),
        cell(r.ttfb_ms),
        cell(r.first_event_ms),
        cell(r.first_token_ms),
        cell(r.duration_ms),
        cell(r.events),
        cell(r.bytes),
        cell(r.end.map(|e| e.as_str())),
        csv_safe(r.sentinel.as_deref().unwrap_or("")).into_owned(),
        csv_safe(r.format.as_deref().unwrap_or("")).into_owned(),
        csv_safe(r.finish_reason.as_deref().unwrap_or("")).into_owned(),
        csv_safe(&r.usage.as_ref().map(Value::to_string).unwrap_or_default()).into_owned(),
        csv_safe(r.failure.as_deref().unwrap_or("")).into_owned(),
        csv_safe(r.text.as_deref().unwrap_or("")).into_owned(),
    ]
}

/// Writes runs one by one to `W` (give it a buffered writer).
pub struct RunsWriter<W: Write> {
    sink: RowSink<W>,
    written: u64,
}

impl<W: Write> RunsWriter<W> {
    /// Starts a file (the CSV header row).
    pub fn new(out: W, format: HistoryFormat) -> io::Result<Self> {
        let sink = match format {
            HistoryFormat::Jsonl => RowSink::jsonl(out),
            HistoryFormat::Csv => RowSink::csv(out, &RUN_CSV_COLUMNS)?,
        };
        Ok(RunsWriter { sink, written: 0 })
    }

    /// Writes one run.
    pub fn write(&mut self, r: &StoredRun) -> io::Result<()> {
        match &mut self.sink {
            RowSink::Jsonl(w) => writeln!(w, "{}", run_json(r))?,
            RowSink::Csv(w) => w.write_record(run_cells(r)).map_err(csv_io)?,
        }
        self.written += 1;
        Ok(())
    }

    /// Runs written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Flushes and hands the output back.
    pub fn finish(self) -> io::Result<W> {
        self.sink.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run_summary::EndReason;
    use std::time::Duration;

    fn run(text: &str, failure: Option<&str>) -> StoredRun {
        StoredRun {
            id: 7,
            probe: true,
            started_at: UNIX_EPOCH + Duration::from_millis(1_700_000_000_123),
            ended_at: Some(UNIX_EPOCH + Duration::from_millis(1_700_000_001_523)),
            ok: Some(failure.is_none()),
            status: Some(200),
            ttfb_ms: Some(40),
            first_event_ms: Some(90),
            first_token_ms: Some(120),
            duration_ms: Some(1400),
            events: Some(12),
            bytes: Some(2048),
            end: Some(EndReason::DoneSentinel),
            sentinel: Some("[DONE]".into()),
            format: Some("openai-chat".into()),
            text: Some(text.into()),
            text_truncated: false,
            finish_reason: Some("stop".into()),
            usage: Some(json!({"total_tokens": 21})),
            failure: failure.map(Into::into),
        }
    }

    fn written(format: HistoryFormat, runs: &[StoredRun]) -> String {
        let mut w = RunsWriter::new(Vec::new(), format).expect("header");
        for r in runs {
            w.write(r).expect("row");
        }
        assert_eq!(w.written(), runs.len() as u64);
        String::from_utf8(w.finish().expect("finish")).expect("utf-8")
    }

    #[test]
    fn json_lines_carry_every_figure_and_the_text() {
        let out = written(HistoryFormat::Jsonl, &[run("Hello, world", None)]);
        let v: Value = serde_json::from_str(out.trim()).expect("one JSON line");
        assert_eq!(v["first_token_ms"], 120);
        assert_eq!(v["end"], "done-sentinel");
        assert_eq!(v["text"], "Hello, world");
        assert_eq!(v["usage"]["total_tokens"], 21);
        assert_eq!(v["started_at"], "2023-11-14T22:13:20.123Z");
    }

    #[test]
    fn csv_has_the_header_quotes_multiline_text_and_defuses_formulas() {
        let out = written(
            HistoryFormat::Csv,
            &[
                run("line one\nline, two", None),
                run("=HYPERLINK(1)", Some("+refused")),
            ],
        );
        let mut r = csv::Reader::from_reader(out.as_bytes());
        assert_eq!(r.headers().expect("header").len(), RUN_CSV_COLUMNS.len());
        let rows: Vec<csv::StringRecord> = r.records().map(|r| r.expect("row")).collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(&rows[0][18], "line one\nline, two");
        assert_eq!(&rows[1][18], "'=HYPERLINK(1)");
        assert_eq!(&rows[1][17], "'+refused");
        assert_eq!(&rows[1][4], "false");
    }
}
