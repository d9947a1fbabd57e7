//! A [`SubscriptionForm`] as the record the engine saves, and back: each problem reported
//! against the field that caused it, and the secret-header rules of the contract applied.

use crate::dto::{HeaderForm, SubscriptionForm};
use crate::error::CommandError;
use streamwatch_engine::catalog::sealing::{display_url, masked_headers};
use streamwatch_engine::catalog::validate::{check_header_name, check_record};
use streamwatch_engine::catalog::{normalize_method, StoredHeader, SubscriptionRecord};

/// The record to save for `form`: a new one, or `old` (the saved record being edited) with the
/// form's fields replaced. Settings the form does not show are kept from `old`. The rules are
/// the engine catalog's; this only maps fields (and the catalog's problems back to them).
///
/// A secret header sent back with an empty value and `hasStoredValue` keeps `old`'s keyring
/// reference for a secret header of the same name; a non-empty value is the new secret itself
/// (the catalog refuses a value that is a keyring reference not already the subscription's own).
pub fn record_from_form(
    form: &SubscriptionForm,
    old: Option<&SubscriptionRecord>,
) -> Result<SubscriptionRecord, CommandError> {
    let name = form.name.trim();
    let url = form.url.trim();
    let mut record = match old {
        Some(old) => old.clone(),
        None => SubscriptionRecord::new(name, url),
    };
    record.name = name.to_string();
    record.url = url.to_string();
    record.secret_params = form
        .secret_params
        .iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    record.method = normalize_method(&form.method);
    record.headers = headers(form, old)?;
    record.body = form.body.clone().filter(|b| !b.is_empty());
    record.last_event_id = form.last_event_id.clone().filter(|id| !id.is_empty());
    record.retry.initial_ms = form.retry_initial_ms;
    record.retry.max_ms = form.retry_max_ms;
    record.retry.max_retries = form.max_retries;
    record.idle_timeout_ms = match form.idle_timeout_secs {
        // None is automatic, 0 is off.
        None => None,
        // Past u64 the catalog could not even be told; it checks what storage can hold.
        Some(s) => Some(s.checked_mul(1000).ok_or_else(|| {
            CommandError::invalid("This timeout is too large.", Some("idleTimeoutSecs"))
        })?),
    };
    record.stale_after_secs = form.stale_after_secs;
    record.paused = form.paused;
    if let Some(notify) = &form.notify {
        record.notify = crate::notify_form::notify_json(notify, old.map(|o| &o.notify))?;
    }
    if let Some(mode) = form.redirects {
        record.redirects = mode;
    }
    if let Some(on) = form.ids_not_sequential {
        record.ids_not_sequential = on;
    }
    if let Some(network) = &form.network {
        record.network = network.to_options(old.map(|o| &o.network));
    }
    if let Some(choice) = form.reconnect {
        record.reconnect = choice.mode();
    }
    if let Some(name) = &form.end_event {
        record.end_event = Some(name.trim().to_string()).filter(|n| !n.is_empty());
    }
    if let Some(rows) = &form.expectations {
        record.expectations = crate::expectations_form::expectations_of(rows)?;
    }
    // After `notify`: the probe's run rules live in the same JSON.
    if let Some(probe) = &form.probe {
        probe.apply(&mut record)?;
    }
    check_record(&record)?;
    Ok(record)
}

impl SubscriptionForm {
    /// The form showing a saved record. Secret values stay behind: they come back empty, marked
    /// as stored.
    pub fn from_record(r: &SubscriptionRecord) -> Self {
        SubscriptionForm {
            name: r.name.clone(),
            // Credentials stay behind; "••••" sent back keeps each.
            url: display_url(r),
            secret_params: r.secret_params.clone(),
            method: r.method.clone(),
            // Secret values stay behind: empty, marked as stored.
            headers: masked_headers(r, "")
                .into_iter()
                .map(|h| HeaderForm {
                    has_stored_value: h.secret,
                    name: h.name,
                    value: h.value,
                    secret: h.secret,
                })
                .collect(),
            body: r.body.clone(),
            last_event_id: r.last_event_id.clone(),
            retry_initial_ms: r.retry.initial_ms,
            retry_max_ms: r.retry.max_ms,
            max_retries: r.retry.max_retries,
            // The form counts whole seconds; a value saved elsewhere in milliseconds rounds up.
            idle_timeout_secs: r.idle_timeout_ms.map(|ms| ms.div_ceil(1000)),
            stale_after_secs: r.stale_after_secs,
            paused: r.paused,
            notify: Some(crate::notify_form::form_of(&r.notify)),
            redirects: Some(r.redirects),
            ids_not_sequential: Some(r.ids_not_sequential),
            network: Some(crate::network_form::NetworkForm::from_options(&r.network)),
            reconnect: Some(crate::reconnect_form::ReconnectChoice::of(r.reconnect)),
            end_event: Some(r.end_event.clone().unwrap_or_default()),
            expectations: Some(crate::expectations_form::form_of(&r.expectations)),
            probe: Some(crate::probe_form::ProbeForm::of(r)),
            without_keyring: None,
        }
    }
}

