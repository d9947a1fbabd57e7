//! The body of one `/events` response: replay, live pacing, heartbeats and the per-connection
//! limits (`count`, `close_after`, `abort_after`, `stall_after`).

use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::Stream;
use tokio::time::sleep_until;

use crate::faults::AbruptClose;
use crate::knobs::Knobs;
use crate::sequence::{first_id, next_sent_id, unix_ms, EventFormat, Timeline};

/// Bytes gathered before one write: large enough that an unpaced stream is limited by the
/// socket, not by per-write overhead.
const BATCH_BYTES: usize = 64 * 1024;

/// A pause before an abrupt close (`abort_after`), so the events already handed to hyper reach
/// the socket (hyper drops its unflushed buffer when a body fails).
const FLUSH_BEFORE_CLOSE: Duration = Duration::from_millis(30);

/// What the stream does once its current batch is out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Running,
    /// Cut the body off without its final chunk (`abort_after`).
    Aborting,
    Stalled,
    /// End the body cleanly (`count`, `close_after`).
    Done,
}

/// One connection's position in the sequence and its limits.
struct EventStream {
    format: EventFormat,
    /// `None` when the rate is 0: events go out as fast as the socket takes them.
    timeline: Option<Timeline>,
    next: u64,
    sent: u64,
    count: Option<u64>,
    close_after: Option<u64>,
    abort_after: Option<u64>,
    stall_after: Option<u64>,
    skip: Option<u64>,
    jump_back: Option<u64>,
    heartbeat: Option<Duration>,
    preamble: Option<Bytes>,
    last_write: Instant,
    phase: Phase,
}

/// The `/events` body for `knobs`, with events timed from `origin` (the server's start).
pub(crate) fn event_stream(
    knobs: &Knobs,
    origin: Instant,
    last_event_id: Option<u64>,
) -> impl Stream<Item = Result<Bytes, AbruptClose>> + Send + 'static {
    let now = Instant::now();
    // A client further on than this server (it has ids from before a restart) goes on at its
    // id + 1, live; `reset_ids` plays a server that ignores the client's id altogether.
    let timeline = (knobs.rate > 0.0).then(|| {
        let line = Timeline::new(origin, knobs.rate);
        if knobs.reset_ids {
            line
        } else {
            line.caught_up_with(last_event_id, now)
        }
    });
    let first = match timeline {
        _ if knobs.reset_ids => 1,
        Some(line) => first_id(line.published(now), last_event_id, knobs.replay),
        None => last_event_id.map_or(1, |k| k.saturating_add(1)),
    };
    // Re-sending starts that many ids earlier, but never before the first event.
    let first = match last_event_id {
        Some(_) if !knobs.reset_ids => first.saturating_sub(knobs.resend).max(1),
        _ => first,
    };
    let format = EventFormat::new(knobs.size, knobs.event_types.clone(), knobs.crlf)
        .with_bad_every(knobs.bad_every);

    let mut preamble = Vec::new();
    if knobs.bom {
        preamble.extend_from_slice("\u{feff}".as_bytes());
    }
    if let Some(ms) = knobs.retry_ms {
        preamble.extend_from_slice(format!("retry: {ms}").as_bytes());
        preamble.extend_from_slice(format.eol());
        preamble.extend_from_slice(format.eol());
    }

    let state = EventStream {
        timeline,
        next: next_sent_id(first, knobs.skip),
        sent: 0,
        count: knobs.count,
        close_after: knobs.close_after,
        abort_after: knobs.abort_after,
        stall_after: knobs.stall_after,
        skip: knobs.skip,
        jump_back: knobs.jump_back,
        heartbeat: knobs.heartbeat,
        preamble: (!preamble.is_empty()).then(|| Bytes::from(preamble)),
        last_write: now,
        phase: Phase::Running,
        format,
    };
    futures_util::stream::unfold(state, |mut state| async move {
        let item = state.next_chunk().await?;
        Some((item, state))
    })
}

