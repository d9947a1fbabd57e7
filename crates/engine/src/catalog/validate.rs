//! The rules a saved subscription must meet, written once for every front end (the CLI, the
//! daemon's config file, the app's form, imports): each problem names the field it is about, so
//! a form can put it beside the input and a command line can name the flag.
//!
//! A secret header's value never appears in a message: it may be the secret itself.

use crate::alerts::NotifyRules;
use crate::secrets::SecretRef;
use crate::storage::SubscriptionRecord;
use crate::subscription::{ConfigError, SubscriptionConfig};
use std::time::Duration;

/// The HTTP methods every front end offers, in this order. Other RFC 9110 tokens are accepted
/// as extension methods and sent exactly as written.
pub const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// Longest name accepted, in characters: a name is shown in menus, notifications and logs.
pub const MAX_NAME_CHARS: usize = 200;

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
    /// The cap on one event's size.
    MaxEventSize,
    /// How much history to keep.
    Retention,
    /// The notification rules.
    Notify,
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
    if name.chars().count() > MAX_NAME_CHARS {
        return bad(format!(
            "The name is longer than {MAX_NAME_CHARS} characters."
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
            format!("{name:?} is not a valid header name."),
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
        format!("The secret value of header {name:?} cannot be sent (the value is not shown)")
    } else {
        format!("The value of header {name:?} cannot be sent")
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
            format!("{line:?}")
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
/// engine would otherwise skip it silently).
pub fn check_last_event_id(id: &str) -> Result<(), Invalid> {
    if id.chars().any(|c| c.is_control() && c != '\t') {
        return Err(Invalid::new(
            Field::LastEventId,
            format!("The Last-Event-ID {id:?} contains line breaks or control characters."),
        ));
    }
    Ok(())
}

/// The largest number of milliseconds storage can hold (SQLite integers are signed).
const MAX_STORED_MS: u64 = i64::MAX as u64;

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
    if record.method.trim() != record.method
        || reqwest::Method::from_bytes(record.method.as_bytes()).is_err()
    {
        return Err(Invalid::new(
            Field::Method,
            format!(
                "{:?} is not an HTTP method: one word of letters, like GET or POST.",
                record.method
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
    if let Some(ms) = record.idle_timeout_ms {
        if ms > MAX_STORED_MS {
            return Err(Invalid::new(
                Field::IdleTimeout,
                "This timeout is too large.",
            ));
        }
    }
    if record.max_event_size == 0 {
        return Err(Invalid::new(
            Field::MaxEventSize,
            "The event size cap must be above 0 bytes.",
        ));
    }
    if record.retention.max_rows == 0 || record.retention.max_age.is_zero() {
        return Err(Invalid::new(
            Field::Retention,
            "Keep at least one message for at least a moment.",
        ));
    }
    if record.retention.max_age > Duration::from_millis(MAX_STORED_MS) {
        return Err(Invalid::new(Field::Retention, "This age is too large."));
    }
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

fn check_retry(record: &SubscriptionRecord) -> Result<(), Invalid> {
    let r = &record.retry;
    if r.initial_ms > MAX_STORED_MS {
        return Err(Invalid::new(
            Field::RetryInitial,
            "This delay is too large.",
        ));
    }
    if r.max_ms > MAX_STORED_MS {
        return Err(Invalid::new(Field::RetryMax, "This delay is too large."));
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
    Invalid::new(Field::Url, e.to_string())
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
