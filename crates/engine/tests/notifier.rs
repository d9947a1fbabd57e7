//! The notifier's rules and storm control, driven with supervisor events and a fake clock.

use serde_json::json;
use std::time::{Duration, SystemTime};
use streamwatch_engine::alerts::{
    Delivery, Kind, Notification, Notifier, NotifyRules, OccurrenceChange,
};
use streamwatch_engine::shared_str::SharedStr;
use streamwatch_engine::{ErrorKind, Lifecycle, State, Status, SubscriptionId, SupervisorEvent};

fn t(s: f64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000) + Duration::from_secs_f64(s)
}

fn id(n: u64) -> SubscriptionId {
    SubscriptionId(n)
}

struct Harness {
    n: Notifier,
    statuses: std::collections::HashMap<u64, Status>,
}

impl Harness {
    fn new(subs: &[(u64, &str)]) -> Harness {
        Harness::with_rules(subs, NotifyRules::default())
    }

    fn with_rules(subs: &[(u64, &str)], rules: NotifyRules) -> Harness {
        let mut n = Notifier::new();
        let compiled = rules.compile().expect("valid rules");
        for (i, name) in subs {
            n.upsert(id(*i), name, compiled.clone());
        }
        Harness {
            n,
            statuses: Default::default(),
        }
    }

    fn state(&mut self, sub: u64, state: State, attempt: u32, at: f64) {
        let s = self
            .statuses
            .entry(sub)
            .or_insert_with(|| Status::new(SharedStr::default(), false));
        s.state = state;
        s.attempt = attempt;
        let status = Box::new(s.clone());
        self.n.observe(
            &SupervisorEvent::Status {
                id: id(sub),
                status,
            },
            t(at),
        );
    }

    fn event(&mut self, sub: u64, event: Lifecycle, at: f64) {
        self.n.observe(
            &SupervisorEvent::Lifecycle {
                id: id(sub),
                at: t(at),
                event,
            },
            t(at),
        );
    }

    fn error(&mut self, sub: u64, status: u16, will_retry: bool, at: f64) {
        self.event(
            sub,
            Lifecycle::Error {
                kind: ErrorKind::HttpStatus,
                message: format!("server answered {status}"),
                status: Some(status),
                will_retry,
            },
            at,
        );
    }

    fn message(&mut self, sub: u64, event: &str, data: &str, msg_id: &str, at: f64) {
        self.event(
            sub,
            Lifecycle::Message {
                event: SharedStr::from(event),
                data: SharedStr::from(data),
                id: SharedStr::from(msg_id),
                replayed: false,
                mismatch: None,
            },
            at,
        );
    }

    fn network_error(&mut self, sub: u64, message: &str, at: f64) {
        self.event(
            sub,
            Lifecycle::Error {
                kind: ErrorKind::Network,
                message: message.to_string(),
                status: None,
                will_retry: true,
            },
            at,
        );
    }

    /// Ticks every half second from `from` to `to` and returns what was decided.
    fn run(&mut self, from: f64, to: f64) -> Vec<Notification> {
        let mut at = from;
        while at <= to {
            self.n.tick(t(at));
            at += 0.5;
        }
        self.n.drain()
    }
}

const UNREACHABLE: &str = "error sending request for url (http://10.1.2.3/events): client error \
                           (Connect): tcp connect error: Network is unreachable (os error 101)";
const REFUSED: &str = "error sending request for url (http://127.0.0.1:9/events): client error \
                       (Connect): tcp connect error: Connection refused (os error 111)";

fn shown(ns: &[Notification]) -> Vec<(String, String)> {
    ns.iter()
        .filter(|n| n.delivery == Delivery::Show)
        .map(|n| (n.title.clone(), n.body.clone()))
        .collect()
}

#[test]
fn a_quick_reconnect_stays_quiet() {
    let mut h = Harness::new(&[(1, "Orders")]);
    h.state(1, State::Open, 0, 0.0);
    h.error(1, 503, true, 5.0);
    h.state(1, State::Retrying, 1, 5.0);
    h.state(1, State::Connecting, 1, 6.0);
    h.state(1, State::Open, 0, 6.2);
    assert!(h.run(5.0, 40.0).is_empty());
}

