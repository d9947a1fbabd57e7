//! Credentials carried in URLs: userinfo and token query parameters, the usual EventSource
//! authentication since a browser's EventSource cannot set headers.
//!
//! Two jobs, one rule for what counts as a credential:
//! - masking: any text that may hold a URL (a form, an error, a log line, a metric label) is
//!   shown with each credential replaced by [`MASK`], whether or not the URL parses;
//! - slots: the credentials of a parsed URL, so the catalog can move them to the keyring and
//!   put them back when a connection needs them.

use crate::secrets::MASK;
use percent_encoding::percent_decode_str;
use url::Url;

/// Query parameters whose value is a credential wherever they appear (compared ignoring ASCII
/// case, after percent-decoding the name). Mercure hubs take `authorization`; OAuth and most
/// SSE gateways use the token names; Google-style APIs `key`.
pub const TOKEN_PARAMS: &[&str] = &[
    "token",
    "access_token",
    "accesstoken",
    "auth",
    "auth_token",
    "authorization",
    "id_token",
    "refresh_token",
    "api_key",
    "apikey",
    "api-key",
    "key",
    "client_secret",
    "password",
    "passwd",
    "secret",
    "jwt",
    "session",
    "sig",
    "signature",
    "x-amz-signature",
    "x-amz-security-token",
];

/// Longest parameter name a user may mark secret (a name, not a value).
pub const MAX_PARAM_NAME: usize = 100;

/// Most parameters one subscription may mark secret.
pub const MAX_MARKED_PARAMS: usize = 50;

/// Checks the names of parameters a user marked secret: each a short name without control
/// characters, and not too many. The message names the problem in words.
pub fn check_param_names(names: &[String]) -> Result<(), String> {
    if names.len() > MAX_MARKED_PARAMS {
        return Err(format!(
            "At most {MAX_MARKED_PARAMS} query parameters can be marked secret."
        ));
    }
    for name in names {
        let n = name.trim();
        if n.is_empty() {
            return Err("A secret query parameter needs a name.".into());
        }
        if n.chars().count() > MAX_PARAM_NAME || n.chars().any(char::is_control) {
            return Err(format!(
                "A secret query parameter's name is at most {MAX_PARAM_NAME} characters, \
                 without control characters."
            ));
        }
    }
    Ok(())
}

/// Whether the query parameter `name` (as written in a URL, possibly percent-encoded) holds a
/// credential: a well-known token name or one of `extra` (the names the user marked).
pub fn is_secret_param(name: &str, extra: &[String]) -> bool {
    let decoded = decode(name);
    let decoded = decoded.trim();
    TOKEN_PARAMS.iter().any(|p| p.eq_ignore_ascii_case(decoded))
        || extra.iter().any(|e| e.trim().eq_ignore_ascii_case(decoded))
}

