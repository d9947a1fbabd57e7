//! Printing lifecycle events: one JSON object per line for programs, or one compact line with a
//! local timestamp for people, coloured by type.
//!
//! Colour goes through `anstream`, which strips the styling unless stdout is a terminal and
//! `NO_COLOR` is unset (it also honours `CLICOLOR=0` and `CLICOLOR_FORCE`). Server text is
//! escaped in human lines so a stream cannot send escape sequences to the terminal.

use std::fmt::Write as _;
use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::{Serialize, Serializer};
use streamwatch_engine::run_summary::RunSummary;
use streamwatch_engine::Lifecycle;

const DIM: Style = Style::new().dimmed();
const GREEN: Style = AnsiColor::Green.on_default().bold();
const CYAN: Style = AnsiColor::Cyan.on_default();
const YELLOW: Style = AnsiColor::Yellow.on_default();
const RED: Style = AnsiColor::Red.on_default().bold();

/// How events are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line, with a `type` field.
    Json,
    /// A readable line with a timestamp, coloured on a terminal.
    Human,
}

/// Writes each event as one line and flushes it at once.
pub struct Printer<W> {
    out: W,
    format: Format,
    comments: bool,
    zone: TimeZone,
    /// Reused for every line, so each line reaches `out` in one write.
    line: Vec<u8>,
}

impl Printer<Box<dyn Write + Send>> {
    /// A printer to stdout in `format`; comment lines are printed only when `comments` is set.
    pub fn stdout(format: Format, comments: bool) -> Self {
        let out: Box<dyn Write + Send> = match format {
            // JSON carries no styling, so it skips anstream's stripping pass.
            Format::Json => Box::new(io::stdout()),
            Format::Human => Box::new(anstream::stdout()),
        };
        Printer::new(out, format, comments, TimeZone::system())
    }
}

impl<W: Write> Printer<W> {
    /// A printer to `out`; human timestamps are shown in `zone`.
    pub fn new(out: W, format: Format, comments: bool, zone: TimeZone) -> Self {
        Printer {
            out,
            format,
            comments,
            zone,
            line: Vec::with_capacity(256),
        }
    }

    /// Prints `event`, which happened `at`, unless it is a comment nobody asked for.
    pub fn print(&mut self, at: Timestamp, event: &Lifecycle) -> io::Result<()> {
        if matches!(event, Lifecycle::Comment { .. }) && !self.comments {
            return Ok(());
        }
        self.line.clear();
        match self.format {
            Format::Json => match json_record(at, event) {
                Some(record) => serde_json::to_writer(&mut self.line, &record)?,
                None => return Ok(()),
            },
            Format::Human => {
                let mut text = String::with_capacity(128);
                human_line(&mut text, at, &self.zone, event);
                // A bare `connecting` line would otherwise end in the column separator.
                text.truncate(text.trim_end_matches(' ').len());
                self.line.extend_from_slice(text.as_bytes());
            }
        }
        self.line.push(b'\n');
        self.out.write_all(&self.line)?;
        // Each event must be visible as it happens, even through a pipe.
        self.out.flush()
    }
}

impl<W: Write> Printer<W> {
    /// Prints a finished run's summary: `{"type":"summary", …}` in JSON (see
    /// [`RunSummary`]), one line of figures for people.
    pub fn print_summary(&mut self, at: Timestamp, summary: &RunSummary) -> io::Result<()> {
        self.line.clear();
        match self.format {
            Format::Json => {
                #[derive(Serialize)]
                struct SummaryRecord<'a> {
                    #[serde(rename = "type")]
                    kind: &'static str,
                    #[serde(flatten)]
                    summary: &'a RunSummary,
                    time: Rfc3339Millis,
                }
                let record = SummaryRecord {
                    kind: "summary",
                    summary,
                    time: Rfc3339Millis(at),
                };
                serde_json::to_writer(&mut self.line, &record)?;
            }
            Format::Human => {
                let mut text = format!("summary    {}", summary.words());
                text.push_str(&format!(
                    ", HTTP {}, headers in {} ms",
                    summary.status, summary.ttfb_ms
                ));
                if let Some(ms) = summary.first_token_ms {
                    text.push_str(&format!(", first token in {ms} ms"));
                }
                if let Some(llm) = &summary.llm {
                    if let Some(reason) = &llm.finish_reason {
                        text.push_str(", finish reason ");
                        push_escaped(&mut text, reason);
                    }
                    text.push_str("\ntext       ");
                    push_escaped(&mut text, &llm.text);
                }
                self.line.extend_from_slice(text.as_bytes());
            }
        }
        self.line.push(b'\n');
        self.out.write_all(&self.line)?;
        self.out.flush()
    }
}

