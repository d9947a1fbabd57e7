//! HTTP/1.1 chunked transfer coding (RFC 9112 §7.1), decoded in place: the data of a read is
//! handed on as ranges of that read, never copied, whatever the splits.
//!
//! Every byte is the server's, so each part is bounded: a size line (with its extensions) of at
//! most [`MAX_LINE`] bytes, a size of at most 16 hex digits, trailers of at most
//! [`MAX_TRAILERS`] bytes. A bare LF ends a line as CRLF does (as hyper and browsers accept).

use std::ops::Range;

/// Most bytes of one chunk-size line, extensions included.
pub const MAX_LINE: usize = 4096;
/// Most bytes of the trailer section after the last chunk.
pub const MAX_TRAILERS: usize = 16 * 1024;

/// Why a chunked body cannot be read further.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChunkedError {
    /// A chunk size that is not hexadecimal.
    #[error("invalid chunk size line (not a hexadecimal size)")]
    BadSize,
    /// A chunk size over 16 hex digits (past 2^64).
    #[error("chunk size too large")]
    SizeTooLarge,
    /// A size line longer than [`MAX_LINE`].
    #[error("chunk size line longer than {MAX_LINE} bytes")]
    LineTooLong,
    /// A chunk's data not followed by its CRLF.
    #[error("chunk data not followed by CRLF")]
    MissingCrlf,
    /// Trailers longer than [`MAX_TRAILERS`].
    #[error("chunked trailers longer than {MAX_TRAILERS} bytes")]
    TrailersTooLong,
    /// The input ended before the last chunk.
    #[error("unexpected EOF in the middle of a chunked body")]
    Truncated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading hex digits of a size; `digits` so far.
    Size { digits: u8 },
    /// After the size's digits: whitespace, then `;` and extensions, or the line's end.
    AfterSize,
    /// Inside the extensions (`;name=value…`), ignored up to the line's end.
    Extension,
    /// Saw CR ending the size line.
    SizeLf,
    /// Inside a chunk's data.
    Data,
    /// After the data: expect CR or LF.
    DataCr,
    /// After the data's CR: expect LF.
    DataLf,
    /// After the last chunk: trailer lines; `at_line_start` tells an empty line (the end).
    Trailer { at_line_start: bool },
    /// Saw CR at the start of a trailer line: the final LF is next.
    TrailerEndLf,
    /// The body is complete.
    Done,
}

/// What one call to [`ChunkedDecoder::decode`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Bytes of the input used; the caller drops them before the next call.
    pub consumed: usize,
    /// Body data found, as a range of the input.
    pub data: Option<Range<usize>>,
}

/// A chunked body's decoder, fed the raw bytes as they arrive.
#[derive(Debug, Clone)]
pub struct ChunkedDecoder {
    state: State,
    /// The chunk size being read, then the data left in the chunk.
    remaining: u64,
    /// Bytes of the current size line, or of the trailers.
    counted: usize,
}

impl Default for ChunkedDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl ChunkedDecoder {
    /// A decoder at the start of a body.
    pub fn new() -> Self {
        Self {
            state: State::Size { digits: 0 },
            remaining: 0,
            counted: 0,
        }
    }

    /// Whether the last chunk and its trailers have been read.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// At the end of the input: complete, or cut short.
    pub fn finish(&self) -> Result<(), ChunkedError> {
        if self.is_done() {
            Ok(())
        } else {
            Err(ChunkedError::Truncated)
        }
    }

