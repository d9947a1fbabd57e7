//! The `status` knob: the i-th request with the same key gets the i-th status of the list.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// Keys remembered before the table is cleared, so arbitrary keys cannot grow it forever.
const MAX_KEYS: usize = 10_000;

/// Request counters per status-sequence key.
#[derive(Debug, Default)]
pub(crate) struct StatusSequences {
    seen: Mutex<HashMap<String, usize>>,
}

impl StatusSequences {
    /// The status for the next request with `key`; after the list ends, its last entry repeats.
    pub(crate) fn next(&self, key: &str, statuses: &[u16]) -> u16 {
        let Some(&last) = statuses.last() else {
            return 200;
        };
        // A panic elsewhere cannot leave a counter half-updated, so a poisoned lock is usable.
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if seen.len() >= MAX_KEYS && !seen.contains_key(key) {
            seen.clear();
        }
        let index = seen.entry(key.to_owned()).or_insert(0);
        let status = statuses.get(*index).copied().unwrap_or(last);
        *index = index.saturating_add(1);
        status
    }
}

/// A response for a status that is not a stream: 204 is empty, anything else has a short text
/// body, and 503/429 carry `Retry-After` when asked to.
pub(crate) fn plain_status_response(status: StatusCode, retry_after: Option<u64>) -> Response {
    if status == StatusCode::NO_CONTENT {
        return status.into_response();
    }
    let body = format!(
        "{} {}\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Status")
    );
    let mut response = (status, body).into_response();
    if let Some(seconds) = retry_after {
        if status == StatusCode::SERVICE_UNAVAILABLE || status == StatusCode::TOO_MANY_REQUESTS {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_per_key_then_last_repeats() {
        let sequences = StatusSequences::default();
        let list = [503, 503, 200];
        let got: Vec<u16> = (0..5).map(|_| sequences.next("a", &list)).collect();
        assert_eq!(got, vec![503, 503, 200, 200, 200]);
        assert_eq!(sequences.next("b", &list), 503);
        assert_eq!(sequences.next("c", &[]), 200);
    }
}
