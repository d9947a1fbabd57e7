//! What an edit changed, in plain words and without values, for the timeline ("edited: URL,
//! headers"): a secret header or URL credential is named, never shown.

use crate::storage::SubscriptionRecord;

/// The settings that differ between `old` and `new` (both sealed: a secret compares by its
/// keyring reference, which changes only when a new value was given), in form order. Pausing
/// is left out: the timeline tells it as its own entry.
pub fn changed_fields(old: &SubscriptionRecord, new: &SubscriptionRecord) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut note = |changed: bool, what: &'static str| {
        if changed {
            out.push(what);
        }
    };
    note(old.name.trim() != new.name.trim(), "name");
    note(old.url != new.url, "URL");
    note(old.secret_params != new.secret_params, "secret parameters");
    note(old.method != new.method, "method");
    note(old.headers != new.headers, "headers");
    note(old.body != new.body, "body");
    note(old.last_event_id != new.last_event_id, "starting id");
    note(old.retry != new.retry, "retry settings");
    note(old.idle_timeout_ms != new.idle_timeout_ms, "idle timeout");
    note(
        old.stale_after_secs != new.stale_after_secs,
        "stale threshold",
    );
    note(old.max_event_size != new.max_event_size, "event size cap");
    note(old.retention != new.retention, "retention");
    note(old.notify != new.notify, "notifications");
    note(old.redirects != new.redirects, "redirects");
    note(old.network.proxy != new.network.proxy, "proxy");
    note(
        old.network.extra_ca_pem != new.network.extra_ca_pem,
        "CA certificates",
    );
    note(
        old.network.client_cert_pem != new.network.client_cert_pem
            || old.network.client_key_pem != new.network.client_key_pem,
        "client certificate",
    );
    note(old.reconnect != new.reconnect, "reconnect mode");
    note(old.end_event != new.end_event, "end event");
    note(old.probe_every_ms != new.probe_every_ms, "probe interval");
    note(old.expectations != new.expectations, "expectations");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redirects::RedirectMode;
    use crate::storage::StoredHeader;

    #[test]
    fn names_what_changed_without_values() {
        let old = SubscriptionRecord::new("prices", "https://example.com/sse");
        assert!(changed_fields(&old, &old).is_empty());
        let mut new = old.clone();
        new.url = "https://example.com/v2/sse".into();
        new.headers.push(StoredHeader {
            name: "Authorization".into(),
            value: "keyring:streamwatch/7".into(),
            secret: true,
        });
        new.redirects = RedirectMode::Never;
        new.paused = true;
        let fields = changed_fields(&old, &new);
        assert_eq!(fields, ["URL", "headers", "redirects"]);
        assert!(!fields.join(", ").contains("keyring"));
    }
}
