//! The transport types of docs/app-contract.md: what crosses the IPC boundary, in camelCase
//! JSON, with the TypeScript bindings generated from them (see [`crate::bindings`]). Engine
//! types never cross it directly; the conversions below (and the form's, [`crate::form`]) are
//! where they meet. [`CommandError`](crate::error::CommandError) lives with its conversions.
//!
//! Ids and counters are `u64` in Rust and `number` in TypeScript (`#[ts(type = "number")]`):
//! they stay far below 2^53. Times are milliseconds since the Unix epoch.

use serde::{Deserialize, Serialize};
use std::time::{SystemTime, UNIX_EPOCH};
use streamwatch_engine::alerts::Condition;
use streamwatch_engine::catalog::{StoredMessage, StoredNotification};
use streamwatch_engine::redirects::RedirectMode;
use streamwatch_engine::{State, Status, SubscriptionId};
use ts_rs::TS;

/// A subscription as the user edits it. Settings the form does not show (event size cap,
/// retention, notification rules) are kept as they are on update and take their defaults on add.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "SubscriptionForm.ts")]
pub struct SubscriptionForm {
    pub name: String,
    /// Credentials in it come back masked "••••"; sending "••••" back keeps the stored one.
    pub url: String,
    /// Query parameters whose values are credentials, beyond the well-known token names.
    #[serde(default)]
    pub secret_params: Vec<String>,
    pub method: String,
    pub headers: Vec<HeaderForm>,
    pub body: Option<String>,
    pub last_event_id: Option<String>,
    #[ts(type = "number")]
    pub retry_initial_ms: u64,
    #[ts(type = "number")]
    pub retry_max_ms: u64,
    pub max_retries: Option<u32>,
    /// `null`: automatic (3× the usual gap between arrivals, at least 45 s); 0: off.
    #[ts(type = "number | null")]
    pub idle_timeout_secs: Option<u64>,
    /// Stale after this many seconds without a message; `null` (or left out by an older UI):
    /// learned from the stream.
    #[serde(default)]
    #[ts(type = "number | null")]
    pub stale_after_secs: Option<u64>,
    pub paused: bool,
    /// When to notify; a form without it (older UI) keeps the saved rules, or the defaults.
    #[serde(default)]
    #[ts(optional)]
    pub notify: Option<NotifyForm>,
    /// Which redirects to follow; a form without it (older UI) keeps the saved mode, or `any`.
    #[serde(default)]
    #[ts(optional, type = "\"any\" | \"same-origin\" | \"never\"")]
    pub redirects: Option<RedirectMode>,
    /// The server's integer ids do not count by one, so a jump is no gap; a form without it
    /// (older UI) keeps the saved setting, or off.
    #[serde(default)]
    #[ts(optional)]
    pub ids_not_sequential: Option<bool>,
    /// Proxy, extra CA certificates and client certificate; a form without it (older UI)
    /// keeps the saved settings, or the defaults.
    #[serde(default)]
    #[ts(optional)]
    pub network: Option<crate::network_form::NetworkForm>,
    /// When a stream that ended is requested again; `by-method` is the default (always for
    /// GET, after errors only for any other method). A form without it keeps the saved one.
    #[serde(default)]
    #[ts(optional, type = "\"by-method\" | \"always\" | \"error\" | \"never\"")]
    pub reconnect: Option<crate::reconnect_form::ReconnectChoice>,
    /// An event type that ends the stream cleanly ("" for none); a form without it keeps the
    /// saved one.
    #[serde(default)]
    #[ts(optional)]
    pub end_event: Option<String>,
    /// JSON Schemas the events must match, one row per event type ("" for all events); a form
    /// without it keeps the saved ones.
    #[serde(default)]
    #[ts(optional)]
    pub expectations: Option<Vec<crate::expectations_form::ExpectationForm>>,
    /// Probe interval and run notification rules; a form without it (older UI) keeps the
    /// saved ones.
    #[serde(default)]
    #[ts(optional)]
    pub probe: Option<crate::probe_form::ProbeForm>,
    /// The user chose "Save without the keyring" after this save was refused with
    /// `keyringUnavailable`: secret values are kept in memory for this session only (never on
    /// disk) and asked for again after a restart. Not a setting: never sent back.
    #[serde(default)]
    #[ts(optional)]
    pub without_keyring: Option<bool>,
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
    /// Notify when ids go backwards (the server restarted its counter); a form without it
    /// (older UI) notifies, as the rules' default.
    #[serde(default = "yes")]
    pub reset: bool,
    /// Notify when the stream goes silent past its stale threshold, and when data comes
    /// again; on when an older UI leaves it out.
    #[serde(default = "yes")]
    pub stale: bool,
    /// Notify when an event does not match its expected JSON Schema; a form without it keeps
    /// the saved choice (on by default).
    #[serde(default)]
    #[ts(optional)]
    pub schema_mismatch: Option<bool>,
    pub messages: Vec<MessageRuleForm>,
}

