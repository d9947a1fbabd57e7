//! A pasted cURL command line as a subscription's request: URL, method, headers and body. One
//! rule for every front end (the CLI's `subs add --from-curl`, the app's "Paste cURL").
//!
//! It reads what browsers' dev tools copy — "Copy as cURL (bash)" (single quotes, `$'…'`
//! strings, backslash-newline continuations) and "Copy as cURL (cmd)" (`^` escapes, `^"`
//! quoting, `^`-newline continuations) — and a line typed in a terminal. Nothing is expanded or
//! read: a shell variable or an `@file` is refused, so what is saved is exactly what was pasted.
//!
//! No kept crate fits: `curl-parser` knows only -X/-H/-d/-u, accepts -k silently and reads
//! neither `$'…'` nor cmd's carets; `shlex`/`shell-words` split POSIX words but not `$'…'`.
//!
//! Errors never quote a header value, a body or credentials: they may be secrets.

use base64::Engine as _;

use crate::catalog::validate::shown;
use crate::storage::StoredHeader;

/// The longest paste read, in bytes: far more than any copied request, and it bounds the work
/// a hostile paste can cause.
pub const MAX_CURL_BYTES: usize = 1024 * 1024;

/// Header names whose values are credentials, so a pasted one is secret (kept in the keyring)
/// unless the user says otherwise: these names exactly, in any case…
const SECRET_HEADERS: &[&str] = &["authorization", "proxy-authorization", "cookie"];

/// …and any name holding one of these words (compared with `_` read as `-`).
const SECRET_WORDS: &[&str] = &[
    "api-key",
    "apikey",
    "token",
    "secret",
    "password",
    "passwd",
    "session",
    "auth",
    "signature",
    "credential",
];

/// Whether a header of this name is secret by default: `Authorization`, `Cookie`,
/// `X-Api-Key`, `X-Auth-Token`, … (the one list every front end uses).
pub fn secret_by_default(name: &str) -> bool {
    let name = name.trim().to_ascii_lowercase().replace('_', "-");
    SECRET_HEADERS.contains(&name.as_str())
        || SECRET_WORDS.iter().any(|w| name.contains(w))
        || name.ends_with("-key")
}

/// What a paste asked for, ready for the add form or `subs add`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CurlDraft {
    /// The URL (with `-G`, the data in its query).
    pub url: String,
    /// The method: `-X`, else POST with a body, else GET.
    pub method: String,
    /// The headers in the order given; credentials marked secret ([`secret_by_default`]).
    pub headers: Vec<StoredHeader>,
    /// The body (`-d` pieces joined with `&`, as curl sends them).
    pub body: Option<String>,
    /// Options that changed nothing here, and what was added, in words for the user.
    pub notes: Vec<String>,
}

/// Why a paste cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CurlError {
    /// More than [`MAX_CURL_BYTES`].
    #[error("The paste is longer than {} KiB; it is not one curl command.", MAX_CURL_BYTES / 1024)]
    TooLong,
    /// It does not start with `curl`.
    #[error("This is not a curl command: it should start with \"curl\".")]
    NotCurl,
    /// An option this reader does not know (named, never its value).
    #[error("unknown curl option {0}")]
    UnknownOption(String),
    /// An option that cannot be honoured for a stream (named, with why).
    #[error("curl option {option} is not supported: {why}")]
    Unsupported {
        /// The option as written.
        option: String,
        /// Why, in words.
        why: &'static str,
    },
    /// An option at the end with its value missing.
    #[error("curl option {0} needs a value")]
    MissingValue(String),
    /// A quote opened and never closed.
    #[error("A quote ({0}) is never closed: was the command cut short?")]
    Unclosed(char),
    /// `@file` or `-b file`: a paste does not read files.
    #[error(
        "{option} reads the file {file}; a paste cannot read files: put the content in the command"
    )]
    FileReference {
        /// The option.
        option: String,
        /// The file named, shortened.
        file: String,
    },
    /// `$VAR`, `$(…)` or a backquote: the shell would put something else in.
    #[error("The command uses the shell's {0}, which a paste cannot fill in: put the value in")]
    ShellExpansion(String),
    /// No URL at all.
    #[error("The curl command has no URL.")]
    NoUrl,
    /// More than one URL.
    #[error("The curl command has more than one URL; a subscription watches one stream.")]
    ManyUrls,
    /// A header that is not `Name: value` (its value never shown).
    #[error("curl option {option}: a header is written \"Name: value\"")]
    BadHeader {
        /// The option.
        option: String,
    },
    /// `-u user` with no password: curl would ask for it.
    #[error("curl option {0} has no password (curl would ask for it): write user:password")]
    NoPassword(String),
}

