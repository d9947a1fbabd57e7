//! The export file (crates/cli/EXPORT_FORMAT.md): `streamwatch export` and the app's Export
//! write it, `streamwatch import` reads it, and `streamwatch run --config` declares
//! subscriptions with it. One definition for all of them, spelled out apart from the storage
//! types so a storage refactor cannot change the file format by accident.

use std::time::{Duration, SystemTime};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::reconnect_mode::ReconnectMode;
use crate::redirects::RedirectMode;
use crate::storage::{
    Retention, SavedSubscription, StoredHeader, StoredMessage, SubscriptionRecord,
};
use crate::RetryConfig;

/// Why a file could not be read as an export file; each names the file as the caller called it.
#[derive(Debug, thiserror::Error)]
pub enum ExportFormatError {
    /// Not JSON at all.
    // The JSON error is quoted, not chained as a `source`: a caller printing the chain would
    // say it twice.
    #[error("{what} is not a streamwatch export file (not JSON): {error}")]
    NotJson {
        what: String,
        error: serde_json::Error,
    },
    /// JSON, but not ours.
    #[error("{what} is not a streamwatch export file (its \"format\" is not {FORMAT:?})")]
    NotExport { what: String },
    /// Written by a newer streamwatch.
    #[error(
        "{what} is export format version {version}, newer than this streamwatch understands \
         ({VERSION}): update streamwatch"
    )]
    Newer { what: String, version: u32 },
    /// A version that never existed.
    #[error("{what} has an unknown export format version {version:?}")]
    UnknownVersion { what: String, version: Option<u32> },
    /// Our envelope, but a field is wrong or unknown; `at` is where, as a path into the file
    /// (`subscriptions[2].retention.max_rows`).
    #[error("{what} is not a valid export file: {at}: {error}")]
    Invalid {
        what: String,
        at: String,
        error: serde_json::Error,
    },
    /// Two subscriptions with one name.
    #[error(
        "{what} names subscription {} twice",
        crate::catalog::validate::shown(name)
    )]
    Twice { what: String, name: String },
    /// A message's time that is not RFC 3339.
    #[error("invalid received_at {value:?}: {reason}")]
    Time { value: String, reason: String },
}

/// RFC 3339 in UTC with milliseconds, as every Streamwatch file and log writes times.
pub fn rfc3339_millis(at: Timestamp) -> String {
    format!("{at:.3}")
}

/// The `format` field's value.
pub const FORMAT: &str = "streamwatch-export";
/// The format version this build writes and reads.
pub const VERSION: u32 = 1;

/// A whole file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportFile {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`VERSION`].
    pub version: u32,
    /// When it was written (informative).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exported_at: Option<String>,
    /// The subscriptions.
    pub subscriptions: Vec<ExportedSubscription>,
}

/// One subscription; every field but `name` and `url` may be left out (defaults as for
/// `subs add`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportedSubscription {
    pub name: String,
    /// Credentials in it (userinfo, token parameters) are masked "••••" unless exported
    /// `--with-secrets`; a masked one is left out on import and reported.
    pub url: String,
    /// Query parameters marked secret beyond the well-known token names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secret_params: Vec<String>,
    #[serde(default = "default_method")]
    pub method: String,
    #[serde(default)]
    pub headers: Vec<ExportedHeader>,
    #[serde(default)]
    pub body: Option<String>,
    /// The user-given Last-Event-ID for the very first request.
    #[serde(default)]
    pub last_event_id: Option<String>,
    #[serde(default)]
    pub retry: ExportedRetry,
    /// `null`: automatic (3× the usual gap, at least 45 s); `0`: off.
    #[serde(default)]
    pub idle_timeout_ms: Option<u64>,
    /// Stale after this many seconds without a message; absent: learned from the stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stale_after_secs: Option<u64>,
    /// The server's integer ids do not count by one, so a jump is no gap; left out when false
    /// (the default), so older readers still take the file.
    #[serde(default, skip_serializing_if = "is_false")]
    pub ids_not_sequential: bool,
    #[serde(default = "default_max_event_size")]
    pub max_event_size: usize,
    #[serde(default)]
    pub paused: bool,
    #[serde(default)]
    pub retention: ExportedRetention,
    #[serde(default = "empty_object")]
    pub notify: serde_json::Value,
    /// Which redirects to follow: `any` (left out when so), `same-origin` or `never`.
    #[serde(
        default,
        skip_serializing_if = "is_any",
        deserialize_with = "redirect_mode"
    )]
    pub redirects: RedirectMode,
    /// The subscription's own proxy, extra CA certificates and client certificate; left out
    /// when it has none (the environment's proxy, the system's CAs).
    #[serde(default, skip_serializing_if = "ExportedNetwork::is_empty")]
    pub network: ExportedNetwork,
    /// Reconnect after a stream ends: `always`, `error` (only after a failure) or `never`;
    /// left out for the method's default (`always` for GET, else `error`), so files without
    /// it, older ones included, read as before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconnect: Option<ReconnectMode>,
    /// An event type that ends the stream cleanly, beside the built-in sentinels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_event: Option<String>,
    /// Run as a probe every this many milliseconds (10 s to 7 days); left out when it is not
    /// a probe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe_every_ms: Option<u64>,
    /// JSON Schemas its events must match, each for one event type or (without
    /// `event_type`) for all; left out when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expectations: Vec<crate::expectations::Expectation>,
    /// Where the stream had got to (the stored last event id); `import` resumes from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume_id: Option<String>,
    /// Stored messages, oldest first (only with `export --with-history`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<ExportedMessage>>,
}

