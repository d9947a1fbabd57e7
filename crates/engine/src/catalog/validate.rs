//! The rules a saved subscription must meet, written once for every front end (the CLI, the
//! daemon's config file, the app's form, imports): each problem names the field it is about, so
//! a form can put it beside the input and a command line can name the flag.
//!
//! A secret header's value never appears in a message: it may be the secret itself.

use super::network_check::{check_network, NetworkField};
use crate::alerts::NotifyRules;
use crate::expectations::{Expectation, ExpectationError, Expectations, MAX_EXPECTATIONS};
use crate::secrets::SecretRef;
use crate::storage::SubscriptionRecord;
use crate::subscription::{ConfigError, SubscriptionConfig};
use std::time::Duration;

/// The HTTP methods every front end offers, in this order. Other RFC 9110 tokens are accepted
/// as extension methods and sent exactly as written.
pub const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// Longest name accepted, in characters: a name is shown in menus, notifications and logs.
pub const MAX_NAME_CHARS: usize = 200;

/// The largest event size cap accepted (256 MiB): one event is held whole in memory, so a cap
/// beyond this is no cap.
pub const MAX_EVENT_SIZE: usize = 256 * 1024 * 1024;

/// The longest retry delay and idle timeout accepted (a day), so every deadline computed from
/// them stays far inside what clock arithmetic can hold.
pub const MAX_DELAY_MS: u64 = 24 * 60 * 60 * 1000;

/// The most messages a subscription may keep (a billion).
pub const MAX_RETENTION_ROWS: u64 = 1_000_000_000;

/// The longest messages may be kept (100 years of 365.25 days).
pub const MAX_RETENTION_AGE: Duration = Duration::from_secs(100 * 36_525 * 24 * 60 * 60);

/// The longest starting `Last-Event-ID` accepted, in bytes: it is sent as a header on every
/// request, and servers refuse headers much longer than this.
pub const MAX_LAST_EVENT_ID_BYTES: usize = 4096;

/// The longest HTTP method accepted, in bytes: extension methods are words like `SUBSCRIBE`.
pub const MAX_METHOD_BYTES: usize = 64;

/// How much of a user's text an error quotes, in characters.
const SHOWN_CHARS: usize = 60;

/// `text` quoted for an error message and cut short: a hostile file's 10 MB name must not
/// become a 10 MB error.
pub fn shown(text: &str) -> String {
    match text.char_indices().nth(SHOWN_CHARS) {
        Some((cut, _)) => format!("{:?}…", &text[..cut]),
        None => format!("{text:?}"),
    }
}

/// Which setting a problem is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The subscription's name.
    Name,
    /// The stream's URL.
    Url,
    /// The HTTP method.
    Method,
    /// The name of the header at this index.
    HeaderName(usize),
    /// The value of the header at this index.
    HeaderValue(usize),
    /// The request body.
    Body,
    /// The starting `Last-Event-ID`.
    LastEventId,
    /// The first reconnection delay.
    RetryInitial,
    /// The cap on the reconnection delay.
    RetryMax,
    /// The idle timeout.
    IdleTimeout,
    /// The stale threshold.
    StaleAfter,
    /// The cap on one event's size.
    MaxEventSize,
    /// How many messages to keep.
    RetentionRows,
    /// How long to keep messages.
    RetentionAge,
    /// The id an imported subscription resumes from.
    ResumeId,
    /// The notification rules.
    Notify,
    /// The subscription's own end event name.
    EndEvent,
    /// The probe interval.
    ProbeEvery,
    /// The expectation (JSON Schema) at this index.
    Expectation(usize),
    /// The subscription's own proxy.
    Proxy,
    /// The extra CA certificates it trusts.
    CaCertificates,
    /// Its client certificate (mTLS).
    ClientCertificate,
    /// The client certificate's private key.
    ClientKey,
}

/// A setting that cannot be used, with why in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Invalid {
    /// Which setting.
    pub field: Field,
    /// What is wrong, as a sentence; never holds a secret value.
    pub message: String,
}

