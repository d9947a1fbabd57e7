//! The supervisor's live events as the windows see them: messages for the log, other
//! lifecycle events in words, comments left out.

use crate::dto::{gap_words, ms, reset_words, LifecycleKind, LifecycleView, MessageView};
use crate::preview;
use std::time::SystemTime;
use streamwatch_engine::{Lifecycle, SubscriptionId};

/// A live event as the UI sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum LiveEvent {
    /// A message, for the log.
    Message(MessageView),
    /// Anything else worth showing.
    Lifecycle(LifecycleView),
    /// A comment: not forwarded (heartbeats would flood the log).
    Comment,
}

impl LiveEvent {
    /// Converts one supervisor lifecycle event.
    pub fn new(id: SubscriptionId, at: SystemTime, event: &Lifecycle) -> LiveEvent {
        let at_ms = ms(at);
        let view = |kind, detail: String| LifecycleView {
            subscription_id: id.0,
            at_ms,
            kind,
            detail,
            attempt: None,
            delay_ms: None,
            status: None,
            missed: None,
        };
        let lifecycle = match event {
            Lifecycle::Message {
                event,
                data,
                id: last_id,
                replayed,
                mismatch,
            } => {
                // A 16 MiB event is stored whole; the window gets its start (see `preview`).
                let (shown, truncated) = preview::cut(data, preview::PREVIEW_BYTES);
                return LiveEvent::Message(MessageView {
                    subscription_id: id.0,
                    seq: None,
                    received_at_ms: at_ms,
                    event: event.to_string(),
                    id: last_id.to_string(),
                    data: shown.to_string(),
                    replayed: *replayed,
                    size: data.len() as u64,
                    truncated,
                    mismatch: mismatch.as_ref().map(ToString::to_string),
                });
            }
            Lifecycle::Comment { .. } => return LiveEvent::Comment,
            Lifecycle::Connecting { attempt } => LifecycleView {
                attempt: Some(*attempt),
                ..view(
                    LifecycleKind::Connecting,
                    if *attempt == 0 {
                        "connecting".into()
                    } else {
                        format!("reconnecting (retry {attempt})")
                    },
                )
            },
            Lifecycle::Started { url, status } => LifecycleView {
                status: Some(*status),
                ..view(LifecycleKind::Started, url.clone())
            },
            Lifecycle::Gap {
                after,
                next,
                missed,
            } => LifecycleView {
                missed: Some(*missed),
                ..view(LifecycleKind::Gap, gap_words(*after, *next, *missed))
            },
            Lifecycle::Reset { last, first } => {
                view(LifecycleKind::Reset, reset_words(*last, *first))
            }
            Lifecycle::RetryChanged { retry_ms } => LifecycleView {
                delay_ms: Some(*retry_ms),
                ..view(
                    LifecycleKind::RetryChanged,
                    format!("the server set the retry delay to {retry_ms} ms"),
                )
            },
            Lifecycle::Error {
                message, status, ..
            } => LifecycleView {
                status: *status,
                ..view(LifecycleKind::Error, message.clone())
            },
            Lifecycle::Finished => view(LifecycleKind::Finished, "stream ended".into()),
            Lifecycle::Retrying { attempt, delay_ms } => LifecycleView {
                attempt: Some(*attempt),
                delay_ms: Some(*delay_ms),
                ..view(
                    LifecycleKind::Retrying,
                    format!("retry {attempt} in {delay_ms} ms"),
                )
            },
            Lifecycle::RetriesFailed { attempts } => LifecycleView {
                attempt: Some(*attempts),
                ..view(
                    LifecycleKind::RetriesFailed,
                    format!("gave up after {attempts} retries"),
                )
            },
        };
        LiveEvent::Lifecycle(lifecycle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    #[test]
    fn lifecycle_events_convert() {
        let at = UNIX_EPOCH + std::time::Duration::from_millis(42);
        let id = SubscriptionId(3);
        match LiveEvent::new(
            id,
            at,
            &Lifecycle::Retrying {
                attempt: 2,
                delay_ms: 900,
            },
        ) {
            LiveEvent::Lifecycle(l) => {
                assert_eq!(
                    (l.kind, l.attempt, l.delay_ms, l.at_ms),
                    (LifecycleKind::Retrying, Some(2), Some(900), 42)
                );
                let v = serde_json::to_value(&l).unwrap();
                assert_eq!(v["kind"], "retrying");
                assert_eq!(v["subscriptionId"], 3);
            }
            other => panic!("{other:?}"),
        }
        let msg = Lifecycle::Message {
            event: "tick".into(),
            data: "d".into(),
            id: "9".into(),
            replayed: false,
            mismatch: None,
        };
        assert!(matches!(
            LiveEvent::new(id, at, &msg),
            LiveEvent::Message(MessageView {
                seq: None,
                size: 1,
                truncated: false,
                ..
            })
        ));
        // A 16 MiB event: the window gets its first 64 KiB, told how big the whole is.
        let huge = Lifecycle::Message {
            event: "big".into(),
            data: format!("é{}", "x".repeat(16 << 20)).into(),
            id: "10".into(),
            replayed: false,
            mismatch: None,
        };
        match LiveEvent::new(id, at, &huge) {
            LiveEvent::Message(m) => {
                assert!(m.truncated);
                assert_eq!(m.size, (16 << 20) + 2);
                assert_eq!(m.data.len(), crate::preview::PREVIEW_BYTES);
                assert!(m.data.starts_with('é'));
                let v = serde_json::to_value(&m).unwrap();
                assert_eq!(
                    (v["truncated"].clone(), v["size"].clone()),
                    (true.into(), ((16 << 20) + 2).into())
                );
            }
            other => panic!("{other:?}"),
        }
        let gap = Lifecycle::Gap {
            after: 4,
            next: 9,
            missed: 4,
        };
        match LiveEvent::new(id, at, &Lifecycle::Reset { last: 41, first: 1 }) {
            LiveEvent::Lifecycle(l) => {
                assert_eq!(serde_json::to_value(&l).unwrap()["kind"], "reset");
                assert_eq!(
                    l.detail,
                    "ids went backwards from 41 to 1: did the server restart?"
                );
            }
            other => panic!("{other:?}"),
        }
        match LiveEvent::new(id, at, &gap) {
            LiveEvent::Lifecycle(l) => {
                assert_eq!(serde_json::to_value(&l).unwrap()["kind"], "gap");
                assert_eq!(l.missed, Some(4));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            serde_json::to_value(LifecycleKind::RetriesFailed).unwrap(),
            "retries-failed"
        );
    }
}
