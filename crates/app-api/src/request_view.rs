//! The detail view's "Request" panel: what the next (re)connection of a subscription sends —
//! method, URL, headers, body and `Last-Event-ID` — read from the saved record and the running
//! stream, with every secret masked as everywhere else (URL credentials by the catalog's display
//! rule, secret header values as "••••"). The window shows this; it never rebuilds it.

use crate::error::CommandError;
use serde::{Deserialize, Serialize};
use streamwatch_engine::catalog::sealing::display_url;
use streamwatch_engine::catalog::SubscriptionRecord;
use streamwatch_engine::connection::{sends_last_event_id, STREAM_HEADERS};
use streamwatch_engine::monitor::Monitor;
use streamwatch_engine::secrets::MASK;
use streamwatch_engine::SubscriptionId;
use ts_rs::TS;

/// One header of the request as the window shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "RequestHeaderView.ts")]
pub struct RequestHeaderView {
    pub name: String,
    /// "••••" for a secret header: its value stays in the keyring.
    pub value: String,
    pub secret: bool,
    /// Added by Streamwatch on every request (`Accept`, `Cache-Control`, `Last-Event-ID`),
    /// not one of the subscription's own.
    pub automatic: bool,
}

/// What the next connection of a subscription sends, secrets masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "RequestView.ts")]
pub struct RequestView {
    pub method: String,
    /// Credentials in it masked "••••".
    pub url: String,
    /// In the order sent, `Last-Event-ID` last when one is sent.
    pub headers: Vec<RequestHeaderView>,
    pub body: Option<String>,
    /// Sent as `Last-Event-ID` on the next reconnect; `null` when none is (no id yet, or one
    /// that cannot be a header value).
    pub last_event_id: Option<String>,
    /// Which redirects are followed: `any`, `same-origin` or `never`.
    pub redirects: String,
    /// The subscription's own proxy, credentials masked "••••"; `null`: the environment's.
    pub proxy: Option<String>,
}

/// The request `record` makes when it resumes from `last_event_id` (the stream's last id).
pub fn request_of(record: &SubscriptionRecord, last_event_id: &str) -> RequestView {
    let automatic = |name: &str, value: &str| RequestHeaderView {
        name: name.to_string(),
        value: value.to_string(),
        secret: false,
        automatic: true,
    };
    let mut headers: Vec<RequestHeaderView> = STREAM_HEADERS
        .iter()
        .map(|(name, value)| automatic(name, value))
        .collect();
    headers.extend(record.headers.iter().map(|h| RequestHeaderView {
        name: h.name.clone(),
        value: if h.secret {
            MASK.to_string()
        } else {
            h.value.clone()
        },
        secret: h.secret,
        automatic: false,
    }));
    let last_event_id = sends_last_event_id(last_event_id).then(|| last_event_id.to_string());
    if let Some(id) = &last_event_id {
        headers.push(automatic("Last-Event-ID", id));
    }
    RequestView {
        method: record.method.clone(),
        url: display_url(record),
        headers,
        body: record.body.clone(),
        last_event_id,
        redirects: record.redirects.as_str().to_string(),
        proxy: streamwatch_engine::catalog::network_sealing::display_proxy(&record.network),
    }
}

/// What subscription `id` sends on its next (re)connection: the running stream's last id, or,
/// when it does not run, where it would resume from storage.
pub fn request_view(monitor: &Monitor, id: SubscriptionId) -> Result<RequestView, CommandError> {
    let saved = monitor.catalog().subscription(id)?;
    let last_id = match monitor.supervisor().status(id) {
        Ok(status) => status.last_id.to_string(),
        Err(_) => monitor.catalog().resume_point(id)?.unwrap_or_default(),
    };
    Ok(request_of(&saved.record, &last_id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use streamwatch_engine::catalog::StoredHeader;

    fn record() -> SubscriptionRecord {
        let mut r = SubscriptionRecord::new(
            "feed",
            "http://keyring%3Astreamwatch%2Furl-user-1@h.test/s?token=keyring%3Astreamwatch%2Furl-token-2&q=1",
        );
        r.method = "POST".into();
        r.body = Some("{\"q\":1}".into());
        r.headers = vec![
            StoredHeader {
                name: "Authorization".into(),
                value: "keyring:streamwatch/authorization-0123".into(),
                secret: true,
            },
            StoredHeader {
                name: "X-Team".into(),
                value: "blue".into(),
                secret: false,
            },
        ];
        r
    }

    #[test]
    fn secrets_are_masked_and_the_engines_headers_come_first() {
        let v = request_of(&record(), "41");
        assert_eq!(v.method, "POST");
        assert_eq!(v.url, "http://••••@h.test/s?token=••••&q=1");
        assert_eq!(v.body.as_deref(), Some("{\"q\":1}"));
        let shown: Vec<(&str, &str, bool, bool)> = v
            .headers
            .iter()
            .map(|h| (h.name.as_str(), h.value.as_str(), h.secret, h.automatic))
            .collect();
        assert_eq!(
            shown,
            [
                ("Accept", "text/event-stream", false, true),
                ("Cache-Control", "no-cache", false, true),
                ("Authorization", "••••", true, false),
                ("X-Team", "blue", false, false),
                ("Last-Event-ID", "41", false, true),
            ]
        );
        assert_eq!(v.last_event_id.as_deref(), Some("41"));
        let json = serde_json::to_string(&v).unwrap();
        assert!(!json.contains("keyring:"), "no reference leaks: {json}");
    }

    #[test]
    fn no_last_event_id_is_sent_without_a_usable_id() {
        for id in ["", "bad\nid"] {
            let v = request_of(&record(), id);
            assert_eq!(v.last_event_id, None, "{id:?}");
            assert!(v.headers.iter().all(|h| h.name != "Last-Event-ID"));
        }
    }

    #[tokio::test]
    async fn a_stored_subscription_resumes_from_its_user_given_id() {
        let dir = tempfile::tempdir().unwrap();
        let mut options = streamwatch_engine::monitor::MonitorOptions::new(dir.path().into());
        options.autostart = false;
        let monitor = Monitor::open(options).unwrap();
        let mut r = SubscriptionRecord::new("feed", "http://127.0.0.1:1/events");
        r.paused = true;
        r.last_event_id = Some("7".into());
        let id = monitor.add(&r).unwrap();
        let v = request_view(&monitor, id).unwrap();
        assert_eq!(v.last_event_id.as_deref(), Some("7"));
        assert_eq!(v.url, "http://127.0.0.1:1/events");
        assert!(request_view(&monitor, SubscriptionId(id.0 + 1)).is_err());
    }
}
