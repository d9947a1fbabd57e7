//! `streamwatch subs`: saved subscriptions edited in a throwaway data directory, and a database
//! that cannot be opened.

mod common;

use common::store::Data;
use serde_json::Value;

const URL: &str = "http://127.0.0.1:9/events";

#[tokio::test]
async fn add_list_show_edit_pause_resume_remove() {
    let data = Data::new();
    let added = data
        .ok(&[
            "subs",
            "add",
            "ticks",
            URL,
            "-H",
            "X-Client: test",
            "-X",
            "post",
            "-d",
            "{\"topic\":\"a\"}",
            "--last-event-id",
            "41",
            "--idle-timeout",
            "2.5",
            "--stale-after",
            "90",
            "--retry-initial",
            "200",
            "--retry-max",
            "5000",
            "--max-retries",
            "7",
            "--keep-rows",
            "500",
            "--keep-days",
            "2",
            "--redirects",
            "same-origin",
        ])
        .await;
    assert!(
        added.stdout.contains("added subscription \"ticks\" (id 1)"),
        "{added:#?}"
    );
    data.ok(&[
        "subs",
        "add",
        "other",
        "https://example.com/feed",
        "--paused",
    ])
    .await;

    let list: Value =
        serde_json::from_str(&data.ok(&["subs", "list", "--json"]).await.stdout).expect("JSON");
    let rows = list.as_array().expect("an array");
    assert_eq!(rows.len(), 2, "{list:#}");
    assert_eq!(rows[0]["id"], 1);
    assert_eq!(rows[0]["name"], "ticks");
    assert_eq!(rows[0]["state"], "enabled");
    assert_eq!(rows[0]["url"], URL);
    assert_eq!(rows[0]["messages_stored"], 0);
    assert_eq!(rows[0]["last_event_id"], "41");
    assert_eq!(rows[1]["state"], "paused");
    assert_eq!(rows[1]["last_event_id"], Value::Null);

    let table = data.ok(&["subs", "list"]).await.stdout;
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    for word in ["ID", "NAME", "STATE", "URL", "MESSAGES", "LAST ID"] {
        assert!(lines[0].contains(word), "{table}");
    }
    assert!(lines[1].contains("ticks") && lines[1].contains("enabled") && lines[1].contains(URL));
    assert!(lines[2].contains("other") && lines[2].contains("paused"));

    let show = data.show("ticks").await;
    assert_eq!(show["method"], "POST");
    assert_eq!(show["headers"][0]["name"], "X-Client");
    assert_eq!(show["headers"][0]["value"], "test");
    assert_eq!(show["body"], "{\"topic\":\"a\"}");
    assert_eq!(show["initial_last_event_id"], "41");
    assert_eq!(show["idle_timeout_ms"], 2500);
    assert_eq!(show["stale_after_secs"], 90);
    assert_eq!(show["retry_initial_ms"], 200);
    assert_eq!(show["retry_max_ms"], 5000);
    assert_eq!(show["max_retries"], 7);
    assert_eq!(show["keep_rows"], 500);
    assert_eq!(show["keep_age_ms"], 2 * 86_400_000u64);
    assert_eq!(show["counters"]["messages"], 0);
    assert_eq!(show["counters"]["replayed"], 0);
    assert_eq!(show["counters"]["resets"], 0);
    assert_eq!(show["gaps"]["count"], 0);
    assert_eq!(show["redirects"], "same-origin");
    assert_eq!(data.show("other").await["redirects"], "any", "the default");
    let human = data.ok(&["subs", "show", "1"]).await.stdout;
    assert!(human.contains("POST http://127.0.0.1:9/events"), "{human}");
    assert!(human.contains("X-Client: test"), "{human}");
    assert!(human.contains("redirects:       same-origin"), "{human}");
    assert!(human.contains("0 id resets"), "{human}");
    let bad = data
        .run(&["subs", "edit", "ticks", "--redirects", "sometimes"])
        .await;
    assert_eq!(bad.code, Some(2), "{bad:#?}");
    assert!(
        bad.stderr.contains("same-origin"),
        "lists the choices: {bad:#?}"
    );

    data.ok(&[
        "subs",
        "edit",
        "ticks",
        "--name",
        "renamed",
        "--remove-header",
        "x-client",
        "-H",
        "X-New: 2",
        "--no-body",
        "--retry-forever",
        "--idle-timeout",
        "0",
        "--stale-after",
        "auto",
        "-X",
        "GET",
        "--redirects",
        "never",
    ])
    .await;
    assert_eq!(data.run(&["subs", "show", "ticks"]).await.code, Some(1));
    let edited = data.show("renamed").await;
    assert_eq!(edited["id"], 1);
    assert_eq!(edited["method"], "GET");
    assert_eq!(edited["headers"].as_array().unwrap().len(), 1);
    assert_eq!(edited["headers"][0]["name"], "X-New");
    assert_eq!(edited["body"], Value::Null);
    assert_eq!(edited["max_retries"], Value::Null);
    assert_eq!(edited["redirects"], "never");
    assert_eq!(
        edited["idle_timeout_ms"], 0,
        "0 is off; null would be automatic"
    );
    assert_eq!(edited["stale_after_secs"], Value::Null, "auto: learned");
    // Untouched settings stay.
    assert_eq!(edited["retry_initial_ms"], 200);
    assert_eq!(edited["keep_rows"], 500);

    let paused = data.ok(&["subs", "pause", "renamed"]).await;
    assert!(paused.stdout.contains("paused"), "{paused:#?}");
    assert_eq!(data.show("1").await["paused"], true);
    let again = data.ok(&["subs", "pause", "1"]).await;
    assert!(again.stdout.contains("already paused"), "{again:#?}");
    data.ok(&["subs", "resume", "renamed"]).await;
    assert_eq!(data.show("renamed").await["paused"], false);

    data.ok(&["subs", "remove", "renamed"]).await;
    let left: Value =
        serde_json::from_str(&data.ok(&["subs", "list", "--json"]).await.stdout).unwrap();
    assert_eq!(left.as_array().unwrap().len(), 1);
    assert_eq!(left[0]["name"], "other");
    let gone = data.run(&["subs", "remove", "renamed"]).await;
    assert_eq!(gone.code, Some(1), "{gone:#?}");
    assert!(gone.stderr.contains("no saved subscription"), "{gone:#?}");
}

