//! What the app holds while it runs, and how it starts: the data directory, the monitor, the
//! embedded demo server and the first-run demo subscription; and the tasks it runs beside the
//! engine (each window's bridge, the pickup of the CLI's edits).

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use streamwatch_app_api::bridge::{self, AppStatuses};
use streamwatch_app_api::dto::{SubscriptionView, UpdateBatch};
use streamwatch_app_api::health::HealthBoard;
use streamwatch_app_api::store_sync;
use streamwatch_demo_server::{DemoConfig, DemoServer};
use streamwatch_engine::catalog::{Catalog, CatalogError, SavedSubscription, SubscriptionRecord};
use streamwatch_engine::monitor::{Monitor, MonitorError, MonitorOptions};
use streamwatch_engine::secrets::SecretStore;
use streamwatch_engine::storage::StoredHeader;
use tokio::sync::broadcast;

/// Overrides the data directory (tests and side-by-side runs use it).
pub const DATA_DIR_ENV: &str = "STREAMWATCH_DATA_DIR";
/// Overrides the demo server's preferred port (0: any free port).
pub const DEMO_PORT_ENV: &str = "STREAMWATCH_DEMO_PORT";
/// The demo server's port when it is free.
pub const DEFAULT_DEMO_PORT: u16 = 8787;
/// Written to the data directory once the first-run demo subscription has been offered, so it
/// is not added again after the user removed it.
pub const FIRST_RUN_MARKER: &str = "first-run-done";
/// The first-run subscription's name.
pub const DEMO_NAME: &str = "Demo stream";
/// Its path on the demo server: 5 events a second, the connection ended cleanly every 25 events
/// so a reconnect and a resume show within seconds (the UI's demo note reads the 25 from it).
pub const DEMO_PATH: &str = "/events?rate=5&close_after=25";
/// The first-run probe's name.
pub const DEMO_PROBE_NAME: &str = "Demo LLM probe";
/// Its path on the demo server: the OpenAI-style chat endpoint, a finite answer ending in
/// `[DONE]`.
pub const DEMO_PROBE_PATH: &str = "/v1/chat/completions";
/// Its prompt: short, so a run takes a second or two, with the usage figures asked for.
pub const DEMO_PROBE_BODY: &str = r#"{"model":"demo-llm","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Say hello to Streamwatch."}]}"#;
/// How often it runs: often enough to fill the runs chart over a session, rarely enough to
/// stay quiet.
pub const DEMO_PROBE_EVERY_MS: u64 = 5 * 60 * 1000;

/// Where and how to start.
#[derive(Debug, Clone)]
pub struct StartOptions {
    /// The data directory (holding `streamwatch.db`).
    pub data_dir: PathBuf,
    /// The demo server's preferred port; when taken, any free port is used.
    pub demo_port: u16,
}

impl StartOptions {
    /// `STREAMWATCH_DATA_DIR` or the engine's per-user directory; `STREAMWATCH_DEMO_PORT` or 8787.
    pub fn from_env() -> Result<StartOptions, StartupError> {
        let data_dir = match std::env::var_os(DATA_DIR_ENV).filter(|v| !v.is_empty()) {
            Some(dir) => PathBuf::from(dir),
            None => Catalog::default_dir().map_err(|e| StartupError {
                message: e.to_string(),
                data_dir: None,
            })?,
        };
        let demo_port = std::env::var(DEMO_PORT_ENV)
            .ok()
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or(DEFAULT_DEMO_PORT);
        Ok(StartOptions {
            data_dir,
            demo_port,
        })
    }
}

/// Why the app cannot start; the message says which file and what to do.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct StartupError {
    /// What went wrong (a storage error names the database file).
    pub message: String,
    /// The data directory, when known.
    pub data_dir: Option<PathBuf>,
}

impl StartupError {
    fn new(e: impl std::fmt::Display, dir: &Path) -> Self {
        StartupError {
            message: e.to_string(),
            data_dir: Some(dir.to_path_buf()),
        }
    }
}