/// `text` with every http(s) URL in it masked by [`mask_url`]; for error messages and logs,
/// which may quote a URL anywhere (reqwest writes "… for url (https://…)").
pub fn mask_text(text: &str, extra: &[String]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = find_url_start(rest) {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let mut end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`'))
            .unwrap_or(tail.len());
        // "(https://host/x): …": trailing punctuation and a closing parenthesis are the
        // sentence's, not the URL's.
        while tail[..end].ends_with(['.', ',', ';', ':', '!']) {
            end -= 1;
        }
        if tail[..end].ends_with(')') && !tail[..end].contains('(') {
            end -= 1;
        }
        out.push_str(&mask_url(&tail[..end], extra));
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

fn find_url_start(text: &str) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    [lower.find("http://"), lower.find("https://")]
        .into_iter()
        .flatten()
        .min()
}

/// `url` (as text: it need not parse) with its userinfo and the values of its credential
/// parameters (see [`is_secret_param`], and any value that is a keyring reference) replaced
/// by [`MASK`]. Everything else is kept exactly as written.
pub fn mask_url(url: &str, extra: &[String]) -> String {
    let (head, fragment) = match url.split_once('#') {
        Some((h, f)) => (h, Some(f)),
        None => (url, None),
    };
    let (before_query, query) = match head.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (head, None),
    };
    let mut out = String::with_capacity(url.len());
    // The authority runs from after "scheme://" (or the start) to the first '/'.
    let auth_start = before_query.find("://").map_or(0, |i| i + 3);
    let auth_end = before_query[auth_start..]
        .find('/')
        .map_or(before_query.len(), |i| auth_start + i);
    match before_query[auth_start..auth_end].rfind('@') {
        Some(at) => {
            out.push_str(&before_query[..auth_start]);
            out.push_str(MASK);
            out.push_str(&before_query[auth_start + at..]);
        }
        None => out.push_str(before_query),
    }
    if let Some(q) = query {
        out.push('?');
        out.push_str(&mask_pairs(q, extra));
    }
    if let Some(f) = fragment {
        // OAuth's implicit flow puts `access_token=` in the fragment.
        out.push('#');
        out.push_str(&mask_pairs(f, extra));
    }
    out
}

fn mask_pairs(pairs: &str, extra: &[String]) -> String {
    pairs
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) if is_secret_param(name, extra) || is_reference(value) => {
                format!("{name}={MASK}")
            }
            _ => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn is_reference(raw_value: &str) -> bool {
    decode(raw_value).starts_with("keyring:")
}

/// `text` with every occurrence of a secret value (plain, percent-encoded or form-encoded)
/// replaced by [`MASK`]: the last line of defence for messages built by code we do not own.
/// Values shorter than four bytes are left alone: masking every "1" would garble the text, and
/// where such a value sits in a URL [`mask_text`] has masked it already.
pub fn scrub(text: &str, values: &[&str]) -> String {
    let mut out = text.to_string();
    for v in values.iter().filter(|v| v.len() >= 4) {
        let encoded = percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
            .to_string();
        let form: String = url::form_urlencoded::byte_serialize(v.as_bytes()).collect();
        for form_of_v in [v.to_string(), encoded, form] {
            if out.contains(&form_of_v) {
                out = out.replace(&form_of_v, MASK);
            }
        }
    }
    out
}

fn decode(raw: &str) -> String {
    percent_decode_str(&raw.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// Which part of a URL a credential sits in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlPart {
    /// The user name of the userinfo.
    Username,
    /// The password of the userinfo.
    Password,
    /// The `nth` (from 0) query parameter named `name` (as written, case kept).
    Query {
        /// The parameter's name, decoded.
        name: String,
        /// Which of the parameters with that name.
        nth: usize,
    },
}

impl UrlPart {
    /// A label for errors and keyring items that never includes the value ("URL password",
    /// "URL parameter token").
    pub fn label(&self) -> String {
        match self {
            UrlPart::Username => "URL user name".into(),
            UrlPart::Password => "URL password".into(),
            UrlPart::Query { name, .. } => format!("URL parameter {name}"),
        }
    }

    /// A short keyring label hint ("url-user", "url-token").
    pub fn hint(&self) -> String {
        match self {
            UrlPart::Username => "url-user".into(),
            UrlPart::Password => "url-password".into(),
            UrlPart::Query { name, .. } => format!("url-{name}"),
        }
    }
}

/// One credential slot of a URL and its decoded value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlSlot {
    /// Where it is.
    pub part: UrlPart,
    /// Its decoded value (plain text, a keyring reference or [`MASK`]).
    pub value: String,
}

/// Every slot of `url` that holds a credential or a keyring reference: a non-empty user name,
/// a password, and each parameter named secret (see [`is_secret_param`]) or whose value is a
/// keyring reference.
pub fn slots(url: &Url, extra: &[String]) -> Vec<UrlSlot> {
    let mut out = Vec::new();
    if !url.username().is_empty() {
        out.push(UrlSlot {
            part: UrlPart::Username,
            value: decode_userinfo(url.username()),
        });
    }
    if let Some(p) = url.password() {
        out.push(UrlSlot {
            part: UrlPart::Password,
            value: decode_userinfo(p),
        });
    }
    for (name, nth, value) in query_pairs(url) {
        if is_secret_param(&name, extra) || value.starts_with("keyring:") {
            out.push(UrlSlot {
                part: UrlPart::Query { name, nth },
                value,
            });
        }
    }
    out
}

fn decode_userinfo(raw: &str) -> String {
    percent_decode_str(raw).decode_utf8_lossy().into_owned()
}

/// The decoded (name, nth of that name, value) of each `name=value` query pair.
fn query_pairs(url: &Url) -> Vec<(String, usize, String)> {
    let mut seen: Vec<String> = Vec::new();
    url.query()
        .unwrap_or("")
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(n, v)| {
            let name = decode(n);
            let nth = seen.iter().filter(|s| **s == name).count();
            seen.push(name.clone());
            (name, nth, decode(v))
        })
        .collect()
}

/// `url` with the value of each slot `f` names replaced: `f` gets each slot of [`slots`] and
/// returns `Some(new value)` to replace it, `None` to keep it as it is. Other parts of the URL
/// keep their exact spelling.
pub fn replace(url: &Url, extra: &[String], mut f: impl FnMut(&UrlSlot) -> Option<String>) -> Url {
    let mut out = url.clone();
    for slot in slots(url, extra) {
        let Some(new) = f(&slot) else { continue };
        match &slot.part {
            // Only a URL with a host has userinfo, and then these cannot fail.
            UrlPart::Username => {
                let _ = out.set_username(&new);
            }
            UrlPart::Password => {
                let _ = out.set_password(Some(&new));
            }
            UrlPart::Query { name, nth } => {
                let query = rewrite_query(out.query().unwrap_or(""), name, *nth, &new);
                out.set_query(Some(&query));
            }
        }
    }
    out
}

fn rewrite_query(query: &str, name: &str, nth: usize, value: &str) -> String {
    let mut seen = 0;
    query
        .split('&')
        .map(|pair| {
            let Some((n, _)) = pair.split_once('=') else {
                return pair.to_string();
            };
            if decode(n) != name {
                return pair.to_string();
            }
            seen += 1;
            if seen - 1 != nth {
                return pair.to_string();
            }
            let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
            format!("{n}={encoded}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// `url` without the slots `f` says to drop (for an import whose secrets were left out).
pub fn remove(url: &Url, extra: &[String], mut f: impl FnMut(&UrlSlot) -> bool) -> Url {
    let mut out = url.clone();
    let doomed: Vec<UrlSlot> = slots(url, extra).into_iter().filter(|s| f(s)).collect();
    let mut queries: Vec<(String, usize)> = Vec::new();
    for slot in doomed {
        match slot.part {
            UrlPart::Username => {
                let _ = out.set_username("");
            }
            UrlPart::Password => {
                let _ = out.set_password(None);
            }
            UrlPart::Query { name, nth } => queries.push((name, nth)),
        }
    }
    if !queries.is_empty() {
        let mut seen: Vec<String> = Vec::new();
        let kept: Vec<&str> = url
            .query()
            .unwrap_or("")
            .split('&')
            .filter(|pair| {
                let Some((n, _)) = pair.split_once('=') else {
                    return true;
                };
                let name = decode(n);
                let nth = seen.iter().filter(|s| **s == name).count();
                seen.push(name.clone());
                !queries.contains(&(name, nth))
            })
            .collect();
        out.set_query(
            Some(&kept.join("&"))
                .filter(|q| !q.is_empty())
                .map(|q| q.as_str()),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none() -> Vec<String> {
        Vec::new()
    }

    #[test]
    fn userinfo_and_token_parameters_are_masked() {
        assert_eq!(
            mask_url(
                "https://alice:s3cret@example.com:8443/feed?topic=a&token=abc&x=1",
                &none()
            ),
            "https://••••@example.com:8443/feed?topic=a&token=••••&x=1"
        );
        assert_eq!(
            mask_url("http://h/?Access_Token=abc#access_token=def", &none()),
            "http://h/?Access_Token=••••#access_token=••••"
        );
        assert_eq!(
            mask_url("http://h/?api%5Fkey=abc", &none()),
            "http://h/?api%5Fkey=••••"
        );
    }

    #[test]
    fn a_marked_parameter_and_a_keyring_reference_are_masked() {
        let extra = vec!["Sid".to_string()];
        assert_eq!(
            mask_url("http://h/?sid=1&q=2", &extra),
            "http://h/?sid=••••&q=2"
        );
        assert_eq!(
            mask_url("http://h/?q=keyring%3Astreamwatch%2Furl-q-1", &none()),
            "http://h/?q=••••"
        );
    }

    #[test]
    fn a_url_that_does_not_parse_is_masked_too() {
        assert_eq!(
            mask_url("http://user:pw@[bad/x?token=t", &none()),
            "http://••••@[bad/x?token=••••"
        );
        assert_eq!(
            mask_url("user:pw@host?token=t", &none()),
            "••••@host?token=••••"
        );
    }

    #[test]
    fn urls_inside_text_are_masked_and_the_rest_kept() {
        let text = "error sending request for url (https://u:p@h/x?token=abc): refused";
        assert_eq!(
            mask_text(text, &none()),
            "error sending request for url (https://••••@h/x?token=••••): refused"
        );
        assert_eq!(mask_text("no url here", &none()), "no url here");
        assert_eq!(
            mask_text("two: http://h/?key=1 and HTTPS://g/?token=2", &none()),
            "two: http://h/?key=•••• and HTTPS://g/?token=••••"
        );
    }

    #[test]
    fn scrub_removes_plain_and_encoded_values() {
        let text = "bad value a b/c and a%20b%2Fc and a+b%2Fc";
        assert_eq!(scrub(text, &["a b/c"]), "bad value •••• and •••• and ••••");
        assert_eq!(scrub("id 1 and 12", &["1", "12"]), "id 1 and 12");
    }

    #[test]
    fn slots_find_each_credential_with_its_decoded_value() {
        let url = Url::parse("https://us%40er:p%3Aw@h/?token=a%20b&q=1&token=c").unwrap();
        let found = slots(&url, &none());
        assert_eq!(
            found,
            vec![
                UrlSlot {
                    part: UrlPart::Username,
                    value: "us@er".into()
                },
                UrlSlot {
                    part: UrlPart::Password,
                    value: "p:w".into()
                },
                UrlSlot {
                    part: UrlPart::Query {
                        name: "token".into(),
                        nth: 0
                    },
                    value: "a b".into()
                },
                UrlSlot {
                    part: UrlPart::Query {
                        name: "token".into(),
                        nth: 1
                    },
                    value: "c".into()
                },
            ]
        );
    }

    #[test]
    fn replace_round_trips_values_through_references() {
        let url = Url::parse("https://u:p@h/x?token=a%20b&q=1&token=c").unwrap();
        let sealed = replace(&url, &none(), |s| {
            Some(format!("keyring:sw/{}", s.part.hint()))
        });
        assert_eq!(
            sealed.as_str(),
            "https://keyring%3Asw%2Furl-user:keyring%3Asw%2Furl-password@h/x?\
             token=keyring%3Asw%2Furl-token&q=1&token=keyring%3Asw%2Furl-token"
        );
        let originals = slots(&url, &none());
        let back = replace(&sealed, &none(), |s| {
            originals
                .iter()
                .find(|o| o.part == s.part)
                .map(|o| o.value.clone())
        });
        assert_eq!(slots(&back, &none()), originals);
        assert_eq!(
            mask_url(sealed.as_str(), &none()),
            "https://••••@h/x?token=••••&q=1&token=••••"
        );
    }

    #[test]
    fn remove_drops_only_the_named_slots() {
        let url = Url::parse("https://u:p@h/x?token=a&q=1").unwrap();
        let out = remove(&url, &none(), |_| true);
        assert_eq!(out.as_str(), "https://h/x?q=1");
        let out = remove(&Url::parse("http://h/?token=a").unwrap(), &none(), |_| true);
        assert_eq!(out.as_str(), "http://h/");
    }
}
