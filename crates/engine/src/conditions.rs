//! What the machine says about itself that every subscription must obey: is there a usable
//! network, is it about to sleep, did it just wake. One value, watched by every
//! subscription's task through [`crate::conditions_feed`], fed by the platform watchers in
//! [`crate::system`] (or by tests).

use serde::Serialize;

/// The machine's state as the subscriptions see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Conditions {
    /// A usable network (a default route). Loopback streams ignore it.
    pub online: bool,
    /// Between "about to sleep" and "woke": nothing is attempted, nothing counts as down.
    pub asleep: bool,
    /// How many times the machine woke: each one makes every stream reconnect at once.
    pub wakes: u64,
}

impl Default for Conditions {
    fn default() -> Self {
        Conditions {
            online: true,
            asleep: false,
            wakes: 0,
        }
    }
}

/// Whether `url`'s host is this machine, so that no network change can cut it off.
pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_are_this_machine() {
        for u in [
            "http://127.0.0.1:8787/",
            "http://127.8.9.10/",
            "http://[::1]:1/",
            "http://localhost/",
            "http://LOCALHOST./x",
            "http://app.localhost/",
        ] {
            assert!(is_loopback(&url::Url::parse(u).unwrap()), "{u}");
        }
        for u in [
            "http://10.0.0.1/",
            "http://example.com/",
            "http://localhost.example/",
        ] {
            assert!(!is_loopback(&url::Url::parse(u).unwrap()), "{u}");
        }
    }
}
