//! `streamwatch watch` against servers whose ids go back: nothing is dropped, replays are
//! marked, counter resets are reported, in JSON and in words.

mod common;

use common::{demo, run, types};
use serde_json::Value;

fn messages(lines: &[Value]) -> Vec<&Value> {
    lines.iter().filter(|l| l["type"] == "message").collect()
}

#[tokio::test]
async fn a_server_that_restarts_at_one_prints_every_event_and_a_reset() {
    let server = demo().await;
    // Every connection sends 1, 2, 3 and drops, ignoring Last-Event-ID.
    let url = server.url("/events?rate=0&reset_ids=1&close_after=3");
    let out = run(&[
        "watch",
        &url,
        "--json",
        "--count",
        "7",
        "--retry-initial",
        "10",
    ])
    .await;
    assert_eq!(out.code, Some(0), "{out:#?}");
    let lines = out.json();
    let ids: Vec<&str> = messages(&lines)
        .iter()
        .filter_map(|m| m["id"].as_str())
        .collect();
    assert_eq!(ids, ["1", "2", "3", "1", "2", "3", "1"]);
    let resets: Vec<&Value> = lines.iter().filter(|l| l["type"] == "reset").collect();
    assert_eq!(resets.len(), 2, "{lines:#?}");
    assert_eq!(
        (&resets[0]["last"], &resets[0]["first"]),
        (&3.into(), &1.into())
    );
    assert!(resets[0]["time"].is_string());
    assert!(
        messages(&lines).iter().all(|m| m.get("replayed").is_none()),
        "a reset is not a replay"
    );
    // The order: each reset comes right before the first event of the new counter.
    let t = types(&lines);
    let first_reset = t.iter().position(|t| t == "reset").expect("a reset");
    assert_eq!(t[first_reset + 1], "message");
    assert_eq!(lines[first_reset + 1]["id"], "1");
}

#[tokio::test]
async fn replayed_events_are_printed_and_marked() {
    let server = demo().await;
    // 1..=4, drop; resumed from 4 the server first re-sends 3 and 4.
    let url = server.url("/events?rate=0&close_after=4&resend=2");
    let out = run(&[
        "watch",
        &url,
        "--json",
        "--count",
        "7",
        "--retry-initial",
        "10",
    ])
    .await;
    assert_eq!(out.code, Some(0), "{out:#?}");
    let lines = out.json();
    let got: Vec<(&str, bool)> = messages(&lines)
        .iter()
        .map(|m| {
            (
                m["id"].as_str().unwrap_or_default(),
                m.get("replayed").is_some_and(|r| r == true),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("1", false),
            ("2", false),
            ("3", false),
            ("4", false),
            ("3", true),
            ("4", true),
            ("5", false)
        ]
    );
    assert!(!types(&lines).iter().any(|t| t == "reset" || t == "gap"));
}

#[tokio::test]
async fn the_human_output_says_what_happened() {
    let server = demo().await;
    let url = server.url("/events?rate=0&reset_ids=1&close_after=2");
    let out = run(&["watch", &url, "--count", "3", "--retry-initial", "10"]).await;
    assert_eq!(out.code, Some(0), "{out:#?}");
    assert!(
        out.stdout
            .contains("ids went backwards from 2 to 1: did the server restart?"),
        "{out:#?}"
    );

    let url = server.url("/events?rate=0&close_after=2&resend=1");
    let out = run(&["watch", &url, "--count", "3", "--retry-initial", "10"]).await;
    assert_eq!(out.code, Some(0), "{out:#?}");
    assert!(out.stdout.contains("(replayed)"), "{out:#?}");
}

#[tokio::test]
async fn ids_skipped_or_restarted_inside_one_connection_are_printed_as_gap_and_reset() {
    let server = demo().await;
    // One connection, never dropped: 1 2 3 5 6 7 9.
    let url = server.url("/events?rate=0&skip=3");
    let out = run(&["watch", &url, "--json", "--count", "7"]).await;
    assert_eq!(out.code, Some(0), "{out:#?}");
    let lines = out.json();
    let gaps: Vec<(&Value, &Value, &Value)> = lines
        .iter()
        .filter(|l| l["type"] == "gap")
        .map(|l| (&l["after"], &l["next"], &l["missed"]))
        .collect();
    assert_eq!(
        gaps,
        [
            (&3.into(), &5.into(), &1.into()),
            (&7.into(), &9.into(), &1.into())
        ],
        "{lines:#?}"
    );
    assert_eq!(messages(&lines).len(), 7);

    // One connection whose counter goes back to 1 after every third event.
    let url = server.url("/events?rate=0&jump_back=3");
    let out = run(&["watch", &url, "--json", "--count", "7"]).await;
    assert_eq!(out.code, Some(0), "{out:#?}");
    let lines = out.json();
    let ids: Vec<&str> = messages(&lines)
        .iter()
        .filter_map(|m| m["id"].as_str())
        .collect();
    assert_eq!(ids, ["1", "2", "3", "1", "2", "3", "1"]);
    let t = types(&lines);
    assert_eq!(t.iter().filter(|t| *t == "reset").count(), 2, "{lines:#?}");
    assert!(!t.iter().any(|t| t == "gap"), "{lines:#?}");
    assert_eq!(
        t.iter().filter(|t| *t == "started").count(),
        1,
        "{lines:#?}"
    );
}

#[tokio::test]
async fn with_ids_not_sequential_a_jump_is_no_gap_and_a_reset_still_is() {
    let server = demo().await;
    // One connection, never dropped: 1 2 3 5 6 7 9 — gaps without the flag (the test above).
    let url = server.url("/events?rate=0&skip=3");
    let gaps = |lines: &[Value]| types(lines).iter().filter(|t| *t == "gap").count();
    let without = run(&["watch", &url, "--json", "--count", "7"]).await;
    assert_eq!(without.code, Some(0), "{without:#?}");
    assert_eq!(gaps(&without.json()), 2, "{without:#?}");
    let with = run(&[
        "watch",
        &url,
        "--json",
        "--count",
        "7",
        "--ids-not-sequential",
    ])
    .await;
    assert_eq!(with.code, Some(0), "{with:#?}");
    let lines = with.json();
    assert_eq!(gaps(&lines), 0, "{lines:#?}");
    let ids: Vec<&str> = messages(&lines)
        .iter()
        .filter_map(|m| m["id"].as_str())
        .collect();
    assert_eq!(
        ids,
        ["1", "2", "3", "5", "6", "7", "9"],
        "every event printed"
    );

    // A counter that goes back is still a reset.
    let url = server.url("/events?rate=0&jump_back=3");
    let out = run(&[
        "watch",
        &url,
        "--json",
        "--count",
        "4",
        "--ids-not-sequential",
    ])
    .await;
    assert_eq!(out.code, Some(0), "{out:#?}");
    let lines = out.json();
    assert_eq!(
        types(&lines).iter().filter(|t| *t == "reset").count(),
        1,
        "{lines:#?}"
    );
}
