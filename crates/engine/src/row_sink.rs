//! Where a file of rows goes: JSON lines, or RFC 4180 CSV with a header row. The history file
//! ([`crate::history_format`]) and the runs file ([`crate::runs_format`]) both write through
//! it, so they open, quote and finish the same way.

use std::io::{self, Write};

/// The open file: JSON lines, or a CSV writer past its header row.
pub enum RowSink<W: Write> {
    /// One JSON object per line.
    Jsonl(W),
    /// Boxed: the CSV writer carries its own buffer and state.
    Csv(Box<csv::Writer<W>>),
}

impl<W: Write> RowSink<W> {
    /// Starts a file of JSON lines.
    pub fn jsonl(out: W) -> Self {
        RowSink::Jsonl(out)
    }

    /// Starts a CSV file, quoted only where needed, with `header` as its first row.
    pub fn csv(out: W, header: &[&str]) -> io::Result<Self> {
        let mut w = csv::WriterBuilder::new()
            .quote_style(csv::QuoteStyle::Necessary)
            .from_writer(out);
        w.write_record(header).map_err(csv_io)?;
        Ok(RowSink::Csv(Box::new(w)))
    }

    /// Flushes what is buffered and hands the writer back.
    pub fn finish(self) -> io::Result<W> {
        match self {
            RowSink::Jsonl(mut out) => {
                out.flush()?;
                Ok(out)
            }
            RowSink::Csv(w) => w.into_inner().map_err(|e| e.into_error()),
        }
    }
}

/// The I/O error inside a CSV error (the only kind writing strings can fail with).
pub fn csv_io(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => io,
        other => io::Error::other(format!("{other:?}")),
    }
}
