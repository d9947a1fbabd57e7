//! The tray's menu as plain data. On Linux the tray has no tooltip and no click events
//! (libayatana-appindicator), so the menu's text carries the status: a headline with the
//! counts, then one line per subscription with a glyph that reads without colour.

use super::health::{Condition, Level, Snapshot};
use crate::ids::SubscriptionId;

/// Subscriptions listed in the menu; the rest are summed up in one line that opens the window.
pub const MAX_LISTED: usize = 25;
/// Longest name shown before it is cut with an ellipsis.
const MAX_NAME_CHARS: usize = 40;

/// One subscription's line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuEntry {
    /// Choosing it shows the window on this subscription.
    pub id: SubscriptionId,
    /// Glyph, name and condition, e.g. `↻ Orders — retrying 3`.
    pub text: String,
}

/// Everything the tray shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrayMenu {
    /// Which icon.
    pub level: Level,
    /// The first line, e.g. `5 open · 1 retrying · 0 failed`.
    pub headline: String,
    /// One line per subscription (at most [`MAX_LISTED`]).
    pub entries: Vec<MenuEntry>,
    /// `and 12 more…` when some were left out.
    pub more: Option<String>,
    /// Whether "Pause all" has something to pause.
    pub can_pause_all: bool,
    /// Whether "Resume all" has something to resume.
    pub can_resume_all: bool,
}

/// The glyph of a condition: shape, not colour, tells them apart.
pub fn glyph(c: Condition) -> &'static str {
    match c {
        Condition::Open => "●",
        Condition::Stale => "◌",
        Condition::Waiting => "○",
        Condition::Connecting => "◔",
        Condition::Retrying { .. } => "↻",
        Condition::Down { .. } => "▼",
        Condition::Failed => "✕",
        Condition::Paused => "‖",
        Condition::Stopped => "■",
        Condition::Offline => "⌁",
    }
}

impl TrayMenu {
    /// The menu for a health snapshot.
    pub fn from_snapshot(s: &Snapshot) -> TrayMenu {
        let headline = if s.subs.is_empty() {
            "No subscriptions".to_string()
        } else if s.offline > 0 {
            // The machine's state first: it explains every other number.
            let mut parts = vec![format!("Offline · {} waiting for the network", s.offline)];
            if s.open > 0 {
                parts.push(format!("{} open", s.open));
            }
            parts.join(" · ")
        } else {
            let mut parts = vec![
                format!("{} open", s.open),
                format!("{} retrying", s.retrying),
                format!("{} failed", s.failed),
            ];
            if s.stale > 0 {
                parts.push(format!("{} stale", s.stale));
            }
            if s.paused > 0 {
                parts.push(format!("{} paused", s.paused));
            }
            parts.join(" · ")
        };
        let entries = s
            .subs
            .iter()
            .take(MAX_LISTED)
            .map(|sub| MenuEntry {
                id: sub.id,
                text: format!(
                    "{} {} — {}",
                    glyph(sub.condition),
                    shorten(&sub.name),
                    sub.condition.word()
                ),
            })
            .collect();
        let hidden = s.subs.len().saturating_sub(MAX_LISTED);
        TrayMenu {
            level: s.level,
            headline,
            entries,
            more: (hidden > 0).then(|| format!("and {hidden} more…")),
            can_pause_all: s
                .subs
                .iter()
                .any(|x| !matches!(x.condition, Condition::Paused)),
            can_resume_all: s.paused > 0,
        }
    }
}

