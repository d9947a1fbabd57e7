//! The other routes: redirect, request log, edge cases, health, and shutdown.

mod common;

use std::time::Duration;

use common::{client, fast_server, ids, parse, server, Parsed};
use futures_util::StreamExt;
use streamwatch_demo_server::{
    edge_case_expected, DemoConfig, ExpectedEvent, LoggedRequest, REQUEST_LOG_LEN,
};

#[tokio::test]
async fn health_says_ok() {
    let server = fast_server().await;
    assert!(server.url("/health").starts_with("http://127.0.0.1:"));
    let text = client()
        .get(server.url("health"))
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("text");
    assert_eq!(text, "ok");
    server.shutdown().await;
}

#[tokio::test]
async fn redirect_sends_a_307_to_a_local_path() {
    let server = fast_server().await;
    let target = "/events?count=3&rate=0";
    let url = server.url("/redirect?to=%2Fevents%3Fcount%3D3%26rate%3D0");

    let manual = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let response = manual.get(&url).send().await.expect("request");
    assert_eq!(response.status(), 307);
    assert_eq!(response.headers()["location"], target);

    let followed = client().get(&url).send().await.expect("request");
    assert_eq!(followed.url().as_str(), server.url(target));
    let body = followed.bytes().await.expect("body");
    assert_eq!(ids(&parse(&body).events), vec![1, 2, 3]);

    for bad in ["http%3A%2F%2Fexample.com%2F", "%2F%2Fexample.com%2F", ""] {
        let url = server.url(&format!("/redirect?to={bad}"));
        let response = manual.get(&url).send().await.expect("request");
        assert_eq!(response.status(), 400, "to={bad}");
    }
    server.shutdown().await;
}

async fn logged(server: &streamwatch_demo_server::DemoServer) -> Vec<LoggedRequest> {
    client()
        .get(server.url("/requests"))
        .send()
        .await
        .expect("request")
        .bytes()
        .await
        .map(|body| serde_json::from_slice(&body).expect("json request log"))
        .expect("body")
}

#[tokio::test]
async fn requests_records_method_headers_and_body() {
    let server = fast_server().await;
    let http = client();
    http.post(server.url("/events?count=1&tag=post"))
        .header("X-Test", "yes")
        .header("Last-Event-ID", "5")
        .body(r#"{"hello":1}"#)
        .send()
        .await
        .expect("request")
        .bytes()
        .await
        .expect("body");
    // A POST redirected with 307 keeps its method, headers and body.
    http.post(server.url("/redirect?to=%2Fevents%3Fcount%3D1%26tag%3Dredirected"))
        .header("Authorization", "Bearer t")
        .body("again")
        .send()
        .await
        .expect("request")
        .bytes()
        .await
        .expect("body");
    http.get(server.url("/events?count=1&tag=get"))
        .send()
        .await
        .expect("request")
        .bytes()
        .await
        .expect("body");

    let log = logged(&server).await;
    assert_eq!(log.len(), 3, "{log:#?}");
    assert_eq!(log[0].method, "POST");
    assert_eq!(log[0].path, "/events?count=1&tag=post");
    assert_eq!(log[0].headers["x-test"], "yes");
    assert_eq!(log[0].headers["last-event-id"], "5");
    assert_eq!(log[0].body, r#"{"hello":1}"#);
    assert_eq!(log[1].method, "POST");
    assert_eq!(log[1].path, "/events?count=1&tag=redirected");
    assert_eq!(log[1].body, "again");
    assert_eq!(log[2].method, "GET");
    assert_eq!(log[2].body, "");
    assert!(log[2].headers.contains_key("host"));
    server.shutdown().await;
}

#[tokio::test]
async fn requests_keeps_only_the_last_ones() {
    let server = fast_server().await;
    let http = client();
    for i in 0..REQUEST_LOG_LEN + 5 {
        http.get(server.url(&format!("/events?count=0&i={i}")))
            .send()
            .await
            .expect("request")
            .bytes()
            .await
            .expect("body");
    }
    let log = logged(&server).await;
    assert_eq!(log.len(), REQUEST_LOG_LEN);
    assert_eq!(log[0].path, "/events?count=0&i=5");
    assert_eq!(
        log[REQUEST_LOG_LEN - 1].path,
        format!("/events?count=0&i={}", REQUEST_LOG_LEN + 4)
    );
    server.shutdown().await;
}

#[tokio::test]
async fn edge_cases_parse_to_the_published_result() {
    let server = fast_server().await;
    let http = client();
    let expected: Vec<ExpectedEvent> = http
        .get(server.url("/edge-cases/expected"))
        .send()
        .await
        .expect("request")
        .bytes()
        .await
        .map(|body| serde_json::from_slice(&body).expect("json expected events"))
        .expect("body");
    assert_eq!(expected, edge_case_expected());

    let response = http
        .get(server.url("/edge-cases?delay_ms=2"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut stream = response.bytes_stream();
    let (mut body, mut reads) = (Vec::new(), 0);
    while let Some(chunk) = stream.next().await {
        body.extend_from_slice(&chunk.expect("clean body"));
        reads += 1;
    }
    assert!(reads > 5, "the writes were not separate ({reads} reads)");
    assert!(body.starts_with(b"\xEF\xBB\xBF"));
    assert!(
        body.ends_with(b"data: no blank line"),
        "the stream must end with an unterminated event"
    );
    let parsed = parse(&body);
    let as_expected: Vec<ExpectedEvent> = parsed
        .events
        .into_iter()
        .map(|Parsed { event, data, id }| ExpectedEvent { event, data, id })
        .collect();
    assert_eq!(as_expected, expected);
    assert_eq!(parsed.retry, Some(3000));
    server.shutdown().await;
}

#[tokio::test]
async fn shutdown_drops_open_streams_and_stops_accepting() {
    let server = server(DemoConfig {
        rate: 10.0,
        ..DemoConfig::default()
    })
    .await;
    let addr = server.addr();
    let response = client()
        .get(server.url("/events?lastEventId=0"))
        .send()
        .await
        .expect("request");
    let mut stream = response.bytes_stream();
    let first = stream.next().await.expect("a chunk").expect("no error");
    assert!(!first.is_empty());

    tokio::time::timeout(Duration::from_secs(2), server.shutdown())
        .await
        .expect("shutdown does not wait for endless streams");
    let ended = tokio::time::timeout(Duration::from_secs(2), async {
        while let Some(Ok(_)) = stream.next().await {}
    })
    .await;
    assert!(ended.is_ok(), "the open stream outlived the server");
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn dropping_the_server_stops_it_too() {
    let server = fast_server().await;
    let addr = server.addr();
    drop(server);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}