/// Reads a pasted curl command (bash, cmd or a terminal line) into a [`CurlDraft`].
pub fn parse_curl(text: &str) -> Result<CurlDraft, CurlError> {
    if text.len() > MAX_CURL_BYTES {
        return Err(CurlError::TooLong);
    }
    let text = text.trim_start_matches('\u{feff}').trim();
    let words = if is_cmd_flavour(text) {
        cmd_words(text)?
    } else {
        bash_words(text)?
    };
    let mut words = words.into_iter();
    match words.next() {
        Some(first) if is_curl(&first) => {}
        _ => return Err(CurlError::NotCurl),
    }
    options(words)
}

/// `curl`, `curl.exe` or a path to either, after a `$ ` prompt was dropped.
fn is_curl(word: &str) -> bool {
    let base = word.rsplit(['/', '\\']).next().unwrap_or(word);
    base.eq_ignore_ascii_case("curl") || base.eq_ignore_ascii_case("curl.exe")
}

/// Chrome's cmd copies quote every word with `^"` and end lines with ` ^`; a bash command line
/// has neither outside quotes in practice.
fn is_cmd_flavour(text: &str) -> bool {
    text.contains("^\"") || text.lines().any(|l| l.trim_end().ends_with(" ^"))
}

/// Splits a bash command line into words as bash would, without expanding anything.
fn bash_words(text: &str) -> Result<Vec<String>, CurlError> {
    let text = text
        .strip_prefix("$ ")
        .unwrap_or(text)
        .replace("\r\n", "\n");
    let mut words = Vec::new();
    let mut word = String::new();
    // A word can be empty yet present (`''`).
    let mut in_word = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' | '\r' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\\' => match chars.next() {
                Some('\n') => {}
                Some(other) => {
                    word.push(other);
                    in_word = true;
                }
                None => {}
            },
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(ch) => word.push(ch),
                        None => return Err(CurlError::Unclosed('\'')),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(e @ ('$' | '`' | '"' | '\\')) => word.push(e),
                            Some('\n') => {}
                            Some(other) => {
                                word.push('\\');
                                word.push(other);
                            }
                            None => return Err(CurlError::Unclosed('"')),
                        },
                        Some('$') => shell_dollar(&mut chars, &mut word)?,
                        Some('`') => return Err(CurlError::ShellExpansion("`…`".into())),
                        Some(ch) => word.push(ch),
                        None => return Err(CurlError::Unclosed('"')),
                    }
                }
            }
            '$' if chars.peek() == Some(&'\'') => {
                chars.next();
                in_word = true;
                ansi_c(&mut chars, &mut word)?;
            }
            '$' => {
                in_word = true;
                shell_dollar(&mut chars, &mut word)?;
            }
            '`' => return Err(CurlError::ShellExpansion("`…`".into())),
            // The end of the curl command: what follows (`| jq`, `; echo`) is not ours.
            '|' | ';' | '&' | '>' | '<' if !in_word || word.is_empty() => break,
            '|' | ';' | '&' | '>' | '<' => {
                words.push(std::mem::take(&mut word));
                in_word = false;
                break;
            }
            '#' if !in_word => {
                // A comment runs to the end of the line.
                for ch in chars.by_ref() {
                    if ch == '\n' {
                        break;
                    }
                }
            }
            other => {
                word.push(other);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// A `$` outside single quotes: a lone one is itself; a variable or command substitution is
/// refused, naming it.
fn shell_dollar(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    word: &mut String,
) -> Result<(), CurlError> {
    match chars.peek() {
        Some(&c) if c.is_ascii_alphabetic() || c == '_' => {
            let mut name = String::from("$");
            while let Some(&c) = chars.peek() {
                if !(c.is_ascii_alphanumeric() || c == '_') || name.len() > 40 {
                    break;
                }
                name.push(c);
                chars.next();
            }
            Err(CurlError::ShellExpansion(name))
        }
        Some('{') => Err(CurlError::ShellExpansion("${…}".into())),
        Some('(') => Err(CurlError::ShellExpansion("$(…)".into())),
        _ => {
            word.push('$');
            Ok(())
        }
    }
}

/// The body of a `$'…'` string (after its opening quote), with bash's ANSI-C escapes.
fn ansi_c(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    word: &mut String,
) -> Result<(), CurlError> {
    loop {
        match chars.next() {
            None => return Err(CurlError::Unclosed('\'')),
            Some('\'') => return Ok(()),
            Some('\\') => {
                let Some(e) = chars.next() else {
                    return Err(CurlError::Unclosed('\''));
                };
                match e {
                    'n' => word.push('\n'),
                    't' => word.push('\t'),
                    'r' => word.push('\r'),
                    'a' => word.push('\u{7}'),
                    'b' => word.push('\u{8}'),
                    'e' | 'E' => word.push('\u{1b}'),
                    'f' => word.push('\u{c}'),
                    'v' => word.push('\u{b}'),
                    'x' => push_code(word, hex_digits(chars, 2), 'x'),
                    'u' => push_code(word, hex_digits(chars, 4), 'u'),
                    'U' => push_code(word, hex_digits(chars, 8), 'U'),
                    '0'..='7' => {
                        let mut n = e.to_digit(8).unwrap_or(0);
                        for _ in 0..2 {
                            match chars.peek().and_then(|c| c.to_digit(8)) {
                                Some(d) => {
                                    n = n * 8 + d;
                                    chars.next();
                                }
                                None => break,
                            }
                        }
                        push_code(word, Some(n), '0');
                    }
                    'c' => {
                        let control = chars.next().map(|c| (c as u32) & 0x1f);
                        push_code(word, control, 'c');
                    }
                    // \\ \' \" \? and any other: the character itself.
                    other => word.push(other),
                }
            }
            Some(c) => word.push(c),
        }
    }
}

/// Up to `max` hex digits as a number (none: `None`).
fn hex_digits(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, max: usize) -> Option<u32> {
    let mut n: u32 = 0;
    let mut any = false;
    for _ in 0..max {
        match chars.peek().and_then(|c| c.to_digit(16)) {
            Some(d) => {
                n = n.saturating_mul(16).saturating_add(d);
                any = true;
                chars.next();
            }
            None => break,
        }
    }
    any.then_some(n)
}

/// A code from an escape; no digits is the escape as written, and a code that is no character
/// becomes U+FFFD (text, not bytes, is what a header or body holds here).
fn push_code(word: &mut String, code: Option<u32>, escape: char) {
    match code {
        Some(n) => word.push(char::from_u32(n).unwrap_or('\u{fffd}')),
        None => {
            word.push('\\');
            word.push(escape);
        }
    }
}

/// Splits a cmd.exe command line as cmd and then the C runtime would: first cmd's carets
/// (`^x` is `x`, `^` + line break continues the line) outside its own quotes, then the
/// runtime's words (`"` groups, `\"` is a quote, backslashes before a quote halve).
fn cmd_words(text: &str) -> Result<Vec<String>, CurlError> {
    let text = text.replace("\r\n", "\n");
    let mut line = String::with_capacity(text.len());
    let mut quoted = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '^' if !quoted => match chars.next() {
                // `^` + line break: the break is gone and the next character is taken as is
                // (a second line break then stays: Chrome writes a newline in data so).
                Some('\n') => match chars.next() {
                    Some(next) => line.push(next),
                    None => break,
                },
                Some(next) => line.push(next),
                None => break,
            },
            '"' => {
                quoted = !quoted;
                line.push('"');
            }
            '\n' if !quoted => line.push(' '),
            other => line.push(other),
        }
    }
    if quoted {
        return Err(CurlError::Unclosed('"'));
    }
    Ok(crt_words(&line))
}

