//! What a subscription's stored runs say about how to start it after a restart (the catalog
//! reads it, the supervisor obeys it): its own file so neither imports the other.

use crate::run_summary::RunEnding;
use std::time::SystemTime;

/// What a subscription's stored runs say about how to start it after a restart (see
/// [`crate::supervisor::Supervisor::add_after`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunHistory {
    /// A finite stream whose last run finished cleanly and was not followed by an attempt or
    /// an edit: it starts finished, and its request (a POSTed prompt) is not sent again until
    /// the user asks.
    pub finished: Option<RunEnding>,
    /// A probe's last run started then: its next run waits for the next slot.
    pub last_probe_start: Option<SystemTime>,
}