fn shorten(name: &str) -> String {
    if name.chars().count() <= MAX_NAME_CHARS {
        return name.to_string();
    }
    let mut cut: String = name.chars().take(MAX_NAME_CHARS - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::health::{aggregate, SubHealth};

    fn snapshot(conditions: &[(&str, Condition)]) -> Snapshot {
        let subs: Vec<SubHealth> = conditions
            .iter()
            .enumerate()
            .map(|(i, (name, c))| SubHealth {
                id: SubscriptionId(i as u64 + 1),
                name: name.to_string(),
                condition: *c,
            })
            .collect();
        let n = |f: &dyn Fn(Condition) -> bool| subs.iter().filter(|s| f(s.condition)).count();
        Snapshot {
            open: n(&|c| matches!(c, Condition::Open | Condition::Stale | Condition::Waiting)),
            retrying: n(&|c| {
                matches!(
                    c,
                    Condition::Connecting | Condition::Retrying { .. } | Condition::Down { .. }
                )
            }),
            stale: n(&|c| c == Condition::Stale),
            down: n(&|c| matches!(c, Condition::Down { .. })),
            failed: n(&|c| c == Condition::Failed),
            paused: n(&|c| c == Condition::Paused),
            offline: n(&|c| c == Condition::Offline),
            level: aggregate(subs.iter().map(|s| s.condition)),
            subs,
        }
    }

    #[test]
    fn the_headline_counts_like_the_issue_says() {
        let mut list = vec![("a", Condition::Open); 5];
        list.push(("b", Condition::Retrying { attempt: 2 }));
        let m = TrayMenu::from_snapshot(&snapshot(&list));
        assert_eq!(m.headline, "5 open · 1 retrying · 0 failed");
        assert_eq!(m.level, Level::Warning);
    }

    #[test]
    fn stale_and_paused_are_added_only_when_present() {
        let m = TrayMenu::from_snapshot(&snapshot(&[
            ("a", Condition::Stale),
            ("b", Condition::Paused),
            ("c", Condition::Failed),
        ]));
        assert_eq!(
            m.headline,
            "1 open · 0 retrying · 1 failed · 1 stale · 1 paused"
        );
        assert_eq!(m.level, Level::Down);
    }

    #[test]
    fn each_subscription_has_a_glyph_name_and_word() {
        let m = TrayMenu::from_snapshot(&snapshot(&[
            ("Orders", Condition::Open),
            ("Billing", Condition::Down { attempt: 4 }),
            ("Chat", Condition::Paused),
        ]));
        let texts: Vec<&str> = m.entries.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "● Orders — open",
                "▼ Billing — down · retrying 4",
                "‖ Chat — paused"
            ]
        );
        assert_eq!(m.entries[1].id, SubscriptionId(2));
        assert!(m.can_pause_all && m.can_resume_all);
    }

    #[test]
    fn glyphs_are_all_different() {
        let all = [
            Condition::Open,
            Condition::Stale,
            Condition::Connecting,
            Condition::Retrying { attempt: 1 },
            Condition::Down { attempt: 1 },
            Condition::Failed,
            Condition::Paused,
            Condition::Stopped,
        ];
        let set: std::collections::HashSet<_> = all.iter().map(|c| glyph(*c)).collect();
        assert_eq!(set.len(), all.len());
    }

    #[test]
    fn empty_and_all_paused() {
        let m = TrayMenu::from_snapshot(&snapshot(&[]));
        assert_eq!(
            (m.headline.as_str(), m.level),
            ("No subscriptions", Level::Paused)
        );
        assert!(!m.can_pause_all && !m.can_resume_all);
        let m = TrayMenu::from_snapshot(&snapshot(&[("a", Condition::Paused)]));
        assert_eq!(m.level, Level::Paused);
        assert!(!m.can_pause_all && m.can_resume_all);
    }

    #[test]
    fn long_lists_and_names_are_cut() {
        let long = "x".repeat(100);
        let list = vec![(long.as_str(), Condition::Open); MAX_LISTED + 3];
        let m = TrayMenu::from_snapshot(&snapshot(&list));
        assert_eq!(m.entries.len(), MAX_LISTED);
        assert_eq!(m.more.as_deref(), Some("and 3 more…"));
        assert!(m.entries[0].text.contains('…'));
        assert!(m.entries[0].text.chars().count() < 60);
    }
}
