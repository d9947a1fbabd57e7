//! Redirects against real local servers that record what they receive: secret headers reach
//! only the origin first asked, Referer is never sent, and the redirect modes refuse what they
//! must with errors that name the target but no secret. Two servers on 127.0.0.1 with
//! different ports are two origins.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;
use streamwatch_engine::connection::Outcome;
use streamwatch_engine::redirects::RedirectMode;
use streamwatch_engine::{ErrorKind, Lifecycle, SubscriptionConfig};
use streamwatch_test_support::scripted_server::{Recorded, Reply, ScriptedServer};
use support::{messages, run_until};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const LIMIT: Duration = Duration::from_secs(10);
const API_KEY: &str = "k-3f9a-SECRET";
const BEARER: &str = "Bearer t-77c1-SECRET";

/// A subscription with a secret custom header, Authorization, Cookie and a plain header.
fn config(url: &str, mode: RedirectMode) -> SubscriptionConfig {
    let mut c = SubscriptionConfig::new(url).expect("url");
    c.retry.initial_ms = 10;
    c.retry.max_ms = 80;
    c.retry.max_retries = Some(0);
    for line in [
        format!("X-Api-Key: {API_KEY}"),
        format!("Authorization: {BEARER}"),
        "Cookie: session=c-5d2e-SECRET".to_string(),
        "X-Plain: visible".to_string(),
    ] {
        c.add_header_line(&line).expect("header");
    }
    // Marked in another case than sent: names are case-insensitive.
    c.secret_headers = vec!["x-api-key".into()];
    c.redirects = mode;
    c
}

fn redirect(status: &str, location: &str) -> Reply {
    Reply::raw(
        &format!("HTTP/1.1 {status}\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n"),
        b"",
    )
}

fn assert_secrets(req: &Recorded, present: bool) {
    for name in ["x-api-key", "authorization", "cookie"] {
        assert_eq!(
            req.header(name).is_some(),
            present,
            "{name} on {} {}: {:?}",
            req.method,
            req.path,
            req.headers
        );
    }
    assert_eq!(req.header("x-plain"), Some("visible"), "{:?}", req.headers);
    assert_eq!(req.header("referer"), None, "{:?}", req.headers);
}

/// The only error emitted, its status and message.
fn the_error(events: &[Lifecycle]) -> (ErrorKind, Option<u16>, bool, String) {
    let errors: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Lifecycle::Error {
                kind,
                message,
                status,
                will_retry,
            } => Some((*kind, *status, *will_retry, message.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(errors.len(), 1, "{events:#?}");
    errors[0].clone()
}

fn assert_no_secret(text: &str) {
    assert!(!text.contains("SECRET"), "a secret in {text:?}");
}

#[tokio::test]
async fn secrets_reach_the_first_origin_but_not_another() {
    let other = ScriptedServer::start(vec![Reply::sse_then_hold("data: there\n\n")]).await;
    let first = ScriptedServer::start(vec![redirect(
        "307 Temporary Redirect",
        &other.url("/final?from=first"),
    )])
    .await;
    let (events, _) = run_until(
        &config(&first.url("/start"), RedirectMode::Any),
        LIMIT,
        |e| messages(e).len() == 1,
    )
    .await;
    assert_eq!(
        events[0],
        Lifecycle::Started {
            url: other.url("/final?from=first"),
            status: 200
        }
    );
    let at_first = first.requests();
    let at_other = other.requests();
    assert_eq!((at_first.len(), at_other.len()), (1, 1));
    assert_secrets(&at_first[0], true);
    assert_eq!(at_first[0].header("x-api-key"), Some(API_KEY));
    assert_eq!(at_first[0].header("authorization"), Some(BEARER));
    assert_secrets(&at_other[0], false);
    assert_eq!(at_other[0].path, "/final?from=first");
}

#[tokio::test]
async fn secrets_follow_a_same_origin_redirect() {
    let server = ScriptedServer::start(vec![
        redirect("302 Found", "next?hop=1"),
        redirect("308 Permanent Redirect", "/deeper/"),
        Reply::sse_then_hold("data: here\n\n"),
    ])
    .await;
    let (events, _) = run_until(
        &config(&server.url("/a/start"), RedirectMode::SameOrigin),
        LIMIT,
        |e| messages(e).len() == 1,
    )
    .await;
    assert_eq!(
        events[0],
        Lifecycle::Started {
            url: server.url("/deeper/"),
            status: 200
        }
    );
    let requests = server.requests();
    let paths: Vec<_> = requests.iter().map(|r| r.path.as_str()).collect();
    // The relative Location resolved against the URL it came from.
    assert_eq!(paths, ["/a/start", "/a/next?hop=1", "/deeper/"]);
    for r in &requests {
        assert_secrets(r, true);
        assert_eq!(r.header("x-api-key"), Some(API_KEY));
    }
}

/// A bare server on `listener`: its n-th connection gets `replies[n]` (the last one repeats)
/// and the request head, lower-cased, goes to `log`. The scripted server cannot be used here
/// because each of two servers must know the other's address before either starts.
fn serve_raw(
    listener: tokio::net::TcpListener,
    replies: Vec<String>,
    log: Arc<Mutex<Vec<String>>>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        for n in 0.. {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let mut head = Vec::new();
            let mut buf = [0u8; 4096];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match sock.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(k) => head.extend_from_slice(&buf[..k]),
                }
            }
            log.lock()
                .expect("lock")
                .push(String::from_utf8_lossy(&head).to_lowercase());
            let reply = &replies[n.min(replies.len() - 1)];
            let _ = sock.write_all(reply.as_bytes()).await;
            // Held open: the stream stays up until the test ends.
            tokio::spawn(async move {
                let mut buf = [0u8; 64];
                while matches!(sock.read(&mut buf).await, Ok(k) if k > 0) {}
            });
        }
    })
}