impl Invalid {
    /// A problem with `field`.
    pub fn new(field: Field, message: impl Into<String>) -> Self {
        Invalid {
            field,
            message: message.into(),
        }
    }
}

/// The method to send for what the user typed: blank is GET, a standard method in any case is
/// sent upper-case (as users of `curl -X post` expect), an extension method exactly as written
/// (they are case-sensitive).
pub fn normalize_method(method: &str) -> String {
    let method = method.trim();
    if method.is_empty() {
        return "GET".into();
    }
    METHODS
        .iter()
        .find(|known| known.eq_ignore_ascii_case(method))
        .map_or_else(|| method.to_string(), |known| (*known).to_string())
}

/// Checks a name: not blank, not a plain number (`streamwatch subs remove 12` must mean id 12),
/// no control characters, not too long. Surrounding spaces are the caller's to trim.
pub fn check_name(name: &str) -> Result<(), Invalid> {
    let bad = |m: String| Err(Invalid::new(Field::Name, m));
    if name.trim().is_empty() {
        return bad("Give the subscription a name.".into());
    }
    if name.chars().nth(MAX_NAME_CHARS).is_some() {
        return bad(format!(
            "The name is longer than {MAX_NAME_CHARS} characters."
        ));
    }
    if name.trim() != name {
        return bad(format!("The name {name:?} starts or ends with spaces."));
    }
    if name.bytes().all(|b| b.is_ascii_digit()) {
        return bad(format!(
            "The name {name:?} is a plain number, which would read as a subscription id: \
             add a letter."
        ));
    }
    if name.chars().any(char::is_control) {
        return bad(format!(
            "The name {name:?} contains control characters (line breaks, tabs…)."
        ));
    }
    Ok(())
}

/// Checks a header name as sent on the wire.
pub fn check_header_name(index: usize, name: &str) -> Result<(), Invalid> {
    if name.trim().is_empty() {
        return Err(Invalid::new(
            Field::HeaderName(index),
            "The header needs a name.",
        ));
    }
    if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
        return Err(Invalid::new(
            Field::HeaderName(index),
            format!("{} is not a valid header name.", shown(name)),
        ));
    }
    Ok(())
}

/// Checks a header value as sent on the wire; a secret value is never quoted back.
pub fn check_header_value(
    index: usize,
    name: &str,
    value: &str,
    secret: bool,
) -> Result<(), Invalid> {
    if reqwest::header::HeaderValue::from_str(value).is_ok() {
        return Ok(());
    }
    let what = if secret {
        format!(
            "The secret value of header {} cannot be sent (the value is not shown)",
            shown(name)
        )
    } else {
        format!("The value of header {} cannot be sent", shown(name))
    };
    Err(Invalid::new(
        Field::HeaderValue(index),
        format!("{what}: line breaks, control or non-ASCII characters?"),
    ))
}

/// Splits and checks a `Name: value` line (as `-H` takes it); a secret's value never appears in
/// the error.
pub fn parse_header_line(line: &str, secret: bool) -> Result<(String, String), Invalid> {
    let Some((name, value)) = line.split_once(':') else {
        let shown = if secret {
            "(not shown)".into()
        } else {
            shown(line)
        };
        return Err(Invalid::new(
            Field::HeaderName(0),
            format!("Expected a header as \"Name: value\", got {shown}."),
        ));
    };
    let (name, value) = (name.trim(), value.trim());
    check_header_name(0, name)?;
    check_header_value(0, name, value, secret)?;
    Ok((name.to_string(), value.to_string()))
}

/// Checks a starting `Last-Event-ID`: it travels in a header, so no control characters (the
/// engine would otherwise skip it silently) and not too long.
pub fn check_last_event_id(id: &str) -> Result<(), Invalid> {
    check_event_id(Field::LastEventId, id)
}

