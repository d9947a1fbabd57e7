//! The lean HTTP/1.1 path (`http1_direct`, `http1_body`, `chunked`) against servers on
//! 127.0.0.1 that write exact bytes: framing (chunked split anywhere, `Content-Length`, to the
//! close), informational answers, hostile heads, and the request as it goes out.

mod support;

use std::time::Duration;
use streamwatch_engine::error_words::plain_error;
use streamwatch_engine::SubscriptionConfig;
use streamwatch_test_support::scripted_server::{End, Reply, ScriptedServer};
use support::{error_messages as errors, messages, names, run_until};

const LIMIT: Duration = Duration::from_secs(10);
const CHUNKED: &str =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n";

fn config(url: &str) -> SubscriptionConfig {
    let mut c = SubscriptionConfig::new(url).expect("url");
    c.retry.initial_ms = 10;
    c.retry.max_ms = 50;
    c
}

/// `head` and `body`, then the socket held open and silent.
fn held(head: &str, body: &[u8]) -> Reply {
    Reply {
        end: End::Hold,
        ..Reply::raw(head, body)
    }
}

/// A server playing `replies`, when the lean path is the one this environment takes.
async fn serve(replies: Vec<Reply>) -> Option<ScriptedServer> {
    let server = ScriptedServer::start(replies).await;
    direct_here(&server.url("/")).then_some(server)
}

fn chunk(text: &str) -> Vec<u8> {
    format!("{:x}\r\n{text}\r\n", text.len()).into_bytes()
}

/// The tests below are about the lean path: say so when this environment sends plain HTTP
/// through reqwest instead (a proxy variable set), rather than pass for the wrong reason.
fn direct_here(url: &str) -> bool {
    let client = SubscriptionConfig::new(url)
        .expect("url")
        .client
        .build_client()
        .expect("client");
    let direct = client.is_direct(&url::Url::parse(url).expect("url"));
    if !direct {
        eprintln!("skipped: a proxy variable in the environment sends http:// through reqwest");
    }
    direct
}

#[tokio::test]
async fn chunks_are_delivered_as_they_arrive_and_split_anywhere() {
    // One event cut across three chunks (mid-field, mid-line), extensions on a size line, then
    // a second event while the server keeps the body open: no end of body is needed to see it.
    let mut first = chunk("data: hel");
    first.extend(b"3;ext=1\r\nlo\n\r\n");
    first.extend(chunk("\n"));
    let reply =
        held(CHUNKED, &first).then(Duration::from_millis(50), &chunk("id: 7\ndata: world\n\n"));
    let Some(server) = serve(vec![reply]).await else {
        return;
    };
    let (events, _) = run_until(&config(&server.url("/")), LIMIT, |e| messages(e).len() == 2).await;
    assert_eq!(messages(&events), ["hello", "world"]);
    assert!(errors(&events).is_empty(), "{events:#?}");
}

#[tokio::test]
async fn the_last_chunk_and_trailers_end_the_stream_cleanly() {
    let mut body = chunk("data: a\n\n");
    body.extend(b"0\r\nX-Checksum: 1\r\n\r\n");
    // The socket stays open after the last chunk: the end is the framing's, not the close's.
    let Some(server) = serve(vec![held(CHUNKED, &body)]).await else {
        return;
    };
    let (events, _) = run_until(&config(&server.url("/")), LIMIT, |e| {
        names(e).contains(&"finished")
    })
    .await;
    assert_eq!(messages(&events), ["a"]);
    assert_eq!(names(&events)[..3], ["started", "message", "finished"]);
}

#[tokio::test]
async fn content_length_ends_the_body_without_waiting_for_the_close() {
    let body = "data: x\n\ndata: y\n\n";
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: {}\r\n",
        body.len()
    );
    let Some(server) = serve(vec![held(&head, body.as_bytes())]).await else {
        return;
    };
    let (events, _) = run_until(&config(&server.url("/")), LIMIT, |e| {
        names(e).contains(&"finished")
    })
    .await;
    assert_eq!(messages(&events), ["x", "y"]);
}

