//! The consumer at the end of the path: counts messages and says when it has seen enough.

use streamwatch_engine::connection::EventSink;
use streamwatch_engine::Lifecycle;
use tokio::sync::oneshot;

/// Counts messages and the SSE bytes they came from; reports once `target` have arrived, or
/// as soon as the stream fails or ends early (which would make the figures meaningless).
pub struct CountingSink {
    target: u64,
    pub messages: u64,
    /// The SSE text of each message as the demo server writes it (`id`, `event`, `data`, blank
    /// line, LF endings), rebuilt from the fields: the stream's bytes without HTTP framing.
    pub stream_bytes: u64,
    done: Option<oneshot::Sender<Result<(), String>>>,
}

impl CountingSink {
    pub fn new(target: u64) -> (CountingSink, oneshot::Receiver<Result<(), String>>) {
        let (done, finished) = oneshot::channel();
        let sink = CountingSink {
            target,
            messages: 0,
            stream_bytes: 0,
            done: Some(done),
        };
        (sink, finished)
    }

    fn finish(&mut self, outcome: Result<(), String>) {
        if let Some(done) = self.done.take() {
            let _ = done.send(outcome);
        }
    }
}

impl EventSink for CountingSink {
    async fn emit(&mut self, event: Lifecycle) {
        match event {
            Lifecycle::Message {
                event, data, id, ..
            } => {
                self.messages += 1;
                let fields = id.len() + event.len() + data.len();
                self.stream_bytes += ("id: \nevent: \ndata: \n\n".len() + fields) as u64;
                if self.messages == self.target {
                    self.finish(Ok(()));
                }
            }
            Lifecycle::Error { message, .. } => self.finish(Err(message)),
            Lifecycle::Finished if self.messages < self.target => {
                let got = self.messages;
                self.finish(Err(format!("the stream ended after {got} messages")));
            }
            _ => {}
        }
    }
}
