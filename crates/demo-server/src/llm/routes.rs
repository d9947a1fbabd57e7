//! The LLM endpoints' routes: log the request, read the knobs, validate the body, stream.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::Value;

use super::answer::Answer;
use super::knobs::LlmKnobs;
use super::prompt::Prompt;
use super::script::Script;
use super::{anthropic, gemini, openai_chat, openai_responses};
use crate::request_log::{LoggedRequest, RequestLog};
use crate::sequence::unix_ms;
use crate::status::StatusSequences;

/// State the LLM endpoints share.
#[derive(Debug)]
pub(crate) struct LlmApp {
    /// The default pause before each token.
    token_gap: Duration,
    /// The server's request log, shared with `/events`.
    requests: Arc<RequestLog>,
    /// Numbers responses, for their ids.
    responses: AtomicU64,
    /// Request counters of the `status` knob.
    statuses: StatusSequences,
}

impl LlmApp {
    pub(crate) fn new(token_gap: Duration, requests: Arc<RequestLog>) -> Self {
        LlmApp {
            token_gap,
            requests,
            responses: AtomicU64::new(0),
            statuses: StatusSequences::default(),
        }
    }
}

/// Which provider's API a request speaks.
#[derive(Debug, Clone, Copy)]
enum Api {
    OpenaiChat,
    OpenaiResponses,
    Anthropic,
    Gemini,
}

pub(crate) fn llm_router(app: Arc<LlmApp>) -> Router {
    Router::new()
        .route("/v1/chat/completions", post(chat))
        .route("/v1/responses", post(responses))
        .route("/v1/messages", post(messages))
        // `{model}:streamGenerateContent` is one path segment.
        .route("/v1beta/models/{model_method}", post(gemini))
        .with_state(app)
}

/// A request as the handlers get it.
struct Incoming {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
}

async fn chat(
    State(app): State<Arc<LlmApp>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    serve(
        &app,
        Api::OpenaiChat,
        None,
        Incoming {
            method,
            uri,
            headers,
            body,
        },
    )
}

async fn responses(
    State(app): State<Arc<LlmApp>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    serve(
        &app,
        Api::OpenaiResponses,
        None,
        Incoming {
            method,
            uri,
            headers,
            body,
        },
    )
}

async fn messages(
    State(app): State<Arc<LlmApp>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    serve(
        &app,
        Api::Anthropic,
        None,
        Incoming {
            method,
            uri,
            headers,
            body,
        },
    )
}

async fn gemini(
    State(app): State<Arc<LlmApp>>,
    Path(model_method): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    serve(
        &app,
        Api::Gemini,
        Some(&model_method),
        Incoming {
            method,
            uri,
            headers,
            body,
        },
    )
}

fn serve(app: &LlmApp, api: Api, model_method: Option<&str>, request: Incoming) -> Response {
    app.requests.push(LoggedRequest::new(
        &request.method,
        &request.uri,
        &request.headers,
        &request.body,
    ));
    tracing::info!(uri = %request.uri, "LLM request");
    let query = match Query::<Vec<(String, String)>>::try_from_uri(&request.uri) {
        Ok(Query(pairs)) => pairs,
        Err(err) => return error(api, StatusCode::BAD_REQUEST, &err.body_text()),
    };
    let knobs = match LlmKnobs::from_query(app.token_gap, &query) {
        Ok(knobs) => knobs,
        Err(err) => return error(api, StatusCode::BAD_REQUEST, &err.to_string()),
    };
    let code = app.statuses.next(&knobs.status_key, &knobs.status);
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status != StatusCode::OK {
        return status_error(api, status, knobs.retry_after);
    }
    let parsed = match (api, model_method) {
        (Api::OpenaiChat, _) => openai_chat::parse(&request.body),
        (Api::OpenaiResponses, _) => openai_responses::parse(&request.body),
        (Api::Anthropic, _) => anthropic::parse(&request.body),
        (Api::Gemini, model_method) => {
            let (model, method) = model_method
                .unwrap_or("")
                .rsplit_once(':')
                .unwrap_or(("", ""));
            if method != gemini::STREAM_METHOD || model.is_empty() {
                return error(
                    api,
                    StatusCode::NOT_FOUND,
                    "this demo server serves only {model}:streamGenerateContent",
                );
            }
            // Without `alt=sse` Gemini streams one JSON array, which is not an event stream.
            if !query
                .iter()
                .any(|(name, value)| name == "alt" && value == "sse")
            {
                return error(
                    api,
                    StatusCode::BAD_REQUEST,
                    "this demo server streams only with ?alt=sse",
                );
            }
            gemini::parse(model, &request.body)
        }
    };
    let prompt = match parsed {
        Ok(prompt) => prompt,
        Err(message) => return error(api, StatusCode::BAD_REQUEST, &message),
    };
    let n = app.responses.fetch_add(1, Ordering::Relaxed) + 1;
    let script = script(api, &prompt, &Answer::to(&prompt), n);
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/event-stream"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        Body::from_stream(script.into_body(&knobs)),
    )
        .into_response()
}

fn script(api: Api, prompt: &Prompt, answer: &Answer, n: u64) -> Script {
    let created = unix_ms() / 1000;
    match api {
        Api::OpenaiChat => openai_chat::script(prompt, answer, n, created),
        Api::OpenaiResponses => openai_responses::script(prompt, answer, n, created),
        Api::Anthropic => anthropic::script(prompt, answer, n),
        Api::Gemini => gemini::script(prompt, answer, n),
    }
}

/// An error in the provider's own JSON shape.
fn error(api: Api, status: StatusCode, message: &str) -> Response {
    let body: Value = match api {
        Api::OpenaiChat => openai_chat::error_body(message),
        Api::OpenaiResponses => openai_responses::error_body(message),
        Api::Anthropic => anthropic::error_body(message),
        Api::Gemini => {
            // Google's canonical status names.
            let name = match status {
                StatusCode::NOT_FOUND => "NOT_FOUND",
                StatusCode::TOO_MANY_REQUESTS => "RESOURCE_EXHAUSTED",
                StatusCode::SERVICE_UNAVAILABLE => "UNAVAILABLE",
                s if s.is_server_error() => "INTERNAL",
                _ => "INVALID_ARGUMENT",
            };
            gemini::error_body(status.as_u16(), name, message)
        }
    };
    (status, Json(body)).into_response()
}

/// The `status` knob's answer: the provider's error JSON, with `Retry-After` on a 429 or 503
/// when asked for.
fn status_error(api: Api, status: StatusCode, retry_after: Option<u64>) -> Response {
    let message = format!(
        "{} {} (the demo server's status knob)",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Status")
    );
    let mut response = error(api, status, &message);
    if let Some(seconds) = retry_after {
        if status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
    }
    response
}
