//! The commands through Tauri's real IPC path (mock runtime, JSON in and out, camelCase
//! arguments), against a real monitor in a throwaway data directory and the real embedded demo
//! server.

use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use streamwatch_app::commands;
use streamwatch_app::state::{
    AppState, StartOptions, DEMO_NAME, DEMO_PROBE_NAME, FIRST_RUN_MARKER,
};
use streamwatch_app::window::MAIN_WINDOW;
use streamwatch_app_api::dto::{StateName, UpdateBatch};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{
    get_ipc_response, mock_builder, mock_context, noop_assets, MockRuntime, INVOKE_KEY,
};
use tauri::webview::InvokeRequest;
use tauri::{App, Manager, WebviewWindow, WebviewWindowBuilder};

struct Harness {
    app: App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
    _dir: Option<tempfile::TempDir>,
}

fn open_state(dir: &std::path::Path) -> AppState {
    let state = tauri::async_runtime::block_on(AppState::open(StartOptions {
        data_dir: dir.to_path_buf(),
        demo_port: 0,
    }))
    .expect("the app state opens");
    // As the app's setup does once its alert loop listens.
    state.start_saved().expect("saved subscriptions start");
    state
}

impl Harness {
    fn start() -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let mut h = Harness::with_context(open_state(dir.path()), mock_context(noop_assets()));
        h._dir = Some(dir);
        h
    }

    fn with_context(state: AppState, context: tauri::Context<MockRuntime>) -> Harness {
        let app = mock_builder()
            .invoke_handler(commands::handler())
            .manage(state)
            .build(context)
            .expect("the app builds");
        let window = WebviewWindowBuilder::new(&app, MAIN_WINDOW, Default::default())
            .build()
            .unwrap();
        Harness {
            app,
            window,
            _dir: None,
        }
    }

    fn invoke_on(
        window: &WebviewWindow<MockRuntime>,
        cmd: &str,
        args: Value,
    ) -> Result<Value, Value> {
        get_ipc_response(
            window,
            InvokeRequest {
                cmd: cmd.into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: "tauri://localhost".parse().unwrap(),
                body: InvokeBody::Json(args),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|b| b.deserialize::<Value>().unwrap())
    }

    fn invoke(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        Self::invoke_on(&self.window, cmd, args)
    }

    fn ok(&self, cmd: &str, args: Value) -> Value {
        self.invoke(cmd, args)
            .unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
    }

    fn state(&self) -> tauri::State<'_, AppState> {
        self.app.state::<AppState>()
    }

    fn demo_url(&self, path: &str) -> String {
        self.state()
            .demo
            .as_ref()
            .expect("the demo server runs")
            .url(path)
    }

    fn list(&self) -> Vec<Value> {
        self.ok("list_subscriptions", json!({}))
            .as_array()
            .unwrap()
            .clone()
    }

    fn find(&self, id: u64) -> Option<Value> {
        self.list().into_iter().find(|s| s["id"] == id)
    }

    /// Polls `list_subscriptions` until subscription `id` satisfies `pred`.
    fn wait_for(&self, id: u64, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let s = self.find(id).expect("the subscription exists");
            if pred(&s) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}: {s:#}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Starts a bridge for a window that keeps every batch it is sent.
    fn collect_batches(&self) -> Arc<Mutex<Vec<UpdateBatch>>> {
        let batches: Arc<Mutex<Vec<UpdateBatch>>> = Arc::default();
        let sink = Arc::clone(&batches);
        self.state().start_bridge("test-window", move |b| {
            sink.lock().unwrap().push(b);
            true
        });
        batches
    }

    fn shutdown(self) {
        tauri::async_runtime::block_on(self.state().shutdown());
    }
}

fn form(name: &str, url: &str) -> Value {
    json!({
        "name": name,
        "url": url,
        "method": "GET",
        "headers": [{"name": "X-Client", "value": "streamwatch-test", "secret": false, "hasStoredValue": false}],
        "body": null,
        "lastEventId": null,
        "retryInitialMs": 100,
        "retryMaxMs": 1000,
        "maxRetries": null,
        "idleTimeoutSecs": null,
        "paused": false,
    })
}

fn state_of(s: &Value) -> &str {
    s["status"]["state"].as_str().unwrap()
}

