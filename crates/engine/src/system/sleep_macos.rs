//! macOS: the power manager's system sleep and wake messages (`IORegisterForSystemPower`),
//! delivered on a run loop of a thread of our own, so neither the app's main thread nor the
//! headless daemon has to run one.

use std::ffi::c_void;

use objc2_core_foundation::{kCFRunLoopDefaultMode, CFRetained, CFRunLoop};
use objc2_io_kit::{
    io_connect_t, io_object_t, io_service_t, kIOMessageCanSystemSleep,
    kIOMessageSystemHasPoweredOn, kIOMessageSystemWillSleep, IOAllowPowerChange,
    IODeregisterForSystemPower, IONotificationPort, IONotificationPortRef,
    IORegisterForSystemPower, IOServiceClose,
};
use tokio::sync::oneshot;

use crate::conditions_feed::ConditionsFeed;

/// Why sleep and wake cannot be watched.
#[derive(Debug, thiserror::Error)]
pub enum SleepWatchError {
    /// IORegisterForSystemPower refused.
    #[error("cannot watch for sleep and wake: IORegisterForSystemPower failed")]
    Register,
    /// The watcher thread could not be started or ended before it was ready.
    #[error("cannot watch for sleep and wake: {0}")]
    Thread(String),
}

/// What the callback is handed: the feed, and the session to acknowledge sleep on.
struct Context {
    feed: ConditionsFeed,
    root_port: io_connect_t,
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

/// Called on the watcher thread's run loop for each system power message.
// The message constants keep Apple's names.
#[allow(non_upper_case_globals)]
unsafe extern "C-unwind" fn on_power_message(
    refcon: *mut c_void,
    _service: io_service_t,
    message: u32,
    argument: *mut c_void,
) {
    if refcon.is_null() {
        return;
    }
    // SAFETY: refcon is the watcher thread's `Context`, alive while its run loop runs.
    let ctx = unsafe { &*(refcon as *const Context) };
    match message {
        // An idle sleep is being considered: not ours to veto, and unanswered it waits 30 s.
        kIOMessageCanSystemSleep => {
            IOAllowPowerChange(ctx.root_port, argument as isize);
        }
        kIOMessageSystemWillSleep => {
            ctx.feed.sleeping();
            // Must be acknowledged, or the sleep is held up for 30 s.
            IOAllowPowerChange(ctx.root_port, argument as isize);
        }
        kIOMessageSystemHasPoweredOn => ctx.feed.woke(),
        _ => {}
    }
}

/// Registers for system power messages on a thread of its own, and feeds sleep and wake.
pub async fn spawn(feed: ConditionsFeed) -> Result<tokio::task::JoinHandle<()>, SleepWatchError> {
    let (ready_tx, ready_rx) = oneshot::channel::<Result<StopOnDrop, SleepWatchError>>();
    std::thread::Builder::new()
        .name("streamwatch-power".into())
        .spawn(move || watch(feed, ready_tx))
        .map_err(|e| SleepWatchError::Thread(e.to_string()))?;
    let stop = ready_rx
        .await
        .map_err(|_| SleepWatchError::Thread("the watcher thread ended".into()))??;
    Ok(tokio::spawn(async move {
        // Aborting the task drops this, which stops the run loop; the thread then cleans up.
        let _stop = stop;
        std::future::pending::<()>().await
    }))
}

/// The watcher thread: registers, says whether that worked, then runs the run loop until
/// stopped, and deregisters.
fn watch(feed: ConditionsFeed, ready: oneshot::Sender<Result<StopOnDrop, SleepWatchError>>) {
    let ctx = Box::into_raw(Box::new(Context { feed, root_port: 0 }));
    let mut port: IONotificationPortRef = std::ptr::null_mut();
    let mut notifier: io_object_t = 0;
    // SAFETY: `ctx` stays alive until after deregistration below; the out-pointers are valid.
    let root_port = unsafe {
        IORegisterForSystemPower(ctx.cast(), &mut port, Some(on_power_message), &mut notifier)
    };
    if root_port == 0 || port.is_null() {
        // SAFETY: not registered, so nothing else holds the pointer.
        drop(unsafe { Box::from_raw(ctx) });
        let _ = ready.send(Err(SleepWatchError::Register));
        return;
    }
    // SAFETY: no callback runs before the run loop does, on this thread.
    unsafe { (*ctx).root_port = root_port };
    // SAFETY: `port` is the live notification port made by the registration.
    let source = unsafe { IONotificationPort::run_loop_source(port) };
    let run_loop = CFRunLoop::current();
    let started = match (source, run_loop) {
        (Some(source), Some(run_loop)) => {
            // SAFETY: reading an immutable CoreFoundation constant.
            let mode = unsafe { kCFRunLoopDefaultMode };
            run_loop.add_source(Some(&source), mode);
            ready.send(Ok(StopOnDrop(run_loop))).is_ok()
        }
        _ => {
            let _ = ready.send(Err(SleepWatchError::Register));
            false
        }
    };
    if started {
        // Returns once StopOnDrop stops it (a stop asked for before this point still counts).
        CFRunLoop::run();
    }
    // SAFETY: the run loop is no longer running, so no callback can be under way; the
    // notifier, session and port come from the registration above and are released once.
    unsafe {
        IODeregisterForSystemPower(&mut notifier);
        IOServiceClose(root_port);
        IONotificationPort::destroy(port);
        drop(Box::from_raw(ctx));
    }
}
