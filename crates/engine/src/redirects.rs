//! Following redirects ourselves, so that which headers go along on each hop is our decision.
//!
//! reqwest's own policy strips only a few well-known headers on a cross-host hop and adds a
//! `Referer`; a secret the user marked (an `X-Api-Key`, say) would reach whatever host a server
//! redirects to. Here the client never follows redirects ([`reqwest::redirect::Policy::none`]);
//! [`send`] does, hop by hop, with the rules of [`Follower`]:
//! - secret headers (the ones marked so, and `Authorization`, `Cookie`, `Proxy-Authorization`
//!   always) go only to the origin (scheme, host, port) first asked, never over http after
//!   https, and once dropped stay dropped for the rest of the chain;
//! - [`RedirectMode`] lets a subscription refuse redirects to another origin, or any redirect;
//! - at most [`MAX_HOPS`] redirects, and a URL asked for twice is a loop;
//! - errors name status, scheme, host, port and path of a target, never its query or
//!   credentials, which may hold tokens.

use crate::http_client::{HttpClient, HttpError};
use reqwest::header::{
    HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, CONTENT_ENCODING, CONTENT_LANGUAGE,
    CONTENT_LENGTH, CONTENT_LOCATION, CONTENT_TYPE, COOKIE, LOCATION, PROXY_AUTHORIZATION, REFERER,
};
use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use url::Url;

/// Most redirects followed for one request; browsers and curl stop around here too.
pub const MAX_HOPS: usize = 10;

/// Which redirects a subscription follows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RedirectMode {
    /// Follow any redirect; secrets go only to the first origin.
    #[default]
    Any,
    /// Follow redirects within the first origin; another origin is an error.
    SameOrigin,
    /// Follow none: any 3xx answer is an error.
    Never,
}

impl RedirectMode {
    /// The kebab-case name, as on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            RedirectMode::Any => "any",
            RedirectMode::SameOrigin => "same-origin",
            RedirectMode::Never => "never",
        }
    }
}

impl std::fmt::Display for RedirectMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A redirect mode name that is none of `any`, `same-origin`, `never`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown redirect mode {0:?}: use any, same-origin or never")]
pub struct UnknownRedirectMode(pub String);

impl std::str::FromStr for RedirectMode {
    type Err = UnknownRedirectMode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "any" => Ok(RedirectMode::Any),
            "same-origin" => Ok(RedirectMode::SameOrigin),
            "never" => Ok(RedirectMode::Never),
            other => Err(UnknownRedirectMode(other.to_string())),
        }
    }
}

/// A redirect that was not followed. Targets are shown by [`redact`]: no query, no credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedirectError {
    /// The subscription follows no redirects.
    #[error("server answered {status} {location}; redirects are off for this subscription (redirects: never)", location = describe_location(location))]
    Disabled {
        /// The 3xx status.
        status: StatusCode,
        /// The redacted target, when the Location header was a URL.
        location: Option<String>,
    },
    /// The subscription follows redirects within its origin only.
    #[error("server answered {status} redirecting to another origin, {origin}; refused (redirects: same-origin)")]
    CrossOrigin {
        /// The 3xx status.
        status: StatusCode,
        /// The target's `scheme://host:port`.
        origin: String,
    },
    /// The chain came back to a URL already asked for.
    #[error("redirect loop: server answered {status} back to {url}, already requested")]
    Loop {
        /// The 3xx status.
        status: StatusCode,
        /// The redacted URL asked for twice.
        url: String,
    },
    /// More than [`MAX_HOPS`] redirects.
    #[error("too many redirects: more than {max}, the last answered {status}")]
    TooMany {
        /// The last 3xx status.
        status: StatusCode,
        /// The cap.
        max: usize,
    },
    /// A redirect status without a Location to go to.
    #[error("server answered {status} without a Location header")]
    NoLocation {
        /// The 3xx status.
        status: StatusCode,
    },
    /// A Location that is not a URL (not echoed: it may hold a token).
    #[error("server answered {status} with a Location that is not a valid URL")]
    BadLocation {
        /// The 3xx status.
        status: StatusCode,
    },
    /// A redirect to something other than http or https.
    #[error("server answered {status} redirecting to an unsupported scheme {scheme:?}")]
    UnsupportedScheme {
        /// The 3xx status.
        status: StatusCode,
        /// The target's scheme.
        scheme: String,
    },
}

