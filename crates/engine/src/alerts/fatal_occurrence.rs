//! A fatal stop is told once per occurrence, across restarts of the app.
//!
//! A subscription stopped by a failure retrying cannot fix (HTTP 401, a wrong content type)
//! stays saved and running, so every launch of the app connects it again and meets the same
//! failure. That is still the one occurrence the user was told about: only when the user starts
//! it again (Resume, Reconnect, an edit, a pause) or it opens does the occurrence end, and the
//! next fatal stop is a new one. The notifier keeps, per subscription, which fatal stop it told
//! ([`occurrence_key`]); whoever runs it persists the [`OccurrenceChange`]s it reports and hands
//! the stored key back ([`crate::alerts::Notifier::remember_fatal`]) after a restart.

use crate::ids::SubscriptionId;
use crate::lifecycle::ErrorKind;

/// What a fatal stop is, as stored: `"http-status 401"`, `"content-type"`. The same failure
/// after a restart has the same key; another status is another failure, and is told.
pub fn occurrence_key(kind: ErrorKind, status: Option<u16>) -> String {
    match (kind, status) {
        (ErrorKind::HttpStatus, Some(s)) => format!("{} {s}", kind.as_str()),
        _ => kind.as_str().to_string(),
    }
}

/// A change to persist, in the order they happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OccurrenceChange {
    /// A fatal stop was told: it is not told again until the occurrence ends.
    Told {
        /// The subscription.
        id: SubscriptionId,
        /// Its [`occurrence_key`].
        key: String,
    },
    /// The told occurrence ended (the user started the subscription again, or it opened).
    Ended {
        /// The subscription.
        id: SubscriptionId,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_the_failure_and_tell_statuses_apart() {
        assert_eq!(
            occurrence_key(ErrorKind::HttpStatus, Some(401)),
            "http-status 401"
        );
        assert_ne!(
            occurrence_key(ErrorKind::HttpStatus, Some(401)),
            occurrence_key(ErrorKind::HttpStatus, Some(403))
        );
        assert_eq!(
            occurrence_key(ErrorKind::ContentType, Some(200)),
            "content-type"
        );
    }
}
