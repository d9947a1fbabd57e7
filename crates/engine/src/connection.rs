//! One subscription's life: request, response policy, idle timeout, and the retry loop.
//!
//! It speaks only in [`Lifecycle`] events. Cancelling is dropping the future: everything worth
//! keeping (last id, server `retry:`, failure count) lives in [`ConnectionState`], updated as it
//! changes, so a paused or restarted connection resumes where it left off.

use crate::backoff::{self, DelayInput};
use crate::cert_problem::CertProblem;
use crate::client_options::{ClientOptions, ClientOptionsError};
use crate::continuity::{self, Verdict};
pub use crate::event_sink::EventSink;
use crate::http_client::HttpClient;
use crate::lifecycle::{ErrorKind, Lifecycle};
use crate::liveness::{self, AutoIdle};
use crate::parser::{Frame, Parser};
use crate::redaction::RedactingSink;
use crate::redirects::{self, SendError};
use crate::run_summary::{EndReason, RunSummary, RunTracker};
use crate::shared_str::SharedStr;
use crate::subscription::SubscriptionConfig;
use futures_util::StreamExt;
use reqwest::header::{
    HeaderMap, HeaderName, HeaderValue, CONTENT_ENCODING, CONTENT_TYPE, RETRY_AFTER,
};
use reqwest::StatusCode;
use std::future::Future;
use std::time::{Duration, Instant, SystemTime};

/// What survives between attempts, and across a pause.
#[derive(Debug, Clone, Default)]
pub struct ConnectionState {
    /// The last event id string; sent as `Last-Event-ID` when non-empty.
    pub last_event_id: SharedStr,
    /// The server's latest `retry:`.
    pub server_retry_ms: Option<u64>,
    /// Consecutive failed attempts since the last healthy connection.
    pub failures: u32,
    /// The idle timeout learned from byte arrivals, in force when the config sets none.
    pub auto_idle: AutoIdle,
}

impl ConnectionState {
    /// Fresh state for `config`, starting from its configured last event id.
    pub fn new(config: &SubscriptionConfig) -> Self {
        ConnectionState {
            last_event_id: config.last_event_id.clone().unwrap_or_default(),
            server_retry_ms: None,
            failures: 0,
            auto_idle: AutoIdle::default(),
        }
    }
}

/// How a connection ended for good.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The server answered 204: nothing more to stream.
    NoContent,
    /// A failure that retrying cannot fix (4xx, wrong content type, bad request).
    Fatal,
    /// `max_retries` consecutive retries failed.
    GaveUp {
        /// Retries made.
        attempts: u32,
    },
    /// The stream ended cleanly (an end sentinel or a clean close) and the reconnect mode
    /// (`error` or `never`) says that is the end: a finite stream is not requested again.
    Finished {
        /// The run's figures.
        summary: Box<RunSummary>,
    },
    /// It failed and the reconnect mode is `never`.
    NotReconnected {
        /// The failed run's figures, when the stream had opened.
        summary: Option<Box<RunSummary>>,
    },
}

/// Builds the HTTP client connections share (one pool, rustls). It follows no redirects:
/// [`redirects::send`] does, deciding per hop which headers go along.
/// Uses the environment's proxy (`HTTPS_PROXY`, `NO_PROXY`, …) and the system's CAs; a
/// subscription with its own settings builds through [`ClientOptions::build_client`].
pub fn build_client() -> Result<HttpClient, ClientOptionsError> {
    ClientOptions::default().build_client()
}

/// How one attempt ended.
enum AttemptEnd {
    NoContent,
    Fatal,
    /// Ended; reconnect if the mode allows. The summary is there when the stream had opened.
    Retry {
        retry_after: Option<Duration>,
        summary: Option<Box<RunSummary>>,
    },
    /// Ended cleanly, and the mode says not to reconnect.
    Done(Box<RunSummary>),
}

impl AttemptEnd {
    /// An attempt that failed before the stream opened.
    fn retry(retry_after: Option<Duration>) -> AttemptEnd {
        AttemptEnd::Retry {
            retry_after,
            summary: None,
        }
    }
}

