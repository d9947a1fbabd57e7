//! An error in plain words first: one sentence a person can act on ("The server refused the
//! connection", "The server answered 401 Unauthorized — check the credentials"), from the
//! error's kind, status and chain. The one place every front end (the window's status line,
//! timeline and notifications, the CLI) takes its wording from; the raw chain stays beside it
//! for whoever wants the details.

use crate::alerts::cause::Cause;
use crate::lifecycle::ErrorKind;

/// The plain sentence for an error (no final full stop). `kind` and `status` when known; else
/// they are read from the message as the engine words it ("server answered 503 …").
pub fn plain_error(kind: Option<ErrorKind>, status: Option<u16>, message: &str) -> String {
    let text = message.trim();
    let status = status.or_else(|| answered_status(text));
    if kind == Some(ErrorKind::ContentType) {
        return match text.rsplit_once(", got ") {
            Some((_, got)) if !got.trim().is_empty() => format!(
                "The server answered with {}, not an event stream",
                got.trim()
            ),
            _ => "The server did not answer with an event stream".into(),
        };
    }
    if kind == Some(ErrorKind::Protocol) {
        return capitalised(&innermost(text));
    }
    if text.contains("was kept in memory only") {
        // A session-only secret after a restart: the reference it names means nothing to a
        // person; what to do does.
        return "Its secret values were kept for the last session only (no OS keyring was \
                available): press Edit and enter them again"
            .into();
    }
    if text.contains("redirect") || text.starts_with("could not start") {
        // The redirect policy's own words are already for people.
        return capitalised(text);
    }
    let kind = kind.or(status.map(|_| ErrorKind::HttpStatus));
    match Cause::classify(kind, status, text) {
        Cause::Refused => "The server refused the connection".into(),
        Cause::Unreachable => "The network or the host is unreachable".into(),
        Cause::Dns => "The server's name does not resolve (DNS)".into(),
        Cause::Tls => match crate::cert_problem::words_in(text) {
            Some(words) => capitalised(words),
            None => "The secure connection failed (TLS certificate or handshake)".into(),
        },
        Cause::Timeout if text.starts_with("no data for") => {
            format!("{}: reconnecting", capitalised(text))
        }
        Cause::Timeout => "The server took too long to answer".into(),
        Cause::HttpStatus(code) => http_words(code),
        Cause::Other => other_words(text),
    }
}

/// "The server answered 401 Unauthorized — check the credentials".
fn http_words(code: u16) -> String {
    let reason = reqwest::StatusCode::from_u16(code)
        .ok()
        .and_then(|s| s.canonical_reason())
        .map(|r| format!("{code} {r}"))
        .unwrap_or_else(|| code.to_string());
    let hint = match code {
        401 | 407 => Some("check the credentials"),
        403 => Some("check the credentials and permissions"),
        404 | 410 => Some("check the URL"),
        405 => Some("check the method"),
        429 => Some("it asks for fewer requests"),
        500..=599 => Some("a problem on the server's side"),
        _ => None,
    };
    match hint {
        Some(h) => format!("The server answered {reason} — {h}"),
        None => format!("The server answered {reason}"),
    }
}

fn other_words(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|n| lower.contains(n));
    if has(&["connection reset", "os error 104)"]) {
        "The server reset the connection".into()
    } else if has(&["broken pipe"]) {
        "The connection broke".into()
    } else if has(&[
        "end of file before message completed",
        "connection closed before message completed",
        "unexpected eof",
        "unexpectedeof",
        "incompletemessage",
        "peer closed connection",
        "error decoding response body",
        "error reading a body",
    ]) {
        "The server closed the connection mid-stream".into()
    } else if text.is_empty() {
        "Unknown error".into()
    } else {
        capitalised(&innermost(text))
    }
}

/// The status in "server answered 503 Service Unavailable", when the message is one.
fn answered_status(text: &str) -> Option<u16> {
    let rest = text.strip_prefix("server answered ")?;
    rest.get(..3)?.parse().ok()
}

/// The innermost cause of a chain ("…: tcp connect error: Something (os error 9)" →
/// "Something"); URLs left out.
fn innermost(text: &str) -> String {
    let parts: Vec<&str> = text
        .split(": ")
        .map(|p| match p.find(" (os error ") {
            Some(i) => p[..i].trim(),
            None => p.trim(),
        })
        .filter(|p| !p.is_empty() && !p.starts_with("http://") && !p.starts_with("https://"))
        .collect();
    parts
        .last()
        .map_or_else(|| text.to_string(), |p| p.to_string())
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REFUSED: &str = "error sending request for url (http://127.0.0.1:9/events): client \
                           error (Connect): tcp connect error: Connection refused (os error 111)";

    #[test]
    fn network_failures_read_as_what_happened() {
        let net = |m| plain_error(Some(ErrorKind::Network), None, m);
        assert_eq!(net(REFUSED), "The server refused the connection");
        assert_eq!(
            net(
                "error sending request for url (http://nowhere.invalid/): client error \
                 (Connect): dns error: failed to lookup address information: Name or service \
                 not known"
            ),
            "The server's name does not resolve (DNS)"
        );
        assert_eq!(
            net("error decoding response body: connection reset by peer (os error 104)"),
            "The server reset the connection"
        );
        assert_eq!(
            net("error reading a body from connection: end of file before message completed"),
            "The server closed the connection mid-stream"
        );
        assert_eq!(
            net("error sending request: weird: Something odd happened (os error 9)"),
            "Something odd happened"
        );
    }

    #[test]
    fn http_statuses_say_what_to_check() {
        assert_eq!(
            plain_error(
                Some(ErrorKind::HttpStatus),
                Some(401),
                "server answered 401 Unauthorized"
            ),
            "The server answered 401 Unauthorized — check the credentials"
        );
        // The status line knows only the message.
        assert_eq!(
            plain_error(None, None, "server answered 404 Not Found"),
            "The server answered 404 Not Found — check the URL"
        );
        assert_eq!(
            plain_error(None, None, "server answered 503 Service Unavailable"),
            "The server answered 503 Service Unavailable — a problem on the server's side"
        );
    }

    #[test]
    fn other_kinds_keep_their_own_words() {
        assert_eq!(
            plain_error(
                Some(ErrorKind::ContentType),
                None,
                "expected Content-Type text/event-stream, got text/plain"
            ),
            "The server answered with text/plain, not an event stream"
        );
        assert_eq!(
            plain_error(
                Some(ErrorKind::Timeout),
                None,
                "no data for 45 s (idle timeout)"
            ),
            "No data for 45 s (idle timeout): reconnecting"
        );
        assert_eq!(
            plain_error(None, None, "could not start: bad URL"),
            "Could not start: bad URL"
        );
        assert_eq!(
            plain_error(
                None,
                None,
                &format!(
                    "could not start: {}",
                    crate::secrets::SecretError::SessionOnly(crate::secrets::SecretRef(
                        "session:streamwatch/authorization-1".into()
                    ))
                )
            ),
            "Its secret values were kept for the last session only (no OS keyring was \
             available): press Edit and enter them again"
        );
        assert_eq!(
            plain_error(None, None, "could not start: bad URL"),
            "Could not start: bad URL"
        );
    }
}
