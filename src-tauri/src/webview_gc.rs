//! How the webview's JavaScript collector runs on Linux: every collection a full one, unless the
//! user chose otherwise.
//!
//! Measured (tests/e2e/BENCHMARKS.md, "Flat under a flood: the collector's generations"): under
//! a 10,000 events/s flood every log row lives ~10 s in the page, long enough for
//! JavaScriptCore's generational collector to promote it, and then dies in the old generation,
//! which only a full collection frees. Run as a person runs it (no WebDriver session), the app
//! kept its web process at ~280 MiB for 2–4 minutes and then stopped giving anything back: it
//! grew by ~3.7 MiB a second, to 1.6 and 2.3 GB in 10 minutes (two runs), while the page's
//! live heap stays ~30 MiB and the log kept up. With every collection a full one (each is
//! short, the live heap being small) the same flood stayed within 248–269 MiB for 10 minutes,
//! at the same CPU. WebKitGTK has no API for its collector; JavaScriptCore reads its
//! options from `JSC_*` variables in the web process's environment, which it inherits from us.

use std::ffi::OsString;

/// JavaScriptCore's switch for its generational collector: "0" makes every collection full.
pub const GENERATIONAL_GC: &str = "JSC_useGenerationalGC";

/// The variable to set before the first webview exists, given how the environment reads; none
/// when the user already set it (or off Linux, where WebKitGTK is not used).
pub fn collector_override(
    target_os: &str,
    env: impl Fn(&str) -> Option<OsString>,
) -> Option<(&'static str, &'static str)> {
    if target_os != "linux" || env(GENERATIONAL_GC).is_some() {
        return None;
    }
    Some((GENERATIONAL_GC, "0"))
}

/// Applies [`collector_override`] to this process; call first thing in `main`, while no other
/// thread can be reading the environment (the web process inherits it when WebKit spawns it).
pub fn choose_webview_collector() {
    if let Some((name, value)) = collector_override(std::env::consts::OS, |k| std::env::var_os(k)) {
        std::env::set_var(name, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_env::env_of;

    #[test]
    fn linux_makes_every_collection_full_by_default() {
        assert_eq!(
            collector_override("linux", env_of(&[])),
            Some((GENERATIONAL_GC, "0"))
        );
    }

    #[test]
    fn a_users_choice_is_kept() {
        assert_eq!(
            collector_override("linux", env_of(&[(GENERATIONAL_GC, "1")])),
            None
        );
        assert_eq!(
            collector_override("linux", env_of(&[(GENERATIONAL_GC, "0")])),
            None
        );
    }

    #[test]
    fn other_systems_are_left_alone() {
        assert_eq!(collector_override("windows", env_of(&[])), None);
        assert_eq!(collector_override("macos", env_of(&[])), None);
    }
}
