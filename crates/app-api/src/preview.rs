//! How much of a message's data the window is sent: a 16 MiB event is stored whole, but the
//! live view and history pages carry its first [`PREVIEW_BYTES`] with `truncated` and the full
//! size; `views::message_text` fetches the rest when the user asks.

/// Bytes of data a message view carries at most.
pub const PREVIEW_BYTES: usize = 64 * 1024;

/// The longest prefix of `data` of at most `max` bytes that ends on a character boundary, and
/// whether that is less than all of it.
pub fn cut(data: &str, max: usize) -> (&str, bool) {
    if data.len() <= max {
        return (data, false);
    }
    let mut end = max;
    while !data.is_char_boundary(end) {
        end -= 1;
    }
    (&data[..end], true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_on_a_char_boundary_and_says_so() {
        assert_eq!(cut("abc", 3), ("abc", false));
        assert_eq!(cut("abcd", 3), ("abc", true));
        // "é" is two bytes: a cut inside it keeps the character out.
        assert_eq!(cut("aé", 2), ("a", true));
        assert_eq!(cut("€", 1), ("", true));
        let big = "x".repeat(PREVIEW_BYTES + 10);
        let (p, t) = cut(&big, PREVIEW_BYTES);
        assert_eq!((p.len(), t), (PREVIEW_BYTES, true));
    }
}
