//! The commands of docs/app-contract.md, each a thin adapter: it maps its arguments, calls the
//! app crate ([`streamwatch_app_api`]) on the blocking pool (SQLite and the keyring block), and
//! hands back its answer or its [`CommandError`].

use crate::dnd::DoNotDisturb;
use crate::first_show;
use crate::state::AppState;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;
use streamwatch_app_api::curl_paste::CurlPaste;
use streamwatch_app_api::dto::{
    AppSettings, MessageView, NotificationView, StatsView, SubscriptionForm, SubscriptionView,
    TimelineEntry, UpdateBatch,
};
use streamwatch_app_api::error::CommandError;
use streamwatch_app_api::file_transfer;
use streamwatch_app_api::health::HealthBoard;
use streamwatch_app_api::store_sync::StoreSync;
use streamwatch_app_api::transfer_dto::{
    ExportDone, HistoryExportForm, HistoryFileFormat, ImportDone,
};
use streamwatch_app_api::{actions, views};
use streamwatch_engine::monitor::Monitor;
use streamwatch_engine::SubscriptionId;
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
    "duplicate_subscription",
    "request_view",
    "pause_subscription",
    "resume_subscription",
    "reconnect_now",
    "history_page",
    "message_text",
    "timeline",
    "subscription_stats",
    "list_runs",
    "export_subscriptions",
    "export_history_file",
    "export_runs_file",
    "export_subscriptions_file",
    "import_subscriptions_file",
    "connect_updates",
    "list_notifications",
    "clear_notifications",
    "get_settings",
    "set_do_not_disturb",
    "set_start_at_login",
    "window_ready",
    "parse_curl",
];

/// The invoke handler serving [`COMMANDS`].
pub fn handler<R: Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        list_subscriptions,
        add_subscription,
        update_subscription,
        remove_subscription,
        duplicate_subscription,
        request_view,
        pause_subscription,
        resume_subscription,
        reconnect_now,
        history_page,
        message_text,
        timeline,
        subscription_stats,
        list_runs,
        export_subscriptions,
        export_history_file,
        export_runs_file,
        export_subscriptions_file,
        import_subscriptions_file,
        connect_updates,
        list_notifications,
        clear_notifications,
        get_settings,
        set_do_not_disturb,
        set_start_at_login,
        window_ready,
        parse_curl,
    ]
}

type Result<T> = std::result::Result<T, CommandError>;

/// Runs `f` with the monitor and the health board on the blocking pool.
async fn blocking<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&Monitor, &HealthBoard) -> Result<T> + Send + 'static,
) -> Result<T> {
    let monitor = Arc::clone(&state.monitor);
    let health = state.health.clone();
    tauri::async_runtime::spawn_blocking(move || f(&monitor, &health))
        .await
        .map_err(|e| CommandError::internal(format!("the command failed to run: {e}")))?
}

/// Every saved subscription with its status, by id.
#[tauri::command]
pub async fn list_subscriptions(state: State<'_, AppState>) -> Result<Vec<SubscriptionView>> {
    blocking(&state, views::list).await
}

/// Checks, saves and starts a subscription.
#[tauri::command]
pub async fn add_subscription(
    state: State<'_, AppState>,
    form: SubscriptionForm,
) -> Result<SubscriptionView> {
    let view = blocking(&state, move |m, h| actions::add(m, h, &form)).await?;
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
    let view = blocking(&state, move |m, h| actions::update(m, h, id, &form)).await?;
    // Every window shows the new settings, and the alert loop rereads the rules.
    let _ = state.added.send(view.clone());
    Ok(view)
}

/// Saves and starts a copy of a subscription ("<name> (copy)"), its secrets copied to new
/// keyring items.
#[tauri::command]
pub async fn duplicate_subscription(
    state: State<'_, AppState>,
    id: u64,
) -> Result<SubscriptionView> {
    let id = SubscriptionId(id);
    let view = blocking(&state, move |m, h| actions::duplicate(m, h, id)).await?;
    // Every window lists the copy.
    let _ = state.added.send(view.clone());
    Ok(view)
}

