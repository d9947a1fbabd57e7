//! The assembled answer, bounded in bytes.

/// How much assembled text a tracker keeps: a long answer is a few hundred KiB at most, and a
/// stream that never ends must not grow memory without limit.
pub const TEXT_CAP_BYTES: usize = 1024 * 1024;

/// Text appended up to a byte cap, cut on a character boundary.
#[derive(Debug, Clone)]
pub(super) struct BoundedText {
    text: String,
    cap: usize,
    truncated: bool,
}

impl BoundedText {
    pub(super) fn new(cap: usize) -> Self {
        BoundedText {
            text: String::new(),
            cap,
            truncated: false,
        }
    }

    /// Appends as much of `delta` as fits; what does not is counted as truncation.
    pub(super) fn push(&mut self, delta: &str) {
        if delta.is_empty() || self.truncated {
            if !delta.is_empty() {
                self.truncated = true;
            }
            return;
        }
        let room = self.cap.saturating_sub(self.text.len());
        if delta.len() <= room {
            self.text.push_str(delta);
            return;
        }
        self.text
            .push_str(&delta[..floor_char_boundary(delta, room)]);
        self.truncated = true;
    }

    pub(super) fn as_str(&self) -> &str {
        &self.text
    }

    pub(super) fn truncated(&self) -> bool {
        self.truncated
    }
}

/// The largest index `<= at` that starts a character of `s`.
fn floor_char_boundary(s: &str, at: usize) -> usize {
    if at >= s.len() {
        return s.len();
    }
    // A UTF-8 character is at most 4 bytes, so a boundary is at most 3 bytes back.
    (at.saturating_sub(3)..=at)
        .rev()
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_everything_under_the_cap() {
        let mut text = BoundedText::new(10);
        text.push("héllo");
        text.push("");
        text.push("!");
        assert_eq!(text.as_str(), "héllo!");
        assert!(!text.truncated());
    }

    #[test]
    fn cuts_on_a_character_boundary() {
        let mut text = BoundedText::new(5);
        // "ab" then a 4-byte emoji: 6 bytes, the emoji cannot be split.
        text.push("ab😀");
        assert_eq!(text.as_str(), "ab");
        assert!(text.truncated());
        text.push("c");
        assert_eq!(text.as_str(), "ab");
    }

    #[test]
    fn exactly_the_cap_is_not_truncated() {
        let mut text = BoundedText::new(3);
        text.push("abc");
        assert!(!text.truncated());
        text.push("d");
        assert!(text.truncated());
        assert_eq!(text.as_str(), "abc");
    }
}
