//! What a connection says about itself never carries its secrets: every error message and the
//! `started` URL pass through one [`Redactor`] built from the subscription's config, so text
//! from code we do not own (reqwest, hyper, rustls) is covered too.

use crate::event_sink::EventSink;
use crate::lifecycle::Lifecycle;
use crate::redirects::ALWAYS_SECRET;
use crate::subscription::SubscriptionConfig;
use crate::url_credentials::{mask_text, scrub, slots};

/// Masks the secrets of one subscription in any text.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    params: Vec<String>,
    values: Vec<String>,
}

impl Redactor {
    /// The redactor for `config`: its marked query parameters, and the plain values of its
    /// secret headers and URL credentials.
    pub fn new(config: &SubscriptionConfig) -> Self {
        let secret_header = |name: &str| {
            ALWAYS_SECRET
                .iter()
                .any(|s| s.as_str().eq_ignore_ascii_case(name))
                || config
                    .secret_headers
                    .iter()
                    .any(|s| s.eq_ignore_ascii_case(name))
        };
        let mut values: Vec<String> = config
            .headers
            .iter()
            .filter(|(name, _)| secret_header(name))
            .flat_map(|(_, value)| {
                // "Bearer abc": the token alone may be quoted too.
                let mut forms = vec![value.clone()];
                if let Some((_, token)) = value.split_once(' ') {
                    forms.push(token.trim().to_string());
                }
                forms
            })
            .collect();
        values.extend(
            slots(&config.url, &config.secret_params)
                .into_iter()
                .map(|s| s.value),
        );
        // Longest first, so a value containing another is masked whole.
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        values.dedup();
        Redactor {
            params: config.secret_params.clone(),
            values,
        }
    }

    /// `text` with URL credentials masked and every known secret value replaced.
    pub fn text(&self, text: &str) -> String {
        let masked = mask_text(text, &self.params);
        let values: Vec<&str> = self.values.iter().map(|v| v.as_str()).collect();
        scrub(&masked, &values)
    }

    /// A URL (which need not parse) as it may be shown.
    pub fn url(&self, url: &str) -> String {
        let masked = crate::url_credentials::mask_url(url, &self.params);
        let values: Vec<&str> = self.values.iter().map(|v| v.as_str()).collect();
        scrub(&masked, &values)
    }
}

/// An [`EventSink`] that redacts what it passes on.
pub struct RedactingSink<'a, S> {
    inner: &'a mut S,
    redactor: Redactor,
}

impl<'a, S: EventSink> RedactingSink<'a, S> {
    /// Wraps `inner` with the redactor for `config`.
    pub fn new(inner: &'a mut S, config: &SubscriptionConfig) -> Self {
        RedactingSink {
            inner,
            redactor: Redactor::new(config),
        }
    }
}

impl<S: EventSink> EventSink for RedactingSink<'_, S> {
    async fn emit(&mut self, event: Lifecycle) {
        let event = match event {
            Lifecycle::Error {
                kind,
                message,
                status,
                will_retry,
            } => Lifecycle::Error {
                kind,
                message: self.redactor.text(&message),
                status,
                will_retry,
            },
            Lifecycle::Started { url, status } => Lifecycle::Started {
                url: self.redactor.url(&url),
                status,
            },
            other => other,
        };
        self.inner.emit(event).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> SubscriptionConfig {
        let mut c =
            SubscriptionConfig::new("https://al:pw-9876@h.test/s?token=tok-1234&sid=s-5555&q=1")
                .unwrap();
        c.headers = vec![
            ("Authorization".into(), "Bearer abcdefgh".into()),
            ("X-Key".into(), "k-4321".into()),
            ("Accept-Language".into(), "en-GB".into()),
        ];
        c.secret_headers = vec!["x-key".into()];
        c.secret_params = vec!["sid".into()];
        c
    }

    #[test]
    fn every_secret_is_masked_in_text_and_the_rest_is_kept() {
        let r = Redactor::new(&config());
        let text = "GET https://al:pw-9876@h.test/s?token=tok-1234&sid=s-5555&q=1 failed; \
                    sent abcdefgh and k-4321 with en-GB; saw tok-1234 again";
        let out = r.text(text);
        for secret in ["pw-9876", "tok-1234", "s-5555", "abcdefgh", "k-4321", "al:"] {
            assert!(!out.contains(secret), "{secret} leaked in {out}");
        }
        assert!(out.contains("en-GB") && out.contains("q=1"), "{out}");
    }

    #[test]
    fn the_started_url_is_masked() {
        let r = Redactor::new(&config());
        assert_eq!(
            r.url("https://al:pw-9876@h.test/s?token=tok-1234&sid=s-5555&q=1"),
            "https://••••@h.test/s?token=••••&sid=••••&q=1"
        );
    }
}