/// [`check_last_event_id`] for `field` (the id an imported subscription resumes from travels
/// the same way).
pub fn check_event_id(field: Field, id: &str) -> Result<(), Invalid> {
    if id.len() > MAX_LAST_EVENT_ID_BYTES {
        return Err(Invalid::new(
            field,
            format!(
                "The Last-Event-ID is {} bytes long; at most {MAX_LAST_EVENT_ID_BYTES} are \
                 accepted.",
                id.len()
            ),
        ));
    }
    if id.chars().any(|c| c.is_control() && c != '\t') {
        return Err(Invalid::new(
            field,
            format!(
                "The Last-Event-ID {} contains line breaks or control characters.",
                shown(id)
            ),
        ));
    }
    Ok(())
}

/// Checks every setting of `record`, its name included, as it will be saved and run. Secret
/// headers may hold their plain value or a keyring reference; neither is resolved here and
/// neither is echoed.
pub fn check_record(record: &SubscriptionRecord) -> Result<(), Invalid> {
    check_name(&record.name)?;
    check_settings(record)
}

/// [`check_record`] without the name: what running a subscription needs (a name saved before
/// the name rule was tightened must not keep it from starting).
pub fn check_settings(record: &SubscriptionRecord) -> Result<(), Invalid> {
    let mut config = SubscriptionConfig::new(&record.url).map_err(|e| url_problem(&e))?;
    crate::url_credentials::check_param_names(&record.secret_params)
        .map_err(|why| Invalid::new(Field::Url, why))?;
    if record.method.len() > MAX_METHOD_BYTES {
        return Err(Invalid::new(
            Field::Method,
            format!(
                "The HTTP method is {} bytes long; at most {MAX_METHOD_BYTES} are accepted.",
                record.method.len()
            ),
        ));
    }
    if record.method.trim() != record.method
        || reqwest::Method::from_bytes(record.method.as_bytes()).is_err()
    {
        return Err(Invalid::new(
            Field::Method,
            format!(
                "{} is not an HTTP method: one word of letters, like GET or POST.",
                shown(&record.method)
            ),
        ));
    }
    for (i, h) in record.headers.iter().enumerate() {
        check_header_name(i, &h.name)?;
        let is_reference = h.secret && h.value.parse::<SecretRef>().is_ok();
        if h.secret && h.value.is_empty() {
            return Err(Invalid::new(
                Field::HeaderValue(i),
                format!("Enter the secret value of header {:?}.", h.name),
            ));
        }
        if !is_reference {
            check_header_value(i, &h.name, &h.value, h.secret)?;
        }
    }
    if let Some(id) = &record.last_event_id {
        check_last_event_id(id)?;
    }
    check_retry(record)?;
    check_limits(record)?;
    if let Some(name) = &record.end_event {
        check_end_event(name)?;
    }
    if let Some(ms) = record.probe_every_ms {
        check_probe_every(Duration::from_millis(ms))?;
    }
    check_expectations(&record.expectations)?;
    check_network(&record.network).map_err(|p| {
        let field = match p.field {
            NetworkField::Proxy => Field::Proxy,
            NetworkField::CaCertificates => Field::CaCertificates,
            NetworkField::ClientCertificate => Field::ClientCertificate,
            NetworkField::ClientKey => Field::ClientKey,
        };
        Invalid::new(field, p.message)
    })?;
    NotifyRules::from_json(&record.notify)
        .and_then(|r| r.compile().map(drop))
        .map_err(|e| Invalid::new(Field::Notify, e.to_string()))?;
    // The engine's own final check, on everything but secret values.
    config.method = record.method.clone();
    config.retry = record.retry.clone();
    config.validate().map_err(|e| match e {
        ConfigError::InvalidRetry(why) => Invalid::new(Field::RetryMax, why),
        ConfigError::InvalidMethod(m) => {
            Invalid::new(Field::Method, format!("{m:?} is not an HTTP method."))
        }
        other => url_problem(&other),
    })
}

