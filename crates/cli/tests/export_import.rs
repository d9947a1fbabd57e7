//! `streamwatch export` and `import`: configurations and history moved between data directories.

mod common;

use std::process::Stdio;

use common::store::Data;
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

/// `subs show --json` without what differs between two databases by nature.
async fn config_of(data: &Data, name: &str) -> Value {
    let mut show = data.show(name).await;
    let map = show.as_object_mut().unwrap();
    for key in ["id", "created_at", "updated_at"] {
        map.remove(key);
    }
    show
}

async fn names(data: &Data) -> Vec<String> {
    let list: Value =
        serde_json::from_str(&data.ok(&["subs", "list", "--json"]).await.stdout).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn subscriptions_survive_export_and_import() {
    let from = Data::new();
    from.ok(&[
        "subs",
        "add",
        "ticks",
        "http://127.0.0.1:9/events?rate=2",
        "-H",
        "X-A: 1",
        "-H",
        "X-B: two words",
        "-X",
        "PUT",
        "-d",
        "body \"quoted\"\nline",
        "--last-event-id",
        "7",
        "--idle-timeout",
        "30",
        "--retry-initial",
        "250",
        "--retry-max",
        "9000",
        "--max-retries",
        "3",
        "--keep-rows",
        "1234",
        "--keep-days",
        "0.5",
        "--paused",
        "--redirects",
        "same-origin",
    ])
    .await;
    from.ok(&["subs", "add", "plain", "https://example.com/feed"])
        .await;
    let file = from.path().join("export.json");
    let file_arg = file.to_str().unwrap();
    let exported = from.ok(&["export", "-o", file_arg]).await;
    assert!(
        exported.stdout.is_empty() && exported.stderr.is_empty(),
        "{exported:#?}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "owner-only: {mode:o}");
    }
    let text = std::fs::read_to_string(&file).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["format"], "streamwatch-export");
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["subscriptions"].as_array().unwrap().len(), 2);
    assert!(doc["subscriptions"][0].get("history").is_none(), "{doc:#}");
    assert_eq!(doc["subscriptions"][0]["redirects"], "same-origin");
    assert!(
        doc["subscriptions"][1].get("redirects").is_none(),
        "the default is left out: {doc:#}"
    );

    let to = Data::new();
    let imported = to.ok(&["import", file_arg]).await;
    assert!(
        imported.stdout.contains("imported 2 subscription(s)"),
        "{imported:#?}"
    );
    assert_eq!(names(&to).await, ["ticks", "plain"]);
    for name in ["ticks", "plain"] {
        assert_eq!(
            config_of(&from, name).await,
            config_of(&to, name).await,
            "{name}"
        );
    }

    // Importing the same names again is refused whole, naming them…
    let again = to.run(&["import", file_arg]).await;
    assert_eq!(again.code, Some(1), "{again:#?}");
    assert!(again.stderr.contains("\"ticks\""), "{again:#?}");
    assert!(again.stderr.contains("--rename"), "{again:#?}");
    assert_eq!(names(&to).await, ["ticks", "plain"]);
    // …or renamed on request.
    let renamed = to.ok(&["import", file_arg, "--rename"]).await;
    assert!(renamed.stdout.contains("\"ticks (2)\""), "{renamed:#?}");
    assert_eq!(
        names(&to).await,
        ["ticks", "plain", "ticks (2)", "plain (2)"]
    );
    let mut copy = config_of(&to, "ticks (2)").await;
    copy["name"] = "ticks".into();
    assert_eq!(copy, config_of(&from, "ticks").await);

    // Standard input works too.
    let piped = Data::new();
    let mut cmd = piped.cmd(&["import", "-"]);
    cmd.stdin(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(text.as_bytes()).await.unwrap();
    drop(stdin);
    let out = child.wait_with_output().await.unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(names(&piped).await, ["ticks", "plain"]);
}