    /// Decodes from the start of `input` until data is found, the input is used up or the body
    /// ends. Call again with the rest (`input[consumed..]`) while it is not empty and the body
    /// is not done; bytes after the end are not the body's.
    pub fn decode(&mut self, input: &[u8]) -> Result<Step, ChunkedError> {
        let mut i = 0;
        while i < input.len() {
            let b = input[i];
            match self.state {
                State::Size { digits } => {
                    if let Some(v) = hex_value(b) {
                        if digits >= 16 {
                            return Err(ChunkedError::SizeTooLarge);
                        }
                        self.remaining = (self.remaining << 4) | u64::from(v);
                        self.state = State::Size { digits: digits + 1 };
                    } else if digits == 0 {
                        return Err(ChunkedError::BadSize);
                    } else {
                        self.state = State::AfterSize;
                        continue;
                    }
                    self.count_line()?;
                    i += 1;
                }
                State::AfterSize | State::Extension => {
                    match (b, self.state) {
                        (b'\r', _) => self.state = State::SizeLf,
                        (b'\n', _) => self.size_line_done(),
                        (b';', _) => self.state = State::Extension,
                        (b' ' | b'\t', _) | (_, State::Extension) => {}
                        // Only whitespace or extensions may follow the digits.
                        _ => return Err(ChunkedError::BadSize),
                    }
                    self.count_line()?;
                    i += 1;
                }
                State::SizeLf => {
                    if b != b'\n' {
                        return Err(ChunkedError::BadSize);
                    }
                    self.size_line_done();
                    i += 1;
                }
                State::Data => {
                    let take = (input.len() - i)
                        .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
                    self.remaining -= take as u64;
                    if self.remaining == 0 {
                        self.state = State::DataCr;
                    }
                    return Ok(Step {
                        consumed: i + take,
                        data: Some(i..i + take),
                    });
                }
                State::DataCr => {
                    match b {
                        b'\r' => self.state = State::DataLf,
                        b'\n' => self.start_size(),
                        _ => return Err(ChunkedError::MissingCrlf),
                    }
                    i += 1;
                }
                State::DataLf => {
                    if b != b'\n' {
                        return Err(ChunkedError::MissingCrlf);
                    }
                    self.start_size();
                    i += 1;
                }
                State::Trailer { at_line_start } => {
                    self.counted += 1;
                    if self.counted > MAX_TRAILERS {
                        return Err(ChunkedError::TrailersTooLong);
                    }
                    self.state = match (b, at_line_start) {
                        (b'\n', true) => State::Done,
                        (b'\r', true) => State::TrailerEndLf,
                        (b'\n', false) => State::Trailer {
                            at_line_start: true,
                        },
                        _ => State::Trailer {
                            at_line_start: false,
                        },
                    };
                    i += 1;
                }
                State::TrailerEndLf => {
                    // A lone CR at a line's start is not a trailer field: only the end.
                    if b != b'\n' {
                        return Err(ChunkedError::MissingCrlf);
                    }
                    self.state = State::Done;
                    i += 1;
                }
                State::Done => break,
            }
            if self.state == State::Done {
                break;
            }
        }
        Ok(Step {
            consumed: i,
            data: None,
        })
    }

    fn count_line(&mut self) -> Result<(), ChunkedError> {
        self.counted += 1;
        if self.counted > MAX_LINE {
            return Err(ChunkedError::LineTooLong);
        }
        Ok(())
    }

    fn size_line_done(&mut self) {
        self.counted = 0;
        if self.remaining == 0 {
            self.state = State::Trailer {
                at_line_start: true,
            };
        } else {
            self.state = State::Data;
        }
    }

    fn start_size(&mut self) {
        self.state = State::Size { digits: 0 };
        self.remaining = 0;
        self.counted = 0;
    }
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Decodes `parts` fed one after another; the body's data and whether it completed.
    fn decode_parts(parts: &[&[u8]]) -> Result<(Vec<u8>, bool), ChunkedError> {
        let mut d = ChunkedDecoder::new();
        let mut out = Vec::new();
        for part in parts {
            let mut rest: &[u8] = part;
            while !rest.is_empty() && !d.is_done() {
                let step = d.decode(rest)?;
                if let Some(r) = step.data {
                    out.extend_from_slice(&rest[r]);
                }
                assert!(step.consumed > 0 || d.is_done(), "no progress on {rest:?}");
                rest = &rest[step.consumed..];
            }
        }
        Ok((out, d.is_done()))
    }

    fn whole(input: &[u8]) -> Result<(Vec<u8>, bool), ChunkedError> {
        decode_parts(&[input])
    }

    #[test]
    fn plain_chunks_with_extensions_and_trailers() {
        let body = b"5\r\nhello\r\n6;name=\"v\"\r\n world\r\n0\r\nX-T: 1\r\n\r\n";
        assert_eq!(whole(body), Ok((b"hello world".to_vec(), true)));
        assert_eq!(
            whole(b"3\nabc\n0\n\n"),
            Ok((b"abc".to_vec(), true)),
            "bare LF"
        );
        assert_eq!(
            whole(b"A \r\n0123456789\r\n0\r\n\r\n").map(|r| r.0.len()),
            Ok(10)
        );
        assert_eq!(whole(b"0\r\n\r\nleftover"), Ok((Vec::new(), true)));
    }