/// One request header. A secret one has no `value` unless exported `--with-secrets`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportedHeader {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default)]
    pub secret: bool,
}

/// Proxy and TLS settings. The proxy's credentials are masked "••••" and the client key left
/// out unless exported `--with-secrets`; on import a masked credential is left out and a
/// certificate without its key is left out with it, each reported.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExportedNetwork {
    /// `http://`, `https://`, `socks5://` or `socks5h://` URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy: Option<String>,
    /// PEM certificates of CAs trusted beside the system's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_certificates: Option<String>,
    /// PEM client certificate (chain) for mTLS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_certificate: Option<String>,
    /// Its PEM private key: only with `--with-secrets`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_key: Option<String>,
}

impl ExportedNetwork {
    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        *self == ExportedNetwork::default()
    }

    fn from_options(n: &crate::client_options::ClientOptions, with_secrets: bool) -> Self {
        ExportedNetwork {
            proxy: n.proxy.as_ref().map(|p| {
                if with_secrets {
                    p.clone()
                } else {
                    crate::url_credentials::mask_url(p, &[])
                }
            }),
            ca_certificates: n.extra_ca_pem.clone(),
            client_certificate: n.client_cert_pem.clone(),
            client_key: if with_secrets {
                n.client_key_pem.clone()
            } else {
                None
            },
        }
    }

    /// The settings to save (secrets plain), adding what was left out to `missing`.
    fn to_options(&self, missing: &mut Vec<String>) -> crate::client_options::ClientOptions {
        let mut out = crate::client_options::ClientOptions {
            proxy: self.proxy.as_deref().map(str::trim).map(str::to_string),
            extra_ca_pem: self.ca_certificates.clone(),
            client_cert_pem: self.client_certificate.clone(),
            client_key_pem: self.client_key.clone(),
        };
        if let Some(url) = out.proxy.as_deref().and_then(|p| url::Url::parse(p).ok()) {
            let mut masked = false;
            let kept = crate::url_credentials::remove(&url, &[], |slot| {
                let gone = slot.value == crate::secrets::MASK;
                masked |= gone;
                gone
            });
            if masked {
                out.proxy = Some(kept.to_string());
                missing.push("proxy credentials".into());
            }
        }
        if out.client_cert_pem.is_some() && out.client_key_pem.is_none() {
            out.client_cert_pem = None;
            missing.push("client certificate and key".into());
        }
        out
    }
}

/// Reconnection policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExportedRetry {
    pub initial_ms: u64,
    pub max_ms: u64,
    /// `null`: retry forever.
    pub max_retries: Option<u32>,
}

impl Default for ExportedRetry {
    fn default() -> Self {
        let d = RetryConfig::default();
        ExportedRetry {
            initial_ms: d.initial_ms,
            max_ms: d.max_ms,
            max_retries: d.max_retries,
        }
    }
}

/// How much history to keep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExportedRetention {
    pub max_rows: u64,
    pub max_age_ms: u64,
}

impl Default for ExportedRetention {
    fn default() -> Self {
        let d = Retention::default();
        ExportedRetention {
            max_rows: d.max_rows,
            max_age_ms: millis(d.max_age),
        }
    }
}

