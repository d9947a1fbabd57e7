//! This process's resident memory, read from `/proc/self/status`, for leak checks that must
//! see what the kernel sees (allocator caches and all) rather than what a counter counts.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The resident set size now (`VmRSS`), in bytes; `None` where `/proc` has no such field.
pub fn resident_bytes() -> Option<u64> {
    status_kib("VmRSS:").map(|kib| kib * 1024)
}

/// The resident peak of the process so far (`VmHWM`), in bytes.
pub fn resident_peak_bytes() -> Option<u64> {
    status_kib("VmHWM:").map(|kib| kib * 1024)
}

/// Resets the kernel's resident peak ([`resident_peak_bytes`]) to the current size; false
/// where that is not possible (before Linux 4.0, or outside Linux).
pub fn reset_resident_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn status_kib(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    line[key.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Samples [`resident_bytes`] on a thread of its own and keeps the highest value seen, so a
/// test can bound the peak of one stretch of work (`VmHWM` covers the whole process life).
pub struct RssSampler {
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RssSampler {
    /// Starts sampling every `every`.
    pub fn start(every: Duration) -> Self {
        let peak = Arc::new(AtomicU64::new(resident_bytes().unwrap_or(0)));
        let stop = Arc::new(AtomicBool::new(false));
        let (p, s) = (peak.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                if let Some(now) = resident_bytes() {
                    p.fetch_max(now, Ordering::Relaxed);
                }
                std::thread::sleep(every);
            }
        });
        RssSampler {
            peak,
            stop,
            thread: Some(thread),
        }
    }

    /// The highest resident size seen so far.
    pub fn peak(&self) -> u64 {
        self.peak.load(Ordering::Relaxed)
    }

    /// Stops sampling (one last sample included) and returns the peak.
    pub fn finish(mut self) -> u64 {
        self.halt();
        if let Some(now) = resident_bytes() {
            self.peak.fetch_max(now, Ordering::Relaxed);
        }
        self.peak()
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for RssSampler {
    fn drop(&mut self) {
        self.halt();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resident_size_is_read_and_the_peak_is_at_least_it() {
        let now = resident_bytes().expect("VmRSS on Linux");
        assert!(now > 0);
        let sampler = RssSampler::start(Duration::from_millis(5));
        assert!(sampler.finish() >= now / 2);
        assert!(resident_peak_bytes().expect("VmHWM") >= now);
    }
}