fn headers(
    form: &SubscriptionForm,
    old: Option<&SubscriptionRecord>,
) -> Result<Vec<StoredHeader>, CommandError> {
    // The saved secret references, each usable once, matched by header name.
    let mut stored: Vec<Option<&StoredHeader>> = old
        .map(|o| o.headers.iter().filter(|h| h.secret).map(Some).collect())
        .unwrap_or_default();
    let mut out = Vec::with_capacity(form.headers.len());
    for (i, h) in form.headers.iter().enumerate() {
        let name = h.name.trim();
        // Checked here too: the stored value is matched by a usable name.
        check_header_name(i, name)?;
        let mut value = h.value.trim().to_string();
        if h.secret && value.is_empty() && h.has_stored_value {
            if let Some(kept) = stored
                .iter_mut()
                .find(|slot| slot.is_some_and(|s| s.name.eq_ignore_ascii_case(name)))
                .and_then(Option::take)
            {
                value = kept.value.clone();
            }
        }
        out.push(StoredHeader {
            name: name.to_string(),
            value,
            secret: h.secret,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn form() -> SubscriptionForm {
        SubscriptionForm {
            name: " ticks ".into(),
            url: "http://127.0.0.1:1/events".into(),
            secret_params: vec![],
            method: "post".into(),
            headers: vec![],
            body: Some(String::new()),
            last_event_id: Some(String::new()),
            retry_initial_ms: 500,
            retry_max_ms: 5000,
            max_retries: Some(3),
            idle_timeout_secs: Some(30),
            stale_after_secs: None,
            paused: false,
            notify: None,
            redirects: None,
            ids_not_sequential: None,
            network: None,
            reconnect: None,
            end_event: None,
            expectations: None,
            probe: None,
            without_keyring: None,
        }
    }

    #[test]
    fn reconnect_and_end_event_round_trip_and_an_older_form_keeps_them() {
        use crate::reconnect_form::ReconnectChoice;
        use streamwatch_engine::reconnect_mode::ReconnectMode;
        let mut f = form();
        let r = record_from_form(&f, None).unwrap();
        assert_eq!(
            (r.reconnect, r.end_event.as_deref()),
            (None, None),
            "by method"
        );
        f.reconnect = Some(ReconnectChoice::Never);
        f.end_event = Some(" bye ".into());
        let r = record_from_form(&f, None).unwrap();
        assert_eq!(r.reconnect, Some(ReconnectMode::Never));
        assert_eq!(r.end_event.as_deref(), Some("bye"));
        let back = SubscriptionForm::from_record(&r);
        assert_eq!(back.reconnect, Some(ReconnectChoice::Never));
        assert_eq!(back.end_event.as_deref(), Some("bye"));
        // An older UI leaves both out: the saved ones stay.
        let old = record_from_form(&form(), Some(&r)).unwrap();
        assert_eq!(old.reconnect, Some(ReconnectMode::Never));
        assert_eq!(old.end_event.as_deref(), Some("bye"));
        f.reconnect = Some(ReconnectChoice::ByMethod);
        f.end_event = Some(String::new());
        let cleared = record_from_form(&f, Some(&r)).unwrap();
        assert_eq!((cleared.reconnect, cleared.end_event), (None, None));
        f.end_event = Some("a\u{7}b".into());
        let e = record_from_form(&f, None).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("endEvent"));
    }

    fn header(name: &str, value: &str, secret: bool, stored: bool) -> HeaderForm {
        HeaderForm {
            name: name.into(),
            value: value.into(),
            secret,
            has_stored_value: stored,
        }
    }

    fn field_of(f: &SubscriptionForm) -> Option<String> {
        let e = record_from_form(f, None).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Invalid, "{e:?}");
        e.field
    }

    #[test]
    fn url_credentials_show_masked_and_come_back_as_the_mask() {
        let mut r = SubscriptionRecord::new(
            "feed",
            "http://keyring%3Astreamwatch%2Furl-user-1@h.test/s?sid=keyring%3Astreamwatch%2Furl-sid-2&q=1",
        );
        r.secret_params = vec!["sid".into()];
        let f = SubscriptionForm::from_record(&r);
        assert_eq!(f.url, "http://••••@h.test/s?sid=••••&q=1");
        assert_eq!(f.secret_params, ["sid"]);
        // Sent back as shown, the catalog keeps the stored references (it matches "••••").
        let mut back = f.clone();
        back.secret_params = vec![" sid ".into(), "  ".into()];
        let again = record_from_form(&back, Some(&r)).unwrap();
        assert_eq!(again.url, "http://••••@h.test/s?sid=••••&q=1");
        assert_eq!(again.secret_params, ["sid"]);
    }

    #[test]
    fn a_good_form_becomes_a_record() {
        let r = record_from_form(&form(), None).unwrap();
        assert_eq!(r.name, "ticks");
        assert_eq!(r.method, "POST");
        assert_eq!((r.body, r.last_event_id), (None, None));
        assert_eq!(r.idle_timeout_ms, Some(30_000));
        assert_eq!(r.retry.max_retries, Some(3));
    }

    #[test]
    fn liveness_settings_auto_off_and_set_round_trip() {
        let mut f = form();
        for (idle, stale) in [(None, None), (Some(0), Some(90)), (Some(30), Some(5))] {
            f.idle_timeout_secs = idle;
            f.stale_after_secs = stale;
            let r = record_from_form(&f, None).unwrap();
            assert_eq!(
                r.idle_timeout_ms,
                idle.map(|s| s * 1000),
                "null: auto, 0: off"
            );
            assert_eq!(r.stale_after_secs, stale);
            let back = SubscriptionForm::from_record(&r);
            assert_eq!(
                (back.idle_timeout_secs, back.stale_after_secs),
                (idle, stale)
            );
        }
        f.stale_after_secs = Some(0);
        assert_eq!(field_of(&f).as_deref(), Some("staleAfterSecs"));
        // An older UI leaves the field out: learned.
        let mut json = serde_json::to_value(form()).unwrap();
        json.as_object_mut().unwrap().remove("staleAfterSecs");
        let old: SubscriptionForm = serde_json::from_value(json).unwrap();
        assert_eq!(old.stale_after_secs, None);
    }

    #[test]
    fn ids_not_sequential_round_trips_and_an_older_form_keeps_it() {
        let mut f = form();
        assert!(
            !record_from_form(&f, None).unwrap().ids_not_sequential,
            "off for a new subscription when the form leaves it out"
        );
        f.ids_not_sequential = Some(true);
        let r = record_from_form(&f, None).unwrap();
        assert!(r.ids_not_sequential);
        assert_eq!(
            SubscriptionForm::from_record(&r).ids_not_sequential,
            Some(true)
        );
        // An older UI leaves the field out: the saved setting stays.
        let mut json = serde_json::to_value(form()).unwrap();
        json.as_object_mut().unwrap().remove("idsNotSequential");
        let old: SubscriptionForm = serde_json::from_value(json).unwrap();
        assert!(record_from_form(&old, Some(&r)).unwrap().ids_not_sequential);
        f.ids_not_sequential = Some(false);
        assert!(!record_from_form(&f, Some(&r)).unwrap().ids_not_sequential);
    }

    #[test]
    fn each_problem_names_its_field() {
        let mut f = form();
        f.url = "not a url".into();
        assert_eq!(field_of(&f).as_deref(), Some("url"));
        f.url = "ftp://x/".into();
        assert_eq!(field_of(&f).as_deref(), Some("url"));
        let mut f = form();
        f.name = "  ".into();
        assert_eq!(field_of(&f).as_deref(), Some("name"));
        let mut f = form();
        f.method = "GE T".into();
        assert_eq!(field_of(&f).as_deref(), Some("method"));
        let mut f = form();
        f.retry_max_ms = 100;
        assert_eq!(field_of(&f).as_deref(), Some("retryMaxMs"));
        let mut f = form();
        f.headers = vec![
            header("X-Ok", "1", false, false),
            header("bad name", "v", false, false),
        ];
        assert_eq!(field_of(&f).as_deref(), Some("headers.1.name"));
        f.headers = vec![header("X-Ok", "a\nb", false, false)];
        assert_eq!(field_of(&f).as_deref(), Some("headers.0.value"));
        f.headers = vec![header("Authorization", "", true, false)];
        assert_eq!(field_of(&f).as_deref(), Some("headers.0.value"));
        let mut f = form();
        f.name = "12".into();
        assert_eq!(
            field_of(&f).as_deref(),
            Some("name"),
            "a plain number reads as an id"
        );
        let mut f = form();
        f.last_event_id = Some("a\nb".into());
        assert_eq!(field_of(&f).as_deref(), Some("lastEventId"));
        let mut f = form();
        f.idle_timeout_secs = Some(u64::MAX);
        assert_eq!(field_of(&f).as_deref(), Some("idleTimeoutSecs"));
    }

    #[test]
    fn stored_secrets_are_kept_by_name_and_unshown_settings_survive() {
        let mut old = SubscriptionRecord::new("ticks", "http://127.0.0.1:1/events");
        old.headers = vec![
            StoredHeader {
                name: "Authorization".into(),
                value: "keyring:streamwatch/authorization-1".into(),
                secret: true,
            },
            StoredHeader {
                name: "X-Key".into(),
                value: "keyring:streamwatch/x-key-2".into(),
                secret: true,
            },
        ];
        old.max_event_size = 1234;
        old.notify = serde_json::json!({"demo": true});
        let mut f = form();
        f.headers = vec![
            header("x-key", "", true, true),
            header("Authorization", "new secret", true, true),
        ];
        let r = record_from_form(&f, Some(&old)).unwrap();
        assert_eq!(r.headers[0].value, "keyring:streamwatch/x-key-2");
        assert_eq!(r.headers[1].value, "new secret");
        assert_eq!(r.max_event_size, 1234);
        assert_eq!(r.notify, serde_json::json!({"demo": true}));
        // A second header of the same name has no stored value left to keep.
        f.headers = vec![
            header("X-Key", "", true, true),
            header("X-Key", "", true, true),
        ];
        let e = record_from_form(&f, Some(&old)).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("headers.1.value"));
    }

    #[test]
    fn the_redirect_mode_round_trips_and_an_older_form_keeps_it() {
        use streamwatch_engine::redirects::RedirectMode;
        let new = record_from_form(&form(), None).unwrap();
        assert_eq!(new.redirects, RedirectMode::Any, "the default");
        let mut f = form();
        f.redirects = Some(RedirectMode::SameOrigin);
        let saved = record_from_form(&f, None).unwrap();
        assert_eq!(saved.redirects, RedirectMode::SameOrigin);
        let shown = SubscriptionForm::from_record(&saved);
        assert_eq!(shown.redirects, Some(RedirectMode::SameOrigin));
        // A form without the field (an older UI) leaves the saved mode alone.
        let kept = record_from_form(&form(), Some(&saved)).unwrap();
        assert_eq!(kept.redirects, RedirectMode::SameOrigin);
        let json = serde_json::to_value(&shown).unwrap();
        assert_eq!(json["redirects"], "same-origin");
        let mut json = json;
        json["redirects"] = "never".into();
        let back: SubscriptionForm = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back.redirects, Some(RedirectMode::Never));
        json["redirects"] = "sideways".into();
        assert!(serde_json::from_value::<SubscriptionForm>(json).is_err());
    }

    #[test]
    fn secret_values_never_reach_the_form() {
        let mut r = SubscriptionRecord::new("a", "http://127.0.0.1/");
        r.headers = vec![
            StoredHeader {
                name: "Authorization".into(),
                value: "keyring:streamwatch/authorization-0123".into(),
                secret: true,
            },
            StoredHeader {
                name: "X-Plain".into(),
                value: "v".into(),
                secret: false,
            },
        ];
        r.idle_timeout_ms = Some(1500);
        let f = SubscriptionForm::from_record(&r);
        assert_eq!(f.headers[0].value, "");
        assert!(f.headers[0].has_stored_value);
        assert_eq!(f.headers[1].value, "v");
        assert!(!f.headers[1].has_stored_value);
        assert_eq!(f.idle_timeout_secs, Some(2));
    }
}
