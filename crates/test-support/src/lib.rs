//! What the Streamwatch test suites share: servers to test against (the demo server, a scripted
//! raw HTTP server, TLS servers with certificates made in the test, real HTTP and SOCKS5
//! proxies, a comment flood, the peak-RSS benchmarks' hostile streams), resident-memory
//! checks, a private gnome-keyring on its own D-Bus, child-process guards, and checks on files
//! and ids.
//!
//! Test code only: a dev-dependency of the test suites, never of a production crate. Helpers
//! panic with a message saying what went wrong, because that is how a test fails.

pub mod comment_flood;
pub mod files;
pub mod hostile;
pub mod http_proxy;
// gnome-keyring on a private D-Bus: Linux only, as are the tests that use it.
#[cfg(target_os = "linux")]
pub mod keyring;
pub mod memory;
pub mod process;
pub mod scripted_server;
pub mod socks_proxy;
pub mod tls_certs;
pub mod tls_server;

use std::time::{Duration, Instant};

use streamwatch_demo_server::{DemoConfig, DemoServer};

/// Starts a demo server with `config` on 127.0.0.1 and a free port.
pub async fn start_demo(config: DemoConfig) -> DemoServer {
    DemoServer::start(([127, 0, 0, 1], 0).into(), config)
        .await
        .expect("demo server starts")
}

/// Fails unless there are ids and each is one more than the one before: no hole, no duplicate.
pub fn assert_consecutive(ids: &[u64]) {
    assert!(!ids.is_empty(), "no ids");
    for pair in ids.windows(2) {
        assert_eq!(
            pair[1],
            pair[0] + 1,
            "ids jump from {} to {} ({} ids in all, {}..={})",
            pair[0],
            pair[1],
            ids.len(),
            ids[0],
            ids[ids.len() - 1]
        );
    }
}

/// The lifecycle of a subscription whose every attempt fails until it gives up after
/// `retries` retries, as event names.
pub fn gives_up_after(retries: u32) -> Vec<&'static str> {
    let mut names = Vec::new();
    for _ in 0..retries {
        names.extend(["error", "retrying"]);
    }
    names.extend(["error", "retries-failed"]);
    names
}

/// How often the waits below look again.
const POLL: Duration = Duration::from_millis(20);

/// Blocks until `done` holds, failing the test if it does not within `limit`.
pub fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(POLL);
    }
}

/// Like [`wait_for`], sleeping on the async runtime instead of blocking it.
pub async fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + limit;
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(POLL).await;
    }
}