/// Checks each expectation on its own (so the error names its row): event type, size, no
/// remote reference, and that the schema compiles.
pub fn check_expectations(list: &[Expectation]) -> Result<(), Invalid> {
    if list.len() > MAX_EXPECTATIONS {
        let e = ExpectationError::TooMany { count: list.len() };
        return Err(Invalid::new(
            Field::Expectation(MAX_EXPECTATIONS),
            e.to_string(),
        ));
    }
    for (i, e) in list.iter().enumerate() {
        Expectations::new(vec![e.clone()])
            .check()
            .map_err(|err| Invalid::new(Field::Expectation(i), err.to_string()))?;
    }
    Ok(())
}

/// The shortest probe interval: a run every few seconds is load testing, not watching.
pub const MIN_PROBE_EVERY: Duration = Duration::from_secs(10);
/// The longest probe interval (7 days).
pub const MAX_PROBE_EVERY: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// Checks a probe interval: between [`MIN_PROBE_EVERY`] and [`MAX_PROBE_EVERY`].
pub fn check_probe_every(every: Duration) -> Result<(), Invalid> {
    if every < MIN_PROBE_EVERY || every > MAX_PROBE_EVERY {
        return Err(Invalid::new(
            Field::ProbeEvery,
            format!(
                "A probe runs every 10 seconds at the most often and every 7 days at the least \
                 often; {} is outside that.",
                crate::liveness::words(every)
            ),
        ));
    }
    Ok(())
}

/// Longest end event name accepted: event types are short words.
pub const MAX_END_EVENT_BYTES: usize = 200;

/// Checks an end event name: an event type as a server sends it after `event:` (no control
/// characters, no leading or trailing space, which the parser would never match).
pub fn check_end_event(name: &str) -> Result<(), Invalid> {
    let bad = |why: String| Err(Invalid::new(Field::EndEvent, why));
    if name.is_empty() {
        return bad("Enter the event type that ends the stream, or leave it unset.".into());
    }
    if name.len() > MAX_END_EVENT_BYTES {
        return bad(format!(
            "The end event is {} bytes long; at most {MAX_END_EVENT_BYTES} are accepted.",
            name.len()
        ));
    }
    if name.trim() != name || name.chars().any(char::is_control) {
        return bad(format!(
            "{} cannot be an event type: no spaces at the ends and no control characters.",
            shown(name)
        ));
    }
    Ok(())
}

/// Longest stale threshold a subscription may set (a day); beyond it the setting is a typo.
pub const MAX_STALE_AFTER_SECS: u64 = 86_400;

/// Checks the idle timeout, the stale threshold, the event size cap and retention against
/// their ranges.
fn check_limits(record: &SubscriptionRecord) -> Result<(), Invalid> {
    // 0 turns the idle timeout off.
    if let Some(ms) = record.idle_timeout_ms.filter(|ms| *ms > MAX_DELAY_MS) {
        return Err(Invalid::new(
            Field::IdleTimeout,
            format!(
                "The idle timeout must be at most 24 hours ({MAX_DELAY_MS} ms), not {ms} ms \
                 (0 turns it off)."
            ),
        ));
    }
    if let Some(secs) = record
        .stale_after_secs
        .filter(|s| *s == 0 || *s > MAX_STALE_AFTER_SECS)
    {
        return Err(Invalid::new(
            Field::StaleAfter,
            format!(
                "The stale threshold must be between 1 second and 24 hours \
                 ({MAX_STALE_AFTER_SECS} s), not {secs} s (leave it unset to learn it)."
            ),
        ));
    }
    let size = record.max_event_size;
    if size == 0 || size > MAX_EVENT_SIZE {
        return Err(Invalid::new(
            Field::MaxEventSize,
            format!(
                "The event size cap must be between 1 byte and 256 MiB ({MAX_EVENT_SIZE} \
                 bytes), not {size}."
            ),
        ));
    }
    let rows = record.retention.max_rows;
    if rows == 0 || rows > MAX_RETENTION_ROWS {
        return Err(Invalid::new(
            Field::RetentionRows,
            format!("Keep between 1 and {MAX_RETENTION_ROWS} messages, not {rows}."),
        ));
    }
    let age = record.retention.max_age;
    if age < Duration::from_millis(1) || age > MAX_RETENTION_AGE {
        return Err(Invalid::new(
            Field::RetentionAge,
            format!(
                "Keep messages for between 1 ms and 100 years ({} ms), not {} ms.",
                MAX_RETENTION_AGE.as_millis(),
                age.as_millis()
            ),
        ));
    }
    Ok(())
}