/// Runs the subscription until it ends for good. Drop the future to stop it.
pub async fn run<S: EventSink>(
    client: &HttpClient,
    config: &SubscriptionConfig,
    state: &mut ConnectionState,
    sink: &mut S,
) -> Outcome {
    // Every message below may quote the URL or a header (reqwest's errors do).
    let sink = &mut RedactingSink::new(sink, config);
    loop {
        let mut delivered = false;
        // Opening is boxed and gone once the stream is open: an idle subscription's task then
        // holds only the reading state, not the room the request and its errors needed too
        // (6.3 KiB in all before, per subscription, for as long as the stream was open).
        let end = match Box::pin(open(client, config, state, sink)).await {
            Ok((response, run)) => {
                stream_body(response, config, state, sink, &mut delivered, run).await
            }
            Err(end) => end,
        };
        let retry_after = match end {
            AttemptEnd::NoContent => {
                sink.emit(Lifecycle::Finished).await;
                return Outcome::NoContent;
            }
            AttemptEnd::Fatal => return Outcome::Fatal,
            AttemptEnd::Done(summary) => return Outcome::Finished { summary },
            AttemptEnd::Retry {
                retry_after,
                summary,
            } => {
                // A clean end under `never` is `Done`: what is left here failed.
                if !config.reconnect_mode().after_error() {
                    return Outcome::NotReconnected { summary };
                }
                retry_after
            }
        };
        if delivered {
            state.failures = 0;
        }
        if !backoff::may_retry(&config.retry, state.failures) {
            let attempts = state.failures;
            sink.emit(Lifecycle::RetriesFailed { attempts }).await;
            return Outcome::GaveUp { attempts };
        }
        state.failures += 1;
        let delay_ms = backoff::delay_ms(
            &config.retry,
            DelayInput {
                attempt: state.failures,
                server_retry_ms: state.server_retry_ms,
                retry_after,
            },
            rand::random::<f64>(),
        );
        sink.emit(Lifecycle::Retrying {
            attempt: state.failures,
            delay_ms,
        })
        .await;
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
    }
}

/// Headers every request carries before the subscription's own, as an `EventSource` sends them.
pub const STREAM_HEADERS: [(&str, &str); 2] = [
    ("Accept", "text/event-stream"),
    ("Cache-Control", "no-cache"),
];

/// Whether a last event id goes out as `Last-Event-ID`: ids are decoded text, and one that
/// cannot be a header value is not sent rather than failing every reconnect.
pub fn sends_last_event_id(last_event_id: &str) -> bool {
    !last_event_id.is_empty() && HeaderValue::from_str(last_event_id).is_ok()
}

fn build_request(
    client: &HttpClient,
    config: &SubscriptionConfig,
    last_event_id: &str,
) -> Result<reqwest::RequestBuilder, String> {
    let method = reqwest::Method::from_bytes(config.method.as_bytes())
        .map_err(|_| format!("invalid HTTP method {:?}", config.method))?;
    let mut req = client.request(method, config.url.clone());
    for (name, value) in STREAM_HEADERS {
        req = req.header(name, value);
    }
    for (name, value) in &config.headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("invalid header name {name:?}"))?;
        let value =
            HeaderValue::from_str(value).map_err(|_| format!("invalid value for header {name}"))?;
        req = req.header(name, value);
    }
    if sends_last_event_id(last_event_id) {
        req = req.header("Last-Event-ID", last_event_id);
    }
    if let Some(body) = &config.body {
        req = req.body(body.clone());
    }
    Ok(req)
}

/// Renders an error with its causes, since reqwest's top-level message hides the reason.
/// The error's chain in one line; a certificate problem's plain words first (see
/// [`crate::cert_problem::words_in`]).
fn describe(err: &(dyn std::error::Error + 'static)) -> String {
    let mut msg = match CertProblem::from_error(err) {
        Some(problem) => format!("{}; {err}", problem.words()),
        None => err.to_string(),
    };
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !msg.contains(&text) {
            msg.push_str(": ");
            msg.push_str(&text);
        }
        source = cause.source();
    }
    msg
}

fn is_event_stream(content_type: Option<&HeaderValue>) -> bool {
    content_type
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("text/event-stream")
        })
        .unwrap_or(false)
}

/// The most of a server's `Content-Encoding` echoed in an error: it is the server's text.
const ENCODING_ECHO_MAX: usize = 40;

/// The content codings the client offers and inflates (reqwest's decoders, incrementally).
pub const SUPPORTED_ENCODINGS: &str = "gzip, br, zstd, deflate";