impl RedirectError {
    /// The status of the redirect that was refused.
    pub fn status(&self) -> StatusCode {
        match self {
            RedirectError::Disabled { status, .. }
            | RedirectError::CrossOrigin { status, .. }
            | RedirectError::Loop { status, .. }
            | RedirectError::TooMany { status, .. }
            | RedirectError::NoLocation { status }
            | RedirectError::BadLocation { status }
            | RedirectError::UnsupportedScheme { status, .. } => *status,
        }
    }
}

fn describe_location(location: &Option<String>) -> String {
    match location {
        Some(url) => format!("redirecting to {url}"),
        None => "with no usable Location".to_string(),
    }
}

/// `scheme://host:port/path` of `url`: what errors may show. Queries, fragments and
/// credentials are left out because tokens travel in them.
pub fn redact(url: &Url) -> String {
    format!("{}{}", origin_of(url), url.path())
}

/// `scheme://host:port` of `url`, the port written even when it is the default.
fn origin_of(url: &Url) -> String {
    let host = url.host_str().unwrap_or("");
    match url.port_or_known_default() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    }
}

/// Whether secret headers may go along on a redirect from `from` to `to`: only within one
/// origin (scheme, host, port), and never from https down to http.
pub fn carry_secrets(from: &Url, to: &Url) -> bool {
    // Implied by the origin check (the scheme differs), but it is the rule that matters most:
    // a secret sent over plain http is readable on the path.
    if from.scheme() == "https" && to.scheme() != "https" {
        return false;
    }
    // `Origin::Tuple` compares scheme, host and port (default ports filled in); opaque origins
    // never compare equal, which is the safe answer.
    from.origin() == to.origin()
}

/// Headers that are secret whether or not the user marked them.
pub const ALWAYS_SECRET: [HeaderName; 3] = [AUTHORIZATION, COOKIE, PROXY_AUTHORIZATION];

/// Removes the secret headers from `headers`: [`ALWAYS_SECRET`] and the names in `marked`
/// (any case).
pub fn strip_secrets(headers: &mut HeaderMap, marked: &[String]) {
    for name in ALWAYS_SECRET {
        headers.remove(name);
    }
    for name in marked {
        // A name that is not a header name cannot be in the map either.
        if let Ok(name) = HeaderName::from_bytes(name.as_bytes()) {
            headers.remove(name);
        }
    }
}

/// Removes what describes a request body, once a redirect turned the request into a GET.
fn strip_body_headers(headers: &mut HeaderMap) {
    for name in [
        CONTENT_TYPE,
        CONTENT_LENGTH,
        CONTENT_ENCODING,
        CONTENT_LANGUAGE,
        CONTENT_LOCATION,
    ] {
        headers.remove(name);
    }
}

/// Whether `status` is a redirect with a Location to follow (300, 304, 305 are not).
pub fn is_redirect(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::MOVED_PERMANENTLY
            | StatusCode::FOUND
            | StatusCode::SEE_OTHER
            | StatusCode::TEMPORARY_REDIRECT
            | StatusCode::PERMANENT_REDIRECT
    )
}

/// The next request after a redirect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    /// Where to go (no credentials, no fragment).
    pub url: Url,
    /// The method: a 303, or a 301/302 after a POST, turns it into GET.
    pub method: Method,
    /// Whether the body (and its Content-* headers) go along: only when the method is kept.
    pub keep_body: bool,
    /// Whether secret headers go along (see [`carry_secrets`]); false for good once false.
    pub carry_secrets: bool,
}

/// Decides, one response at a time, whether and where a request's redirects lead. No I/O.
#[derive(Debug, Clone)]
pub struct Follower {
    mode: RedirectMode,
    first: Url,
    current: Url,
    method: Method,
    visited: Vec<(Method, Url)>,
    carry: bool,
}

impl Follower {
    /// A follower for a request of `method` to `url`.
    pub fn new(mode: RedirectMode, method: &Method, url: &Url) -> Self {
        let url = comparable(url.clone());
        Follower {
            mode,
            first: url.clone(),
            current: url.clone(),
            method: method.clone(),
            visited: vec![(method.clone(), url)],
            carry: true,
        }
    }

