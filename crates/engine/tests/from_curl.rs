//! A pasted cURL command as a subscription's request: copies written exactly as Chrome and
//! Firefox produce them ("Copy as cURL (bash)" and "(cmd)"), terminal lines, every option the
//! reader knows, the errors a user must understand, and random input that must never panic.

use proptest::prelude::*;
use streamwatch_engine::catalog::from_curl::{secret_by_default, MAX_CURL_BYTES};
use streamwatch_engine::catalog::{parse_curl, CurlDraft, CurlError, StoredHeader};

fn parsed(text: &str) -> CurlDraft {
    match parse_curl(text) {
        Ok(d) => d,
        Err(e) => panic!("{text:?} should parse: {e}"),
    }
}

fn header<'a>(d: &'a CurlDraft, name: &str) -> &'a StoredHeader {
    d.headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .unwrap_or_else(|| panic!("no header {name} in {:?}", d.headers))
}

fn error(text: &str) -> String {
    match parse_curl(text) {
        Ok(d) => panic!("{text:?} should be refused, got {d:?}"),
        Err(e) => e.to_string(),
    }
}

/// Chrome 131, Network panel, "Copy as cURL (bash)" of a fetch() POST.
const CHROME_BASH: &str = r#"curl 'http://127.0.0.1:8787/events?close_after=5' \
  -H 'accept: text/event-stream' \
  -H 'accept-language: en-GB,en;q=0.9' \
  -H 'authorization: Bearer s3cr3t-token' \
  -H 'content-type: application/json' \
  -b 'session=abc123; theme=dark' \
  -H 'origin: http://127.0.0.1:8787' \
  -H 'priority: u=1, i' \
  -H 'sec-ch-ua: "Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"' \
  -H 'sec-ch-ua-mobile: ?0' \
  -H 'sec-ch-ua-platform: "Linux"' \
  -H 'user-agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36' \
  --data-raw '{"topic":"ticks","from":1}'"#;

/// The same request, "Copy as cURL (cmd)".
const CHROME_CMD: &str = r#"curl ^"http://127.0.0.1:8787/events?close_after=5^" ^
  -H ^"accept: text/event-stream^" ^
  -H ^"accept-language: en-GB,en;q=0.9^" ^
  -H ^"authorization: Bearer s3cr3t-token^" ^
  -H ^"content-type: application/json^" ^
  -b ^"session=abc123; theme=dark^" ^
  -H ^"origin: http://127.0.0.1:8787^" ^
  -H ^"priority: u=1, i^" ^
  -H ^"sec-ch-ua: ^\^"Google Chrome^\^";v=^\^"131^\^", ^\^"Chromium^\^";v=^\^"131^\^", ^\^"Not_A Brand^\^";v=^\^"24^\^"^" ^
  -H ^"sec-ch-ua-mobile: ?0^" ^
  -H ^"sec-ch-ua-platform: ^\^"Linux^\^"^" ^
  -H ^"user-agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36^" ^
  --data-raw ^"^{^\^"topic^\^":^\^"ticks^\^",^\^"from^\^":1^}^""#;

/// Firefox 133, "Copy as cURL" (one line; it names the method and sends its own connection
/// headers).
const FIREFOX_BASH: &str = "curl 'http://127.0.0.1:8787/events?close_after=5' --compressed -X POST -H 'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0' -H 'Accept: text/event-stream' -H 'Accept-Language: en-US,en;q=0.5' -H 'Accept-Encoding: gzip, deflate, br, zstd' -H 'Content-Type: application/json' -H 'Authorization: Bearer s3cr3t-token' -H 'Origin: http://127.0.0.1:8787' -H 'Connection: keep-alive' -H 'Cookie: session=abc123; theme=dark' -H 'Sec-Fetch-Dest: empty' -H 'Sec-Fetch-Mode: cors' -H 'Sec-Fetch-Site: same-origin' --data-raw '{\"topic\":\"ticks\",\"from\":1}'";

