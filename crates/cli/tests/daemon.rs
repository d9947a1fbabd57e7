//! `streamwatch run` against the demo server: nothing lost or repeated across clean restarts
//! and kill -9, gaps reported, edits from another shell applied, and the metrics endpoint.

// Unix only: the daemon is stopped, reloaded and told to reconnect by Unix signals.
#![cfg(unix)]

mod common;

use std::time::Duration;

use common::exposition::{self, value};
use common::store::Data;
use serde_json::{json, Value};
use streamwatch_demo_server::{DemoConfig, DemoServer};
use streamwatch_test_support::{assert_consecutive, start_demo};

/// A demo server whose streams can be resumed far back.
async fn demo() -> DemoServer {
    start_demo(DemoConfig {
        heartbeat: None,
        replay: 1_000_000,
        ..DemoConfig::default()
    })
    .await
}

/// The event ids of `history`, checking that each message's data says the same number.
fn checked_ids(history: &[Value]) -> Vec<u64> {
    history
        .iter()
        .map(|m| {
            let id: u64 = m["id"].as_str().unwrap().parse().expect("numeric id");
            let data: Value = serde_json::from_str(m["data"].as_str().unwrap()).unwrap();
            assert_eq!(data["n"], id, "data n differs from the id: {m}");
            id
        })
        .collect()
}

