//! Usage errors (exit status 2) and the parsers of flag values several commands share. Its own
//! module so the argument definitions and the subcommands both import it without importing each
//! other.

use clap::ValueEnum;
use std::time::Duration;

use streamwatch_engine::catalog::{CatalogError, Field, Invalid};
use streamwatch_engine::subscription::{ConfigError, RedirectMode};

/// Flags that parse but cannot be used; reported as a usage error (exit status 2).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UsageError {
    /// The engine refused the URL, a header, the method or the retry settings.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Control characters cannot travel in a `Last-Event-ID` header.
    #[error("invalid --last-event-id {0:?}: it may not contain control characters")]
    LastEventId(String),
    /// Any other value that parses but cannot be used, in words.
    #[error("{0}")]
    Invalid(String),
}

impl From<Invalid> for UsageError {
    /// The catalog's problem, prefixed with what it is about in the command line's words.
    fn from(e: Invalid) -> Self {
        let what = match e.field {
            // The engine's URL messages already say "invalid URL …" / "unsupported URL scheme".
            Field::Url => return UsageError::Invalid(e.message),
            Field::Name => "name",
            Field::Method => "HTTP method",
            Field::HeaderName(_) | Field::HeaderValue(_) => "header",
            Field::Body => "--body",
            Field::LastEventId => "--last-event-id",
            Field::RetryInitial | Field::RetryMax => "retry settings",
            Field::IdleTimeout => "--idle-timeout",
            Field::StaleAfter => "--stale-after",
            Field::MaxEventSize => "event size cap",
            Field::RetentionRows => "retention (--keep-rows)",
            Field::RetentionAge => "retention (--keep-days)",
            Field::ResumeId => "resume id",
            Field::Notify => "notification rules",
            Field::Proxy => "--proxy",
            Field::CaCertificates => "--ca-file",
            Field::ClientCertificate => "--client-cert",
            Field::ClientKey => "--client-key",
            Field::EndEvent => "--end-event",
            Field::ProbeEvery => "--probe-every",
            Field::Expectation(_) => "--expect-schema",
        };
        UsageError::Invalid(format!("invalid {what}: {}", e.message))
    }
}

/// A catalog failure as the command's error: an unusable setting is a usage error (exit 2),
/// anything else (a taken name, the database, the keyring) a failure (exit 1).
pub fn catalog_error(e: CatalogError) -> anyhow::Error {
    match e {
        CatalogError::Invalid(i) => UsageError::from(i).into(),
        other => other.into(),
    }
}

/// Parses a non-negative number of seconds, fractions allowed.
pub fn parse_seconds(text: &str) -> Result<Duration, String> {
    let secs: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if secs < 0.0 {
        return Err("must not be negative".to_owned());
    }
    Duration::try_from_secs_f64(secs).map_err(|_| format!("{text:?} is out of range"))
}

/// A number of seconds, or `auto` for what the engine learns from the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondsOrAuto {
    /// Learned from the stream.
    Auto,
    /// This long (zero may mean off, depending on the flag).
    Seconds(Duration),
}

/// Parses `auto` or a non-negative number of seconds, fractions allowed.
pub fn parse_seconds_or_auto(text: &str) -> Result<SecondsOrAuto, String> {
    if text.trim().eq_ignore_ascii_case("auto") {
        return Ok(SecondsOrAuto::Auto);
    }
    parse_seconds(text)
        .map(SecondsOrAuto::Seconds)
        .map_err(|e| format!("{e} (or auto)"))
}

/// Parses a positive number of days, fractions allowed.
pub fn parse_days(text: &str) -> Result<Duration, String> {
    let days: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number of days"))?;
    if days.is_nan() || days <= 0.0 {
        return Err("must be more than 0".to_owned());
    }
    Duration::try_from_secs_f64(days * 86_400.0).map_err(|_| format!("{text:?} is out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_accept_fractions_and_reject_the_rest() {
        assert_eq!(parse_seconds("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_seconds("0"), Ok(Duration::ZERO));
        assert!(parse_seconds("-1").is_err());
        assert!(parse_seconds("soon").is_err());
        assert!(parse_seconds("inf").is_err());
        assert!(parse_seconds("NaN").is_err());
    }

    #[test]
    fn days_must_be_positive() {
        assert_eq!(parse_days("0.5"), Ok(Duration::from_secs(43_200)));
        assert!(parse_days("0").is_err());
        assert!(parse_days("NaN").is_err());
        assert!(parse_days("soon").is_err());
    }

    #[test]
    fn a_catalog_problem_says_what_it_is_about() {
        let e: UsageError = Invalid::new(Field::RetryMax, "too small").into();
        assert_eq!(e.to_string(), "invalid retry settings: too small");
    }
}

/// `--redirects` values: the engine's [`RedirectMode`], with help for each.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectsArg {
    /// Follow any redirect (at most 10); secret headers stay with the first origin.
    Any,
    /// Follow redirects within the URL's origin (scheme, host, port); another is an error.
    SameOrigin,
    /// Follow none: a 3xx answer is an error naming its status and Location.
    Never,
}

impl From<RedirectsArg> for RedirectMode {
    fn from(arg: RedirectsArg) -> Self {
        match arg {
            RedirectsArg::Any => RedirectMode::Any,
            RedirectsArg::SameOrigin => RedirectMode::SameOrigin,
            RedirectsArg::Never => RedirectMode::Never,
        }
    }
}
