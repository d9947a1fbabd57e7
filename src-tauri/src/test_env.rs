//! A stand-in for the process environment in unit tests of what the app sets before WebKit
//! starts.

use std::ffi::OsString;

/// An environment holding only `pairs`.
pub fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<OsString> {
    move |k| {
        pairs
            .iter()
            .find(|(name, _)| *name == k)
            .map(|(_, v)| OsString::from(v))
    }
}
