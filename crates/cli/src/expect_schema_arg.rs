//! `--expect-schema [TYPE=]FILE`: a JSON Schema read from FILE that events of TYPE (or, without
//! TYPE, every event) must match. Shared by `watch` and `subs add|edit`.

use crate::usage::UsageError;
use std::io::Read;
use std::path::Path;
use streamwatch_engine::catalog::validate::check_expectations;
use streamwatch_engine::expectations::{Expectation, MAX_SCHEMA_BYTES};

/// Reads each `[TYPE=]FILE` into an expectation, checked as the catalog checks them (the
/// schema compiles, no remote `$ref`); the error names the flag and the file.
pub fn expectations(args: &[String]) -> Result<Vec<Expectation>, UsageError> {
    let list = args.iter().map(|a| one(a)).collect::<Result<Vec<_>, _>>()?;
    check_expectations(&list)
        .map_err(|e| UsageError::Invalid(format!("--expect-schema: {}", e.message)))?;
    Ok(list)
}

fn one(arg: &str) -> Result<Expectation, UsageError> {
    // A file whose own name holds "=" is still a file: the whole argument is tried first.
    let (event_type, file) = match arg.split_once('=') {
        Some((t, f)) if !t.is_empty() && !Path::new(arg).is_file() => (Some(t.to_string()), f),
        _ => (None, arg),
    };
    let bad = |why: String| UsageError::Invalid(format!("--expect-schema {arg:?}: {why}"));
    let mut text = String::new();
    std::fs::File::open(file)
        .map_err(|e| bad(format!("cannot read {file}: {e}")))?
        // One byte past the cap tells "too large" from "just fits".
        .take(MAX_SCHEMA_BYTES as u64 * 4 + 1)
        .read_to_string(&mut text)
        .map_err(|e| bad(format!("cannot read {file}: {e}")))?;
    if text.len() > MAX_SCHEMA_BYTES * 4 {
        return Err(bad(format!("{file} is too large for a schema")));
    }
    let schema =
        serde_json::from_str(&text).map_err(|e| bad(format!("{file} is not JSON: {e}")))?;
    Ok(Expectation { event_type, schema })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_and_file_are_read_and_bad_schemas_name_the_flag() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("s.json");
        std::fs::write(&good, r#"{"type":"object"}"#).unwrap();
        let path = good.to_str().unwrap();
        let list = expectations(&[format!("tick={path}"), path.to_string()]).unwrap();
        assert_eq!(list[0].event_type.as_deref(), Some("tick"));
        assert_eq!(list[1].event_type, None);

        let remote = dir.path().join("r.json");
        std::fs::write(&remote, r#"{"$ref":"https://example.com/x.json"}"#).unwrap();
        let err = expectations(&[remote.to_str().unwrap().to_string()])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--expect-schema") && err.contains("https://example.com/x.json"),
            "{err}"
        );

        let not_json = dir.path().join("n.json");
        std::fs::write(&not_json, "{").unwrap();
        let err = expectations(&[not_json.to_str().unwrap().to_string()])
            .unwrap_err()
            .to_string();
        assert!(err.contains("not JSON"), "{err}");
        let err = expectations(&["t=/no/such/file.json".into()])
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot read /no/such/file.json"), "{err}");
    }
}
