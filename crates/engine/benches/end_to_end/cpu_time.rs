//! CPU time consumed, for "CPU per 100k events". Linux has a clock per thread that any thread
//! can read, which separates the client from the demo server running in the same process;
//! elsewhere those figures are reported as unavailable.

use std::time::Duration;

/// User + system CPU time of the whole process so far.
#[cfg(unix)]
pub fn process() -> Option<Duration> {
    // SAFETY: `getrusage` only writes the struct we pass, which is plain old data.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        if libc::getrusage(libc::RUSAGE_SELF, &mut usage) != 0 {
            return None;
        }
        usage
    };
    let micros = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    Some(Duration::from_micros(
        micros(usage.ru_utime) + micros(usage.ru_stime),
    ))
}

#[cfg(not(unix))]
pub fn process() -> Option<Duration> {
    None
}

/// The CPU clock (user + system) of one thread.
#[derive(Debug, Clone, Copy)]
pub struct ThreadClock {
    #[cfg(target_os = "linux")]
    id: libc::clockid_t,
}

impl ThreadClock {
    /// The calling thread's clock.
    #[cfg(target_os = "linux")]
    pub fn current() -> Option<ThreadClock> {
        // SAFETY: `pthread_self` is always valid for the calling thread.
        Self::of(unsafe { libc::pthread_self() })
    }

    /// The clock of a spawned thread, readable from any thread while it runs.
    #[cfg(target_os = "linux")]
    pub fn of_thread<T>(thread: &std::thread::JoinHandle<T>) -> Option<ThreadClock> {
        use std::os::unix::thread::JoinHandleExt;
        Self::of(thread.as_pthread_t())
    }

    #[cfg(target_os = "linux")]
    fn of(thread: libc::pthread_t) -> Option<ThreadClock> {
        let mut id: libc::clockid_t = 0;
        // SAFETY: `thread` is a live thread and `id` a valid place to write to.
        (unsafe { libc::pthread_getcpuclockid(thread, &mut id) } == 0).then_some(ThreadClock { id })
    }

    /// CPU time the thread has used so far.
    #[cfg(target_os = "linux")]
    pub fn now(self) -> Option<Duration> {
        let mut t = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `t` is a valid place to write to; the clock id came from the kernel.
        (unsafe { libc::clock_gettime(self.id, &mut t) } == 0)
            .then(|| Duration::new(t.tv_sec as u64, t.tv_nsec as u32))
    }

    #[cfg(not(target_os = "linux"))]
    pub fn current() -> Option<ThreadClock> {
        None
    }

    #[cfg(not(target_os = "linux"))]
    pub fn of_thread<T>(_thread: &std::thread::JoinHandle<T>) -> Option<ThreadClock> {
        None
    }

    #[cfg(not(target_os = "linux"))]
    pub fn now(self) -> Option<Duration> {
        None
    }
}
