//! The global event sequence: what event `n` looks like, and when it is published.
//!
//! Everything here is a pure function of `n` and the clock, so a resuming client can be served
//! without the server remembering anything about it.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Writes events of one connection's shape (size, types, line ending).
#[derive(Debug, Clone)]
pub(crate) struct EventFormat {
    size: usize,
    types: Vec<String>,
    eol: &'static [u8],
    /// Every event whose id is a multiple of this carries `n` as a string, not a number: data
    /// that breaks the schema a client expects (expectations tests).
    bad_every: Option<u64>,
}

impl EventFormat {
    pub(crate) fn new(size: usize, types: Vec<String>, crlf: bool) -> Self {
        EventFormat {
            size,
            types,
            eol: if crlf { b"\r\n" } else { b"\n" },
            bad_every: None,
        }
    }

    /// Makes every `k`th event (by id) break its schema: `"n":"<n>"`.
    pub(crate) fn with_bad_every(mut self, k: Option<u64>) -> Self {
        self.bad_every = k.filter(|&k| k > 0);
        self
    }

    /// The line ending this connection uses.
    pub(crate) fn eol(&self) -> &'static [u8] {
        self.eol
    }

    /// The event type of event `n`: the configured types in turn, starting with the first at n = 1.
    pub(crate) fn event_type(&self, n: u64) -> &str {
        if self.types.is_empty() {
            return "message";
        }
        let index = (n.saturating_sub(1) % self.types.len() as u64) as usize;
        &self.types[index]
    }

    /// Appends event `n`, stamped `ts_ms`, to `buf`.
    pub(crate) fn write_event(&self, buf: &mut Vec<u8>, n: u64, ts_ms: u64) {
        buf.extend_from_slice(b"id: ");
        push_u64(buf, n);
        buf.extend_from_slice(self.eol);
        buf.extend_from_slice(b"event: ");
        buf.extend_from_slice(self.event_type(n).as_bytes());
        buf.extend_from_slice(self.eol);

        let line_start = buf.len();
        let bad = self.bad_every.is_some_and(|k| n % k == 0);
        buf.extend_from_slice(b"data: {\"n\":");
        if bad {
            buf.push(b'"');
        }
        push_u64(buf, n);
        if bad {
            buf.push(b'"');
        }
        buf.extend_from_slice(b",\"ts\":");
        push_u64(buf, ts_ms);
        buf.extend_from_slice(b",\"pad\":\"");
        const TAIL: usize = "\"}".len();
        let so_far = buf.len() - line_start + TAIL;
        buf.resize(buf.len() + self.size.saturating_sub(so_far), b'x');
        buf.extend_from_slice(b"\"}");
        buf.extend_from_slice(self.eol);
        buf.extend_from_slice(self.eol);
    }
}

/// Appends the decimal digits of `n` without going through `fmt`, which is slow in the hot loop.
fn push_u64(buf: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&digits[i..]);
}

/// Milliseconds since the Unix epoch, for the `ts` field.
pub(crate) fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Whether id `n` is left out by the `skip` knob.
///
/// Defined on the global id space (every multiple of `skip + 1`) rather than per connection, so
/// a client that resumes sees the same gaps as one that never disconnected.
pub(crate) fn is_skipped(n: u64, skip: Option<u64>) -> bool {
    match skip {
        Some(k) if k > 0 => n % (k + 1) == 0,
        _ => false,
    }
}

/// The first id at or after `n` that the `skip` knob does not leave out.
pub(crate) fn next_sent_id(mut n: u64, skip: Option<u64>) -> u64 {
    while is_skipped(n, skip) {
        n += 1;
    }
    n
}

/// When events are published: event `n` at `origin + (n - shift) / rate`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeline {
    origin: Instant,
    rate: f64,
    /// How far one connection's ids run ahead of the server's own count (see
    /// [`Timeline::caught_up_with`]); 0 for the server's own.
    shift: u64,
}

impl Timeline {
    /// `rate` must be finite and greater than zero.
    pub(crate) fn new(origin: Instant, rate: f64) -> Self {
        Timeline {
            origin,
            rate,
            shift: 0,
        }
    }

    /// This timeline, moved ahead so that `last_event_id` is the last id published by `now` when
    /// the client is further on than the server's count (it kept ids from before a restart).
    ///
    /// The client's id is the truth: its connection goes on live at the next id instead of
    /// staying silent until the server's own count catches up, and a restart does not look
    /// like a reset. Only that connection moves, so nothing is remembered between requests.
    pub(crate) fn caught_up_with(self, last_event_id: Option<u64>, now: Instant) -> Self {
        let published = self.published(now);
        match last_event_id {
            Some(k) if k > published => Timeline {
                shift: self.shift.saturating_add(k - published),
                ..self
            },
            _ => self,
        }
    }

    /// How many events have been published by `now`.
    pub(crate) fn published(&self, now: Instant) -> u64 {
        let elapsed = now.saturating_duration_since(self.origin).as_secs_f64();
        // `as` saturates, so an absurd rate cannot wrap around.
        ((elapsed * self.rate).floor() as u64).saturating_add(self.shift)
    }

