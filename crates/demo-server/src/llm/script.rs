//! One LLM response as a paced body: events before the answer, one event per token, the
//! closing events and the end marker, with the fault knobs applied.

use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;

use super::knobs::LlmKnobs;
use crate::faults::{pause, AbruptClose};

/// The events of one response, in order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Script {
    /// Sent at once: role chunk, `message_start`, `response.created`, …
    pub prelude: Vec<Bytes>,
    /// One event per token, each after the token gap.
    pub tokens: Vec<Bytes>,
    /// After the last token: finish reason, usage, …
    pub closing: Vec<Bytes>,
    /// The end marker (`[DONE]`, `message_stop`, `response.completed`, or Gemini's last chunk).
    pub end: Option<Bytes>,
}

/// One write and the pause before it.
struct Step {
    wait: Duration,
    bytes: Bytes,
}

/// What happens after the last write.
#[derive(Clone, Copy)]
enum Tail {
    Close,
    Abort,
    Stall,
}

impl Script {
    /// The body these events make under `knobs`.
    pub(crate) fn into_body(
        self,
        knobs: &LlmKnobs,
    ) -> impl Stream<Item = Result<Bytes, AbruptClose>> + Send + 'static {
        let (steps, tail) = self.steps(knobs);
        futures_util::stream::unfold(
            (steps.into_iter(), Some(tail)),
            |(mut steps, tail)| async move {
                if let Some(step) = steps.next() {
                    // Always yields, so that each write goes out on its own before an abort.
                    pause(step.wait).await;
                    return Some((Ok(step.bytes), (steps, tail)));
                }
                match tail? {
                    Tail::Close => None,
                    Tail::Abort => {
                        pause(Duration::ZERO).await;
                        Some((Err(AbruptClose), (steps, None)))
                    }
                    Tail::Stall => {
                        // Let the last write go out, then hold the connection open in silence.
                        pause(Duration::ZERO).await;
                        std::future::pending().await
                    }
                }
            },
        )
    }

    fn steps(self, knobs: &LlmKnobs) -> (Vec<Step>, Tail) {
        let at_once = |bytes| Step {
            wait: Duration::ZERO,
            bytes,
        };
        let mut steps: Vec<Step> = self.prelude.into_iter().map(at_once).collect();
        if knobs.stall_before_first {
            return (steps, Tail::Stall);
        }
        let abort_after = knobs
            .abort_after
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX));
        for (i, bytes) in self.tokens.into_iter().enumerate() {
            if abort_after == Some(i) {
                return (steps, Tail::Abort);
            }
            let wait = match (i, knobs.first_token_gap) {
                (0, Some(first)) => first,
                _ => knobs.token_gap,
            };
            steps.push(Step { wait, bytes });
        }
        // An answer no longer than `abort_after` is cut right after its last token.
        if abort_after.is_some() {
            return (steps, Tail::Abort);
        }
        steps.extend(self.closing.into_iter().map(at_once));
        if !knobs.cut_before_end {
            steps.extend(self.end.map(at_once));
        }
        (steps, Tail::Close)
    }
}
