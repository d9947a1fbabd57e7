//! The HTTP client a subscription connects with: reqwest (hyper) for HTTPS, proxies and HTTP/2;
//! for a plain `http://` URL that no proxy applies to, one lean HTTP/1.1 connection of our own
//! ([`crate::http1_direct`]), since hyper's ~24 KiB of buffers per connection is most of what
//! an idle subscription costs (`benches/scale.rs` measures both in one run).
//!
//! Either way the caller gets a `reqwest::Response`, so status, headers, decompression and body
//! errors are handled once, in [`crate::connection`].

use crate::http1_direct::{DirectError, DirectService, Outgoing};
use bytes::Bytes;
use http::HeaderValue;
use std::ffi::OsString;
use std::future::poll_fn;
use tower_http::decompression::Decompression;
use tower_service::Service;
use url::Url;

/// Set to `hyper` to send every request through reqwest, as before the lean client: the way
/// back should a server disagree with it, and what the scale bench compares against.
pub const CLIENT_CHOICE_VAR: &str = "STREAMWATCH_HTTP1_CLIENT";

/// The environment variables that can send an `http://` request through a proxy; reqwest
/// decides (NO_PROXY included) when any is set.
const PROXY_VARS: [&str; 4] = ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"];

/// Why a request got no answer, from either path.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// From reqwest.
    #[error(transparent)]
    Shared(#[from] reqwest::Error),
    /// From the lean HTTP/1.1 client.
    #[error("error sending request: {0}")]
    Direct(#[from] DirectError),
}

impl HttpError {
    /// Whether the request itself could not be built (it will never succeed as it is).
    pub fn is_builder(&self) -> bool {
        match self {
            HttpError::Shared(e) => e.is_builder(),
            HttpError::Direct(DirectError::NoHost) => true,
            HttpError::Direct(_) => false,
        }
    }
}

/// Whether plain-HTTP requests may take the lean path, given the subscription's own proxy and
/// the environment.
fn direct_allowed(proxied: bool, env: impl Fn(&str) -> Option<OsString>) -> bool {
    let set = |k: &str| env(k).filter(|v| !v.is_empty());
    let env_proxy = PROXY_VARS.iter().any(|k| set(k).is_some());
    let hyper_only = set(CLIENT_CHOICE_VAR).is_some_and(|v| v == "hyper");
    !proxied && !env_proxy && !hyper_only
}

/// A subscription's client: reqwest's, and the lean path when it may be used.
#[derive(Debug, Clone)]
pub struct HttpClient {
    shared: reqwest::Client,
    /// `None` when a proxy may apply (set on the subscription, or in the environment).
    direct: Option<DirectService>,
}

impl HttpClient {
    /// `shared` for everything; the lean path too for plain HTTP when `proxied` is false and
    /// neither the environment's proxy variables nor [`CLIENT_CHOICE_VAR`] say otherwise.
    pub fn new(shared: reqwest::Client, proxied: bool, user_agent: &'static str) -> Self {
        let direct = direct_allowed(proxied, |k| std::env::var_os(k))
            .then(|| DirectService::new(HeaderValue::from_static(user_agent)));
        Self { shared, direct }
    }

    /// The same client with every request through reqwest, as `STREAMWATCH_HTTP1_CLIENT=hyper`
    /// makes it (the benches compare the two).
    pub fn hyper_only(mut self) -> Self {
        self.direct = None;
        self
    }

    /// Whether a request to `url` goes over the lean HTTP/1.1 path.
    pub fn is_direct(&self, url: &Url) -> bool {
        self.direct.is_some() && url.scheme() == "http"
    }

    /// A request builder, as reqwest's.
    pub fn request(&self, method: reqwest::Method, url: Url) -> reqwest::RequestBuilder {
        self.shared.request(method, url)
    }

    /// Sends `request` and returns the answer with its body unread. Redirects are not followed
    /// (see [`crate::redirects::send`]).
    pub async fn execute(&self, request: reqwest::Request) -> Result<reqwest::Response, HttpError> {
        let body = match request.body() {
            None => Some(None),
            Some(b) => b
                .as_bytes()
                .map(|bytes| Some(Bytes::copy_from_slice(bytes))),
        };
        let (Some(direct), true, Some(body)) = (&self.direct, self.is_direct(request.url()), body)
        else {
            return Ok(self.shared.execute(request).await?);
        };
        let mut outgoing = Outgoing {
            method: request.method().clone(),
            url: request.url().clone(),
            headers: request.headers().clone(),
            body,
        };
        drop(request);
        let headers = std::mem::take(&mut outgoing.headers);
        let mut http_request = http::Request::new(outgoing);
        *http_request.headers_mut() = headers;
        // The layer offers the codings reqwest offers, and inflates the answer as reqwest does.
        let mut service = Decompression::new(direct.clone());
        poll_fn(|cx| service.poll_ready(cx)).await?;
        let response = service.call(http_request).await?;
        Ok(reqwest::Response::from(response.map(reqwest::Body::wrap)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<OsString> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn the_lean_path_is_taken_only_where_no_proxy_can_apply() {
        assert!(direct_allowed(false, env_of(&[])));
        assert!(
            direct_allowed(false, env_of(&[("HTTPS_PROXY", "http://p:1")])),
            "https only"
        );
        assert!(
            direct_allowed(false, env_of(&[("http_proxy", "")])),
            "empty is unset"
        );
        assert!(
            !direct_allowed(true, env_of(&[])),
            "the subscription's own proxy"
        );
        for var in PROXY_VARS {
            let pairs: &'static [(&'static str, &'static str)] =
                Box::leak(Box::new([(var, "http://proxy:3128")]));
            assert!(!direct_allowed(false, env_of(pairs)), "{var}");
        }
        assert!(!direct_allowed(
            false,
            env_of(&[(CLIENT_CHOICE_VAR, "hyper")])
        ));
        assert!(direct_allowed(
            false,
            env_of(&[(CLIENT_CHOICE_VAR, "lean")])
        ));
    }

    #[test]
    fn only_plain_http_urls_go_direct() {
        let client = HttpClient::new(reqwest::Client::new(), false, "t/1");
        let on = |u: &str| client.is_direct(&Url::parse(u).expect("url"));
        // Whether this process's environment sets a proxy decides it; both answers agree.
        let expected = direct_allowed(false, |k| std::env::var_os(k));
        assert_eq!(on("http://127.0.0.1:1/"), expected);
        assert!(!on("https://127.0.0.1:1/"));
        let proxied = HttpClient::new(reqwest::Client::new(), true, "t/1");
        assert!(!proxied.is_direct(&Url::parse("http://127.0.0.1:1/").expect("url")));
    }
}
