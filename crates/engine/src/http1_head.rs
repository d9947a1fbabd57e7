//! The head of an HTTP/1.1 exchange: the request line and headers we write, the status line
//! and headers the server answers with (read with `httparse`, bounded), and how the body that
//! follows is framed (RFC 9112 §6.3).

use http::header::{CONTENT_LENGTH, HOST, TRANSFER_ENCODING};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Version};
use url::Url;

/// Most bytes of a response head; hyper's client allows about as much before its buffer limit.
pub const MAX_HEAD: usize = 64 * 1024;
/// Most header fields in a response head (hyper's client default).
pub const MAX_HEADERS: usize = 100;

/// Why a response head cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeadError {
    /// Not an HTTP/1.x status line and headers.
    #[error("the server's answer is not HTTP/1.x ({0})")]
    Invalid(String),
    /// More than [`MAX_HEADERS`] fields.
    #[error("the server sent more than {MAX_HEADERS} headers")]
    TooManyHeaders,
    /// Larger than [`MAX_HEAD`].
    #[error("the server's response head is larger than {} KiB", MAX_HEAD / 1024)]
    TooLarge,
    /// A `Content-Length` that is not one number.
    #[error("invalid Content-Length in the server's answer")]
    BadLength,
    /// An answer we did not ask for (`101 Switching Protocols`).
    #[error("the server switched protocols, which Streamwatch did not ask for")]
    Switched,
}

/// How the body after a head is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body (204, 304, or `Content-Length: 0`).
    Empty,
    /// Exactly this many bytes.
    Length(u64),
    /// Chunked transfer coding.
    Chunked,
    /// Everything until the server closes the connection.
    UntilClose,
}

/// A parsed response head.
#[derive(Debug)]
pub struct ResponseHead {
    /// The status code.
    pub status: StatusCode,
    /// HTTP/1.0 or HTTP/1.1.
    pub version: Version,
    /// The header fields, as sent.
    pub headers: HeaderMap,
    /// How the body is delimited.
    pub framing: Framing,
}

