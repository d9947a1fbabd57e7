//! When a probe runs: one finite run every `every`, each slot counted from the previous run's
//! start (so a slow run does not push the schedule), moved by a small random jitter so many
//! probes with the same interval do not all fire in the same second, and after a restart
//! counted from the last stored run (not run again at once).

use std::time::{Duration, SystemTime};

/// The most a slot moves either way, as a share of the interval (2 %: a 5 min probe moves by up
/// to 6 s).
pub const JITTER_SHARE: f64 = 0.02;

/// When the run after one that started at `last_start` is due; `unit` is a random number in
/// `[0, 1)` (0.5: no jitter).
pub fn next_run(last_start: SystemTime, every: Duration, unit: f64) -> SystemTime {
    let shift = every.as_secs_f64() * JITTER_SHARE * (unit.clamp(0.0, 1.0) * 2.0 - 1.0);
    let base = last_start + every;
    if shift >= 0.0 {
        base + Duration::from_secs_f64(shift)
    } else {
        base.checked_sub(Duration::from_secs_f64(-shift))
            .unwrap_or(base)
    }
}

/// How long to wait before the first run after a (re)start: none if the probe never ran or
/// its slot has passed, else until its next slot.
pub fn first_wait(
    last_start: Option<SystemTime>,
    every: Duration,
    now: SystemTime,
    unit: f64,
) -> Duration {
    last_start
        .map(|at| next_run(at, every, unit))
        .and_then(|due| due.duration_since(now).ok())
        .unwrap_or_default()
}

/// "14:05:09": a time of day in the machine's time zone, as the state words say it.
pub fn clock(at: SystemTime) -> String {
    match jiff::Timestamp::try_from(at) {
        Ok(t) => t
            .to_zoned_datetime(jiff::tz::TimeZone::system())
            .strftime("%H:%M:%S")
            .to_string(),
        Err(_) => "later".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_count_from_the_last_start_within_the_jitter() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let every = Duration::from_secs(300);
        assert_eq!(next_run(t0, every, 0.5), t0 + every);
        assert_eq!(
            next_run(t0, every, 1.0),
            t0 + every + Duration::from_secs(6)
        );
        assert_eq!(
            next_run(t0, every, 0.0),
            t0 + every - Duration::from_secs(6)
        );
    }

    #[test]
    fn a_restart_waits_for_the_slot_unless_it_passed() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let every = Duration::from_secs(60);
        assert_eq!(first_wait(None, every, t0, 0.5), Duration::ZERO);
        let w = first_wait(Some(t0), every, t0 + Duration::from_secs(20), 0.5);
        assert_eq!(w, Duration::from_secs(40));
        let late = first_wait(Some(t0), every, t0 + Duration::from_secs(600), 0.5);
        assert_eq!(late, Duration::ZERO);
    }

    #[test]
    fn the_clock_reads_hours_minutes_seconds() {
        let s = clock(SystemTime::now());
        assert_eq!(s.len(), 8, "{s}");
        assert_eq!(s.as_bytes()[2], b':');
    }
}
