//! Every branch of the connection and retry policy, against real local servers with injected
//! faults.

mod support;

use std::time::Duration;
use streamwatch_engine::connection::Outcome;
use streamwatch_engine::{ErrorKind, Lifecycle, SubscriptionConfig};
use streamwatch_test_support::gives_up_after;
use streamwatch_test_support::scripted_server::{End, Reply, ScriptedServer};
use support::{count, delays, messages, names, run_until, run_until_all};

const LIMIT: Duration = Duration::from_secs(10);

fn config(url: &str) -> SubscriptionConfig {
    let mut c = SubscriptionConfig::new(url).expect("url");
    c.retry.initial_ms = 10;
    c.retry.max_ms = 80;
    c
}

fn error_kinds(events: &[Lifecycle]) -> Vec<(ErrorKind, Option<u16>, bool)> {
    events
        .iter()
        .filter_map(|e| match e {
            Lifecycle::Error {
                kind,
                status,
                will_retry,
                ..
            } => Some((*kind, *status, *will_retry)),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn streams_events_and_sends_sse_request_headers() {
    let server = ScriptedServer::start(vec![Reply::sse_then_hold(
        "id: 1\ndata: a\n\nid: 2\nevent: tick\ndata: b\n\n",
    )])
    .await;
    let (events, _) = run_until(&config(&server.url("/s")), LIMIT, |e| {
        messages(e).len() == 2
    })
    .await;
    assert_eq!(names(&events), ["started", "message", "message"]);
    assert_eq!(
        events[0],
        Lifecycle::Started {
            url: server.url("/s"),
            status: 200
        }
    );
    assert_eq!(
        events[2],
        Lifecycle::Message {
            event: "tick".into(),
            data: "b".into(),
            id: "2".into(),
            replayed: false,
            mismatch: None,
        }
    );
    let req = &server.requests()[0];
    assert_eq!(req.header("accept"), Some("text/event-stream"));
    assert_eq!(req.header("cache-control"), Some("no-cache"));
    assert_eq!(req.header("last-event-id"), None, "no id yet, so none sent");
}

#[tokio::test]
async fn clean_end_is_finished_then_retrying_and_resumes_with_last_event_id() {
    let server = ScriptedServer::start(vec![
        Reply::sse("id: 41\ndata: a\n\n"),
        Reply::sse_then_hold("id: 42\ndata: b\n\n"),
    ])
    .await;
    let (events, _) = run_until(&config(&server.url("/")), LIMIT, |e| messages(e).len() == 2).await;
    assert_eq!(
        names(&events),
        ["started", "message", "finished", "retrying", "started", "message"]
    );
    assert_eq!(delays(&events)[0].0, 1);
    let reqs = server.requests();
    assert_eq!(reqs[1].header("last-event-id"), Some("41"));
}

#[tokio::test]
async fn initial_last_event_id_is_sent() {
    let server = ScriptedServer::start(vec![Reply::sse_then_hold("data: a\n\n")]).await;
    let mut c = config(&server.url("/"));
    c.last_event_id = Some("abc-7".into());
    let (events, _) = run_until(&c, LIMIT, |e| messages(e).len() == 1).await;
    assert_eq!(server.requests()[0].header("last-event-id"), Some("abc-7"));
    assert!(matches!(&events[1], Lifecycle::Message { id, .. } if id == "abc-7"));
}

#[tokio::test]
async fn broken_body_is_a_network_error_then_retrying() {
    let server = ScriptedServer::start(vec![
        Reply::sse_then_abort("id: 5\ndata: a\n\n"),
        Reply::sse_then_hold("data: b\n\n"),
    ])
    .await;
    let (events, _) = run_until(&config(&server.url("/")), LIMIT, |e| messages(e).len() == 2).await;
    assert_eq!(
        names(&events),
        ["started", "message", "error", "retrying", "started", "message"]
    );
    assert_eq!(error_kinds(&events), [(ErrorKind::Network, None, true)]);
    assert_eq!(server.requests()[1].header("last-event-id"), Some("5"));
}

#[tokio::test]
async fn connection_refused_is_a_network_error_and_retries() {
    // Bind then drop to find a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let c = config(&format!("http://127.0.0.1:{port}/"));
    let (events, _) = run_until(&c, LIMIT, |e| count(e, "retrying") == 2).await;
    assert_eq!(names(&events), ["error", "retrying", "error", "retrying"]);
    assert_eq!(error_kinds(&events)[0], (ErrorKind::Network, None, true));
}

#[tokio::test]
async fn no_content_finishes_without_retrying() {
    let server = ScriptedServer::start(vec![Reply::raw(
        "HTTP/1.1 204 No Content\r\nConnection: close\r\n",
        b"",
    )])
    .await;
    let (events, outcome) = run_until(&config(&server.url("/")), LIMIT, |_| false).await;
    assert_eq!(names(&events), ["finished"]);
    assert_eq!(outcome, Some(Outcome::NoContent));
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn client_errors_are_fatal() {
    for code in [400u16, 401, 403, 404, 410] {
        let server = ScriptedServer::start(vec![Reply::status(code, "")]).await;
        let (events, outcome) = run_until(&config(&server.url("/")), LIMIT, |_| false).await;
        assert_eq!(
            error_kinds(&events),
            [(ErrorKind::HttpStatus, Some(code), false)]
        );
        assert_eq!(outcome, Some(Outcome::Fatal), "{code}");
        assert_eq!(server.requests().len(), 1, "{code} must not be retried");
    }
}

#[tokio::test]
async fn server_errors_timeouts_and_throttling_are_retried() {
    for code in [500u16, 502, 503, 504, 408, 429] {
        let server = ScriptedServer::start(vec![
            Reply::status(code, ""),
            Reply::sse_then_hold("data: ok\n\n"),
        ])
        .await;
        let (events, _) =
            run_until(&config(&server.url("/")), LIMIT, |e| messages(e).len() == 1).await;
        assert_eq!(
            names(&events),
            ["error", "retrying", "started", "message"],
            "{code}"
        );
        assert_eq!(
            error_kinds(&events),
            [(ErrorKind::HttpStatus, Some(code), true)]
        );
    }
}

#[tokio::test]
async fn retry_after_is_a_lower_bound_on_the_wait() {
    for code in [429u16, 503] {
        let server = ScriptedServer::start(vec![
            Reply::status(code, "Retry-After: 1\r\n"),
            Reply::sse_then_hold("data: ok\n\n"),
        ])
        .await;
        let (events, _) =
            run_until(&config(&server.url("/")), LIMIT, |e| messages(e).len() == 1).await;
        assert_eq!(delays(&events), [(1, 1000)], "{code}");
        let reqs = server.requests();
        let waited = reqs[1].at - reqs[0].at;
        assert!(
            waited >= Duration::from_millis(990),
            "{code}: waited {waited:?}"
        );
    }
}

#[tokio::test]
async fn wrong_content_type_is_fatal() {
    let server = ScriptedServer::start(vec![Reply::raw(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n",
        b"{}",
    )])
    .await;
    let (events, outcome) = run_until(&config(&server.url("/")), LIMIT, |_| false).await;
    assert_eq!(
        error_kinds(&events),
        [(ErrorKind::ContentType, Some(200), false)]
    );
    assert_eq!(outcome, Some(Outcome::Fatal));
}

#[tokio::test]
async fn content_type_parameters_are_accepted() {
    let server = ScriptedServer::start(vec![Reply::raw(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=iso-8859-1\r\n",
        "data: é\n\n".as_bytes(),
    )])
    .await;
    let (events, _) = run_until(&config(&server.url("/")), LIMIT, |e| messages(e).len() == 1).await;
    // Charset parameters are ignored: the stream is always UTF-8.
    assert_eq!(messages(&events), ["é"]);
}

#[tokio::test]
async fn redirects_are_followed_and_the_final_url_reported() {
    let target = ScriptedServer::start(vec![Reply::sse_then_hold("data: here\n\n")]).await;
    let redirect = ScriptedServer::start(vec![Reply::raw(
        &format!(
            "HTTP/1.1 307 Temporary Redirect\r\nLocation: {}\r\nContent-Length: 0\r\n",
            target.url("/final")
        ),
        b"",
    )])
    .await;
    let (events, _) = run_until(&config(&redirect.url("/start")), LIMIT, |e| {
        messages(e).len() == 1
    })
    .await;
    assert_eq!(
        events[0],
        Lifecycle::Started {
            url: target.url("/final"),
            status: 200
        }
    );
}

#[tokio::test]
async fn idle_timeout_reconnects_a_silent_stream() {
    let server = ScriptedServer::start(vec![
        Reply::sse_then_hold("id: 3\ndata: a\n\n"),
        Reply::sse_then_hold("data: b\n\n"),
    ])
    .await;
    let mut c = config(&server.url("/"));
    c.idle_timeout = Some(Duration::from_millis(300));
    let (events, _) = run_until(&c, LIMIT, |e| messages(e).len() == 2).await;
    assert_eq!(
        names(&events),
        ["started", "message", "error", "retrying", "started", "message"]
    );
    assert_eq!(error_kinds(&events), [(ErrorKind::Timeout, None, true)]);
    let reqs = server.requests();
    assert!(reqs[1].at - reqs[0].at >= Duration::from_millis(300));
    assert_eq!(reqs[1].header("last-event-id"), Some("3"));
}

#[tokio::test]
async fn comments_keep_an_idle_stream_alive() {
    let mut reply = Reply::sse_then_hold("data: a\n\n");
    for _ in 0..8 {
        reply = reply.then(Duration::from_millis(100), b": beat\n");
    }
    reply = reply.then(Duration::from_millis(100), b"data: b\n\n");
    let server = ScriptedServer::start(vec![reply]).await;
    let mut c = config(&server.url("/"));
    c.idle_timeout = Some(Duration::from_millis(300));
    let (events, _) = run_until(&c, LIMIT, |e| messages(e).len() == 2).await;
    assert_eq!(count(&events, "error"), 0, "{events:#?}");
    assert_eq!(count(&events, "comment"), 8);
}

#[tokio::test]
async fn idle_timeout_also_covers_a_server_that_never_answers() {
    let server = ScriptedServer::start(vec![Reply {
        head: String::new(),
        parts: vec![],
        end: End::Hold,
    }])
    .await;
    // The scripted reply writes only "\r\n", which is not a response: the client waits.
    let mut c = config(&server.url("/"));
    c.idle_timeout = Some(Duration::from_millis(200));
    let (events, _) = run_until(&c, LIMIT, |e| count(e, "retrying") == 1).await;
    assert_eq!(error_kinds(&events)[0], (ErrorKind::Timeout, None, true));
}

#[tokio::test]
async fn backoff_doubles_and_is_capped_with_jitter() {
    let server = ScriptedServer::start(vec![Reply::status(503, "")]).await;
    let mut c = config(&server.url("/"));
    c.retry.initial_ms = 10;
    c.retry.max_ms = 60;
    let (events, _) = run_until(&c, LIMIT, |e| count(e, "retrying") == 6).await;
    let got = delays(&events);
    let ideal = [10u64, 20, 40, 60, 60, 60];
    for ((attempt, delay), (i, want)) in got.iter().zip(ideal.iter().enumerate()) {
        assert_eq!(*attempt as usize, i + 1);
        assert!(
            *delay >= want / 2 && delay <= want,
            "attempt {attempt}: {delay} not in [{}, {want}]",
            want / 2
        );
    }
}

#[tokio::test]
async fn a_healthy_connection_resets_the_attempt_count() {
    let server = ScriptedServer::start(vec![
        Reply::status(503, ""),
        Reply::status(503, ""),
        Reply::sse("id: 1\ndata: a\n\n"),
        Reply::status(503, ""),
        Reply::sse_then_hold("data: b\n\n"),
    ])
    .await;
    let (events, _) = run_until(&config(&server.url("/")), LIMIT, |e| messages(e).len() == 2).await;
    let attempts: Vec<u32> = delays(&events).iter().map(|d| d.0).collect();
    assert_eq!(attempts, [1, 2, 1, 2]);
}

#[tokio::test]
async fn a_connection_without_events_is_not_healthy() {
    // Opens and closes at once: each one is another failed attempt, so the delay grows.
    let server = ScriptedServer::start(vec![Reply::sse(": nothing\n")]).await;
    let (events, _) = run_until(&config(&server.url("/")), LIMIT, |e| {
        count(e, "retrying") == 3
    })
    .await;
    let attempts: Vec<u32> = delays(&events).iter().map(|d| d.0).collect();
    assert_eq!(attempts, [1, 2, 3]);
}

#[tokio::test]
async fn max_retries_ends_in_retries_failed() {
    let server = ScriptedServer::start(vec![Reply::status(500, "")]).await;
    let mut c = config(&server.url("/"));
    c.retry.max_retries = Some(2);
    let (events, outcome) = run_until(&c, LIMIT, |_| false).await;
    assert_eq!(names(&events), gives_up_after(2));
    assert_eq!(events[5], Lifecycle::RetriesFailed { attempts: 2 });
    let retry_flags: Vec<bool> = error_kinds(&events).iter().map(|e| e.2).collect();
    assert_eq!(
        retry_flags,
        [true, true, false],
        "the last error must not promise a retry"
    );
    assert_eq!(outcome, Some(Outcome::GaveUp { attempts: 2 }));
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn server_retry_replaces_the_initial_delay() {
    let server = ScriptedServer::start(vec![
        Reply::sse("retry: 400\ndata: a\n\n"),
        Reply::sse_then_hold("data: b\n\n"),
    ])
    .await;
    let mut c = config(&server.url("/"));
    c.retry.max_ms = 10_000;
    let (events, _) = run_until(&c, LIMIT, |e| messages(e).len() == 2).await;
    assert!(events.contains(&Lifecycle::RetryChanged { retry_ms: 400 }));
    let (_, delay) = delays(&events)[0];
    assert!((200..=400).contains(&delay), "delay {delay}");
}

#[tokio::test]
async fn method_headers_and_body_are_resent_on_every_reconnect() {
    let server = ScriptedServer::start(vec![
        Reply::sse("id: 1\ndata: a\n\n"),
        Reply::status(502, ""),
        Reply::sse_then_hold("data: b\n\n"),
    ])
    .await;
    let mut c = config(&server.url("/q"));
    c.method = "POST".into();
    c.add_header_line("Authorization: Bearer t0k")
        .expect("header");
    c.add_header_line("X-Trace: 9").expect("header");
    c.body = Some(r#"{"subscribe":"prices"}"#.into());
    // A POST's clean end is done by default; this one subscribes to an endless stream.
    c.reconnect = Some(streamwatch_engine::reconnect_mode::ReconnectMode::Always);
    let (_, _) = run_until(&c, LIMIT, |e| messages(e).len() == 2).await;
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    for (i, r) in reqs.iter().enumerate() {
        assert_eq!(r.method, "POST", "request {i}");
        assert_eq!(r.header("authorization"), Some("Bearer t0k"), "request {i}");
        assert_eq!(r.header("x-trace"), Some("9"), "request {i}");
        assert_eq!(r.body, r#"{"subscribe":"prices"}"#, "request {i}");
    }
    assert_eq!(reqs[1].header("last-event-id"), Some("1"));
    assert_eq!(reqs[2].header("last-event-id"), Some("1"));
}

#[tokio::test]
async fn an_oversized_event_is_a_protocol_error_and_reconnects() {
    let big = format!("data: {}\n\n", "z".repeat(4096));
    let server = ScriptedServer::start(vec![
        Reply::sse_then_hold(&format!("id: 1\ndata: small\n\n{big}")),
        Reply::sse_then_hold("data: after\n\n"),
    ])
    .await;
    let mut c = config(&server.url("/"));
    c.max_event_size = 1024;
    let (events, _) = run_until(&c, LIMIT, |e| messages(e).len() == 2).await;
    assert_eq!(messages(&events), ["small", "after"]);
    assert_eq!(error_kinds(&events), [(ErrorKind::Protocol, None, true)]);
    assert_eq!(server.requests()[1].header("last-event-id"), Some("1"));
}

#[tokio::test]
async fn garbage_from_the_server_is_survived() {
    let mut garbage: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect();
    garbage.extend_from_slice(b"\n\ndata: still here\n\n");
    let server = ScriptedServer::start(vec![Reply::raw(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n",
        &garbage,
    )])
    .await;
    let (events, _) = run_until(&config(&server.url("/")), LIMIT, |e| {
        count(e, "retrying") == 1
    })
    .await;
    assert!(messages(&events).contains(&"still here".to_string()));
}

#[tokio::test]
async fn connecting_is_announced_before_every_attempt() {
    let server = ScriptedServer::start(vec![
        Reply::status(503, ""),
        Reply::sse_then_hold("data: ok\n\n"),
    ])
    .await;
    let (events, _) =
        run_until_all(&config(&server.url("/")), LIMIT, |e| messages(e).len() == 1).await;
    assert_eq!(
        names(&events),
        [
            "connecting",
            "error",
            "retrying",
            "connecting",
            "started",
            "message"
        ]
    );
    assert_eq!(events[0], Lifecycle::Connecting { attempt: 0 });
    assert_eq!(events[3], Lifecycle::Connecting { attempt: 1 });
}

#[tokio::test]
async fn a_jump_in_integer_ids_after_a_reconnect_is_a_gap() {
    let server = ScriptedServer::start(vec![
        Reply::sse("id: 40\ndata: a\n\nid: 41\ndata: b\n\n"),
        Reply::sse_then_hold("id: 57\ndata: c\n\nid: 58\ndata: d\n\n"),
    ])
    .await;
    let (events, _) = run_until(&config(&server.url("/")), LIMIT, |e| messages(e).len() == 4).await;
    assert!(events.contains(&Lifecycle::Gap {
        after: 41,
        next: 57,
        missed: 15
    }));
    assert_eq!(count(&events, "gap"), 1, "only the jump counts");
}

#[tokio::test]
async fn ids_that_start_over_after_a_reconnect_are_delivered_with_a_reset() {
    let server = ScriptedServer::start(vec![
        Reply::sse("id: 1\ndata: a\n\nid: 2\ndata: b\n\n"),
        // A server that ignores Last-Event-ID and starts over: nothing is dropped.
        Reply::sse_then_hold("id: 1\ndata: a\n\nid: 2\ndata: b\n\nid: 3\ndata: c\n\n"),
    ])
    .await;
    let (events, _) = run_until(&config(&server.url("/")), LIMIT, |e| messages(e).len() == 5).await;
    assert_eq!(messages(&events), ["a", "b", "a", "b", "c"]);
    assert!(events.contains(&Lifecycle::Reset { last: 2, first: 1 }));
    assert_eq!(count(&events, "gap"), 0);
}

#[tokio::test]
async fn sparse_ids_within_one_stream_are_not_gaps() {
    let server = ScriptedServer::start(vec![Reply::sse_then_hold(
        "id: 10\ndata: a\n\nid: 20\ndata: b\n\n",
    )])
    .await;
    let (events, _) = run_until(&config(&server.url("/")), LIMIT, |e| messages(e).len() == 2).await;
    assert_eq!(count(&events, "gap"), 0);
}

/// A sink that takes messages until `take` of them, then waits forever on the next one, as a
/// slow consumer's full queue would.
struct StallingSink {
    take: usize,
    taken: Vec<Lifecycle>,
}

impl streamwatch_engine::connection::EventSink for StallingSink {
    async fn emit(&mut self, event: Lifecycle) {
        if matches!(event, Lifecycle::Message { .. }) {
            if self.taken.len() == self.take {
                std::future::pending::<()>().await;
            }
            self.taken.push(event);
        }
    }
}

#[tokio::test]
async fn a_connection_dropped_while_an_event_waits_resumes_before_that_event() {
    // What a pause or "reconnect now" does: drop the running connection wherever it waits.
    let server = ScriptedServer::start(vec![Reply::sse_then_hold(
        "id: 1\ndata: a\n\nid: 2\ndata: b\n\nid: 3\ndata: c\n\n",
    )])
    .await;
    let config = config(&server.url("/s"));
    let client = streamwatch_engine::connection::build_client().expect("client");
    let mut state = streamwatch_engine::connection::ConnectionState::new(&config);
    let mut sink = StallingSink {
        take: 1,
        taken: Vec::new(),
    };
    let run = streamwatch_engine::connection::run(&client, &config, &mut state, &mut sink);
    // The run never ends by itself (the sink stalls on event 2): the timeout drops it.
    assert!(tokio::time::timeout(Duration::from_millis(500), run)
        .await
        .is_err());
    assert_eq!(sink.taken.len(), 1);
    // Event 2 never got out, so the next connection must ask for it again.
    assert_eq!(&*state.last_event_id, "1");
}
