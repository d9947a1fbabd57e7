//! `compress=`: the `/events` body gzip-, brotli-, zstd- or deflate-compressed, the encoder
//! flushed (a sync flush) after every write, so each event can be inflated as soon as its bytes
//! arrive instead of when a compression block fills.

use std::io::Write;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};

use crate::faults::AbruptClose;

/// A content coding the demo server can compress with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coding {
    /// `gzip` (RFC 1952).
    Gzip,
    /// `br` (brotli).
    Brotli,
    /// `zstd`.
    Zstd,
    /// `deflate`: zlib-wrapped deflate, as RFC 9110 defines it.
    Deflate,
}

/// What the `compress` knob asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compress {
    /// Always this coding, whatever the client accepts (as a misconfigured server would).
    Always(Coding),
    /// The first coding the client's `Accept-Encoding` lists that the server has, if any.
    Negotiate,
}

impl Coding {
    /// The `Content-Encoding` token.
    pub(crate) fn token(self) -> &'static str {
        match self {
            Coding::Gzip => "gzip",
            Coding::Brotli => "br",
            Coding::Zstd => "zstd",
            Coding::Deflate => "deflate",
        }
    }

    fn from_token(token: &str) -> Option<Coding> {
        [Coding::Gzip, Coding::Brotli, Coding::Zstd, Coding::Deflate]
            .into_iter()
            .find(|c| c.token().eq_ignore_ascii_case(token))
    }
}

impl Compress {
    /// Parses the knob's value: a coding's token, or `auto`.
    pub(crate) fn parse(value: &str) -> Option<Compress> {
        let value = value.trim();
        if value.eq_ignore_ascii_case("auto") {
            return Some(Compress::Negotiate);
        }
        Coding::from_token(value).map(Compress::Always)
    }

    /// The coding to use for a request that sent `accept_encoding`.
    pub(crate) fn choose(self, accept_encoding: Option<&str>) -> Option<Coding> {
        match self {
            Compress::Always(coding) => Some(coding),
            Compress::Negotiate => accept_encoding?.split(',').find_map(|item| {
                let mut parts = item.split(';');
                let coding = Coding::from_token(parts.next()?.trim())?;
                // `q=0` means "not this one"; other weights only order, and order is enough here.
                let refused = parts.any(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.trim().parse::<f32>().ok())
                        .is_some_and(|q| q <= 0.0)
                });
                (!refused).then_some(coding)
            }),
        }
    }
}

/// Window and quality small enough that thousands of compressed streams stay cheap: each
/// write is one small event, so a large window buys nothing.
const BROTLI_QUALITY: u32 = 4;
const BROTLI_LG_WINDOW: u32 = 16;
const BROTLI_BUFFER: usize = 4096;
const ZSTD_LEVEL: i32 = 3;

/// One stream's encoder, writing into a buffer that is drained after every flush.
enum Encoder {
    Gzip(flate2::write::GzEncoder<Vec<u8>>),
    Brotli(Box<brotli::CompressorWriter<Vec<u8>>>),
    Zstd(zstd::stream::write::Encoder<'static, Vec<u8>>),
    Deflate(flate2::write::ZlibEncoder<Vec<u8>>),
}

impl Encoder {
    fn new(coding: Coding) -> std::io::Result<Encoder> {
        Ok(match coding {
            Coding::Gzip => Encoder::Gzip(flate2::write::GzEncoder::new(
                Vec::new(),
                flate2::Compression::fast(),
            )),
            Coding::Brotli => Encoder::Brotli(Box::new(brotli::CompressorWriter::new(
                Vec::new(),
                BROTLI_BUFFER,
                BROTLI_QUALITY,
                BROTLI_LG_WINDOW,
            ))),
            Coding::Zstd => {
                Encoder::Zstd(zstd::stream::write::Encoder::new(Vec::new(), ZSTD_LEVEL)?)
            }
            Coding::Deflate => Encoder::Deflate(flate2::write::ZlibEncoder::new(
                Vec::new(),
                flate2::Compression::fast(),
            )),
        })
    }

    /// Compresses `bytes` and flushes, returning everything the encoder has produced: a
    /// decoder can inflate all of `bytes` from it.
    fn write_flushed(&mut self, bytes: &[u8]) -> std::io::Result<Bytes> {
        let out = match self {
            Encoder::Gzip(e) => {
                e.write_all(bytes)?;
                e.flush()?;
                e.get_mut()
            }
            Encoder::Brotli(e) => {
                e.write_all(bytes)?;
                e.flush()?;
                e.get_mut()
            }
            Encoder::Zstd(e) => {
                e.write_all(bytes)?;
                e.flush()?;
                e.get_mut()
            }
            Encoder::Deflate(e) => {
                e.write_all(bytes)?;
                e.flush()?;
                e.get_mut()
            }
        };
        Ok(Bytes::from(std::mem::take(out)))
    }