#[tokio::test]
async fn history_and_the_resume_point_survive_the_round_trip() {
    let seed = Data::new();
    // Recent, or retention by age (30 days) would drop them at once.
    let start = jiff::Timestamp::now() - jiff::SignedDuration::from_secs(3600);
    let messages: Vec<Value> = (1..=50)
        .map(|n| {
            let at = start + jiff::SignedDuration::from_millis(n * 1001);
            json!({
                "received_at": format!("{at:.3}"),
                "event": if n % 2 == 0 { "even" } else { "odd" },
                "id": n.to_string(),
                "data": format!("{{\"n\":{n}}}, \"quoted\"\nsecond line"),
                // Every tenth one the server re-sent after a reconnect.
                "replayed": n % 10 == 0,
            })
        })
        .collect();
    let file = json!({
        "format": "streamwatch-export",
        "version": 1,
        "subscriptions": [{
            "name": "hist",
            "url": "http://127.0.0.1:9/events",
            "resume_id": "55",
            "history": messages,
        }],
    });
    let seed_file = seed.path().join("seed.json");
    std::fs::write(&seed_file, file.to_string()).unwrap();
    let out = seed.ok(&["import", seed_file.to_str().unwrap()]).await;
    assert!(out.stdout.contains("50 stored message(s)"), "{out:#?}");
    let seeded = seed.history("hist").await;
    assert_eq!(seeded.len(), 50);
    for (i, m) in seeded.iter().enumerate() {
        assert_eq!(m["seq"], i as u64 + 1);
        assert_eq!(m["id"], messages[i]["id"]);
        assert_eq!(m["data"], messages[i]["data"]);
        assert_eq!(m["event"], messages[i]["event"]);
        assert_eq!(m["received_at"], messages[i]["received_at"]);
        assert_eq!(
            m.get("replayed").is_some(),
            messages[i]["replayed"] == true,
            "{m}"
        );
    }
    let show = seed.show("hist").await;
    assert_eq!(
        show["last_event_id"], "55",
        "the file's resume point is kept"
    );
    assert_eq!(show["counters"]["messages"], 50);
    assert_eq!(show["counters"]["replayed"], 5);

    let exported = seed.ok(&["export", "--with-history"]).await.stdout;
    let doc: Value = serde_json::from_str(&exported).unwrap();
    assert_eq!(doc["subscriptions"][0]["resume_id"], "55");
    let history = doc["subscriptions"][0]["history"].as_array().unwrap();
    assert_eq!(history.len(), 50);
    assert_eq!(history[9]["replayed"], true);
    assert!(history[8].get("replayed").is_none(), "{:#}", history[8]);

    let to = Data::new();
    let file = to.path().join("all.json");
    std::fs::write(&file, &exported).unwrap();
    to.ok(&["import", file.to_str().unwrap()]).await;
    assert_eq!(to.history("hist").await, seeded);
    assert_eq!(to.show("hist").await["last_event_id"], "55");

    // Without history, only the configuration moves: no resume point.
    let configs = seed.ok(&["export"]).await.stdout;
    let bare = Data::new();
    let file = bare.path().join("bare.json");
    std::fs::write(&file, configs).unwrap();
    bare.ok(&["import", file.to_str().unwrap()]).await;
    assert!(bare.history("hist").await.is_empty());
    assert_eq!(bare.show("hist").await["last_event_id"], Value::Null);
}

#[tokio::test]
async fn bad_files_import_nothing_and_say_why() {
    let data = Data::new();
    data.ok(&["subs", "add", "existing", "http://127.0.0.1:9/"])
        .await;
    let sub = |name: &str, url: &str| json!({"name": name, "url": url});
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"subscriptions": []}),
            "not a streamwatch export file",
        ),
        (
            json!({"format": "streamwatch-export", "version": 2, "subscriptions": []}),
            "newer",
        ),
        (
            json!({"format": "streamwatch-export", "version": 1,
                   "subscriptions": [sub("ok", "http://h/"), sub("bad", "not a url")]}),
            "\"bad\"",
        ),
        (
            json!({"format": "streamwatch-export", "version": 1,
                   "subscriptions": [sub("new", "http://h/"), sub("existing", "http://h/")]}),
            "already exist",
        ),
        (
            json!({"format": "streamwatch-export", "version": 1,
                   "subscriptions": [{"name": "x", "url": "http://h/", "colour": "red"}]}),
            "colour",
        ),
        (
            json!({"format": "streamwatch-export", "version": 1,
                   "subscriptions": [{"name": "x", "url": "http://h/", "redirects": "sometimes"}]}),
            "redirects: unknown redirect mode \"sometimes\"",
        ),
    ];
    for (doc, needle) in cases {
        let file = data.path().join("bad.json");
        std::fs::write(&file, doc.to_string()).unwrap();
        let out = data.run(&["import", file.to_str().unwrap()]).await;
        assert_eq!(out.code, Some(1), "{doc}: {out:#?}");
        assert!(out.stderr.contains(needle), "{doc}: {out:#?}");
        assert_eq!(names(&data).await, ["existing"], "{doc}");
    }
    let missing = data.run(&["import", "/nonexistent/file.json"]).await;
    assert_eq!(missing.code, Some(1), "{missing:#?}");
    assert!(
        missing.stderr.contains("/nonexistent/file.json"),
        "{missing:#?}"
    );
}
