//! The transport types of docs/app-contract.md: what crosses the IPC boundary, in camelCase
//! JSON, with the TypeScript bindings generated from them (see [`crate::bindings`]). Engine
//! types never cross it directly; the conversions below are the only place they meet.
//!
//! Ids and counters are `u64` in Rust and `number` in TypeScript (`#[ts(type = "number")]`):
//! they stay far below 2^53. Times are milliseconds since the Unix epoch.

use serde::{Deserialize, Serialize};
use std::time::{SystemTime, UNIX_EPOCH};
use streamwatch_engine::storage::{GapRecord, StoredMessage, SubscriptionRecord, Transition};
use streamwatch_engine::{Lifecycle, State, Status, SubscriptionId};
use ts_rs::TS;

/// A subscription as the user edits it. Settings the form does not show (event size cap,
/// retention, notification rules) are kept as they are on update and take their defaults on add.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "SubscriptionForm.ts")]
pub struct SubscriptionForm {
    pub name: String,
    pub url: String,
    pub method: String,
    pub headers: Vec<HeaderForm>,
    pub body: Option<String>,
    pub last_event_id: Option<String>,
    #[ts(type = "number")]
    pub retry_initial_ms: u64,
    #[ts(type = "number")]
    pub retry_max_ms: u64,
    pub max_retries: Option<u32>,
    #[ts(type = "number | null")]
    pub idle_timeout_secs: Option<u64>,
    pub paused: bool,
    /// When to notify; a form without it (older UI) keeps the saved rules, or the defaults.
    #[serde(default)]
    #[ts(optional)]
    pub notify: Option<NotifyForm>,
}

/// A subscription's notification rules as the form edits them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "NotifyForm.ts")]
pub struct NotifyForm {
    /// Notify when not open for this many seconds; 0 turns it off.
    #[ts(type = "number")]
    pub down_after_secs: u64,
    pub recovered: bool,
    pub gave_up: bool,
    pub fatal: bool,
    pub messages: Vec<MessageRuleForm>,
}

/// One message rule; empty fields are not conditions. `jsonEquals` is JSON (`"error"`, `5`,
/// `true`) or, when it does not parse as JSON, a plain string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "MessageRuleForm.ts")]
pub struct MessageRuleForm {
    pub event: String,
    pub contains: String,
    pub regex: String,
    pub json_pointer: String,
    pub json_equals: String,
}

/// One entry of the in-app notification list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "NotificationView.ts")]
pub struct NotificationView {
    #[ts(type = "number")]
    pub id: u64,
    #[ts(type = "number")]
    pub at_ms: u64,
    #[ts(type = "number | null")]
    pub subscription_id: Option<u64>,
    /// `down`, `recovered`, `gave-up`, `fatal`, `message`, `summary`, `many-down`,
    /// `many-recovered`.
    pub kind: String,
    pub title: String,
    pub body: String,
    /// `shown`, `silenced` (Do Not Disturb) or `folded` (summed up in another one).
    pub delivery: String,
}

/// App-wide settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "AppSettings.ts")]
pub struct AppSettings {
    /// Notifications are listed in the app but not shown.
    pub do_not_disturb: bool,
    /// The app starts (hidden, in the tray) when the user logs in.
    pub start_at_login: bool,
}

/// One request header. A saved secret comes back with `value: ""` and `hasStoredValue: true`;
/// sent back like that it keeps the stored secret, and a non-empty value replaces it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "HeaderForm.ts")]
pub struct HeaderForm {
    pub name: String,
    pub value: String,
    pub secret: bool,
    pub has_stored_value: bool,
}

/// A saved subscription with its live status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "SubscriptionView.ts")]
pub struct SubscriptionView {
    #[ts(type = "number")]
    pub id: u64,
    pub name: String,
    pub url: String,
    pub form: SubscriptionForm,
    pub status: StatusView,
}

/// Where a subscription is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum StateName {
    Connecting,
    Open,
    Retrying,
    Paused,
    Failed,
    Stopped,
}

impl From<State> for StateName {
    fn from(s: State) -> Self {
        match s {
            State::Connecting => StateName::Connecting,
            State::Open => StateName::Open,
            State::Retrying => StateName::Retrying,
            State::Paused => StateName::Paused,
            State::Failed => StateName::Failed,
            State::Stopped => StateName::Stopped,
        }
    }
}