fn yes() -> bool {
    true
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
    /// Only on the built-in demo subscription: what the window says about it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub demo: Option<DemoView>,
}

/// What the window says about the built-in demo subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "DemoView.ts")]
pub struct DemoView {
    /// The demo server ends each connection after this many messages on purpose (a knob in
    /// its URL), so reconnects can be seen; null when its URL asks for no drops.
    #[ts(type = "number | null")]
    pub drops_every: Option<u64>,
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
    /// The machine is offline or asleep: waiting for it, without attempts.
    Offline,
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
            State::Offline => StateName::Offline,
        }
    }
}

/// How a subscription looks at a glance: the alert loop's verdict (the engine's
/// [`Condition`]), which is where "stale" (open but silent for longer than usual) and "down"
/// (not open for longer than its threshold) are judged. The UI shows it as it comes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum HealthName {
    Open,
    Stale,
    Waiting,
    Connecting,
    Retrying,
    Down,
    Failed,
    Paused,
    Stopped,
    /// Waiting for the machine's network (or its wake).
    Offline,
}

impl From<Condition> for HealthName {
    fn from(c: Condition) -> Self {
        match c {
            Condition::Open => HealthName::Open,
            Condition::Stale => HealthName::Stale,
            Condition::Waiting => HealthName::Waiting,
            Condition::Connecting => HealthName::Connecting,
            Condition::Retrying { .. } => HealthName::Retrying,
            Condition::Down { .. } => HealthName::Down,
            Condition::Failed => HealthName::Failed,
            Condition::Paused => HealthName::Paused,
            Condition::Stopped => HealthName::Stopped,
            Condition::Offline => HealthName::Offline,
        }
    }
}

/// A state's own condition, for a subscription the alert loop has no verdict on.
impl From<StateName> for HealthName {
    fn from(s: StateName) -> Self {
        match s {
            StateName::Connecting => HealthName::Connecting,
            StateName::Open => HealthName::Open,
            StateName::Retrying => HealthName::Retrying,
            StateName::Paused => HealthName::Paused,
            StateName::Failed => HealthName::Failed,
            StateName::Stopped => HealthName::Stopped,
            StateName::Offline => HealthName::Offline,
        }
    }
}

impl HealthName {
    /// Whether this verdict can describe a subscription in `state`. The alert loop judges
    /// from snapshots taken a few times a second, so a status can be newer than the verdict;
    /// one that no longer fits (open, while the status already says retrying) is out of date.
    pub fn fits(self, state: StateName) -> bool {
        match state {
            StateName::Open => matches!(
                self,
                HealthName::Open | HealthName::Stale | HealthName::Waiting
            ),
            StateName::Connecting => matches!(self, HealthName::Connecting | HealthName::Down),
            StateName::Retrying => matches!(self, HealthName::Retrying | HealthName::Down),
            StateName::Paused => self == HealthName::Paused,
            StateName::Failed => self == HealthName::Failed,
            StateName::Stopped => self == HealthName::Stopped,
            StateName::Offline => self == HealthName::Offline,
        }
    }
}

/// A subscription's status snapshot. `health` is how it looks at a glance, as the alert loop
/// judged it (the one place "stale" and "down" are decided): show it as it comes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "StatusView.ts")]
pub struct StatusView {
    #[ts(inline)]
    pub state: StateName,
    // A plain comment: a doc comment would be copied into StatusView.ts. The alert loop's
    // verdict when it fits `state`, else the state's own condition.
    #[ts(inline)]
    pub health: HealthName,
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
    // `lastError` in plain words first (crate `streamwatch_engine::error_words`); the raw
    // chain stays in `lastError` for the details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub last_error_plain: Option<String>,
    pub final_url: Option<String>,
    #[ts(type = "number")]
    pub gaps: u64,
    #[ts(type = "number")]
    pub missed_events: u64,
    #[ts(type = "number")]
    pub replayed: u64,
    #[ts(type = "number")]
    pub resets: u64,
    // Messages whose data did not match their expected JSON Schema, since the app started.
    #[serde(default)]
    #[ts(type = "number")]
    pub schema_mismatches: u64,
    // While retrying or failed: when the outage began (the working stream was lost, or the
    // first failure), for "down since HH:MM".
    #[serde(default)]
    #[ts(type = "number | null")]
    pub down_since_ms: Option<u64>,
    // A finite stream done for good (state stopped): how its run ended, in words
    // ("[DONE] after 3.2 s, 120 events").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub finished: Option<String>,
    // A probe between runs: when its next run is due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub next_run_at_ms: Option<u64>,
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
    // A plain comment, kept out of the TypeScript: true when the server re-sent an event the
    // monitor already had (live, and stored history alike).
    #[serde(default)]
    pub replayed: bool,
    // Bytes of the whole data: more than `data` holds when `truncated`.
    #[ts(type = "number")]
    #[serde(default)]
    pub size: u64,
    // `data` is only the first `preview::PREVIEW_BYTES` (cut on a character boundary); the
    // whole text is one `message_text` call away.
    #[serde(default)]
    pub truncated: bool,
    // The data did not match its expected JSON Schema: the first error in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub mismatch: Option<String>,
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
    Reset,
}

