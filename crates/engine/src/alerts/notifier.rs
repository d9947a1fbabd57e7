//! Decides which notifications to show: quiet when all is well, unmissable when it is not.
//!
//! A pure state machine fed with the supervisor's events and a clock ([`Notifier::observe`],
//! [`Notifier::tick`]); whoever runs it shows what [`Notifier::drain`] returns. Rules per
//! subscription (see [`NotifyRules`]): down for at least N seconds, recovered after a notified
//! outage once data flows again (how long, how many events missed), gave up, fatal error, ids that went backwards (a
//! server that restarted its counter), silent past the stale threshold and data again,
//! matching messages. Storm
//! control: at most one notification per minute per subscription and rule, the rest folded
//! into a summary ("and 7 more"); many subscriptions going down together make one
//! notification; Do Not Disturb records without showing. A fatal stop is told once per
//! occurrence, restarts of the app included (see [`super::fatal_occurrence`]).

use super::cause::{common_phrase, Cause};
use super::fatal_occurrence::{occurrence_key, OccurrenceChange};
use super::rules::{CompiledRules, NotifyRules};
use crate::conditions::Conditions;
use crate::error_words::plain_error;
use crate::lifecycle::{ErrorKind, Lifecycle};
use crate::liveness::words;
use crate::status::{State, Status};
use crate::supervisor::{SubscriptionId, SupervisorEvent};
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, SystemTime};

/// At most one notification per subscription and rule within this window.
pub const RATE_WINDOW: Duration = Duration::from_secs(60);
/// This many subscriptions due to be reported down at once make one notification.
pub const MASS_DOWN_MIN: usize = 3;
/// Streams this close to their threshold join a many-down notification (see `tell_outages`).
pub const MASS_GATHER: Duration = Duration::from_secs(1);
/// Longest message excerpt in a notification's body.
const EXCERPT_CHARS: usize = 200;
/// How long the machine is offline before that is told: the streams have stopped by then
/// (an open one after its grace period), so the count is right.
const OFFLINE_SETTLE: Duration = Duration::from_secs(3);
/// Names listed in a notification about many subscriptions.
const NAMES_LISTED: usize = 5;

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Not open for longer than the threshold.
    Down,
    /// Back after a notified outage.
    Recovered,
    /// The retry budget is spent.
    GaveUp,
    /// A failure retrying cannot fix.
    Fatal,
    /// A message matched a rule.
    Message,
    /// Integer ids went backwards: the server's counter started again.
    Reset,
    /// Open but silent past the stale threshold.
    Stale,
    /// Data again after a told stale period.
    Fresh,
    /// Further notifications of one rule, folded.
    Summary,
    /// Many subscriptions went down together.
    ManyDown,
    /// Many subscriptions came back together.
    ManyRecovered,
    /// The machine lost its network: every stream that needs it waits.
    Offline,
    /// An event did not match its expected JSON Schema.
    SchemaMismatch,
    /// A run of a finite stream or probe broke one of its run rules (see
    /// [`super::run_rules`]).
    Run,
}

impl Kind {
    /// A stable kebab-case name (storage, the UI).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Down => "down",
            Kind::Recovered => "recovered",
            Kind::GaveUp => "gave-up",
            Kind::Fatal => "fatal",
            Kind::Message => "message",
            Kind::Reset => "reset",
            Kind::Stale => "stale",
            Kind::Fresh => "fresh",
            Kind::Summary => "summary",
            Kind::ManyDown => "many-down",
            Kind::ManyRecovered => "many-recovered",
            Kind::Offline => "offline",
            Kind::SchemaMismatch => "schema-mismatch",
            Kind::Run => "run",
        }
    }
}

/// Whether a notification reaches the desktop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Show it.
    Show,
    /// Do Not Disturb is on: listed in the app only.
    Silenced,
    /// Folded into a summary or a many-subscriptions notification: listed in the app only.
    Folded,
}

impl Delivery {
    /// A stable name (storage, the UI).
    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Show => "shown",
            Delivery::Silenced => "silenced",
            Delivery::Folded => "folded",
        }
    }
}

