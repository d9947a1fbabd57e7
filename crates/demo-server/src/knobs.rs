//! One request's settings: the server-wide [`DemoConfig`] overridden by query parameters.

use std::time::Duration;

use crate::compress::Compress;
use crate::config::DemoConfig;

/// The largest `size` accepted, so one query cannot make the server allocate without bound.
const MAX_SIZE: usize = 1 << 20;

/// A query parameter whose value cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("bad value {value:?} for query parameter `{name}`: {reason}")]
pub struct KnobError {
    name: String,
    value: String,
    reason: &'static str,
}

impl KnobError {
    fn new(name: &str, value: &str, reason: &'static str) -> Self {
        KnobError {
            name: name.to_owned(),
            value: value.to_owned(),
            reason,
        }
    }
}

/// Everything that shapes one `/events` response.
#[derive(Debug, Clone)]
pub(crate) struct Knobs {
    pub rate: f64,
    pub size: usize,
    pub event_types: Vec<String>,
    pub replay: usize,
    pub count: Option<u64>,
    pub close_after: Option<u64>,
    pub abort_after: Option<u64>,
    pub stall_after: Option<u64>,
    pub heartbeat: Option<Duration>,
    pub retry_ms: Option<u64>,
    pub status: Vec<u16>,
    pub status_key: String,
    pub retry_after: Option<u64>,
    pub content_type: Option<String>,
    pub trickle: Option<Duration>,
    pub skip: Option<u64>,
    pub crlf: bool,
    pub bom: bool,
    pub last_event_id: Option<u64>,
    /// Ignore `Last-Event-ID` and start every connection at id 1, like a server whose counter
    /// restarts with it.
    pub reset_ids: bool,
    /// On a resumed connection, first re-send this many events the client already has.
    pub resend: u64,
    /// After every this many events of one connection, number the next one 1 again without
    /// closing, like a server whose counter restarts mid-stream.
    pub jump_back: Option<u64>,
    /// Every event whose id is a multiple of this has `"n"` as a string (`"n":"12"`), breaking
    /// the schema a client expects of the others.
    pub bad_every: Option<u64>,
    /// Compress the body (`compress=gzip|br|zstd|deflate`, or `auto` to follow the client's
    /// `Accept-Encoding`), flushing after every write.
    pub compress: Option<Compress>,
}

impl Knobs {
    /// Applies `query` (decoded name/value pairs, the last of a repeated name wins) over `config`.
    pub(crate) fn from_query(
        config: &DemoConfig,
        query: &[(String, String)],
    ) -> Result<Knobs, KnobError> {
        let mut knobs = Knobs {
            rate: config.rate,
            size: config.size,
            event_types: config.event_types.clone(),
            replay: config.replay,
            count: None,
            close_after: config.close_after,
            abort_after: config.abort_after,
            stall_after: config.stall_after,
            heartbeat: config.heartbeat,
            retry_ms: config.retry_ms,
            status: config.status.clone(),
            status_key: String::new(),
            retry_after: None,
            content_type: config.content_type.clone(),
            trickle: config.trickle,
            skip: config.skip,
            crlf: false,
            bom: false,
            last_event_id: None,
            reset_ids: false,
            resend: 0,
            jump_back: None,
            bad_every: None,
            compress: None,
        };
        let mut key = None;
        for (name, value) in query {
            let v = value.as_str();
            match name.as_str() {
                "rate" => knobs.rate = parse_rate(name, v)?,
                "size" => knobs.size = parse_size(name, v)?,
                "types" => knobs.event_types = parse_types(name, v)?,
                "replay" => knobs.replay = parse_num(name, v)?,
                "count" => knobs.count = Some(parse_num(name, v)?),
                "close_after" => knobs.close_after = Some(parse_num(name, v)?),
                "abort_after" => knobs.abort_after = Some(parse_num(name, v)?),
                "stall_after" => knobs.stall_after = Some(parse_num(name, v)?),
                "heartbeat_ms" => knobs.heartbeat = parse_millis(name, v)?,
                "retry" => knobs.retry_ms = Some(parse_num(name, v)?),
                "status" => knobs.status = parse_status_list(name, v)?,
                "key" => key = Some(v.to_owned()),
                "retry_after" => knobs.retry_after = Some(parse_num(name, v)?),
                "content_type" => knobs.content_type = Some(v.to_owned()),
                "trickle_ms" => knobs.trickle = Some(Duration::from_millis(parse_num(name, v)?)),
                "skip" => knobs.skip = Some(parse_num(name, v)?).filter(|&k| k > 0),
                "crlf" => knobs.crlf = parse_flag(name, v)?,
                "bom" => knobs.bom = parse_flag(name, v)?,
                "reset_ids" => knobs.reset_ids = parse_flag(name, v)?,
                "resend" => knobs.resend = parse_num(name, v)?,
                "jump_back" => knobs.jump_back = Some(parse_num(name, v)?).filter(|&k| k > 0),
                "bad_every" => knobs.bad_every = Some(parse_num(name, v)?).filter(|&k| k > 0),
                "compress" => {
                    knobs.compress = Some(Compress::parse(v).ok_or_else(|| {
                        KnobError::new(name, v, "expected gzip, br, zstd, deflate or auto")
                    })?)
                }
                // Not a number means "no usable id": the client starts live, as a fresh one would.
                "lastEventId" => knobs.last_event_id = v.trim().parse().ok(),
                // Unknown names are allowed so tests can tag requests (e.g. `?test=resume`).
                _ => {}
            }
        }
        knobs.status_key = key.unwrap_or_else(|| join_status(&knobs.status));
        Ok(knobs)
    }
}