#[test]
fn chrome_bash_and_cmd_copies_give_the_same_request() {
    let bash = parsed(CHROME_BASH);
    let cmd = parsed(CHROME_CMD);
    assert_eq!(bash, cmd);
    assert_eq!(bash.url, "http://127.0.0.1:8787/events?close_after=5");
    assert_eq!(bash.method, "POST");
    assert_eq!(bash.body.as_deref(), Some(r#"{"topic":"ticks","from":1}"#));
    let auth = header(&bash, "authorization");
    assert_eq!(auth.value, "Bearer s3cr3t-token");
    assert!(auth.secret);
    let cookie = header(&bash, "cookie");
    assert_eq!(cookie.value, "session=abc123; theme=dark");
    assert!(cookie.secret);
    assert_eq!(
        header(&bash, "sec-ch-ua").value,
        r#""Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24""#
    );
    assert!(!header(&bash, "sec-ch-ua").secret);
    assert!(!header(&bash, "content-type").secret);
    // Accept: text/event-stream goes out with every request already: not twice.
    assert!(!bash.headers.iter().any(|h| h.name == "accept"));
    assert_eq!(bash.headers.len(), 10);
    assert_eq!(
        bash.notes,
        ["accept: text/event-stream left out: every request sends it."]
    );
}

#[test]
fn firefox_copy_drops_the_connection_headers_and_says_so() {
    let d = parsed(FIREFOX_BASH);
    assert_eq!(d.method, "POST");
    assert_eq!(d.body.as_deref(), Some(r#"{"topic":"ticks","from":1}"#));
    assert!(header(&d, "Authorization").secret);
    assert!(header(&d, "Cookie").secret);
    for gone in ["Accept-Encoding", "Connection"] {
        assert!(!d.headers.iter().any(|h| h.name == gone), "{gone} kept");
        assert!(d.notes.iter().any(|n| n.starts_with(gone)), "{:?}", d.notes);
    }
    assert!(d
        .notes
        .iter()
        .any(|n| n.starts_with("--compressed ignored")));
}

#[test]
fn chrome_bash_ansi_c_strings_and_cmd_line_breaks() {
    // Chrome writes a body holding a quote or a line break as $'…' for bash…
    let bash = parsed(
        "curl 'https://api.example.com/s' \\\n  -H 'content-type: text/plain' \\\n  --data-raw $'it\\'s\\nline two\\t\\u00e9\\x41\\\\'",
    );
    assert_eq!(bash.body.as_deref(), Some("it's\nline two\té\u{41}\\"));
    // …and for cmd, a line break in data as ^ and two line breaks, and % before a letter as %^.
    let cmd = parsed(
        "curl ^\"https://api.example.com/s?q=a^%^20b^&x=1^\" ^\n  -H ^\"content-type: text/plain^\" ^\n  --data-raw ^\"it's^\n\nline two^\"",
    );
    assert_eq!(cmd.url, "https://api.example.com/s?q=a%20b&x=1");
    assert_eq!(cmd.body.as_deref(), Some("it's\nline two"));
    // Windows line ends in the paste change nothing.
    assert_eq!(
        parsed(&CHROME_CMD.replace('\n', "\r\n")),
        parsed(CHROME_CMD)
    );
    assert_eq!(
        parsed(&CHROME_BASH.replace('\n', "\r\n")),
        parsed(CHROME_BASH)
    );
}

#[test]
fn terminal_lines() {
    let d = parsed(
        r#"$ curl -sSN -H "X-Api-Key: k1" -H 'Accept: text/event-stream' -H 'Accept: application/json' "https://example.com/feed" | jq ."#,
    );
    assert_eq!(d.url, "https://example.com/feed");
    assert_eq!(d.method, "GET");
    assert!(header(&d, "x-api-key").secret);
    assert_eq!(header(&d, "accept").value, "application/json");
    assert!(d
        .notes
        .iter()
        .any(|n| n.contains("left out: every request sends it")));
    assert_eq!(d.body, None);

    let d = parsed("curl -XPUT -HAuthorization:\\ Bearer\\ t example.com:8080/s -d a=1 -d b=2");
    assert_eq!(d.url, "http://example.com:8080/s");
    assert_eq!(d.method, "PUT");
    assert_eq!(header(&d, "Authorization").value, "Bearer t");
    assert_eq!(d.body.as_deref(), Some("a=1&b=2"));
    assert_eq!(
        header(&d, "Content-Type").value,
        "application/x-www-form-urlencoded"
    );
    assert!(d.notes.iter().any(|n| n.contains("http:// added")));
    assert_eq!(parsed("curl.exe --url https://e.x/").url, "https://e.x/");
    assert_eq!(parsed("/usr/bin/curl -- https://e.x/").url, "https://e.x/");
}

#[test]
fn options_that_shape_the_request() {
    let d = parsed("curl -u alice:pa:ss https://e.x/ -A 'sw/1' -e 'https://r.x/;auto'");
    let auth = header(&d, "Authorization");
    // base64("alice:pa:ss")
    assert_eq!(auth.value, "Basic YWxpY2U6cGE6c3M=");
    assert!(auth.secret);
    assert_eq!(header(&d, "User-Agent").value, "sw/1");
    assert_eq!(header(&d, "Referer").value, "https://r.x/");

    let d = parsed(r#"curl --json '{"a":' --json '1}' https://e.x/"#);
    assert_eq!(d.body.as_deref(), Some(r#"{"a":1}"#));
    assert_eq!(d.method, "POST");
    assert_eq!(header(&d, "Content-Type").value, "application/json");
    assert_eq!(header(&d, "Accept").value, "application/json");

    let d = parsed("curl -G https://e.x/s?a=1 -d b=2 --data-urlencode 'q=x y&z'");
    assert_eq!(d.url, "https://e.x/s?a=1&b=2&q=x+y%26z");
    assert_eq!(d.method, "GET");
    assert_eq!(d.body, None);

    // A standard method in any case is sent upper-case, as curl users expect.
    assert_eq!(
        parsed("curl -X post --data-raw x https://e.x/").method,
        "POST"
    );
    // -X wins over the POST a body implies; @ in --data-raw is a character.
    let d = parsed("curl -X SUBSCRIBE --data-raw @x https://e.x/ -H 'X-Empty;' -H 'Accept:'");
    assert_eq!(d.method, "SUBSCRIBE");
    assert_eq!(d.body.as_deref(), Some("@x"));
    assert_eq!(header(&d, "X-Empty").value, "");
    assert!(!d.headers.iter().any(|h| h.name == "Accept"));
}

#[test]
fn insecure_is_never_honoured_and_is_told() {
    for text in [
        "curl -k https://e.x/",
        "curl --insecure https://e.x/",
        "curl -skL https://e.x/",
    ] {
        let d = parsed(text);
        assert!(
            d.notes
                .iter()
                .any(|n| n.contains("ignored: certificates are always checked")),
            "{text}: {:?}",
            d.notes
        );
    }
}

#[test]
fn errors_name_the_option_and_never_a_secret() {
    assert_eq!(
        error("curl --foo https://e.x/"),
        "unknown curl option --foo"
    );
    assert_eq!(error("curl -sz https://e.x/"), "unknown curl option -z");
    assert_eq!(
        error("curl --foo=s3cr3t https://e.x/"),
        "unknown curl option --foo"
    );
    assert!(error("curl -F a=b https://e.x/").starts_with("curl option -F is not supported"));
    assert!(error("curl -d @body.json https://e.x/").contains("reads the file \"body.json\""));
    assert!(error("curl -b cookies.txt https://e.x/").contains("-b reads the file"));
    assert!(error("curl -H @headers.txt https://e.x/").contains("-H reads the file"));
    assert!(error("curl https://e.x/ -H").contains("-H needs a value"));
    assert!(error("curl 'https://e.x/").contains("never closed"));
    assert!(error("curl ^\"https://e.x/ ^\n -H \"a").contains("never closed"));
    assert!(error("wget https://e.x/").contains("not a curl command"));
    assert!(error("").contains("not a curl command"));
    assert!(error("curl -s").contains("no URL"));
    assert!(error("curl https://a.x/ https://b.x/").contains("more than one URL"));
    let e = error(r#"curl -H "Authorization: Bearer $TOKEN" https://e.x/"#);
    assert!(e.contains("$TOKEN"), "{e}");
    assert!(error("curl -H \"X: $(cat t)\" https://e.x/").contains("$(…)"));
    let e = error("curl -H 'Authorization Bearer s3cr3t' https://e.x/");
    assert!(!e.contains("s3cr3t"), "{e}");
    let e = error("curl -u alice https://e.x/");
    assert!(e.contains("-u has no password"), "{e}");
    assert_eq!(
        parse_curl(&"x".repeat(MAX_CURL_BYTES + 1)),
        Err(CurlError::TooLong)
    );
}

#[test]
fn the_secret_list() {
    for name in [
        "Authorization",
        "proxy-authorization",
        "COOKIE",
        "X-Api-Key",
        "x_api_key",
        "apikey",
        "X-Auth-Token",
        "X-CSRF-Token",
        "Ocp-Apim-Subscription-Key",
        "X-Client-Secret",
        "X-Session-Id",
    ] {
        assert!(secret_by_default(name), "{name}");
    }
    for name in [
        "Accept",
        "Content-Type",
        "User-Agent",
        "Last-Event-ID",
        "sec-ch-ua",
    ] {
        assert!(!secret_by_default(name), "{name}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn random_text_never_panics(text in "\\PC*") {
        let _ = parse_curl(&text);
    }

    #[test]
    fn random_curl_like_text_never_panics(
        words in proptest::collection::vec(
            prop_oneof![
                Just("-".to_string()), Just("--".to_string()), Just("^".to_string()),
                Just("^\"".to_string()), Just("$'".to_string()), Just("\\".to_string()),
                Just("'".to_string()), Just("\"".to_string()), Just("\\\n".to_string()),
                Just("-H".to_string()), Just("-d".to_string()), Just("--json".to_string()),
                Just("-u".to_string()), Just("-G".to_string()), Just("@".to_string()),
                Just("\\x".to_string()), Just("\\u".to_string()), Just("\\U110000".to_string()),
                Just("\\777".to_string()), Just("\\c".to_string()), Just("$".to_string()),
                "[ -~]{0,8}", "\\PC{0,4}",
            ],
            0..24,
        ),
        cmd in any::<bool>(),
    ) {
        let sep = if cmd { " ^\n" } else { " " };
        let _ = parse_curl(&format!("curl {}", words.join(sep)));
        let _ = parse_curl(&format!("curl {}", words.concat()));
    }
}
