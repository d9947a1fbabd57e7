//! The HTTP surface: which path does what.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{any, get};
use axum::{Json, Router};

use crate::compress::compressed;
use crate::config::DemoConfig;
use crate::edge_cases::{edge_case_expected, edge_case_stream};
use crate::faults::trickle;
use crate::knobs::Knobs;
use crate::llm::{llm_router, LlmApp};
use crate::request_log::{LoggedRequest, RequestLog};
use crate::status::{plain_status_response, StatusSequences};
use crate::stream::event_stream;

/// The pause between the writes of `/edge-cases` unless `delay_ms` says otherwise.
const EDGE_CASE_GAP: Duration = Duration::from_millis(10);

/// State shared by every request of one server.
#[derive(Debug)]
pub(crate) struct App {
    config: DemoConfig,
    /// Event `n` is published at `origin + n / rate`.
    origin: Instant,
    statuses: StatusSequences,
    /// Shared with the LLM endpoints, which log their requests too.
    requests: Arc<RequestLog>,
}

impl App {
    pub(crate) fn new(config: DemoConfig) -> Self {
        App {
            config,
            origin: Instant::now(),
            statuses: StatusSequences::default(),
            requests: Arc::new(RequestLog::default()),
        }
    }
}

pub(crate) fn router(app: Arc<App>) -> Router {
    let llm = LlmApp::new(app.config.llm_token, app.requests.clone());
    Router::new()
        .route("/events", get(events).post(events))
        // Any method, so a client's POST can be redirected too (307 keeps method and body).
        .route("/redirect", any(redirect))
        .route("/edge-cases", get(edge_cases))
        .route("/edge-cases/expected", get(edge_cases_expected))
        .route("/requests", get(requests))
        .route("/health", get(health))
        .with_state(app)
        .merge(llm_router(Arc::new(llm)))
}

async fn events(
    State(app): State<Arc<App>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let logged = LoggedRequest::new(&method, &uri, &headers, &body);
    tracing::info!(%method, %uri, "events request");
    if !body.is_empty() {
        tracing::info!(body = %logged.body, "events request body");
    }
    app.requests.push(logged);

    let knobs = match query_pairs(&uri)
        .and_then(|query| Knobs::from_query(&app.config, &query).map_err(|err| err.to_string()))
    {
        Ok(knobs) => knobs,
        Err(message) => return bad_request(message),
    };

    let code = app.statuses.next(&knobs.status_key, &knobs.status);
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if !status.is_success() || status == StatusCode::NO_CONTENT {
        return plain_status_response(status, knobs.retry_after);
    }

    let content_type = knobs.content_type.as_deref().unwrap_or("text/event-stream");
    let Ok(content_type) = HeaderValue::from_str(content_type) else {
        return bad_request(format!(
            "content_type {content_type:?} is not a header value"
        ));
    };
    // The header wins over the query: a browser keeps its first URL (and so its first
    // `lastEventId`) on every reconnect, but sends the newest id in the header.
    let last_event_id = header_last_event_id(&headers).or(knobs.last_event_id);
    let events = event_stream(&knobs, app.origin, last_event_id);
    let accepted = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok());
    let coding = knobs.compress.and_then(|c| c.choose(accepted));
    let body = match (knobs.trickle, coding) {
        (Some(gap), Some(coding)) => Body::from_stream(compressed(trickle(events, gap), coding)),
        (Some(gap), None) => Body::from_stream(trickle(events, gap)),
        (None, Some(coding)) => Body::from_stream(compressed(events, coding)),
        (None, None) => Body::from_stream(events),
    };
    let mut response = stream_response(status, content_type, body);
    if let Some(coding) = coding {
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_ENCODING,
            HeaderValue::from_static(coding.token()),
        );
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

