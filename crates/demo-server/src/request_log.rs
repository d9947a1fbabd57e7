//! The last requests received on `/events` and the LLM endpoints, so tests can check what a
//! client really sent (and how many times).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;

use axum::http::{HeaderMap, Method, Uri};
use serde::{Deserialize, Serialize};

use crate::sequence::unix_ms;

/// How many requests `/requests` keeps.
pub const REQUEST_LOG_LEN: usize = 200;

/// One request to `/events` or an LLM endpoint, as `GET /requests` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedRequest {
    /// The HTTP method, e.g. `GET`.
    pub method: String,
    /// Path and query, e.g. `/events?rate=0`.
    pub path: String,
    /// Every header, lower-case name to value; repeated headers are joined with `, `.
    pub headers: BTreeMap<String, String>,
    /// The request body, decoded as UTF-8 (invalid bytes replaced).
    pub body: String,
    /// When the request arrived, in Unix milliseconds.
    pub at_ms: u64,
}

impl LoggedRequest {
    pub(crate) fn new(method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Self {
        let mut joined: BTreeMap<String, String> = BTreeMap::new();
        for (name, value) in headers {
            let value = String::from_utf8_lossy(value.as_bytes());
            joined
                .entry(name.as_str().to_owned())
                .and_modify(|existing| {
                    existing.push_str(", ");
                    existing.push_str(&value);
                })
                .or_insert_with(|| value.into_owned());
        }
        LoggedRequest {
            method: method.as_str().to_owned(),
            path: uri
                .path_and_query()
                .map_or_else(|| uri.path().to_owned(), |pq| pq.as_str().to_owned()),
            headers: joined,
            body: String::from_utf8_lossy(body).into_owned(),
            at_ms: unix_ms(),
        }
    }
}

/// A bounded, oldest-first log of requests.
#[derive(Debug, Default)]
pub(crate) struct RequestLog {
    entries: Mutex<VecDeque<LoggedRequest>>,
}

impl RequestLog {
    pub(crate) fn push(&self, request: LoggedRequest) {
        // Entries are whole values, so a poisoned lock still holds a consistent log.
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= REQUEST_LOG_LEN {
            entries.pop_front();
        }
        entries.push_back(request);
    }

    pub(crate) fn snapshot(&self) -> Vec<LoggedRequest> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.iter().cloned().collect()
    }
}
