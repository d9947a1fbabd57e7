//! Windows: the power manager's suspend and resume notifications
//! (`PowerRegisterSuspendResumeNotification`), delivered to a callback on a system thread, so
//! no window and no message loop are needed (the app's tray and the headless daemon alike).

use std::ffi::c_void;

use windows_sys::Win32::Foundation::ERROR_SUCCESS;
use windows_sys::Win32::System::Power::{
    PowerRegisterSuspendResumeNotification, PowerUnregisterSuspendResumeNotification,
    DEVICE_NOTIFY_SUBSCRIBE_PARAMETERS,
};
use windows_sys::Win32::UI::WindowsAndMessaging::{
    DEVICE_NOTIFY_CALLBACK, PBT_APMRESUMEAUTOMATIC, PBT_APMSUSPEND,
};

use crate::conditions_feed::ConditionsFeed;

/// Why sleep and wake cannot be watched; the Windows error code is kept.
#[derive(Debug, thiserror::Error)]
#[error("cannot watch for sleep and wake (PowerRegisterSuspendResumeNotification: error {0})")]
pub struct SleepWatchError(u32);

/// The registration; unregistered (and its feed freed) when dropped.
struct Registration {
    handle: *mut c_void,
    /// Read by the callback through the pointer handed to Windows; boxed so it does not move.
    params: *mut Params,
}

/// What the callback is given: the subscribe parameters point at the feed beside them.
struct Params {
    subscribe: DEVICE_NOTIFY_SUBSCRIBE_PARAMETERS,
    feed: ConditionsFeed,
}

// The raw pointers are only handed back to Windows and freed in drop; the feed is Sync.
unsafe impl Send for Registration {}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: `handle` came from a successful registration; once it is unregistered no
        // callback runs any more, so the parameters can be freed.
        unsafe {
            PowerUnregisterSuspendResumeNotification(self.handle as isize);
            drop(Box::from_raw(self.params));
        }
    }
}

/// Called by the power manager for each power event; `context` is the [`Params`].
unsafe extern "system" fn on_power_event(
    context: *const c_void,
    event: u32,
    _setting: *const c_void,
) -> u32 {
    if context.is_null() {
        return ERROR_SUCCESS;
    }
    // SAFETY: the context is the `Params` registered below, alive until unregistered.
    let params = unsafe { &*(context as *const Params) };
    match event {
        PBT_APMSUSPEND => params.feed.sleeping(),
        // Sent on every resume, with or without a user at the machine; PBT_APMRESUMESUSPEND
        // may follow it for the same wake, so it is not counted again.
        PBT_APMRESUMEAUTOMATIC => params.feed.woke(),
        _ => {}
    }
    ERROR_SUCCESS
}

/// Registers for suspend and resume and feeds them; the task holds the registration.
pub fn spawn(feed: ConditionsFeed) -> Result<tokio::task::JoinHandle<()>, SleepWatchError> {
    let params = Box::into_raw(Box::new(Params {
        subscribe: DEVICE_NOTIFY_SUBSCRIBE_PARAMETERS {
            Callback: Some(on_power_event),
            Context: std::ptr::null_mut(),
        },
        feed,
    }));
    let mut handle: *mut c_void = std::ptr::null_mut();
    // SAFETY: `params` is a valid, never-moving allocation; its subscribe parameters point
    // back at it, and both stay alive until the registration is dropped.
    let status = unsafe {
        (*params).subscribe.Context = params.cast();
        PowerRegisterSuspendResumeNotification(
            DEVICE_NOTIFY_CALLBACK,
            std::ptr::addr_of_mut!((*params).subscribe).cast(),
            &mut handle,
        )
    };
    if status != ERROR_SUCCESS {
        // SAFETY: not registered, so nothing else holds the pointer.
        drop(unsafe { Box::from_raw(params) });
        return Err(SleepWatchError(status));
    }
    let registration = Registration { handle, params };
    Ok(tokio::spawn(async move {
        // Aborting the task drops the registration, which unregisters.
        let _registration = registration;
        std::future::pending::<()>().await
    }))
}
