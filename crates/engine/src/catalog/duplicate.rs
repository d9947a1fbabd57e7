//! Duplicating a saved subscription: same settings under the first free copy name, and secrets
//! of its own. The copy's secret headers and URL credentials are read from the keyring and
//! sealed again into new items, so removing either subscription never takes the other's
//! secrets with it.

use super::error::CatalogError;
use super::saved::Catalog;
use super::sealing;
use super::validate::MAX_NAME_CHARS;
use crate::ids::SubscriptionId;

impl Catalog {
    /// Saves a copy of `id` named "<name> (copy)" (or the next free "(copy N)") with the same
    /// settings and new keyring items for its secrets; returns the copy's id.
    pub fn duplicate(&self, id: SubscriptionId) -> Result<SubscriptionId, CatalogError> {
        let original = self.subscription(id)?.record;
        let mut copy = sealing::reveal(self.secrets(), &original).map_err(|source| {
            CatalogError::SecretsOf {
                name: original.name.clone(),
                source,
            }
        })?;
        let taken: Vec<String> = self
            .subscriptions()?
            .into_iter()
            .map(|s| s.record.name.to_ascii_lowercase())
            .collect();
        copy.name = copy_name(&original.name, |n| taken.contains(&n.to_ascii_lowercase()));
        // Sealed as a new subscription's plain values: every secret gets a new keyring item.
        self.add(&copy)
    }
}

/// The name a duplicate gets: "<name> (copy)", then "<name> (copy 2)", "(copy 3)"… until one is
/// free, the original shortened when needed so the result stays within the name limit.
/// `taken` says whether a name is in use (the caller compares as the catalog does, ignoring
/// ASCII case).
pub fn copy_name(name: &str, taken: impl Fn(&str) -> bool) -> String {
    let name = name.trim();
    (1u64..)
        .map(|n| {
            let suffix = if n == 1 {
                " (copy)".to_string()
            } else {
                format!(" (copy {n})")
            };
            let room = MAX_NAME_CHARS.saturating_sub(suffix.chars().count());
            let base: String = name.chars().take(room).collect();
            format!("{}{suffix}", base.trim_end())
        })
        .find(|candidate| !taken(candidate))
        .expect("some copy number is free: finitely many names are taken")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_free_copy_name_is_chosen() {
        assert_eq!(copy_name("Orders", |_| false), "Orders (copy)");
        let taken = ["orders (copy)", "orders (copy 2)"];
        assert_eq!(
            copy_name(" Orders ", |n| taken
                .contains(&n.to_ascii_lowercase().as_str())),
            "Orders (copy 3)"
        );
    }

    #[test]
    fn a_long_name_is_shortened_to_fit_the_limit() {
        let long = "n".repeat(MAX_NAME_CHARS);
        let copy = copy_name(&long, |_| false);
        assert_eq!(copy.chars().count(), MAX_NAME_CHARS);
        assert!(copy.ends_with(" (copy)"), "{copy}");
        let second = copy_name(&long, |n| n == copy);
        assert_eq!(second.chars().count(), MAX_NAME_CHARS);
        assert!(second.ends_with(" (copy 2)"), "{second}");
    }
}
