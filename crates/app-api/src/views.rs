//! What the windows are shown, read from the monitor: each subscription with its status (and
//! the alert loop's verdict), history pages, the timeline, the figures, the notification list
//! and the export. Every read the app makes of the engine is here; the changes it makes are in
//! [`crate::actions`]. All of it blocks (SQLite): call it off the async workers.

use crate::dto::{
    MessageView, NotificationView, StatsView, StatusView, SubscriptionForm, SubscriptionView,
    TimelineEntry,
};
use crate::error::CommandError;
use crate::health::HealthBoard;
use crate::{export, stats};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use streamwatch_engine::catalog::{
    GapRecord, HistoryQuery, ResetRecord, SavedSubscription, SubscriptionRecord, Transition,
};
use streamwatch_engine::monitor::Monitor;
use streamwatch_engine::{Status, SubscriptionId};

/// The most rows one history page holds.
pub const MAX_PAGE: u32 = 5_000;
/// The most notifications one page of the list holds.
pub const MAX_NOTIFICATIONS_PAGE: u32 = 500;

type Result<T> = std::result::Result<T, CommandError>;

/// A saved subscription's status as the supervisor has it, or, when it does not run, why.
fn status_of(monitor: &Monitor, saved: &SavedSubscription) -> Status {
    monitor.status_of(saved)
}

/// A saved subscription's status with the alert loop's verdict.
pub fn status_view(
    monitor: &Monitor,
    health: &HealthBoard,
    saved: &SavedSubscription,
) -> StatusView {
    StatusView::from(&status_of(monitor, saved)).with_health(health.get(saved.id))
}

/// A saved subscription with `status`, as the windows show it.
pub fn subscription_view(
    id: SubscriptionId,
    record: &SubscriptionRecord,
    status: StatusView,
) -> SubscriptionView {
    SubscriptionView {
        id: id.0,
        name: record.name.clone(),
        url: record.url.clone(),
        form: SubscriptionForm::from_record(record),
        status,
    }
}

/// Subscription `id` as the windows show it, with its status.
pub fn view_of(
    monitor: &Monitor,
    health: &HealthBoard,
    id: SubscriptionId,
) -> Result<SubscriptionView> {
    let saved = monitor.catalog().subscription(id)?;
    let status = status_view(monitor, health, &saved);
    Ok(subscription_view(id, &saved.record, status))
}

/// Every saved subscription with its status, by id.
pub fn list(monitor: &Monitor, health: &HealthBoard) -> Result<Vec<SubscriptionView>> {
    let saved = monitor.catalog().subscriptions()?;
    Ok(saved
        .iter()
        .map(|s| subscription_view(s.id, &s.record, status_view(monitor, health, s)))
        .collect())
}

/// Up to `limit` (1 to [`MAX_PAGE`]) stored messages of `id` older than `before_seq` (the
/// newest when `None`), newest first.
pub fn history_page(
    monitor: &Monitor,
    id: SubscriptionId,
    before_seq: Option<u64>,
    limit: u32,
) -> Result<Vec<MessageView>> {
    if limit == 0 || limit > MAX_PAGE {
        return Err(CommandError::invalid(
            format!("limit must be between 1 and {MAX_PAGE}"),
            None,
        ));
    }
    let q = HistoryQuery {
        before_seq,
        limit: limit as usize,
        newest_first: true,
        ..HistoryQuery::default()
    };
    let rows = monitor.catalog().history(id, &q)?;
    Ok(rows.iter().map(|r| (id, r).into()).collect())
}

/// `id`'s stored state transitions, gaps and id resets at or after `since_ms` (all when `None`), oldest
/// first.
pub fn timeline(
    monitor: &Monitor,
    id: SubscriptionId,
    since_ms: Option<u64>,
) -> Result<Vec<TimelineEntry>> {
    let since = since_ms.map(|ms| UNIX_EPOCH + Duration::from_millis(ms));
    let store = monitor.catalog();
    Ok(merge_timeline(
        &store.transitions(id, since)?,
        &store.gaps(id)?,
        &store.resets(id)?,
        since,
    ))
}

/// Transitions (already from `since`) and the gaps and resets at or after `since`, in time
/// order.
pub fn merge_timeline(
    transitions: &[Transition],
    gaps: &[GapRecord],
    resets: &[ResetRecord],
    since: Option<SystemTime>,
) -> Vec<TimelineEntry> {
    let mut entries: Vec<TimelineEntry> = transitions.iter().map(Into::into).collect();
    entries.extend(
        gaps.iter()
            .filter(|g| since.is_none_or(|s| g.at >= s))
            .map(TimelineEntry::from),
    );
    entries.extend(
        resets
            .iter()
            .filter(|r| since.is_none_or(|s| r.at >= s))
            .map(TimelineEntry::from),
    );
    // Stable: a transition and a gap at the same millisecond keep that order.
    entries.sort_by_key(|e| e.at_ms);
    entries
}

