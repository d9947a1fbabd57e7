//! macOS: "online" while the default route is reachable without a connection having to be
//! set up first, as SystemConfiguration's reachability of 0.0.0.0 tells it (the same check
//! the system's own "no internet" badge rests on). Its changes arrive on a run loop of a
//! thread of our own, like sleep and wake (see `sleep_macos`).

use std::ffi::c_void;
use std::ptr::NonNull;

use objc2_core_foundation::{kCFRunLoopDefaultMode, CFRetained, CFRunLoop};
use objc2_system_configuration::{
    SCNetworkReachability, SCNetworkReachabilityContext, SCNetworkReachabilityFlags,
};
use tokio::sync::oneshot;

use crate::conditions_feed::ConditionsFeed;

/// Why the network cannot be watched; the subscriptions then assume it is always there.
#[derive(Debug, thiserror::Error)]
pub enum NetworkWatchError {
    /// SystemConfiguration refused to make or schedule the reachability target.
    #[error("cannot watch the network for changes: SCNetworkReachability {0} failed")]
    Register(&'static str),
    /// The watcher thread could not be started or ended before it was ready.
    #[error("cannot watch the network for changes: {0}")]
    Thread(String),
}

/// Stops the watcher thread's run loop when dropped.
struct StopOnDrop(CFRetained<CFRunLoop>);

// SAFETY: CFRunLoopStop is documented as callable from any thread; nothing else is done with
// the run loop off its own thread.
unsafe impl Send for StopOnDrop {}

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.stop();
    }
}

/// Whether `flags` say a connection to the internet can be made now. A route that needs a
/// connection set up on demand (VPN on demand, a cellular link) counts when no user action is
/// needed: opening a socket brings it up.
fn online(flags: SCNetworkReachabilityFlags) -> bool {
    if !flags.contains(SCNetworkReachabilityFlags::Reachable) {
        return false;
    }
    if !flags.contains(SCNetworkReachabilityFlags::ConnectionRequired) {
        return true;
    }
    flags.intersects(
        SCNetworkReachabilityFlags::ConnectionOnTraffic
            | SCNetworkReachabilityFlags::ConnectionOnDemand,
    ) && !flags.contains(SCNetworkReachabilityFlags::InterventionRequired)
}

/// Called on the watcher thread's run loop on every change of reachability.
unsafe extern "C-unwind" fn on_change(
    _target: NonNull<SCNetworkReachability>,
    flags: SCNetworkReachabilityFlags,
    info: *mut c_void,
) {
    if info.is_null() {
        return;
    }
    // SAFETY: info is the watcher thread's feed, alive while its run loop runs.
    let feed = unsafe { &*(info as *const ConditionsFeed) };
    feed.set_online(online(flags));
}

/// Watches reachability on a thread of its own (the current state is fed at once), and feeds
/// online and offline.
pub async fn spawn(feed: ConditionsFeed) -> Result<tokio::task::JoinHandle<()>, NetworkWatchError> {
    let (ready_tx, ready_rx) = oneshot::channel::<Result<StopOnDrop, NetworkWatchError>>();
    std::thread::Builder::new()
        .name("streamwatch-network".into())
        .spawn(move || watch(feed, ready_tx))
        .map_err(|e| NetworkWatchError::Thread(e.to_string()))?;
    let stop = ready_rx
        .await
        .map_err(|_| NetworkWatchError::Thread("the watcher thread ended".into()))??;
    Ok(tokio::spawn(async move {
        // Aborting the task drops this, which stops the run loop; the thread then cleans up.
        let _stop = stop;
        std::future::pending::<()>().await
    }))
}

/// The reachability target of "any address": the default route.
#[allow(deprecated)] // NWPathMonitor has no C API; this one is still supported.
fn default_route() -> Option<CFRetained<SCNetworkReachability>> {
    // SAFETY: an all-zero sockaddr_in is a valid value of the type.
    let mut any: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    any.sin_len = u8::try_from(std::mem::size_of::<libc::sockaddr_in>()).unwrap_or(16);
    any.sin_family = libc::AF_INET as libc::sa_family_t;
    let addr = NonNull::from(&any).cast::<libc::sockaddr>();
    // SAFETY: `addr` points at a valid sockaddr_in for the duration of the call, which copies it.
    unsafe { SCNetworkReachability::with_address(None, addr) }
}

/// The watcher thread: sets up the target, feeds the current state, says whether that worked,
/// then runs the run loop until stopped, and unschedules.
#[allow(deprecated)] // See `default_route`.
fn watch(feed: ConditionsFeed, ready: oneshot::Sender<Result<StopOnDrop, NetworkWatchError>>) {
    let Some(target) = default_route() else {
        let _ = ready.send(Err(NetworkWatchError::Register("create")));
        return;
    };
    let info = Box::into_raw(Box::new(feed));
    let mut context = SCNetworkReachabilityContext {
        version: 0,
        info: info.cast(),
        retain: None,
        release: None,
        copyDescription: None,
    };
    // SAFETY: `on_change` has the callback's prototype; the context is copied by the call and
    // its `info` stays alive until after the callback is removed below.
    let registered = unsafe { target.set_callback(Some(on_change), &mut context) };
    let run_loop = CFRunLoop::current();
    // SAFETY: reading an immutable CoreFoundation constant.
    let mode = unsafe { kCFRunLoopDefaultMode };
    let scheduled = match (&run_loop, mode) {
        (Some(run_loop), Some(mode)) if registered => target.schedule_with_run_loop(run_loop, mode),
        _ => false,
    };
    let started = match run_loop {
        Some(run_loop) if scheduled => {
            let mut flags = SCNetworkReachabilityFlags(0);
            // SAFETY: `flags` is a valid place for the answer. A failed read leaves it empty,
            // which would say offline: only feed a state that was read.
            if unsafe { target.flags(NonNull::from(&mut flags)) } {
                // SAFETY: `info` is the live feed made above.
                unsafe { &*info }.set_online(online(flags));
            }
            ready.send(Ok(StopOnDrop(run_loop.clone()))).is_ok()
        }
        _ => {
            let _ = ready.send(Err(NetworkWatchError::Register("schedule")));
            false
        }
    };
    if started {
        // Returns once StopOnDrop stops it (a stop asked for before this point still counts).
        CFRunLoop::run();
    }
    // SAFETY: the run loop is no longer running, so no callback is under way; removing the
    // callback before freeing `info` means none can come after.
    unsafe {
        if let (Some(run_loop), Some(mode)) = (CFRunLoop::current(), mode) {
            target.unschedule_from_run_loop(&run_loop, mode);
        }
        target.set_callback(None, std::ptr::null_mut());
        drop(Box::from_raw(info));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reachable_without_setting_up_a_connection_is_online() {
        let f = SCNetworkReachabilityFlags::Reachable;
        assert!(online(f));
        assert!(!online(SCNetworkReachabilityFlags(0)));
        let needs = f | SCNetworkReachabilityFlags::ConnectionRequired;
        assert!(!online(needs));
        assert!(online(
            needs | SCNetworkReachabilityFlags::ConnectionOnDemand
        ));
        assert!(!online(
            needs
                | SCNetworkReachabilityFlags::ConnectionOnTraffic
                | SCNetworkReachabilityFlags::InterventionRequired
        ));
    }
}