    /// When event `n` is published; `None` if that is too far away to represent.
    pub(crate) fn due(&self, n: u64) -> Option<Instant> {
        let own = n.saturating_sub(self.shift);
        let offset = Duration::try_from_secs_f64(own as f64 / self.rate).ok()?;
        self.origin.checked_add(offset)
    }
}

/// The first id a new connection gets, before `skip` is applied.
///
/// Without `last_event_id` it is the next event to be published; with it, everything after it
/// that the replay buffer still holds.
pub(crate) fn first_id(published: u64, last_event_id: Option<u64>, replay: usize) -> u64 {
    match last_event_id {
        None => published.saturating_add(1),
        Some(k) => {
            let oldest_kept = published.saturating_sub(replay as u64).saturating_add(1);
            k.saturating_add(1).max(oldest_kept)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_is_a_pure_function_of_n() {
        let format = EventFormat::new(100, vec!["a".into(), "b".into()], false);
        let mut buf = Vec::new();
        format.write_event(&mut buf, 2, 1234);
        let text = String::from_utf8(buf).expect("ascii");
        let mut lines = text.split('\n');
        assert_eq!(lines.next(), Some("id: 2"));
        assert_eq!(lines.next(), Some("event: b"));
        let data = lines.next().expect("data line");
        assert!(data.starts_with("data: {\"n\":2,\"ts\":1234,\"pad\":\"xx"));
        assert_eq!(data.len(), 100);
        assert_eq!(lines.collect::<Vec<_>>(), vec!["", ""]);
    }

    #[test]
    fn bad_every_sends_n_as_a_string_on_multiples_only() {
        let format = EventFormat::new(0, vec!["t".into()], false).with_bad_every(Some(3));
        let mut buf = Vec::new();
        format.write_event(&mut buf, 2, 5);
        format.write_event(&mut buf, 3, 5);
        let text = String::from_utf8(buf).expect("ascii");
        assert!(text.contains("data: {\"n\":2,"), "{text}");
        assert!(text.contains("data: {\"n\":\"3\","), "{text}");
    }

    #[test]
    fn small_size_means_empty_pad() {
        let format = EventFormat::new(0, vec!["t".into()], true);
        let mut buf = Vec::new();
        format.write_event(&mut buf, 10, 5);
        assert_eq!(
            buf,
            b"id: 10\r\nevent: t\r\ndata: {\"n\":10,\"ts\":5,\"pad\":\"\"}\r\n\r\n"
        );
    }

    #[test]
    fn digits() {
        for n in [0, 7, 10, 99, 12345, u64::MAX] {
            let mut buf = Vec::new();
            push_u64(&mut buf, n);
            assert_eq!(buf, n.to_string().as_bytes());
        }
    }

    #[test]
    fn skip_is_global() {
        let sent: Vec<u64> = (1..=10).filter(|&n| !is_skipped(n, Some(3))).collect();
        assert_eq!(sent, vec![1, 2, 3, 5, 6, 7, 9, 10]);
        assert_eq!(next_sent_id(4, Some(3)), 5);
        assert!(!is_skipped(4, Some(0)));
    }

    #[test]
    fn resume_is_bounded_by_replay() {
        assert_eq!(first_id(50, None, 10), 51);
        assert_eq!(first_id(50, Some(45), 10), 46);
        assert_eq!(first_id(50, Some(5), 10), 41);
        assert_eq!(first_id(50, Some(60), 10), 61);
        assert_eq!(first_id(5, Some(0), 10), 1);
    }

    #[test]
    fn timeline() {
        let origin = Instant::now();
        let line = Timeline::new(origin, 10.0);
        assert_eq!(line.published(origin + Duration::from_millis(1050)), 10);
        assert_eq!(line.due(5), Some(origin + Duration::from_millis(500)));
        assert_eq!(Timeline::new(origin, 1e-300).due(5), None);
    }

    #[test]
    fn a_client_ahead_moves_its_timeline_to_its_id() {
        let origin = Instant::now();
        let now = origin + Duration::from_millis(1050);
        let line = Timeline::new(origin, 10.0);

        let ahead = line.caught_up_with(Some(2785), now);
        assert_eq!(ahead.published(now), 2785);
        assert_eq!(first_id(ahead.published(now), Some(2785), 10_000), 2786);
        // The next id is due within one interval, as the server's own next id is.
        let next_due = ahead.due(2786).expect("representable");
        assert!(next_due > now && next_due <= now + Duration::from_millis(100));
        assert_eq!(ahead.due(2786), line.due(11));
        // Ids the client already has are in the past (what `resend` re-sends at once).
        assert!(ahead.due(2780).expect("representable") <= now);
        assert!(ahead.due(3).expect("representable") <= now);

        // A client behind or level with the server, or without an id, leaves it as it is.
        for id in [None, Some(0), Some(4), Some(10)] {
            assert_eq!(line.caught_up_with(id, now).published(now), 10, "{id:?}");
        }
        assert_eq!(
            line.caught_up_with(Some(u64::MAX), now).published(now),
            u64::MAX
        );
    }
}