/// Why the body cannot be read, when the server compressed it some other way: reqwest inflates
/// the codings it offers and then drops the header, so one still here is a coding (or a chain
/// of them) it does not know, and its bytes parsed as text would leave the stream "open" on
/// garbage. `identity` is no compression.
fn unsupported_encoding(headers: &HeaderMap) -> Option<String> {
    let mut codings = Vec::new();
    for value in headers.get_all(CONTENT_ENCODING) {
        let Ok(text) = value.to_str() else {
            codings.push("an unreadable encoding");
            continue;
        };
        codings.extend(
            text.split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty() && !c.eq_ignore_ascii_case("identity")),
        );
    }
    if codings.is_empty() {
        return None;
    }
    let mut named = codings.join(", ");
    if named.len() > ENCODING_ECHO_MAX {
        // Header values are visible ASCII here, so any byte index is a char boundary.
        named.truncate(ENCODING_ECHO_MAX);
        named.push('…');
    }
    Some(format!(
        "the server compressed the stream with {named}, which Streamwatch cannot decode \
         (it decodes {SUPPORTED_ENCODINGS})"
    ))
}

fn retryable_status(status: StatusCode) -> bool {
    status.is_server_error()
        || status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
}

/// Whether a retryable failure will really be retried: `error.will_retry` must not promise a
/// retry that the budget, or a reconnect mode of `never`, then refuses.
fn budget_left(config: &SubscriptionConfig, failures: u32, delivered: bool) -> bool {
    config.reconnect_mode().after_error()
        && backoff::may_retry(&config.retry, if delivered { 0 } else { failures })
}

async fn emit_error<S: EventSink>(
    sink: &mut S,
    kind: ErrorKind,
    message: String,
    status: Option<u16>,
    will_retry: bool,
) {
    sink.emit(Lifecycle::Error {
        kind,
        message,
        status,
        will_retry,
    })
    .await;
}

/// Awaits `fut`, bounded by the idle timeout when one is set.
async fn within<F: Future>(idle: Option<Duration>, fut: F) -> Option<F::Output> {
    match idle {
        Some(d) => tokio::time::timeout(d, fut).await.ok(),
        None => Some(fut.await),
    }
}

/// The idle timeout in force now: the configured one (`0` is off), else the automatic one,
/// which changes as the connection learns the stream's habits.
fn idle_limit(config: &SubscriptionConfig, state: &ConnectionState) -> Option<Duration> {
    match config.idle_timeout {
        Some(d) if d.is_zero() => None,
        Some(d) => Some(d),
        None => Some(state.auto_idle.timeout()),
    }
}

/// "0.3 s (idle timeout)", or for the learned one "45 s (automatic idle timeout)".
fn idle_words(config: &SubscriptionConfig, idle: Option<Duration>) -> String {
    let d = idle.unwrap_or_default();
    if config.idle_timeout.is_none() {
        format!("{} (automatic idle timeout)", liveness::words(d))
    } else {
        format!("{} s (idle timeout)", d.as_secs_f64())
    }
}

