//! The commands of docs/app-contract.md, each a thin call into the engine. Database and keyring
//! calls block, so they run on the blocking pool; errors become [`CommandError`]s.

use crate::alerts::AlertControl;
use crate::bridge;
use crate::dto::{
    AppSettings, CommandError, MessageView, NotificationView, StatsView, SubscriptionForm,
    SubscriptionView, TimelineEntry, UpdateBatch,
};
use crate::form::record_from_form;
use crate::state::AppState;
use crate::stats;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use streamwatch_engine::monitor::{runtime_config, Monitor, MonitorError};
use streamwatch_engine::secrets::SecretStore;
use streamwatch_engine::storage::{HistoryQuery, SavedSubscription};
use streamwatch_engine::supervisor::SupervisorError;
use streamwatch_engine::{Status, SubscriptionId};
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, Runtime, State, Webview};
use tauri_plugin_autostart::AutoLaunchManager;

/// Every command's name, as the UI invokes it. `src-tauri/permissions/commands.toml` grants
/// exactly these (a test checks that the lists agree).
pub const COMMANDS: &[&str] = &[
    "list_subscriptions",
    "add_subscription",
    "update_subscription",
    "remove_subscription",
    "pause_subscription",
    "resume_subscription",
    "reconnect_now",
    "history_page",
    "timeline",
    "subscription_stats",
    "export_subscriptions",
    "connect_updates",
    "list_notifications",
    "clear_notifications",
    "get_settings",
    "set_do_not_disturb",
    "set_start_at_login",
    "window_ready",
];

/// The invoke handler serving [`COMMANDS`].
pub fn handler<R: Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        list_subscriptions,
        add_subscription,
        update_subscription,
        remove_subscription,
        pause_subscription,
        resume_subscription,
        reconnect_now,
        history_page,
        timeline,
        subscription_stats,
        export_subscriptions,
        connect_updates,
        list_notifications,
        clear_notifications,
        get_settings,
        set_do_not_disturb,
        set_start_at_login,
        window_ready,
    ]
}

/// The most rows one `history_page` returns.
pub const MAX_PAGE: u32 = 5_000;

type Result<T> = std::result::Result<T, CommandError>;

/// Runs `f` with the monitor on the blocking pool.
async fn blocking<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&Monitor) -> Result<T> + Send + 'static,
) -> Result<T> {
    let monitor = Arc::clone(&state.monitor);
    tauri::async_runtime::spawn_blocking(move || f(&monitor))
        .await
        .map_err(|e| CommandError::internal(format!("the command failed to run: {e}")))?
}

fn status_of(monitor: &Monitor, saved: &SavedSubscription) -> Status {
    monitor
        .supervisor()
        .status(saved.id)
        .unwrap_or_else(|_| not_running(monitor, saved))
}

/// The status of a saved subscription the supervisor does not run: one that could not start
/// (its secret unreadable, its settings broken) shows as failed, with why.
fn not_running(monitor: &Monitor, saved: &SavedSubscription) -> Status {
    let mut status = Status::new(Default::default(), saved.record.paused);
    status.state = streamwatch_engine::State::Failed;
    status.last_error = Some(
        monitor
            .startup_errors()
            .into_iter()
            .find(|e| e.id == saved.id)
            .map_or_else(
                || "not running".to_string(),
                |e| format!("could not start: {}", e.message),
            ),
    );
    status
}

fn is_running(monitor: &Monitor, id: SubscriptionId) -> bool {
    monitor.supervisor().status(id).is_ok()
}

/// Tries again to start saved subscriptions that could not start; `id`'s failure, if it still
/// fails, is the error.
fn start_again(monitor: &Monitor, id: SubscriptionId) -> Result<()> {
    monitor.start_saved()?;
    if is_running(monitor, id) {
        return Ok(());
    }
    // The same check `start` makes, for a typed error (keyring refused, settings broken).
    let saved = monitor.store().subscription(id)?;
    runtime_config(&saved.record, None, &SecretStore::default(), false)?;
    let why = monitor
        .startup_errors()
        .into_iter()
        .find(|e| e.id == id)
        .map_or_else(|| "it could not start".to_string(), |e| e.message);
    Err(CommandError::internal(why))
}

/// A saved subscription as the windows show it, with its status.
pub(crate) fn view_of(monitor: &Monitor, id: SubscriptionId) -> Result<SubscriptionView> {
    let saved = monitor.store().subscription(id)?;
    Ok(SubscriptionView::new(
        id,
        &saved.record,
        &status_of(monitor, &saved),
    ))
}

/// Every saved subscription with its status, by id.
#[tauri::command]
pub async fn list_subscriptions(state: State<'_, AppState>) -> Result<Vec<SubscriptionView>> {
    blocking(&state, |m| {
        let saved = m.store().subscriptions()?;
        Ok(saved
            .iter()
            .map(|s| SubscriptionView::new(s.id, &s.record, &status_of(m, s)))
            .collect())
    })
    .await
}

