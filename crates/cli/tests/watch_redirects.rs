//! `streamwatch watch --redirects`: the built binary against a demo server (same-origin
//! redirects) and a scripted server on another port (another origin).

mod common;

use common::{demo, get_json, run};
use streamwatch_test_support::scripted_server::{Reply, ScriptedServer};

/// The demo server's redirect to its own numbered stream.
const TO_EVENTS: &str = "/redirect?to=%2Fevents%3Frate%3D0%26size%3D5";

fn redirect_to(location: &str) -> Reply {
    Reply::raw(
        &format!("HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n"),
        b"",
    )
}

#[tokio::test]
async fn never_refuses_a_redirect_naming_status_and_location() {
    let server = demo().await;
    let url = server.url(TO_EVENTS);
    let out = run(&["watch", &url, "--json", "--redirects", "never"]).await;
    assert_eq!(out.code, Some(1), "{out:#?}");
    let lines = out.json();
    let error = lines
        .iter()
        .find(|l| l["type"] == "error")
        .unwrap_or_else(|| panic!("an error line: {out:#?}"));
    assert_eq!(error["status"], 307);
    assert_eq!(error["will_retry"], false);
    let message = error["message"].as_str().expect("a message");
    assert!(message.contains("307 Temporary Redirect"), "{message}");
    // The Location without its query.
    assert!(message.contains(&server.url("/events")), "{message}");
    assert!(!message.contains("rate="), "{message}");
    assert!(!out.types().contains(&"started".to_owned()), "{out:#?}");
}

#[tokio::test]
async fn same_origin_follows_a_redirect_within_the_origin() {
    let server = demo().await;
    let url = server.url(TO_EVENTS);
    let out = run(&[
        "watch",
        &url,
        "--json",
        "--count",
        "1",
        "--redirects",
        "same-origin",
    ])
    .await;
    assert_eq!(out.code, Some(0), "{out:#?}");
    let lines = out.json();
    assert_eq!(lines[0]["type"], "started");
    assert_eq!(
        lines[0]["url"],
        server.url("/events?rate=0&size=5").as_str()
    );
}

#[tokio::test]
async fn same_origin_refuses_another_origin() {
    let server = demo().await;
    let first = ScriptedServer::start(vec![redirect_to(&server.url("/events?key=k-SECRET"))]).await;
    let out = run(&[
        "watch",
        &first.url("/"),
        "--json",
        "--redirects",
        "same-origin",
    ])
    .await;
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert!(!out.stdout.contains("SECRET"), "{out:#?}");
    let lines = out.json();
    let error = lines
        .iter()
        .find(|l| l["type"] == "error")
        .unwrap_or_else(|| panic!("an error line: {out:#?}"));
    let message = error["message"].as_str().expect("a message");
    assert!(message.contains("another origin"), "{message}");
    let demo_origin = server.url("");
    assert!(
        message.contains(demo_origin.trim_end_matches('/')),
        "{message}"
    );
}

#[tokio::test]
async fn by_default_authorization_stays_behind_on_another_origin_and_no_referer_is_sent() {
    let server = demo().await;
    let first = ScriptedServer::start(vec![redirect_to(&server.url("/events?rate=0"))]).await;
    let out = run(&[
        "watch",
        &first.url("/"),
        "--json",
        "--count",
        "1",
        "-H",
        "Authorization: Bearer t-SECRET",
        "-H",
        "X-Plain: visible",
    ])
    .await;
    assert_eq!(out.code, Some(0), "{out:#?}");
    assert_eq!(
        first.requests()[0].header("authorization"),
        Some("Bearer t-SECRET")
    );
    let logged = get_json(&server.url("/requests")).await;
    let logged = logged.as_array().expect("an array");
    assert_eq!(logged.len(), 1, "{logged:#?}");
    let headers = &logged[0]["headers"];
    assert_eq!(headers["x-plain"], "visible", "{headers:#?}");
    assert!(headers.get("authorization").is_none(), "{headers:#?}");
    assert!(headers.get("referer").is_none(), "{headers:#?}");
}
