//! `streamwatch run`: the headless daemon. It opens the monitor (every saved subscription
//! resumes from its stored last id), logs what happens, applies edits other processes make to
//! the database, serves metrics, and on SIGTERM or Ctrl-C stops the connections and commits
//! everything received before exiting.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context as _;
use clap::Args;
use serde_json::json;
use streamwatch_engine::monitor::{Monitor, MonitorOptions, SyncReport, WriterHealth};
use streamwatch_engine::{Lifecycle, State, SubscriptionId, SupervisorEvent};
use tokio::sync::{broadcast, mpsc};

use crate::config_file;
use crate::daemon_log::{Log, Sub};
use crate::daemon_signals::{Request, Signals};
use crate::metrics::{self, MetricsServer, Sample, Scrape};

/// How often edits made by other processes are looked for.
const SYNC_EVERY: Duration = Duration::from_secs(2);
/// How often, at most, a subscription's messages are summed up in the log.
const SUMMARY_EVERY: Duration = Duration::from_secs(10);

/// Flags of `streamwatch run`.
#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
        streamwatch run\n  \
        streamwatch run --config subs.json --metrics 127.0.0.1:9464 --json\n\n\
        Metrics (OpenMetrics text, labels subscription=\"NAME\" and id=\"ID\"): streamwatch_up, \
        streamwatch_state{state=...} (1 for the current state, 0 for the others), \
        streamwatch_messages_total, streamwatch_bytes_total, streamwatch_reconnects_total, \
        streamwatch_gaps_total, streamwatch_missed_events_total, \
        streamwatch_replayed_events_total, streamwatch_resets_total, streamwatch_retry_attempt, \
        streamwatch_last_message_age_seconds, streamwatch_connected_seconds, streamwatch_stale \
        (1 while silent past the stale threshold), and streamwatch_subscriptions.")]
pub struct RunArgs {
    /// First add or update (matched by name) the subscriptions declared in FILE, a JSON file
    /// in the export format (EXPORT_FORMAT.md); subscriptions it does not name are kept.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Serve Prometheus metrics on http://ADDR/metrics (e.g. 127.0.0.1:9464; port 0 picks a
    /// free port, which the log reports).
    #[arg(long, value_name = "ADDR")]
    pub metrics: Option<SocketAddr>,

    /// Log one JSON object per line instead of human-readable lines.
    #[arg(long)]
    pub json: bool,
}

/// What the loop knows about one subscription.
struct Known {
    name: String,
    state: Option<State>,
    /// Messages counted at the last summary, and when it was.
    summarized: u64,
    summarized_at: Instant,
}

/// Runs the daemon on the database in `dir` until a signal; `Ok` once everything is saved.
pub fn run(dir: &Path, args: &RunArgs) -> anyhow::Result<()> {
    // Read before anything starts, so a bad file fails fast.
    let declared = args.config.as_deref().map(config_file::read).transpose()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let mut log = Log::stdout(args.json);
    let res = rt.block_on(daemon(dir, args, declared, &mut log));
    rt.shutdown_timeout(Duration::from_secs(1));
    res
}