/// Checks, saves and starts a subscription.
#[tauri::command]
pub async fn add_subscription(
    state: State<'_, AppState>,
    form: SubscriptionForm,
) -> Result<SubscriptionView> {
    let record = record_from_form(&form, None)?;
    let view = blocking(&state, move |m| {
        let id = m.add(&record)?;
        view_of(m, id)
    })
    .await?;
    // Nobody listening (no window connected yet) is fine.
    let _ = state.added.send(view.clone());
    Ok(view)
}

/// Saves new settings; the stream reconnects with them, keeping its position unless the
/// starting id changed.
#[tauri::command]
pub async fn update_subscription(
    state: State<'_, AppState>,
    id: u64,
    form: SubscriptionForm,
) -> Result<SubscriptionView> {
    let id = SubscriptionId(id);
    let view = blocking(&state, move |m| {
        let old = m.store().subscription(id)?;
        let record = record_from_form(&form, Some(&old.record))?;
        let running = is_running(m, id);
        match m.update(id, &record) {
            Ok(()) => {}
            // Saved, but it was not running (it could not start): the edit may have fixed it.
            Err(MonitorError::Supervisor(SupervisorError::NotFound(_))) if !running => {
                start_again(m, id)?
            }
            Err(e) => return Err(e.into()),
        }
        view_of(m, id)
    })
    .await?;
    // Every window shows the new settings, and the alert loop rereads the rules.
    let _ = state.added.send(view.clone());
    Ok(view)
}

/// Stops a subscription and deletes it with its history and secrets.
#[tauri::command]
pub async fn remove_subscription(state: State<'_, AppState>, id: u64) -> Result<()> {
    blocking(&state, move |m| Ok(m.remove(SubscriptionId(id))?)).await
}

/// Pauses, durably.
#[tauri::command]
pub async fn pause_subscription(state: State<'_, AppState>, id: u64) -> Result<()> {
    blocking(&state, move |m| {
        let id = SubscriptionId(id);
        if is_running(m, id) {
            m.set_paused(id, true)?;
        } else {
            // It could not start; it stays stopped, and now says paused.
            m.store().set_paused(id, true)?;
        }
        Ok(())
    })
    .await
}

/// Resumes, durably (also restarts a failed or stopped subscription).
#[tauri::command]
pub async fn resume_subscription(state: State<'_, AppState>, id: u64) -> Result<()> {
    blocking(&state, move |m| {
        let id = SubscriptionId(id);
        let paused = m.store().subscription(id)?.record.paused;
        if !is_running(m, id) {
            // It could not start: try again (the keyring may be unlocked by now).
            if paused {
                m.store().set_paused(id, false)?;
            }
            return start_again(m, id);
        }
        if paused {
            m.set_paused(id, false)?;
        } else {
            // Not paused but ended (failed, or the server said 204): start it again.
            m.reconnect_now(id)?;
        }
        Ok(())
    })
    .await
}

/// Connects at once, skipping any backoff wait.
#[tauri::command]
pub async fn reconnect_now(state: State<'_, AppState>, id: u64) -> Result<()> {
    blocking(&state, move |m| Ok(m.reconnect_now(SubscriptionId(id))?)).await
}

/// Up to `limit` stored messages older than `before_seq` (the newest when null), newest first.
#[tauri::command]
pub async fn history_page(
    state: State<'_, AppState>,
    id: u64,
    before_seq: Option<u64>,
    limit: u32,
) -> Result<Vec<MessageView>> {
    if limit == 0 || limit > MAX_PAGE {
        return Err(CommandError::invalid(
            format!("limit must be between 1 and {MAX_PAGE}"),
            None,
        ));
    }
    let id = SubscriptionId(id);
    blocking(&state, move |m| {
        let q = HistoryQuery {
            before_seq,
            limit: limit as usize,
            newest_first: true,
            ..HistoryQuery::default()
        };
        let rows = m.store().history(id, &q)?;
        Ok(rows.iter().map(|r| (id, r).into()).collect())
    })
    .await
}

/// Stored state transitions and gaps at or after `since_ms` (all when null), oldest first.
#[tauri::command]
pub async fn timeline(
    state: State<'_, AppState>,
    id: u64,
    since_ms: Option<u64>,
) -> Result<Vec<TimelineEntry>> {
    let id = SubscriptionId(id);
    let since = since_ms.map(|ms| UNIX_EPOCH + Duration::from_millis(ms));
    blocking(&state, move |m| {
        let store = m.store();
        let mut entries: Vec<TimelineEntry> = store
            .transitions(id, since)?
            .iter()
            .map(Into::into)
            .collect();
        entries.extend(
            store
                .gaps(id)?
                .iter()
                .filter(|g| since.is_none_or(|s| g.at >= s))
                .map(TimelineEntry::from),
        );
        // Stable: a transition and a gap at the same millisecond keep that order.
        entries.sort_by_key(|e| e.at_ms);
        Ok(entries)
    })
    .await
}