/// A subscription's status snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "StatusView.ts")]
pub struct StatusView {
    #[ts(inline)]
    pub state: StateName,
    pub attempt: u32,
    #[ts(type = "number | null")]
    pub next_retry_at_ms: Option<u64>,
    pub last_id: String,
    #[ts(type = "number | null")]
    pub last_message_at_ms: Option<u64>,
    #[ts(type = "number")]
    pub messages: u64,
    #[ts(type = "number")]
    pub bytes: u64,
    #[ts(type = "number")]
    pub reconnects: u64,
    #[ts(type = "number | null")]
    pub connected_since_ms: Option<u64>,
    pub last_error: Option<String>,
    pub final_url: Option<String>,
    #[ts(type = "number")]
    pub gaps: u64,
    #[ts(type = "number")]
    pub missed_events: u64,
}

/// One event: live (`seq` null, from the update channel) or stored (`seq` set, from
/// `history_page`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "MessageView.ts")]
pub struct MessageView {
    #[ts(type = "number")]
    pub subscription_id: u64,
    #[ts(type = "number | null")]
    pub seq: Option<u64>,
    #[ts(type = "number")]
    pub received_at_ms: u64,
    pub event: String,
    pub id: String,
    pub data: String,
}

/// What kind of lifecycle event (the connection's words, as `datastar-fetch` names them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum LifecycleKind {
    Connecting,
    Started,
    Message,
    Comment,
    Error,
    Finished,
    Retrying,
    RetriesFailed,
    Gap,
    RetryChanged,
}

/// A non-message lifecycle event.
///
/// `detail` holds the words: the URL for `started`, the message for `error`, the ids around a
/// `gap`; `attempt` is set for `connecting`, `retrying` and `retries-failed`; `delayMs` for
/// `retrying` (the wait) and `retry-changed` (the server's new base delay); `status` for
/// `started` and HTTP `error`s; `missed` for `gap`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "LifecycleView.ts")]
pub struct LifecycleView {
    #[ts(type = "number")]
    pub subscription_id: u64,
    #[ts(type = "number")]
    pub at_ms: u64,
    #[ts(inline)]
    pub kind: LifecycleKind,
    pub detail: String,
    pub attempt: Option<u32>,
    #[ts(type = "number | null")]
    pub delay_ms: Option<u64>,
    pub status: Option<u16>,
    #[ts(type = "number | null")]
    pub missed: Option<u64>,
}

/// What a timeline entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum TimelineKind {
    Transition,
    Gap,
}

/// A stored state transition (`from`, `to`, `reason`) or gap (`missed`, `reason`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "TimelineEntry.ts")]
pub struct TimelineEntry {
    #[ts(type = "number")]
    pub at_ms: u64,
    #[ts(inline)]
    pub kind: TimelineKind,
    pub from: Option<String>,
    pub to: Option<String>,
    pub reason: String,
    #[ts(type = "number | null")]
    pub missed: Option<u64>,
}

/// A subscription's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "StatsView.ts")]
pub struct StatsView {
    /// 0–100: the share of today (local time, since midnight or since the subscription was
    /// added) during which the stream was open, counting only time Streamwatch was watching.
    pub uptime_today_percent: f64,
    #[ts(type = "number")]
    pub messages_stored: u64,
    #[ts(type = "number")]
    pub gaps: u64,
    #[ts(type = "number")]
    pub missed_events: u64,
}

/// One subscription's latest status within an [`UpdateBatch`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StatusUpdate {
    #[ts(type = "number")]
    pub id: u64,
    pub status: StatusView,
}

/// What one window's update channel carries, about 20 times a second at most. Apply in this
/// order: `added`, `removed`, `statuses`, `lifecycle`, `messages`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "UpdateBatch.ts")]
pub struct UpdateBatch {
    /// The latest status of each subscription that changed, one entry per subscription.
    #[ts(inline)]
    pub statuses: Vec<StatusUpdate>,
    /// New live messages, in order.
    pub messages: Vec<MessageView>,
    /// Non-message lifecycle events (comments left out), in order.
    pub lifecycle: Vec<LifecycleView>,
    /// Subscriptions added (by any window).
    pub added: Vec<SubscriptionView>,
    /// Subscriptions removed.
    #[ts(type = "Array<number>")]
    pub removed: Vec<u64>,
    /// Live messages this window missed (it lagged, or a batch was full); storage has them.
    #[ts(type = "number")]
    pub dropped_messages: u64,
}

impl UpdateBatch {
    /// Whether there is nothing to send.
    pub fn is_empty(&self) -> bool {
        self.statuses.is_empty()
            && self.messages.is_empty()
            && self.lifecycle.is_empty()
            && self.added.is_empty()
            && self.removed.is_empty()
            && self.dropped_messages == 0
    }
}

/// What kind of failure a command reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ErrorKind {
    /// The input is unusable; `field` names the form field when one is to blame.
    Invalid,
    /// No such subscription.
    NotFound,
    /// The database refused (the message names the file and what to do).
    Storage,
    /// The OS keyring refused.
    Secret,
    /// A bug or an unexpected failure.
    Internal,
}

