//! Query knobs of the LLM endpoints: pace and faults.

use std::time::Duration;

use crate::knobs::join_status;

/// A query parameter of an LLM endpoint whose value cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("bad value {value:?} for query parameter `{name}`: {reason}")]
pub(crate) struct LlmKnobError {
    name: String,
    value: String,
    reason: &'static str,
}

/// How one LLM response is paced and broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LlmKnobs {
    /// The pause before each token (`token_ms`).
    pub token_gap: Duration,
    /// The pause before the first token instead (`first_token_ms`): time to first token.
    pub first_token_gap: Option<Duration>,
    /// Go silent before the first token, keeping the connection open (`stall_before_first=1`).
    pub stall_before_first: bool,
    /// End the body cleanly right before the end marker (`cut_before_end=1`).
    pub cut_before_end: bool,
    /// Cut the body off abruptly after this many tokens (`abort_after=N`).
    pub abort_after: Option<u64>,
    /// Statuses for successive requests with the same `key` (`status=429,200`); empty: 200.
    pub status: Vec<u16>,
    /// Which request counter `status` follows (`key`, else the list itself).
    pub status_key: String,
    /// `Retry-After` seconds on a 429 or 503 (`retry_after`).
    pub retry_after: Option<u64>,
}

impl LlmKnobs {
    /// `query` (decoded pairs, the last of a name wins) over the server's token pace.
    pub(crate) fn from_query(
        token_gap: Duration,
        query: &[(String, String)],
    ) -> Result<LlmKnobs, LlmKnobError> {
        let mut knobs = LlmKnobs {
            token_gap,
            first_token_gap: None,
            stall_before_first: false,
            cut_before_end: false,
            abort_after: None,
            status: Vec::new(),
            status_key: String::new(),
            retry_after: None,
        };
        let mut key = None;
        for (name, value) in query {
            let v = value.as_str();
            match name.as_str() {
                "token_ms" => knobs.token_gap = Duration::from_millis(parse_num(name, v)?),
                "first_token_ms" => {
                    knobs.first_token_gap = Some(Duration::from_millis(parse_num(name, v)?));
                }
                "stall_before_first" => knobs.stall_before_first = parse_flag(name, v)?,
                "cut_before_end" => knobs.cut_before_end = parse_flag(name, v)?,
                "abort_after" => knobs.abort_after = Some(parse_num(name, v)?),
                "status" => knobs.status = parse_status_list(name, v)?,
                "key" => key = Some(v.to_owned()),
                "retry_after" => knobs.retry_after = Some(parse_num(name, v)?),
                // Gemini's `alt` and `key`, and tags tests add, are not knobs.
                _ => {}
            }
        }
        knobs.status_key = key.unwrap_or_else(|| join_status(&knobs.status));
        Ok(knobs)
    }
}

fn parse_status_list(name: &str, value: &str) -> Result<Vec<u16>, LlmKnobError> {
    value
        .split(',')
        .map(|code| match code.trim().parse::<u16>() {
            Ok(code @ 200..=599) => Ok(code),
            _ => Err(LlmKnobError {
                name: name.to_owned(),
                value: value.to_owned(),
                reason: "expected HTTP statuses 200-599, comma separated",
            }),
        })
        .collect()
}

fn parse_num(name: &str, value: &str) -> Result<u64, LlmKnobError> {
    value.trim().parse().map_err(|_| LlmKnobError {
        name: name.to_owned(),
        value: value.to_owned(),
        reason: "expected a non-negative integer",
    })
}

fn parse_flag(name: &str, value: &str) -> Result<bool, LlmKnobError> {
    match value.trim() {
        "1" | "true" | "" => Ok(true),
        "0" | "false" => Ok(false),
        _ => Err(LlmKnobError {
            name: name.to_owned(),
            value: value.to_owned(),
            reason: "expected 1 or 0",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(query: &[(&str, &str)]) -> Vec<(String, String)> {
        query
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_and_overrides() {
        let gap = Duration::from_millis(30);
        let plain = LlmKnobs::from_query(gap, &[]).expect("no knobs");
        assert_eq!(plain.token_gap, gap);
        assert!(!plain.cut_before_end && !plain.stall_before_first);
        let set = LlmKnobs::from_query(
            gap,
            &pairs(&[
                ("token_ms", "0"),
                ("first_token_ms", "500"),
                ("cut_before_end", "1"),
                ("abort_after", "3"),
                ("alt", "sse"),
            ]),
        )
        .expect("valid knobs");
        assert_eq!(set.token_gap, Duration::ZERO);
        assert_eq!(set.first_token_gap, Some(Duration::from_millis(500)));
        assert!(set.cut_before_end);
        assert_eq!(set.abort_after, Some(3));
        let statuses =
            LlmKnobs::from_query(gap, &pairs(&[("status", "429,200"), ("retry_after", "2")]))
                .expect("valid statuses");
        assert_eq!(statuses.status, [429, 200]);
        assert_eq!(statuses.status_key, "429,200");
        assert_eq!(statuses.retry_after, Some(2));
    }

    #[test]
    fn bad_values_are_refused() {
        let err = LlmKnobs::from_query(Duration::ZERO, &pairs(&[("token_ms", "fast")]))
            .expect_err("not a number");
        assert!(err.to_string().contains("token_ms"));
        assert!(
            LlmKnobs::from_query(Duration::ZERO, &pairs(&[("cut_before_end", "yes")])).is_err()
        );
        assert!(LlmKnobs::from_query(Duration::ZERO, &pairs(&[("status", "429,99")])).is_err());
    }
}