#[test]
fn down_for_the_threshold_notifies_once_with_the_reason() {
    let mut h = Harness::new(&[(1, "Orders")]);
    h.state(1, State::Open, 0, 0.0);
    h.error(1, 503, true, 5.0);
    h.state(1, State::Retrying, 1, 5.0);
    assert!(h.run(5.0, 14.5).is_empty(), "quiet below 10 s");
    h.state(1, State::Connecting, 1, 14.6);
    h.state(1, State::Retrying, 2, 14.7);
    let ns = h.run(15.0, 60.0);
    assert_eq!(
        shown(&ns),
        [(
            "Orders is down".to_string(),
            "Not connected for 10 s · retry 2 · The server answered 503 Service Unavailable — a \
             problem on the server's side."
                .to_string()
        )]
    );
    assert_eq!(ns[0].kind, Kind::Down);
    assert_eq!(ns[0].subscription, Some(id(1)));
}

#[test]
fn recovery_after_a_notified_outage_says_how_long_and_what_was_missed() {
    let mut h = Harness::new(&[(1, "Orders")]);
    h.state(1, State::Open, 0, 0.0);
    h.state(1, State::Retrying, 1, 10.0);
    assert_eq!(shown(&h.run(10.0, 25.0)).len(), 1);
    h.state(1, State::Open, 0, 85.0);
    h.event(
        1,
        Lifecycle::Gap {
            after: 10,
            next: 18,
            missed: 7,
        },
        85.1,
    );
    h.message(1, "tick", "18", "18", 85.1);
    assert_eq!(
        shown(&h.run(85.5, 86.0)),
        [(
            "Orders recovered".to_string(),
            "Back after 1 min 15 s down. 7 events were missed (ids skipped on resume).".to_string()
        )]
    );
}

#[test]
fn recovery_waits_for_the_first_message_however_long_it_takes() {
    let mut h = Harness::new(&[(1, "Orders")]);
    h.state(1, State::Retrying, 1, 0.0);
    h.run(0.0, 12.0);
    h.state(1, State::Open, 0, 20.0);
    assert!(h.n.awaiting_data(id(1)), "reconnected, no data yet");
    assert!(
        h.run(20.0, 600.0).is_empty(),
        "an open but silent stream is not back"
    );
    h.message(1, "tick", "x", "", 600.2);
    assert!(!h.n.awaiting_data(id(1)));
    let ns = h.run(600.5, 600.5);
    assert_eq!(
        shown(&ns),
        [(
            "Orders recovered".into(),
            "Back after 20 s down. Resumed with no missed events.".into()
        )]
    );
}

#[test]
fn no_recovery_is_told_for_an_outage_that_was_not() {
    let mut h = Harness::new(&[(1, "Orders")]);
    h.state(1, State::Retrying, 1, 0.0);
    h.state(1, State::Open, 0, 3.0);
    assert!(h.run(0.0, 30.0).is_empty());
}

#[test]
fn a_flap_during_the_grace_period_continues_the_outage() {
    let mut h = Harness::new(&[(1, "Orders")]);
    h.state(1, State::Retrying, 1, 0.0);
    assert_eq!(shown(&h.run(0.0, 12.0)).len(), 1);
    h.state(1, State::Open, 0, 20.0);
    h.state(1, State::Retrying, 1, 21.0);
    assert!(
        h.run(21.0, 50.0).is_empty(),
        "no recovered, and no second down"
    );
    h.state(1, State::Open, 0, 60.0);
    h.message(1, "tick", "x", "", 60.1);
    assert_eq!(
        shown(&h.run(60.5, 60.5)),
        [(
            "Orders recovered".into(),
            "Back after 1 min down. Resumed with no missed events.".into()
        )]
    );
}

#[test]
fn gave_up_is_told_once_and_replaces_the_down_notice() {
    let mut h = Harness::new(&[(1, "Orders")]);
    h.state(1, State::Open, 0, 0.0);
    h.error(1, 503, true, 1.0);
    h.state(1, State::Retrying, 1, 1.0);
    h.error(1, 503, false, 3.0);
    h.state(1, State::Failed, 1, 3.0);
    h.event(1, Lifecycle::RetriesFailed { attempts: 2 }, 3.0);
    let ns = h.run(3.0, 60.0);
    assert_eq!(
        shown(&ns),
        [(
            "Orders gave up".into(),
            "Stopped after 2 failed retries. Last error: The server answered 503 Service \
             Unavailable — a problem on the server's side. Reconnect it by hand."
                .into()
        )]
    );
    assert_eq!(ns[0].kind, Kind::GaveUp);
}

