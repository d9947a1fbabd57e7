//! What one subscription asks for: the request and the retry settings.

pub use crate::client_options::ClientOptions;
pub use crate::reconnect_mode::ReconnectMode;
pub use crate::redirects::RedirectMode;
use crate::shared_str::SharedStr;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How reconnection delays grow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryConfig {
    /// First delay, until the server sends `retry:`.
    pub initial_ms: u64,
    /// Cap on the exponential delay (`Retry-After` may exceed it).
    pub max_ms: u64,
    /// Give up after this many consecutive failed retries; `None` retries forever.
    pub max_retries: Option<u32>,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            initial_ms: 1000,
            max_ms: 30_000,
            max_retries: None,
        }
    }
}

/// One SSE subscription's request and policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubscriptionConfig {
    /// The stream's URL (http or https).
    pub url: url::Url,
    /// HTTP method; GET unless the server wants otherwise.
    pub method: String,
    /// Extra request headers, sent on every (re)connect.
    pub headers: Vec<(String, String)>,
    /// Names (any case) of the headers in `headers` that are secret: never sent to another
    /// origin on a redirect. `Authorization`, `Cookie` and `Proxy-Authorization` always are.
    #[serde(default)]
    pub secret_headers: Vec<String>,
    /// Query parameters the user marked secret, beyond the well-known token names
    /// ([`crate::url_credentials::TOKEN_PARAMS`]): masked wherever the URL is shown.
    #[serde(default)]
    pub secret_params: Vec<String>,
    /// Which redirects to follow.
    #[serde(default)]
    pub redirects: RedirectMode,
    /// Request body, resent on every reconnect.
    pub body: Option<String>,
    /// `Last-Event-ID` for the first request.
    pub last_event_id: Option<SharedStr>,
    /// Reconnection policy.
    pub retry: RetryConfig,
    /// Reconnect when no byte arrives for this long; `None` is automatic (learned from the
    /// stream, see [`crate::liveness::AutoIdle`]) and zero is off.
    pub idle_timeout: Option<Duration>,
    /// Stale after this long without a message; `None` learns it from the stream (see
    /// [`crate::liveness::Liveness`]).
    #[serde(default)]
    pub stale_after: Option<Duration>,
    /// The server's integer ids do not count by one: a jump is never a gap (see
    /// [`crate::continuity`]).
    #[serde(default)]
    pub ids_not_sequential: bool,
    /// Cap on one event's size.
    pub max_event_size: usize,
    /// Whether a stream that ended is connected again; `None` is the default for the method
    /// (see [`ReconnectMode::default_for_method`]).
    #[serde(default)]
    pub reconnect: Option<ReconnectMode>,
    /// An event type that ends the stream cleanly, like the built-in end sentinels (`[DONE]`,
    /// `message_stop`, `response.completed`).
    #[serde(default)]
    pub end_event: Option<String>,
    /// Run as a probe: one run (one attempt, never reconnected) every this long, scheduled
    /// from each run's start (see [`crate::probe_schedule`]); `None` is not a probe.
    #[serde(default)]
    pub probe_every: Option<std::time::Duration>,
    /// JSON Schemas the events' data must match (see [`crate::expectations`]); compiled once
    /// per configuration.
    #[serde(default)]
    pub expectations: crate::expectations::Expectations,
    /// Proxy, extra CA certificates and client certificate; the default is the environment's
    /// proxy and the system's CAs.
    #[serde(default)]
    pub client: ClientOptions,
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// The URL did not parse.
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl {
        /// What was given.
        url: String,
        /// Why it failed.
        reason: String,
    },
    /// Only http and https can carry an event stream.
    #[error("unsupported URL scheme {0:?}: use http:// or https://")]
    UnsupportedScheme(String),
    /// The method is not a valid HTTP token.
    #[error("invalid HTTP method {0:?}")]
    InvalidMethod(String),
    /// A header name or value cannot be sent.
    #[error("invalid header {0:?}: expected \"Name: value\" with a valid name and value")]
    InvalidHeader(String),
    /// The retry settings contradict each other.
    #[error("invalid retry settings: {0}")]
    InvalidRetry(String),
    /// A schema cannot be used.
    #[error(transparent)]
    Expectations(#[from] crate::expectations::ExpectationError),
    /// The proxy or TLS settings cannot be used.
    #[error(transparent)]
    Client(#[from] crate::client_options::ClientOptionsError),
}

impl SubscriptionConfig {
    /// A GET subscription to `url` with default policy; the URL is checked here.
    pub fn new(url: &str) -> Result<Self, ConfigError> {
        let parsed = url::Url::parse(url).map_err(|e| ConfigError::InvalidUrl {
            // Credentials in a URL that does not parse are still credentials.
            url: crate::url_credentials::mask_url(url, &[]),
            reason: e.to_string(),
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(ConfigError::UnsupportedScheme(parsed.scheme().to_string()));
        }
        Ok(SubscriptionConfig {
            url: parsed,
            method: "GET".into(),
            headers: Vec::new(),
            secret_headers: Vec::new(),
            secret_params: Vec::new(),
            redirects: RedirectMode::default(),
            body: None,
            last_event_id: None,
            retry: RetryConfig::default(),
            idle_timeout: None,
            stale_after: None,
            ids_not_sequential: false,
            max_event_size: crate::parser::DEFAULT_MAX_EVENT_SIZE,
            reconnect: None,
            end_event: None,
            probe_every: None,
            expectations: Default::default(),
            client: ClientOptions::default(),
        })
    }

    /// The reconnect mode in force: the chosen one, else the method's default. A probe never
    /// reconnects inside a run: its next run is its retry.
    pub fn reconnect_mode(&self) -> ReconnectMode {
        if self.probe_every.is_some() {
            return ReconnectMode::Never;
        }
        ReconnectMode::resolve(self.reconnect, &self.method)
    }

    /// Whether its runs are stored: a probe's, and a stream's that ends (mode error or never).
    pub fn records_runs(&self) -> bool {
        self.reconnect_mode() != ReconnectMode::Always
    }

    /// Parses and adds a `Name: value` header line.
    pub fn add_header_line(&mut self, line: &str) -> Result<(), ConfigError> {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| ConfigError::InvalidHeader(line.to_string()))?;
        let (name, value) = (name.trim(), value.trim());
        if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err()
            || reqwest::header::HeaderValue::from_str(value).is_err()
        {
            return Err(ConfigError::InvalidHeader(line.to_string()));
        }
        self.headers.push((name.to_string(), value.to_string()));
        Ok(())
    }

    /// Checks everything a request will need, so bad input fails before any connection.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !matches!(self.url.scheme(), "http" | "https") {
            return Err(ConfigError::UnsupportedScheme(
                self.url.scheme().to_string(),
            ));
        }
        if reqwest::Method::from_bytes(self.method.as_bytes()).is_err() {
            return Err(ConfigError::InvalidMethod(self.method.clone()));
        }
        for (n, v) in &self.headers {
            if reqwest::header::HeaderName::from_bytes(n.as_bytes()).is_err()
                || reqwest::header::HeaderValue::from_str(v).is_err()
            {
                return Err(ConfigError::InvalidHeader(format!("{n}: {v}")));
            }
        }
        for n in &self.secret_headers {
            if reqwest::header::HeaderName::from_bytes(n.as_bytes()).is_err() {
                return Err(ConfigError::InvalidHeader(n.clone()));
            }
        }
        if self.retry.max_ms == 0 {
            return Err(ConfigError::InvalidRetry(
                "max delay is 0: a failing server would be hammered".into(),
            ));
        }
        if self.retry.max_ms < self.retry.initial_ms {
            return Err(ConfigError::InvalidRetry(format!(
                "max delay {} ms is below the initial delay {} ms",
                self.retry.max_ms, self.retry.initial_ms
            )));
        }
        self.client.validate()?;
        // Compiles them: kept for the connection, which judges every event with them.
        self.expectations.check()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_urls_and_schemes() {
        assert!(matches!(
            SubscriptionConfig::new("not a url"),
            Err(ConfigError::InvalidUrl { .. })
        ));
        assert_eq!(
            SubscriptionConfig::new("ftp://x/").unwrap_err(),
            ConfigError::UnsupportedScheme("ftp".into())
        );
    }

    #[test]
    fn header_lines_are_checked() {
        let mut c = SubscriptionConfig::new("http://127.0.0.1/").unwrap();
        c.add_header_line("X-Token: abc").unwrap();
        assert_eq!(c.headers, vec![("X-Token".into(), "abc".into())]);
        assert!(c.add_header_line("no colon").is_err());
        assert!(c.add_header_line("bad name: v").is_err());
    }

    #[test]
    fn secret_header_names_are_checked_and_redirects_default_to_any() {
        let mut c = SubscriptionConfig::new("http://127.0.0.1/").unwrap();
        assert_eq!(c.redirects, RedirectMode::Any);
        c.secret_headers.push("X-Api-Key".into());
        assert_eq!(c.validate(), Ok(()));
        c.secret_headers.push("bad name".into());
        assert!(matches!(c.validate(), Err(ConfigError::InvalidHeader(_))));
    }

    #[test]
    fn configs_saved_before_redirect_settings_still_load() {
        let mut json = serde_json::to_value(SubscriptionConfig::new("http://a/").unwrap()).unwrap();
        let map = json.as_object_mut().unwrap();
        map.remove("secret_headers");
        map.remove("redirects");
        let c: SubscriptionConfig = serde_json::from_value(json).unwrap();
        assert_eq!(
            (c.secret_headers.len(), c.redirects),
            (0, RedirectMode::Any)
        );
    }

    #[test]
    fn retry_settings_must_be_coherent() {
        let mut c = SubscriptionConfig::new("http://127.0.0.1/").unwrap();
        c.retry.initial_ms = 5000;
        c.retry.max_ms = 100;
        assert!(matches!(c.validate(), Err(ConfigError::InvalidRetry(_))));
        c.method = "GET X".into();
        c.retry.max_ms = 9000;
        assert!(matches!(c.validate(), Err(ConfigError::InvalidMethod(_))));
    }
}