fn header_last_event_id(headers: &HeaderMap) -> Option<u64> {
    headers
        .get("last-event-id")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn stream_response(status: StatusCode, content_type: HeaderValue, body: Body) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

fn query_pairs(uri: &Uri) -> Result<Vec<(String, String)>, String> {
    Query::<Vec<(String, String)>>::try_from_uri(uri)
        .map(|Query(pairs)| pairs)
        .map_err(|err| err.body_text())
}

fn query_value(uri: &Uri, name: &str) -> Result<Option<String>, String> {
    Ok(query_pairs(uri)?
        .into_iter()
        .rev()
        .find_map(|(key, value)| (key == name).then_some(value)))
}

fn bad_request(message: String) -> Response {
    (StatusCode::BAD_REQUEST, format!("{message}\n")).into_response()
}

async fn redirect(uri: Uri) -> Response {
    match query_value(&uri, "to") {
        // Only local paths: `//host` would make this an open redirect to another host.
        Ok(Some(to)) if to.starts_with('/') && !to.starts_with("//") => {
            Redirect::temporary(&to).into_response()
        }
        Ok(_) => bad_request("`to` must be a path starting with a single /".to_owned()),
        Err(message) => bad_request(message),
    }
}

async fn edge_cases(uri: Uri) -> Response {
    let gap = match query_value(&uri, "delay_ms") {
        Ok(None) => EDGE_CASE_GAP,
        Ok(Some(ms)) => match ms.trim().parse() {
            Ok(ms) => Duration::from_millis(ms),
            Err(_) => return bad_request(format!("bad delay_ms {ms:?}")),
        },
        Err(message) => return bad_request(message),
    };
    stream_response(
        StatusCode::OK,
        HeaderValue::from_static("text/event-stream"),
        Body::from_stream(edge_case_stream(gap)),
    )
}

async fn edge_cases_expected() -> Response {
    Json(edge_case_expected()).into_response()
}

/// The request log, for local clients only: it holds every header a client sent, secrets
/// included, so a web page must not read it through DNS rebinding (a hostile name that
/// resolves to 127.0.0.1 still carries its own name in `Host`).
async fn requests(State(app): State<Arc<App>>, uri: Uri, headers: HeaderMap) -> Response {
    if !names_loopback(&uri, &headers) {
        return (
            StatusCode::FORBIDDEN,
            "/requests answers only to a Host of 127.0.0.1, [::1] or localhost\n",
        )
            .into_response();
    }
    Json(app.requests.snapshot()).into_response()
}

/// Whether the request names this machine by a loopback address: the `Host` header (or, with
/// none, an absolute request target's authority) must be present and every one given must be
/// loopback.
fn names_loopback(uri: &Uri, headers: &HeaderMap) -> bool {
    let mut hosts = headers
        .get_all(header::HOST)
        .iter()
        .map(|v| v.to_str().ok())
        .collect::<Vec<_>>();
    if let Some(authority) = uri.authority() {
        hosts.push(Some(authority.as_str()));
    }
    !hosts.is_empty() && hosts.iter().all(|h| h.is_some_and(is_loopback_host))
}

/// Whether a `Host` value (`host[:port]`) names 127.0.0.1, ::1 or localhost.
pub(crate) fn is_loopback_host(value: &str) -> bool {
    // The authority parser splits the port off and rejects junk; userinfo has no place in Host.
    let Ok(authority) = value.trim().parse::<axum::http::uri::Authority>() else {
        return false;
    };
    if authority.as_str().contains('@') {
        return false;
    }
    let host = authority.host();
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    host.eq_ignore_ascii_case("localhost") || host == "127.0.0.1" || host == "::1"
}

async fn health() -> &'static str {
    "ok"
}

#[cfg(test)]
mod tests {
    use super::is_loopback_host;

    #[test]
    fn only_loopback_names_pass() {
        for ok in [
            "127.0.0.1",
            "127.0.0.1:8080",
            "[::1]",
            "[::1]:80",
            "localhost",
            "LocalHost:3000",
        ] {
            assert!(is_loopback_host(ok), "{ok}");
        }
        for bad in [
            "",
            "evil.example",
            "evil.example:80",
            "127.0.0.1.evil.example",
            "localhost.evil.example",
            "user@127.0.0.1",
            "127.0.0.2",
            "0.0.0.0",
            "[::2]",
            "::1",
            "127.0.0.1:80:80",
        ] {
            assert!(!is_loopback_host(bad), "{bad:?}");
        }
    }
}