/// One JSON output line: the event's fields (the engine's own serialisation of [`Lifecycle`],
/// pinned by the tests below so an engine change cannot alter the contract unnoticed), then
/// when it happened.
#[derive(Serialize)]
struct JsonRecord<'a> {
    #[serde(flatten)]
    event: &'a Lifecycle,
    time: Rfc3339Millis,
}

/// A timestamp written as RFC 3339 in UTC with milliseconds.
struct Rfc3339Millis(Timestamp);

impl Serialize for Rfc3339Millis {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{:.3}", self.0))
    }
}

/// The JSON line for `event`; `None` for events the JSON contract leaves out.
fn json_record(at: Timestamp, event: &Lifecycle) -> Option<JsonRecord<'_>> {
    // Every attempt already shows as `started` or `error`; the contract has no such line.
    if matches!(event, Lifecycle::Connecting { .. }) {
        return None;
    }
    Some(JsonRecord {
        event,
        time: Rfc3339Millis(at),
    })
}

/// The JSON object `watch --json` prints for `event` (its fields, then `time`); `None` for events
/// the JSON contract leaves out. The daemon's log adds its own fields to it.
pub fn json_object(
    at: Timestamp,
    event: &Lifecycle,
) -> Option<serde_json::Map<String, serde_json::Value>> {
    match serde_json::to_value(json_record(at, event)?) {
        Ok(serde_json::Value::Object(map)) => Some(map),
        _ => None,
    }
}

pub use streamwatch_engine::export_format::rfc3339_millis;

/// The style an event's name is shown in.
pub fn event_style(event: &Lifecycle) -> Style {
    match event {
        Lifecycle::Started { .. } => GREEN,
        Lifecycle::Message { .. } => Style::new().bold(),
        Lifecycle::Connecting { .. }
        | Lifecycle::Comment { .. }
        | Lifecycle::RetryChanged { .. } => DIM,
        Lifecycle::Gap { .. }
        | Lifecycle::Reset { .. }
        | Lifecycle::Finished
        | Lifecycle::Retrying { .. } => YELLOW,
        Lifecycle::Error { .. } | Lifecycle::RetriesFailed { .. } => RED,
    }
}

/// Appends `14:03:07.120 message    tick id=5 {"n":5}` (styled) for `event` to `out`.
fn human_line(out: &mut String, at: Timestamp, zone: &TimeZone, event: &Lifecycle) {
    let clock = at.to_zoned_datetime(zone.clone());
    let style = event_style(event);
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        "{DIM}{}{DIM:#} {style}{:<10}{style:#} ",
        clock.strftime("%H:%M:%S%.3f"),
        event.name()
    );
    describe(out, event);
}