    /// What to do with a response of `status` carrying `location`: `Ok(None)` when it is the
    /// final answer (not a redirect to follow), `Ok(Some)` for the next request, or why not.
    pub fn decide(
        &mut self,
        status: StatusCode,
        location: Option<&HeaderValue>,
    ) -> Result<Option<Hop>, RedirectError> {
        if self.mode == RedirectMode::Never && status.is_redirection() {
            let location = self.resolve(location).ok().map(|url| redact(&url));
            return Err(RedirectError::Disabled { status, location });
        }
        if !is_redirect(status) {
            return Ok(None);
        }
        let location = location.ok_or(RedirectError::NoLocation { status })?;
        let next = self
            .resolve(Some(location))
            .map_err(|()| RedirectError::BadLocation { status })?;
        if !matches!(next.scheme(), "http" | "https") {
            return Err(RedirectError::UnsupportedScheme {
                status,
                scheme: next.scheme().to_string(),
            });
        }
        if self.mode == RedirectMode::SameOrigin && next.origin() != self.first.origin() {
            return Err(RedirectError::CrossOrigin {
                status,
                origin: origin_of(&next),
            });
        }
        // RFC 9110 §15.4: 303 means "GET it there"; 301/302 after a POST became GET in
        // practice (every browser does it); 307/308 keep method and body.
        let to_get = (status == StatusCode::SEE_OTHER && self.method != Method::HEAD)
            || (matches!(status, StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND)
                && self.method == Method::POST);
        let method = if to_get {
            Method::GET
        } else {
            self.method.clone()
        };
        // A POST answered by a 303 to its own URL is the usual POST/redirect/GET, not a loop:
        // the method is part of what was asked.
        if self.visited.iter().any(|(m, u)| *m == method && *u == next) {
            return Err(RedirectError::Loop {
                status,
                url: redact(&next),
            });
        }
        if self.visited.len() > MAX_HOPS {
            return Err(RedirectError::TooMany {
                status,
                max: MAX_HOPS,
            });
        }
        // Sticky: a server on another origin must not be able to send us back with our secrets
        // to a path of its choosing.
        self.carry = self.carry && carry_secrets(&self.current, &next);
        self.visited.push((method.clone(), next.clone()));
        self.current = next.clone();
        let keep_body = method == self.method;
        self.method = method.clone();
        Ok(Some(Hop {
            url: next,
            method,
            keep_body,
            carry_secrets: self.carry,
        }))
    }

    /// `location` resolved against the current URL (relative references allowed).
    fn resolve(&self, location: Option<&HeaderValue>) -> Result<Url, ()> {
        let text = location.ok_or(())?.to_str().map_err(|_| ())?;
        let url = self.current.join(text).map_err(|_| ())?;
        Ok(comparable(url))
    }
}

/// `url` without fragment (never sent) and credentials (a server-chosen user:password is not
/// ours to send, and would show in the reported final URL).
fn comparable(mut url: Url) -> Url {
    url.set_fragment(None);
    // Both fail only for URLs that cannot have credentials, which then have none.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url
}