    /// Ends the compressed stream (its trailer), for a clean end of the body.
    fn finish(self) -> std::io::Result<Bytes> {
        let out = match self {
            Encoder::Gzip(e) => e.finish()?,
            Encoder::Brotli(e) => e.into_inner(),
            Encoder::Zstd(e) => e.finish()?,
            Encoder::Deflate(e) => e.finish()?,
        };
        Ok(Bytes::from(out))
    }
}

/// `inner` compressed with `coding`, one flushed write per write of `inner`. An encoder
/// failure (it writes to memory, so only on allocation trouble) ends the body abruptly.
pub(crate) fn compressed<S>(
    inner: S,
    coding: Coding,
) -> impl Stream<Item = Result<Bytes, AbruptClose>> + Send + 'static
where
    S: Stream<Item = Result<Bytes, AbruptClose>> + Send + 'static,
{
    let encoder = Encoder::new(coding).ok();
    futures_util::stream::unfold(
        (Box::pin(inner), encoder),
        |(mut inner, encoder)| async move {
            let mut encoder = encoder?;
            loop {
                return match inner.next().await {
                    Some(Ok(bytes)) => match encoder.write_flushed(&bytes) {
                        // A flush with nothing new to say: wait for the next write.
                        Ok(out) if out.is_empty() => continue,
                        Ok(out) => Some((Ok(out), (inner, Some(encoder)))),
                        Err(_) => Some((Err(AbruptClose), (inner, None))),
                    },
                    Some(Err(close)) => Some((Err(close), (inner, None))),
                    None => match encoder.finish() {
                        Ok(tail) if !tail.is_empty() => Some((Ok(tail), (inner, None))),
                        Ok(_) => None,
                        Err(_) => Some((Err(AbruptClose), (inner, None))),
                    },
                };
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn negotiates_from_accept_encoding() {
        let auto = Compress::Negotiate;
        assert_eq!(auto.choose(None), None);
        assert_eq!(auto.choose(Some("identity")), None);
        assert_eq!(auto.choose(Some("br, gzip")), Some(Coding::Brotli));
        assert_eq!(
            auto.choose(Some("zstd;q=0, GZIP;q=0.5")),
            Some(Coding::Gzip)
        );
        assert_eq!(
            Compress::Always(Coding::Zstd).choose(Some("gzip")),
            Some(Coding::Zstd)
        );
        assert_eq!(
            Compress::parse("BR"),
            Some(Compress::Always(Coding::Brotli))
        );
        assert_eq!(Compress::parse("auto"), Some(Compress::Negotiate));
        assert_eq!(Compress::parse("lzma"), None);
    }

    /// Each flushed write inflates to exactly what went in, before the next write exists.
    #[test]
    fn every_write_is_decodable_on_its_own() {
        let writes = [&b"id: 1\ndata: one\n\n"[..], b"id: 2\ndata: two\n\n"];
        for coding in [Coding::Gzip, Coding::Brotli, Coding::Zstd, Coding::Deflate] {
            let mut enc = Encoder::new(coding).expect("encoder");
            let mut wire = Vec::new();
            for (i, write) in writes.iter().enumerate() {
                wire.extend_from_slice(&enc.write_flushed(write).expect("write"));
                let want: Vec<u8> = writes[..=i].concat();
                assert_eq!(
                    inflate_prefix(coding, &wire, want.len()),
                    want,
                    "{coding:?}"
                );
            }
        }
    }

    /// Reads exactly `n` inflated bytes from a compressed stream that has not ended.
    fn inflate_prefix(coding: Coding, wire: &[u8], n: usize) -> Vec<u8> {
        let mut out = vec![0; n];
        let result = match coding {
            Coding::Gzip => flate2::read::GzDecoder::new(wire).read_exact(&mut out),
            Coding::Deflate => flate2::read::ZlibDecoder::new(wire).read_exact(&mut out),
            Coding::Brotli => brotli::Decompressor::new(wire, 4096).read_exact(&mut out),
            Coding::Zstd => zstd::stream::read::Decoder::new(wire)
                .expect("decoder")
                .read_exact(&mut out),
        };
        result.expect("inflate");
        out
    }
}
