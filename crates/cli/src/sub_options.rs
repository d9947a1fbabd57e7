//! The settings flags `subs add` and `subs edit` share, applied to a saved record and checked
//! before anything is saved.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use clap::Args;
use streamwatch_engine::catalog::validate::{
    check_header_name, check_header_value, check_last_event_id, parse_header_line,
};
use streamwatch_engine::catalog::{normalize_method, StoredHeader, SubscriptionRecord};

use crate::client_args::ClientArgs;
use crate::reconnect_arg::ReconnectArg;
use crate::usage::RedirectsArg;
use crate::usage::{parse_days, parse_seconds_or_auto, SecondsOrAuto, UsageError};

/// A subscription's settings; each flag left out keeps the current value (or, for a new
/// subscription, the default shown).
#[derive(Args, Debug, Clone, Default, PartialEq)]
pub struct SubOptions {
    /// Request header as "Name: value", sent on every (re)connect; repeatable. Replaces any
    /// header of the same name.
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,

    /// Like --header, but the value is kept in the OS keyring (never in the database) and
    /// shown as ••••; for tokens and API keys. Needs a running keyring (Secret Service,
    /// Keychain, Credential Manager).
    #[arg(long = "secret-header", value_name = "NAME: VALUE")]
    pub secret_headers: Vec<String>,

    /// Like --secret-header, but the value is read from the file PATH ('-' for stdin; one
    /// trailing newline is dropped), so the token stays out of `ps` and shell history.
    #[arg(long = "secret-header-file", value_name = "NAME=PATH")]
    pub secret_header_files: Vec<String>,

    /// A query parameter of the URL whose value is a credential, like the well-known ones
    /// (token, access_token, api_key, …, and the user:password part): its value goes to the
    /// keyring and is shown masked; repeatable.
    #[arg(long = "secret-param", value_name = "NAME")]
    pub secret_params: Vec<String>,

    /// HTTP method (new subscriptions: GET); standard methods may be written in any case.
    #[arg(short = 'X', long, value_name = "METHOD")]
    pub method: Option<String>,

    /// Request body, resent on every reconnect.
    #[arg(short = 'd', long, value_name = "TEXT")]
    pub body: Option<String>,

    /// Last-Event-ID for the very first request ('' for none). Changing it makes the next
    /// connection start from it instead of the stored position.
    #[arg(long, value_name = "ID")]
    pub last_event_id: Option<String>,

    /// Reconnect after this long without a byte; fractions allowed, 0 = off, auto = 3× the
    /// usual gap between arrivals, at least 45 s (new: auto).
    #[arg(long, value_name = "SECONDS|auto", value_parser = parse_seconds_or_auto)]
    pub idle_timeout: Option<SecondsOrAuto>,

    /// Stale (told in the timeline and by a notification) after this long without a message;
    /// whole seconds, 1 to 86400, auto = learned, 5 usual gaps within 2 s..60 s (new: auto).
    #[arg(long, value_name = "SECONDS|auto", value_parser = parse_seconds_or_auto)]
    pub stale_after: Option<SecondsOrAuto>,

    /// First reconnection delay in ms; a server `retry:` replaces it (new: 1000).
    #[arg(long, value_name = "MS")]
    pub retry_initial: Option<u64>,

    /// Cap on the reconnection delay in ms (new: 30000, or --retry-initial if larger).
    #[arg(long, value_name = "MS")]
    pub retry_max: Option<u64>,

    /// Give up after N consecutive failed retries (new: never).
    #[arg(long, value_name = "N", conflicts_with = "retry_forever")]
    pub max_retries: Option<u32>,

    /// Never give up retrying (undoes --max-retries).
    #[arg(long)]
    pub retry_forever: bool,

    /// Keep at most N messages of history; the oldest go first (new: 100000).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub keep_rows: Option<u64>,

    /// Drop messages older than D days; fractions allowed (new: 30).
    #[arg(long, value_name = "D", value_parser = parse_days)]
    pub keep_days: Option<Duration>,

    /// Which redirects to follow (new: any). Secret headers go only to the URL's own origin
    /// whatever the mode.
    #[arg(long, value_name = "MODE", value_enum)]
    pub redirects: Option<RedirectsArg>,