async fn daemon(
    dir: &Path,
    args: &RunArgs,
    declared: Option<config_file::Declared>,
    log: &mut Log,
) -> anyhow::Result<()> {
    // Installed first: from here on a signal means "stop cleanly", not "die".
    let mut signals = Signals::install()?;

    if let Some(declared) = &declared {
        for (name, change) in config_file::apply(dir, declared)? {
            log.daemon(
                "config",
                &format!("{name:?} {change} from {}", declared.path.display()),
                json!({"subscription": name, "change": change}),
            );
        }
    }

    let (scrape_tx, mut scrapes) = mpsc::channel::<Scrape>(16);
    let server = match args.metrics {
        Some(addr) => Some(
            MetricsServer::start(addr, scrape_tx)
                .await
                .with_context(|| format!("cannot serve metrics on {addr}"))?,
        ),
        None => None,
    };

    // Subscribe before anything connects, so the log sees every subscription's first events.
    let mut options = MonitorOptions::new(dir.to_path_buf());
    options.autostart = false;
    let monitor = Monitor::open(options)?;
    let mut events = monitor.supervisor().subscribe();
    monitor.start_saved()?;
    for failed in monitor.startup_errors() {
        log.daemon(
            "error",
            &format!(
                "cannot start subscription {:?}: {}",
                failed.name, failed.message
            ),
            json!({"subscription": failed.name, "id": failed.id.0}),
        );
    }
    let mut health = monitor.writer_health();
    let db = monitor.catalog().path().to_path_buf();
    let mut known: HashMap<SubscriptionId, Known> = HashMap::new();
    let mut run_metrics = crate::run_metrics::RunMetrics::default();
    refresh_names(&monitor, &mut known)?;
    log.daemon(
        "started",
        &format!(
            "monitoring {} subscription(s) from {}{}",
            known.len(),
            db.display(),
            server
                .as_ref()
                .map(|s| format!("; metrics on {}", s.url))
                .unwrap_or_default()
        ),
        json!({
            "database": db.display().to_string(),
            "subscriptions": known.len(),
            "metrics_url": server.as_ref().map(|s| s.url.clone()),
        }),
    );

    let mut sync_tick = tokio::time::interval(SYNC_EVERY);
    let mut summary_tick = tokio::time::interval(SUMMARY_EVERY);
    sync_tick.tick().await;
    summary_tick.tick().await;
    let mut last_sync_error: Option<String> = None;
    let mut lag_reported_at: Option<Instant> = None;
    let why = loop {
        tokio::select! {
            request = signals.next() => match request {
                Request::Stop(why) => break why,
                Request::ReconnectAll => {
                    let n = reconnect_all(&monitor);
                    log.daemon(
                        "signal",
                        &format!("SIGUSR1: reconnecting {n} subscription(s) now (paused ones stay paused)"),
                        json!({"signal": "SIGUSR1", "subscriptions": n}),
                    );
                }
                Request::Reload => {
                    reload(log, dir, args);
                    // Apply what the file changed now, not at the next sync.
                    sync_tick.reset_immediately();
                }
            },
            event = events.recv() => match event {
                Ok(event) => {
                    run_metrics.observe(&event, |id| known.get(&id).map(|k| k.name.clone()));
                    on_event(log, &mut known, event)
                }
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    // Storage never lags; only this log does. Say so now and then.
                    if lag_reported_at.is_none_or(|t| t.elapsed() >= SUMMARY_EVERY) {
                        lag_reported_at = Some(Instant::now());
                        log.daemon(
                            "warning",
                            &format!("the log fell behind and skipped {n} events (all were stored)"),
                            json!({"skipped": n}),
                        );
                    }
                }
                Err(broadcast::error::RecvError::Closed) => break "the supervisor stopped",
            },
            Ok(()) = health.changed() => {
                let h = health.borrow_and_update().clone();
                match h {
                    WriterHealth::Failing { error, .. } => log.daemon(
                        "error",
                        &format!("cannot save events, retrying: {error}"),
                        json!({}),
                    ),
                    WriterHealth::Ok => log.daemon("storage", "saving events again", json!({})),
                }
            }
            _ = sync_tick.tick() => {
                match monitor.sync_from_store() {
                    Ok(report) => {
                        let text = report
                            .errors
                            .iter()
                            .map(|e| format!("{:?}: {}", e.name, e.message))
                            .collect::<Vec<_>>()
                            .join("; ");
                        if !text.is_empty() && last_sync_error.as_deref() != Some(text.as_str()) {
                            log.daemon(
                                "error",
                                &format!("cannot apply changes to {text}"),
                                json!({}),
                            );
                        }
                        last_sync_error = (!text.is_empty()).then_some(text);
                        on_sync(log, &monitor, &mut known, &report)?;
                    }
                    Err(e) => {
                        let text = e.to_string();
                        if last_sync_error.as_deref() != Some(text.as_str()) {
                            log.daemon(
                                "error",
                                &format!("cannot apply the saved subscriptions' changes: {text}"),
                                json!({}),
                            );
                            last_sync_error = Some(text);
                        }
                    }
                }
            }
            _ = summary_tick.tick() => summarize(log, &monitor, &mut known),
            Some(reply) = scrapes.recv() => {
                let text = metrics::render_with_runs(
                    samples(&monitor, &known),
                    run_metrics.clone(),
                    SystemTime::now(),
                );
                let _ = reply.send(text);
            }
        }
    };

    log.daemon(
        "stopping",
        &format!("{why}: closing the streams and saving what was received"),
        json!({"reason": why}),
    );
    if let Some(server) = server {
        server.stop().await;
    }
    summarize(log, &monitor, &mut known);
    monitor
        .shutdown()
        .await
        .context("could not save everything received")?;
    log.daemon(
        "stopped",
        "everything received is saved",
        json!({"database": db.display().to_string()}),
    );
    Ok(())
}

/// Drops every running subscription's connection or wait and connects again from its last id;
/// how many. Paused ones are the user's choice and stay paused.
fn reconnect_all(monitor: &Monitor) -> usize {
    let supervisor = monitor.supervisor();
    supervisor
        .list()
        .into_iter()
        .filter(|(_, status)| status.state != State::Paused)
        .filter(|(id, _)| supervisor.reconnect_now(*id).is_ok())
        .count()
}

