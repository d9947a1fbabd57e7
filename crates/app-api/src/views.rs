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
use crate::preview::PREVIEW_BYTES;
use crate::{export, stats};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use streamwatch_engine::catalog::sealing::display_url;
use streamwatch_engine::catalog::{HistoryQuery, SavedSubscription, SubscriptionRecord};
use streamwatch_engine::monitor::Monitor;
use streamwatch_engine::{Status, SubscriptionId};

/// The most rows one history page holds.
pub const MAX_PAGE: u32 = 5_000;
/// A history page stops once its rows' data reaches this many bytes (at least one row goes);
/// large rows count as their previews ([`crate::preview`]).
pub const MAX_PAGE_BYTES: usize = 8 << 20;
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
        url: display_url(record),
        form: SubscriptionForm::from_record(record),
        status,
        demo: crate::demo::demo_view(record),
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
/// newest when `None`), newest first, stopping at [`MAX_PAGE_BYTES`]; large rows are previews
/// (`truncated`, see [`message_text`]).
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
        max_bytes: MAX_PAGE_BYTES,
        preview_bytes: PREVIEW_BYTES,
        ..HistoryQuery::default()
    };
    let rows = monitor.catalog().history(id, &q)?;
    Ok(rows.iter().map(|r| (id, r).into()).collect())
}

/// How many stored rows `message_text` looks through for a live row (one without a seq).
const FIND_LIVE_ROWS: usize = 256;

/// The whole data of one stored message of `id` (what a `truncated` view left out): by `seq`
/// when the view has one, else the live row's arrival time, event id and size (the shell
/// stamps the live event and the stored row with the same time).
pub fn message_text(
    monitor: &Monitor,
    id: SubscriptionId,
    seq: Option<u64>,
    received_at_ms: u64,
    event_id: &str,
    size: u64,
) -> Result<String> {
    let seq = match seq {
        Some(seq) => seq,
        None => {
            // Previews of 1 byte: finding the row reads none of the large data.
            let q = HistoryQuery {
                since: Some(UNIX_EPOCH + Duration::from_millis(received_at_ms)),
                limit: FIND_LIVE_ROWS,
                preview_bytes: 1,
                ..HistoryQuery::default()
            };
            monitor
                .catalog()
                .history(id, &q)?
                .iter()
                .find(|m| {
                    crate::dto::ms(m.received_at) == received_at_ms
                        && m.id == event_id
                        && m.size == size
                })
                .map(|m| m.seq)
                .ok_or_else(not_stored)?
        }
    };
    let q = HistoryQuery {
        after_seq: Some(seq.saturating_sub(1)),
        before_seq: Some(seq.saturating_add(1)),
        limit: 1,
        ..HistoryQuery::default()
    };
    let mut rows = monitor.catalog().history(id, &q)?;
    rows.pop().map(|m| m.data).ok_or_else(not_stored)
}

fn not_stored() -> CommandError {
    CommandError::not_found("that message is not stored (any more): retention may have removed it")
}

/// `id`'s timeline at or after `since_ms` (all when `None`), oldest first, worded once
/// ([`crate::timeline`]): connection steps, edits, stale periods, pauses, gaps and id resets.
pub fn timeline(
    monitor: &Monitor,
    id: SubscriptionId,
    since_ms: Option<u64>,
) -> Result<Vec<TimelineEntry>> {
    let since = since_ms.map(|ms| UNIX_EPOCH + Duration::from_millis(ms));
    let store = monitor.catalog();
    Ok(crate::timeline::merge(
        &store.timeline(id, since)?,
        &store.transitions(id, since)?,
        &store.gaps(id)?,
        &store.resets(id)?,
        since,
    ))
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
    use crate::dto::{HealthName, StateName};
    use crate::error::ErrorKind;
    use streamwatch_engine::alerts::Condition;
    use streamwatch_engine::monitor::MonitorOptions;

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

    #[tokio::test]
    async fn pages_are_bounded_by_bytes_large_rows_are_previews_and_the_whole_text_is_a_call_away()
    {
        use streamwatch_engine::storage::{Record, Writer, WriterConfig};
        let dir = tempfile::tempdir().unwrap();
        let m = monitor(dir.path());
        let id = m.add(&paused("big")).unwrap();
        let writer = Writer::spawn(m.catalog().path(), WriterConfig::default()).unwrap();
        let tx = writer.sender();
        // Recent: retention by age would prune rows from 1970.
        let start = SystemTime::now();
        let row = |n: u64, data: String| Record::Message {
            sub: id,
            at: start + Duration::from_millis(n),
            event: "big".into(),
            id: n.to_string().into(),
            data: data.into(),
            replayed: false,
            mismatch: None,
        };
        // 130 rows of 70 KiB, then one of 3 MiB starting with a two-byte character.
        for n in 0..130 {
            tx.send(row(n, "y".repeat(70 << 10))).await.unwrap();
        }
        let huge = format!("é{}", "x".repeat(3 << 20));
        tx.send(row(130, huge.clone())).await.unwrap();
        writer.flush().await.unwrap();

        let page = history_page(&m, id, None, MAX_PAGE).unwrap();
        // 64 KiB previews: the page stops at 8 MiB, 128 rows, not the 5,000 allowed.
        assert_eq!(page.len(), 128);
        let newest = &page[0];
        assert_eq!(newest.id, "130");
        assert!(newest.truncated);
        assert_eq!(newest.size, huge.len() as u64);
        assert!(newest.data.len() <= PREVIEW_BYTES && huge.starts_with(&newest.data));
        assert!(page
            .iter()
            .all(|r| r.truncated && r.data.len() <= PREVIEW_BYTES));

        // The whole text: by seq (a stored row) and by the live row's stamp (no seq yet).
        let by_seq = message_text(&m, id, newest.seq, 0, "", 0).unwrap();
        assert_eq!(by_seq, huge);
        let live = message_text(&m, id, None, newest.received_at_ms, "130", newest.size).unwrap();
        assert_eq!(live, huge);
        let e = message_text(&m, id, None, newest.received_at_ms, "130", 5).unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotFound);
        writer.shutdown().await.unwrap();
    }
}