    /// The server's integer ids do not count by one (a shared counter, timestamps…): ids that
    /// jump are not recorded as gaps; resets and replays still are (new: off).
    #[arg(long, conflicts_with = "ids_sequential")]
    pub ids_not_sequential: bool,

    /// The server's integer ids count by one, so a jump is a gap (undoes --ids-not-sequential).
    #[arg(long)]
    pub ids_sequential: bool,
    /// Proxy, extra CA certificates and client certificate (the `watch` flags).
    #[command(flatten)]
    pub client: ClientArgs,

    /// When a stream that ended is requested again (new: always for GET, error for any other
    /// method).
    #[arg(
        long,
        value_name = "MODE",
        value_enum,
        conflicts_with = "reconnect_by_method"
    )]
    pub reconnect: Option<ReconnectArg>,

    /// Back to the method's default reconnect mode (undoes --reconnect).
    #[arg(long)]
    pub reconnect_by_method: bool,

    /// An event type that ends the stream cleanly, like data: [DONE] does; an empty NAME
    /// removes it.
    #[arg(long, value_name = "NAME")]
    pub end_event: Option<String>,

    /// A JSON Schema (read from FILE) that events of TYPE, or without TYPE every event, must
    /// match; repeatable. Given, the list replaces the saved one.
    #[arg(
        long = "expect-schema",
        value_name = "[TYPE=]FILE",
        conflicts_with = "no_expect_schema"
    )]
    pub expect_schema: Vec<String>,

    /// Removes every expected schema.
    #[arg(long)]
    pub no_expect_schema: bool,

    /// Probe interval and run notification rules.
    #[command(flatten)]
    pub probe: crate::probe_args::ProbeArgs,
}

impl SubOptions {
    /// Applies the flags to `record`. Secret headers get their plain values here; they are
    /// moved to the keyring when saved.
    pub fn apply(&self, record: &mut SubscriptionRecord) -> Result<(), UsageError> {
        self.apply_with_stdin(record, &mut std::io::stdin().lock())
    }