#[test]
fn a_fatal_status_is_told_at_once() {
    let mut h = Harness::new(&[(1, "Billing")]);
    h.error(1, 401, false, 0.0);
    h.state(1, State::Failed, 0, 0.0);
    let ns = h.n.drain();
    assert_eq!(ns.len(), 1);
    assert_eq!(ns[0].kind, Kind::Fatal);
    assert_eq!(ns[0].title, "Billing stopped: HTTP 401");
    assert!(
        ns[0]
            .body
            .starts_with("The server answered 401 Unauthorized — check the credentials."),
        "{}",
        ns[0].body
    );
    assert!(h.run(0.0, 60.0).is_empty(), "no down notice after it");
}

/// A launch of the app: a new notifier, given back what the last one told (as persisted).
fn relaunch(told: &[OccurrenceChange]) -> Harness {
    let mut h = Harness::new(&[(1, "Billing")]);
    let mut stored = std::collections::HashMap::new();
    for c in told {
        match c {
            OccurrenceChange::Told { id, key } => stored.insert(*id, key.clone()),
            OccurrenceChange::Ended { id } => stored.remove(id),
        };
    }
    for (sub, key) in &stored {
        h.n.remember_fatal(*sub, key);
    }
    h
}

/// What a launch does to a saved subscription the server refuses with `status`.
fn launch_and_fail(h: &mut Harness, status: u16, at: f64) {
    h.state(1, State::Connecting, 0, at);
    h.error(1, status, false, at + 0.1);
    h.state(1, State::Failed, 0, at + 0.1);
}

#[test]
fn a_fatal_stop_is_told_once_per_occurrence_across_restarts() {
    let mut first = relaunch(&[]);
    launch_and_fail(&mut first, 401, 0.0);
    let ns = first.n.drain();
    assert_eq!(ns.len(), 1, "{ns:?}");
    assert!(
        ns[0].body.ends_with("then press Resume."),
        "the body names the button: {}",
        ns[0].body
    );
    let told = first.n.drain_occurrences();
    assert_eq!(
        told,
        vec![OccurrenceChange::Told {
            id: id(1),
            key: "http-status 401".into()
        }]
    );

    // The app restarts twice; the server still answers 401: the same stop, not told again
    // (nor as "down" later).
    for _ in 0..2 {
        let mut again = relaunch(&told);
        launch_and_fail(&mut again, 401, 0.0);
        assert!(again.run(0.0, 60.0).is_empty());
        assert!(again.n.drain_occurrences().is_empty());
    }

    // The user presses Resume and it fails again: a new occurrence, told.
    let mut again = relaunch(&told);
    launch_and_fail(&mut again, 401, 0.0);
    launch_and_fail(&mut again, 401, 90.0);
    let ns = again.run(90.0, 91.0);
    assert_eq!(ns.len(), 1, "{ns:?}");
    assert_eq!(ns[0].title, "Billing stopped: HTTP 401");
    assert_eq!(
        again.n.drain_occurrences(),
        vec![
            OccurrenceChange::Ended { id: id(1) },
            OccurrenceChange::Told {
                id: id(1),
                key: "http-status 401".into()
            }
        ]
    );
}

#[test]
fn another_failure_after_a_restart_is_told_and_opening_ends_the_occurrence() {
    let told = vec![OccurrenceChange::Told {
        id: id(1),
        key: "http-status 401".into(),
    }];
    // The credentials changed: now 403. Another failure, told.
    let mut h = relaunch(&told);
    launch_and_fail(&mut h, 403, 0.0);
    let ns = h.n.drain();
    assert_eq!(ns.len(), 1, "{ns:?}");
    assert_eq!(ns[0].title, "Billing stopped: HTTP 403");

    // The server accepts it again: the occurrence is over, and persisted as such.
    let mut h = relaunch(&told);
    h.state(1, State::Connecting, 0, 0.0);
    h.state(1, State::Open, 0, 0.2);
    assert_eq!(
        h.n.drain_occurrences(),
        vec![OccurrenceChange::Ended { id: id(1) }]
    );

    // Paused while the app was closed (from the CLI): over too.
    let mut h = relaunch(&told);
    h.state(1, State::Paused, 0, 0.0);
    assert_eq!(
        h.n.drain_occurrences(),
        vec![OccurrenceChange::Ended { id: id(1) }]
    );

    // Nothing told, nothing to end.
    let mut h = relaunch(&[]);
    h.state(1, State::Connecting, 0, 0.0);
    h.state(1, State::Open, 0, 0.2);
    assert!(h.n.drain_occurrences().is_empty());
}