#[tokio::test]
async fn bad_settings_are_usage_errors_and_nothing_is_saved() {
    let data = Data::new();
    let cases: &[(&[&str], &str)] = &[
        (&["subs", "add", "a", "not a url"], "invalid URL"),
        (
            &["subs", "add", "a", "ftp://example.com/"],
            "unsupported URL scheme",
        ),
        (
            &["subs", "add", "a", URL, "-H", "no colon"],
            "invalid header",
        ),
        (
            &["subs", "add", "a", URL, "-X", "GET X"],
            "invalid HTTP method",
        ),
        (
            &[
                "subs",
                "add",
                "a",
                URL,
                "--retry-initial",
                "500",
                "--retry-max",
                "10",
            ],
            "invalid retry settings",
        ),
        (&["subs", "add", "42", URL], "plain number"),
        (
            &["subs", "add", "a", URL, "--keep-rows", "0"],
            "--keep-rows",
        ),
        (&["subs", "add", "a", URL, "--bogus"], "--bogus"),
        (&["subs", "add", "a"], "URL"),
    ];
    for (args, needle) in cases {
        let out = data.run(args).await;
        assert_eq!(out.code, Some(2), "{args:?}: {out:#?}");
        assert!(out.stderr.contains(needle), "{args:?}: {out:#?}");
        assert!(out.stdout.is_empty(), "{args:?}: {out:#?}");
    }
    // The engine's one-line usage errors stay one line.
    let one = data.run(&["subs", "add", "a", "not a url"]).await;
    assert_eq!(one.stderr.lines().count(), 1, "{one:#?}");
    let list = data.ok(&["subs", "list", "--json"]).await;
    assert_eq!(list.stdout.trim(), "[]");
    // A secret header's value never shows in an error.
    let secret = data
        .run(&[
            "subs",
            "add",
            "a",
            URL,
            "--secret-header",
            "Authorization: Bearer \u{7}x9",
        ])
        .await;
    assert_eq!(secret.code, Some(2), "{secret:#?}");
    assert!(secret.stderr.contains("Authorization"), "{secret:#?}");
    assert!(!secret.stderr.contains("x9"), "{secret:#?}");
    // Editing checks too, and leaves the saved subscription as it was.
    data.ok(&["subs", "add", "a", URL]).await;
    let bad_edit = data.run(&["subs", "edit", "a", "--url", "nope"]).await;
    assert_eq!(bad_edit.code, Some(2), "{bad_edit:#?}");
    assert_eq!(data.show("a").await["url"], URL);
    let no_header = data
        .run(&["subs", "edit", "a", "--remove-header", "X-Missing"])
        .await;
    assert_eq!(no_header.code, Some(2), "{no_header:#?}");
}

#[tokio::test]
async fn a_duplicate_name_is_refused_clearly() {
    let data = Data::new();
    data.ok(&["subs", "add", "Ticks", URL]).await;
    for name in ["Ticks", "ticks", " TICKS "] {
        let out = data
            .run(&["subs", "add", name, "http://127.0.0.1:9/other"])
            .await;
        assert_eq!(out.code, Some(1), "{out:#?}");
        assert!(out.stderr.contains("already exists"), "{out:#?}");
        assert_eq!(out.stderr.lines().count(), 1, "{out:#?}");
    }
    data.ok(&["subs", "add", "second", URL]).await;
    let rename = data
        .run(&["subs", "edit", "second", "--name", "TICKS"])
        .await;
    assert_eq!(rename.code, Some(1), "{rename:#?}");
    assert!(rename.stderr.contains("already exists"), "{rename:#?}");
}

