//! The body of an HTTP/1.1 response read straight off its TCP connection, as an `http_body`
//! body: each read is handed on as it arrives (an event is never held back for a buffer to
//! fill), and nothing is buffered while the stream is idle.
//!
//! Why not hyper: its client keeps an 8 KiB read buffer, an 8 KiB header write buffer and an
//! 8 KiB dispatch channel block for every connection as long as it is open, about 24 KiB for a
//! stream that may say nothing for hours (`benches/scale.rs`). Here an idle stream holds its
//! socket and a few words of state; a read borrows a buffer on the stack and keeps exactly the
//! bytes that came.

use crate::chunked::{ChunkedDecoder, ChunkedError};
use crate::http1_head::Framing;
use bytes::{Buf, Bytes};
use http_body::{Body, Frame, SizeHint};
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use tokio::net::TcpStream;

/// Most bytes taken from the socket in one read.
const READ_MAX: usize = 32 * 1024;

/// Why the body could not be read to its end.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// The socket failed (reset, timed out).
    #[error("reading the response body: {0}")]
    Io(#[from] io::Error),
    /// The chunked framing is broken or cut short.
    #[error(transparent)]
    Chunked(#[from] ChunkedError),
    /// The connection closed before `Content-Length` bytes came.
    #[error("unexpected EOF: the connection closed {0} bytes before the end of the body")]
    Truncated(u64),
}

#[derive(Debug)]
enum Decoding {
    Length(u64),
    Chunked(ChunkedDecoder),
    UntilClose,
    Done,
}

/// A response body on its own connection; dropping it closes the connection.
#[derive(Debug)]
pub struct Http1Body {
    stream: Option<TcpStream>,
    decoding: Decoding,
    /// Bytes read but not yet handed on (the part of a read after the head, or after data).
    pending: Bytes,
}

impl Http1Body {
    /// The body framed by `framing` on `stream`, whose first bytes (read with the head) are
    /// `pending`.
    pub fn new(stream: TcpStream, framing: Framing, pending: Bytes) -> Self {
        let decoding = match framing {
            Framing::Empty => Decoding::Done,
            Framing::Length(n) => Decoding::Length(n),
            Framing::Chunked => Decoding::Chunked(ChunkedDecoder::new()),
            Framing::UntilClose => Decoding::UntilClose,
        };
        let mut body = Self {
            stream: Some(stream),
            decoding,
            pending,
        };
        if matches!(body.decoding, Decoding::Done) {
            body.finish();
        }
        body
    }

    /// The body is complete: the connection is closed at once (it is never reused).
    fn finish(&mut self) {
        self.decoding = Decoding::Done;
        self.stream = None;
        self.pending = Bytes::new();
    }

    /// Body data from what is pending, if any.
    fn take_pending(&mut self) -> Result<Option<Bytes>, BodyError> {
        while !self.pending.is_empty() {
            match &mut self.decoding {
                Decoding::Done => self.pending = Bytes::new(),
                Decoding::UntilClose => return Ok(Some(std::mem::take(&mut self.pending))),
                Decoding::Length(left) => {
                    let take = self
                        .pending
                        .len()
                        .min(usize::try_from(*left).unwrap_or(usize::MAX));
                    *left -= take as u64;
                    let data = self.pending.split_to(take);
                    if *left == 0 {
                        self.finish();
                    }
                    return Ok(Some(data));
                }
                Decoding::Chunked(decoder) => {
                    let step = decoder.decode(&self.pending)?;
                    let data = step.data.map(|r| self.pending.slice(r));
                    self.pending.advance(step.consumed);
                    if decoder.is_done() {
                        self.finish();
                    }
                    if self.pending.is_empty() {
                        // An empty slice still holds its read: let go of it while idle.
                        self.pending = Bytes::new();
                    }
                    if let Some(data) = data.filter(|d| !d.is_empty()) {
                        return Ok(Some(data));
                    }
                }
            }
        }
        Ok(None)
    }

    /// The end of the connection: complete for a body that runs to the close, else cut short.
    fn at_eof(&mut self) -> Result<(), BodyError> {
        let result = match &self.decoding {
            Decoding::Done | Decoding::UntilClose => Ok(()),
            Decoding::Length(left) => Err(BodyError::Truncated(*left)),
            Decoding::Chunked(decoder) => decoder.finish().map_err(BodyError::from),
        };
        self.finish();
        result
    }
}

impl Body for Http1Body {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        let this = self.get_mut();
        loop {
            match this.take_pending() {
                Ok(Some(data)) => return Poll::Ready(Some(Ok(Frame::data(data)))),
                Ok(None) => {}
                Err(e) => {
                    this.finish();
                    return Poll::Ready(Some(Err(e)));
                }
            }
            let Some(stream) = this.stream.as_ref() else {
                return Poll::Ready(None);
            };
            // Readiness first, then a read into the stack: an idle stream holds no buffer.
            if let Err(e) = ready!(stream.poll_read_ready(cx)) {
                this.finish();
                return Poll::Ready(Some(Err(e.into())));
            }
            let mut buf = [0u8; READ_MAX];
            match stream.try_read(&mut buf) {
                Ok(0) => {
                    return match this.at_eof() {
                        Ok(()) => Poll::Ready(None),
                        Err(e) => Poll::Ready(Some(Err(e))),
                    };
                }
                Ok(n) => this.pending = Bytes::copy_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => {
                    this.finish();
                    return Poll::Ready(Some(Err(e.into())));
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self.decoding, Decoding::Done)
    }

    fn size_hint(&self) -> SizeHint {
        match self.decoding {
            Decoding::Done => SizeHint::with_exact(0),
            Decoding::Length(n) => SizeHint::with_exact(n),
            _ => SizeHint::default(),
        }
    }
}