/// The status list as written in a query, the default key of its request counter.
pub(crate) fn join_status(status: &[u16]) -> String {
    status
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

fn parse_num<T: std::str::FromStr>(name: &str, value: &str) -> Result<T, KnobError> {
    value
        .trim()
        .parse()
        .map_err(|_| KnobError::new(name, value, "expected a non-negative integer"))
}

fn parse_rate(name: &str, value: &str) -> Result<f64, KnobError> {
    let rate: f64 = value
        .trim()
        .parse()
        .map_err(|_| KnobError::new(name, value, "expected a number"))?;
    if rate.is_finite() && rate >= 0.0 {
        Ok(rate)
    } else {
        Err(KnobError::new(name, value, "expected a finite number >= 0"))
    }
}

fn parse_size(name: &str, value: &str) -> Result<usize, KnobError> {
    let size: usize = parse_num(name, value)?;
    if size > MAX_SIZE {
        return Err(KnobError::new(name, value, "at most 1048576"));
    }
    Ok(size)
}

/// Zero turns the timer off.
fn parse_millis(name: &str, value: &str) -> Result<Option<Duration>, KnobError> {
    let ms: u64 = parse_num(name, value)?;
    Ok((ms > 0).then(|| Duration::from_millis(ms)))
}

fn parse_types(name: &str, value: &str) -> Result<Vec<String>, KnobError> {
    let types: Vec<String> = value
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    if types.is_empty() {
        return Err(KnobError::new(name, value, "expected at least one type"));
    }
    // A line break inside a type would inject fields into the stream.
    if types.iter().any(|t| t.contains(['\r', '\n'])) {
        return Err(KnobError::new(
            name,
            value,
            "types cannot contain line breaks",
        ));
    }
    Ok(types)
}

fn parse_status_list(name: &str, value: &str) -> Result<Vec<u16>, KnobError> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            let code: u16 = parse_num(name, s)?;
            if (200..=599).contains(&code) {
                Ok(code)
            } else {
                Err(KnobError::new(name, value, "statuses must be 200..=599"))
            }
        })
        .collect()
}

fn parse_flag(name: &str, value: &str) -> Result<bool, KnobError> {
    match value.trim() {
        "" | "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(KnobError::new(name, value, "expected 1 or 0")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn query_overrides_config() {
        let config = DemoConfig {
            status: vec![503, 200],
            ..DemoConfig::default()
        };
        let knobs = Knobs::from_query(
            &config,
            &q(&[
                ("rate", "0"),
                ("types", "a, b"),
                ("heartbeat_ms", "0"),
                ("bom", "1"),
                ("reset_ids", "1"),
                ("resend", "3"),
                ("jump_back", "4"),
                ("close_after", "5"),
                ("abort_after", "6"),
            ]),
        )
        .expect("valid");
        assert!(knobs.reset_ids);
        assert_eq!(knobs.resend, 3);
        assert_eq!(knobs.jump_back, Some(4));
        assert_eq!(knobs.close_after, Some(5));
        assert_eq!(knobs.abort_after, Some(6));
        assert_eq!(knobs.rate, 0.0);
        assert_eq!(knobs.event_types, vec!["a", "b"]);
        assert_eq!(knobs.heartbeat, None);
        assert!(knobs.bom);
        assert_eq!(knobs.status_key, "503,200");
    }

    #[test]
    fn rejects_bad_values() {
        let config = DemoConfig::default();
        for (name, value) in [
            ("rate", "-1"),
            ("rate", "NaN"),
            ("size", "x"),
            ("status", "99"),
            ("types", ","),
            ("crlf", "maybe"),
            ("reset_ids", "maybe"),
            ("resend", "-1"),
            ("jump_back", "x"),
            ("abort_after", "-1"),
            ("compress", "lzma"),
        ] {
            let err = Knobs::from_query(&config, &q(&[(name, value)]));
            assert!(err.is_err(), "{name}={value} accepted");
        }
    }
}
