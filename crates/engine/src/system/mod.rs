//! The platform's own news about the machine, fed into [`crate::conditions`]: the network
//! coming and going, and sleep and wake. Linux has both (rtnetlink, logind), Windows both (the
//! connectivity hint, the power manager's suspend and resume), macOS both (SystemConfiguration's
//! reachability, IOKit); where a watcher is missing the subscriptions assume an online machine that never sleeps,
//! and reconnect by their own timeouts and backoff as before.

use crate::conditions_feed::ConditionsFeed;

#[cfg(target_os = "linux")]
mod network_linux;
#[cfg(target_os = "linux")]
mod sleep_linux;

#[cfg(target_os = "macos")]
mod network_macos;
#[cfg(windows)]
mod network_windows;
#[cfg(target_os = "macos")]
mod sleep_macos;
#[cfg(windows)]
mod sleep_windows;

#[cfg(target_os = "linux")]
pub use network_linux::has_default_route;

/// The watcher tasks; they stop when this is dropped.
#[derive(Debug, Default)]
pub struct SystemWatch {
    tasks: Vec<tokio::task::JoinHandle<()>>,
    /// What could not be watched, in plain words (shown once in logs; never fatal).
    pub unavailable: Vec<String>,
}

impl Drop for SystemWatch {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Starts every watcher this platform has. Call inside a tokio runtime.
pub async fn start(feed: &ConditionsFeed) -> SystemWatch {
    #[allow(unused_mut)]
    let mut watch = SystemWatch::default();
    #[cfg(target_os = "linux")]
    {
        match network_linux::spawn(feed.clone()) {
            Ok(t) => watch.tasks.push(t),
            Err(e) => watch.unavailable.push(e.to_string()),
        }
        match sleep_linux::spawn(feed.clone()).await {
            Ok(t) => watch.tasks.push(t),
            Err(e) => watch.unavailable.push(e.to_string()),
        }
    }
    #[cfg(windows)]
    {
        match network_windows::spawn(feed.clone()) {
            Ok(t) => watch.tasks.push(t),
            Err(e) => watch.unavailable.push(e.to_string()),
        }
        match sleep_windows::spawn(feed.clone()) {
            Ok(t) => watch.tasks.push(t),
            Err(e) => watch.unavailable.push(e.to_string()),
        }
    }
    #[cfg(target_os = "macos")]
    {
        match network_macos::spawn(feed.clone()).await {
            Ok(t) => watch.tasks.push(t),
            Err(e) => watch.unavailable.push(e.to_string()),
        }
        match sleep_macos::spawn(feed.clone()).await {
            Ok(t) => watch.tasks.push(t),
            Err(e) => watch.unavailable.push(e.to_string()),
        }
    }
    #[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
    let _ = feed;
    watch
}