/// Sends the request and checks the answer: the open stream and its run's tracker, or how the
/// attempt ended without one.
async fn open<S: EventSink>(
    client: &HttpClient,
    config: &SubscriptionConfig,
    state: &mut ConnectionState,
    sink: &mut S,
) -> Result<(reqwest::Response, RunTracker), AttemptEnd> {
    sink.emit(Lifecycle::Connecting {
        attempt: state.failures,
    })
    .await;
    let req = match build_request(client, config, &state.last_event_id) {
        Ok(r) => r,
        Err(message) => {
            emit_error(sink, ErrorKind::Network, message, None, false).await;
            return Err(AttemptEnd::Fatal);
        }
    };
    let req = match req.build() {
        Ok(r) => r,
        Err(e) => {
            emit_error(sink, ErrorKind::Network, describe(&e), None, false).await;
            return Err(AttemptEnd::Fatal);
        }
    };
    let idle = idle_limit(config, state);
    state.auto_idle.attempt_started(SystemTime::now());
    let sent_at = Instant::now();
    let send = redirects::send(
        client,
        req,
        config.body.as_deref(),
        &config.secret_headers,
        config.redirects,
    );
    let sent = match within(idle, send).await {
        None => {
            state.auto_idle.timed_out();
            let message = format!("no response within {}", idle_words(config, idle));
            let retry = budget_left(config, state.failures, false);
            emit_error(sink, ErrorKind::Timeout, message, None, retry).await;
            return Err(AttemptEnd::retry(None));
        }
        Some(Err(SendError::Redirect(e))) => {
            // Following it would take a different request than the user set up: they must act.
            let status = e.status().as_u16();
            emit_error(
                sink,
                ErrorKind::HttpStatus,
                e.to_string(),
                Some(status),
                false,
            )
            .await;
            return Err(AttemptEnd::Fatal);
        }
        Some(Err(SendError::Http(e))) => {
            let fatal = e.is_builder();
            let retry = !fatal && budget_left(config, state.failures, false);
            emit_error(sink, ErrorKind::Network, describe(&e), None, retry).await;
            return Err(if fatal {
                AttemptEnd::Fatal
            } else {
                AttemptEnd::retry(None)
            });
        }
        Some(Ok(sent)) => sent,
    };
    let final_url = sent.url;
    let response = sent.response;

    let status = response.status();
    if status == StatusCode::NO_CONTENT {
        return Err(AttemptEnd::NoContent);
    }
    if !status.is_success() {
        let retry = retryable_status(status);
        let will_retry = retry && budget_left(config, state.failures, false);
        let retry_after = if matches!(
            status,
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
        ) {
            response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| backoff::parse_retry_after(v, SystemTime::now()))
        } else {
            None
        };
        let message = format!("server answered {status}");
        emit_error(
            sink,
            ErrorKind::HttpStatus,
            message,
            Some(status.as_u16()),
            will_retry,
        )
        .await;
        return Err(if retry {
            AttemptEnd::retry(retry_after)
        } else {
            AttemptEnd::Fatal
        });
    }
    let content_type = response.headers().get(CONTENT_TYPE);
    if !is_event_stream(content_type) {
        let got = content_type
            .and_then(|v| v.to_str().ok())
            .unwrap_or("none")
            .to_string();
        let message = format!("expected Content-Type text/event-stream, got {got}");
        emit_error(
            sink,
            ErrorKind::ContentType,
            message,
            Some(status.as_u16()),
            false,
        )
        .await;
        return Err(AttemptEnd::Fatal);
    }

    if let Some(message) = unsupported_encoding(response.headers()) {
        // Like a wrong content type: the same server will answer the same way again.
        emit_error(
            sink,
            ErrorKind::ContentType,
            message,
            Some(status.as_u16()),
            false,
        )
        .await;
        return Err(AttemptEnd::Fatal);
    }

    let mut run = RunTracker::new(sent_at, status.as_u16(), config.end_event.clone());
    if config.records_runs() {
        run = run.keep_raw(crate::storage::RUN_TEXT_CAP_BYTES);
    }
    sink.emit(Lifecycle::Started {
        url: final_url.to_string(),
        status: status.as_u16(),
    })
    .await;
    Ok((response, run))
}

/// How an open stream's run ends: a clean end is done unless the mode reconnects after one.
async fn run_ended<S: EventSink>(
    config: &SubscriptionConfig,
    sink: &mut S,
    run: &RunTracker,
    end: EndReason,
    sentinel: Option<String>,
) -> AttemptEnd {
    if end.is_clean() {
        sink.emit(Lifecycle::Finished).await;
    }
    let summary = Box::new(run.finish(end, sentinel));
    if end.is_clean() && !config.reconnect_mode().after_clean_end() {
        AttemptEnd::Done(summary)
    } else {
        AttemptEnd::Retry {
            retry_after: None,
            summary: Some(summary),
        }
    }
}