/// One notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// When it was decided.
    pub at: SystemTime,
    /// The subscription it is about (`None` for many at once).
    pub subscription: Option<SubscriptionId>,
    /// What it is about.
    pub kind: Kind,
    /// The title (summary line).
    pub title: String,
    /// The body.
    pub body: String,
    /// Whether to show it.
    pub delivery: Delivery,
}

/// Which rule a notification came from, for rate limiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum RuleKey {
    Down,
    Recovered,
    GaveUp,
    Fatal,
    Reset,
    Stale,
    Fresh,
    Message(usize),
    SchemaMismatch,
    Run(super::run_rules::RunBreach),
}

impl RuleKey {
    fn noun(self, rules: &CompiledRules) -> String {
        match self {
            RuleKey::Down => "outages".into(),
            RuleKey::Recovered => "recoveries".into(),
            RuleKey::GaveUp => "give-ups".into(),
            RuleKey::Fatal => "fatal errors".into(),
            RuleKey::Reset => "id resets".into(),
            RuleKey::Stale => "silences".into(),
            RuleKey::Fresh => "data-again notices".into(),
            RuleKey::Message(i) => format!("messages ({})", rules.describe_message_rule(i)),
            RuleKey::SchemaMismatch => "events not matching their schema".into(),
            RuleKey::Run(_) => "runs like it".into(),
        }
    }
}

/// A rate window: when it opened and how many were folded since.
#[derive(Debug, Clone, Copy)]
struct Window {
    opened: SystemTime,
    folded: u64,
}

#[derive(Debug, Clone, Copy)]
struct PendingRecovery {
    opened_at: SystemTime,
    down_for: Duration,
    missed: u64,
    /// A server can answer 200 and then send nothing: only a message proves it is back.
    message_seen: bool,
}

#[derive(Debug)]
struct Sub {
    name: String,
    rules: CompiledRules,
    state: Option<State>,
    attempt: u32,
    last_error: Option<String>,
    /// The last error in plain words (`error_words`), what a notification says of it.
    last_error_words: Option<String>,
    /// The class of the last error, for naming what many streams going down share.
    cause: Option<Cause>,
    down_since: Option<SystemTime>,
    /// This outage was already reported (down, fatal, gave up or many down).
    outage_reported: bool,
    recovery: Option<PendingRecovery>,
    /// While stale: when the silence began.
    stale_since: Option<SystemTime>,
    /// This stale period was notified, so its end is too.
    stale_told: bool,
    /// The fatal stop told and not yet ended (its occurrence key), perhaps before a restart.
    fatal_told: Option<String>,
    windows: HashMap<RuleKey, Window>,
}

/// The notification state machine.
#[derive(Debug, Default)]
pub struct Notifier {
    subs: BTreeMap<SubscriptionId, Sub>,
    dnd: bool,
    many_down: Option<Window>,
    many_recovered: Option<Window>,
    /// The machine's network and sleep, as last announced.
    machine: Conditions,
    /// Since when the machine has been offline, and whether that was told.
    offline: Option<(SystemTime, bool)>,
    out: Vec<Notification>,
    occurrences: Vec<OccurrenceChange>,
}

/// Whether an error is one retrying cannot fix: the user must act.
pub fn is_fatal(kind: ErrorKind, status: Option<u16>) -> bool {
    match kind {
        ErrorKind::ContentType => true,
        ErrorKind::HttpStatus => status.is_some_and(|s| !(s >= 500 || s == 408 || s == 429)),
        _ => false,
    }
}

impl Notifier {
    /// A notifier with no subscriptions and Do Not Disturb off.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a subscription or replaces its name and rules (counters and windows are kept).
    pub fn upsert(&mut self, id: SubscriptionId, name: &str, rules: CompiledRules) {
        let sub = self.subs.entry(id).or_insert_with(|| Sub {
            name: String::new(),
            rules: CompiledRules::default(),
            state: None,
            attempt: 0,
            last_error: None,
            last_error_words: None,
            cause: None,
            down_since: None,
            outage_reported: false,
            recovery: None,
            stale_since: None,
            stale_told: false,
            fatal_told: None,
            windows: HashMap::new(),
        });
        sub.name = name.to_string();
        sub.rules = rules;
    }

