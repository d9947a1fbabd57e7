//! "Stale": a stream that is open but silent for longer than it usually is. An open socket that
//! stopped delivering is the failure a monitor most needs to surface, because nothing errors.
//! The same rule as the UI's `ui/src/lib/stale.ts`, so the tray and the window agree.

use std::time::{Duration, SystemTime};

/// Silent this long is stale whatever the stream's habits.
pub const STALE_ABSOLUTE: Duration = Duration::from_secs(60);
/// Silent this many usual intervals is stale.
pub const STALE_FACTOR: u32 = 5;
/// Never stale below this: snapshots are sampled and timers jitter, so on a fast stream
/// "5 intervals" would be a few hundred ms and the state would flicker.
pub const STALE_FLOOR: Duration = Duration::from_secs(2);
/// Intervals observed before the usual interval is trusted.
pub const MIN_SAMPLES: u32 = 3;

/// The usual gap between arrivals: an exponentially weighted mean of the gaps between the
/// last-message times seen in successive snapshots.
#[derive(Debug, Clone, Default)]
pub struct IntervalEstimator {
    usual_ms: Option<f64>,
    samples: u32,
    last_at: Option<SystemTime>,
}

impl IntervalEstimator {
    /// Weight of the newest gap.
    const ALPHA: f64 = 0.25;

    /// Feeds a snapshot; `connected_since` keeps a reconnection's downtime out of the average.
    pub fn observe(
        &mut self,
        last_message_at: Option<SystemTime>,
        connected_since: Option<SystemTime>,
    ) {
        let Some(at) = last_message_at else { return };
        if self.last_at == Some(at) {
            return;
        }
        let prev = self.last_at.replace(at);
        let Some(prev) = prev else { return };
        let Ok(gap) = at.duration_since(prev) else {
            return;
        };
        if connected_since.is_some_and(|c| c > prev) {
            return;
        }
        let gap = gap.as_secs_f64() * 1000.0;
        self.usual_ms = Some(match self.usual_ms {
            None => gap,
            Some(u) => u + Self::ALPHA * (gap - u),
        });
        self.samples += 1;
    }

    /// The usual gap, once enough gaps were seen to trust it.
    pub fn usual(&self) -> Option<Duration> {
        self.usual_ms
            .filter(|_| self.samples >= MIN_SAMPLES)
            .map(|ms| Duration::from_secs_f64(ms / 1000.0))
    }

    /// How long this stream may be silent before it is stale.
    pub fn threshold(&self) -> Duration {
        match self.usual_ms {
            Some(usual) if self.samples >= MIN_SAMPLES => {
                let scaled = Duration::from_secs_f64(usual * f64::from(STALE_FACTOR) / 1000.0);
                scaled.clamp(STALE_FLOOR, STALE_ABSOLUTE)
            }
            _ => STALE_ABSOLUTE,
        }
    }
}

/// How long an open stream has been silent (since its last message or since it opened,
/// whichever is later); `None` when neither is known.
pub fn silence(
    last_message_at: Option<SystemTime>,
    connected_since: Option<SystemTime>,
    now: SystemTime,
) -> Option<Duration> {
    let reference = last_message_at.max(connected_since)?;
    Some(now.duration_since(reference).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_millis(ms)
    }

    #[test]
    fn without_enough_samples_the_absolute_threshold_applies() {
        let mut e = IntervalEstimator::default();
        e.observe(Some(at(0)), None);
        e.observe(Some(at(100)), None);
        e.observe(Some(at(200)), None);
        assert_eq!(e.threshold(), STALE_ABSOLUTE);
        e.observe(Some(at(300)), None);
        assert_eq!(e.threshold(), STALE_FLOOR, "5 × 100 ms is below the floor");
    }

    #[test]
    fn a_slow_stream_gets_five_intervals_capped_at_a_minute() {
        let mut e = IntervalEstimator::default();
        for i in 0..5 {
            e.observe(Some(at(i * 3_000)), None);
        }
        assert_eq!(e.threshold(), Duration::from_secs(15));
        let mut slow = IntervalEstimator::default();
        for i in 0..5 {
            slow.observe(Some(at(i * 30_000)), None);
        }
        assert_eq!(slow.threshold(), STALE_ABSOLUTE);
    }

    #[test]
    fn repeated_snapshots_and_reconnection_downtime_are_not_intervals() {
        let mut e = IntervalEstimator::default();
        for i in 0..4 {
            e.observe(Some(at(i * 1_000)), None);
            e.observe(Some(at(i * 1_000)), None);
        }
        assert_eq!(e.threshold(), Duration::from_secs(5));
        // Down for 50 s, reconnected at 53 s, next message at 53.5 s: not a 50 s interval.
        e.observe(Some(at(53_500)), Some(at(53_000)));
        assert_eq!(e.threshold(), Duration::from_secs(5));
    }

    #[test]
    fn silence_counts_from_the_later_of_message_and_open() {
        assert_eq!(silence(None, None, at(10)), None);
        assert_eq!(
            silence(Some(at(1_000)), Some(at(4_000)), at(5_000)),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            silence(Some(at(4_000)), Some(at(1_000)), at(5_000)),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            silence(Some(at(6_000)), None, at(5_000)),
            Some(Duration::ZERO)
        );
    }
}