    /// [`SubOptions::apply`], with `--secret-header-file NAME=-` reading from `stdin`.
    pub fn apply_with_stdin(
        &self,
        record: &mut SubscriptionRecord,
        stdin: &mut dyn Read,
    ) -> Result<(), UsageError> {
        for name in &self.secret_params {
            let name = name.trim();
            if !record
                .secret_params
                .iter()
                .any(|p| p.eq_ignore_ascii_case(name))
            {
                record.secret_params.push(name.to_string());
            }
        }
        let mut new_headers = Vec::new();
        for line in &self.headers {
            let (name, value) =
                parse_header_line(line, false).map_err(|e| header_error(e, "--header"))?;
            new_headers.push(StoredHeader {
                name,
                value,
                secret: false,
            });
        }
        for line in &self.secret_headers {
            let (name, value) =
                parse_header_line(line, true).map_err(|e| header_error(e, "--secret-header"))?;
            new_headers.push(StoredHeader {
                name,
                value,
                secret: true,
            });
        }
        let mut stdin_used = false;
        for spec in &self.secret_header_files {
            let (name, path) = spec.split_once('=').ok_or_else(|| {
                UsageError::Invalid(format!(
                    "invalid --secret-header-file {spec:?}: expected NAME=PATH (PATH - for stdin)"
                ))
            })?;
            let name = name.trim();
            check_header_name(0, name).map_err(|e| header_error(e, "--secret-header-file"))?;
            let raw = if path == "-" {
                // Stdin can only be read once; a second `-` would silently get an empty value.
                if std::mem::replace(&mut stdin_used, true) {
                    return Err(UsageError::Invalid(
                        "--secret-header-file: only one header can be read from stdin (-)".into(),
                    ));
                }
                read_secret(stdin, name, "stdin")?
            } else {
                let mut file = std::fs::File::open(Path::new(path)).map_err(|e| {
                    UsageError::Invalid(format!(
                        "--secret-header-file: cannot read {path:?} for header {name:?}: {e}"
                    ))
                })?;
                read_secret(&mut file, name, path)?
            };
            let value = secret_value(&raw, name)?;
            new_headers.push(StoredHeader {
                name: name.to_owned(),
                value,
                secret: true,
            });
        }
        record.headers.retain(|h| {
            !new_headers
                .iter()
                .any(|n| n.name.eq_ignore_ascii_case(&h.name))
        });
        record.headers.extend(new_headers);
        if let Some(method) = &self.method {
            record.method = normalize_method(method);
        }
        if let Some(body) = &self.body {
            record.body = Some(body.clone());
        }
        if let Some(id) = &self.last_event_id {
            // The engine would silently skip an id it cannot send; the user should hear about it.
            if check_last_event_id(id).is_err() {
                return Err(UsageError::LastEventId(id.clone()));
            }
            record.last_event_id = Some(id.clone()).filter(|id| !id.is_empty());
        }
        match self.idle_timeout {
            None => {}
            Some(SecondsOrAuto::Auto) => record.idle_timeout_ms = None,
            // 0 is kept: it means off (None is automatic).
            Some(SecondsOrAuto::Seconds(d)) => record.idle_timeout_ms = Some(millis(d)),
        }
        if self.ids_not_sequential || self.ids_sequential {
            record.ids_not_sequential = self.ids_not_sequential;
        }
        self.client.apply(&mut record.network)?;
        match self.stale_after {
            None => {}
            Some(SecondsOrAuto::Auto) => record.stale_after_secs = None,
            // Rounded up, so 0.5 is 1 s; 0 stays 0 and is refused by the catalog's check.
            Some(SecondsOrAuto::Seconds(d)) => {
                record.stale_after_secs = Some(d.as_secs() + u64::from(d.subsec_nanos() > 0))
            }
        }
        if let Some(initial) = self.retry_initial {
            record.retry.initial_ms = initial;
            // As for `watch`: a large first delay raises the cap unless one is given.
            if self.retry_max.is_none() && record.retry.max_ms < initial {
                record.retry.max_ms = initial;
            }
        }
        if let Some(max) = self.retry_max {
            record.retry.max_ms = max;
        }
        if let Some(n) = self.max_retries {
            record.retry.max_retries = Some(n);
        }
        if self.retry_forever {
            record.retry.max_retries = None;
        }
        if let Some(rows) = self.keep_rows {
            record.retention.max_rows = rows;
        }
        if let Some(age) = self.keep_days {
            record.retention.max_age = age;
        }
        if let Some(mode) = self.redirects {
            record.redirects = mode.into();
        }
        if let Some(mode) = self.reconnect {
            record.reconnect = Some(mode.into());
        }
        if self.reconnect_by_method {
            record.reconnect = None;
        }
        if let Some(name) = &self.end_event {
            record.end_event = Some(name.clone()).filter(|n| !n.is_empty());
        }
        if !self.expect_schema.is_empty() {
            record.expectations = crate::expect_schema_arg::expectations(&self.expect_schema)?;
        }
        if self.no_expect_schema {
            record.expectations.clear();
        }
        self.probe.apply(record)?;
        Ok(())
    }
}

/// A header flag's problem, naming the flag (a secret value is never in the message).
fn header_error(e: streamwatch_engine::catalog::Invalid, flag: &str) -> UsageError {
    UsageError::Invalid(format!("invalid header ({flag}): {}", e.message))
}

/// The most a secret header file may hold: far more than any token, and it stops `/dev/zero`
/// or a wrong path to a large file from filling memory.
const MAX_SECRET_FILE_BYTES: u64 = 64 * 1024;

/// Reads a secret's raw bytes from `source` (named `from` in errors, never its content).
fn read_secret(source: &mut dyn Read, name: &str, from: &str) -> Result<Vec<u8>, UsageError> {
    let mut raw = Vec::new();
    source
        .take(MAX_SECRET_FILE_BYTES + 1)
        .read_to_end(&mut raw)
        .map_err(|e| {
            UsageError::Invalid(format!(
                "--secret-header-file: cannot read {from} for header {name:?}: {e}"
            ))
        })?;
    if raw.len() as u64 > MAX_SECRET_FILE_BYTES {
        return Err(UsageError::Invalid(format!(
            "--secret-header-file: {from} holds more than {MAX_SECRET_FILE_BYTES} bytes; \
             not a header value for {name:?}"
        )));
    }
    Ok(raw)
}