/// A non-message lifecycle event.
///
/// `detail` holds the words: the URL for `started`, the message for `error`, the ids around a
/// `gap`; `attempt` is set for `connecting`, `retrying` and `retries-failed`; `delayMs` for
/// `retrying` (the wait) and `retry-changed` (the server's new base delay); `status` for
/// `started` and HTTP `error`s; `missed` for `gap`. A `reset` (ids went backwards: the server
/// restarted its counter) has only `detail`.
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

/// What a timeline entry records. `transition` is a state change stored by an older version
/// (before the timeline kept connection steps).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum TimelineKind {
    Transition,
    Gap,
    Reset,
    Started,
    Error,
    Finished,
    Retrying,
    RetriesFailed,
    RetryChanged,
    Edited,
    NotStarted,
    Stale,
    Fresh,
    Paused,
    Resumed,
}

/// How a timeline entry is coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum Tone {
    Good,
    Bad,
    Warn,
    Neutral,
}

/// An error in plain words first (`plain`: one sentence a person acts on), with the raw
/// chain the engine reported (`raw`) for whoever opens the details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "ErrorView.ts")]
pub struct ErrorView {
    pub plain: String,
    pub raw: String,
}

/// One timeline entry, worded once on the Rust side (`crate::timeline`) from the stored
/// data, so it reads the same however it is shown and after a restart: `title` and `detail`
/// are the words; `error` an error's plain words and raw chain; `attempt` and `delayMs` a
/// backoff step's numbers (for folding runs of them). `from`, `to`, `reason` and `missed` are
/// the stored facts of state changes, gaps and resets.
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
    pub title: String,
    pub detail: String,
    #[ts(inline)]
    pub tone: Tone,
    pub error: Option<ErrorView>,
    pub attempt: Option<u32>,
    #[ts(type = "number | null")]
    pub delay_ms: Option<u64>,
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

// ---- conversions from engine types ----

/// Milliseconds since the Unix epoch (0 before it).
pub fn ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

impl StatusView {
    /// Puts the alert loop's `verdict` on this status when it still fits the state, and the
    /// state's own condition otherwise.
    /// Open and waiting are told apart by the status itself: it can be newer than the verdict
    /// (the first message came, or the stream reopened since the loop judged).
    pub fn set_health(&mut self, verdict: Option<HealthName>) {
        let health = verdict
            .filter(|h| h.fits(self.state))
            .unwrap_or_else(|| self.state.into());
        self.health = match health {
            HealthName::Open | HealthName::Waiting if self.no_message_since_open() => {
                HealthName::Waiting
            }
            HealthName::Open | HealthName::Waiting => HealthName::Open,
            other => other,
        };
    }

    /// Whether no message came since the stream (re)opened.
    fn no_message_since_open(&self) -> bool {
        match (self.last_message_at_ms, self.connected_since_ms) {
            (None, _) => true,
            (Some(last), Some(opened)) => last < opened,
            (Some(_), None) => false,
        }
    }

    /// This status with [`StatusView::set_health`] applied.
    pub fn with_health(mut self, verdict: Option<HealthName>) -> Self {
        self.set_health(verdict);
        self
    }
}

/// The status as the supervisor has it; its health is the state's own (waiting, for an open
/// stream with no message yet) until
/// [`StatusView::with_health`] gives it the alert loop's verdict.
impl From<&Status> for StatusView {
    fn from(s: &Status) -> Self {
        StatusView {
            state: s.state.into(),
            health: StateName::from(s.state).into(),
            attempt: s.attempt,
            next_retry_at_ms: s.next_retry_at.map(ms),
            last_id: s.last_id.to_string(),
            last_message_at_ms: s.last_message_at.map(ms),
            messages: s.messages,
            bytes: s.bytes,
            reconnects: s.reconnects,
            connected_since_ms: s.connected_since.map(ms),
            last_error: s.last_error.clone(),
            last_error_plain: s
                .last_error
                .as_deref()
                .map(|e| streamwatch_engine::error_words::plain_error(None, None, e)),
            final_url: s.final_url.clone(),
            gaps: s.gaps,
            missed_events: s.missed_events,
            replayed: s.replayed,
            resets: s.resets,
            schema_mismatches: s.schema_mismatches,
            down_since_ms: s.down_since.map(ms),
            finished: s.finished.as_ref().map(|f| f.words()),
            next_run_at_ms: s.next_run_at.map(ms),
        }
        .with_health(None)
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
            data: crate::preview::cut(&m.data, crate::preview::PREVIEW_BYTES)
                .0
                .to_string(),
            replayed: m.replayed,
            mismatch: m.mismatch.clone(),
            size: m.size,
            truncated: m.size > m.data.len() as u64 || m.data.len() > crate::preview::PREVIEW_BYTES,
        }
    }
}

