//! The values the storage layer takes and gives back.

use crate::client_options::ClientOptions;
use crate::ids::SubscriptionId;
use crate::reconnect_mode::ReconnectMode;
use crate::redirects::RedirectMode;
use crate::subscription::RetryConfig;
use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime};

/// One request header as saved. Secrets are never stored: for `secret: true` the `value` is the
/// keyring reference that the caller resolves (the storage layer does not talk to the keyring).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredHeader {
    /// Header name.
    pub name: String,
    /// The value, or for a secret header the keyring reference under which the value lives.
    pub value: String,
    /// Whether `value` is a keyring reference rather than the value itself.
    pub secret: bool,
}

/// How much history to keep for one subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    /// Keep at most this many messages (the oldest go first).
    pub max_rows: u64,
    /// Drop messages older than this (checked about once a minute while messages arrive).
    #[serde(rename = "max_age_ms", with = "duration_ms")]
    pub max_age: Duration,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            max_rows: 100_000,
            max_age: Duration::from_secs(30 * 24 * 60 * 60),
        }
    }
}

/// A subscription as the user configured it: everything needed to recreate it after a restart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubscriptionRecord {
    /// Unique, user-chosen name (compared without regard to ASCII case).
    pub name: String,
    /// The stream's URL, as given.
    pub url: String,
    /// HTTP method.
    pub method: String,
    /// Request headers; secret ones hold keyring references.
    pub headers: Vec<StoredHeader>,
    /// Request body, resent on every reconnect.
    pub body: Option<String>,
    /// The user-given `Last-Event-ID` for the very first request.
    pub last_event_id: Option<String>,
    /// Reconnection policy.
    pub retry: RetryConfig,
    /// Reconnect after this many milliseconds without a byte; `None` is automatic (3× the
    /// usual gap between arrivals, at least 45 s: see [`crate::liveness`]) and `Some(0)` is off.
    pub idle_timeout_ms: Option<u64>,
    /// Stale after this many seconds without a message; `None` learns it from the stream.
    #[serde(default)]
    pub stale_after_secs: Option<u64>,
    /// The server's integer ids do not count by one: a jump is never a gap (see
    /// [`crate::continuity`]).
    #[serde(default)]
    pub ids_not_sequential: bool,
    /// Cap on one event's size in bytes.
    pub max_event_size: usize,
    /// Whether the subscription is paused.
    pub paused: bool,
    /// How much history to keep.
    pub retention: Retention,
    /// Notification rules, owned by the notifier; stored as given (`{}` when none).
    pub notify: serde_json::Value,
    /// Which redirects to follow.
    #[serde(default)]
    pub redirects: RedirectMode,
    /// Query parameters the user marked secret, beyond the well-known token names: their
    /// values go to the keyring like secret headers (see [`crate::url_credentials`]).
    #[serde(default)]
    pub secret_params: Vec<String>,
    /// Proxy, extra CA certificates and client certificate; as saved, the proxy's
    /// credentials and the client key are keyring references (see
    /// [`crate::catalog::network_sealing`]).
    #[serde(default)]
    pub network: ClientOptions,
    /// Whether a stream that ended is connected again; `None` is the method's default (see
    /// [`ReconnectMode::default_for_method`]).
    #[serde(default)]
    pub reconnect: Option<ReconnectMode>,
    /// The subscription's own end event: an event of this type ends the stream cleanly.
    #[serde(default)]
    pub end_event: Option<String>,
    /// JSON Schemas the events' data must match (see [`crate::expectations`]).
    #[serde(default)]
    pub expectations: Vec<crate::expectations::Expectation>,
    /// Run as a probe: one finite run every this many milliseconds (`None`: not a probe). See
    /// [`crate::probe_schedule`].
    #[serde(default)]
    pub probe_every_ms: Option<u64>,
}

