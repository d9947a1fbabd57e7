//! The uptime figure of `subscription_stats`, from the stored state transitions.

use std::time::{Duration, SystemTime};
use streamwatch_engine::catalog::Transition;

/// The start of today in the local time zone (UTC when the zone is unknown).
pub fn local_midnight(now: SystemTime) -> SystemTime {
    let start = jiff::Timestamp::try_from(now)
        .ok()
        .map(|t| t.to_zoned_datetime(jiff::tz::TimeZone::system()))
        .and_then(|z| z.start_of_day().ok())
        .and_then(|z| SystemTime::try_from(z.timestamp()).ok());
    start.unwrap_or(now)
}

/// The share (0–100) of `[from, now]` during which the stream was open, counting only the time
/// Streamwatch was watching it. Paused time is neither up nor down (the user chose it), nor is
/// offline time (the machine had no network: not the server's downtime), nor is stopped time
/// (a finite stream that ended as it should, a probe between its runs, a server's 204: the
/// stream is not meant to be open then, so a probe's uptime is not its duty cycle), and
/// stale time (open but silent past the stale threshold) is down: nothing was delivered.
///
/// `transitions` are a subscription's state changes, oldest first, including the last one
/// before `from` (which gives the state at `from`). Watching is continuous while each
/// transition starts from the state the previous one ended in; a transition whose `from`
/// differs (the app was closed in between, and a new run started afresh) makes the time since
/// the previous transition unknown, so it counts neither as up nor as down.
pub fn open_percent(transitions: &[Transition], from: SystemTime, now: SystemTime) -> f64 {
    if now <= from {
        return 0.0;
    }
    let mut known = Duration::ZERO;
    let mut open = Duration::ZERO;
    let mut add = |state: &str, a: SystemTime, b: SystemTime| {
        // Paused (the user's choice), offline (the machine's network, not the server) and
        // stopped (the stream is done, or a probe waits for its next run) are neither up
        // nor down.
        if matches!(state, "paused" | "offline" | "stopped") {
            return;
        }
        let (a, b) = (a.max(from), b.min(now));
        if let Ok(d) = b.duration_since(a) {
            known += d;
            if state == "open" {
                open += d;
            }
        }
    };
    let mut current: Option<(&str, SystemTime)> = None;
    for t in transitions {
        if let Some((state, since)) = current {
            // Stale is told beside the states: the stream is still "open" to the supervisor,
            // so the next state change starts from there.
            if state == t.from || (state == "stale" && t.from == "open") {
                add(state, since, t.at);
            }
        }
        current = Some((t.to.as_str(), t.at));
    }
    if let Some((state, since)) = current {
        add(state, since, now);
    }
    if known.is_zero() {
        0.0
    } else {
        open.as_secs_f64() / known.as_secs_f64() * 100.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn at(s: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(s)
    }

    fn t(s: u64, from: &str, to: &str) -> Transition {
        Transition {
            at: at(s),
            from: from.into(),
            to: to.into(),
            reason: String::new(),
        }
    }

    #[test]
    fn counts_open_time_within_the_window() {
        let ts = [
            t(0, "connecting", "open"),
            t(100, "open", "retrying"),
            t(110, "retrying", "connecting"),
            t(120, "connecting", "open"),
        ];
        // Window 50..200: open 50..100 and 120..200 = 130 of 150.
        let p = open_percent(&ts, at(50), at(200));
        assert!((p - 130.0 / 150.0 * 100.0).abs() < 1e-9, "{p}");
        assert_eq!(open_percent(&ts, at(200), at(200)), 0.0);
        assert_eq!(open_percent(&[], at(0), at(10)), 0.0);
    }

    #[test]
    fn time_while_the_app_was_closed_is_not_counted() {
        // Open at 0; the app closes at some point; a new run starts connecting→open at 1000.
        let ts = [t(0, "connecting", "open"), t(1000, "connecting", "open")];
        // 0..1000 is unknown; 1000..1100 open.
        assert_eq!(open_percent(&ts, at(0), at(1100)), 100.0);
        let ts = [
            t(0, "connecting", "open"),
            t(10, "open", "paused"),
            t(1000, "connecting", "open"),
        ];
        // 0..10 open, 10..1000 unknown (the run that paused ended), 1000..1010 open.
        assert_eq!(open_percent(&ts, at(0), at(1010)), 100.0);
        let ts = [t(0, "connecting", "open"), t(10, "open", "paused")];
        assert_eq!(
            open_percent(&ts, at(0), at(20)),
            100.0,
            "paused is not down"
        );
    }

    #[test]
    fn paused_time_is_neither_up_nor_down_and_stale_time_is_down() {
        // The case: 100 % up, a 28 s pause, then up again: still 100 %.
        let ts = [
            t(0, "connecting", "open"),
            t(30, "open", "paused"),
            t(58, "paused", "connecting"),
            t(59, "connecting", "open"),
        ];
        let p = open_percent(&ts, at(0), at(100));
        assert!((p - 71.0 / 72.0 * 100.0).abs() < 1e-9, "{p}");
        // Open 0..10, stale 10..40, then dropped (from "open": stale is not a state the
        // supervisor leaves), retrying 40..50, open 50..100.
        let ts = [
            t(0, "connecting", "open"),
            t(10, "open", "stale"),
            t(40, "open", "retrying"),
            t(50, "retrying", "open"),
        ];
        assert_eq!(open_percent(&ts, at(0), at(100)), 60.0);
        let fresh = [
            t(0, "connecting", "open"),
            t(10, "open", "stale"),
            t(40, "stale", "open"),
        ];
        assert_eq!(open_percent(&fresh, at(0), at(100)), 70.0);
    }

    #[test]
    fn offline_time_is_not_the_servers_downtime() {
        // Open 0..40, the machine offline 40..90 (not counted), connecting and open again.
        let ts = [
            t(0, "connecting", "open"),
            t(40, "open", "offline"),
            t(90, "offline", "connecting"),
            t(91, "connecting", "open"),
        ];
        let p = open_percent(&ts, at(0), at(100));
        assert!((p - 49.0 / 50.0 * 100.0).abs() < 1e-9, "{p}");
    }

    #[test]
    fn a_probe_between_runs_is_not_down() {
        // Two runs of 2 s, 60 s apart, the second failing for 3 s before the probe stops
        // until its next run: up 4 s of the 2 + 1 + 2 + 3 s it was meant to be open.
        let ts = [
            t(0, "connecting", "open"),
            t(2, "open", "stopped"),
            t(60, "stopped", "connecting"),
            t(61, "connecting", "open"),
            t(63, "open", "retrying"),
            t(66, "retrying", "stopped"),
        ];
        let p = open_percent(&ts, at(0), at(120));
        assert!((p - 4.0 / 8.0 * 100.0).abs() < 1e-9, "{p}");
    }

    #[test]
    fn midnight_is_today() {
        let now = SystemTime::now();
        let m = local_midnight(now);
        assert!(m <= now && now.duration_since(m).unwrap() <= Duration::from_secs(25 * 3600));
    }
}
