//! Transport-level faults: an abrupt close and a byte-by-byte trickle.

use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};

/// Ends a response body with an error, which makes hyper drop the connection mid-body: the
/// client sees a truncated chunked body, not a clean end.
#[derive(Debug, thiserror::Error)]
#[error("connection closed abruptly on purpose (abort_after)")]
pub struct AbruptClose;

/// Re-emits `inner` one byte per write, `gap` apart (the first byte at once).
pub(crate) fn trickle<S>(
    inner: S,
    gap: Duration,
) -> impl Stream<Item = Result<Bytes, AbruptClose>> + Send + 'static
where
    S: Stream<Item = Result<Bytes, AbruptClose>> + Send + 'static,
{
    let state = (Box::pin(inner), Bytes::new(), false);
    futures_util::stream::unfold(
        state,
        move |(mut inner, mut pending, mut started)| async move {
            while pending.is_empty() {
                match inner.next().await? {
                    Ok(bytes) => pending = bytes,
                    Err(close) => return Some((Err(close), (inner, pending, started))),
                }
            }
            if started {
                pause(gap).await;
            }
            started = true;
            let byte = pending.split_to(1);
            Some((Ok(byte), (inner, pending, started)))
        },
    )
}

/// Waits `gap` between two writes, and always yields: a zero sleep can finish without yielding,
/// and hyper only flushes a write on its own when the body makes it wait.
pub(crate) async fn pause(gap: Duration) {
    if gap.is_zero() {
        tokio::task::yield_now().await;
    } else {
        tokio::time::sleep(gap).await;
    }
}