/// Today's uptime and the stored counters.
#[tauri::command]
pub async fn subscription_stats(state: State<'_, AppState>, id: u64) -> Result<StatsView> {
    let id = SubscriptionId(id);
    blocking(&state, move |m| {
        let store = m.store();
        let saved = store.subscription(id)?;
        let now = SystemTime::now();
        let from = stats::local_midnight(now).max(saved.created_at);
        let counters = store.counters(id)?;
        Ok(StatsView {
            uptime_today_percent: stats::open_percent(&store.transitions(id, None)?, from, now),
            messages_stored: store.message_count(id)?,
            gaps: counters.gaps,
            missed_events: counters.missed_events,
        })
    })
    .await
}

/// Every subscription in the export format of `streamwatch export` (secret values left out),
/// with stored messages when `with_history`.
#[tauri::command]
pub async fn export_subscriptions(
    state: State<'_, AppState>,
    with_history: bool,
) -> Result<String> {
    // Commit what has been received, so the history is complete up to now.
    state.monitor.flush().await?;
    blocking(&state, move |m| {
        Ok(crate::export::export_json(&m.store(), with_history)?)
    })
    .await
}

/// Starts this webview's bridge: batched live updates on `on_update` until the webview goes
/// away. Calling it again from the same webview (a reload) replaces the previous bridge.
#[tauri::command]
pub async fn connect_updates<R: Runtime>(
    webview: Webview<R>,
    state: State<'_, AppState>,
    on_update: Channel<UpdateBatch>,
) -> Result<()> {
    start_bridge(&state, webview.label(), move |batch| {
        on_update.send(batch).is_ok()
    });
    Ok(())
}

/// Starts (or replaces) the bridge of the webview `label`, sending batches with `send`.
pub fn start_bridge(
    state: &AppState,
    label: &str,
    send: impl FnMut(UpdateBatch) -> bool + Send + 'static,
) {
    let monitor = Arc::clone(&state.monitor);
    let events = monitor.supervisor().subscribe();
    let added = state.added.subscribe();
    let task = tauri::async_runtime::spawn(async move {
        bridge::run(events, added, monitor.supervisor(), send).await;
    });
    let old = state
        .bridges
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(label.to_string(), task);
    if let Some(old) = old {
        old.abort();
    }
}

/// The most notifications one `list_notifications` returns.
pub const MAX_NOTIFICATIONS_PAGE: u32 = 500;

/// The in-app notification list, newest first: `limit` entries older than `before` (an id).
#[tauri::command]
pub async fn list_notifications(
    state: State<'_, AppState>,
    before: Option<u64>,
    limit: u32,
) -> Result<Vec<NotificationView>> {
    let limit = limit.min(MAX_NOTIFICATIONS_PAGE);
    blocking(&state, move |m| {
        Ok(m.store()
            .notifications(before, limit)?
            .iter()
            .map(NotificationView::from)
            .collect())
    })
    .await
}

/// Empties the in-app notification list.
#[tauri::command]
pub async fn clear_notifications(state: State<'_, AppState>) -> Result<()> {
    blocking(&state, |m| Ok(m.store().clear_notifications()?)).await
}

fn autostart_enabled<R: Runtime>(app: &AppHandle<R>) -> Result<bool> {
    match app.try_state::<AutoLaunchManager>() {
        Some(a) => a
            .is_enabled()
            .map_err(|e| CommandError::internal(format!("cannot read the login item: {e}"))),
        None => Ok(false),
    }
}

/// Do Not Disturb and start-at-login.
#[tauri::command]
pub async fn get_settings<R: Runtime>(app: AppHandle<R>) -> Result<AppSettings> {
    Ok(AppSettings {
        do_not_disturb: app.try_state::<AlertControl>().is_some_and(|a| a.dnd()),
        start_at_login: autostart_enabled(&app)?,
    })
}

/// Turns Do Not Disturb on or off (saved across restarts).
#[tauri::command]
pub async fn set_do_not_disturb<R: Runtime>(app: AppHandle<R>, on: bool) -> Result<AppSettings> {
    let alerts = app
        .try_state::<AlertControl>()
        .ok_or_else(|| CommandError::internal("notifications are not running"))?;
    alerts.set_dnd(&app, on).map_err(CommandError::internal)?;
    get_settings(app.clone()).await
}

/// Starts the app at login (hidden, in the tray), or stops doing so.
#[tauri::command]
pub async fn set_start_at_login<R: Runtime>(app: AppHandle<R>, on: bool) -> Result<AppSettings> {
    let autostart = app
        .try_state::<AutoLaunchManager>()
        .ok_or_else(|| CommandError::internal("start at login is not available here"))?;
    let done = if on {
        autostart.enable()
    } else {
        autostart.disable()
    };
    done.map_err(|e| CommandError::internal(format!("cannot change the login item: {e}")))?;
    get_settings(app.clone()).await
}

/// The page has built its first view: the window, created hidden, is shown now (once).
#[tauri::command]
pub fn window_ready<R: Runtime>(app: AppHandle<R>) {
    crate::first_show::page_ready(&app);
}