#[tokio::test]
async fn a_body_cut_short_is_an_error_in_words() {
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 100\r\n";
    let short = Reply::raw(head, b"data: x\n\n");
    let Some(server) = serve(vec![short, Reply::sse_then_abort("data: y\n\n")]).await else {
        return;
    };
    let (events, _) = run_until(&config(&server.url("/")), LIMIT, |e| errors(e).len() >= 2).await;
    let errs = errors(&events);
    assert!(errs[0].contains("91 bytes before the end"), "{errs:?}");
    assert!(errs[1].contains("middle of a chunked body"), "{errs:?}");
    for e in &errs {
        assert_eq!(
            plain_error(None, None, e),
            "The server closed the connection mid-stream"
        );
    }
    assert_eq!(
        messages(&events),
        ["x", "y"],
        "what came before the cut is kept"
    );
}

#[tokio::test]
async fn informational_answers_are_skipped() {
    let head = "HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n\
                HTTP/1.1 100 Continue\r\n\r\n\
                HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n";
    let Some(server) = serve(vec![held(head, b"data: after\n\n")]).await else {
        return;
    };
    let (events, _) = run_until(&config(&server.url("/")), LIMIT, |e| {
        !messages(e).is_empty()
    })
    .await;
    assert_eq!(messages(&events), ["after"]);
}

#[tokio::test]
async fn hostile_heads_are_refused_and_retried() {
    let many: String = (0..101).map(|i| format!("X-{i}: v\r\n")).collect();
    let too_many = Reply::raw(&format!("HTTP/1.1 200 OK\r\n{many}"), b"");
    let not_http = Reply::raw("SSH-2.0-OpenSSH_9.2", b"");
    let endless = Reply::raw(
        &format!("HTTP/1.1 200 OK\r\nX-Long: {}", "a".repeat(70 * 1024)),
        b"",
    );
    let Some(server) = serve(vec![too_many, not_http, endless]).await else {
        return;
    };
    let (events, _) = run_until(&config(&server.url("/")), LIMIT, |e| errors(e).len() >= 3).await;
    let errs = errors(&events);
    assert!(errs[0].contains("more than 100 headers"), "{errs:?}");
    assert!(errs[1].contains("not HTTP/1.x"), "{errs:?}");
    assert!(errs[2].contains("larger than 64 KiB"), "{errs:?}");
    assert!(names(&events).contains(&"retrying"));
}

#[tokio::test]
async fn the_request_goes_out_as_reqwest_would_send_it() {
    let Some(server) = serve(vec![Reply::sse_then_hold("id: 5\ndata: a\n\n")]).await else {
        return;
    };
    let mut c = config(&server.url("/events?token=t"));
    c.method = "POST".into();
    c.body = Some("{\"q\":1}".into());
    c.headers = vec![("X-Custom".into(), "v".into())];
    let (events, _) = run_until(&c, LIMIT, |e| !messages(e).is_empty()).await;
    assert_eq!(messages(&events), ["a"]);
    let req = &server.requests()[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, "/events?token=t");
    assert_eq!(req.body, "{\"q\":1}");
    let host = server.base.trim_start_matches("http://");
    assert_eq!(req.header("host"), Some(host));
    assert_eq!(req.header("content-length"), Some("7"));
    assert_eq!(req.header("accept"), Some("text/event-stream"));
    assert_eq!(req.header("x-custom"), Some("v"));
    assert!(req
        .header("user-agent")
        .is_some_and(|u| u.starts_with("streamwatch/")));
    let codings = req.header("accept-encoding").unwrap_or_default();
    for coding in ["gzip", "br", "zstd", "deflate"] {
        assert!(codings.contains(coding), "{codings}");
    }
}

#[tokio::test]
async fn a_refused_connection_reads_as_on_the_shared_client() {
    // A port nothing listens on: bind, learn the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let url = format!("http://127.0.0.1:{port}/");
    if !direct_here(&url) {
        return;
    }
    let (events, _) = run_until(&config(&url), LIMIT, |e| !errors(e).is_empty()).await;
    let err = &errors(&events)[0];
    assert!(err.contains("tcp connect error"), "{err}");
    assert_eq!(
        plain_error(None, None, err),
        "The server refused the connection"
    );
}