/// The add form's fields for a pasted curl command; a refusal names the option, on the field
/// `curl`.
#[tauri::command]
pub async fn parse_curl(text: String) -> Result<CurlPaste> {
    streamwatch_app_api::curl_paste::curl_paste(&text)
}

/// What the next (re)connection of a subscription sends, secrets masked.
#[tauri::command]
pub async fn request_view(
    state: State<'_, AppState>,
    id: u64,
) -> Result<streamwatch_app_api::request_view::RequestView> {
    let id = SubscriptionId(id);
    blocking(&state, move |m, _| {
        streamwatch_app_api::request_view::request_view(m, id)
    })
    .await
}

/// Stops a subscription and deletes it with its history and secrets.
#[tauri::command]
pub async fn remove_subscription(state: State<'_, AppState>, id: u64) -> Result<()> {
    blocking(&state, move |m, _| actions::remove(m, SubscriptionId(id))).await
}

/// Pauses, durably.
#[tauri::command]
pub async fn pause_subscription(state: State<'_, AppState>, id: u64) -> Result<()> {
    blocking(&state, move |m, _| actions::pause(m, SubscriptionId(id))).await
}

/// Resumes, durably (also restarts a failed or stopped subscription).
#[tauri::command]
pub async fn resume_subscription(state: State<'_, AppState>, id: u64) -> Result<()> {
    blocking(&state, move |m, _| actions::resume(m, SubscriptionId(id))).await
}

/// Connects at once, skipping any backoff wait.
#[tauri::command]
pub async fn reconnect_now(state: State<'_, AppState>, id: u64) -> Result<()> {
    blocking(&state, move |m, _| {
        actions::reconnect_now(m, SubscriptionId(id))
    })
    .await
}

/// Up to `limit` stored messages older than `before_seq` (the newest when null), newest first.
#[tauri::command]
pub async fn history_page(
    state: State<'_, AppState>,
    id: u64,
    before_seq: Option<u64>,
    limit: u32,
) -> Result<Vec<MessageView>> {
    let id = SubscriptionId(id);
    blocking(&state, move |m, _| {
        views::history_page(m, id, before_seq, limit)
    })
    .await
}

