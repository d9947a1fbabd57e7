//! The history file: stored messages as JSON lines or CSV, one message at a time, as
//! `streamwatch history` prints them and the app's "Export history" writes them. One writer for
//! both, so the columns and the spreadsheet-safety rule cannot drift apart.

use std::io::{self, Write};

use jiff::Timestamp;
use serde::Serialize;

use crate::export_format::rfc3339_millis;
use crate::row_sink::{csv_io, RowSink};
use crate::storage::StoredMessage;

/// How a history file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryFormat {
    /// One JSON object per line: seq, received_at, event, id, data (and replayed: true for an
    /// event the server re-sent after a reconnect).
    Jsonl,
    /// RFC 4180 CSV with a header row: seq,received_at,event,id,data,replayed.
    Csv,
}

/// The CSV header row (after `subscription` when the file holds several subscriptions).
pub const CSV_COLUMNS: [&str; 6] = ["seq", "received_at", "event", "id", "data", "replayed"];

/// One JSON line.
#[derive(Serialize)]
struct JsonMessage<'a> {
    /// Only in a file of several subscriptions: whose message it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    subscription: Option<&'a str>,
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

/// Writes messages one by one to `W` (give it a buffered writer); nothing is held beyond the
/// message being written.
pub struct HistoryWriter<W: Write> {
    sink: RowSink<W>,
    with_subscription: bool,
    written: u64,
}

impl<W: Write> HistoryWriter<W> {
    /// Starts a file (the CSV header row); `with_subscription` adds a first column (a JSON
    /// field) naming each message's subscription, for a file of several.
    pub fn new(out: W, format: HistoryFormat, with_subscription: bool) -> io::Result<Self> {
        let sink = match format {
            HistoryFormat::Jsonl => RowSink::jsonl(out),
            HistoryFormat::Csv => {
                let mut header: Vec<&str> = Vec::with_capacity(CSV_COLUMNS.len() + 1);
                if with_subscription {
                    header.push("subscription");
                }
                header.extend(CSV_COLUMNS);
                RowSink::csv(out, &header)?
            }
        };
        Ok(HistoryWriter {
            sink,
            with_subscription,
            written: 0,
        })
    }

    /// Writes one message of the subscription named `subscription` (used only when the file
    /// names subscriptions).
    pub fn write(&mut self, subscription: &str, m: &StoredMessage) -> io::Result<()> {
        let received_at =
            Timestamp::try_from(m.received_at).map_or_else(|_| "?".to_owned(), rfc3339_millis);
        let sub = self.with_subscription.then_some(subscription);
        match &mut self.sink {
            RowSink::Jsonl(out) => {
                let line = JsonMessage {
                    subscription: sub,
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
            RowSink::Csv(w) => {
                let seq = m.seq.to_string();
                // Names, events, ids and data are someone else's words: defuse them for
                // spreadsheets.
                if let Some(name) = sub {
                    w.write_field(csv_safe(name).as_ref()).map_err(csv_io)?;
                }
                w.write_record([
                    seq.as_str(),
                    received_at.as_str(),
                    &csv_safe(&m.event),
                    &csv_safe(&m.id),
                    &csv_safe(&m.data),
                    if m.replayed { "true" } else { "false" },
                ])
                .map_err(csv_io)?;
            }
        }
        self.written += 1;
        Ok(())
    }

    /// Messages written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Flushes what is buffered and hands the writer back.
    pub fn finish(self) -> io::Result<W> {
        self.sink.finish()
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn msg(seq: u64, id: &str, data: &str, replayed: bool) -> StoredMessage {
        StoredMessage {
            mismatch: None,
            seq,
            received_at: UNIX_EPOCH + Duration::from_millis(1_717_243_199_120),
            event: "tick".into(),
            id: id.into(),
            data: data.into(),
            replayed,
            size: data.len() as u64,
        }
    }

    fn written(format: HistoryFormat, with_subscription: bool) -> String {
        let mut w = HistoryWriter::new(Vec::new(), format, with_subscription).unwrap();
        w.write("a,b", &msg(1, "7", "{\"n\":7}", false)).unwrap();
        w.write("a,b", &msg(2, "8", "=1+1\nx", true)).unwrap();
        assert_eq!(w.written(), 2);
        String::from_utf8(w.finish().unwrap()).unwrap()
    }

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
    fn json_lines_name_the_subscription_only_when_asked() {
        assert_eq!(
            written(HistoryFormat::Jsonl, false),
            "{\"seq\":1,\"received_at\":\"2024-06-01T11:59:59.120Z\",\"event\":\"tick\",\"id\":\"7\",\"data\":\"{\\\"n\\\":7}\"}\n\
             {\"seq\":2,\"received_at\":\"2024-06-01T11:59:59.120Z\",\"event\":\"tick\",\"id\":\"8\",\"data\":\"=1+1\\nx\",\"replayed\":true}\n"
        );
        let first = written(HistoryFormat::Jsonl, true);
        assert!(
            first.starts_with("{\"subscription\":\"a,b\",\"seq\":1,"),
            "{first}"
        );
    }

    #[test]
    fn csv_has_a_header_quotes_what_needs_it_and_defuses_formulas() {
        assert_eq!(
            written(HistoryFormat::Csv, false),
            "seq,received_at,event,id,data,replayed\n\
             1,2024-06-01T11:59:59.120Z,tick,7,\"{\"\"n\"\":7}\",false\n\
             2,2024-06-01T11:59:59.120Z,tick,8,\"'=1+1\nx\",true\n"
        );
        let text = written(HistoryFormat::Csv, true);
        assert!(
            text.starts_with("subscription,seq,received_at,event,id,data,replayed\n\"a,b\",1,"),
            "{text}"
        );
    }

    #[test]
    fn a_full_disk_is_an_io_error_of_its_kind() {
        // /dev/full fails every write with ENOSPC, as a full disk does.
        let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
            return;
        };
        for format in [HistoryFormat::Jsonl, HistoryFormat::Csv] {
            let err = HistoryWriter::new(io::BufWriter::new(&full), format, false)
                .and_then(|mut w| {
                    w.write("s", &msg(1, "1", "x", false))?;
                    w.finish().map(drop)
                })
                .unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::StorageFull, "{format:?}: {err}");
        }
    }
}
