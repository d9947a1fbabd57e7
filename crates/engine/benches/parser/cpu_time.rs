//! The CPU time of the calling thread. The machines this runs on are shared (two cores, other
//! builds running): wall time then also counts the time a contender waited for a core, which
//! lands on whichever one was running, while the thread's CPU time is what the parser cost.

use std::time::Duration;

/// CPU time the calling thread has used so far.
pub fn thread_now() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_THREAD_CPUTIME_ID exists on every
    // Linux (and macOS since 10.12).
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}
