//! The queue from the supervisor to the storage writer, bounded by count and by bytes.
//!
//! A count bound alone lets 8,192 queued 16 MiB events hold 128 GiB. Each message also takes
//! its data's size from a byte budget (a semaphore), given back only once the writer has
//! committed it, so queue and pending batch together hold at most the budget (a message larger
//! than the whole budget takes all of it). When the budget is spent the producer waits: storage
//! is lossless, so the slow part is the producing subscription, never a dropped record. Each
//! wait is counted ([`RecordSender::waits`]) and traced.

use crate::record::Record;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::mpsc::{self, error::SendError};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, TryAcquireError};

/// Default bytes of message data queued for (or pending in) the writer.
pub const DEFAULT_BYTES: usize = 64 << 20;

/// A record with its share of the byte budget, given back when dropped.
#[derive(Debug)]
pub struct Queued {
    /// What to persist.
    pub record: Record,
    permit: Option<OwnedSemaphorePermit>,
}

impl Queued {
    /// Bytes of the budget this record holds.
    pub fn bytes(&self) -> usize {
        self.permit.as_ref().map_or(0, |p| p.num_permits())
    }

    /// Splits into the record and its share of the budget (keep the share until committed).
    pub fn into_parts(self) -> (Record, Option<OwnedSemaphorePermit>) {
        (self.record, self.permit)
    }
}

/// The sending half: clone it for every producer.
#[derive(Debug, Clone)]
pub struct RecordSender {
    tx: mpsc::Sender<Queued>,
    budget: Arc<Semaphore>,
    max: usize,
    waits: Arc<AtomicU64>,
}

/// The receiving half, for the writer.
pub type RecordReceiver = mpsc::Receiver<Queued>;

/// A queue holding at most `count` records and `bytes` bytes of message data.
pub fn channel(count: usize, bytes: usize) -> (RecordSender, RecordReceiver) {
    let (tx, rx) = mpsc::channel(count.max(1));
    let max = bytes.clamp(1, Semaphore::MAX_PERMITS);
    let sender = RecordSender {
        tx,
        budget: Arc::new(Semaphore::new(max)),
        max,
        waits: Arc::new(AtomicU64::new(0)),
    };
    (sender, rx)
}

/// Bytes of message data a record carries.
fn data_len(record: &Record) -> usize {
    match record {
        Record::Message { data, .. } => data.len(),
        Record::RunEnded { result, .. } => result.text_bytes(),
        _ => 0,
    }
}

impl RecordSender {
    /// Queues `record`, waiting while the queue is full by count or by bytes; hands it back if
    /// the writer is gone.
    pub async fn send(&self, record: Record) -> Result<(), SendError<Record>> {
        let n = data_len(&record).min(self.max);
        let permit = if n == 0 {
            None
        } else {
            // `n` fits: it is at most `max`, itself at most `MAX_PERMITS` (< u32::MAX).
            let n = u32::try_from(n).unwrap_or(u32::MAX);
            match self.budget.clone().try_acquire_many_owned(n) {
                Ok(p) => Some(p),
                Err(TryAcquireError::NoPermits) => {
                    self.waits.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(bytes = n, "storage queue full by bytes: producer waits");
                    match self.budget.clone().acquire_many_owned(n).await {
                        Ok(p) => Some(p),
                        Err(_) => return Err(SendError(record)),
                    }
                }
                Err(TryAcquireError::Closed) => return Err(SendError(record)),
            }
        };
        self.tx
            .send(Queued { record, permit })
            .await
            .map_err(|e| SendError(e.0.record))
    }

    /// How many times a producer had to wait for the byte budget.
    pub fn waits(&self) -> u64 {
        self.waits.load(Ordering::Relaxed)
    }

    /// Bytes of the budget free right now.
    pub fn free_bytes(&self) -> usize {
        self.budget.available_permits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::SubscriptionId;
    use std::time::{Duration, UNIX_EPOCH};

    fn msg(size: usize) -> Record {
        Record::Message {
            sub: SubscriptionId(1),
            at: UNIX_EPOCH,
            event: "m".into(),
            id: "".into(),
            data: "x".repeat(size).into(),
            replayed: false,
            mismatch: None,
        }
    }

    #[tokio::test]
    async fn a_full_byte_budget_makes_the_producer_wait_until_the_writer_is_done_with_a_record() {
        let (tx, mut rx) = channel(100, 1000);
        tx.send(msg(600)).await.unwrap();
        assert_eq!(tx.free_bytes(), 400);
        // 600 more do not fit while the first is held, although 99 slots are free.
        let second = tokio::spawn({
            let tx = tx.clone();
            async move { tx.send(msg(600)).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!second.is_finished(), "the producer waits for bytes");
        assert_eq!(tx.waits(), 1);
        let first = rx.recv().await.unwrap();
        assert_eq!(first.bytes(), 600);
        // Received is not enough: the writer gives the bytes back once it has committed.
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!second.is_finished());
        drop(first);
        second.await.unwrap().unwrap();
        assert_eq!(rx.recv().await.unwrap().bytes(), 600);
    }

    #[tokio::test]
    async fn a_record_larger_than_the_budget_takes_all_of_it_and_others_cost_nothing() {
        let (tx, mut rx) = channel(10, 1000);
        tx.send(msg(5000)).await.unwrap();
        assert_eq!(tx.free_bytes(), 0);
        tx.send(Record::LastId {
            sub: SubscriptionId(1),
            id: "7".into(),
        })
        .await
        .unwrap();
        assert_eq!(rx.recv().await.unwrap().bytes(), 1000);
        assert_eq!(rx.recv().await.unwrap().bytes(), 0);
        drop(rx);
        assert!(tx.send(msg(1)).await.is_err(), "the writer is gone");
    }
}