/// The whole text of a stored message the log showed truncated: by `seq`, or for a live row by
/// its arrival time, event id and size.
#[tauri::command]
pub async fn message_text(
    state: State<'_, AppState>,
    id: u64,
    seq: Option<u64>,
    received_at_ms: u64,
    event_id: String,
    size: u64,
) -> Result<String> {
    let id = SubscriptionId(id);
    blocking(&state, move |m, _| {
        views::message_text(m, id, seq, received_at_ms, &event_id, size)
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
    blocking(&state, move |m, _| {
        views::timeline(m, SubscriptionId(id), since_ms)
    })
    .await
}

/// Today's uptime and the stored counters.
#[tauri::command]
pub async fn subscription_stats(state: State<'_, AppState>, id: u64) -> Result<StatsView> {
    let id = SubscriptionId(id);
    blocking(&state, move |m, _| {
        views::stats_view(m, id, SystemTime::now())
    })
    .await
}

/// A finite stream's or probe's stored runs, newest first: at most `limit`, older than the run
/// `before` when given, with today's success rate.
#[tauri::command]
pub async fn list_runs(
    state: State<'_, AppState>,
    id: u64,
    limit: u32,
    before: Option<i64>,
) -> Result<streamwatch_app_api::runs::RunsView> {
    let id = SubscriptionId(id);
    blocking(&state, move |m, _| {
        streamwatch_app_api::runs::list_runs(m.catalog(), id, limit as usize, before)
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
    blocking(&state, move |m, _| views::export(m, with_history)).await
}

/// Writes the stored messages `form` asks for to `path` (chosen in the system's save dialog) as
/// JSON lines or CSV, replaced whole; a page at a time, so memory stays bounded.
#[tauri::command]
pub async fn export_history_file(
    state: State<'_, AppState>,
    form: HistoryExportForm,
    path: PathBuf,
) -> Result<ExportDone> {
    // Commit what has been received, so the history is complete up to now.
    state.monitor.flush().await?;
    blocking(&state, move |m, _| {
        file_transfer::export_history(m.catalog(), &form, &path)
    })
    .await
}

/// Writes every stored run of probe or finite stream `id` to `path` (chosen in the system's save
/// dialog) as JSON lines or CSV, replaced whole.
#[tauri::command]
pub async fn export_runs_file(
    state: State<'_, AppState>,
    id: u64,
    format: HistoryFileFormat,
    path: PathBuf,
) -> Result<ExportDone> {
    // Commit what has been recorded, so a run that just ended is in the file.
    state.monitor.flush().await?;
    blocking(&state, move |m, _| {
        file_transfer::export_runs(m.catalog(), SubscriptionId(id), format, &path)
    })
    .await
}

/// Writes every subscription to `path` in the export format; secret values in plain text only
/// `with_secrets` (the dialog asks, with a warning), masked otherwise.
#[tauri::command]
pub async fn export_subscriptions_file(
    state: State<'_, AppState>,
    with_secrets: bool,
    path: PathBuf,
) -> Result<ExportDone> {
    blocking(&state, move |m, _| {
        file_transfer::export_subscriptions(m.catalog(), with_secrets, &path)
    })
    .await
}

/// Imports the export file at `path` (chosen in the system's open dialog), all or nothing, and
/// starts what it added; `rename` takes "NAME (2)" for a name already saved.
#[tauri::command]
pub async fn import_subscriptions_file(
    state: State<'_, AppState>,
    path: PathBuf,
    rename: bool,
) -> Result<ImportDone> {
    let added = state.added.clone();
    blocking(&state, move |m, h| {
        // The import writes its history through a writer task of its own: run it on this
        // blocking thread inside the runtime.
        let done = tauri::async_runtime::block_on(file_transfer::import_subscriptions(
            m.catalog(),
            &path,
            rename,
        ))?;
        // Start them now and show them in every window, rather than at the next store sync.
        if let Err(e) = StoreSync::default().pass(m, h, &added) {
            eprintln!("streamwatch: imported, but could not start them yet: {e}");
        }
        Ok(done)
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
    state.start_bridge(webview.label(), move |batch| on_update.send(batch).is_ok());
    Ok(())
}

/// The in-app notification list, newest first: `limit` entries older than `before` (an id).
#[tauri::command]
pub async fn list_notifications(
    state: State<'_, AppState>,
    before: Option<u64>,
    limit: u32,
) -> Result<Vec<NotificationView>> {
    blocking(&state, move |m, _| views::notifications(m, before, limit)).await
}

/// Empties the in-app notification list.
#[tauri::command]
pub async fn clear_notifications(state: State<'_, AppState>) -> Result<()> {
    blocking(&state, |m, _| actions::clear_notifications(m)).await
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
        do_not_disturb: app.try_state::<DoNotDisturb>().is_some_and(|d| d.is_on()),
        start_at_login: autostart_enabled(&app)?,
    })
}

/// Turns Do Not Disturb on or off (saved across restarts).
#[tauri::command]
pub async fn set_do_not_disturb<R: Runtime>(app: AppHandle<R>, on: bool) -> Result<AppSettings> {
    let dnd = app
        .try_state::<DoNotDisturb>()
        .ok_or_else(|| CommandError::internal("notifications are not running"))?;
    dnd.set(&app, on)
        .map_err(|e| CommandError::internal(e.to_string()))?;
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
    first_show::page_ready(&app);
}