    #[test]
    fn an_unfinished_body_is_not_done() {
        assert_eq!(whole(b"5\r\nhel"), Ok((b"hel".to_vec(), false)));
        let mut d = ChunkedDecoder::new();
        d.decode(b"5\r\nhel").expect("partial");
        assert_eq!(d.finish(), Err(ChunkedError::Truncated));
        assert_eq!(
            whole(b"0\r\n"),
            Ok((Vec::new(), false)),
            "trailers not ended"
        );
    }

    #[test]
    fn hostile_framing_is_refused() {
        assert_eq!(whole(b"zz\r\n"), Err(ChunkedError::BadSize));
        assert_eq!(whole(b"\r\n"), Err(ChunkedError::BadSize));
        assert_eq!(whole(b"5x\r\n"), Err(ChunkedError::BadSize));
        assert_eq!(whole(b"5\rx"), Err(ChunkedError::BadSize));
        assert_eq!(
            whole(b"11111111111111111\r\n"),
            Err(ChunkedError::SizeTooLarge)
        );
        assert_eq!(
            whole(b"ffffffffffffffff\r\nab"),
            Ok((b"ab".to_vec(), false))
        );
        assert_eq!(whole(b"2\r\nabX"), Err(ChunkedError::MissingCrlf));
        assert_eq!(whole(b"2\r\nab\rX"), Err(ChunkedError::MissingCrlf));
        assert_eq!(whole(b"0\r\n\rX"), Err(ChunkedError::MissingCrlf));
        let mut long = b"1;".to_vec();
        long.extend(std::iter::repeat_n(b'e', MAX_LINE));
        assert_eq!(whole(&long), Err(ChunkedError::LineTooLong));
        let mut trailers = b"0\r\n".to_vec();
        trailers.extend(std::iter::repeat_n(b't', MAX_TRAILERS + 1));
        assert_eq!(whole(&trailers), Err(ChunkedError::TrailersTooLong));
    }

    /// A chunked encoding of `data` cut at `cuts`, with optional extensions, trailers, bare LF.
    fn encode(data: &[u8], cuts: &[usize], ext: bool, trailer: bool, lf_only: bool) -> Vec<u8> {
        let nl: &[u8] = if lf_only { b"\n" } else { b"\r\n" };
        let mut out = Vec::new();
        let mut bounds: Vec<usize> = cuts.iter().map(|c| c % (data.len() + 1)).collect();
        bounds.push(0);
        bounds.push(data.len());
        bounds.sort_unstable();
        bounds.dedup();
        for w in bounds.windows(2) {
            let chunk = &data[w[0]..w[1]];
            out.extend_from_slice(format!("{:x}", chunk.len()).as_bytes());
            if ext {
                out.extend_from_slice(b" ;a=b;c");
            }
            out.extend_from_slice(nl);
            out.extend_from_slice(chunk);
            out.extend_from_slice(nl);
        }
        out.extend_from_slice(b"0");
        out.extend_from_slice(nl);
        if trailer {
            out.extend_from_slice(b"Trailer-Field: x");
            out.extend_from_slice(nl);
        }
        out.extend_from_slice(nl);
        out
    }

    proptest! {
        #[test]
        fn any_split_of_any_encoding_gives_the_data_back(
            data in proptest::collection::vec(any::<u8>(), 0..600),
            cuts in proptest::collection::vec(any::<usize>(), 0..8),
            splits in proptest::collection::vec(any::<usize>(), 0..12),
            ext in any::<bool>(),
            trailer in any::<bool>(),
            lf_only in any::<bool>(),
        ) {
            let encoded = encode(&data, &cuts, ext, trailer, lf_only);
            let mut at: Vec<usize> = splits.iter().map(|s| s % (encoded.len() + 1)).collect();
            at.push(0);
            at.push(encoded.len());
            at.sort_unstable();
            at.dedup();
            let parts: Vec<&[u8]> = at.windows(2).map(|w| &encoded[w[0]..w[1]]).collect();
            prop_assert_eq!(decode_parts(&parts), Ok((data, true)));
        }

        #[test]
        fn garbage_never_panics_or_stalls(
            input in proptest::collection::vec(any::<u8>(), 0..300),
            split in any::<usize>(),
        ) {
            let at = split % (input.len() + 1);
            let _ = decode_parts(&[&input[..at], &input[at..]]);
        }
    }
}