fn check_retry(record: &SubscriptionRecord) -> Result<(), Invalid> {
    let r = &record.retry;
    if r.initial_ms > MAX_DELAY_MS {
        return Err(Invalid::new(
            Field::RetryInitial,
            format!(
                "The first retry delay must be at most 24 hours ({MAX_DELAY_MS} ms), not {} ms.",
                r.initial_ms
            ),
        ));
    }
    if r.max_ms > MAX_DELAY_MS {
        return Err(Invalid::new(
            Field::RetryMax,
            format!(
                "The maximum retry delay must be at most 24 hours ({MAX_DELAY_MS} ms), not {} \
                 ms.",
                r.max_ms
            ),
        ));
    }
    if r.max_ms == 0 {
        return Err(Invalid::new(
            Field::RetryMax,
            "The maximum retry delay must be above 0 ms, or a failing server would be hammered.",
        ));
    }
    if r.max_ms < r.initial_ms {
        return Err(Invalid::new(
            Field::RetryMax,
            format!(
                "The maximum retry delay ({} ms) must be at least the initial delay ({} ms).",
                r.max_ms, r.initial_ms
            ),
        ));
    }
    Ok(())
}

fn url_problem(e: &ConfigError) -> Invalid {
    let message = match e {
        // The URL as given may be huge; quote the start of it.
        ConfigError::InvalidUrl { url, reason } => format!("invalid URL {}: {reason}", shown(url)),
        other => other.to_string(),
    };
    Invalid::new(Field::Url, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::StoredHeader;

    fn record() -> SubscriptionRecord {
        SubscriptionRecord::new("feed", "http://127.0.0.1:1/events")
    }

    fn field(r: &SubscriptionRecord) -> Field {
        check_record(r).unwrap_err().field
    }

    #[test]
    fn a_default_record_is_valid() {
        assert_eq!(check_record(&record()), Ok(()));
    }

    #[test]
    fn a_probe_runs_every_10_seconds_to_7_days() {
        let mut r = record();
        for ok in [10_000, 300_000, 7 * 24 * 3_600_000] {
            r.probe_every_ms = Some(ok);
            assert_eq!(check_record(&r), Ok(()), "{ok}");
        }
        for bad in [0, 9_999, 7 * 24 * 3_600_000 + 1] {
            r.probe_every_ms = Some(bad);
            let e = check_record(&r).unwrap_err();
            assert_eq!(e.field, Field::ProbeEvery, "{bad}");
            assert!(e.message.contains("every 10 seconds"), "{}", e.message);
        }
    }

    #[test]
    fn end_events_are_event_types() {
        let mut r = record();
        r.end_event = Some("done".into());
        assert_eq!(check_record(&r), Ok(()));
        for bad in ["", " done", "a\nb", &"x".repeat(MAX_END_EVENT_BYTES + 1)] {
            r.end_event = Some(bad.to_string());
            assert_eq!(field(&r), Field::EndEvent, "{bad:?}");
        }
    }

    #[test]
    fn the_stale_threshold_is_a_second_to_a_day() {
        let mut r = record();
        for ok in [1, MAX_STALE_AFTER_SECS] {
            r.stale_after_secs = Some(ok);
            assert_eq!(check_record(&r), Ok(()));
        }
        for bad in [0, MAX_STALE_AFTER_SECS + 1] {
            r.stale_after_secs = Some(bad);
            assert_eq!(field(&r), Field::StaleAfter);
        }
    }

    #[test]
    fn names_that_read_as_ids_or_break_lines_are_refused() {
        for bad in ["", "  ", "12", "007", "a\nb", " x", "x "] {
            assert_eq!(check_name(bad).unwrap_err().field, Field::Name, "{bad:?}");
        }
        assert!(check_name(&"n".repeat(MAX_NAME_CHARS + 1)).is_err());
        for good in ["12a", "prices", "Prix €", "1.5"] {
            assert_eq!(check_name(good), Ok(()), "{good:?}");
        }
    }

    #[test]
    fn methods_are_normalised_once() {
        assert_eq!(normalize_method(" post "), "POST");
        assert_eq!(normalize_method(""), "GET");
        assert_eq!(normalize_method("options"), "OPTIONS");
        assert_eq!(normalize_method("Subscribe"), "Subscribe");
        let mut r = record();
        r.method = "GE T".into();
        assert_eq!(field(&r), Field::Method);
    }

    #[test]
    fn each_problem_names_its_field() {
        let mut r = record();
        r.url = "ftp://x/".into();
        assert_eq!(field(&r), Field::Url);
        let mut r = record();
        r.retry.max_ms = 0;
        assert_eq!(field(&r), Field::RetryMax);
        let mut r = record();
        r.retry.initial_ms = u64::MAX;
        assert_eq!(field(&r), Field::RetryInitial);
        let mut r = record();
        r.last_event_id = Some("a\rb".into());
        assert_eq!(field(&r), Field::LastEventId);
        let mut r = record();
        r.idle_timeout_ms = Some(u64::MAX);
        assert_eq!(field(&r), Field::IdleTimeout);
        let mut r = record();
        r.notify = serde_json::json!({ "downAfterSecs": "soon" });
        assert_eq!(field(&r), Field::Notify);
        let mut r = record();
        r.headers = vec![
            StoredHeader {
                name: "X-Ok".into(),
                value: "1".into(),
                secret: false,
            },
            StoredHeader {
                name: "bad name".into(),
                value: "v".into(),
                secret: false,
            },
        ];
        assert_eq!(field(&r), Field::HeaderName(1));
    }

    #[test]
    fn numbers_out_of_range_name_their_field() {
        type Set = fn(&mut SubscriptionRecord);
        let cases: Vec<(Set, Field)> = vec![
            (|r| r.max_event_size = 0, Field::MaxEventSize),
            (
                |r| r.max_event_size = MAX_EVENT_SIZE + 1,
                Field::MaxEventSize,
            ),
            (|r| r.max_event_size = usize::MAX, Field::MaxEventSize),
            (|r| r.retention.max_rows = 0, Field::RetentionRows),
            (
                |r| r.retention.max_rows = MAX_RETENTION_ROWS + 1,
                Field::RetentionRows,
            ),
            (|r| r.retention.max_rows = u64::MAX, Field::RetentionRows),
            (
                |r| r.retention.max_age = Duration::ZERO,
                Field::RetentionAge,
            ),
            (
                |r| r.retention.max_age = Duration::from_micros(999),
                Field::RetentionAge,
            ),
            (
                |r| r.retention.max_age = MAX_RETENTION_AGE + Duration::from_millis(1),
                Field::RetentionAge,
            ),
            (|r| r.retention.max_age = Duration::MAX, Field::RetentionAge),
            (
                |r| r.retry.initial_ms = MAX_DELAY_MS + 1,
                Field::RetryInitial,
            ),
            (
                |r| {
                    r.retry.initial_ms = 10;
                    r.retry.max_ms = MAX_DELAY_MS + 1;
                },
                Field::RetryMax,
            ),
            (
                |r| {
                    r.retry.initial_ms = 500;
                    r.retry.max_ms = 499;
                },
                Field::RetryMax,
            ),
            (
                |r| r.idle_timeout_ms = Some(MAX_DELAY_MS + 1),
                Field::IdleTimeout,
            ),
            (
                |r| r.last_event_id = Some("7".repeat(MAX_LAST_EVENT_ID_BYTES + 1)),
                Field::LastEventId,
            ),
        ];
        for (i, (set, want)) in cases.into_iter().enumerate() {
            let mut r = record();
            set(&mut r);
            let e = check_record(&r).unwrap_err();
            assert_eq!(e.field, want, "case {i}: {e}");
            assert!(e.message.len() < 200, "case {i}: {e}");
        }
    }

    #[test]
    fn the_edges_of_each_range_are_accepted() {
        let mut r = record();
        r.max_event_size = MAX_EVENT_SIZE;
        r.retention.max_rows = MAX_RETENTION_ROWS;
        r.retention.max_age = MAX_RETENTION_AGE;
        r.retry.initial_ms = MAX_DELAY_MS;
        r.retry.max_ms = MAX_DELAY_MS;
        r.idle_timeout_ms = Some(MAX_DELAY_MS);
        r.last_event_id = Some("7".repeat(MAX_LAST_EVENT_ID_BYTES));
        assert_eq!(check_record(&r), Ok(()));
        let mut r = record();
        r.max_event_size = 1;
        r.retention.max_rows = 1;
        r.retention.max_age = Duration::from_millis(1);
        // A first retry at once is what browsers do; 0 turns the idle timeout off.
        r.retry.initial_ms = 0;
        r.retry.max_ms = 1;
        r.idle_timeout_ms = Some(0);
        assert_eq!(check_record(&r), Ok(()));
    }

    #[test]
    fn huge_text_is_never_quoted_whole() {
        let huge = "x ".repeat(5 << 20);
        let mut r = record();
        r.name = format!("{huge} ");
        assert_eq!(field(&r), Field::Name);
        let mut r = record();
        r.method = huge.replace(' ', "");
        assert_eq!(field(&r), Field::Method);
        let mut r = record();
        r.method = "M".repeat(MAX_METHOD_BYTES);
        assert_eq!(check_record(&r), Ok(()));
        r.method.push('M');
        assert_eq!(field(&r), Field::Method);
        r.method = huge.clone();
        let mut r2 = record();
        r2.url = format!("http://[{huge}");
        let mut r3 = record();
        r3.headers = vec![StoredHeader {
            name: huge.clone(),
            value: "v".into(),
            secret: false,
        }];
        let mut r4 = record();
        r4.last_event_id = Some(format!("{}\n", "1".repeat(100)));
        for r in [r, r2, r3, r4] {
            let e = check_record(&r).unwrap_err();
            assert!(
                e.message.len() < 300,
                "{:?}: {} bytes",
                e.field,
                e.message.len()
            );
        }
        assert_eq!(shown("abc"), "\"abc\"");
        assert_eq!(
            shown(&"é".repeat(100)),
            format!("{:?}…", "é".repeat(SHOWN_CHARS))
        );
    }

    #[test]
    fn a_bad_secret_value_is_never_echoed() {
        let mut r = record();
        r.headers = vec![StoredHeader {
            name: "Authorization".into(),
            value: "Bearer hunter2\n".into(),
            secret: true,
        }];
        let e = check_record(&r).unwrap_err();
        assert_eq!(e.field, Field::HeaderValue(0));
        assert!(!e.message.contains("hunter2"), "{e}");
        let e = parse_header_line("Authorization: Bearer \u{7}hunter2", true).unwrap_err();
        assert!(!e.message.contains("hunter2"), "{e}");
        let e = parse_header_line("no colon hunter2", true).unwrap_err();
        assert!(!e.message.contains("hunter2"), "{e}");
    }

    #[test]
    fn header_lines_split_and_trim() {
        assert_eq!(
            parse_header_line(" X-Key :  v 1 ", false),
            Ok(("X-Key".into(), "v 1".into()))
        );
        assert!(parse_header_line("nocolon", false).is_err());
    }
}