    /// Hands back the fatal stop told for `id` before a restart ([`OccurrenceChange::Told`],
    /// as persisted): the same stop met again is not told again. Call it after
    /// [`Notifier::upsert`], before the subscription's first events.
    pub fn remember_fatal(&mut self, id: SubscriptionId, key: &str) {
        if let Some(sub) = self.subs.get_mut(&id) {
            sub.fatal_told = Some(key.to_string());
        }
    }

    /// Takes the changes to the told fatal stops made so far, oldest first, to persist.
    pub fn drain_occurrences(&mut self) -> Vec<OccurrenceChange> {
        std::mem::take(&mut self.occurrences)
    }

    /// Forgets a subscription.
    pub fn remove(&mut self, id: SubscriptionId) {
        self.subs.remove(&id);
    }

    /// The rules in force for `id`.
    pub fn rules(&self, id: SubscriptionId) -> Option<&NotifyRules> {
        self.subs.get(&id).map(|s| &s.rules.rules)
    }

    /// Whether `id` reconnected after a notified outage and no message has come since: the
    /// recovery is not told until one does ("reconnected, no data yet").
    pub fn awaiting_data(&self, id: SubscriptionId) -> bool {
        self.subs
            .get(&id)
            .is_some_and(|s| s.recovery.is_some_and(|r| !r.message_seen))
    }

    /// Turns Do Not Disturb on or off: while on, notifications are listed but not shown.
    pub fn set_dnd(&mut self, on: bool) {
        self.dnd = on;
    }

    /// Whether Do Not Disturb is on.
    pub fn dnd(&self) -> bool {
        self.dnd
    }

    /// Folds in one supervisor event that happened at `now`.
    pub fn observe(&mut self, event: &SupervisorEvent, now: SystemTime) {
        match event {
            SupervisorEvent::Status { id, status } => self.observe_status(*id, status, now),
            SupervisorEvent::Lifecycle { id, event, .. } => self.observe_lifecycle(*id, event, now),
            SupervisorEvent::Removed { id } => self.remove(*id),
            SupervisorEvent::RunEnded {
                id, probe, result, ..
            } => self.observe_run(*id, *probe, result, now),
            SupervisorEvent::Machine { conditions } => {
                self.machine = *conditions;
                if conditions.online {
                    self.offline = None;
                } else {
                    self.offline.get_or_insert((now, false));
                }
            }
        }
    }

    /// Folds in a status snapshot (also how to catch up after missed events).
    pub fn observe_status(&mut self, id: SubscriptionId, status: &Status, now: SystemTime) {
        self.observe_staleness(id, status, now);
        let Some(sub) = self.subs.get_mut(&id) else {
            return;
        };
        sub.attempt = status.attempt;
        if let Some(e) = &status.last_error {
            // A catch-up snapshot has only the words; a lifecycle error knows its kind.
            if sub.last_error.as_deref() != Some(e.as_str()) {
                sub.cause = Some(Cause::classify(None, None, e));
                sub.last_error_words = Some(plain_error(None, None, e));
            }
            sub.last_error = Some(e.clone());
        }
        if sub.state == Some(status.state) {
            return;
        }
        let was = sub.state.replace(status.state);
        // Leaving the failed state is the user starting it again (or an edit): the told fatal
        // stop is over. A launch of the app goes from nothing to connecting, which is not.
        let occurrence_over = match status.state {
            State::Open | State::Paused => true,
            State::Failed => false,
            _ => was == Some(State::Failed),
        };
        if occurrence_over && sub.fatal_told.take().is_some() {
            self.occurrences.push(OccurrenceChange::Ended { id });
        }
        if was == Some(State::Failed) && status.state != State::Failed {
            // Started again by hand: a new attempt, whose failure is told anew.
            sub.outage_reported = false;
            sub.down_since = None;
            sub.recovery = None;
        }
        match status.state {
            State::Connecting | State::Retrying | State::Failed => {
                if let Some(r) = sub.recovery.take() {
                    // Dropped again before the recovery was told: the same outage goes on.
                    sub.down_since =
                        Some(r.opened_at.checked_sub(r.down_for).unwrap_or(r.opened_at));
                    sub.outage_reported = true;
                } else {
                    sub.down_since.get_or_insert(now);
                }
            }
            State::Open => {
                if sub.outage_reported {
                    let since = sub.down_since.unwrap_or(now);
                    sub.recovery = Some(PendingRecovery {
                        opened_at: now,
                        down_for: now.duration_since(since).unwrap_or_default(),
                        missed: 0,
                        message_seen: false,
                    });
                }
                sub.down_since = None;
                sub.outage_reported = false;
                sub.cause = None;
            }
            State::Paused | State::Stopped | State::Offline => {
                // The user (or the server's 204, or the machine) ended it: nothing to report
                // either way. Offline is told once for all (see `tell_offline`).
                sub.down_since = None;
                sub.outage_reported = false;
                sub.recovery = None;
            }
        }
    }