/// `id`'s uptime today (up to `now`) and its stored counters.
pub fn stats_view(monitor: &Monitor, id: SubscriptionId, now: SystemTime) -> Result<StatsView> {
    let store = monitor.catalog();
    let saved = store.subscription(id)?;
    let from = stats::local_midnight(now).max(saved.created_at);
    let counters = store.counters(id)?;
    Ok(StatsView {
        uptime_today_percent: stats::open_percent(&store.transitions(id, None)?, from, now),
        messages_stored: store.message_count(id)?,
        gaps: counters.gaps,
        missed_events: counters.missed_events,
    })
}

/// The in-app notification list, newest first: up to `limit` (at most
/// [`MAX_NOTIFICATIONS_PAGE`]) entries older than the id `before`.
pub fn notifications(
    monitor: &Monitor,
    before: Option<u64>,
    limit: u32,
) -> Result<Vec<NotificationView>> {
    let limit = limit.min(MAX_NOTIFICATIONS_PAGE);
    Ok(monitor
        .catalog()
        .notifications(before, limit)?
        .iter()
        .map(NotificationView::from)
        .collect())
}

/// Every subscription as export-format JSON text ([`export::export_json`]). Flush the monitor
/// first for a history complete up to now.
pub fn export(monitor: &Monitor, with_history: bool) -> Result<String> {
    Ok(export::export_json(monitor.catalog(), with_history)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dto::{HealthName, StateName, TimelineKind};
    use crate::error::ErrorKind;
    use streamwatch_engine::alerts::Condition;
    use streamwatch_engine::monitor::MonitorOptions;

    fn at(ms: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(ms)
    }

    fn monitor(dir: &std::path::Path) -> Monitor {
        let mut options = MonitorOptions::new(dir.to_path_buf());
        options.autostart = false;
        Monitor::open(options).expect("the monitor opens")
    }

    fn paused(name: &str) -> SubscriptionRecord {
        let mut r = SubscriptionRecord::new(name, "http://127.0.0.1:1/events");
        r.paused = true;
        r
    }

    #[tokio::test]
    async fn views_carry_the_verdict_when_it_fits() {
        let dir = tempfile::tempdir().unwrap();
        let m = monitor(dir.path());
        let id = m.add(&paused("quiet")).unwrap();
        let board = HealthBoard::new();
        let v = view_of(&m, &board, id).unwrap();
        assert_eq!(
            (v.status.state, v.status.health),
            (StateName::Paused, HealthName::Paused)
        );
        assert_eq!(v.form.name, "quiet");
        // Judged before it was paused: out of date.
        board.replace([(id, Condition::Stale)]);
        assert_eq!(
            list(&m, &board).unwrap()[0].status.health,
            HealthName::Paused
        );
        assert_eq!(
            view_of(&m, &board, SubscriptionId(99)).unwrap_err().kind,
            ErrorKind::NotFound
        );
    }

    #[tokio::test]
    async fn a_subscription_that_could_not_start_shows_failed_with_why() {
        let dir = tempfile::tempdir().unwrap();
        {
            // Saved by an older version (the catalog refuses it now).
            streamwatch_engine::storage::Store::open(dir.path())
                .unwrap()
                .add_subscription(&SubscriptionRecord::new("broken", "ftp://x/"))
                .unwrap();
        }
        let m = monitor(dir.path());
        m.start_saved().unwrap();
        let v = &list(&m, &HealthBoard::new()).unwrap()[0];
        assert_eq!(v.status.state, StateName::Failed);
        let why = v.status.last_error.as_deref().unwrap();
        assert!(
            why.starts_with("could not start:") && why.contains("ftp"),
            "{why}"
        );
    }

    #[tokio::test]
    async fn pages_are_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let m = monitor(dir.path());
        let id = m.add(&paused("a")).unwrap();
        for limit in [0, MAX_PAGE + 1] {
            let e = history_page(&m, id, None, limit).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Invalid);
        }
        assert!(history_page(&m, id, None, 10).unwrap().is_empty());
        assert_eq!(
            history_page(&m, SubscriptionId(99), None, 10)
                .unwrap_err()
                .kind,
            ErrorKind::NotFound
        );
        let stats = stats_view(&m, id, SystemTime::now()).unwrap();
        assert_eq!((stats.messages_stored, stats.gaps), (0, 0));
    }

    #[test]
    fn the_timeline_is_in_time_order_from_since() {
        let t = |ms, to: &str| Transition {
            at: at(ms),
            from: "connecting".into(),
            to: to.into(),
            reason: String::new(),
        };
        let g = |ms| GapRecord {
            at: at(ms),
            after: 1,
            next: 5,
            missed: 3,
        };
        let r = |ms| ResetRecord {
            at: at(ms),
            last: 41,
            first: 1,
        };
        let entries = merge_timeline(
            &[t(10, "open"), t(30, "retrying")],
            &[g(5), g(20), g(30)],
            &[r(2), r(25)],
            Some(at(10)),
        );
        let got: Vec<_> = entries.iter().map(|e| (e.at_ms, e.kind)).collect();
        assert_eq!(
            got,
            [
                (10, TimelineKind::Transition),
                (20, TimelineKind::Gap),
                (25, TimelineKind::Reset),
                (30, TimelineKind::Transition),
                (30, TimelineKind::Gap),
            ]
        );
        assert_eq!(entries[1].missed, Some(3));
        assert_eq!(
            entries[2].reason,
            "ids went backwards from 41 to 1: did the server restart?"
        );
    }
}