/// Why [`send`] got no final response.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The request failed (connect, TLS, a malformed request).
    #[error(transparent)]
    Http(#[from] HttpError),
    /// A redirect was refused.
    #[error(transparent)]
    Redirect(#[from] RedirectError),
}

/// The final answer and the URL it came from (after any redirects).
#[derive(Debug)]
pub struct Sent {
    /// The answer, its body unread.
    pub response: reqwest::Response,
    /// The URL asked for last.
    pub url: Url,
}

/// Sends `request` with `client` (which must not follow redirects itself: see
/// [`crate::connection::build_client`]) and follows redirects by `mode`. `body` is the request's
/// body, to send again on hops that keep it; `marked_secret` names the headers marked secret.
pub async fn send(
    client: &HttpClient,
    request: reqwest::Request,
    body: Option<&str>,
    marked_secret: &[String],
    mode: RedirectMode,
) -> Result<Sent, SendError> {
    let mut follower = Follower::new(mode, request.method(), request.url());
    let mut headers = request.headers().clone();
    // We never send one; reqwest adds one only when it follows redirects itself, but a header
    // from the user's list would leak the previous URL all the same.
    headers.remove(REFERER);
    let mut body = body.map(str::to_owned);
    let mut request = request;
    loop {
        let url = request.url().clone();
        let response = client.execute(request).await?;
        let Some(hop) = follower.decide(response.status(), response.headers().get(LOCATION))?
        else {
            return Ok(Sent { response, url });
        };
        // The redirect's own body is not wanted; dropping it releases the connection.
        drop(response);
        if !hop.keep_body {
            body = None;
            strip_body_headers(&mut headers);
        }
        if !hop.carry_secrets {
            strip_secrets(&mut headers, marked_secret);
        }
        tracing::debug!(to = %redact(&hop.url), carry_secrets = hop.carry_secrets, "following a redirect");
        request = reqwest::Request::new(hop.method, hop.url);
        *request.headers_mut() = headers.clone();
        *request.body_mut() = body.clone().map(reqwest::Body::from);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("test URL")
    }

    fn loc(s: &str) -> HeaderValue {
        HeaderValue::from_str(s).expect("test header")
    }

    #[test]
    fn secrets_stay_within_the_origin() {
        let a = url("https://api.example.com/stream");
        assert!(carry_secrets(&a, &url("https://api.example.com/other?x=1")));
        assert!(carry_secrets(&a, &url("https://api.example.com:443/x")));
        assert!(!carry_secrets(&a, &url("https://evil.example.com/x")));
        assert!(!carry_secrets(&a, &url("https://api.example.com:8443/x")));
        assert!(!carry_secrets(&a, &url("https://example.com/x")));
        let local = url("http://127.0.0.1:8080/");
        assert!(!carry_secrets(&local, &url("http://localhost:8080/")));
        assert!(!carry_secrets(&local, &url("http://127.0.0.1:8081/")));
    }

    #[test]
    fn secrets_never_go_over_http_after_https() {
        let a = url("https://api.example.com/stream");
        assert!(!carry_secrets(&a, &url("http://api.example.com/stream")));
        assert!(!carry_secrets(
            &a,
            &url("http://api.example.com:443/stream")
        ));
        // Upgrading is another origin too.
        assert!(!carry_secrets(
            &url("http://api.example.com/"),
            &url("https://api.example.com/")
        ));
    }

    #[test]
    fn redacted_urls_keep_no_query_fragment_or_credentials() {
        let u = url("https://user:pw@api.example.com/v1/s?token=abc#frag");
        assert_eq!(redact(&u), "https://api.example.com:443/v1/s");
        assert_eq!(redact(&url("http://[::1]:9/x")), "http://[::1]:9/x");
    }

    #[test]
    fn strip_removes_always_secret_and_marked_headers_in_any_case() {
        let mut h = HeaderMap::new();
        for name in [
            "authorization",
            "cookie",
            "proxy-authorization",
            "x-api-key",
            "x-plain",
        ] {
            h.insert(HeaderName::from_static(name), loc("v"));
        }
        strip_secrets(&mut h, &["X-Api-Key".into(), "not a name".into()]);
        let left: Vec<_> = h.keys().map(|k| k.as_str()).collect();
        assert_eq!(left, ["x-plain"]);
    }

    #[test]
    fn modes_parse_and_print() {
        for m in [
            RedirectMode::Any,
            RedirectMode::SameOrigin,
            RedirectMode::Never,
        ] {
            assert_eq!(m.as_str().parse::<RedirectMode>(), Ok(m));
        }
        assert!("sometimes".parse::<RedirectMode>().is_err());
        assert_eq!(RedirectMode::default(), RedirectMode::Any);
    }

    #[test]
    fn relative_locations_resolve_and_secrets_follow_the_same_origin() {
        let mut f = Follower::new(RedirectMode::Any, &Method::GET, &url("http://a:1/x/y?k=1"));
        let hop = f
            .decide(StatusCode::FOUND, Some(&loc("z#frag")))
            .unwrap()
            .expect("a hop");
        assert_eq!(hop.url, url("http://a:1/x/z"));
        assert!(hop.carry_secrets && hop.keep_body);
        assert_eq!(hop.method, Method::GET);
    }

    #[test]
    fn secrets_once_dropped_stay_dropped() {
        let mut f = Follower::new(RedirectMode::Any, &Method::GET, &url("http://a:1/"));
        let away = f
            .decide(StatusCode::FOUND, Some(&loc("http://b:2/")))
            .unwrap()
            .expect("a hop");
        assert!(!away.carry_secrets);
        let back = f
            .decide(StatusCode::FOUND, Some(&loc("http://a:1/again")))
            .unwrap()
            .expect("a hop");
        assert!(!back.carry_secrets, "B chose this path: no secrets for it");
    }

    #[test]
    fn methods_change_as_browsers_do() {
        let post = |status| {
            let mut f = Follower::new(RedirectMode::Any, &Method::POST, &url("http://a/"));
            f.decide(status, Some(&loc("/next")))
                .unwrap()
                .expect("a hop")
        };
        for s in [
            StatusCode::SEE_OTHER,
            StatusCode::FOUND,
            StatusCode::MOVED_PERMANENTLY,
        ] {
            let hop = post(s);
            assert_eq!((hop.method, hop.keep_body), (Method::GET, false), "{s}");
        }
        for s in [
            StatusCode::TEMPORARY_REDIRECT,
            StatusCode::PERMANENT_REDIRECT,
        ] {
            let hop = post(s);
            assert_eq!((hop.method, hop.keep_body), (Method::POST, true), "{s}");
        }
        // POST, 303 to itself, GET: not a loop.
        let mut f = Follower::new(RedirectMode::Any, &Method::POST, &url("http://a/s"));
        assert!(f.decide(StatusCode::SEE_OTHER, Some(&loc("/s"))).is_ok());
    }

    #[test]
    fn non_redirect_statuses_are_final() {
        let mut f = Follower::new(RedirectMode::Any, &Method::GET, &url("http://a/"));
        for s in [200, 204, 304, 404, 503] {
            let s = StatusCode::from_u16(s).unwrap();
            assert_eq!(f.decide(s, Some(&loc("/x"))), Ok(None), "{s}");
        }
    }

    #[test]
    fn never_refuses_every_3xx_naming_status_and_redacted_location() {
        let mut f = Follower::new(RedirectMode::Never, &Method::GET, &url("http://a:1/"));
        let e = f
            .decide(StatusCode::FOUND, Some(&loc("/next?token=s3cret")))
            .unwrap_err();
        assert_eq!(
            e,
            RedirectError::Disabled {
                status: StatusCode::FOUND,
                location: Some("http://a:1/next".into())
            }
        );
        let text = e.to_string();
        assert!(
            text.contains("302 Found") && text.contains("http://a:1/next"),
            "{text}"
        );
        assert!(!text.contains("s3cret"), "{text}");
        let e = f.decide(StatusCode::NOT_MODIFIED, None).unwrap_err();
        assert!(e.to_string().contains("304"), "{e}");
        assert_eq!(f.decide(StatusCode::OK, None), Ok(None));
    }

    #[test]
    fn same_origin_refuses_another_origin_naming_its_host() {
        let mut f = Follower::new(RedirectMode::SameOrigin, &Method::GET, &url("http://a:1/"));
        assert!(f.decide(StatusCode::FOUND, Some(&loc("/ok"))).is_ok());
        let e = f
            .decide(StatusCode::FOUND, Some(&loc("http://b:2/p?key=s3cret")))
            .unwrap_err();
        assert_eq!(
            e,
            RedirectError::CrossOrigin {
                status: StatusCode::FOUND,
                origin: "http://b:2".into()
            }
        );
        assert!(!e.to_string().contains("s3cret"));
    }

    #[test]
    fn loops_and_long_chains_end() {
        let mut f = Follower::new(RedirectMode::Any, &Method::GET, &url("http://a/0"));
        assert!(f.decide(StatusCode::FOUND, Some(&loc("/1"))).is_ok());
        let e = f.decide(StatusCode::FOUND, Some(&loc("/0#f"))).unwrap_err();
        assert_eq!(
            e,
            RedirectError::Loop {
                status: StatusCode::FOUND,
                url: "http://a:80/0".into()
            }
        );

        let mut f = Follower::new(RedirectMode::Any, &Method::GET, &url("http://a/0"));
        for n in 1..=MAX_HOPS {
            let hop = f.decide(StatusCode::FOUND, Some(&loc(&format!("/{n}"))));
            assert!(hop.is_ok(), "hop {n}");
        }
        let e = f
            .decide(StatusCode::FOUND, Some(&loc("/last")))
            .unwrap_err();
        assert_eq!(
            e,
            RedirectError::TooMany {
                status: StatusCode::FOUND,
                max: MAX_HOPS
            }
        );
    }

    #[test]
    fn bad_targets_are_refused_without_echoing_them() {
        let mut f = Follower::new(RedirectMode::Any, &Method::GET, &url("http://a/"));
        assert_eq!(
            f.decide(StatusCode::FOUND, None),
            Err(RedirectError::NoLocation {
                status: StatusCode::FOUND
            })
        );
        assert_eq!(
            f.decide(StatusCode::FOUND, Some(&loc("http://[bad/?t=s3cret"))),
            Err(RedirectError::BadLocation {
                status: StatusCode::FOUND
            })
        );
        assert!(matches!(
            f.decide(StatusCode::FOUND, Some(&loc("file:///etc/passwd"))),
            Err(RedirectError::UnsupportedScheme { .. })
        ));
    }
}