/// Everything the commands and the bridge share.
pub struct AppState {
    /// The engine.
    pub monitor: Arc<Monitor>,
    /// The embedded demo SSE server; `None` if no loopback port could be bound.
    pub demo: Option<DemoServer>,
    /// The data directory in use.
    pub data_dir: PathBuf,
    /// The alert loop's verdict on each subscription, shown with its status.
    pub health: HealthBoard,
    /// Views of subscriptions added or changed (by a command, or by the CLI through
    /// [`store_sync`]), for every window's bridge and the alert loop.
    pub(crate) added: broadcast::Sender<SubscriptionView>,
    /// Each webview's running bridge, by webview label: a reloaded page replaces its own.
    pub(crate) bridges: Mutex<HashMap<String, tauri::async_runtime::JoinHandle<()>>>,
}

impl AppState {
    /// Starts the demo server, points `{"demo": true}` subscriptions at it, opens the monitor
    /// (every saved subscription resumes) and adds the demo subscription on the first run.
    /// Runs on Tauri's async runtime (`tauri::async_runtime::block_on`), which the engine's
    /// tasks then live on.
    pub async fn open(opts: StartOptions) -> Result<AppState, StartupError> {
        let dir = &opts.data_dir;
        let demo = start_demo(opts.demo_port).await;
        let first_run = {
            // Before anything connects: a stale demo URL may now belong to another program.
            let store = Catalog::open(dir, SecretStore::default())
                .map_err(|e| StartupError::new(e, dir))?;
            let saved = store
                .subscriptions()
                .map_err(|e| StartupError::new(e, dir))?;
            if let Some(demo) = &demo {
                repoint_demo_subscriptions(&store, &saved, demo.addr().port())
                    .map_err(|e| StartupError::new(e, dir))?;
            }
            saved.is_empty() && !dir.join(FIRST_RUN_MARKER).exists()
        };
        // Saved subscriptions start in `start_saved`, once the alert loop listens: a stream
        // that fails at once (401, wrong content type) must still be told.
        let mut options = MonitorOptions::new(dir.clone());
        options.autostart = false;
        // Room for a server's replay burst on resume (the demo server sends up to 10,000 missed
        // events at once) before a window's bridge is counted as lagging: 4 MiB of slots, and
        // the last 32,768 events stay held until overwritten (~10 MiB at 200 B of data each).
        options.event_capacity = 32_768;
        let monitor = Monitor::open(options).map_err(|e| StartupError::new(e, dir))?;
        if let Some(demo) = &demo {
            if first_run {
                add_demo_subscription(&monitor, demo).map_err(|e| StartupError::new(e, dir))?;
            }
            if let Err(e) = std::fs::write(dir.join(FIRST_RUN_MARKER), b"") {
                eprintln!("streamwatch: cannot write {FIRST_RUN_MARKER} in {dir:?}: {e}");
            }
        }
        let (added, _) = broadcast::channel(64);
        Ok(AppState {
            monitor: Arc::new(monitor),
            demo,
            data_dir: opts.data_dir,
            health: HealthBoard::new(),
            added,
            bridges: Mutex::new(HashMap::new()),
        })
    }

    /// Starts every saved subscription (each resuming from its stored id). One that cannot
    /// start does not stop the others; it shows as failed with its reason.
    pub fn start_saved(&self) -> Result<(), StartupError> {
        self.monitor
            .start_saved()
            .map_err(|e| StartupError::new(e, &self.data_dir))
    }

    /// Starts applying changes other processes (the CLI) make to the saved subscriptions,
    /// every [`store_sync::SYNC_EVERY`]; call after [`AppState::start_saved`].
    pub fn watch_store(&self) {
        tauri::async_runtime::spawn(store_sync::run(
            Arc::clone(&self.monitor),
            self.health.clone(),
            self.added.clone(),
        ));
    }

