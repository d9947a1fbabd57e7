//! Why a connection failed, in the few classes a person acts on differently (the network is
//! gone, a server refuses, a name does not resolve, TLS, timeouts, an HTTP status), so a
//! notification about many streams names the cause it saw instead of guessing "network".

use crate::lifecycle::ErrorKind;

/// The class of a connection failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cause {
    /// No route: the network (or the host's) is unreachable.
    Unreachable,
    /// The host answered with a refusal: nothing listens there.
    Refused,
    /// The name did not resolve.
    Dns,
    /// The TLS handshake or certificate check failed.
    Tls,
    /// Connecting or reading took too long.
    Timeout,
    /// The server answered with this HTTP status.
    HttpStatus(u16),
    /// Anything else (a reset, a protocol error, an unknown message).
    Other,
}

impl Cause {
    /// Classifies an error from its kind and status when known, else from its message (the
    /// error chain's text, as the engine words it).
    pub fn classify(kind: Option<ErrorKind>, status: Option<u16>, message: &str) -> Cause {
        match (kind, status) {
            (Some(ErrorKind::HttpStatus), Some(s)) => return Cause::HttpStatus(s),
            (Some(ErrorKind::Timeout), _) => return Cause::Timeout,
            (Some(ErrorKind::ContentType | ErrorKind::Protocol), _) => return Cause::Other,
            _ => {}
        }
        let text = without_urls(message).to_ascii_lowercase();
        let has = |needles: &[&str]| needles.iter().any(|n| text.contains(n));
        if has(&[
            "network is unreachable",
            "network unreachable",
            "no route to host",
            "host is unreachable",
            "os error 101)",
            "os error 113)",
        ]) {
            Cause::Unreachable
        } else if has(&["connection refused", "os error 111)"]) {
            Cause::Refused
        } else if has(&[
            "dns error",
            "failed to lookup address",
            "name or service not known",
            "nodename nor servname",
            "temporary failure in name resolution",
            "no such host",
        ]) {
            Cause::Dns
        } else if has(&["certificate", "handshake", "tls", "ssl"]) {
            Cause::Tls
        } else if has(&["timed out", "timeout"]) {
            Cause::Timeout
        } else if let Some(s) = status {
            Cause::HttpStatus(s)
        } else {
            Cause::Other
        }
    }

    /// How a notification about several streams names it when all share it (`None`: nothing
    /// worth saying).
    fn phrase(self) -> Option<String> {
        Some(match self {
            Cause::Unreachable => "network unreachable?".into(),
            Cause::Refused => "connections refused".into(),
            Cause::Dns => "names do not resolve (DNS)".into(),
            Cause::Tls => "TLS failures".into(),
            Cause::Timeout => "timing out".into(),
            Cause::HttpStatus(s) => format!("HTTP {s}"),
            Cause::Other => return None,
        })
    }
}

/// The words for the cause all of `causes` share, if they share one (an HTTP status class
/// shared with different codes is "HTTP errors"); `None` when they differ or are unknown.
pub fn common_phrase(causes: impl IntoIterator<Item = Option<Cause>>) -> Option<String> {
    let mut causes = causes.into_iter();
    let first = causes.next()??;
    let mut all_http = matches!(first, Cause::HttpStatus(_));
    let mut same = true;
    for c in causes {
        let c = c?;
        same &= c == first;
        all_http &= matches!(c, Cause::HttpStatus(_));
    }
    if same {
        first.phrase()
    } else if all_http {
        Some("HTTP errors".into())
    } else {
        None
    }
}

/// The message with its `(http…)` URL parts left out, so a host named `tls.example` or
/// `timeout.example` does not read as a cause.
fn without_urls(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(i) = rest.find("(http") {
        out.push_str(&rest[..i]);
        match rest[i..].find(')') {
            Some(j) => rest = &rest[i + j + 1..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const REFUSED: &str = "error sending request for url (http://127.0.0.1:9/events): client \
                           error (Connect): tcp connect error: Connection refused (os error 111)";
    const UNREACHABLE: &str = "error sending request for url (http://10.9.9.9/): client error \
                               (Connect): tcp connect error: Network is unreachable (os error 101)";
    const DNS: &str = "error sending request for url (http://nowhere.invalid/): client error \
                       (Connect): dns error: failed to lookup address information: Name or \
                       service not known";
    const TLS: &str = "error sending request for url (https://self-signed.example/): client \
                       error (Connect): invalid peer certificate: UnknownIssuer";

    #[test]
    fn messages_are_classified_by_what_failed() {
        let c = |m| Cause::classify(Some(ErrorKind::Network), None, m);
        assert_eq!(c(REFUSED), Cause::Refused);
        assert_eq!(c(UNREACHABLE), Cause::Unreachable);
        assert_eq!(c("No route to host (os error 113)"), Cause::Unreachable);
        assert_eq!(c(DNS), Cause::Dns);
        assert_eq!(c(TLS), Cause::Tls);
        assert_eq!(c("operation timed out"), Cause::Timeout);
        assert_eq!(c("connection reset by peer"), Cause::Other);
        assert_eq!(
            Cause::classify(
                Some(ErrorKind::HttpStatus),
                Some(503),
                "server answered 503"
            ),
            Cause::HttpStatus(503)
        );
        assert_eq!(
            Cause::classify(Some(ErrorKind::Timeout), None, "no byte in 45 s"),
            Cause::Timeout
        );
    }

    #[test]
    fn a_host_name_in_the_url_is_not_a_cause() {
        let m = "error sending request for url (http://tls-timeout.example/): client error \
                 (Connect): tcp connect error: Connection refused (os error 111)";
        assert_eq!(Cause::classify(None, None, m), Cause::Refused);
        let m = "error sending request for url (http://tls.example/): connection reset";
        assert_eq!(Cause::classify(None, None, m), Cause::Other);
    }

    #[test]
    fn only_a_shared_cause_is_named() {
        let u = Some(Cause::Unreachable);
        assert_eq!(
            common_phrase([u, u, u]).as_deref(),
            Some("network unreachable?")
        );
        let r = Some(Cause::Refused);
        assert_eq!(
            common_phrase([r, r]).as_deref(),
            Some("connections refused")
        );
        assert_eq!(common_phrase([u, r, u]), None, "mixed: no guess");
        assert_eq!(common_phrase([u, None]), None, "unknown: no guess");
        let h = |s| Some(Cause::HttpStatus(s));
        assert_eq!(common_phrase([h(502), h(502)]).as_deref(), Some("HTTP 502"));
        assert_eq!(
            common_phrase([h(502), h(503)]).as_deref(),
            Some("HTTP errors")
        );
        assert_eq!(common_phrase([Some(Cause::Other); 3]), None);
        assert_eq!(common_phrase(std::iter::empty()), None);
    }
}
