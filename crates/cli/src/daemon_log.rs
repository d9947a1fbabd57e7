//! The log `streamwatch run` writes on stdout: one line per thing that happened, for people
//! (`2024-06-01T12:00:00.123Z ticks#1 state open (was connecting)`) or, with `--json`, one
//! JSON object per line with `time`, `type`, and for a subscription's lines `subscription`
//! (its name) and `id`.
//!
//! A log that cannot be written (stdout closed) is not a reason to stop monitoring: write
//! errors are ignored.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::time::SystemTime;

use anstyle::{AnsiColor, Style};
use jiff::Timestamp;
use serde_json::{json, Map, Value};
use streamwatch_engine::{Lifecycle, State, SubscriptionId};

use crate::output::{describe, event_style, json_object, push_escaped, rfc3339_millis};

const DIM: Style = Style::new().dimmed();
const BOLD: Style = Style::new().bold();
const RED: Style = AnsiColor::Red.on_default().bold();
const YELLOW: Style = AnsiColor::Yellow.on_default();

/// Which subscription a line is about.
#[derive(Debug, Clone, Copy)]
pub struct Sub<'a> {
    /// Its id.
    pub id: SubscriptionId,
    /// Its name.
    pub name: &'a str,
}

/// The daemon's log.
pub struct Log {
    json: bool,
    out: Box<dyn Write + Send>,
}

impl Log {
    /// A log on stdout; `json` for JSON lines.
    pub fn stdout(json: bool) -> Log {
        let out: Box<dyn Write + Send> = if json {
            Box::new(io::stdout())
        } else {
            Box::new(anstream::stdout())
        };
        Log { json, out }
    }

    /// A lifecycle event of one subscription (never called for messages and comments).
    pub fn event(&mut self, sub: Sub<'_>, at: SystemTime, event: &Lifecycle) {
        let at = timestamp(at);
        if self.json {
            if let Some(mut map) = json_object(at, event) {
                tag(&mut map, sub);
                self.json_line(map);
            }
        } else {
            let mut text = String::new();
            describe(&mut text, event);
            self.human(at, Some(sub), event_style(event), event.name(), &text);
        }
    }

    /// A subscription's state changed (`from` is `None` for the state found at start).
    pub fn state(&mut self, sub: Sub<'_>, state: State, from: Option<State>) {
        let at = Timestamp::now();
        if self.json {
            let mut map = Map::new();
            map.insert("type".into(), "state".into());
            map.insert("state".into(), state.as_str().into());
            if let Some(from) = from {
                map.insert("from".into(), from.as_str().into());
            }
            self.stamped(at, sub, map);
        } else {
            let style = match state {
                State::Open => AnsiColor::Green.on_default().bold(),
                State::Failed => RED,
                State::Retrying => YELLOW,
                _ => BOLD,
            };
            let text = match from {
                Some(from) => format!("{style}{}{style:#} (was {})", state.as_str(), from.as_str()),
                None => format!("{style}{}{style:#}", state.as_str()),
            };
            self.human(at, Some(sub), BOLD, "state", &text);
        }
    }

    /// Messages received since the last summary.
    pub fn summary(&mut self, sub: Sub<'_>, new: u64, total: u64, last_id: &str, secs: f64) {
        let at = Timestamp::now();
        if self.json {
            let map = object(json!({
                "type": "summary",
                "messages": new,
                "total": total,
                "last_id": last_id,
                "seconds": (secs * 10.0).round() / 10.0,
            }));
            self.stamped(at, sub, map);
        } else {
            let rate = if secs > 0.0 { new as f64 / secs } else { 0.0 };
            let mut text = format!("{new} messages in {secs:.0} s ({rate:.1}/s), {total} in all");
            if !last_id.is_empty() {
                text.push_str(", last id ");
                push_escaped(&mut text, last_id);
            }
            self.human(at, Some(sub), DIM, "messages", &text);
        }
    }

    /// A saved subscription was added, changed or removed (by another process, or --config).
    pub fn config(&mut self, sub: Sub<'_>, change: &str) {
        let at = Timestamp::now();
        if self.json {
            let map = object(json!({"type": "config", "change": change}));
            self.stamped(at, sub, map);
        } else {
            self.human(at, Some(sub), DIM, "config", change);
        }
    }

    /// A line about the daemon itself; `fields` go into the JSON object.
    pub fn daemon(&mut self, kind: &str, text: &str, fields: Value) {
        let at = Timestamp::now();
        if self.json {
            let mut map = object(fields);
            map.insert("type".into(), kind.into());
            map.insert("message".into(), text.into());
            map.insert("time".into(), rfc3339_millis(at).into());
            self.json_line(map);
        } else {
            let style = match kind {
                "error" => RED,
                "warning" => YELLOW,
                _ => BOLD,
            };
            self.human(at, None, style, kind, text);
        }
    }

    fn stamped(&mut self, at: Timestamp, sub: Sub<'_>, mut map: Map<String, Value>) {
        tag(&mut map, sub);
        map.insert("time".into(), rfc3339_millis(at).into());
        self.json_line(map);
    }

    fn json_line(&mut self, map: Map<String, Value>) {
        let mut line = Value::Object(map).to_string();
        line.push('\n');
        self.write(line.as_bytes());
    }

    fn human(&mut self, at: Timestamp, sub: Option<Sub<'_>>, style: Style, kind: &str, text: &str) {
        let mut line = format!("{DIM}{}{DIM:#} ", rfc3339_millis(at));
        if let Some(sub) = sub {
            let mut name = String::new();
            push_escaped(&mut name, sub.name);
            let _ = write!(line, "{BOLD}{name}{BOLD:#}{DIM}#{}{DIM:#} ", sub.id);
        }
        let _ = write!(line, "{style}{kind:<10}{style:#} {text}");
        line.truncate(line.trim_end().len());
        line.push('\n');
        self.write(line.as_bytes());
    }

    fn write(&mut self, bytes: &[u8]) {
        let _ = self.out.write_all(bytes).and_then(|()| self.out.flush());
    }
}

fn tag(map: &mut Map<String, Value>, sub: Sub<'_>) {
    map.insert("subscription".into(), sub.name.into());
    map.insert("id".into(), sub.id.0.into());
}

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn timestamp(t: SystemTime) -> Timestamp {
    Timestamp::try_from(t).unwrap_or(Timestamp::UNIX_EPOCH)
}