impl SubscriptionRecord {
    /// A GET subscription named `name` to `url`, with default policy and retention.
    pub fn new(name: impl Into<String>, url: impl Into<String>) -> Self {
        SubscriptionRecord {
            name: name.into(),
            url: url.into(),
            method: "GET".into(),
            headers: Vec::new(),
            body: None,
            last_event_id: None,
            retry: RetryConfig::default(),
            idle_timeout_ms: None,
            stale_after_secs: None,
            ids_not_sequential: false,
            max_event_size: crate::parser::DEFAULT_MAX_EVENT_SIZE,
            paused: false,
            retention: Retention::default(),
            notify: serde_json::Value::Object(Default::default()),
            redirects: RedirectMode::default(),
            secret_params: Vec::new(),
            network: ClientOptions::default(),
            reconnect: None,
            end_event: None,
            expectations: Vec::new(),
            probe_every_ms: None,
        }
    }
}

/// A subscription read back from the database.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SavedSubscription {
    /// Its id, assigned by the database and never reused.
    pub id: SubscriptionId,
    /// Its configuration.
    pub record: SubscriptionRecord,
    /// When it was added.
    pub created_at: SystemTime,
    /// When its configuration last changed (pausing counts).
    pub updated_at: SystemTime,
}

/// One stored event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredMessage {
    /// Position in the subscription's history: increasing, never reused, contiguous between the
    /// oldest and newest rows kept.
    pub seq: u64,
    /// When it arrived.
    pub received_at: SystemTime,
    /// The event type.
    pub event: String,
    /// The last event id in force when it arrived ("" when none).
    pub id: String,
    /// The data.
    pub data: String,
    /// Whether the server re-sent it after a reconnect (the monitor already had it).
    pub replayed: bool,
    /// Why its data did not match its expected JSON Schema, when it did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mismatch: Option<String>,
    /// Bytes of the whole data; more than `data` holds when the query asked for previews.
    #[serde(skip)]
    pub size: u64,
}

/// One change of a subscription's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transition {
    /// When it happened.
    pub at: SystemTime,
    /// The state before, in kebab-case (`open`, `retrying`…).
    pub from: String,
    /// The state after, in kebab-case.
    pub to: String,
    /// Why, in words.
    pub reason: String,
}

/// Events missed across a reconnect, as judged from integer ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GapRecord {
    /// When it was noticed.
    pub at: SystemTime,
    /// The last id received before the jump.
    pub after: u64,
    /// The first id received after it.
    pub next: u64,
    /// How many events were missed.
    pub missed: u64,
}

/// Integer ids that went backwards without a replay: the server restarted its counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ResetRecord {
    /// When it was noticed.
    pub at: SystemTime,
    /// The id received before.
    pub last: u64,
    /// The id that arrived.
    pub first: u64,
}

/// Lifetime counters of one subscription (retention does not lower them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StoredCounters {
    /// Gaps detected.
    pub gaps: u64,
    /// Events missed across those gaps.
    pub missed_events: u64,
    /// Messages ever stored.
    pub messages: u64,
    /// Bytes of message data ever stored.
    pub bytes: u64,
    /// Replayed messages ever stored (also counted in `messages`).
    pub replayed: u64,
    /// Id resets (the server restarted its counter) detected.
    pub resets: u64,
    /// Messages ever stored whose data did not match their expected JSON Schema.
    pub mismatches: u64,
}

/// Which part of a subscription's history to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryQuery {
    /// Only messages received at or after this time.
    pub since: Option<SystemTime>,
    /// Only messages received at or before this time.
    pub until: Option<SystemTime>,
    /// Only messages with a greater seq.
    pub after_seq: Option<u64>,
    /// Only messages with a smaller seq.
    pub before_seq: Option<u64>,
    /// At most this many messages; 0 means no limit.
    pub limit: usize,
    /// Newest first (so `limit` keeps the newest) instead of oldest first.
    pub newest_first: bool,
    /// Stop once the rows' data reaches this many bytes (at least one row); 0 means no limit.
    pub max_bytes: usize,
    /// Read at most this many bytes of each row's data, cut on a character boundary (see
    /// [`StoredMessage::size`]); 0 means whole.
    pub preview_bytes: usize,
}

impl HistoryQuery {
    /// The newest `limit` messages, newest first.
    pub fn latest(limit: usize) -> Self {
        HistoryQuery {
            limit,
            newest_first: true,
            ..Default::default()
        }
    }
}

/// Serializes a duration as whole milliseconds, which is how every front end reads it.
mod duration_ms {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}