#[tokio::test]
async fn secrets_dropped_on_the_way_out_are_not_restored_on_the_way_back() {
    let a = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let b = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let a_base = format!("http://{}", a.local_addr().expect("addr"));
    let b_base = format!("http://{}", b.local_addr().expect("addr"));
    let moved = |to: String| {
        format!("HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    };
    let sse = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: back\n\n";
    let (a_log, b_log) = (Arc::default(), Arc::default());
    let _a = serve_raw(
        a,
        vec![moved(format!("{b_base}/away")), sse.to_string()],
        Arc::clone(&a_log),
    );
    let _b = serve_raw(b, vec![moved(format!("{a_base}/back"))], Arc::clone(&b_log));
    let (events, _) = run_until(
        &config(&format!("{a_base}/start"), RedirectMode::Any),
        LIMIT,
        |e| messages(e).len() == 1,
    )
    .await;
    assert_eq!(
        events[0],
        Lifecycle::Started {
            url: format!("{a_base}/back"),
            status: 200
        }
    );
    let a_heads = a_log.lock().expect("lock").clone();
    let b_heads = b_log.lock().expect("lock").clone();
    assert_eq!((a_heads.len(), b_heads.len()), (2, 1));
    let has_secret = |head: &str| {
        ["x-api-key:", "authorization:", "cookie:"]
            .iter()
            .any(|name| head.contains(name))
    };
    assert!(has_secret(&a_heads[0]), "{}", a_heads[0]);
    assert!(!has_secret(&b_heads[0]), "{}", b_heads[0]);
    // The other origin chose this path: our secrets must not come with it.
    assert!(a_heads[1].starts_with("get /back "), "{}", a_heads[1]);
    assert!(!has_secret(&a_heads[1]), "{}", a_heads[1]);
    assert!(a_heads
        .iter()
        .chain(&b_heads)
        .all(|h| !h.contains("referer:")));
}

#[tokio::test]
async fn url_credentials_stay_with_their_origin() {
    let other = ScriptedServer::start(vec![Reply::sse_then_hold("data: there\n\n")]).await;
    let first = ScriptedServer::start(vec![redirect("302 Found", &other.url("/x"))]).await;
    let url = first
        .url("/")
        .replacen("http://", "http://user:pa55-SECRET@", 1);
    let mut c = SubscriptionConfig::new(&url).expect("url");
    c.retry.max_retries = Some(0);
    let (events, _) = run_until(&c, LIMIT, |e| messages(e).len() == 1).await;
    assert!(first.requests()[0].header("authorization").is_some());
    assert_eq!(other.requests()[0].header("authorization"), None);
    assert_no_secret(&format!("{events:?}"));
}

#[tokio::test]
async fn same_origin_mode_refuses_another_origin_and_says_which() {
    let other = ScriptedServer::start(vec![Reply::sse_then_hold("data: there\n\n")]).await;
    let first =
        ScriptedServer::start(vec![redirect("302 Found", &other.url("/x?token=q-SECRET"))]).await;
    let (events, outcome) = run_until(
        &config(&first.url("/"), RedirectMode::SameOrigin),
        LIMIT,
        |_| false,
    )
    .await;
    assert_eq!(outcome, Some(Outcome::Fatal));
    let (kind, status, will_retry, message) = the_error(&events);
    assert_eq!(
        (kind, status, will_retry),
        (ErrorKind::HttpStatus, Some(302), false)
    );
    assert!(message.contains("another origin"), "{message}");
    assert!(
        message.contains(&other.base),
        "names the target origin: {message}"
    );
    assert_no_secret(&message);
    assert!(other.requests().is_empty(), "nothing was sent there");
}

#[tokio::test]
async fn never_mode_refuses_any_redirect_naming_status_and_location() {
    let server = ScriptedServer::start(vec![
        redirect("302 Found", "/elsewhere?sig=q-SECRET"),
        Reply::sse_then_hold("data: unreachable\n\n"),
    ])
    .await;
    let (events, outcome) = run_until(
        &config(&server.url("/s"), RedirectMode::Never),
        LIMIT,
        |_| false,
    )
    .await;
    assert_eq!(outcome, Some(Outcome::Fatal));
    let (kind, status, will_retry, message) = the_error(&events);
    assert_eq!(
        (kind, status, will_retry),
        (ErrorKind::HttpStatus, Some(302), false)
    );
    assert!(message.contains("302 Found"), "{message}");
    assert!(
        message.contains(&server.url("/elsewhere")),
        "names the Location: {message}"
    );
    assert!(message.contains("never"), "{message}");
    assert_no_secret(&message);
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_redirect_loop_ends_with_a_clear_error() {
    let server = ScriptedServer::start(vec![
        redirect("307 Temporary Redirect", "/b"),
        redirect("307 Temporary Redirect", "/a?again=1"),
        redirect("307 Temporary Redirect", "/b"),
    ])
    .await;
    let (events, outcome) = run_until(&config(&server.url("/a"), RedirectMode::Any), LIMIT, |_| {
        false
    })
    .await;
    assert_eq!(outcome, Some(Outcome::Fatal));
    let (kind, status, _, message) = the_error(&events);
    assert_eq!((kind, status), (ErrorKind::HttpStatus, Some(307)));
    assert!(message.contains("redirect loop"), "{message}");
    assert!(message.contains(&server.url("/b")), "{message}");
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn a_long_chain_stops_after_ten_hops() {
    let hops: Vec<Reply> = (1..=12)
        .map(|n| redirect("302 Found", &format!("/hop/{n}")))
        .collect();
    let server = ScriptedServer::start(hops).await;
    let (events, outcome) = run_until(
        &config(&server.url("/hop/0"), RedirectMode::Any),
        LIMIT,
        |_| false,
    )
    .await;
    assert_eq!(outcome, Some(Outcome::Fatal));
    let (_, status, _, message) = the_error(&events);
    assert_eq!(status, Some(302));
    assert!(message.contains("too many redirects"), "{message}");
    // The first request and ten followed hops; the eleventh is refused.
    assert_eq!(server.requests().len(), 11);
}

#[tokio::test]
async fn a_303_after_post_turns_into_a_get_without_the_body() {
    let server = ScriptedServer::start(vec![
        redirect("303 See Other", "/result"),
        Reply::sse_then_hold("data: done\n\n"),
    ])
    .await;
    let mut c = config(&server.url("/ask"), RedirectMode::Any);
    c.method = "POST".into();
    c.body = Some("{\"q\":1}".into());
    c.add_header_line("Content-Type: application/json")
        .expect("header");
    run_until(&c, LIMIT, |e| messages(e).len() == 1).await;
    let requests = server.requests();
    assert_eq!(
        (requests[0].method.as_str(), requests[0].body.as_str()),
        ("POST", "{\"q\":1}")
    );
    assert_eq!(
        (requests[1].method.as_str(), requests[1].body.as_str()),
        ("GET", "")
    );
    assert_eq!(requests[1].header("content-type"), None);
    assert_secrets(&requests[1], true);
}

#[tokio::test]
async fn a_307_keeps_method_and_body() {
    let server = ScriptedServer::start(vec![
        redirect("307 Temporary Redirect", "/moved"),
        Reply::sse_then_hold("data: done\n\n"),
    ])
    .await;
    let mut c = config(&server.url("/ask"), RedirectMode::Any);
    c.method = "POST".into();
    c.body = Some("payload".into());
    run_until(&c, LIMIT, |e| messages(e).len() == 1).await;
    let requests = server.requests();
    assert_eq!(
        (requests[1].method.as_str(), requests[1].body.as_str()),
        ("POST", "payload")
    );
}