/// One stored message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportedMessage {
    /// RFC 3339.
    pub received_at: String,
    pub event: String,
    /// The last event id in force when it arrived ("" when none).
    pub id: String,
    pub data: String,
    /// The server re-sent it after a reconnect (left out when not).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub replayed: bool,
}

fn default_method() -> String {
    "GET".into()
}

fn default_max_event_size() -> usize {
    SubscriptionRecord::new("", "").max_event_size
}

fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(Default::default())
}

/// For `skip_serializing_if`: a switch left at its default (off) is not written.
fn is_false(on: &bool) -> bool {
    !*on
}

fn is_any(mode: &RedirectMode) -> bool {
    *mode == RedirectMode::Any
}

/// A redirect mode whose error says what is accepted: serde's own would say only "unknown
/// variant".
fn redirect_mode<'de, D: serde::Deserializer<'de>>(d: D) -> Result<RedirectMode, D::Error> {
    let text = String::deserialize(d)?;
    text.parse().map_err(serde::de::Error::custom)
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Parses and checks a file's text; `what` names it in errors.
pub fn parse(text: &str, what: &str) -> Result<ExportFile, ExportFormatError> {
    let what = || what.to_owned();
    // The envelope first, so a file from a newer version says so instead of failing on a field.
    #[derive(Deserialize)]
    struct Envelope {
        format: Option<String>,
        version: Option<u32>,
    }
    let envelope: Envelope =
        serde_json::from_str(text).map_err(|error| ExportFormatError::NotJson {
            what: what(),
            error,
        })?;
    if envelope.format.as_deref() != Some(FORMAT) {
        return Err(ExportFormatError::NotExport { what: what() });
    }
    match envelope.version {
        Some(VERSION) => {}
        Some(version) if version > VERSION => {
            return Err(ExportFormatError::Newer {
                what: what(),
                version,
            })
        }
        version => {
            return Err(ExportFormatError::UnknownVersion {
                what: what(),
                version,
            })
        }
    }
    // Tracking the path names the field serde's own message leaves out ("expected u64").
    let mut json = serde_json::Deserializer::from_str(text);
    let file: ExportFile = serde_path_to_error::deserialize(&mut json)
        .map_err(|e| (e.path().to_string(), e.into_inner()))
        .and_then(|file| json.end().map(|()| file).map_err(|e| (".".into(), e)))
        .map_err(|(at, error)| ExportFormatError::Invalid {
            what: what(),
            at,
            error,
        })?;
    // A set, not a list: a hostile file may hold a million entries.
    let mut seen = std::collections::HashSet::new();
    for s in &file.subscriptions {
        let key = s.name.trim().to_lowercase();
        if !seen.insert(key) {
            return Err(ExportFormatError::Twice {
                what: what(),
                name: s.name.trim().to_owned(),
            });
        }
    }
    Ok(file)
}

impl ExportedSubscription {
    /// The file's form of `saved`; `record` is `saved.record` with secrets revealed when they
    /// are exported, else the stored one (whose secret values are then left out).
    pub fn from_saved(
        saved: &SavedSubscription,
        record: &SubscriptionRecord,
        with_secrets: bool,
        resume_id: Option<String>,
    ) -> ExportedSubscription {
        let r = record;
        ExportedSubscription {
            name: saved.record.name.clone(),
            url: if with_secrets {
                r.url.clone()
            } else {
                crate::url_credentials::mask_url(&r.url, &r.secret_params)
            },
            secret_params: r.secret_params.clone(),
            method: r.method.clone(),
            headers: r
                .headers
                .iter()
                .map(|h| ExportedHeader {
                    name: h.name.clone(),
                    value: (!h.secret || with_secrets).then(|| h.value.clone()),
                    secret: h.secret,
                })
                .collect(),
            body: r.body.clone(),
            last_event_id: r.last_event_id.clone(),
            retry: ExportedRetry {
                initial_ms: r.retry.initial_ms,
                max_ms: r.retry.max_ms,
                max_retries: r.retry.max_retries,
            },
            idle_timeout_ms: r.idle_timeout_ms,
            stale_after_secs: r.stale_after_secs,
            ids_not_sequential: r.ids_not_sequential,
            max_event_size: r.max_event_size,
            paused: r.paused,
            retention: ExportedRetention {
                max_rows: r.retention.max_rows,
                max_age_ms: millis(r.retention.max_age),
            },
            notify: r.notify.clone(),
            redirects: r.redirects,
            network: ExportedNetwork::from_options(&r.network, with_secrets),
            reconnect: r.reconnect,
            end_event: r.end_event.clone(),
            probe_every_ms: r.probe_every_ms,
            expectations: r.expectations.clone(),
            resume_id,
            history: None,
        }
    }

    /// The record to save, with secret headers holding their plain values, and the names of
    /// secret headers left out because the file has no value for them.
    pub fn to_record(&self) -> (SubscriptionRecord, Vec<String>) {
        let mut record = SubscriptionRecord::new(self.name.trim(), self.url.trim());
        record.secret_params = self.secret_params.clone();
        record.method = self.method.clone();
        let mut missing = Vec::new();
        // A credential exported masked has no value here: leave it out, as a secret header.
        if let Ok(url) = url::Url::parse(self.url.trim()) {
            let mut masked = Vec::new();
            let kept = crate::url_credentials::remove(&url, &self.secret_params, |slot| {
                let gone = slot.value == crate::secrets::MASK;
                if gone {
                    masked.push(slot.part.label());
                }
                gone
            });
            if !masked.is_empty() {
                record.url = kept.to_string();
                missing.extend(masked);
            }
        }
        for h in &self.headers {
            match &h.value {
                Some(value) => record.headers.push(StoredHeader {
                    name: h.name.clone(),
                    value: value.clone(),
                    secret: h.secret,
                }),
                None => missing.push(h.name.clone()),
            }
        }
        record.body = self.body.clone();
        record.last_event_id = self.last_event_id.clone().filter(|id| !id.is_empty());
        record.retry = RetryConfig {
            initial_ms: self.retry.initial_ms,
            max_ms: self.retry.max_ms,
            max_retries: self.retry.max_retries,
        };
        // 0 (off) is kept as 0: null is automatic now.
        record.idle_timeout_ms = self.idle_timeout_ms;
        record.stale_after_secs = self.stale_after_secs;
        record.ids_not_sequential = self.ids_not_sequential;
        record.max_event_size = self.max_event_size;
        record.paused = self.paused;
        record.retention = Retention {
            max_rows: self.retention.max_rows,
            max_age: Duration::from_millis(self.retention.max_age_ms),
        };
        record.notify = if self.notify.is_null() {
            empty_object()
        } else {
            self.notify.clone()
        };
        record.redirects = self.redirects;
        record.network = self.network.to_options(&mut missing);
        record.reconnect = self.reconnect;
        record.end_event = self.end_event.clone();
        record.probe_every_ms = self.probe_every_ms;
        record.expectations = self.expectations.clone();
        (record, missing)
    }
}

impl ExportedMessage {
    /// The file's form of a stored message.
    pub fn from_stored(m: &StoredMessage) -> ExportedMessage {
        ExportedMessage {
            received_at: Timestamp::try_from(m.received_at)
                .map_or_else(|_| "1970-01-01T00:00:00.000Z".into(), rfc3339_millis),
            event: m.event.clone(),
            id: m.id.clone(),
            data: m.data.clone(),
            replayed: m.replayed,
        }
    }

    /// When it arrived.
    pub fn received_at(&self) -> Result<SystemTime, ExportFormatError> {
        let bad = |reason: String| ExportFormatError::Time {
            value: self.received_at.clone(),
            reason,
        };
        let t: Timestamp = self.received_at.parse().map_err(|e| bad(format!("{e}")))?;
        SystemTime::try_from(t).map_err(|_| bad("out of range".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(subs: &str) -> String {
        format!(r#"{{"format":"streamwatch-export","version":1,"subscriptions":[{subs}]}}"#)
    }

    #[test]
    fn a_minimal_subscription_gets_the_defaults() {
        let f = parse(&file(r#"{"name":"a","url":"http://h/"}"#), "f").unwrap();
        let (record, missing) = f.subscriptions[0].to_record();
        assert_eq!(record, SubscriptionRecord::new("a", "http://h/"));
        assert!(missing.is_empty());
    }

    #[test]
    fn secret_headers_without_a_value_are_reported() {
        let f = parse(
            &file(
                r#"{"name":"a","url":"http://h/","headers":[
                {"name":"X-A","value":"1"},{"name":"Authorization","secret":true}]}"#,
            ),
            "f",
        )
        .unwrap();
        let (record, missing) = f.subscriptions[0].to_record();
        assert_eq!(record.headers.len(), 1);
        assert_eq!(missing, ["Authorization"]);
    }

    #[test]
    fn bad_envelopes_and_duplicates_are_refused() {
        let newer = r#"{"format":"streamwatch-export","version":9,"subscriptions":[]}"#;
        assert!(parse(newer, "f").unwrap_err().to_string().contains("newer"));
        assert!(parse(r#"{"version":1}"#, "f").is_err());
        assert!(parse("[]", "f").is_err());
        let twice = file(r#"{"name":"a","url":"http://h/"},{"name":"A","url":"http://h/"}"#);
        assert!(parse(&twice, "f")
            .unwrap_err()
            .to_string()
            .contains("twice"));
        let typo = file(r#"{"name":"a","url":"http://h/","idle_timout_ms":5}"#);
        assert!(parse(&typo, "f").is_err());
    }

    #[test]
    fn a_wrong_type_or_a_number_out_of_its_type_names_its_path() {
        for (sub, at) in [
            (
                r#"{"name":"a","url":"http://h/","max_event_size":-1}"#,
                "subscriptions[1].max_event_size: ",
            ),
            (
                r#"{"name":"a","url":"http://h/","retention":{"max_rows":1e40}}"#,
                "subscriptions[1].retention.max_rows: ",
            ),
            (
                r#"{"name":"a","url":"http://h/","retry":{"max_ms":"soon"}}"#,
                "subscriptions[1].retry.max_ms: ",
            ),
            (
                r#"{"name":"a","url":"http://h/","idle_timeout_ms":99999999999999999999}"#,
                "subscriptions[1].idle_timeout_ms: ",
            ),
            (r#"{"name":7,"url":"http://h/"}"#, "subscriptions[1].name: "),
            (
                r#"{"name":"a","url":"http://h/","headers":[{"name":"h","value":[]}]}"#,
                "subscriptions[1].headers[0].value: ",
            ),
        ] {
            let text = file(&format!(r#"{{"name":"ok","url":"http://h/"}},{sub}"#));
            let err = parse(&text, "f").unwrap_err().to_string();
            assert!(
                err.starts_with(&format!("f is not a valid export file: {at}")),
                "{err}"
            );
        }
        let trailing = format!("{} x", file(""));
        assert!(parse(&trailing, "f").is_err());
    }

    #[test]
    fn a_record_survives_the_round_trip() {
        let mut record = SubscriptionRecord::new("a", "http://h/");
        record.headers.push(StoredHeader {
            name: "X-A".into(),
            value: "1".into(),
            secret: false,
        });
        record.body = Some("b".into());
        record.retry.max_retries = Some(4);
        record.idle_timeout_ms = Some(1500);
        record.stale_after_secs = Some(90);
        record.ids_not_sequential = true;
        record.paused = true;
        record.retention.max_rows = 7;
        record.redirects = RedirectMode::SameOrigin;
        record.reconnect = Some(ReconnectMode::Never);
        record.end_event = Some("bye".into());
        record.probe_every_ms = Some(300_000);
        let saved = SavedSubscription {
            id: crate::SubscriptionId(1),
            record: record.clone(),
            created_at: SystemTime::UNIX_EPOCH,
            updated_at: SystemTime::UNIX_EPOCH,
        };
        let exported = ExportedSubscription::from_saved(&saved, &record, false, None);
        let text = serde_json::to_string(&exported).unwrap();
        let back: ExportedSubscription = serde_json::from_str(&text).unwrap();
        assert_eq!(back.to_record(), (record, vec![]));
    }

    #[test]
    fn redirects_default_to_any_and_an_unknown_mode_names_the_field() {
        let f = parse(&file(r#"{"name":"a","url":"http://h/"}"#), "f").unwrap();
        assert_eq!(f.subscriptions[0].redirects, RedirectMode::Any);
        let text = serde_json::to_string(&f.subscriptions[0]).unwrap();
        assert!(
            !text.contains("redirects"),
            "the default is left out, so older readers still take the file: {text}"
        );
        for (value, mode) in [
            ("any", RedirectMode::Any),
            ("same-origin", RedirectMode::SameOrigin),
            ("never", RedirectMode::Never),
        ] {
            let f = parse(
                &file(&format!(
                    r#"{{"name":"a","url":"http://h/","redirects":"{value}"}}"#
                )),
                "f",
            )
            .unwrap();
            assert_eq!(f.subscriptions[0].to_record().0.redirects, mode);
        }
        let bad = file(r#"{"name":"a","url":"http://h/","redirects":"sometimes"}"#);
        let err = parse(&bad, "f").unwrap_err().to_string();
        assert!(
            err.contains("redirects") && err.contains("sometimes"),
            "{err}"
        );
        let wrong_type = file(r#"{"name":"a","url":"http://h/","redirects":true}"#);
        assert!(parse(&wrong_type, "f").is_err());
    }

    #[test]
    fn reconnect_and_end_event_are_optional_and_an_unknown_mode_names_the_field() {
        let f = parse(
            &file(r#"{"name":"a","url":"http://h/","method":"POST"}"#),
            "f",
        )
        .unwrap();
        let (record, _) = f.subscriptions[0].to_record();
        assert_eq!((record.reconnect, record.end_event), (None, None));
        let text = serde_json::to_string(&f.subscriptions[0]).unwrap();
        assert!(
            !text.contains("reconnect") && !text.contains("end_event"),
            "{text}"
        );
        let f = parse(
            &file(r#"{"name":"a","url":"http://h/","reconnect":"never","end_event":"bye"}"#),
            "f",
        )
        .unwrap();
        let (record, _) = f.subscriptions[0].to_record();
        assert_eq!(record.reconnect, Some(ReconnectMode::Never));
        assert_eq!(record.end_event.as_deref(), Some("bye"));
        let err = parse(
            &file(r#"{"name":"a","url":"http://h/","reconnect":"sometimes"}"#),
            "f",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("subscriptions[0].reconnect"), "{err}");
    }

    #[test]
    fn ids_not_sequential_defaults_to_off_is_written_only_when_on_and_must_be_a_boolean() {
        let f = parse(&file(r#"{"name":"a","url":"http://h/"}"#), "f").unwrap();
        assert!(!f.subscriptions[0].to_record().0.ids_not_sequential);
        let text = serde_json::to_string(&f.subscriptions[0]).unwrap();
        assert!(!text.contains("ids_not_sequential"), "{text}");
        let on = parse(
            &file(r#"{"name":"a","url":"http://h/","ids_not_sequential":true}"#),
            "f",
        )
        .unwrap();
        assert!(on.subscriptions[0].to_record().0.ids_not_sequential);
        let text = serde_json::to_string(&on.subscriptions[0]).unwrap();
        assert!(text.contains(r#""ids_not_sequential":true"#), "{text}");
        for bad in [r#""yes""#, "1", "null"] {
            let text = file(&format!(
                r#"{{"name":"a","url":"http://h/","ids_not_sequential":{bad}}}"#
            ));
            let err = parse(&text, "f").unwrap_err().to_string();
            assert!(
                err.starts_with(
                    "f is not a valid export file: subscriptions[0].ids_not_sequential: "
                ),
                "{bad}: {err}"
            );
        }
        // A misspelling is an unknown field, not a silent default.
        let typo = file(r#"{"name":"a","url":"http://h/","ids_not_sequental":true}"#);
        assert!(parse(&typo, "f").is_err());
    }

    #[test]
    fn the_replayed_flag_is_written_only_when_set_and_read_back() {
        let m = |replayed| ExportedMessage {
            received_at: "1970-01-01T00:00:00.000Z".into(),
            event: "tick".into(),
            id: "4".into(),
            data: "x".into(),
            replayed,
        };
        let plain = serde_json::to_string(&m(false)).unwrap();
        assert!(!plain.contains("replayed"), "{plain}");
        let text = serde_json::to_string(&m(true)).unwrap();
        assert!(text.contains(r#""replayed":true"#), "{text}");
        let back: ExportedMessage = serde_json::from_str(&text).unwrap();
        assert!(back.replayed);
        let old: ExportedMessage = serde_json::from_str(
            r#"{"received_at":"1970-01-01T00:00:00.000Z","event":"e","id":"","data":""}"#,
        )
        .unwrap();
        assert!(
            !old.replayed,
            "files from before the flag read as not replayed"
        );
    }
}