/// Why a command failed: the value an `invoke` promise rejects with.
///
/// `field` is a [`SubscriptionForm`] field name (`name`, `url`, `method`, `retryMaxMs`,
/// `idleTimeoutSecs`…) or, for a header, `headers.N.name` / `headers.N.value` (N counts from 0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, thiserror::Error)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "CommandError.ts")]
#[error("{message}")]
pub struct CommandError {
    #[ts(inline)]
    pub kind: ErrorKind,
    pub message: String,
    pub field: Option<String>,
}

// ---- conversions from engine types ----

/// Milliseconds since the Unix epoch (0 before it).
pub fn ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

impl From<&Status> for StatusView {
    fn from(s: &Status) -> Self {
        StatusView {
            state: s.state.into(),
            attempt: s.attempt,
            next_retry_at_ms: s.next_retry_at.map(ms),
            last_id: s.last_id.to_string(),
            last_message_at_ms: s.last_message_at.map(ms),
            messages: s.messages,
            bytes: s.bytes,
            reconnects: s.reconnects,
            connected_since_ms: s.connected_since.map(ms),
            last_error: s.last_error.clone(),
            final_url: s.final_url.clone(),
            gaps: s.gaps,
            missed_events: s.missed_events,
        }
    }
}

impl SubscriptionForm {
    /// The form showing a saved record. Secret values stay behind: they come back empty, marked
    /// as stored.
    pub fn from_record(r: &SubscriptionRecord) -> Self {
        SubscriptionForm {
            name: r.name.clone(),
            url: r.url.clone(),
            method: r.method.clone(),
            headers: r
                .headers
                .iter()
                .map(|h| HeaderForm {
                    name: h.name.clone(),
                    value: if h.secret {
                        String::new()
                    } else {
                        h.value.clone()
                    },
                    secret: h.secret,
                    has_stored_value: h.secret,
                })
                .collect(),
            body: r.body.clone(),
            last_event_id: r.last_event_id.clone(),
            retry_initial_ms: r.retry.initial_ms,
            retry_max_ms: r.retry.max_ms,
            max_retries: r.retry.max_retries,
            // The form counts whole seconds; a value saved elsewhere in milliseconds rounds up.
            idle_timeout_secs: r
                .idle_timeout_ms
                .filter(|ms| *ms > 0)
                .map(|ms| ms.div_ceil(1000)),
            paused: r.paused,
            notify: Some(crate::notify_form::form_of(&r.notify)),
        }
    }
}

impl SubscriptionView {
    /// A saved subscription with its status.
    pub fn new(id: SubscriptionId, record: &SubscriptionRecord, status: &Status) -> Self {
        SubscriptionView {
            id: id.0,
            name: record.name.clone(),
            url: record.url.clone(),
            form: SubscriptionForm::from_record(record),
            status: status.into(),
        }
    }
}

impl From<(SubscriptionId, &StoredMessage)> for MessageView {
    fn from((id, m): (SubscriptionId, &StoredMessage)) -> Self {
        MessageView {
            subscription_id: id.0,
            seq: Some(m.seq),
            received_at_ms: ms(m.received_at),
            event: m.event.clone(),
            id: m.id.clone(),
            data: m.data.clone(),
        }
    }
}

/// A live event as the UI sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum LiveEvent {
    /// A message, for the log.
    Message(MessageView),
    /// Anything else worth showing.
    Lifecycle(LifecycleView),
    /// A comment: not forwarded (heartbeats would flood the log).
    Comment,
}