/// Appends what `event` says, in words (styled, server text escaped), without time or name.
pub fn describe(out: &mut String, event: &Lifecycle) {
    match event {
        // Shown so a slow server is visibly being waited on, not silently hanging.
        Lifecycle::Connecting { attempt } => {
            if *attempt > 0 {
                let _ = write!(out, "{DIM}retry {attempt}{DIM:#}");
            }
        }
        Lifecycle::Started { url, status } => {
            let _ = write!(out, "{status} ");
            push_escaped(out, url);
        }
        Lifecycle::Message {
            event,
            data,
            id,
            replayed,
            mismatch,
        } => {
            if *replayed {
                let _ = write!(out, "{DIM}(replayed){DIM:#} ");
            }
            if let Some(words) = mismatch {
                let _ = write!(out, "{YELLOW}(mismatch: ");
                push_escaped(out, words);
                let _ = write!(out, "){YELLOW:#} ");
            }
            let _ = write!(out, "{CYAN}");
            push_escaped(out, event);
            let _ = write!(out, "{CYAN:#}");
            if !id.is_empty() {
                let _ = write!(out, " {DIM}id={DIM:#}");
                push_escaped(out, id);
            }
            if data.is_empty() {
                let _ = write!(out, " {DIM}(no data){DIM:#}");
            } else {
                out.push(' ');
                push_escaped(out, data);
            }
        }
        Lifecycle::Comment { text } => {
            let _ = write!(out, "{DIM}");
            push_escaped(out, text);
            let _ = write!(out, "{DIM:#}");
        }
        Lifecycle::Gap {
            after,
            next,
            missed,
        } => {
            let noun = if *missed == 1 { "event" } else { "events" };
            let _ = write!(
                out,
                "{YELLOW}missed {missed} {noun}: id {after} was followed by {next}{YELLOW:#}"
            );
        }
        Lifecycle::Reset { last, first } => {
            let _ = write!(
                out,
                "{YELLOW}ids went backwards from {last} to {first}: did the server restart? \
                 (events kept){YELLOW:#}"
            );
        }
        Lifecycle::RetryChanged { retry_ms } => {
            let _ = write!(
                out,
                "server set the reconnection delay to {}",
                human_delay(*retry_ms)
            );
        }
        Lifecycle::Error {
            kind,
            message,
            will_retry,
            ..
        } => {
            let _ = write!(out, "{RED}{}: ", kind.as_str());
            push_escaped(out, message);
            let _ = write!(out, "{RED:#}");
            out.push_str(if *will_retry {
                " (will retry)"
            } else {
                " (not retrying)"
            });
        }
        Lifecycle::Finished => out.push_str("the stream ended"),
        Lifecycle::Retrying { attempt, delay_ms } => {
            let _ = write!(out, "attempt {attempt} in {}", human_delay(*delay_ms));
        }
        Lifecycle::RetriesFailed { attempts } => {
            let noun = if *attempts == 1 { "retry" } else { "retries" };
            let _ = write!(out, "gave up after {attempts} failed {noun}");
        }
    }
}