/// How an id reset reads in the log and the timeline.
pub fn reset_words(last: u64, first: u64) -> String {
    format!("ids went backwards from {last} to {first}: did the server restart?")
}

/// How a gap reads in the log and the timeline.
pub fn gap_words(after: u64, next: u64, missed: u64) -> String {
    format!("ids jumped from {after} to {next}: {missed} event(s) missed")
}

impl From<&StoredNotification> for NotificationView {
    fn from(n: &StoredNotification) -> Self {
        NotificationView {
            id: n.id,
            at_ms: ms(n.at),
            subscription_id: n.subscription.map(|s| s.0),
            kind: n.kind.clone(),
            title: n.title.clone(),
            body: n.body.clone(),
            delivery: n.delivery.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_camel_case_with_kebab_states() {
        let mut s = Status::new("7".into(), false);
        s.state = State::Retrying;
        s.next_retry_at = Some(UNIX_EPOCH + std::time::Duration::from_millis(1500));
        s.down_since = Some(UNIX_EPOCH + std::time::Duration::from_millis(900));
        let v = serde_json::to_value(StatusView::from(&s)).unwrap();
        assert_eq!(v["downSinceMs"], 900);
        assert_eq!(v["state"], "retrying");
        assert_eq!(v["health"], "retrying");
        assert_eq!(v["nextRetryAtMs"], 1500);
        assert_eq!(v["lastId"], "7");
        assert!(v["lastMessageAtMs"].is_null());
    }

    #[test]
    fn the_verdict_applies_only_while_it_fits_the_state() {
        let mut s = Status::new("".into(), false);
        s.state = State::Open;
        s.connected_since = Some(UNIX_EPOCH + std::time::Duration::from_millis(1000));
        s.last_message_at = Some(UNIX_EPOCH + std::time::Duration::from_millis(1200));
        let open = StatusView::from(&s);
        assert_eq!(open.health, HealthName::Open);
        let stale = open.clone().with_health(Some(HealthName::Stale));
        assert_eq!(serde_json::to_value(&stale).unwrap()["health"], "stale");
        // Judged before the stream dropped: the status is newer.
        s.state = State::Retrying;
        let retrying = StatusView::from(&s).with_health(Some(HealthName::Open));
        assert_eq!(retrying.health, HealthName::Retrying);
        let down = StatusView::from(&s).with_health(Some(HealthName::Down));
        assert_eq!(down.health, HealthName::Down);
        assert_eq!(
            open.with_health(None).health,
            HealthName::Open,
            "no verdict: the state's own"
        );
    }

    #[test]
    fn an_open_stream_is_waiting_for_data_until_a_message_since_it_opened() {
        let t = |ms| UNIX_EPOCH + std::time::Duration::from_millis(ms);
        let mut s = Status::new("".into(), false);
        s.state = State::Open;
        s.connected_since = Some(t(1000));
        let fresh = StatusView::from(&s);
        assert_eq!(fresh.health, HealthName::Waiting, "just launched");
        assert_eq!(serde_json::to_value(&fresh).unwrap()["health"], "waiting");
        // The loop judged before the first message came: the status is newer.
        s.last_message_at = Some(t(1500));
        let data = StatusView::from(&s).with_health(Some(HealthName::Waiting));
        assert_eq!(data.health, HealthName::Open);
        // Reopened after a drop, judged open before: the message from before does not count.
        s.connected_since = Some(t(9000));
        let reopened = StatusView::from(&s).with_health(Some(HealthName::Open));
        assert_eq!(reopened.health, HealthName::Waiting);
        // Stale stays stale.
        let stale = StatusView::from(&s).with_health(Some(HealthName::Stale));
        assert_eq!(stale.health, HealthName::Stale);
    }

    #[test]
    fn conditions_read_as_their_words() {
        for (c, word) in [
            (Condition::Open, "open"),
            (Condition::Stale, "stale"),
            (Condition::Waiting, "waiting"),
            (Condition::Connecting, "connecting"),
            (Condition::Retrying { attempt: 3 }, "retrying"),
            (Condition::Down { attempt: 2 }, "down"),
            (Condition::Failed, "failed"),
            (Condition::Paused, "paused"),
            (Condition::Stopped, "stopped"),
        ] {
            assert_eq!(serde_json::to_value(HealthName::from(c)).unwrap(), word);
        }
    }
}