    /// Starts (or replaces) the bridge of the webview `label`: batched live updates, each
    /// handed to `send` until it returns false (the webview is gone).
    pub fn start_bridge(
        &self,
        label: &str,
        send: impl FnMut(UpdateBatch) -> bool + Send + 'static,
    ) {
        let monitor = Arc::clone(&self.monitor);
        let health = self.health.clone();
        let events = monitor.supervisor().subscribe();
        let added = self.added.subscribe();
        let changes = health.watch();
        let task = tauri::async_runtime::spawn(async move {
            let source = AppStatuses {
                supervisor: monitor.supervisor(),
                health: &health,
            };
            bridge::run(events, added, changes, &source, send).await;
        });
        let old = self
            .bridges
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(label.to_string(), task);
        if let Some(old) = old {
            old.abort();
        }
    }

    /// Stops the bridge of the webview `label`, if one runs.
    pub fn stop_bridge(&self, label: &str) {
        let old = self
            .bridges
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(label);
        if let Some(task) = old {
            task.abort();
        }
    }

    /// Stops every connection and commits everything received. For the app's exit.
    pub async fn shutdown(&self) {
        for (_, task) in self
            .bridges
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain()
        {
            task.abort();
        }
        self.monitor.supervisor().stop_all().await;
        if let Err(e) = self.monitor.flush().await {
            eprintln!("streamwatch: could not save the last events: {e}");
        }
    }
}

/// Binds 127.0.0.1:`port`, or any free port when that one is taken.
async fn start_demo(port: u16) -> Option<DemoServer> {
    let at = |port| SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    match DemoServer::start(at(port), DemoConfig::default()).await {
        Ok(s) => Some(s),
        Err(first) => match DemoServer::start(at(0), DemoConfig::default()).await {
            Ok(s) => Some(s),
            Err(e) => {
                eprintln!(
                    "streamwatch: the demo server could not start (port {port}: {first}; any \
                     port: {e}); continuing without it"
                );
                None
            }
        },
    }
}

fn is_demo(record: &SubscriptionRecord) -> bool {
    record.notify.get("demo") == Some(&serde_json::Value::Bool(true))
}

/// Moves demo subscriptions that point at another local port to `port`.
fn repoint_demo_subscriptions(
    store: &Catalog,
    saved: &[SavedSubscription],
    port: u16,
) -> Result<(), CatalogError> {
    for s in saved.iter().filter(|s| is_demo(&s.record)) {
        let Ok(mut url) = url::Url::parse(&s.record.url) else {
            continue;
        };
        let local = matches!(url.host_str(), Some("127.0.0.1" | "localhost"));
        if !local || url.port() == Some(port) {
            continue;
        }
        if url.set_port(Some(port)).is_err() {
            continue;
        }
        let mut record = s.record.clone();
        record.url = url.to_string();
        store.edit(s.id, &record)?;
    }
    Ok(())
}

fn add_demo_subscription(monitor: &Monitor, demo: &DemoServer) -> Result<(), MonitorError> {
    let mut record = SubscriptionRecord::new(DEMO_NAME, demo.url(DEMO_PATH));
    record.notify = serde_json::json!({ "demo": true });
    monitor.add(&record)?;
    // The LLM probe beside it; flagged demo too, so its runs read as on purpose.
    let mut probe = SubscriptionRecord::new(DEMO_PROBE_NAME, demo.url(DEMO_PROBE_PATH));
    probe.method = "POST".into();
    probe.headers.push(StoredHeader {
        name: "Content-Type".into(),
        value: "application/json".into(),
        secret: false,
    });
    probe.body = Some(DEMO_PROBE_BODY.into());
    probe.probe_every_ms = Some(DEMO_PROBE_EVERY_MS);
    probe.notify = serde_json::json!({ "demo": true });
    monitor.add(&probe).map(drop)
}
