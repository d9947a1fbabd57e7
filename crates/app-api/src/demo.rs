//! What the window says about the built-in demo subscription: that its drops are on purpose,
//! with the number read from the knobs in its URL, so the note stays true if the demo's path
//! changes or the user edits it.

use crate::dto::DemoView;
use streamwatch_engine::alerts::NotifyRules;
use streamwatch_engine::catalog::SubscriptionRecord;

/// The demo server's knobs that end each connection after that many events (see the
/// streamwatch-demo-server crate): a planned close, an abrupt one, and a count.
const DROP_KNOBS: [&str; 3] = ["close_after", "abort_after", "count"];

/// The demo note for `record`, or `None` when it is not the demo subscription (the `demo` flag
/// the app saves in its notification rules).
pub fn demo_view(record: &SubscriptionRecord) -> Option<DemoView> {
    let demo = NotifyRules::from_json(&record.notify).is_ok_and(|rules| rules.demo);
    demo.then(|| DemoView {
        drops_every: drops_every(&record.url),
    })
}

/// After how many events the server at `url` ends each connection: the smallest of its drop
/// knobs, each as the server reads it (the last of a repeated name wins; 0 and junk are none).
pub fn drops_every(url: &str) -> Option<u64> {
    let query = url.split_once('?')?.1;
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    DROP_KNOBS
        .iter()
        .filter_map(|knob| {
            query
                .rsplit('&')
                .filter_map(|pair| pair.split_once('='))
                .find(|(name, _)| name == knob)
                .and_then(|(_, value)| value.trim().parse::<u64>().ok())
        })
        .filter(|&n| n > 0)
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_drop_count_comes_from_the_url() {
        let cases = [
            (
                "http://127.0.0.1:8787/events?rate=5&close_after=25",
                Some(25),
            ),
            ("http://h/events?close_after=25&abort_after=7", Some(7)),
            (
                "http://h/events?count=3&close_after=25#close_after=1",
                Some(3),
            ),
            ("http://h/events?close_after=4&close_after=30", Some(30)),
            ("http://h/events?rate=5", None),
            ("http://h/events?close_after=x&close_after=0", None),
            ("http://h/events", None),
            ("http://h/events?xclose_after=5", None),
        ];
        for (url, expected) in cases {
            assert_eq!(drops_every(url), expected, "{url}");
        }
    }

    #[test]
    fn only_the_demo_subscription_gets_a_note() {
        let mut record = SubscriptionRecord::new(
            "Demo stream",
            "http://127.0.0.1:8787/events?rate=5&close_after=25",
        );
        assert_eq!(demo_view(&record), None);
        record.notify = serde_json::json!({ "demo": true });
        assert_eq!(
            demo_view(&record),
            Some(DemoView {
                drops_every: Some(25)
            })
        );
        record.url = "http://127.0.0.1:8787/events?rate=5".into();
        assert_eq!(demo_view(&record), Some(DemoView { drops_every: None }));
        record.notify = serde_json::json!({ "demo": false });
        assert_eq!(demo_view(&record), None);
    }
}