/// The stored resume point of `name`, as a number.
async fn stored_last_id(data: &Data, name: &str) -> u64 {
    data.show(name).await["last_event_id"]
        .as_str()
        .expect("a stored last id")
        .parse()
        .expect("numeric")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clean_restarts_resume_without_holes_or_duplicates() {
    let server = demo().await;
    let data = Data::new();
    data.ok(&["subs", "add", "ticks", &server.url("/events?rate=200")])
        .await;

    let mut run = data.daemon(&[]);
    run.until_state("ticks", "open").await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let first = run.terminate().await;
    assert!(
        first.log.iter().any(|l| l["type"] == "summary"),
        "a final summary: {first:#?}"
    );
    let before = checked_ids(&data.history("ticks").await);
    assert_consecutive(&before);
    assert!(
        before.len() >= 100,
        "about 200 in a second: {}",
        before.len()
    );
    assert_eq!(
        stored_last_id(&data, "ticks").await,
        *before.last().unwrap()
    );

    // Events keep being published while nothing runs; the restart asks for them.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut run = data.daemon(&[]);
    run.until_state("ticks", "open").await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    run.terminate().await;
    let after = checked_ids(&data.history("ticks").await);
    assert_consecutive(&after);
    assert_eq!(
        &after[..before.len()],
        &before[..],
        "the first run's history is kept"
    );
    assert!(
        after.len() > before.len() + 100,
        "{} then {}",
        before.len(),
        after.len()
    );
    let show = data.show("ticks").await;
    assert_eq!(show["counters"]["gaps"], 0, "{show:#}");
    assert_eq!(show["last_event_id"], after.last().unwrap().to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_in_a_fast_stream_loses_nothing_and_repeats_nothing() {
    let server = demo().await;
    let data = Data::new();
    data.ok(&[
        "subs",
        "add",
        "fast",
        &server.url("/events?rate=5000&size=50"),
    ])
    .await;

    let mut run = data.daemon(&[]);
    run.until_state("fast", "open").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let killed = run.stop_with(libc::SIGKILL).await;
    assert_eq!(killed.code, None, "killed by the signal: {killed:#?}");

    let last_after_kill = stored_last_id(&data, "fast").await;
    let first = data.history("fast").await;
    let first_ids = checked_ids(&first);
    assert_consecutive(&first_ids);
    assert!(first_ids.len() > 1000, "{} stored", first_ids.len());
    // A message and the new last id share a transaction: the stored last id is exactly the
    // newest stored message, never past it.
    assert_eq!(last_after_kill, *first_ids.last().unwrap());

    let mut run = data.daemon(&[]);
    run.until_state("fast", "open").await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    run.terminate().await;

    let last_final = stored_last_id(&data, "fast").await;
    assert!(
        last_final > last_after_kill,
        "{last_after_kill} then {last_final}"
    );
    let all = data.history("fast").await;
    let all_ids = checked_ids(&all);
    assert_consecutive(&all_ids);
    assert_eq!(last_final, *all_ids.last().unwrap());
    assert_eq!(
        &all[..first.len()],
        &first[..],
        "the first run's rows are a prefix"
    );
    let seqs: Vec<u64> = all.iter().map(|m| m["seq"].as_u64().unwrap()).collect();
    assert_consecutive(&seqs);
    let show = data.show("fast").await;
    assert_eq!(show["counters"]["gaps"], 0, "{show:#}");
    assert_eq!(show["counters"]["messages"], all.len(), "{show:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gaps_after_a_reconnect_are_stored_logged_and_counted() {
    let server = demo().await;
    let data = Data::new();
    // Dropped after 20 events; on reconnect only the last 2 published can be replayed, and
    // at 200/s many more were published while it waited: a gap every time.
    let url = server.url("/events?rate=200&close_after=20&replay=2");
    data.ok(&["subs", "add", "lossy", &url, "--retry-initial", "200"])
        .await;

    let mut run = data.daemon(&["--metrics", "127.0.0.1:0"]);
    let metrics_url = run.metrics_url().await;
    let gap = run.until("a gap line", |l| l["type"] == "gap").await;
    assert_eq!(gap["subscription"], "lossy");
    assert!(gap["missed"].as_u64().unwrap() > 0, "{gap}");
    assert_eq!(
        gap["next"].as_u64().unwrap() - gap["after"].as_u64().unwrap() - 1,
        gap["missed"].as_u64().unwrap()
    );
    let text = scrape(&metrics_url).await;
    let families = exposition::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let labels = [("subscription", "lossy"), ("id", "1")];
    let gaps = value(&families, "streamwatch_gaps_total", &labels).expect("gaps_total");
    let missed =
        value(&families, "streamwatch_missed_events_total", &labels).expect("missed_total");
    let reconnects =
        value(&families, "streamwatch_reconnects_total", &labels).expect("reconnects_total");
    assert!(gaps >= 1.0 && missed >= gaps && reconnects >= 1.0, "{text}");
    run.terminate().await;

    let show = data.show("lossy").await;
    assert!(show["counters"]["gaps"].as_u64().unwrap() >= 1, "{show:#}");
    assert!(
        show["counters"]["missed_events"].as_u64().unwrap() >= 1,
        "{show:#}"
    );
    assert!(show["gaps"]["count"].as_u64().unwrap() >= 1, "{show:#}");
    let recent = &show["gaps"]["recent"][0];
    assert!(recent["missed"].as_u64().unwrap() >= 1, "{show:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_follow_the_streams_and_edits_from_another_shell() {
    let server = demo().await;
    let data = Data::new();
    let quoted = "a \"quoted\", name";
    data.ok(&["subs", "add", quoted, &server.url("/events?rate=50")])
        .await;
    data.ok(&[
        "subs",
        "add",
        "idle",
        &server.url("/events?rate=50"),
        "--paused",
    ])
    .await;

    let mut run = data.daemon(&["--metrics", "127.0.0.1:0"]);
    let url = run.metrics_url().await;
    run.until_state(quoted, "open").await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let response = reqwest::get(&url).await.expect("scrape");
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    let text = response.text().await.unwrap();
    let families = exposition::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let kinds: Vec<(&str, &str)> = families
        .iter()
        .map(|f| (f.name.as_str(), f.kind.as_str()))
        .collect();
    for expected in [
        ("streamwatch_up", "gauge"),
        ("streamwatch_state", "gauge"),
        ("streamwatch_messages", "counter"),
        ("streamwatch_bytes", "counter"),
        ("streamwatch_reconnects", "counter"),
        ("streamwatch_gaps", "counter"),
        ("streamwatch_missed_events", "counter"),
        ("streamwatch_last_message_age_seconds", "gauge"),
        ("streamwatch_connected_seconds", "gauge"),
    ] {
        assert!(kinds.contains(&expected), "{expected:?} in {kinds:?}");
    }
    for f in families
        .iter()
        .filter(|f| f.name != "streamwatch_subscriptions")
    {
        for s in &f.samples {
            assert!(
                s.labels.contains_key("subscription") && s.labels.contains_key("id"),
                "{s:?}"
            );
        }
    }
    let live = [("subscription", quoted), ("id", "1")];
    let idle = [("subscription", "idle"), ("id", "2")];
    assert_eq!(
        value(&families, "streamwatch_up", &live),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value(&families, "streamwatch_up", &idle),
        Some(0.0),
        "{text}"
    );
    let state_of = |families: &[exposition::Family], labels: &[(&str, &str)]| {
        let on: Vec<String> = families
            .iter()
            .filter(|f| f.name == "streamwatch_state")
            .flat_map(|f| &f.samples)
            .filter(|s| labels.iter().all(|(k, v)| s.labels[*k] == *v))
            .filter(|s| s.value == 1.0)
            .map(|s| s.labels["state"].clone())
            .collect();
        assert_eq!(on.len(), 1, "one-hot: {on:?}");
        on[0].clone()
    };
    assert_eq!(state_of(&families, &live), "open");
    assert_eq!(state_of(&families, &idle), "paused");
    let first = value(&families, "streamwatch_messages_total", &live).unwrap();
    assert!(first > 0.0, "{text}");
    assert!(value(&families, "streamwatch_bytes_total", &live).unwrap() > 0.0);
    assert!(value(&families, "streamwatch_connected_seconds", &live).unwrap() > 0.0);
    assert!(value(&families, "streamwatch_last_message_age_seconds", &live).unwrap() < 5.0);
    assert_eq!(
        value(&families, "streamwatch_last_message_age_seconds", &idle),
        None,
        "no age before a first message"
    );

    // Edits made by another process reach the running daemon.
    data.ok(&["subs", "resume", "idle"]).await;
    data.ok(&["subs", "pause", quoted]).await;
    run.until_state("idle", "open").await;
    run.until_state(quoted, "paused").await;
    let text = scrape(&url).await;
    let families = exposition::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(state_of(&families, &live), "paused");
    assert_eq!(state_of(&families, &idle), "open");
    let second = value(&families, "streamwatch_messages_total", &live).unwrap();
    assert!(second > first, "{first} then {second}");

    data.ok(&["subs", "add", "late", &server.url("/events?rate=50")])
        .await;
    run.until("the new subscription", |l| {
        l["type"] == "config" && l["change"] == "added" && l["subscription"] == "late"
    })
    .await;
    run.until_state("late", "open").await;
    data.ok(&["subs", "remove", "late"]).await;
    run.until("the removal", |l| {
        l["type"] == "config" && l["change"] == "removed" && l["subscription"] == "late"
    })
    .await;
    let ended = run.terminate().await;
    assert!(ended.stderr.is_empty(), "{ended:#?}");
    // The endpoint went away with the daemon.
    assert!(reqwest::get(&url).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_file_adds_and_updates_subscriptions_by_name() {
    let server = demo().await;
    let data = Data::new();
    data.ok(&["subs", "add", "kept", "http://127.0.0.1:9/", "--paused"])
        .await;
    data.ok(&[
        "subs",
        "add",
        "changed",
        "http://127.0.0.1:9/old",
        "--paused",
    ])
    .await;
    let config = json!({
        "format": "streamwatch-export",
        "version": 1,
        "subscriptions": [
            {"name": "declared", "url": server.url("/events?rate=50"),
             "headers": [{"name": "X-From", "value": "config"}]},
            {"name": "changed", "url": "http://127.0.0.1:9/new", "paused": true,
             "redirects": "never"},
        ],
    });
    let path = data.path().join("subs.json");
    std::fs::write(&path, config.to_string()).unwrap();
    let path = path.to_str().unwrap();

    let mut run = data.daemon(&["--config", path]);
    run.until_state("declared", "open").await;
    let ended = run.terminate().await;
    let changes: Vec<(String, String)> = ended
        .log
        .iter()
        .filter(|l| l["type"] == "config")
        .map(|l| {
            (
                l["subscription"].as_str().unwrap().to_owned(),
                l["change"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            ("declared".to_owned(), "added".to_owned()),
            ("changed".to_owned(), "updated".to_owned())
        ]
    );
    assert_eq!(data.show("changed").await["url"], "http://127.0.0.1:9/new");
    assert_eq!(data.show("changed").await["redirects"], "never");
    assert_eq!(data.show("kept").await["url"], "http://127.0.0.1:9/");
    let requests = common::get_json(&server.url("/requests")).await;
    assert!(
        requests
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["headers"]["x-from"] == "config"),
        "{requests:#}"
    );
    // A second start with the same file changes nothing.
    let updated_at = data.show("changed").await["updated_at"].clone();
    let mut run = data.daemon(&["--config", path]);
    run.until_state("declared", "open").await;
    let ended = run.terminate().await;
    assert!(
        ended
            .log
            .iter()
            .filter(|l| l["type"] == "config")
            .all(|l| l["change"] == "unchanged"),
        "{ended:#?}"
    );
    assert_eq!(data.show("changed").await["updated_at"], updated_at);

    // A bad file is refused before anything starts.
    std::fs::write(data.path().join("bad.json"), "{\"format\":\"nope\"}").unwrap();
    let bad = data
        .run(&[
            "run",
            "--config",
            data.path().join("bad.json").to_str().unwrap(),
        ])
        .await;
    assert_eq!(bad.code, Some(1), "{bad:#?}");
    assert!(bad.stderr.contains("bad.json"), "{bad:#?}");
}

#[test]
fn the_exposition_checker_is_strict() {
    let ok = "# TYPE a counter\na_total{x=\"1\"} 2\n# EOF\n";
    assert!(exposition::parse(ok).is_ok());
    for bad in [
        "# TYPE a counter\na_total 2\n",                          // no EOF
        "# TYPE a counter\na 2\n# EOF\n",                         // counter without _total
        "# TYPE a gauge\na{x=1} 2\n# EOF\n",                      // unquoted label value
        "# TYPE a gauge\na{x=\"1\"} 2\na{x=\"1\"} 3\n# EOF\n",    // repeated label set
        "# TYPE a gauge\na 2\n# TYPE b gauge\nb 1\na 3\n# EOF\n", // interleaved family
        "# TYPE a gauge\na{x=\"\\q\"} 2\n# EOF\n",                // bad escape
        "# TYPE a gauge\na two\n# EOF\n",                         // not a number
    ] {
        assert!(exposition::parse(bad).is_err(), "{bad:?}");
    }
}

async fn scrape(url: &str) -> String {
    reqwest::get(url)
        .await
        .expect("scrape")
        .error_for_status()
        .expect("200")
        .text()
        .await
        .expect("a body")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigusr1_reconnects_all_and_sighup_rereads_the_config() {
    let server = demo().await;
    let data = Data::new();
    let path = data.path().join("subs.json");
    let declare = |subs: Value| {
        let file = json!({"format": "streamwatch-export", "version": 1, "subscriptions": subs});
        std::fs::write(&path, file.to_string()).unwrap();
    };
    // A stream that goes silent with its socket open: only the idle timeout (45 s at least)
    // would notice it without the signal.
    declare(
        json!([{"name": "quiet", "url": server.url("/events?rate=50&stall_after=3&test=usr1d")}]),
    );
    let path_arg = path.to_str().unwrap().to_owned();
    let mut run = data.daemon(&["--config", &path_arg]);
    let started = |l: &Value| l["type"] == "started" && l["subscription"] == "quiet";
    run.until("quiet's first start", started).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    run.signal(libc::SIGUSR1);
    let said = run
        .until("the signal line", |l| l["type"] == "signal")
        .await;
    assert_eq!(said["subscriptions"], 1, "{said}");
    let asked = std::time::Instant::now();
    run.until("quiet's second start", started).await;
    assert!(
        asked.elapsed() < Duration::from_secs(3),
        "{:?}",
        asked.elapsed()
    );
    let requests = common::get_json(&server.url("/requests")).await;
    let resumed: Vec<Option<&str>> = requests
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["path"].as_str().is_some_and(|p| p.contains("test=usr1d")))
        .map(|r| r["headers"]["last-event-id"].as_str())
        .collect();
    assert_eq!(resumed.len(), 2, "{requests:#}");
    assert!(resumed[1].is_some(), "the reconnect resumes: {resumed:?}");

    // SIGHUP applies an edited file without a restart.
    declare(json!([
        {"name": "quiet", "url": server.url("/events?rate=50&stall_after=3&test=usr1d")},
        {"name": "added", "url": server.url("/events?rate=50")},
    ]));
    run.signal(libc::SIGHUP);
    run.until("the added line", |l| {
        l["type"] == "config" && l["subscription"] == "added" && l["change"] == "added"
    })
    .await;
    run.until_state("added", "open").await;

    // A broken file is logged and changes nothing; the daemon goes on.
    std::fs::write(&path, "{\"format\":\"nope\"}").unwrap();
    run.signal(libc::SIGHUP);
    let error = run
        .until("the reload error", |l| l["type"] == "error")
        .await;
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("keeping")),
        "{error}"
    );
    let ended = run.terminate().await;
    assert!(ended.code == Some(0));
    assert_eq!(data.show("added").await["name"], "added");
}