/// The Microsoft C runtime's rules for splitting a command line into arguments.
fn crt_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let mut count = 1;
                while chars.peek() == Some(&'\\') {
                    chars.next();
                    count += 1;
                }
                in_word = true;
                if chars.peek() == Some(&'"') {
                    word.extend(std::iter::repeat_n('\\', count / 2));
                    if count % 2 == 1 {
                        chars.next();
                        word.push('"');
                    }
                } else {
                    word.extend(std::iter::repeat_n('\\', count));
                }
            }
            '"' => {
                in_word = true;
                if quoted && chars.peek() == Some(&'"') {
                    // `""` inside quotes is a literal quote.
                    chars.next();
                    word.push('"');
                } else {
                    quoted = !quoted;
                }
            }
            ' ' | '\t' | '\n' if !quoted => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            other => {
                in_word = true;
                word.push(other);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// What an option does with the request.
#[derive(Clone, Copy)]
enum Opt {
    Method,
    Header,
    /// `-d`, `--data`, `--data-ascii`, `--data-binary`: `@file` reads a file.
    Data,
    /// `--data-raw`: `@` is a character like any other.
    DataRaw,
    DataUrlencode,
    Json,
    Cookie,
    User,
    UserAgent,
    Referer,
    Url,
    Get,
    /// Changes nothing here; the note says why.
    Ignored(&'static str),
    /// Takes a value and changes nothing here; the note says why.
    IgnoredValue(&'static str),
    /// Turned off certificate checks, which this program never does.
    Insecure,
}

impl Opt {
    fn takes_value(self) -> bool {
        !matches!(self, Opt::Get | Opt::Ignored(_) | Opt::Insecure)
    }
}

const COMPRESSED: &str = "every request already offers gzip, br, zstd and deflate";
const QUIET: &str = "it only changes what curl prints";
const LOCATION: &str = "redirects are followed as the form's Redirects setting says";
const PROTOCOL: &str = "the HTTP version is agreed with the server";
const TIMEOUT: &str = "a stream stays open; its idle timeout is in the form";

fn long_option(name: &str) -> Option<Opt> {
    Some(match name {
        "--request" => Opt::Method,
        "--header" => Opt::Header,
        "--data" | "--data-ascii" | "--data-binary" => Opt::Data,
        "--data-raw" => Opt::DataRaw,
        "--data-urlencode" => Opt::DataUrlencode,
        "--json" => Opt::Json,
        "--cookie" => Opt::Cookie,
        "--user" => Opt::User,
        "--user-agent" => Opt::UserAgent,
        "--referer" => Opt::Referer,
        "--url" => Opt::Url,
        "--get" => Opt::Get,
        "--compressed" => Opt::Ignored(COMPRESSED),
        "--silent"
        | "--show-error"
        | "--verbose"
        | "--include"
        | "--no-progress-meter"
        | "--progress-bar"
        | "--fail"
        | "--fail-with-body" => Opt::Ignored(QUIET),
        "--no-buffer" => Opt::Ignored("events are always read as they arrive"),
        "--location" => Opt::Ignored(LOCATION),
        "--http1.1" | "--http2" | "--http2-prior-knowledge" | "--http1.0" => Opt::Ignored(PROTOCOL),
        "--insecure" => Opt::Insecure,
        "--max-time" | "--connect-timeout" => Opt::IgnoredValue(TIMEOUT),
        "--output" | "--write-out" => Opt::IgnoredValue(QUIET),
        _ => return None,
    })
}

fn short_option(c: char) -> Option<Opt> {
    Some(match c {
        'X' => Opt::Method,
        'H' => Opt::Header,
        'd' => Opt::Data,
        'b' => Opt::Cookie,
        'u' => Opt::User,
        'A' => Opt::UserAgent,
        'e' => Opt::Referer,
        'G' => Opt::Get,
        's' | 'S' | 'v' | 'i' | 'f' | '#' => Opt::Ignored(QUIET),
        'N' => Opt::Ignored("events are always read as they arrive"),
        'L' => Opt::Ignored(LOCATION),
        'k' => Opt::Insecure,
        'm' => Opt::IgnoredValue(TIMEOUT),
        'o' | 'w' => Opt::IgnoredValue(QUIET),
        _ => return None,
    })
}

/// The request being built from the options, in the order given.
#[derive(Default)]
struct Building {
    urls: Vec<String>,
    method: Option<String>,
    headers: Vec<StoredHeader>,
    data: Vec<String>,
    json: bool,
    get: bool,
    notes: Vec<String>,
}

fn options(words: impl Iterator<Item = String>) -> Result<CurlDraft, CurlError> {
    let mut b = Building::default();
    let mut words = words.peekable();
    let mut options_end = false;
    while let Some(word) = words.next() {
        if options_end || !word.starts_with('-') || word == "-" {
            b.urls.push(word);
            continue;
        }
        if word == "--" {
            options_end = true;
            continue;
        }
        if word.starts_with("--") {
            let opt = long_option(&word).ok_or_else(|| unknown(&word))?;
            let value = if opt.takes_value() {
                Some(
                    words
                        .next()
                        .ok_or_else(|| CurlError::MissingValue(word.clone()))?,
                )
            } else {
                None
            };
            apply(&mut b, opt, &word, value)?;
            continue;
        }
        // Short options may be bundled (`-sSL`), and one taking a value may carry it (`-XPOST`).
        let mut rest = word[1..].chars();
        while let Some(c) = rest.next() {
            let name = format!("-{c}");
            let opt = short_option(c).ok_or_else(|| unknown(&name))?;
            if opt.takes_value() {
                let attached: String = rest.by_ref().collect();
                let value = if attached.is_empty() {
                    words
                        .next()
                        .ok_or_else(|| CurlError::MissingValue(name.clone()))?
                } else {
                    attached
                };
                apply(&mut b, opt, &name, Some(value))?;
                break;
            }
            apply(&mut b, opt, &name, None)?;
        }
    }
    finish(b)
}

fn unknown(option: &str) -> CurlError {
    // A `--opt=value` spelling (curl has none) is named without what follows `=`.
    let name = option.split('=').next().unwrap_or(option);
    match name {
        "-F" | "--form" | "--form-string" => CurlError::Unsupported {
            option: name.into(),
            why: "a multipart form is sent once, not as a stream's request",
        },
        "-T" | "--upload-file" => CurlError::Unsupported {
            option: name.into(),
            why: "an upload reads a file",
        },
        "-x" | "--proxy" => CurlError::Unsupported {
            option: name.into(),
            why: "set the proxy in the form's connection settings",
        },
        _ => CurlError::UnknownOption(shown_option(name)),
    }
}

/// An option's name as an error shows it: cut short, unquoted when it is plain.
fn shown_option(name: &str) -> String {
    if name.chars().count() <= 60 && name.chars().all(|c| c.is_ascii_graphic()) {
        name.to_string()
    } else {
        shown(name)
    }
}

fn apply(b: &mut Building, opt: Opt, name: &str, value: Option<String>) -> Result<(), CurlError> {
    let value = value.unwrap_or_default();
    match opt {
        Opt::Method => b.method = Some(value),
        Opt::Header => header(b, name, &value)?,
        Opt::Data => {
            if let Some(file) = value.strip_prefix('@') {
                return Err(file_ref(name, file));
            }
            b.data.push(value);
        }
        Opt::DataRaw => b.data.push(value),
        Opt::DataUrlencode => b.data.push(urlencoded(name, &value)?),
        Opt::Json => {
            if let Some(file) = value.strip_prefix('@') {
                return Err(file_ref(name, file));
            }
            // curl joins --json pieces with nothing between them.
            match b.data.last_mut() {
                Some(last) if b.json => last.push_str(&value),
                _ => b.data.push(value),
            }
            b.json = true;
        }
        Opt::Cookie => {
            if !value.contains('=') {
                return Err(file_ref(name, &value));
            }
            push_header(b, "Cookie", value);
        }
        Opt::User => {
            let Some((user, password)) = value.split_once(':') else {
                return Err(CurlError::NoPassword(name.into()));
            };
            let token =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            push_header(b, "Authorization", format!("Basic {token}"));
        }
        Opt::UserAgent => push_header(b, "User-Agent", value),
        Opt::Referer => {
            // `;auto` asks curl to update it on redirects: not part of the value.
            let referer = value.strip_suffix(";auto").unwrap_or(&value).to_string();
            if !referer.is_empty() {
                push_header(b, "Referer", referer);
            }
        }
        Opt::Url => b.urls.push(value),
        Opt::Get => b.get = true,
        Opt::Ignored(why) | Opt::IgnoredValue(why) => {
            b.notes.push(format!("{name} ignored: {why}."));
        }
        Opt::Insecure => b.notes.push(format!(
            "{name} ignored: certificates are always checked. For a self-signed server, trust \
             its CA certificate instead."
        )),
    }
    Ok(())
}

fn file_ref(option: &str, file: &str) -> CurlError {
    CurlError::FileReference {
        option: option.into(),
        file: shown(file),
    }
}

/// `-H` as curl reads it: `Name: value`; `Name;` is an empty value; `Name:` (curl's way to
/// drop a header it adds itself) adds nothing.
fn header(b: &mut Building, option: &str, line: &str) -> Result<(), CurlError> {
    if let Some(file) = line.strip_prefix('@') {
        return Err(file_ref(option, file));
    }
    let (name, value) = match line.split_once(':') {
        Some((name, value)) => {
            let value = value.trim();
            if value.is_empty() {
                b.notes.push(format!(
                    "{option} {:?} ignored: it removes a header curl adds itself.",
                    name.trim()
                ));
                return Ok(());
            }
            (name, value.to_string())
        }
        None => match line.trim_end().strip_suffix(';') {
            Some(name) => (name, String::new()),
            None => {
                return Err(CurlError::BadHeader {
                    option: option.into(),
                })
            }
        },
    };
    let name = name.trim();
    if name.is_empty() || name.contains(char::is_whitespace) {
        return Err(CurlError::BadHeader {
            option: option.into(),
        });
    }
    if let Some(why) = DROPPED_HEADERS
        .iter()
        .find(|(dropped, _)| dropped.eq_ignore_ascii_case(name))
        .map(|(_, why)| why)
    {
        b.notes.push(format!("{name} left out: {why}."));
        return Ok(());
    }
    // A browser's copy of an EventSource or fetch request repeats what every request sends
    // already; kept, it would go out twice.
    if crate::connection::STREAM_HEADERS
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case(name) && v.eq_ignore_ascii_case(&value))
    {
        b.notes
            .push(format!("{name}: {value} left out: every request sends it."));
        return Ok(());
    }
    push_header(b, name, value);
    Ok(())
}

/// Headers a browser copies that belong to its own connection, not to the request: sending
/// them would break HTTP/2 or the body's framing, or turn off decompression.
const DROPPED_HEADERS: &[(&str, &str)] = &[
    ("Accept-Encoding", COMPRESSED),
    ("Connection", "the connection is managed for you"),
    ("Keep-Alive", "the connection is managed for you"),
    ("Proxy-Connection", "the connection is managed for you"),
    (
        "Transfer-Encoding",
        "the body's framing is set when it is sent",
    ),
    ("Upgrade", "the connection is managed for you"),
    ("TE", "the connection is managed for you"),
    ("Host", "it is taken from the URL"),
    ("Content-Length", "it is counted when the body is sent"),
];

fn push_header(b: &mut Building, name: &str, value: String) {
    b.headers.push(StoredHeader {
        name: name.to_string(),
        secret: secret_by_default(name),
        value,
    });
}

/// `--data-urlencode`'s forms: `content`, `=content`, `name=content` (the content encoded);
/// `@file` and `name@file` read a file.
fn urlencoded(option: &str, value: &str) -> Result<String, CurlError> {
    let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    if let Some(content) = value.strip_prefix('=') {
        return Ok(encode(content));
    }
    let eq = value.find('=');
    let at = value.find('@');
    match (eq, at) {
        (Some(e), Some(a)) if a < e => Err(file_ref(option, &value[a + 1..])),
        (None, Some(a)) => Err(file_ref(option, &value[a + 1..])),
        (Some(e), _) => Ok(format!("{}={}", &value[..e], encode(&value[e + 1..]))),
        (None, None) => Ok(encode(value)),
    }
}

fn has_header(b: &Building, name: &str) -> bool {
    b.headers.iter().any(|h| h.name.eq_ignore_ascii_case(name))
}

fn finish(mut b: Building) -> Result<CurlDraft, CurlError> {
    let mut url = match b.urls.len() {
        0 => return Err(CurlError::NoUrl),
        1 => b.urls.remove(0),
        _ => return Err(CurlError::ManyUrls),
    };
    if !url.contains("://") {
        // curl's own guess for a bare host.
        url = format!("http://{url}");
        b.notes
            .push("The URL had no scheme: http:// added, as curl does.".into());
    }
    let data = (!b.data.is_empty()).then(|| b.data.join("&"));
    let mut body = None;
    match data {
        Some(data) if b.get => {
            let sep = if url.contains('?') { '&' } else { '?' };
            url = format!("{url}{sep}{data}");
        }
        Some(data) => {
            if b.json {
                for (name, value) in [
                    ("Content-Type", "application/json"),
                    ("Accept", "application/json"),
                ] {
                    if !has_header(&b, name) {
                        push_header(&mut b, name, value.into());
                        b.notes
                            .push(format!("{name}: {value} added, as curl --json does."));
                    }
                }
            } else if !has_header(&b, "Content-Type") {
                push_header(
                    &mut b,
                    "Content-Type",
                    "application/x-www-form-urlencoded".into(),
                );
                b.notes.push(
                    "Content-Type: application/x-www-form-urlencoded added, as curl does for \
                     data."
                        .into(),
                );
            }
            body = Some(data);
        }
        None => {}
    }
    let method = match b.method {
        Some(m) => crate::catalog::validate::normalize_method(&m),
        None if b.get => "GET".into(),
        None if body.is_some() => "POST".into(),
        None => "GET".into(),
    };
    Ok(CurlDraft {
        url,
        method,
        headers: b.headers,
        body,
        notes: b.notes,
    })
}