/// `250 ms`, `1.5 s`: milliseconds below a second, seconds above.
fn human_delay(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

/// Appends `text` with line breaks, control and bidi-override characters made visible, so one
/// event stays on one line and server data cannot restyle or reorder the terminal's output.
pub fn push_escaped(out: &mut String, text: &str) {
    if !text.chars().any(needs_escape) {
        out.push_str(text);
        return;
    }
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use streamwatch_engine::ErrorKind;

    fn at() -> Timestamp {
        Timestamp::new(1_700_000_000, 123_456_789).expect("valid timestamp")
    }

    fn json(event: &Lifecycle) -> String {
        let mut p = Printer::new(Vec::new(), Format::Json, true, TimeZone::UTC);
        p.print(at(), event).expect("writes to a Vec");
        String::from_utf8(p.out).expect("utf-8")
    }

    fn human(event: &Lifecycle) -> String {
        let mut s = String::new();
        human_line(&mut s, at(), &TimeZone::UTC, event);
        s
    }

    /// What a non-terminal sees: the styling stripped.
    fn plain(event: &Lifecycle) -> String {
        let mut out = anstream::StripStream::new(Vec::new());
        let mut p = Printer::new(&mut out, Format::Human, true, TimeZone::UTC);
        p.print(at(), event).expect("writes to a Vec");
        String::from_utf8(out.into_inner()).expect("utf-8")
    }

    const TIME: &str = r#""time":"2023-11-14T22:13:20.123Z""#;

    #[test]
    fn json_lines_follow_the_contract() {
        let cases = [
            (
                Lifecycle::Started {
                    url: "http://h/e".into(),
                    status: 200,
                },
                r#"{"type":"started","url":"http://h/e","status":200,"#,
            ),
            (
                Lifecycle::Message {
                    event: "tick".into(),
                    data: "a\nb".into(),
                    id: "".into(),
                    replayed: false,
                    mismatch: None,
                },
                r#"{"type":"message","event":"tick","data":"a\nb","id":"","#,
            ),
            (
                Lifecycle::Message {
                    event: "tick".into(),
                    data: "x".into(),
                    id: "40".into(),
                    replayed: true,
                    mismatch: None,
                },
                r#"{"type":"message","event":"tick","data":"x","id":"40","replayed":true,"#,
            ),
            (
                Lifecycle::Reset {
                    last: 2785,
                    first: 1,
                },
                r#"{"type":"reset","last":2785,"first":1,"#,
            ),
            (
                Lifecycle::Comment { text: "hb".into() },
                r#"{"type":"comment","text":"hb","#,
            ),
            (
                Lifecycle::Gap {
                    after: 4,
                    next: 7,
                    missed: 2,
                },
                r#"{"type":"gap","after":4,"next":7,"missed":2,"#,
            ),
            (
                Lifecycle::RetryChanged { retry_ms: 3000 },
                r#"{"type":"retry-changed","retry_ms":3000,"#,
            ),
            (
                Lifecycle::Error {
                    kind: ErrorKind::HttpStatus,
                    message: "server answered 404 Not Found".into(),
                    status: Some(404),
                    will_retry: false,
                },
                r#"{"type":"error","kind":"http-status","message":"server answered 404 Not Found","status":404,"will_retry":false,"#,
            ),
            (
                Lifecycle::Error {
                    kind: ErrorKind::Network,
                    message: "reset".into(),
                    status: None,
                    will_retry: true,
                },
                r#"{"type":"error","kind":"network","message":"reset","will_retry":true,"#,
            ),
            (Lifecycle::Finished, r#"{"type":"finished","#),
            (
                Lifecycle::Retrying {
                    attempt: 2,
                    delay_ms: 40,
                },
                r#"{"type":"retrying","attempt":2,"delay_ms":40,"#,
            ),
            (
                Lifecycle::RetriesFailed { attempts: 3 },
                r#"{"type":"retries-failed","attempts":3,"#,
            ),
        ];
        for (event, head) in cases {
            assert_eq!(json(&event), format!("{head}{TIME}}}\n"));
        }
    }

    #[test]
    fn connecting_is_left_out_of_json_but_shown_to_people() {
        assert_eq!(json(&Lifecycle::Connecting { attempt: 0 }), "");
        assert_eq!(
            plain(&Lifecycle::Connecting { attempt: 2 }),
            "22:13:20.123 connecting retry 2\n"
        );
    }

    #[test]
    fn comments_are_skipped_unless_asked_for() {
        let mut p = Printer::new(Vec::new(), Format::Json, false, TimeZone::UTC);
        let comment = Lifecycle::Comment { text: "hb".into() };
        p.print(at(), &comment).expect("writes to a Vec");
        assert!(p.out.is_empty());
    }

    #[test]
    fn human_lines_are_compact_and_escaped() {
        let message = Lifecycle::Message {
            event: "tick".into(),
            data: "{\"n\":5}\nsecond \u{1b}[31mline\u{202e}".into(),
            id: "5".into(),
            replayed: false,
            mismatch: None,
        };
        assert_eq!(
            plain(&message),
            "22:13:20.123 message    tick id=5 {\"n\":5}\\nsecond \\u{1b}[31mline\\u{202e}\n"
        );
        let reset = Lifecycle::Reset { last: 41, first: 1 };
        assert_eq!(
            plain(&reset),
            "22:13:20.123 reset      ids went backwards from 41 to 1: did the server restart? \
             (events kept)\n"
        );
        let replayed = Lifecycle::Message {
            event: "tick".into(),
            data: "x".into(),
            id: "40".into(),
            replayed: true,
            mismatch: None,
        };
        assert_eq!(
            plain(&replayed),
            "22:13:20.123 message    (replayed) tick id=40 x\n"
        );
        let retrying = Lifecycle::Retrying {
            attempt: 1,
            delay_ms: 1500,
        };
        assert_eq!(
            plain(&retrying),
            "22:13:20.123 retrying   attempt 1 in 1.5 s\n"
        );
        let failed = Lifecycle::Error {
            kind: ErrorKind::ContentType,
            message: "expected Content-Type text/event-stream, got text/plain".into(),
            status: Some(200),
            will_retry: false,
        };
        assert_eq!(
            plain(&failed),
            "22:13:20.123 error      content-type: expected Content-Type text/event-stream, \
             got text/plain (not retrying)\n"
        );
        assert_eq!(
            plain(&Lifecycle::RetriesFailed { attempts: 1 }),
            "22:13:20.123 retries-failed gave up after 1 failed retry\n"
        );
    }

    #[test]
    fn human_lines_are_styled_before_stripping() {
        let line = human(&Lifecycle::Finished);
        assert!(line.contains('\u{1b}'), "{line:?}");
        assert!(line.contains("finished"));
    }

    #[test]
    fn delays_read_naturally() {
        assert_eq!(human_delay(10), "10 ms");
        assert_eq!(human_delay(30_000), "30.0 s");
    }
}
