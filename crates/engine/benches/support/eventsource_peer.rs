//! Drives `eventsource-client` 0.18. Its `EventParser` is in a private module, so the most
//! direct public path is its client: `ClientBuilder::build_with_transport` with an
//! `HttpTransport` that answers at once with a 200 whose body streams the reads from memory.
//! Measured: the client's state machine polled by `futures_executor::block_on` (one request,
//! no reconnect, no I/O, no runtime) plus its parser.

use super::tally::Tally;
use super::workloads::Chunks;
use bytes::Bytes;
use eventsource_client::{Client, ClientBuilder, Error, ReconnectOptions, SSE};
use futures_util::StreamExt;
use launchdarkly_sdk_transport::{
    ByteStream, HttpTransport, Request, Response, ResponseFuture, TransportError,
};
use std::hint::black_box;

/// A transport whose every response is a 200 streaming the same reads.
#[derive(Clone)]
struct MemoryTransport {
    chunks: Chunks,
}

impl HttpTransport for MemoryTransport {
    fn request(&self, _request: Request<Option<Bytes>>) -> ResponseFuture {
        let chunks = self.chunks.clone();
        // Its transport must hand over owned `Bytes`: one reference-count increment per read,
        // the cheapest way its public API allows.
        let body: ByteStream = Box::pin(futures_util::stream::iter(
            (0..chunks.len()).map(move |i| Ok::<_, TransportError>(chunks[i].clone())),
        ));
        let response = Response::builder()
            .status(200)
            .header("content-type", "text/event-stream")
            .body(body)
            .expect("a static response is valid");
        Box::pin(std::future::ready(Ok(response)))
    }
}

/// Parses `chunks` in order and counts the events.
pub fn parse(chunks: &Chunks) -> Tally {
    let client = ClientBuilder::for_url("http://bench.invalid/events")
        .expect("a valid URL")
        // Without reconnection the stream ends with the body instead of retrying.
        .reconnect(ReconnectOptions::reconnect(false).build())
        .build_with_transport(MemoryTransport {
            chunks: chunks.clone(),
        });
    let mut stream = client.stream();
    futures_executor::block_on(async {
        let mut tally = Tally::default();
        while let Some(item) = stream.next().await {
            match item {
                Ok(SSE::Event(event)) => tally.event(black_box(event).data.len()),
                Ok(SSE::Connected(_) | SSE::Comment(_)) => {}
                // How it reports the end of the body when reconnection is off.
                Err(Error::Eof) => break,
                Err(e) => panic!("eventsource-client failed on valid SSE: {e:?}"),
            }
        }
        tally
    })
}