async fn stream_body<S: EventSink>(
    response: reqwest::Response,
    config: &SubscriptionConfig,
    state: &mut ConnectionState,
    sink: &mut S,
    delivered: &mut bool,
    mut run: RunTracker,
) -> AttemptEnd {
    let mut parser = Parser::with_max_event_size(config.max_event_size)
        .with_last_event_id(state.last_event_id.clone());
    let mut body = response.bytes_stream();
    let mut frames = Vec::new();
    // Every event's id is judged (replays, resets, gaps); none is dropped.
    let mut continuity = continuity::Tracker::resuming(&state.last_event_id)
        .ids_not_sequential(config.ids_not_sequential);
    let learning = config.idle_timeout.is_none();
    loop {
        // Read again each time: the automatic timeout follows what was learned.
        let idle = idle_limit(config, state);
        let chunk = match within(idle, body.next()).await {
            None => {
                state.auto_idle.timed_out();
                let message = format!("no data for {}", idle_words(config, idle));
                let retry = budget_left(config, state.failures, *delivered);
                emit_error(sink, ErrorKind::Timeout, message, None, retry).await;
                return run_ended(config, sink, &run, EndReason::Timeout, None).await;
            }
            Some(None) => {
                return run_ended(config, sink, &run, EndReason::CleanClose, None).await;
            }
            Some(Some(Err(e))) => {
                let retry = budget_left(config, state.failures, *delivered);
                emit_error(sink, ErrorKind::Network, describe(&e), None, retry).await;
                return run_ended(config, sink, &run, EndReason::Error, None).await;
            }
            Some(Some(Ok(chunk))) => chunk,
        };
        run.bytes(chunk.len());
        if learning {
            state.auto_idle.bytes_arrived(SystemTime::now());
        }
        let parsed = parser.feed(chunk, |f| frames.push(f));
        for frame in frames.drain(..) {
            match frame {
                Frame::Event(e) => {
                    let replayed = match continuity.judge(e.has_id.then_some(e.id.as_str())) {
                        Verdict::Replay => true,
                        Verdict::Gap {
                            after,
                            next,
                            missed,
                        } => {
                            sink.emit(Lifecycle::Gap {
                                after,
                                next,
                                missed,
                            })
                            .await;
                            false
                        }
                        Verdict::Reset { last, first } => {
                            sink.emit(Lifecycle::Reset { last, first }).await;
                            false
                        }
                        Verdict::Deliver => false,
                    };
                    *delivered = true;
                    let sentinel = run.event(&e.event, &e.data);
                    // A replayed id is older than the one we resumed from: resuming from it
                    // would only ask for the replay again.
                    let resume_from = (!replayed).then(|| e.id.clone());
                    let mismatch = config.expectations.judge(&e.event, &e.data);
                    sink.emit(Lifecycle::Message {
                        event: e.event,
                        data: e.data,
                        id: e.id,
                        replayed,
                        mismatch,
                    })
                    .await;
                    // Moved only once the event is out: a pause or "reconnect now" may drop
                    // this future while the sink waits, and must then resume before the event,
                    // not after it (which would lose it).
                    if let Some(id) = resume_from {
                        state.last_event_id = id;
                    }
                    if sentinel.is_some() {
                        // The answer is complete: whatever follows (and the socket, which
                        // the server may keep open) is not waited for.
                        let end = EndReason::DoneSentinel;
                        return run_ended(config, sink, &run, end, sentinel).await;
                    }
                }
                Frame::Comment(text) => sink.emit(Lifecycle::Comment { text }).await,
                Frame::Retry(ms) => {
                    state.server_retry_ms = Some(ms);
                    sink.emit(Lifecycle::RetryChanged { retry_ms: ms }).await;
                }
            }
        }
        // An id-only block moves the last id without an event; replays must not move it back.
        if !continuity.replaying() {
            state.last_event_id = parser.last_event_id().clone();
        }
        if let Err(e) = parsed {
            let retry = budget_left(config, state.failures, *delivered);
            emit_error(sink, ErrorKind::Protocol, e.to_string(), None, retry).await;
            return run_ended(config, sink, &run, EndReason::Error, None).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_parameters_are_allowed() {
        let ok = HeaderValue::from_static("Text/Event-Stream; charset=latin1");
        assert!(is_event_stream(Some(&ok)));
        let bad = HeaderValue::from_static("text/plain");
        assert!(!is_event_stream(Some(&bad)));
        assert!(!is_event_stream(None));
    }

    #[test]
    fn only_real_compression_is_an_unsupported_encoding() {
        let with = |values: &[&str]| {
            let mut h = HeaderMap::new();
            for v in values {
                h.append(CONTENT_ENCODING, HeaderValue::from_str(v).unwrap());
            }
            unsupported_encoding(&h)
        };
        assert_eq!(with(&[]), None);
        assert_eq!(with(&["identity"]), None);
        assert_eq!(with(&["Identity", " "]), None);
        // What reqwest leaves in place: a coding it does not decode, or a chain of codings.
        assert_eq!(
            with(&["compress"]).as_deref(),
            Some(
                "the server compressed the stream with compress, which Streamwatch cannot \
                 decode (it decodes gzip, br, zstd, deflate)"
            )
        );
        assert_eq!(
            with(&["identity, br", "gzip"]).as_deref(),
            Some(
                "the server compressed the stream with br, gzip, which Streamwatch cannot \
                 decode (it decodes gzip, br, zstd, deflate)"
            )
        );
        let long = with(&[&"x".repeat(500)]).unwrap();
        assert!(long.len() < 160, "{long}");
    }

    #[test]
    fn retryable_statuses() {
        for s in [500, 502, 503, 408, 429] {
            assert!(retryable_status(StatusCode::from_u16(s).unwrap()), "{s}");
        }
        for s in [400, 401, 403, 404, 410] {
            assert!(!retryable_status(StatusCode::from_u16(s).unwrap()), "{s}");
        }
    }
}
