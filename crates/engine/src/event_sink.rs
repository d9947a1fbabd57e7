//! Where a connection's lifecycle events go: its own file, so wrappers (redaction) and the
//! connection can both use it without importing each other.

use crate::lifecycle::Lifecycle;
use std::future::Future;

/// Where a connection's lifecycle events go. Awaiting in `emit` slows only this connection.
pub trait EventSink: Send {
    /// Takes one event.
    fn emit(&mut self, event: Lifecycle) -> impl Future<Output = ()> + Send;
}

impl EventSink for tokio::sync::mpsc::Sender<Lifecycle> {
    async fn emit(&mut self, event: Lifecycle) {
        // A closed receiver means nobody listens any more; the caller will drop us soon.
        let _ = self.send(event).await;
    }
}

impl EventSink for tokio::sync::mpsc::UnboundedSender<Lifecycle> {
    async fn emit(&mut self, event: Lifecycle) {
        let _ = self.send(event);
    }
}