impl LiveEvent {
    /// Converts one supervisor lifecycle event.
    pub fn new(id: SubscriptionId, at: SystemTime, event: &Lifecycle) -> LiveEvent {
        let at_ms = ms(at);
        let view = |kind, detail: String| LifecycleView {
            subscription_id: id.0,
            at_ms,
            kind,
            detail,
            attempt: None,
            delay_ms: None,
            status: None,
            missed: None,
        };
        let lifecycle = match event {
            Lifecycle::Message {
                event,
                data,
                id: last_id,
            } => {
                return LiveEvent::Message(MessageView {
                    subscription_id: id.0,
                    seq: None,
                    received_at_ms: at_ms,
                    event: event.to_string(),
                    id: last_id.to_string(),
                    data: data.to_string(),
                })
            }
            Lifecycle::Comment { .. } => return LiveEvent::Comment,
            Lifecycle::Connecting { attempt } => LifecycleView {
                attempt: Some(*attempt),
                ..view(
                    LifecycleKind::Connecting,
                    if *attempt == 0 {
                        "connecting".into()
                    } else {
                        format!("reconnecting (retry {attempt})")
                    },
                )
            },
            Lifecycle::Started { url, status } => LifecycleView {
                status: Some(*status),
                ..view(LifecycleKind::Started, url.clone())
            },
            Lifecycle::Gap {
                after,
                next,
                missed,
            } => LifecycleView {
                missed: Some(*missed),
                ..view(LifecycleKind::Gap, gap_words(*after, *next, *missed))
            },
            Lifecycle::RetryChanged { retry_ms } => LifecycleView {
                delay_ms: Some(*retry_ms),
                ..view(
                    LifecycleKind::RetryChanged,
                    format!("the server set the retry delay to {retry_ms} ms"),
                )
            },
            Lifecycle::Error {
                message, status, ..
            } => LifecycleView {
                status: *status,
                ..view(LifecycleKind::Error, message.clone())
            },
            Lifecycle::Finished => view(LifecycleKind::Finished, "stream ended".into()),
            Lifecycle::Retrying { attempt, delay_ms } => LifecycleView {
                attempt: Some(*attempt),
                delay_ms: Some(*delay_ms),
                ..view(
                    LifecycleKind::Retrying,
                    format!("retry {attempt} in {delay_ms} ms"),
                )
            },
            Lifecycle::RetriesFailed { attempts } => LifecycleView {
                attempt: Some(*attempts),
                ..view(
                    LifecycleKind::RetriesFailed,
                    format!("gave up after {attempts} retries"),
                )
            },
        };
        LiveEvent::Lifecycle(lifecycle)
    }
}

fn gap_words(after: u64, next: u64, missed: u64) -> String {
    format!("ids jumped from {after} to {next}: {missed} event(s) missed")
}

impl From<&Transition> for TimelineEntry {
    fn from(t: &Transition) -> Self {
        TimelineEntry {
            at_ms: ms(t.at),
            kind: TimelineKind::Transition,
            from: Some(t.from.clone()),
            to: Some(t.to.clone()),
            reason: t.reason.clone(),
            missed: None,
        }
    }
}

impl From<&GapRecord> for TimelineEntry {
    fn from(g: &GapRecord) -> Self {
        TimelineEntry {
            at_ms: ms(g.at),
            kind: TimelineKind::Gap,
            from: None,
            to: None,
            reason: gap_words(g.after, g.next, g.missed),
            missed: Some(g.missed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use streamwatch_engine::storage::StoredHeader;

    #[test]
    fn json_is_camel_case_with_kebab_states() {
        let mut s = Status::new("7".into(), false);
        s.state = State::Retrying;
        s.next_retry_at = Some(UNIX_EPOCH + std::time::Duration::from_millis(1500));
        let v = serde_json::to_value(StatusView::from(&s)).unwrap();
        assert_eq!(v["state"], "retrying");
        assert_eq!(v["nextRetryAtMs"], 1500);
        assert_eq!(v["lastId"], "7");
        assert!(v["lastMessageAtMs"].is_null());
        let e = CommandError {
            kind: ErrorKind::NotFound,
            message: "m".into(),
            field: None,
        };
        assert_eq!(
            serde_json::to_value(e).unwrap(),
            serde_json::json!({"kind": "notFound", "message": "m", "field": null})
        );
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

    #[test]
    fn lifecycle_events_convert() {
        let at = UNIX_EPOCH + std::time::Duration::from_millis(42);
        let id = SubscriptionId(3);
        match LiveEvent::new(
            id,
            at,
            &Lifecycle::Retrying {
                attempt: 2,
                delay_ms: 900,
            },
        ) {
            LiveEvent::Lifecycle(l) => {
                assert_eq!(
                    (l.kind, l.attempt, l.delay_ms, l.at_ms),
                    (LifecycleKind::Retrying, Some(2), Some(900), 42)
                );
                let v = serde_json::to_value(&l).unwrap();
                assert_eq!(v["kind"], "retrying");
                assert_eq!(v["subscriptionId"], 3);
            }
            other => panic!("{other:?}"),
        }
        let msg = Lifecycle::Message {
            event: "tick".into(),
            data: "d".into(),
            id: "9".into(),
        };
        assert!(matches!(
            LiveEvent::new(id, at, &msg),
            LiveEvent::Message(MessageView { seq: None, .. })
        ));
        let gap = Lifecycle::Gap {
            after: 4,
            next: 9,
            missed: 4,
        };
        match LiveEvent::new(id, at, &gap) {
            LiveEvent::Lifecycle(l) => {
                assert_eq!(serde_json::to_value(&l).unwrap()["kind"], "gap");
                assert_eq!(l.missed, Some(4));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            serde_json::to_value(LifecycleKind::RetriesFailed).unwrap(),
            "retries-failed"
        );
    }
}