fn messages_of(s: &Value) -> u64 {
    s["status"]["messages"].as_u64().unwrap()
}

#[test]
fn a_subscription_through_its_whole_life() {
    let h = Harness::start();

    // First run: the demo subscription and the demo LLM probe, on the demo server's actual port.
    let subs = h.list();
    assert_eq!(subs.len(), 2, "{subs:#?}");
    assert_eq!(subs[0]["name"], DEMO_NAME);
    assert_eq!(
        subs[0]["url"],
        h.demo_url("/events?rate=5&close_after=25").as_str()
    );
    assert_eq!(subs[1]["name"], DEMO_PROBE_NAME);
    assert_eq!(subs[1]["url"], h.demo_url("/v1/chat/completions").as_str());
    assert_eq!(subs[1]["form"]["method"], "POST");
    assert_eq!(subs[1]["form"]["probe"]["everySecs"], 300);

    // Add: it is listed and it opens; messages arrive.
    let url = h.demo_url("/events?rate=50");
    let added = h.ok("add_subscription", json!({ "form": form("ticks", &url) }));
    let id = added["id"].as_u64().unwrap();
    assert_eq!(added["name"], "ticks");
    assert_eq!(added["form"]["headers"][0]["value"], "streamwatch-test");
    assert!(h.list().iter().any(|s| s["id"] == id));
    let open = h.wait_for(id, "open with messages", |s| {
        state_of(s) == "open" && messages_of(s) >= 5
    });
    assert!(open["status"]["connectedSinceMs"].as_u64().is_some());
    // No alert loop runs here: the health is the state's own.
    assert_eq!(open["status"]["health"], "open");
    assert!(open["status"]["lastMessageAtMs"].as_u64().is_some());

    // Pause and resume.
    assert_eq!(h.ok("pause_subscription", json!({ "id": id })), Value::Null);
    let paused = h.wait_for(id, "paused", |s| state_of(s) == "paused");
    assert_eq!(paused["form"]["paused"], true);
    h.ok("resume_subscription", json!({ "id": id }));
    let resumed = h.wait_for(id, "open again", |s| state_of(s) == "open");
    assert_eq!(resumed["form"]["paused"], false);
    let before = messages_of(&resumed);
    h.wait_for(id, "messages after resuming", |s| {
        messages_of(s) > before + 3
    });

    // Update: the new settings are saved and the stream goes on.
    let mut changed = form("ticks renamed", &url);
    changed["idleTimeoutSecs"] = json!(30);
    let updated = h.ok("update_subscription", json!({ "id": id, "form": changed }));
    assert_eq!(updated["name"], "ticks renamed");
    assert_eq!(updated["form"]["idleTimeoutSecs"], 30);
    let now = messages_of(&h.find(id).unwrap());
    h.wait_for(id, "messages after the update", |s| {
        state_of(s) == "open" && messages_of(s) > now + 3
    });

    // History: stored rows, newest first, with their seq; pages follow on.
    h.ok("reconnect_now", json!({ "id": id }));
    tauri::async_runtime::block_on(h.state().monitor.flush()).unwrap();
    let page = h.ok(
        "history_page",
        json!({ "id": id, "beforeSeq": null, "limit": 10 }),
    );
    let page = page.as_array().unwrap();
    assert_eq!(page.len(), 10);
    let seqs: Vec<u64> = page.iter().map(|m| m["seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] > w[1]), "{seqs:?}");
    assert!(page
        .iter()
        .all(|m| m["subscriptionId"] == id && m["event"] == "tick"));
    let last = *seqs.last().unwrap();
    let next = h.ok(
        "history_page",
        json!({ "id": id, "beforeSeq": last, "limit": 5 }),
    );
    assert_eq!(next[0]["seq"].as_u64().unwrap(), last - 1);

    // Timeline: the stream's steps and the pause, oldest first, each in words.
    let timeline = h.ok("timeline", json!({ "id": id, "sinceMs": null }));
    let timeline = timeline.as_array().unwrap();
    let kinds: Vec<&str> = timeline
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"started") && kinds.contains(&"paused"),
        "{timeline:#?}"
    );
    assert!(timeline
        .iter()
        .all(|e| e["title"].as_str().is_some_and(|t| !t.is_empty())));
    let at: Vec<u64> = timeline
        .iter()
        .map(|e| e["atMs"].as_u64().unwrap())
        .collect();
    assert!(at.windows(2).all(|w| w[0] <= w[1]));
    let later = h.ok("timeline", json!({ "id": id, "sinceMs": u64::MAX / 2 }));
    assert_eq!(later, json!([]));

    // Stats.
    let stats = h.ok("subscription_stats", json!({ "id": id }));
    assert!(stats["messagesStored"].as_u64().unwrap() >= 10, "{stats}");
    let uptime = stats["uptimeTodayPercent"].as_f64().unwrap();
    assert!(uptime > 0.0 && uptime <= 100.0, "{stats}");

    // Export: the CLI's format, with history.
    let text = h.ok("export_subscriptions", json!({ "withHistory": true }));
    let file: Value = serde_json::from_str(text.as_str().unwrap()).unwrap();
    assert_eq!(file["format"], "streamwatch-export");
    assert_eq!(file["version"], 1);
    let exported = file["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "ticks renamed")
        .unwrap();
    assert_eq!(exported["idle_timeout_ms"], 30_000);
    assert!(!exported["history"].as_array().unwrap().is_empty());
    // What `streamwatch import` reads back: the same settings, every message with its time.
    let read = streamwatch_engine::export_format::parse(text.as_str().unwrap(), "the export")
        .expect("the CLI's parser reads the app's export");
    let sub = read
        .subscriptions
        .iter()
        .find(|s| s.name == "ticks renamed")
        .unwrap();
    assert_eq!(sub.to_record().0.idle_timeout_ms, Some(30_000));
    for m in sub.history.as_deref().unwrap() {
        m.received_at().expect("an RFC 3339 time");
    }

    // Remove.
    assert_eq!(
        h.ok("remove_subscription", json!({ "id": id })),
        Value::Null
    );
    assert!(h.find(id).is_none());
    let err = h
        .invoke(
            "history_page",
            json!({ "id": id, "beforeSeq": null, "limit": 10 }),
        )
        .unwrap_err();
    assert_eq!(err["kind"], "notFound", "{err}");
    let err = h
        .invoke("pause_subscription", json!({ "id": id }))
        .unwrap_err();
    assert_eq!(err["kind"], "notFound", "{err}");

    h.shutdown();
}

#[test]
fn invalid_forms_name_the_field() {
    let h = Harness::start();
    let err = h
        .invoke(
            "add_subscription",
            json!({ "form": form("bad", "not a url") }),
        )
        .unwrap_err();
    assert_eq!(err["kind"], "invalid", "{err}");
    assert_eq!(err["field"], "url", "{err}");
    assert!(
        err["message"].as_str().unwrap().contains("not a url"),
        "{err}"
    );

    let mut f = form("bad", &h.demo_url("/events"));
    f["retryMaxMs"] = json!(10);
    let err = h
        .invoke("add_subscription", json!({ "form": f }))
        .unwrap_err();
    assert_eq!(
        (&err["kind"], &err["field"]),
        (&json!("invalid"), &json!("retryMaxMs"))
    );

    let mut f = form("bad", &h.demo_url("/events"));
    f["headers"][0]["name"] = json!("no spaces allowed");
    let err = h
        .invoke("add_subscription", json!({ "form": f }))
        .unwrap_err();
    assert_eq!(err["field"], "headers.0.name", "{err}");

    // The name is taken (ASCII case ignored).
    let err = h
        .invoke(
            "add_subscription",
            json!({ "form": form("demo STREAM", &h.demo_url("/events")) }),
        )
        .unwrap_err();
    assert_eq!(
        (&err["kind"], &err["field"]),
        (&json!("invalid"), &json!("name"))
    );

    let err = h
        .invoke(
            "history_page",
            json!({ "id": 1, "beforeSeq": null, "limit": 0 }),
        )
        .unwrap_err();
    assert_eq!(err["kind"], "invalid");
    let err = h
        .invoke(
            "update_subscription",
            json!({ "id": 999, "form": form("x", &h.demo_url("/")) }),
        )
        .unwrap_err();
    assert_eq!(err["kind"], "notFound", "{err}");
    // Nothing was added by the failures.
    assert_eq!(h.list().len(), 2);
    h.shutdown();
}

#[test]
fn the_bridge_sends_batched_updates() {
    let h = Harness::start();
    let batches = h.collect_batches();
    // The first batch brings every status, the demo subscription's included.
    let demo_id = h.list()[0]["id"].as_u64().unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while batches.lock().unwrap().is_empty() {
        assert!(Instant::now() < deadline, "no first batch");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(batches.lock().unwrap()[0]
        .statuses
        .iter()
        .any(|s| s.id == demo_id));
    let added = h.ok(
        "add_subscription",
        json!({ "form": form("fast", &h.demo_url("/events?rate=200")) }),
    );
    let id = added["id"].as_u64().unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        {
            let got = batches.lock().unwrap();
            let messages: usize = got
                .iter()
                .flat_map(|b| &b.messages)
                .filter(|m| m.subscription_id == id)
                .count();
            let saw_added = got.iter().any(|b| b.added.iter().any(|v| v.id == id));
            let saw_open = got.iter().any(|b| {
                b.statuses
                    .iter()
                    .any(|s| s.id == id && s.status.state == StateName::Open)
            });
            let saw_started = got.iter().any(|b| {
                b.lifecycle
                    .iter()
                    .any(|l| l.subscription_id == id && l.detail.contains("/events"))
            });
            if messages >= 50 && saw_added && saw_open && saw_started {
                assert!(got.iter().all(|b| !b.is_empty()), "no empty batches");
                // ~20 Hz: 50+ messages at 200/s arrive in far fewer batches than messages.
                assert!(got.len() < messages, "{} batches", got.len());
                // Statuses are coalesced: one entry per subscription per batch.
                for b in got.iter() {
                    let mut ids: Vec<u64> = b.statuses.iter().map(|s| s.id).collect();
                    ids.dedup();
                    assert_eq!(ids.len(), b.statuses.len());
                }
                break;
            }
        }
        assert!(Instant::now() < deadline, "timed out waiting for batches");
        std::thread::sleep(Duration::from_millis(50));
    }
    h.ok("remove_subscription", json!({ "id": id }));
    let deadline = Instant::now() + Duration::from_secs(5);
    while !batches
        .lock()
        .unwrap()
        .iter()
        .any(|b| b.removed.contains(&id))
    {
        assert!(Instant::now() < deadline, "no removal announced");
        std::thread::sleep(Duration::from_millis(20));
    }
    h.shutdown();
}

#[test]
fn the_demo_subscription_follows_the_port_and_is_offered_once() {
    let dir = tempfile::tempdir().unwrap();
    let first = open_state(dir.path());
    let port = first.demo.as_ref().unwrap().addr().port();
    let saved = first.monitor.catalog().subscriptions().unwrap();
    assert_eq!(saved.len(), 2);
    assert_eq!(saved[0].record.notify, json!({"demo": true}));
    assert!(saved[0].record.url.contains(&format!(":{port}/")));
    // The LLM probe is a demo too, POSTing to the demo's chat endpoint every 5 minutes.
    assert_eq!(saved[1].record.name, DEMO_PROBE_NAME);
    assert_eq!(saved[1].record.notify, json!({"demo": true}));
    assert_eq!(saved[1].record.method, "POST");
    assert_eq!(saved[1].record.probe_every_ms, Some(300_000));
    assert!(saved[1]
        .record
        .url
        .ends_with(&format!(":{port}/v1/chat/completions")));
    assert!(dir.path().join(FIRST_RUN_MARKER).exists());
    tauri::async_runtime::block_on(first.shutdown());
    drop(first);

    // As if the last run's demo server had another port.
    {
        let store = streamwatch_engine::storage::Store::open(dir.path()).unwrap();
        let mut record = saved[0].record.clone();
        record.url = "http://127.0.0.1:1/events?rate=5&close_after=25".into();
        store.update_subscription(saved[0].id, &record).unwrap();
    }
    // The preferred port is taken: any free port is used.
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy_port = busy.local_addr().unwrap().port();
    let second = tauri::async_runtime::block_on(AppState::open(StartOptions {
        data_dir: dir.path().to_path_buf(),
        demo_port: busy_port,
    }))
    .unwrap();
    let new_port = second.demo.as_ref().unwrap().addr().port();
    assert_ne!(new_port, busy_port);
    let saved = second.monitor.catalog().subscriptions().unwrap();
    assert_eq!(saved.len(), 2);
    assert_eq!(
        saved[0].record.url,
        format!("http://127.0.0.1:{new_port}/events?rate=5&close_after=25")
    );
    assert_eq!(
        saved[1].record.url,
        format!("http://127.0.0.1:{new_port}/v1/chat/completions")
    );
    // Removed by the user: not offered again.
    for s in &saved {
        second.monitor.remove(s.id).unwrap();
    }
    tauri::async_runtime::block_on(second.shutdown());
    drop(second);
    let third = open_state(dir.path());
    assert!(third.monitor.catalog().subscriptions().unwrap().is_empty());
    tauri::async_runtime::block_on(third.shutdown());
}

#[test]
fn the_demo_resumes_at_once_after_a_relaunch_and_its_planned_drops_are_not_errors() {
    let dir = tempfile::tempdir().unwrap();
    let first = open_state(dir.path());
    let saved = first.monitor.catalog().subscriptions().unwrap();
    let id = saved[0].id;
    // The window's note reads its number from the demo's knobs.
    let view = streamwatch_app_api::views::view_of(&first.monitor, &first.health, id).unwrap();
    assert_eq!(view.demo.and_then(|d| d.drops_every), Some(25));
    tauri::async_runtime::block_on(first.shutdown());
    drop(first);

    // As if the last run had got to id 2785: a relaunch starts a new demo server, whose own
    // count starts again near 0, and the demo resumes with Last-Event-ID: 2785.
    {
        let store = streamwatch_engine::storage::Store::open(dir.path()).unwrap();
        let mut record = saved[0].record.clone();
        record.last_event_id = Some("2785".into());
        store.update_subscription(id, &record).unwrap();
    }
    let second = tauri::async_runtime::block_on(async {
        let state = AppState::open(StartOptions {
            data_dir: dir.path().to_path_buf(),
            demo_port: 0,
        })
        .await
        .expect("the app state opens");
        // Inside the runtime: the saved demo subscription's task is spawned here.
        state.start_saved().expect("saved subscriptions start");
        state
    });
    let saved = second.monitor.catalog().subscriptions().unwrap();
    let last_id = |s: &streamwatch_engine::Status| s.last_id.parse::<u64>().unwrap_or(0);
    // Past one planned close (25 events at 5/s) and the reconnect after it. Without the demo
    // going on from 2786, its next id would be minutes away and this would time out.
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        let status = second.monitor.status_of(&saved[0]);
        if last_id(&status) >= 2785 + 25 + 2 {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the demo did not go on: {status:#?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.reconnects >= 1, "{status:#?}");
    assert_eq!(
        status.last_error, None,
        "a planned close was shown as an error"
    );
    assert_eq!((status.gaps, status.resets), (0, 0), "{status:#?}");
    tauri::async_runtime::block_on(second.shutdown());
}

#[test]
fn a_damaged_database_is_refused_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("streamwatch.db");
    std::fs::write(&db, vec![0x5a; 64 * 1024]).unwrap();
    let err = tauri::async_runtime::block_on(AppState::open(StartOptions {
        data_dir: dir.path().to_path_buf(),
        demo_port: 0,
    }))
    .err()
    .expect("a damaged database is refused");
    assert!(err.message.contains(&db.display().to_string()), "{err}");
    // Left as it was.
    assert_eq!(std::fs::read(&db).unwrap(), vec![0x5a; 64 * 1024]);
}

#[test]
fn the_capability_grants_our_commands_to_the_main_window_only() {
    let dir = tempfile::tempdir().unwrap();
    let h = Harness::with_context(open_state(dir.path()), streamwatch_app::context());
    // Every command is registered and allowed on the main window: none is "not found" or
    // "not allowed" (the ones needing arguments fail on those instead).
    for cmd in commands::COMMANDS {
        if let Err(e) = h.invoke(cmd, json!({})) {
            let text = e.to_string();
            assert!(
                !text.contains("not found") && !text.contains("not allowed"),
                "{cmd}: {text}"
            );
        }
    }
    assert_eq!(h.list().len(), 2);
    // Another window gets nothing.
    let other = WebviewWindowBuilder::new(&h.app, "other", Default::default())
        .build()
        .unwrap();
    let err = Harness::invoke_on(&other, "list_subscriptions", json!({})).unwrap_err();
    assert!(err.to_string().contains("not allowed"), "{err}");
    // Plugin commands the page does not use are refused: above all the store's `load`, whose
    // path may point anywhere; the page only gets the store the shell opened.
    for (cmd, args) in [
        ("plugin:store|load", json!({"path": "/tmp/anywhere.json"})),
        ("plugin:store|save", json!({"rid": 0})),
        ("plugin:window-state|filename", json!({})),
        (
            "plugin:window|set_title",
            json!({"label": "main", "value": "x"}),
        ),
    ] {
        let err = h.invoke(cmd, args).unwrap_err();
        assert!(err.to_string().contains("not allowed"), "{cmd}: {err}");
    }
    h.shutdown();
}

#[test]
fn the_capability_lists_only_what_the_page_uses() {
    let capability: Value =
        serde_json::from_str(include_str!("../capabilities/main.json")).unwrap();
    let mut granted: Vec<&str> = capability["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().expect("plain permission identifiers"))
        .collect();
    granted.sort_unstable();
    // `listen`/`unlisten`: ui/src/lib/api.ts; the store's get/set on the shell's prefs store:
    // ui/src/lib/prefs.svelte.ts; the save / open dialogs: ui/src/lib/file-dialog.ts. A new
    // plugin call in the UI needs its permission here.
    assert_eq!(
        granted,
        [
            "core:event:allow-listen",
            "core:event:allow-unlisten",
            "default",
            "dialog:allow-open",
            "dialog:allow-save",
            "store:allow-get",
            "store:allow-get-store",
            "store:allow-set",
        ]
    );
    assert_eq!(capability["windows"], json!([MAIN_WINDOW]));
}

#[test]
fn permissions_cover_every_command() {
    let toml = include_str!("../permissions/commands.toml");
    let mut granted: Vec<&str> = toml
        .lines()
        .filter_map(|l| l.trim().strip_prefix("commands.allow = [\""))
        .map(|rest| rest.trim_end_matches("\"]"))
        .collect();
    let mut commands = commands::COMMANDS.to_vec();
    granted.sort();
    commands.sort();
    assert_eq!(granted, commands);
    for c in commands::COMMANDS {
        let allow = format!("\"allow-{}\"", c.replace('_', "-"));
        assert!(toml.contains(&allow), "{allow} is not in the default set");
    }
}

#[test]
fn a_subscription_that_cannot_start_shows_failed_until_fixed() {
    let dir = tempfile::tempdir().unwrap();
    {
        // Saved by hand with settings the engine refuses to run.
        let store = streamwatch_engine::storage::Store::open(dir.path()).unwrap();
        let record = streamwatch_engine::storage::SubscriptionRecord::new("broken", "ftp://x/");
        store.add_subscription(&record).unwrap();
    }
    let h = Harness::with_context(open_state(dir.path()), mock_context(noop_assets()));
    let subs = h.list();
    // Not the first run: no demo subscription is offered.
    assert_eq!(subs.len(), 1, "{subs:#?}");
    let broken = &subs[0];
    let id = broken["id"].as_u64().unwrap();
    assert_eq!(state_of(broken), "failed");
    let why = broken["status"]["lastError"].as_str().unwrap();
    assert!(
        why.contains("could not start") && why.contains("ftp"),
        "{why}"
    );
    // Resuming cannot help: the same error, typed.
    let err = h
        .invoke("resume_subscription", json!({ "id": id }))
        .unwrap_err();
    assert_eq!(
        (&err["kind"], &err["field"]),
        (&json!("invalid"), &json!("url"))
    );
    // Pausing a subscription that does not run is saved.
    h.ok("pause_subscription", json!({ "id": id }));
    assert_eq!(h.find(id).unwrap()["form"]["paused"], true);
    // Fixing it starts it.
    let fixed = h.ok(
        "update_subscription",
        json!({ "id": id, "form": form("broken", &h.demo_url("/events?rate=50")) }),
    );
    assert_eq!(fixed["url"], h.demo_url("/events?rate=50").as_str());
    h.wait_for(id, "the fixed subscription opens", |s| {
        state_of(s) == "open" && messages_of(s) > 0
    });
    h.shutdown();
}

/// Waits until a batch in `batches` satisfies `found`.
fn wait_for_batch(
    batches: &Mutex<Vec<UpdateBatch>>,
    what: &str,
    found: impl Fn(&UpdateBatch) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !batches.lock().unwrap().iter().any(&found) {
        assert!(Instant::now() < deadline, "timed out: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn changes_the_cli_makes_while_the_app_runs_are_applied_and_shown() {
    use streamwatch_engine::storage::{Store, SubscriptionRecord};
    let h = Harness::start();
    let batches = h.collect_batches();
    h.state().watch_store();
    // The CLI is another process with its own connection to the same database.
    let cli = Store::open(&h.state().data_dir).unwrap();

    let url = h.demo_url("/events?rate=50");
    let id = cli
        .add_subscription(&SubscriptionRecord::new("from the cli", &url))
        .unwrap();
    wait_for_batch(
        &batches,
        "the window is told of the new subscription",
        |b| {
            b.added
                .iter()
                .any(|v| v.id == id.0 && v.name == "from the cli")
        },
    );
    h.wait_for(id.0, "the app runs it", |s| {
        state_of(s) == "open" && messages_of(s) > 0
    });

    let mut renamed = cli.subscription(id).unwrap().record;
    renamed.name = "renamed by the cli".into();
    renamed.url = h.demo_url("/events?rate=60");
    cli.update_subscription(id, &renamed).unwrap();
    wait_for_batch(&batches, "the window is told of the edit", |b| {
        b.added
            .iter()
            .any(|v| v.id == id.0 && v.name == "renamed by the cli")
    });
    h.wait_for(id.0, "it runs with the new URL", |s| {
        s["url"] == h.demo_url("/events?rate=60").as_str() && state_of(s) == "open"
    });

    // One the engine cannot run shows as failed with why, told once.
    let broken = cli
        .add_subscription(&SubscriptionRecord::new("broken by the cli", "ftp://x/"))
        .unwrap();
    wait_for_batch(&batches, "the window is told it failed", |b| {
        b.added.iter().any(|v| {
            v.id == broken.0
                && v.status.state == StateName::Failed
                && v.status
                    .last_error
                    .as_deref()
                    .is_some_and(|e| e.contains("ftp"))
        })
    });
    std::thread::sleep(streamwatch_app_api::store_sync::SYNC_EVERY * 2);
    let told = batches
        .lock()
        .unwrap()
        .iter()
        .flat_map(|b| &b.added)
        .filter(|v| v.id == broken.0)
        .count();
    assert_eq!(told, 1, "a failure that does not change is told once");

    cli.remove_subscription(id).unwrap();
    wait_for_batch(&batches, "the window is told of the removal", |b| {
        b.removed.contains(&id.0)
    });
    assert!(h.find(id.0).is_none());
    h.shutdown();
}

#[test]
fn parse_curl_fills_the_form_and_names_a_refused_option() {
    let h = Harness::start();
    let before = h.list().len();
    let paste = h
        .invoke(
            "parse_curl",
            json!({ "text": "curl 'http://127.0.0.1:9/events' -H 'authorization: Bearer t' --data-raw '{}' -H 'content-type: application/json'" }),
        )
        .expect("a curl command is read");
    assert_eq!(paste["url"], "http://127.0.0.1:9/events");
    assert_eq!(paste["method"], "POST");
    assert_eq!(paste["body"], "{}");
    assert_eq!(
        paste["headers"][0],
        json!({ "name": "authorization", "value": "Bearer t", "secret": true, "hasStoredValue": false })
    );
    assert_eq!(
        paste["filled"],
        json!(["URL", "method POST", "2 headers (1 secret)", "body"])
    );
    // Nothing is saved.
    assert_eq!(h.list().len(), before);
    let err = h
        .invoke(
            "parse_curl",
            json!({ "text": "curl --foo http://127.0.0.1:9/" }),
        )
        .unwrap_err();
    assert_eq!(
        (&err["kind"], &err["message"], &err["field"]),
        (
            &json!("invalid"),
            &json!("unknown curl option --foo"),
            &json!("curl")
        )
    );
    h.shutdown();
}