/// The header value in a secret file's bytes: one trailing line end (`\n` or `\r\n`, as
/// editors and `echo` leave) is dropped, surrounding spaces are not part of a header value;
/// anything else that cannot be sent is refused without quoting the value.
fn secret_value(raw: &[u8], name: &str) -> Result<String, UsageError> {
    let raw = raw.strip_suffix(b"\n").unwrap_or(raw);
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    let refused = |why: &str| {
        UsageError::Invalid(format!(
            "invalid header (--secret-header-file): the secret value of header {name:?} {why} \
             (the value is not shown)"
        ))
    };
    let text = std::str::from_utf8(raw).map_err(|_| refused("is not UTF-8 text"))?;
    let value = text.trim_matches([' ', '\t']);
    if value.is_empty() {
        return Err(refused("is empty"));
    }
    check_header_value(0, name, value, true)
        .map_err(|e| header_error(e, "--secret-header-file"))?;
    Ok(value.to_owned())
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> SubscriptionRecord {
        SubscriptionRecord::new("feed", "http://127.0.0.1:1/events")
    }

    #[test]
    fn reconnect_and_end_event_are_set_kept_and_undone() {
        use streamwatch_engine::reconnect_mode::ReconnectMode;
        let mut r = record();
        assert_eq!((r.reconnect, r.end_event.as_deref()), (None, None));
        let set = SubOptions {
            reconnect: Some(ReconnectArg::Never),
            end_event: Some("bye".into()),
            ..Default::default()
        };
        set.apply(&mut r).unwrap();
        assert_eq!(r.reconnect, Some(ReconnectMode::Never));
        assert_eq!(r.end_event.as_deref(), Some("bye"));
        SubOptions::default().apply(&mut r).unwrap();
        assert_eq!(
            r.reconnect,
            Some(ReconnectMode::Never),
            "kept when not given"
        );
        let undo = SubOptions {
            reconnect_by_method: true,
            end_event: Some(String::new()),
            ..Default::default()
        };
        undo.apply(&mut r).unwrap();
        assert_eq!((r.reconnect, r.end_event.as_deref()), (None, None));
    }

    #[test]
    fn headers_of_the_same_name_are_replaced() {
        let mut r = record();
        r.headers.push(StoredHeader {
            name: "X-A".into(),
            value: "old".into(),
            secret: false,
        });
        let opts = SubOptions {
            headers: vec!["x-a: new".into(), "X-B: b".into()],
            ..Default::default()
        };
        opts.apply(&mut r).unwrap();
        let got: Vec<_> = r.headers.iter().map(|h| (&*h.name, &*h.value)).collect();
        assert_eq!(got, [("x-a", "new"), ("X-B", "b")]);
    }

    #[test]
    fn a_bad_secret_header_does_not_echo_its_value() {
        let opts = SubOptions {
            secret_headers: vec!["Authorization: Bearer \u{7}hidden".into()],
            ..Default::default()
        };
        let err = opts.apply(&mut record()).unwrap_err().to_string();
        assert!(err.contains("Authorization"), "{err}");
        assert!(!err.contains("hidden"), "{err}");
    }

    fn from_file(spec: &str, stdin: &[u8]) -> Result<SubscriptionRecord, String> {
        let mut r = record();
        let opts = SubOptions {
            secret_header_files: vec![spec.into()],
            ..Default::default()
        };
        opts.apply_with_stdin(&mut r, &mut &stdin[..])
            .map(|()| r)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn secret_header_file_reads_stdin_and_drops_one_line_end() {
        for input in [&b"Bearer tok\n"[..], b"Bearer tok\r\n", b"Bearer tok"] {
            let r = from_file("Authorization=-", input).unwrap();
            let h = &r.headers[0];
            assert_eq!(
                (&*h.name, &*h.value, h.secret),
                ("Authorization", "Bearer tok", true)
            );
        }
    }

    #[test]
    fn secret_header_file_reads_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "abc123\n").unwrap();
        let r = from_file(&format!("X-Key={}", path.display()), b"").unwrap();
        assert_eq!(&*r.headers[0].value, "abc123");
        let missing = from_file(&format!("X-Key={}", dir.path().join("no").display()), b"");
        assert!(missing.unwrap_err().contains("cannot read"));
    }

    #[test]
    fn a_bad_secret_header_file_is_refused_without_echo() {
        for bad in [
            &b"hidden\n\n"[..],
            b"hid\x07den",
            b"hid\nden",
            b"hidden\xff",
            b"\n",
            b"hidden\x7f",
        ] {
            let err = from_file("Authorization=-", bad).unwrap_err();
            assert!(err.contains("Authorization"), "{err}");
            assert!(!err.contains("hid"), "{err}");
        }
        assert!(from_file("Authorization", b"x").is_err());
        assert!(from_file("Bad Name=-", b"x").is_err());
        let big = vec![b'a'; 70 * 1024];
        assert!(from_file("X=-", &big).unwrap_err().contains("more than"));
        let twice = SubOptions {
            secret_header_files: vec!["A=-".into(), "B=-".into()],
            ..Default::default()
        };
        let err = twice
            .apply_with_stdin(&mut record(), &mut &b"x"[..])
            .unwrap_err();
        assert!(err.to_string().contains("only one"), "{err}");
    }

    #[test]
    fn retry_and_retention_flags_apply() {
        let mut r = record();
        let opts = SubOptions {
            retry_initial: Some(60_000),
            max_retries: Some(3),
            keep_rows: Some(10),
            keep_days: Some(Duration::from_secs(86_400)),
            idle_timeout: Some(SecondsOrAuto::Seconds(Duration::from_millis(1500))),
            stale_after: Some(SecondsOrAuto::Seconds(Duration::from_millis(89_500))),
            ..Default::default()
        };
        opts.apply(&mut r).unwrap();
        assert_eq!(r.retry.initial_ms, 60_000);
        assert_eq!(r.retry.max_ms, 60_000);
        assert_eq!(r.retry.max_retries, Some(3));
        assert_eq!(r.retention.max_rows, 10);
        assert_eq!(r.idle_timeout_ms, Some(1500));
        assert_eq!(r.stale_after_secs, Some(90));
        let forever = SubOptions {
            retry_forever: true,
            idle_timeout: Some(SecondsOrAuto::Seconds(Duration::ZERO)),
            ..Default::default()
        };
        forever.apply(&mut r).unwrap();
        assert_eq!(
            (r.retry.max_retries, r.idle_timeout_ms),
            (None, Some(0)),
            "0 is off"
        );
        let auto = SubOptions {
            idle_timeout: Some(SecondsOrAuto::Auto),
            stale_after: Some(SecondsOrAuto::Auto),
            ..Default::default()
        };
        auto.apply(&mut r).unwrap();
        assert_eq!((r.idle_timeout_ms, r.stale_after_secs), (None, None));
    }

    #[test]
    fn ids_not_sequential_is_set_kept_when_not_given_and_undone() {
        let mut r = record();
        assert!(!r.ids_not_sequential, "new subscriptions find gaps");
        let on = SubOptions {
            ids_not_sequential: true,
            ..Default::default()
        };
        on.apply(&mut r).unwrap();
        assert!(r.ids_not_sequential);
        SubOptions::default().apply(&mut r).unwrap();
        assert!(r.ids_not_sequential, "an edit without the flag keeps it");
        let off = SubOptions {
            ids_sequential: true,
            ..Default::default()
        };
        off.apply(&mut r).unwrap();
        assert!(!r.ids_not_sequential);
    }

    #[test]
    fn redirects_are_set_and_kept_when_not_given() {
        use streamwatch_engine::redirects::RedirectMode;
        let mut r = record();
        assert_eq!(r.redirects, RedirectMode::Any);
        let strict = SubOptions {
            redirects: Some(RedirectsArg::SameOrigin),
            ..Default::default()
        };
        strict.apply(&mut r).unwrap();
        assert_eq!(r.redirects, RedirectMode::SameOrigin);
        SubOptions::default().apply(&mut r).unwrap();
        assert_eq!(r.redirects, RedirectMode::SameOrigin, "left out: kept");
    }
}