    /// Tells a stream going silent past its stale threshold, and data arriving again after a
    /// told silence (unless a recovery notice will say it).
    fn observe_staleness(&mut self, id: SubscriptionId, status: &Status, now: SystemTime) {
        let Some(sub) = self.subs.get_mut(&id) else {
            return;
        };
        if sub.stale_since == status.stale_since {
            return;
        }
        let was = sub.stale_since;
        sub.stale_since = status.stale_since;
        match (was, status.stale_since) {
            (None, Some(since)) => {
                sub.stale_told = sub.rules.rules.stale;
                if !sub.rules.rules.stale {
                    return;
                }
                let silent = words(now.duration_since(since).unwrap_or_default());
                let title = format!("{}: no data for {silent}", sub.name);
                let body = match status.usual_interval_ms {
                    Some(ms) => format!(
                        "Usually every {}. The stream is open but silent: the server may have \
                         stalled.",
                        words(Duration::from_millis(ms))
                    ),
                    None => "The stream is open but silent: the server may have stalled.".into(),
                };
                self.emit(id, RuleKey::Stale, Kind::Stale, title, body, now);
            }
            (Some(since), None) => {
                let told = std::mem::take(&mut sub.stale_told);
                let data_came = status.state == State::Open && status.last_message_at.is_some();
                if !told || !data_came || sub.recovery.is_some() || !sub.rules.rules.stale {
                    return;
                }
                let at = status.last_message_at.unwrap_or(now);
                let title = format!("{}: data again", sub.name);
                let body = format!(
                    "After {} without data.",
                    words(at.duration_since(since).unwrap_or_default())
                );
                self.emit(id, RuleKey::Fresh, Kind::Fresh, title, body, now);
            }
            _ => {}
        }
    }