#[test]
fn a_wrong_content_type_is_fatal_and_retryable_statuses_are_not() {
    use streamwatch_engine::alerts::notifier::is_fatal;
    assert!(is_fatal(ErrorKind::ContentType, Some(200)));
    for s in [401, 403, 404, 410] {
        assert!(is_fatal(ErrorKind::HttpStatus, Some(s)), "{s}");
    }
    for s in [500, 503, 408, 429] {
        assert!(!is_fatal(ErrorKind::HttpStatus, Some(s)), "{s}");
    }
    assert!(!is_fatal(ErrorKind::Network, None));
    assert!(!is_fatal(ErrorKind::Timeout, None));
}

#[test]
fn rules_that_are_off_stay_quiet() {
    let rules: NotifyRules = serde_json::from_value(json!({
        "downAfterSecs": 0, "recovered": false, "gaveUp": false, "fatal": false
    }))
    .expect("rules");
    let mut h = Harness::with_rules(&[(1, "A"), (2, "B")], rules);
    h.state(1, State::Retrying, 1, 0.0);
    h.state(1, State::Open, 0, 100.0);
    h.error(2, 404, false, 0.0);
    h.event(2, Lifecycle::RetriesFailed { attempts: 1 }, 0.0);
    assert!(h.run(0.0, 120.0).is_empty());
}

#[test]
fn pausing_during_an_outage_cancels_it() {
    let mut h = Harness::new(&[(1, "A")]);
    h.state(1, State::Retrying, 1, 0.0);
    h.state(1, State::Paused, 0, 5.0);
    assert!(h.run(0.0, 30.0).is_empty());
    h.state(1, State::Connecting, 0, 30.0);
    h.state(1, State::Open, 0, 30.5);
    assert!(h.run(30.0, 60.0).is_empty());
}

