//! Hostile HTTP/1.1 answers for the lean client: whatever bytes a server sends, the head
//! parser and the chunked decoder never panic, stay within their limits, and read the same
//! body whether it arrives in one read or in pieces.
//!
//! Input: the first byte seeds the read boundaries; the rest is what the server sends.
#![no_main]

use libfuzzer_sys::fuzz_target;
use streamwatch_engine::chunked::{ChunkedDecoder, ChunkedError};
use streamwatch_engine::http1_head::{self, Framing, MAX_HEAD};

/// Decodes `body` read in pieces of the sizes `sizes` cycles through: the data, and the error
/// (or `Ok(done)`).
fn chunked(body: &[u8], sizes: &[usize]) -> (Vec<u8>, Result<bool, ChunkedError>) {
    let mut decoder = ChunkedDecoder::new();
    let mut out = Vec::new();
    let mut at = 0;
    let mut turn = 0;
    while at < body.len() && !decoder.is_done() {
        let size = sizes[turn % sizes.len()].max(1);
        turn += 1;
        let mut piece = &body[at..body.len().min(at + size)];
        at += piece.len();
        while !piece.is_empty() && !decoder.is_done() {
            match decoder.decode(piece) {
                Ok(step) => {
                    assert!(step.consumed <= piece.len());
                    if let Some(r) = step.data {
                        assert!(r.end <= step.consumed, "data past what was consumed");
                        out.extend_from_slice(&piece[r]);
                    }
                    assert!(step.consumed > 0 || decoder.is_done(), "no progress");
                    piece = &piece[step.consumed..];
                }
                Err(e) => return (out, Err(e)),
            }
        }
    }
    (out, Ok(decoder.is_done()))
}

fuzz_target!(|data: &[u8]| {
    let Some((&seed, sent)) = data.split_first() else {
        return;
    };
    // The head read in growing prefixes, as the client reads it: a prefix never parses to a
    // different head than the whole.
    let step = usize::from(seed % 7) + 1;
    let mut parsed = None;
    let mut end = 0;
    while end < sent.len() {
        end = sent.len().min(end + step);
        match http1_head::parse_response(&sent[..end]) {
            Ok(None) => assert!(end < MAX_HEAD, "a partial head past the limit"),
            Ok(Some((head, len))) => {
                assert!(len <= end && len <= MAX_HEAD);
                parsed = Some((head, len));
                break;
            }
            Err(_) => return,
        }
    }
    let Some((head, len)) = parsed else {
        return;
    };
    if head.framing != Framing::Chunked {
        return;
    }
    let body = &sent[len..];
    let whole = chunked(body, &[body.len()]);
    let sizes = [usize::from(seed >> 3) + 1, 1, 3, usize::from(seed) + 2];
    let split = chunked(body, &sizes);
    assert_eq!(whole, split, "split reads decode differently");
});