    fn observe_lifecycle(&mut self, id: SubscriptionId, event: &Lifecycle, now: SystemTime) {
        let Some(sub) = self.subs.get_mut(&id) else {
            return;
        };
        match event {
            Lifecycle::Error {
                kind,
                status,
                message,
                will_retry,
            } => {
                sub.last_error = Some(message.clone());
                sub.last_error_words = Some(plain_error(Some(*kind), *status, message));
                sub.cause = Some(Cause::classify(Some(*kind), *status, message));
                if !will_retry && is_fatal(*kind, *status) && !sub.outage_reported {
                    sub.outage_reported = true;
                    sub.down_since.get_or_insert(now);
                    let key = occurrence_key(*kind, *status);
                    if sub.fatal_told.as_deref() == Some(key.as_str()) {
                        // Told before the app restarted, and not started again since.
                        return;
                    }
                    if sub.rules.rules.fatal {
                        sub.fatal_told = Some(key.clone());
                        self.occurrences.push(OccurrenceChange::Told { id, key });
                        let title = match status {
                            Some(s) if *kind == ErrorKind::HttpStatus => {
                                format!("{} stopped: HTTP {s}", sub.name)
                            }
                            _ => format!("{} stopped: {}", sub.name, kind.as_str()),
                        };
                        let words = plain_error(Some(*kind), *status, message);
                        let body = format!(
                            "{words}. Retrying cannot fix this: check the URL, credentials or \
                             server, then press Resume."
                        );
                        self.emit(id, RuleKey::Fatal, Kind::Fatal, title, body, now);
                    }
                }
            }
            Lifecycle::RetriesFailed { attempts } => {
                let first_report = !sub.outage_reported;
                sub.outage_reported = true;
                if sub.rules.rules.gave_up && first_report {
                    let title = format!("{} gave up", sub.name);
                    let reason = sub
                        .last_error_words
                        .as_deref()
                        .map(|e| format!(" Last error: {e}."))
                        .unwrap_or_default();
                    let body = format!(
                        "Stopped after {attempts} failed {}.{reason} Reconnect it by hand.",
                        if *attempts == 1 { "retry" } else { "retries" }
                    );
                    self.emit(id, RuleKey::GaveUp, Kind::GaveUp, title, body, now);
                }
            }
            Lifecycle::Gap { missed, .. } => {
                if let Some(r) = &mut sub.recovery {
                    r.missed += missed;
                }
            }
            Lifecycle::Reset { last, first } if sub.rules.rules.reset => {
                let title = format!("{}: ids went backwards — did the server restart?", sub.name);
                let body = format!(
                    "Event ids went from {last} back to {first}. The events are kept; ids now \
                     follow the new counter."
                );
                self.emit(id, RuleKey::Reset, Kind::Reset, title, body, now);
            }
            Lifecycle::Message {
                event,
                data,
                id: event_id,
                mismatch,
                ..
            } => {
                if let Some(r) = &mut sub.recovery {
                    r.message_seen = true;
                }
                if let Some(i) = sub.rules.matching_message_rule(event, data) {
                    let title = format!("{}: {}", sub.name, sub.rules.describe_message_rule(i));
                    let mut body = excerpt(data);
                    if !event_id.is_empty() {
                        body = format!("{body}\n(event {event}, id {event_id})");
                    }
                    self.emit(id, RuleKey::Message(i), Kind::Message, title, body, now);
                }
                let told = self
                    .subs
                    .get(&id)
                    .is_some_and(|s| s.rules.rules.schema_mismatch);
                if let (Some(words), true) = (mismatch, told) {
                    let name = self
                        .subs
                        .get(&id)
                        .map(|s| s.name.clone())
                        .unwrap_or_default();
                    let title = format!("{name}: event does not match its schema");
                    let mut body = format!("{words}\n{}", excerpt(data));
                    if !event_id.is_empty() {
                        body = format!("{body}\n(event {event}, id {event_id})");
                    }
                    let key = RuleKey::SchemaMismatch;
                    self.emit(id, key, Kind::SchemaMismatch, title, body, now);
                }
            }
            _ => {}
        }
    }

    /// Moves the clock to `now`: outages pass their thresholds, recoveries are told, folded
    /// notifications are summed up. Call it about once a second.
    pub fn tick(&mut self, now: SystemTime) {
        self.tell_offline(now);
        self.tell_outages(now);
        self.tell_recoveries(now);
        self.summarise(now);
    }

    /// Takes the notifications decided so far, oldest first.
    pub fn drain(&mut self) -> Vec<Notification> {
        std::mem::take(&mut self.out)
    }