impl EventStream {
    /// The next write, or `None` for a clean end of the stream.
    async fn next_chunk(&mut self) -> Option<Result<Bytes, AbruptClose>> {
        loop {
            match self.phase {
                Phase::Running => {}
                Phase::Done => return None,
                Phase::Aborting => {
                    tokio::time::sleep(FLUSH_BEFORE_CLOSE).await;
                    self.phase = Phase::Done;
                    return Some(Err(AbruptClose));
                }
                // Nothing more, not even heartbeats; the connection only ends when dropped.
                Phase::Stalled => return std::future::pending().await,
            }
            if let Some(preamble) = self.preamble.take() {
                self.last_write = Instant::now();
                return Some(Ok(preamble));
            }
            // Checked before waiting too, so that limits of 0 apply before the first event.
            if let Some(phase) = self.limit_reached() {
                self.phase = phase;
                continue;
            }
            if let Some(line) = self.timeline {
                if let Some(heartbeat) = self.wait_for(line.due(self.next)).await {
                    return Some(Ok(heartbeat));
                }
            }
            let chunk = self.batch();
            if !chunk.is_empty() {
                return Some(Ok(chunk));
            }
        }
    }

    /// Waits until `due` (never, if `None`); returns a heartbeat instead if the stream would
    /// otherwise stay idle longer than the heartbeat interval.
    async fn wait_for(&mut self, due: Option<Instant>) -> Option<Bytes> {
        let beat_at = self.heartbeat.map(|every| self.last_write + every);
        match (due, beat_at) {
            (Some(due), Some(beat)) if beat < due => {}
            (Some(due), _) => {
                sleep_until(due.into()).await;
                return None;
            }
            (None, Some(_)) => {}
            (None, None) => std::future::pending::<()>().await,
        }
        if let Some(beat) = beat_at {
            sleep_until(beat.into()).await;
        }
        self.last_write = Instant::now();
        let eol = self.format.eol();
        let mut bytes = b": heartbeat".to_vec();
        bytes.extend_from_slice(eol);
        bytes.extend_from_slice(eol);
        Some(Bytes::from(bytes))
    }

    /// Every event due by now (or, unpaced, as many as fit), up to a limit.
    fn batch(&mut self) -> Bytes {
        let now = Instant::now();
        let ts = unix_ms();
        // Paced streams usually send one small event per write; unpaced ones fill the batch.
        let capacity = if self.timeline.is_some() {
            512
        } else {
            BATCH_BYTES + 1024
        };
        let mut buf = Vec::with_capacity(capacity);
        while buf.len() < BATCH_BYTES {
            if let Some(line) = self.timeline {
                if line.due(self.next).is_none_or(|due| due > now) {
                    break;
                }
            }
            self.format.write_event(&mut buf, self.next, ts);
            self.sent += 1;
            let restart = self.jump_back.is_some_and(|k| self.sent % k == 0);
            let next = if restart {
                1
            } else {
                self.next.saturating_add(1)
            };
            self.next = next_sent_id(next, self.skip);
            if let Some(phase) = self.limit_reached() {
                self.phase = phase;
                break;
            }
        }
        self.last_write = now;
        Bytes::from(buf)
    }

    /// The phase a limit puts the stream in, if one is reached; an abort wins over a planned
    /// close, which wins over stalling, which wins over the count's clean end.
    fn limit_reached(&self) -> Option<Phase> {
        let reached = |limit: Option<u64>| limit.is_some_and(|l| self.sent >= l);
        if reached(self.abort_after) {
            Some(Phase::Aborting)
        } else if reached(self.close_after) {
            Some(Phase::Done)
        } else if reached(self.stall_after) {
            Some(Phase::Stalled)
        } else if reached(self.count) {
            Some(Phase::Done)
        } else {
            None
        }
    }
}
