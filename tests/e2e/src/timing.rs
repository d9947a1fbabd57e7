//! How long the harness waits, and how often it looks again.
//!
//! These live apart from `lib.rs` so the modules that wait can import them without depending
//! on the crate root, which in turn re-exports those modules.

use std::time::Duration;

/// How long a wait for something the user would see lasts before the test fails.
pub const WAIT: Duration = Duration::from_secs(15);

/// How long one WebDriver command may take before the test fails (a command the driver never
/// answers would otherwise hang the test, and every later command queues behind it).
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(20);

/// How often a wait looks again.
pub const POLL: Duration = Duration::from_millis(100);