#[tokio::test]
async fn a_corrupt_database_is_named_and_left_alone() {
    let data = Data::new();
    let db = data.path().join("streamwatch.db");
    let garbage: Vec<u8> = (0..8192u32).map(|i| (i * 7 + 3) as u8).collect();
    std::fs::write(&db, &garbage).unwrap();
    for args in [
        &["subs", "list"][..],
        &["subs", "add", "a", URL],
        &["history", "a"],
        &["export"],
        &["run"],
    ] {
        let out = data.run(args).await;
        assert_eq!(out.code, Some(1), "{args:?}: {out:#?}");
        assert!(
            out.stderr.contains(&db.display().to_string()),
            "{args:?}: the message names the file: {out:#?}"
        );
        assert!(
            out.stderr.contains("not a valid Streamwatch database"),
            "{out:#?}"
        );
        assert_eq!(
            std::fs::read(&db).unwrap(),
            garbage,
            "{args:?} changed the file"
        );
    }
}

#[tokio::test]
async fn reconnect_and_end_event_are_saved_shown_kept_and_undone() {
    let data = Data::new();
    data.ok(&["subs", "add", "answer", URL, "-X", "POST"]).await;
    let shown = data.show("answer").await;
    assert_eq!(
        (&shown["reconnect"], &shown["reconnect_by_method"]),
        (&serde_json::json!("error"), &serde_json::json!(true)),
        "a POST's default"
    );
    data.ok(&[
        "subs",
        "edit",
        "answer",
        "--reconnect",
        "never",
        "--end-event",
        "bye",
    ])
    .await;
    let shown = data.show("answer").await;
    assert_eq!(
        (&shown["reconnect"], &shown["end_event"]),
        (&serde_json::json!("never"), &serde_json::json!("bye"))
    );
    let human = data.ok(&["subs", "show", "answer"]).await.stdout;
    assert!(human.contains("reconnect:       never"), "{human}");
    assert!(human.contains("end event:       bye"), "{human}");
    data.ok(&["subs", "edit", "answer", "--keep-rows", "9"])
        .await;
    assert_eq!(data.show("answer").await["reconnect"], "never", "kept");
    data.ok(&[
        "subs",
        "edit",
        "answer",
        "--reconnect-by-method",
        "--end-event",
        "",
    ])
    .await;
    let shown = data.show("answer").await;
    assert_eq!(shown["reconnect_by_method"], true);
    assert!(shown.get("end_event").is_none(), "{shown}");
    let bad = data
        .run(&["subs", "edit", "answer", "--end-event", " bye"])
        .await;
    assert_eq!(bad.code, Some(2), "{bad:?}");
}

#[tokio::test]
async fn ids_not_sequential_is_saved_shown_kept_and_undone() {
    let data = Data::new();
    data.ok(&["subs", "add", "shared", URL, "--ids-not-sequential"])
        .await;
    data.ok(&["subs", "add", "plain", URL]).await;
    assert_eq!(data.show("shared").await["ids_not_sequential"], true);
    assert_eq!(
        data.show("plain").await["ids_not_sequential"],
        false,
        "the default: jumps are gaps"
    );
    let human = data.ok(&["subs", "show", "shared"]).await.stdout;
    assert!(human.contains("ids:             not sequential"), "{human}");
    data.ok(&["subs", "edit", "shared", "--keep-rows", "9"])
        .await;
    assert_eq!(
        data.show("shared").await["ids_not_sequential"],
        true,
        "an edit without the flag keeps it"
    );
    data.ok(&["subs", "edit", "shared", "--ids-sequential"])
        .await;
    assert_eq!(data.show("shared").await["ids_not_sequential"], false);
    let both = data
        .run(&[
            "subs",
            "edit",
            "plain",
            "--ids-sequential",
            "--ids-not-sequential",
        ])
        .await;
    assert_eq!(both.code, Some(2), "{both:#?}");
}

#[tokio::test]
async fn help_lists_the_new_commands() {
    let top = data_less(&["--help"]).await;
    for word in ["subs", "history", "export", "import", "run", "--data-dir"] {
        assert!(top.contains(word), "{word}: {top}");
    }
    let subs = data_less(&["subs", "--help"]).await;
    for word in ["add", "list", "show", "edit", "remove", "pause", "resume"] {
        assert!(subs.contains(word), "{word}: {subs}");
    }
    let add = data_less(&["subs", "add", "--help"]).await;
    for word in [
        "--header",
        "--secret-header",
        "--method",
        "--body",
        "--last-event-id",
        "--idle-timeout",
        "--stale-after",
        "--ids-not-sequential",
        "--retry-initial",
        "--retry-max",
        "--max-retries",
        "--keep-rows",
        "--keep-days",
        "--paused",
    ] {
        assert!(add.contains(word), "{word}: {add}");
    }
    let run = data_less(&["run", "--help"]).await;
    for word in [
        "--config",
        "--metrics",
        "--json",
        "streamwatch_up",
        "SIGTERM",
    ] {
        assert!(run.contains(word), "{word}: {run}");
    }
}

async fn data_less(args: &[&str]) -> String {
    let out = common::run(args).await;
    assert_eq!(out.code, Some(0), "{out:#?}");
    out.stdout
}