#[test]
fn message_rules_fire_and_then_fold_into_a_summary() {
    let rules: NotifyRules = serde_json::from_value(json!({
        "messages": [{"event": "alert"}, {"jsonPointer": "/level", "jsonEquals": "error"}]
    }))
    .expect("rules");
    let mut h = Harness::with_rules(&[(1, "Feed")], rules);
    h.state(1, State::Open, 0, 0.0);
    h.message(1, "tick", r#"{"level":"info"}"#, "1", 1.0);
    assert!(h.n.drain().is_empty());
    h.message(1, "message", r#"{"level":"error","msg":"disk"}"#, "2", 2.0);
    let ns = h.n.drain();
    assert_eq!(
        shown(&ns),
        [(
            "Feed: /level = \"error\"".into(),
            "{\"level\":\"error\",\"msg\":\"disk\"}\n(event message, id 2)".into()
        )]
    );
    for i in 0..8 {
        h.message(
            1,
            "alert",
            "boom",
            &format!("{}", 10 + i),
            3.0 + f64::from(i),
        );
    }
    let ns = h.n.drain();
    assert_eq!(
        shown(&ns),
        [(
            "Feed: type alert".into(),
            "boom\n(event alert, id 10)".into()
        )]
    );
    assert!(
        h.run(4.0, 62.5).is_empty(),
        "folded until the window closes"
    );
    let ns = h.run(63.0, 63.0);
    assert_eq!(ns.len(), 1);
    assert_eq!(ns[0].kind, Kind::Summary);
    assert_eq!(ns[0].title, "Feed: and 7 more messages (type alert)");
    assert!(h.run(63.5, 200.0).is_empty(), "nothing more to sum up");
}

#[test]
fn many_subscriptions_down_at_once_make_one_notification() {
    let subs: Vec<(u64, String)> = (1..=12).map(|i| (i, format!("s{i}"))).collect();
    let refs: Vec<(u64, &str)> = subs.iter().map(|(i, n)| (*i, n.as_str())).collect();
    let mut h = Harness::new(&refs);
    for i in 1..=12 {
        h.state(i, State::Open, 0, 0.0);
    }
    for i in 1..=12 {
        h.network_error(i, UNREACHABLE, 10.0);
        h.state(i, State::Retrying, 1, 10.0 + 0.01 * i as f64);
    }
    let ns = h.run(10.0, 30.0);
    assert_eq!(
        shown(&ns),
        [(
            "12 subscriptions down — network unreachable?".into(),
            "Not connected: s1, s2, s3, s4, s5 and 7 more.".into()
        )]
    );
    assert_eq!(
        ns.iter()
            .filter(|n| n.delivery == Delivery::Folded && n.kind == Kind::Down)
            .count(),
        12,
        "each one is still listed in the app"
    );
    for i in 1..=12 {
        h.state(i, State::Open, 0, 40.0);
        h.message(i, "tick", "x", "", 40.1);
    }
    let ns = h.run(40.0, 45.0);
    assert_eq!(
        shown(&ns),
        [(
            "12 subscriptions recovered".into(),
            "Back: s1, s2, s3, s4, s5 and 7 more.".into()
        )]
    );
}

#[test]
fn a_straggler_after_a_mass_outage_is_folded_into_it() {
    let mut h = Harness::new(&[(1, "a"), (2, "b"), (3, "c"), (4, "d")]);
    for i in 1..=3 {
        h.state(i, State::Retrying, 1, 0.0);
    }
    assert_eq!(shown(&h.run(0.0, 10.0)).len(), 1);
    h.state(4, State::Retrying, 1, 5.0);
    assert!(
        shown(&h.run(10.5, 69.5)).is_empty(),
        "d joins the outage already told"
    );
    let ns = shown(&h.run(70.0, 71.0));
    assert_eq!(
        ns,
        [(
            "and 1 more subscriptions went down".into(),
            "Folded into the notification shown a minute ago.".into()
        )]
    );
}

#[test]
fn do_not_disturb_lists_without_showing() {
    let mut h = Harness::new(&[(1, "A")]);
    h.n.set_dnd(true);
    h.error(1, 403, false, 0.0);
    let ns = h.n.drain();
    assert_eq!(ns.len(), 1);
    assert_eq!(ns[0].delivery, Delivery::Silenced);
    h.n.set_dnd(false);
    assert!(!h.n.dnd());
}

#[test]
fn a_flapping_stream_is_told_once_a_minute() {
    let mut h = Harness::new(&[(1, "Flappy")]);
    let mut all = Vec::new();
    let mut at = 0.0;
    // Down 11 s, up 4 s, over and over for five minutes.
    while at < 300.0 {
        h.state(1, State::Retrying, 1, at);
        all.extend(h.run(at, at + 11.0));
        h.state(1, State::Open, 0, at + 11.0);
        h.message(1, "tick", "x", "", at + 11.1);
        all.extend(h.run(at + 11.5, at + 14.5));
        at += 15.0;
    }
    let downs = all
        .iter()
        .filter(|n| n.kind == Kind::Down && n.delivery == Delivery::Show)
        .count();
    let ups = all
        .iter()
        .filter(|n| n.kind == Kind::Recovered && n.delivery == Delivery::Show)
        .count();
    assert!(
        downs <= 5 && ups <= 5,
        "{downs} downs, {ups} recoveries shown in 5 minutes"
    );
    // What was folded is counted in the next one shown.
    assert!(all.iter().any(|n| n.delivery == Delivery::Show
        && n.kind == Kind::Down
        && n.body.ends_with("And 3 more outages before this.")));
}

#[test]
fn removed_subscriptions_are_forgotten() {
    let mut h = Harness::new(&[(1, "A")]);
    h.state(1, State::Retrying, 1, 0.0);
    h.n.observe(&SupervisorEvent::Removed { id: id(1) }, t(1.0));
    assert!(h.run(0.0, 30.0).is_empty());
    assert!(h.n.rules(id(1)).is_none());
}

#[test]
fn streams_that_dropped_together_are_told_together_across_ticks() {
    let mut h = Harness::new(&[(1, "a"), (2, "b"), (3, "c")]);
    h.state(1, State::Retrying, 1, 0.0);
    h.state(2, State::Retrying, 1, 0.0);
    // The third one noticed a little later (its read timed out after the others').
    h.state(3, State::Retrying, 1, 0.4);
    let ns = h.run(10.0, 12.0);
    assert_eq!(
        shown(&ns),
        [(
            "3 subscriptions down".into(),
            "Not connected: a, b, c.".into()
        )]
    );
}

#[test]
fn the_title_counts_the_ones_listed_and_the_body_those_down_before() {
    let mut h = Harness::new(&[(1, "a"), (2, "b"), (3, "c"), (9, "old")]);
    for i in [1, 2, 3, 9] {
        h.state(i, State::Open, 0, 0.0);
    }
    // Down long before the others (and told on its own).
    h.state(9, State::Retrying, 1, 1.0);
    assert_eq!(h.run(1.0, 20.0).len(), 1);
    for i in 1..=3 {
        h.state(i, State::Retrying, 1, 30.0);
    }
    let ns = h.run(30.0, 45.0);
    assert_eq!(
        shown(&ns),
        [(
            "3 subscriptions down".into(),
            "Not connected: a, b, c (4 down in all).".into()
        )]
    );
}

#[test]
fn error_chains_are_cut_to_what_a_person_can_act_on() {
    use streamwatch_engine::alerts::notifier::short_reason;
    assert_eq!(
        short_reason(
            "error sending request for url (http://127.0.0.1:9/events): client error (Connect): \
             tcp connect error: Connection refused (os error 111)"
        ),
        "Connection refused"
    );
    assert_eq!(
        short_reason("server answered 503 Service Unavailable"),
        "server answered 503 Service Unavailable"
    );
    assert_eq!(short_reason(""), "");
}

#[test]
fn ids_going_backwards_are_told_once_a_minute_and_can_be_turned_off() {
    let mut h = Harness::new(&[(1, "Orders")]);
    h.state(1, State::Open, 0, 0.0);
    h.event(
        1,
        Lifecycle::Reset {
            last: 2785,
            first: 1,
        },
        1.0,
    );
    let ns = h.run(1.0, 1.0);
    assert_eq!(ns.len(), 1);
    assert_eq!(ns[0].kind, Kind::Reset);
    assert_eq!(ns[0].kind.as_str(), "reset");
    assert_eq!(
        shown(&ns),
        [(
            "Orders: ids went backwards — did the server restart?".to_string(),
            "Event ids went from 2785 back to 1. The events are kept; ids now follow the new \
             counter."
                .to_string()
        )]
    );
    // A server restarting on every reconnect must not flood the desktop.
    h.event(1, Lifecycle::Reset { last: 3, first: 1 }, 5.0);
    assert!(shown(&h.run(5.0, 5.0)).is_empty());

    let rules: NotifyRules = serde_json::from_value(json!({ "reset": false })).expect("rules");
    let mut off = Harness::with_rules(&[(1, "Orders")], rules);
    off.state(1, State::Open, 0, 0.0);
    off.event(1, Lifecycle::Reset { last: 9, first: 1 }, 1.0);
    assert!(off.run(1.0, 2.0).is_empty());
}

#[test]
fn reset_rules_are_on_by_default() {
    assert!(NotifyRules::default().reset);
    let rules = NotifyRules::from_json(&json!({})).expect("rules");
    assert!(rules.reset);
}

impl Harness {
    /// The engine's liveness verdict, as a status snapshot carries it.
    fn staleness(&mut self, sub: u64, stale_since: Option<f64>, usual_ms: Option<u64>, at: f64) {
        let s = self
            .statuses
            .entry(sub)
            .or_insert_with(|| Status::new(SharedStr::default(), false));
        s.stale_since = stale_since.map(t);
        s.usual_interval_ms = usual_ms;
        if stale_since.is_none() {
            s.last_message_at = Some(t(at));
        }
        let status = Box::new(s.clone());
        self.n.observe(
            &SupervisorEvent::Status {
                id: id(sub),
                status,
            },
            t(at),
        );
    }
}

#[test]
fn a_silent_stream_is_told_once_and_data_again_is_told_too() {
    let mut h = Harness::new(&[(1, "Orders feed")]);
    h.state(1, State::Open, 0, 0.0);
    h.staleness(1, Some(10.0), Some(2_000), 70.0);
    let ns = h.run(70.0, 70.0);
    assert_eq!(ns.len(), 1);
    assert_eq!((ns[0].kind, ns[0].kind.as_str()), (Kind::Stale, "stale"));
    assert_eq!(
        shown(&ns),
        [(
            "Orders feed: no data for 1 min".to_string(),
            "Usually every 2 s. The stream is open but silent: the server may have stalled."
                .to_string()
        )]
    );
    // The same verdict seen again (another snapshot) says nothing more.
    h.staleness(1, Some(10.0), Some(2_000), 71.0);
    assert!(h.run(71.0, 71.0).is_empty());
    h.staleness(1, None, Some(2_000), 95.0);
    let ns = h.run(95.0, 95.0);
    assert_eq!(ns[0].kind, Kind::Fresh);
    assert_eq!(
        shown(&ns),
        [(
            "Orders feed: data again".to_string(),
            "After 1 min 25 s without data.".to_string()
        )]
    );
}

#[test]
fn silence_ended_by_a_pause_is_not_data_and_the_rule_can_be_turned_off() {
    let mut h = Harness::new(&[(1, "Orders")]);
    h.state(1, State::Open, 0, 0.0);
    h.staleness(1, Some(0.0), None, 60.0);
    assert_eq!(
        shown(&h.run(60.0, 60.0)),
        [(
            "Orders: no data for 1 min".to_string(),
            "The stream is open but silent: the server may have stalled.".to_string()
        )]
    );
    h.state(1, State::Paused, 0, 70.0);
    h.staleness(1, None, None, 70.0);
    assert!(h.run(70.0, 71.0).is_empty(), "a pause is not data");

    let rules: NotifyRules = serde_json::from_value(json!({ "stale": false })).expect("rules");
    let mut off = Harness::with_rules(&[(1, "Orders")], rules);
    off.state(1, State::Open, 0, 0.0);
    off.staleness(1, Some(0.0), None, 60.0);
    off.staleness(1, None, None, 90.0);
    assert!(off.run(60.0, 91.0).is_empty());
}

/// A real server that answers 503, then 200 and nothing, then one event: the notifier, fed
/// the supervisor's events in order on a clock the test moves, says "recovered" only once the
/// event is there.
#[tokio::test]
async fn a_200_without_data_is_not_a_recovery_against_a_real_server() {
    use streamwatch_engine::{SubscriptionConfig, Supervisor};
    use streamwatch_test_support::scripted_server::{Reply, ScriptedServer};

    let server = ScriptedServer::start(vec![
        Reply::status(503, ""),
        Reply::sse_then_hold("").then(Duration::from_millis(300), b"id: 1\ndata: back\n\n"),
    ])
    .await;
    let mut config = SubscriptionConfig::new(&server.url("/")).expect("url");
    config.retry.initial_ms = 10;
    config.retry.max_ms = 50;
    let sup = Supervisor::new(1024).expect("supervisor");
    let mut rx = sup.subscribe();
    let mut h = Harness::new(&[(1, "Orders")]);
    sup.add(id(1), config, false).expect("add");

    // The test's clock: an outage long enough to be told happens between two events.
    let mut clock = 0.0;
    let mut told_down = false;
    let mut saw_open = false;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let event = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("the server's event never came")
            .expect("event channel open");
        h.n.observe(&event, t(clock));
        match &event {
            SupervisorEvent::Status { status, .. }
                if status.state == State::Retrying && !told_down =>
            {
                clock += 15.0;
                let ns = h.run(clock, clock);
                assert_eq!(ns.len(), 1, "{ns:?}");
                assert_eq!(ns[0].kind, Kind::Down);
                told_down = true;
            }
            SupervisorEvent::Status { status, .. } if status.state == State::Open => {
                assert!(told_down, "the 503 came first");
                saw_open = true;
                assert!(h.n.awaiting_data(id(1)), "reconnected, no data yet");
                let ns = h.run(clock, clock + 120.0);
                assert!(ns.is_empty(), "200 and silence is not a recovery: {ns:?}");
                clock += 120.0;
            }
            SupervisorEvent::Lifecycle {
                event: Lifecycle::Message { data, .. },
                ..
            } => {
                assert!(saw_open);
                assert_eq!(data.as_str(), "back");
                let ns = h.run(clock + 0.5, clock + 0.5);
                assert_eq!(
                    shown(&ns),
                    [(
                        "Orders recovered".to_string(),
                        "Back after 15 s down. Resumed with no missed events.".to_string()
                    )]
                );
                assert!(!h.n.awaiting_data(id(1)));
                break;
            }
            _ => {}
        }
    }
    assert_eq!(server.requests().len(), 2);
}

/// Three streams down at once: the notification names the cause only when all of them show
/// it, and says "network" only for network-unreachable errors.
#[test]
fn many_down_names_the_cause_it_saw_and_no_other() {
    let title = |errors: [&str; 3]| {
        let mut h = Harness::new(&[(1, "a"), (2, "b"), (3, "c")]);
        for (i, e) in errors.iter().enumerate() {
            let sub = i as u64 + 1;
            h.state(sub, State::Open, 0, 0.0);
            h.network_error(sub, e, 1.0);
            h.state(sub, State::Retrying, 1, 1.0);
        }
        let ns = shown(&h.run(1.0, 15.0));
        assert_eq!(ns.len(), 1, "{ns:?}");
        ns[0].0.clone()
    };
    assert_eq!(
        title([UNREACHABLE, UNREACHABLE, UNREACHABLE]),
        "3 subscriptions down — network unreachable?"
    );
    assert_eq!(
        title([REFUSED, REFUSED, REFUSED]),
        "3 subscriptions down — connections refused"
    );
    assert_eq!(
        title([UNREACHABLE, REFUSED, UNREACHABLE]),
        "3 subscriptions down",
        "one host refusing is not the network"
    );
    let mut h = Harness::new(&[(1, "a"), (2, "b"), (3, "c")]);
    for sub in 1..=3 {
        h.error(sub, 502, true, 1.0);
        h.state(sub, State::Retrying, 1, 1.0);
    }
    assert_eq!(
        shown(&h.run(1.0, 15.0))[0].0,
        "3 subscriptions down — HTTP 502"
    );
}

#[test]
fn offline_is_one_notification_for_all_and_never_a_storm_of_downs() {
    use streamwatch_engine::conditions::Conditions;
    let subs: Vec<(u64, String)> = (1..=12).map(|i| (i, format!("s{i}"))).collect();
    let refs: Vec<(u64, &str)> = subs.iter().map(|(i, n)| (*i, n.as_str())).collect();
    let mut h = Harness::new(&refs);
    for i in 1..=12 {
        h.state(i, State::Open, 0, 0.0);
    }
    let machine = |online: bool| SupervisorEvent::Machine {
        conditions: Conditions {
            online,
            ..Conditions::default()
        },
    };
    h.n.observe(&machine(false), t(10.0));
    // The streams stop one by one within their grace period.
    for i in 1..=12 {
        h.state(i, State::Offline, 0, 10.0 + 0.1 * i as f64);
    }
    let ns = h.run(10.0, 300.0);
    assert_eq!(
        shown(&ns),
        [(
            "Offline — 12 subscriptions waiting".into(),
            "No network. Nothing is tried until it is back, then every stream reconnects at \
             once; the wait does not count as the servers' downtime."
                .into()
        )]
    );
    assert!(
        ns.iter().all(|n| n.kind == Kind::Offline),
        "no down, many-down or stale: {ns:#?}"
    );
    // Back online: the streams reconnect; nothing was an outage, so nothing "recovered".
    h.n.observe(&machine(true), t(300.0));
    for i in 1..=12 {
        h.state(i, State::Open, 0, 300.5);
        h.message(i, "tick", "x", "", 300.6);
    }
    assert_eq!(shown(&h.run(300.0, 320.0)), []);
    // A second loss of the network is told again.
    h.n.observe(&machine(false), t(400.0));
    h.state(1, State::Offline, 0, 400.5);
    assert_eq!(
        shown(&h.run(400.0, 410.0))
            .into_iter()
            .map(|(title, _)| title)
            .collect::<Vec<_>>(),
        ["Offline — 1 subscription waiting"]
    );
}

#[test]
fn a_sleeping_machine_is_not_told_offline() {
    use streamwatch_engine::conditions::Conditions;
    let mut h = Harness::new(&[(1, "a")]);
    h.state(1, State::Open, 0, 0.0);
    h.n.observe(
        &SupervisorEvent::Machine {
            conditions: Conditions {
                online: false,
                asleep: true,
                wakes: 0,
            },
        },
        t(1.0),
    );
    h.state(1, State::Offline, 0, 1.0);
    assert_eq!(shown(&h.run(1.0, 60.0)), []);
}

#[test]
fn schema_mismatches_notify_once_then_fold_into_a_summary_and_can_be_turned_off() {
    let mut h = Harness::new(&[(1, "Chat")]);
    h.state(1, State::Open, 0, 0.0);
    let flagged = |n: u32| Lifecycle::Message {
        event: "delta".into(),
        data: SharedStr::from("{\"choices\":[{}]}"),
        id: SharedStr::from(n.to_string()),
        replayed: false,
        mismatch: Some("/choices/0: \"delta\" is a required property".into()),
    };
    // A flood: one popup, the rest counted.
    for i in 0..50 {
        h.event(1, flagged(i), 1.0 + f64::from(i) * 0.1);
    }
    let ns = h.n.drain();
    assert_eq!(
        shown(&ns),
        [(
            "Chat: event does not match its schema".into(),
            "/choices/0: \"delta\" is a required property\n{\"choices\":[{}]}\n(event delta, id 0)"
                .into()
        )]
    );
    assert_eq!(
        ns.len(),
        1,
        "message-like: the folded ones are only counted"
    );
    assert_eq!(ns[0].kind, Kind::SchemaMismatch);
    let ns = h.run(61.5, 61.5);
    assert_eq!(ns.len(), 1);
    assert_eq!(
        ns[0].title,
        "Chat: and 49 more events not matching their schema"
    );
    // A matching event says nothing; with the rule off, neither does a mismatch.
    h.message(1, "delta", "{}", "99", 200.0);
    assert!(h.n.drain().is_empty());
    let off: NotifyRules = serde_json::from_value(json!({"schemaMismatch": false})).expect("rules");
    let mut quiet = Harness::with_rules(&[(2, "Quiet")], off);
    quiet.state(2, State::Open, 0, 0.0);
    quiet.event(2, flagged(1), 1.0);
    assert!(quiet.n.drain().is_empty());
}
