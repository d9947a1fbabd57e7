//! The reconnection delay: a pure function of the attempt, the server's `retry:`, the config
//! and `Retry-After`.
//!
//! Hand-written rather than taken from the `backoff`/`backon` crates: the SSE policy swaps its
//! base when the server sends `retry:`, takes `Retry-After` as a (capped) floor, and resets when a
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
    /// `Retry-After` from a 429/503: a lower bound on the wait, itself capped by
    /// [`retry_after_cap_ms`].
    pub retry_after: Option<Duration>,
}

/// The longest `Retry-After` honoured when the subscription's own cap is shorter.
pub const RETRY_AFTER_CEILING: Duration = Duration::from_secs(3600);

/// The most a `Retry-After` may make us wait: the subscription's retry max or one hour,
/// whichever is larger.
///
/// Why not the retry max alone: a server that asks for five minutes means it, and coming back
/// sooner only earns another 503, so a polite client may wait past its own backoff cap. Why
/// capped at all: the header is the server's word, and a buggy or hostile one (`Retry-After:
/// 99999999999`, a date in the year 9999) must not park a monitor for years while it looks
/// merely "retrying". A user who set a retry max above an hour already accepts longer waits.
pub fn retry_after_cap_ms(cfg: &RetryConfig) -> u64 {
    cfg.max_ms.max(duration_ms(RETRY_AFTER_CEILING))
}

/// `d` in whole milliseconds, saturating instead of wrapping on absurd durations.
fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
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
    // NaN would clamp to NaN and cast to 0: harmless, but say what we mean.
    let unit = if unit.is_nan() {
        0.0
    } else {
        unit.clamp(0.0, 1.0)
    };
    // `as` saturates, and the f64 rounding of a huge span may exceed it: add saturating.
    low.saturating_add((span * unit).round() as u64).min(d)
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
        Some(floor) => d.max(duration_ms(floor).min(retry_after_cap_ms(cfg))),
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
    // Any run of digits is a delay, however long: `Duration` holds u64 seconds, and too many
    // digits for u64 saturate (the cap in `delay_ms` applies either way).
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Duration::from_secs(
            value.parse::<u64>().unwrap_or(u64::MAX),
        ));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    // A date in the past means "now" (`duration_since` fails rather than going negative).
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

    fn with_retry_after(c: &RetryConfig, after: Duration) -> u64 {
        let input = DelayInput {
            attempt: 1,
            server_retry_ms: None,
            retry_after: Some(after),
        };
        delay_ms(c, input, 0.0)
    }

    #[test]
    fn retry_after_is_capped_at_an_hour_or_the_retry_max() {
        let hour = 3_600_000;
        let c = cfg(1000, 30_000);
        assert_eq!(with_retry_after(&c, Duration::from_secs(7200)), hour);
        assert_eq!(with_retry_after(&c, Duration::from_secs(3599)), 3_599_000);
        // A retry max above an hour is the cap instead.
        let long = cfg(1000, 3 * hour);
        assert_eq!(
            with_retry_after(&long, Duration::from_secs(99_999)),
            3 * hour
        );
        assert_eq!(with_retry_after(&long, Duration::from_secs(7200)), 2 * hour);
    }

    #[test]
    fn huge_retry_after_values_neither_panic_nor_escape_the_cap() {
        let c = cfg(1000, 30_000);
        assert_eq!(with_retry_after(&c, Duration::MAX), 3_600_000);
        let now = std::time::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        let huge = parse_retry_after("99999999999999999999999999", now).unwrap();
        assert_eq!(huge, Duration::from_secs(u64::MAX));
        assert_eq!(with_retry_after(&c, huge), 3_600_000);
        let far = parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now).unwrap();
        assert_eq!(with_retry_after(&c, far), 3_600_000);
        let past = parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", now).unwrap();
        assert_eq!(past, Duration::ZERO);
        let max = cfg(u64::MAX, u64::MAX);
        assert_eq!(with_retry_after(&max, Duration::MAX), u64::MAX);
        assert!(parse_retry_after("-5", now).is_none());
        assert!(parse_retry_after("", now).is_none());
    }

    #[test]
    fn jitter_takes_extreme_inputs() {
        assert_eq!(jitter_ms(u64::MAX, 1.0), u64::MAX);
        assert_eq!(jitter_ms(u64::MAX, 0.0), u64::MAX / 2);
        assert_eq!(jitter_ms(10, f64::NAN), 5);
        assert_eq!(jitter_ms(10, f64::INFINITY), 10);
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

        #[test]
        fn delay_never_exceeds_the_retry_after_cap(
            attempt in 1u32..100, max in 0u64..u64::MAX, after in 0u64..u64::MAX, unit in 0.0f64..1.0
        ) {
            let c = cfg(1000, max);
            let input = DelayInput { attempt, server_retry_ms: None, retry_after: Some(Duration::from_secs(after)) };
            prop_assert!(delay_ms(&c, input, unit) <= retry_after_cap_ms(&c));
        }
    }
}
