//! Continuity across reconnects: spotting missed events (gaps) and replayed ones (duplicates)
//! when a server numbers its events with increasing integer ids.

/// What to do with the first events after a (re)connect that resumed from a known id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Deliver it; continuity is confirmed (or cannot be judged).
    Deliver,
    /// The server replayed an event we already have: drop it.
    Duplicate,
    /// Ids jumped: `missed` events between `after` and `next` never arrived. Deliver it too.
    Gap {
        /// The last id we had.
        after: u64,
        /// The id that arrived.
        next: u64,
        /// How many ids were skipped.
        missed: u64,
    },
}

/// Parses an id as a plain non-negative decimal integer (no sign, no spaces, no leading `+`).
fn numeric(id: &str) -> Option<u64> {
    if id.is_empty() || id.len() > 20 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    id.parse().ok()
}

/// Judges an event's id against the id we resumed from. Only integer ids can be judged.
pub fn judge(resumed_from: &str, id: &str) -> Verdict {
    match (numeric(resumed_from), numeric(id)) {
        (Some(prev), Some(next)) if next <= prev => Verdict::Duplicate,
        (Some(prev), Some(next)) if next > prev + 1 => Verdict::Gap {
            after: prev,
            next,
            missed: next - prev - 1,
        },
        _ => Verdict::Deliver,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consecutive_ids_deliver() {
        assert_eq!(judge("41", "42"), Verdict::Deliver);
    }

    #[test]
    fn a_jump_is_a_gap_of_the_skipped_count() {
        assert_eq!(
            judge("41", "57"),
            Verdict::Gap {
                after: 41,
                next: 57,
                missed: 15
            }
        );
    }

    #[test]
    fn replayed_ids_are_duplicates() {
        assert_eq!(judge("41", "41"), Verdict::Duplicate);
        assert_eq!(judge("41", "3"), Verdict::Duplicate);
    }

    #[test]
    fn non_integer_ids_cannot_be_judged() {
        assert_eq!(judge("abc", "abd"), Verdict::Deliver);
        assert_eq!(judge("41", "x-42"), Verdict::Deliver);
        assert_eq!(judge("-1", "5"), Verdict::Deliver);
        assert_eq!(judge("", "5"), Verdict::Deliver);
        assert_eq!(judge("99999999999999999999999", "5"), Verdict::Deliver);
    }
}
