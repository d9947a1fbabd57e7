//! Notification text for desktop notification servers that read markup.
//!
//! The freedesktop notification spec lets a server interpret a subset of HTML in the body
//! (`<b>`, `<i>`, `<a href>`, `<img>`), and GNOME Shell, KDE and dunst do. A body carries text a
//! monitored server sent, so unescaped it could hide words, draw links or load images. The
//! in-app list keeps the original text: only what goes to such a server is escaped.

use std::borrow::Cow;

/// `text` with `&`, `<` and `>` as entities, so a markup-reading notification server shows it
/// literally; unchanged (and not copied) when it has none of them.
pub fn escape_markup(text: &str) -> Cow<'_, str> {
    if !text.contains(['&', '<', '>']) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_characters_become_entities() {
        assert_eq!(
            escape_markup("<b>hi</b> & <a href=\"x\">y</a>"),
            "&lt;b&gt;hi&lt;/b&gt; &amp; &lt;a href=\"x\"&gt;y&lt;/a&gt;"
        );
        // An entity already in the text is shown as written, not decoded.
        assert_eq!(escape_markup("&lt;"), "&amp;lt;");
        assert_eq!(escape_markup("<img src=x>"), "&lt;img src=x&gt;");
    }

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        for plain in ["", "feed is down: 503", "ünïcode \"quotes\" 'x'"] {
            assert!(matches!(escape_markup(plain), Cow::Borrowed(s) if s == plain));
        }
    }
}
