//! The add form's "Paste cURL": a pasted curl command read by the engine's one rule
//! ([`streamwatch_engine::catalog::from_curl`]) and handed back as the form's fields, with a
//! line saying what was filled and the options that changed nothing. A refusal is a
//! [`CommandError`] on the field `curl` (the paste box).

use serde::{Deserialize, Serialize};
use streamwatch_engine::catalog::parse_curl;
use ts_rs::TS;

use crate::dto::HeaderForm;
use crate::error::CommandError;

/// The form field a refused paste is reported on.
pub const CURL_FIELD: &str = "curl";

/// What a paste fills in the add form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "CurlPaste.ts")]
pub struct CurlPaste {
    pub url: String,
    pub method: String,
    /// In the order given; credentials (Authorization, Cookie, API keys…) marked secret.
    pub headers: Vec<HeaderForm>,
    pub body: Option<String>,
    /// What was filled, in words: "URL", "method POST", "3 headers (1 secret)", "body".
    pub filled: Vec<String>,
    /// Options that changed nothing here and what was added, one sentence each.
    pub notes: Vec<String>,
}

/// The form's fields for the pasted `text`.
pub fn curl_paste(text: &str) -> Result<CurlPaste, CommandError> {
    let draft =
        parse_curl(text).map_err(|e| CommandError::invalid(e.to_string(), Some(CURL_FIELD)))?;
    let secrets = draft.headers.iter().filter(|h| h.secret).count();
    let mut filled = vec!["URL".to_string(), format!("method {}", draft.method)];
    match (draft.headers.len(), secrets) {
        (0, _) => {}
        (1, 1) => filled.push("1 header (secret)".into()),
        (1, _) => filled.push("1 header".into()),
        (n, 0) => filled.push(format!("{n} headers")),
        (n, s) => filled.push(format!("{n} headers ({s} secret)")),
    }
    if draft.body.is_some() {
        filled.push("body".into());
    }
    Ok(CurlPaste {
        url: draft.url,
        method: draft.method,
        headers: draft
            .headers
            .into_iter()
            .map(|h| HeaderForm {
                name: h.name,
                value: h.value,
                secret: h.secret,
                has_stored_value: false,
            })
            .collect(),
        body: draft.body,
        filled,
        notes: draft.notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn a_paste_fills_the_form_and_says_what() {
        let p = curl_paste(
            "curl 'https://e.x/s' -H 'Authorization: Bearer t' -H 'Accept: application/json' \
             --data-raw '{}' -k",
        )
        .expect("parses");
        assert_eq!(p.url, "https://e.x/s");
        assert_eq!(p.method, "POST");
        assert_eq!(p.body.as_deref(), Some("{}"));
        assert_eq!(
            p.filled,
            ["URL", "method POST", "3 headers (1 secret)", "body"]
        );
        assert!(p.headers[0].secret && !p.headers[0].has_stored_value);
        assert!(!p.headers[1].secret);
        assert_eq!(p.headers[2].name, "Content-Type");
        assert_eq!(p.notes.len(), 2, "{:?}", p.notes);
        assert!(p.notes[0].starts_with("-k ignored"));
    }

    #[test]
    fn a_refusal_lands_on_the_paste_box() {
        let e = curl_paste("curl --foo https://e.x/").expect_err("refused");
        assert_eq!(e.message, "unknown curl option --foo");
        assert_eq!(e.field.as_deref(), Some(CURL_FIELD));
        assert_eq!(e.kind, ErrorKind::Invalid);
    }
}
