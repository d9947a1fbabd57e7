//! The generic format: the string at a user's JSON pointer (RFC 6901, e.g.
//! `/choices/0/delta/content`) in each event, concatenated.

use serde_json::Value;

use super::chunk::Chunk;

/// The text at `pointer` in this event, if that is a string. The event counts as recognised
/// only then.
pub(super) fn extract<'a>(pointer: &str, json: &'a Value) -> Option<Chunk<'a>> {
    let text = json.pointer(pointer)?.as_str()?;
    Some(Chunk {
        texts: vec![text],
        ..Chunk::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_at_the_pointer_only() {
        let event = json!({"choices": [{"delta": {"content": "Hi"}}], "n": 3, "a/b": {"~": "esc"}});
        assert_eq!(
            extract("/choices/0/delta/content", &event).map(|c| c.texts),
            Some(vec!["Hi"])
        );
        assert_eq!(
            extract("/a~1b/~0", &event).map(|c| c.texts),
            Some(vec!["esc"])
        );
        assert_eq!(extract("/n", &event), None);
        assert_eq!(extract("/missing", &event), None);
        assert_eq!(extract("no-slash", &event), None);
    }
}
