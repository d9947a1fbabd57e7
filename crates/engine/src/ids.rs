//! Identifiers shared along the data path; their own module so that the supervisor (which
//! hands them out) and storage (which keys rows by them) need not import each other.

use serde::Serialize;

/// Identifies a subscription (its row id in the database).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct SubscriptionId(pub u64);

impl std::fmt::Display for SubscriptionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}