/// Re-reads and applies `--config` on SIGHUP. A bad file is logged and changes nothing: the
/// daemon goes on with what it has.
fn reload(log: &mut Log, dir: &Path, args: &RunArgs) {
    let Some(path) = args.config.as_deref() else {
        log.daemon(
            "signal",
            "SIGHUP: no --config to re-read",
            json!({"signal": "SIGHUP"}),
        );
        return;
    };
    match config_file::read(path).and_then(|declared| config_file::apply(dir, &declared)) {
        Ok(changes) => {
            log.daemon(
                "signal",
                &format!(
                    "SIGHUP: re-read {} ({} change(s))",
                    path.display(),
                    changes.len()
                ),
                json!({"signal": "SIGHUP", "changes": changes.len()}),
            );
            for (name, change) in changes {
                log.daemon(
                    "config",
                    &format!("{name:?} {change} from {}", path.display()),
                    json!({"subscription": name, "change": change}),
                );
            }
        }
        Err(e) => log.daemon(
            "error",
            &format!("SIGHUP: {e:#}; keeping the subscriptions as they were"),
            json!({"signal": "SIGHUP"}),
        ),
    }
}

fn sub(id: SubscriptionId, name: &str) -> Sub<'_> {
    Sub { id, name }
}

fn on_event(log: &mut Log, known: &mut HashMap<SubscriptionId, Known>, event: SupervisorEvent) {
    match event {
        SupervisorEvent::Lifecycle { id, at, event } => {
            // Messages are summed up every 10 s; comments and connection attempts show as
            // states. Everything else gets its line.
            if matches!(
                event,
                Lifecycle::Message { .. }
                    | Lifecycle::Comment { .. }
                    | Lifecycle::Connecting { .. }
            ) {
                return;
            }
            if let Some(k) = known.get(&id) {
                log.event(sub(id, &k.name), at, &event);
            }
        }
        SupervisorEvent::Status { id, status } => {
            if let Some(k) = known.get_mut(&id) {
                if k.state != Some(status.state) {
                    log.state(sub(id, &k.name), status.state, k.state);
                    k.state = Some(status.state);
                }
            }
        }
        SupervisorEvent::Removed { .. } => {}
        // Stored as a run (`streamwatch runs NAME`) and counted in the run metrics; its
        // connection steps have their own lines.
        SupervisorEvent::RunEnded { .. } => {}
        SupervisorEvent::Machine { conditions } => {
            let text = if conditions.asleep {
                "the computer is going to sleep: streams wait, nothing counts as down"
            } else if !conditions.online {
                "offline (no default route): streams that need the network wait without retrying"
            } else {
                "awake and online: every waiting stream reconnects now"
            };
            log.daemon(
                "machine",
                text,
                json!({"online": conditions.online, "asleep": conditions.asleep}),
            );
        }
    }
}

fn on_sync(
    log: &mut Log,
    monitor: &Monitor,
    known: &mut HashMap<SubscriptionId, Known>,
    report: &SyncReport,
) -> anyhow::Result<()> {
    if report == &SyncReport::default() {
        return Ok(());
    }
    for id in &report.removed {
        if let Some(k) = known.remove(id) {
            log.config(sub(*id, &k.name), "removed");
        }
    }
    refresh_names(monitor, known)?;
    for (ids, change) in [(&report.added, "added"), (&report.updated, "updated")] {
        for id in ids {
            if let Some(k) = known.get(id) {
                log.config(sub(*id, &k.name), change);
            }
        }
    }
    // A paused one does not announce its state before the next status event; say it now.
    for (id, status) in monitor.supervisor().list() {
        if let Some(k) = known.get_mut(&id) {
            if k.state.is_none() {
                k.state = Some(status.state);
                log.state(sub(id, &k.name), status.state, None);
            }
        }
    }
    Ok(())
}

/// Brings names up to date with the database (they can be edited while running).
fn refresh_names(
    monitor: &Monitor,
    known: &mut HashMap<SubscriptionId, Known>,
) -> anyhow::Result<()> {
    let saved = monitor.catalog().subscriptions()?;
    for s in saved {
        known
            .entry(s.id)
            .and_modify(|k| k.name.clone_from(&s.record.name))
            .or_insert_with(|| Known {
                name: s.record.name.clone(),
                state: None,
                summarized: 0,
                summarized_at: Instant::now(),
            });
    }
    Ok(())
}

fn summarize(log: &mut Log, monitor: &Monitor, known: &mut HashMap<SubscriptionId, Known>) {
    for (id, status) in monitor.supervisor().list() {
        let Some(k) = known.get_mut(&id) else {
            continue;
        };
        if status.messages > k.summarized {
            let secs = k.summarized_at.elapsed().as_secs_f64();
            log.summary(
                sub(id, &k.name),
                status.messages - k.summarized,
                status.messages,
                &status.last_id,
                secs,
            );
        }
        k.summarized = status.messages;
        k.summarized_at = Instant::now();
    }
}

fn samples(monitor: &Monitor, known: &HashMap<SubscriptionId, Known>) -> Vec<Sample> {
    monitor
        .supervisor()
        .list()
        .into_iter()
        .map(|(id, status)| Sample {
            id,
            name: known
                .get(&id)
                .map_or_else(|| id.to_string(), |k| k.name.clone()),
            status,
        })
        .collect()
}