    /// One notification for a machine without a network, once the streams have settled into
    /// waiting (instead of one per stream, or a storm of "down"). Not while it sleeps.
    fn tell_offline(&mut self, now: SystemTime) {
        let Some((since, told)) = self.offline else {
            return;
        };
        if told
            || self.machine.asleep
            || now.duration_since(since).unwrap_or_default() < OFFLINE_SETTLE
        {
            return;
        }
        let waiting = self
            .subs
            .values()
            .filter(|s| s.state == Some(State::Offline))
            .count();
        if waiting == 0 {
            return;
        }
        self.offline = Some((since, true));
        let title = match waiting {
            1 => "Offline — 1 subscription waiting".to_string(),
            n => format!("Offline — {n} subscriptions waiting"),
        };
        let body = "No network. Nothing is tried until it is back, then every stream reconnects \
                    at once; the wait does not count as the servers' downtime."
            .to_string();
        self.push_shown(None, Kind::Offline, title, body, now);
    }

    fn tell_outages(&mut self, now: SystemTime) {
        let due: Vec<SubscriptionId> = self
            .subs
            .iter()
            .filter(|(_, s)| !s.outage_reported && s.recovery.is_none())
            .filter(|(_, s)| match (s.down_since, s.rules.rules.down_after()) {
                (Some(since), Some(after)) => {
                    now.duration_since(since).unwrap_or_default() >= after
                }
                _ => false,
            })
            .map(|(id, _)| *id)
            .collect();
        if due.is_empty() {
            return;
        }
        // Streams that dropped in the same instant cross their thresholds a tick apart: those
        // about to cross count as going down together with the ones that did.
        let soon: Vec<SubscriptionId> = self
            .subs
            .iter()
            .filter(|(id, s)| !due.contains(id) && !s.outage_reported && s.recovery.is_none())
            .filter(|(_, s)| match (s.down_since, s.rules.rules.down_after()) {
                (Some(since), Some(after)) => {
                    now.duration_since(since).unwrap_or_default() + MASS_GATHER >= after
                }
                _ => false,
            })
            .map(|(id, _)| *id)
            .collect();
        let many_recent = self
            .many_down
            .is_some_and(|w| now.duration_since(w.opened).unwrap_or_default() < RATE_WINDOW);
        if due.len() + soon.len() >= MASS_DOWN_MIN || many_recent {
            let mut due = due;
            if !many_recent {
                due.extend(soon);
            }
            // The user's network, most likely: one notification, not one per stream.
            let names: Vec<String> = due
                .iter()
                .filter_map(|id| self.subs.get(id))
                .map(|s| s.name.clone())
                .collect();
            for id in &due {
                let Some(sub) = self.subs.get_mut(id) else {
                    continue;
                };
                sub.outage_reported = true;
                let (title, body) = down_text(sub, now);
                self.push(Some(*id), Kind::Down, title, body, Delivery::Folded, now);
            }
            if many_recent {
                if let Some(w) = &mut self.many_down {
                    w.folded += due.len() as u64;
                }
            } else {
                let total_down = self
                    .subs
                    .values()
                    .filter(|s| s.down_since.is_some() && s.recovery.is_none())
                    .count();
                // The title counts the ones that dropped together (the ones listed); others
                // already down before are added in the body, so the numbers agree.
                // Name the cause only when every one listed shows it: one refusing host among
                // them is not "the network".
                let cause =
                    common_phrase(due.iter().map(|id| self.subs.get(id).and_then(|s| s.cause)));
                let title = match cause {
                    Some(cause) => format!("{} subscriptions down — {cause}", names.len()),
                    None => format!("{} subscriptions down", names.len()),
                };
                let body = if total_down > names.len() {
                    format!(
                        "Not connected: {} ({total_down} down in all).",
                        list_names(&names)
                    )
                } else {
                    format!("Not connected: {}.", list_names(&names))
                };
                self.many_down = Some(Window {
                    opened: now,
                    folded: 0,
                });
                self.push_shown(None, Kind::ManyDown, title, body, now);
            }
            return;
        }
        for id in due {
            let Some(sub) = self.subs.get_mut(&id) else {
                continue;
            };
            sub.outage_reported = true;
            let (title, body) = down_text(sub, now);
            self.emit(id, RuleKey::Down, Kind::Down, title, body, now);
        }
    }

