//! Windows: "online" unless the network connectivity hint says there is no network at all
//! (`NotifyNetworkConnectivityHintChange`, Windows 10 2004 and later). A network with local
//! access only still counts as online: a stream on the local network may well be reachable.

use std::ffi::c_void;

use windows_sys::Win32::Foundation::{ERROR_SUCCESS, HANDLE};
use windows_sys::Win32::NetworkManagement::IpHelper::{
    CancelMibChangeNotify2, NotifyNetworkConnectivityHintChange,
};
use windows_sys::Win32::Networking::WinSock::{
    NetworkConnectivityLevelHintNone, NL_NETWORK_CONNECTIVITY_HINT,
};

use crate::conditions_feed::ConditionsFeed;

/// Why the network cannot be watched; the subscriptions then assume it is always there.
#[derive(Debug, thiserror::Error)]
#[error("cannot watch the network for changes (NotifyNetworkConnectivityHintChange: error {0})")]
pub struct NetworkWatchError(u32);

/// The registration; cancelled (and its feed freed) when dropped.
struct Registration {
    handle: HANDLE,
    feed: *mut ConditionsFeed,
}

// The raw pointers are only handed back to Windows and freed in drop; the feed is Sync.
unsafe impl Send for Registration {}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: `handle` came from a successful registration; CancelMibChangeNotify2 waits
        // for a callback under way to return, so the feed can be freed after it.
        unsafe {
            CancelMibChangeNotify2(self.handle);
            drop(Box::from_raw(self.feed));
        }
    }
}

/// Called with the new hint on every change, and once at registration.
unsafe extern "system" fn on_hint(context: *const c_void, hint: NL_NETWORK_CONNECTIVITY_HINT) {
    if context.is_null() {
        return;
    }
    // SAFETY: the context is the feed registered below, alive until cancelled.
    let feed = unsafe { &*(context as *const ConditionsFeed) };
    feed.set_online(hint.ConnectivityLevel != NetworkConnectivityLevelHintNone);
}

/// Registers for connectivity changes (the current state is sent at once) and feeds them.
pub fn spawn(feed: ConditionsFeed) -> Result<tokio::task::JoinHandle<()>, NetworkWatchError> {
    let feed = Box::into_raw(Box::new(feed));
    let mut handle: HANDLE = std::ptr::null_mut();
    // SAFETY: `feed` is a valid allocation that stays alive until the registration is dropped.
    let status = unsafe {
        NotifyNetworkConnectivityHintChange(Some(on_hint), feed.cast(), true, &mut handle)
    };
    if status != ERROR_SUCCESS {
        // SAFETY: not registered, so nothing else holds the pointer.
        drop(unsafe { Box::from_raw(feed) });
        return Err(NetworkWatchError(status));
    }
    let registration = Registration { handle, feed };
    Ok(tokio::spawn(async move {
        // Aborting the task drops the registration, which cancels it.
        let _registration = registration;
        std::future::pending::<()>().await
    }))
}
