//! The reconnection delay: a pure function of the attempt, the server's `retry:`, the config
//! and `Retry-After`.
//!
//! Hand-written rather than taken from the `backoff`/`backon` crates: the SSE policy swaps its
//! base when the server sends `retry:`, takes `Retry-After` as a floor, and resets when a
//! connection delivered an event — none of which those iterators model, and the whole policy is
//! the few lines below.

use crate::subscription::RetryConfig;
use std::time::Duration;

/// Inputs to one delay decision.
#[derive(Debug, Clone, Copy)]
pub struct DelayInput {
    /// Consecutive failed attempts, counting from 1.
    pub attempt: u32,
    /// The server's latest `retry:` in ms, which replaces the configured initial delay.
    pub server_retry_ms: Option<u64>,
    /// `Retry-After` from a 429/503: a lower bound on the wait.
    pub retry_after: Option<Duration>,
}

/// The un-jittered exponential delay for `attempt`: base × 2^(attempt−1), capped.
pub fn exponential_ms(attempt: u32, base_ms: u64, max_ms: u64) -> u64 {
    let shift = attempt.saturating_sub(1).min(63);
    base_ms.saturating_mul(1u64 << shift).min(max_ms)
}

/// Spreads `d` over [d/2, d] using `unit` ∈ [0, 1), so many clients do not return in lockstep.
pub fn jitter_ms(d: u64, unit: f64) -> u64 {
    let low = d / 2;
    let span = (d - low) as f64;
    let unit = unit.clamp(0.0, 1.0);
    (low + (span * unit).round() as u64).min(d)
}

/// The base used after the first retry when the configured or server base is 0, so a
/// `retry: 0` still backs off from a server that keeps failing.
pub const MIN_GROWTH_BASE_MS: u64 = 100;

/// The wait before the next attempt, jitter drawn from `unit` ∈ [0, 1).
pub fn delay_ms(cfg: &RetryConfig, input: DelayInput, unit: f64) -> u64 {
    let mut base = input.server_retry_ms.unwrap_or(cfg.initial_ms);
    if input.attempt > 1 && base == 0 {
        // The first reconnect honours a zero delay as browsers do; later ones must grow.
        base = MIN_GROWTH_BASE_MS.min(cfg.max_ms);
    }
    let d = jitter_ms(exponential_ms(input.attempt, base, cfg.max_ms), unit);
    match input.retry_after {
        Some(floor) => d.max(u64::try_from(floor.as_millis()).unwrap_or(u64::MAX)),
        None => d,
    }
}

/// Whether the retry budget allows another attempt after `failed_retries` failures.
pub fn may_retry(cfg: &RetryConfig, failed_retries: u32) -> bool {
    cfg.max_retries.is_none_or(|max| failed_retries < max)
}

/// Parses `Retry-After`: delta-seconds or an HTTP date (relative to `now`).
pub fn parse_retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cfg(initial: u64, max: u64) -> RetryConfig {
        RetryConfig {
            initial_ms: initial,
            max_ms: max,
            max_retries: None,
        }
    }

    #[test]
    fn doubles_per_attempt_and_caps() {
        let got: Vec<u64> = (1..=7).map(|a| exponential_ms(a, 1000, 30_000)).collect();
        assert_eq!(got, [1000, 2000, 4000, 8000, 16000, 30000, 30000]);
        assert_eq!(exponential_ms(200, 1000, 30_000), 30_000);
    }

    #[test]
    fn server_retry_replaces_the_initial_delay() {
        let input = DelayInput {
            attempt: 2,
            server_retry_ms: Some(300),
            retry_after: None,
        };
        assert_eq!(delay_ms(&cfg(1000, 30_000), input, 0.999_999), 600);
    }

    #[test]
    fn retry_after_is_a_floor_even_above_the_cap() {
        let input = DelayInput {
            attempt: 1,
            server_retry_ms: None,
            retry_after: Some(Duration::from_secs(45)),
        };
        assert_eq!(delay_ms(&cfg(1000, 30_000), input, 0.0), 45_000);
    }

    #[test]
    fn a_zero_base_still_grows_after_the_first_retry() {
        let c = cfg(0, 30_000);
        let at = |attempt| {
            delay_ms(
                &c,
                DelayInput {
                    attempt,
                    server_retry_ms: Some(0),
                    retry_after: None,
                },
                0.999_999,
            )
        };
        assert_eq!(at(1), 0);
        assert_eq!(at(2), 200);
        assert_eq!(at(3), 400);
    }

    #[test]
    fn retry_after_parses_seconds_and_dates() {
        let now = std::time::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        let date = httpdate::fmt_http_date(now + Duration::from_secs(5));
        assert_eq!(parse_retry_after(&date, now), Some(Duration::from_secs(5)));
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn budget_counts_failed_retries() {
        let mut c = cfg(1, 1);
        assert!(may_retry(&c, 1_000_000));
        c.max_retries = Some(2);
        assert!(may_retry(&c, 0));
        assert!(may_retry(&c, 1));
        assert!(!may_retry(&c, 2));
    }

    proptest! {
        #[test]
        fn jitter_stays_within_half_and_full(d in 0u64..10_000_000, unit in 0.0f64..1.0) {
            let j = jitter_ms(d, unit);
            prop_assert!(j >= d / 2 && j <= d);
        }

        #[test]
        fn delay_never_exceeds_cap_without_retry_after(
            attempt in 1u32..100, initial in 0u64..100_000, max in 0u64..100_000, unit in 0.0f64..1.0
        ) {
            let d = delay_ms(&cfg(initial, max), DelayInput { attempt, server_retry_ms: None, retry_after: None }, unit);
            prop_assert!(d <= max);
        }
    }
}