    fn tell_recoveries(&mut self, now: SystemTime) {
        let ready: Vec<SubscriptionId> = self
            .subs
            .iter()
            .filter(|(_, s)| s.recovery.is_some_and(|r| r.message_seen))
            .map(|(id, _)| *id)
            .collect();
        if ready.is_empty() {
            return;
        }
        let many = ready.len() >= MASS_DOWN_MIN;
        let mut names = Vec::new();
        for id in &ready {
            let Some(sub) = self.subs.get_mut(id) else {
                continue;
            };
            let Some(r) = sub.recovery.take() else {
                continue;
            };
            if !sub.rules.rules.recovered {
                continue;
            }
            let title = format!("{} recovered", sub.name);
            let mut body = format!("Back after {} down.", human_duration(r.down_for));
            if r.missed > 0 {
                body.push_str(&format!(
                    " {} {} missed (ids skipped on resume).",
                    r.missed,
                    if r.missed == 1 {
                        "event was"
                    } else {
                        "events were"
                    }
                ));
            } else if r.message_seen {
                body.push_str(" Resumed with no missed events.");
            }
            names.push(sub.name.clone());
            if many {
                self.push(
                    Some(*id),
                    Kind::Recovered,
                    title,
                    body,
                    Delivery::Folded,
                    now,
                );
            } else {
                self.emit(*id, RuleKey::Recovered, Kind::Recovered, title, body, now);
            }
        }
        if many && !names.is_empty() {
            let recent = self
                .many_recovered
                .is_some_and(|w| now.duration_since(w.opened).unwrap_or_default() < RATE_WINDOW);
            if recent {
                if let Some(w) = &mut self.many_recovered {
                    w.folded += names.len() as u64;
                }
            } else {
                let title = format!("{} subscriptions recovered", names.len());
                let body = format!("Back: {}.", list_names(&names));
                self.many_recovered = Some(Window {
                    opened: now,
                    folded: 0,
                });
                self.push_shown(None, Kind::ManyRecovered, title, body, now);
            }
        }
    }

    /// Summaries of the rate windows that closed with folded notifications in them.
    fn summarise(&mut self, now: SystemTime) {
        let closed = |w: &Window| now.duration_since(w.opened).unwrap_or_default() >= RATE_WINDOW;
        let mut summaries = Vec::new();
        for (id, sub) in &mut self.subs {
            for (key, w) in &mut sub.windows {
                if w.folded > 0 && closed(w) {
                    summaries.push((
                        Some(*id),
                        format!(
                            "{}: and {} more {}",
                            sub.name,
                            w.folded,
                            key.noun(&sub.rules)
                        ),
                        "Folded to keep notifications quiet (at most one a minute per rule); \
                         the app's notification list has them."
                            .to_string(),
                    ));
                    // The summary opens a new window: still at most one a minute.
                    *w = Window {
                        opened: now,
                        folded: 0,
                    };
                }
            }
        }
        for (window, what) in [
            (&mut self.many_down, "went down"),
            (&mut self.many_recovered, "recovered"),
        ] {
            if let Some(w) = window {
                if w.folded > 0 && closed(w) {
                    summaries.push((
                        None,
                        format!("and {} more subscriptions {what}", w.folded),
                        "Folded into the notification shown a minute ago.".to_string(),
                    ));
                    *w = Window {
                        opened: now,
                        folded: 0,
                    };
                }
            }
        }
        for (id, title, body) in summaries {
            self.push_shown(id, Kind::Summary, title, body, now);
        }
    }

    /// A rule fired: shown, unless this rule already spoke for this subscription within the
    /// window, in which case it is folded (message rules are only counted: a busy stream must
    /// not fill the list).
    /// Tells each run rule a run broke, in plain words: "LLM probe: 2.4 s to first token
    /// (limit 1 s)".
    fn observe_run(
        &mut self,
        id: SubscriptionId,
        probe: bool,
        run: &crate::run_result::RunResult,
        now: SystemTime,
    ) {
        let Some(sub) = self.subs.get(&id) else {
            return;
        };
        let raw = run.summary.as_ref().and_then(|s| s.raw.as_deref());
        let breaches = sub.rules.runs.judge(run, raw);
        let name = sub.name.clone();
        let what = if probe { "probe run" } else { "run" };
        for (breach, words) in breaches {
            let title = format!("{name}: {words}");
            let body = match run.summary.as_ref() {
                Some(s) => format!("The {what}: {}", s.words()),
                None => format!("The {what} did not open."),
            };
            self.emit(id, RuleKey::Run(breach), Kind::Run, title, body, now);
        }
    }

