//! How the webview draws on Linux: WebKitGTK without accelerated compositing, unless the user
//! asked for it.
//!
//! Measured (tests/e2e/BENCHMARKS.md, `ui_bench`): with compositing on and GL in software
//! (Mesa llvmpipe: virtual machines, remote desktops, Xvfb, machines without a GPU driver),
//! llvmpipe's rasteriser threads took ~80 % of the web process's CPU under a 10,000 events/s
//! flood, both cores, and the page missed frames by 100–500 ms. Drawn by Skia on the CPU without
//! compositing, the same flood cost a fifth of the CPU with no frame gap over 50 ms, and the
//! first frame came ~0.6 s sooner. The page is flat 2-D text, so a GPU buys it little; where
//! one is wanted, `WEBKIT_FORCE_COMPOSITING_MODE=1` keeps WebKit's default.

use std::ffi::OsString;

/// WebKitGTK's switch that turns accelerated compositing off.
pub const DISABLE_COMPOSITING: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";
/// WebKitGTK's switch that forces it on; set, it leaves the choice to the user.
pub const FORCE_COMPOSITING: &str = "WEBKIT_FORCE_COMPOSITING_MODE";

/// The variable to set before the first webview exists, given how the environment reads; none
/// when the user already chose either way (or off Linux, where WebKitGTK is not used).
pub fn compositing_override(
    target_os: &str,
    env: impl Fn(&str) -> Option<OsString>,
) -> Option<(&'static str, &'static str)> {
    if target_os != "linux" {
        return None;
    }
    if env(DISABLE_COMPOSITING).is_some() || env(FORCE_COMPOSITING).is_some() {
        return None;
    }
    Some((DISABLE_COMPOSITING, "1"))
}

/// Applies [`compositing_override`] to this process; call first thing in `main`, while no other
/// thread can be reading the environment (the web process inherits it when WebKit spawns it).
pub fn choose_webview_rendering() {
    if let Some((name, value)) = compositing_override(std::env::consts::OS, |k| std::env::var_os(k))
    {
        std::env::set_var(name, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_env::env_of;

    #[test]
    fn linux_turns_compositing_off_by_default() {
        assert_eq!(
            compositing_override("linux", env_of(&[])),
            Some((DISABLE_COMPOSITING, "1"))
        );
    }

    #[test]
    fn a_users_choice_either_way_is_kept() {
        assert_eq!(
            compositing_override("linux", env_of(&[(FORCE_COMPOSITING, "1")])),
            None
        );
        assert_eq!(
            compositing_override("linux", env_of(&[(DISABLE_COMPOSITING, "0")])),
            None
        );
    }

    #[test]
    fn other_systems_are_left_alone() {
        assert_eq!(compositing_override("windows", env_of(&[])), None);
        assert_eq!(compositing_override("macos", env_of(&[])), None);
    }
}