/// The request head for `url`: request line, `Host`, then `headers` (which the caller has
/// completed), and `Content-Length` when there is a body. The URL's credentials and fragment
/// are never written.
pub fn write_request(
    method: &Method,
    url: &Url,
    headers: &HeaderMap,
    body_len: Option<usize>,
) -> Vec<u8> {
    let target = &url[url::Position::BeforePath..url::Position::AfterQuery];
    let target = if target.is_empty() { "/" } else { target };
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(method.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(target.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");
    if !headers.contains_key(HOST) {
        out.extend_from_slice(b"host: ");
        out.extend_from_slice(url.host_str().unwrap_or_default().as_bytes());
        if let Some(port) = url.port() {
            out.extend_from_slice(format!(":{port}").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
    }
    for (name, value) in headers {
        // The framing is ours to state, from the body we really send.
        if name == CONTENT_LENGTH || name == TRANSFER_ENCODING {
            continue;
        }
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if let Some(len) = body_len {
        out.extend_from_slice(format!("content-length: {len}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// Parses a response head at the start of `buf`: `Ok(None)` when more bytes are needed, else
/// the head and its length. An informational (1xx) head is returned like any other; the caller
/// skips it.
pub fn parse_response(buf: &[u8]) -> Result<Option<(ResponseHead, usize)>, HeadError> {
    let mut fields = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut fields);
    let len = match response.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => {
            return if buf.len() >= MAX_HEAD {
                Err(HeadError::TooLarge)
            } else {
                Ok(None)
            };
        }
        Err(httparse::Error::TooManyHeaders) => return Err(HeadError::TooManyHeaders),
        Err(e) => return Err(HeadError::Invalid(e.to_string())),
    };
    if len > MAX_HEAD {
        return Err(HeadError::TooLarge);
    }
    let code = response.code.unwrap_or_default();
    let status =
        StatusCode::from_u16(code).map_err(|_| HeadError::Invalid(format!("status {code}")))?;
    if status == StatusCode::SWITCHING_PROTOCOLS {
        return Err(HeadError::Switched);
    }
    let version = if response.version == Some(0) {
        Version::HTTP_10
    } else {
        Version::HTTP_11
    };
    let mut headers = HeaderMap::with_capacity(response.headers.len());
    for field in response.headers.iter() {
        let name = HeaderName::from_bytes(field.name.as_bytes())
            .map_err(|_| HeadError::Invalid("a malformed header name".into()))?;
        let value = HeaderValue::from_bytes(field.value)
            .map_err(|_| HeadError::Invalid(format!("a malformed value for {name}")))?;
        headers.append(name, value);
    }
    let framing = framing(status, &headers)?;
    Ok(Some((
        ResponseHead {
            status,
            version,
            headers,
            framing,
        },
        len,
    )))
}

/// RFC 9112 §6.3 for a response to a request that is not HEAD or CONNECT.
fn framing(status: StatusCode, headers: &HeaderMap) -> Result<Framing, HeadError> {
    if status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
    {
        return Ok(Framing::Empty);
    }
    if headers.contains_key(TRANSFER_ENCODING) {
        // Chunked must be the last coding; otherwise the body runs to the close.
        let last = headers
            .get_all(TRANSFER_ENCODING)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|c| !c.is_empty());
        return Ok(match last {
            Some(c) if c.eq_ignore_ascii_case("chunked") => Framing::Chunked,
            _ => Framing::UntilClose,
        });
    }
    let mut length: Option<u64> = None;
    for value in headers.get_all(CONTENT_LENGTH) {
        // A list of the same number ("42, 42") is one length; differing ones are an attack.
        for part in value.to_str().map_err(|_| HeadError::BadLength)?.split(',') {
            let part = part.trim();
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(HeadError::BadLength);
            }
            let n: u64 = part.parse().map_err(|_| HeadError::BadLength)?;
            if length.is_some_and(|l| l != n) {
                return Err(HeadError::BadLength);
            }
            length = Some(n);
        }
    }
    Ok(match length {
        Some(0) => Framing::Empty,
        Some(n) => Framing::Length(n),
        None => Framing::UntilClose,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(text: &str) -> Result<Option<(ResponseHead, usize)>, HeadError> {
        parse_response(text.as_bytes())
    }

    fn framing_of(text: &str) -> Framing {
        head(text).expect("valid").expect("complete").0.framing
    }

    #[test]
    fn the_request_head_carries_target_host_headers_and_length() {
        let url = Url::parse("http://u:p@example.com:8080/a/b?x=1&y=2#frag").expect("url");
        let mut headers = HeaderMap::new();
        headers.insert("accept", HeaderValue::from_static("text/event-stream"));
        headers.insert("content-length", HeaderValue::from_static("999"));
        let text = String::from_utf8(write_request(&Method::POST, &url, &headers, Some(3)))
            .expect("ascii");
        assert_eq!(
            text,
            "POST /a/b?x=1&y=2 HTTP/1.1\r\nhost: example.com:8080\r\n\
             accept: text/event-stream\r\ncontent-length: 3\r\n\r\n"
        );
        let v6 = Url::parse("http://[::1]/").expect("url");
        let text = String::from_utf8(write_request(&Method::GET, &v6, &HeaderMap::new(), None))
            .expect("ascii");
        assert_eq!(text, "GET / HTTP/1.1\r\nhost: [::1]\r\n\r\n");
    }

    #[test]
    fn heads_parse_in_pieces_and_frame_their_bodies() {
        let full = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata";
        assert!(head(&full[..20]).expect("partial ok").is_none());
        let (h, len) = head(full).expect("valid").expect("complete");
        assert_eq!(h.status, StatusCode::OK);
        assert_eq!(h.version, Version::HTTP_11);
        assert_eq!(len, full.len() - 4);
        assert_eq!(h.framing, Framing::UntilClose);
        assert_eq!(
            framing_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
            Framing::Chunked
        );
        assert_eq!(
            framing_of(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\nContent-Length: 5\r\n\r\n"
            ),
            Framing::UntilClose
        );
        assert_eq!(
            framing_of("HTTP/1.1 200 OK\r\nContent-Length: 42, 42\r\n\r\n"),
            Framing::Length(42)
        );
        assert_eq!(
            framing_of("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
            Framing::Empty
        );
        assert_eq!(
            framing_of("HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n"),
            Framing::Empty
        );
        assert_eq!(framing_of("HTTP/1.0 200 OK\r\n\r\n"), Framing::UntilClose);
        assert_eq!(
            framing_of("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"),
            Framing::Empty
        );
    }

    #[test]
    fn hostile_heads_are_refused_in_words() {
        assert!(matches!(
            head("SSH-2.0-OpenSSH\r\n\r\n"),
            Err(HeadError::Invalid(_))
        ));
        assert!(matches!(
            head("HTTP/1.1 20 OK\r\n\r\n"),
            Err(HeadError::Invalid(_))
        ));
        for bad in ["5, 6", "-1", "abc", "", "99999999999999999999999"] {
            let text = format!("HTTP/1.1 200 OK\r\nContent-Length: {bad}\r\n\r\n");
            assert_eq!(head(&text).err(), Some(HeadError::BadLength), "{bad:?}");
        }
        let two = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n";
        assert_eq!(head(two).err(), Some(HeadError::BadLength));
        let many: String = (0..=MAX_HEADERS).map(|i| format!("X-{i}: v\r\n")).collect();
        let text = format!("HTTP/1.1 200 OK\r\n{many}\r\n");
        assert_eq!(head(&text).err(), Some(HeadError::TooManyHeaders));
        let endless = format!("HTTP/1.1 200 OK\r\nX-Long: {}", "a".repeat(MAX_HEAD));
        assert_eq!(head(&endless).err(), Some(HeadError::TooLarge));
        assert_eq!(
            head("HTTP/1.1 101 Switching Protocols\r\n\r\n").err(),
            Some(HeadError::Switched)
        );
    }
}