    fn emit(
        &mut self,
        id: SubscriptionId,
        key: RuleKey,
        kind: Kind,
        title: String,
        body: String,
        now: SystemTime,
    ) {
        let Some(sub) = self.subs.get_mut(&id) else {
            return;
        };
        match sub.windows.get_mut(&key) {
            Some(w) if now.duration_since(w.opened).unwrap_or_default() < RATE_WINDOW => {
                w.folded += 1;
                if !matches!(key, RuleKey::Message(_) | RuleKey::SchemaMismatch) {
                    self.push(Some(id), kind, title, body, Delivery::Folded, now);
                }
            }
            previous => {
                // A window that closed with folded ones in it, not yet summed up: this one
                // carries the count instead of a separate summary.
                let folded = previous.map_or(0, |w| w.folded);
                let body = if folded > 0 {
                    format!(
                        "{body}\nAnd {folded} more {} before this.",
                        key.noun(&sub.rules)
                    )
                } else {
                    body
                };
                sub.windows.insert(
                    key,
                    Window {
                        opened: now,
                        folded: 0,
                    },
                );
                self.push_shown(Some(id), kind, title, body, now);
            }
        }
    }

    fn push_shown(
        &mut self,
        id: Option<SubscriptionId>,
        kind: Kind,
        title: String,
        body: String,
        now: SystemTime,
    ) {
        let delivery = if self.dnd {
            Delivery::Silenced
        } else {
            Delivery::Show
        };
        self.push(id, kind, title, body, delivery, now);
    }

    fn push(
        &mut self,
        id: Option<SubscriptionId>,
        kind: Kind,
        title: String,
        body: String,
        delivery: Delivery,
        now: SystemTime,
    ) {
        self.out.push(Notification {
            at: now,
            subscription: id,
            kind,
            title,
            body,
            delivery,
        });
    }
}

fn down_text(sub: &Sub, now: SystemTime) -> (String, String) {
    let since = sub.down_since.unwrap_or(now);
    let mut body = format!(
        "Not connected for {}",
        human_duration(now.duration_since(since).unwrap_or_default())
    );
    if sub.attempt > 0 {
        body.push_str(&format!(" · retry {}", sub.attempt));
    }
    if let Some(e) = &sub.last_error_words {
        body.push_str(&format!(" · {e}"));
    }
    body.push('.');
    (format!("{} is down", sub.name), body)
}

/// The last link of an error chain ("error sending request …: tcp connect error: Connection
/// refused (os error 111)" → "Connection refused"): what a person can act on.
pub fn short_reason(message: &str) -> &str {
    let last = message.rsplit(": ").next().unwrap_or(message).trim();
    let last = match last.find(" (os error ") {
        Some(i) => &last[..i],
        None => last,
    };
    if last.is_empty() {
        message
    } else {
        last
    }
}

fn list_names(names: &[String]) -> String {
    let shown: Vec<&str> = names
        .iter()
        .take(NAMES_LISTED)
        .map(String::as_str)
        .collect();
    let rest = names.len().saturating_sub(NAMES_LISTED);
    if rest > 0 {
        format!("{} and {rest} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

fn excerpt(data: &str) -> String {
    if data.chars().count() <= EXCERPT_CHARS {
        return data.to_string();
    }
    let mut s: String = data.chars().take(EXCERPT_CHARS - 1).collect();
    s.push('…');
    s
}

/// "12 s", "3 min 5 s", "2 h 4 min".
pub fn human_duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 if s % 60 == 0 => format!("{} min", s / 60),
        60..=3599 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}
