//! Linux: "online" means a default route (IPv4 or IPv6) in this process's network namespace.
//! The route tables are re-read whenever rtnetlink announces a change of links, addresses or
//! routes, so a cable pulled, a Wi-Fi lost or a VPN dropped is seen within a fraction of a
//! second, without polling.

use std::time::Duration;

use netlink_sys::{protocols::NETLINK_ROUTE, AsyncSocket, AsyncSocketExt, SocketAddr, TokioSocket};

use crate::conditions_feed::ConditionsFeed;

/// rtnetlink multicast groups (linux/rtnetlink.h): links, IPv4/IPv6 addresses and routes.
const GROUPS: u32 = 0x1 | 0x10 | 0x40 | 0x100 | 0x400;
/// Changes come in bursts (an interface going down takes its addresses and routes with it):
/// judge once the burst is over.
const SETTLE: Duration = Duration::from_millis(150);
/// Route flags (linux/route.h).
const RTF_UP: u32 = 0x0001;
const RTF_REJECT: u32 = 0x0200;

/// Why the network cannot be watched; the subscriptions then assume it is always there.
#[derive(Debug, thiserror::Error)]
#[error("cannot watch the network for changes: {0}")]
pub struct NetworkWatchError(#[from] std::io::Error);

/// Whether the route tables in `ipv4` (`/proc/net/route`) or `ipv6` (`/proc/net/ipv6_route`)
/// hold a usable default route.
pub fn has_default_route(ipv4: &str, ipv6: &str) -> bool {
    let v4 = ipv4.lines().skip(1).any(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        // Iface Destination Gateway Flags RefCnt Use Metric Mask …
        f.len() >= 8
            && f[1] == "00000000"
            && f[7] == "00000000"
            && u32::from_str_radix(f[3], 16)
                .is_ok_and(|fl| fl & RTF_UP != 0 && fl & RTF_REJECT == 0)
    });
    let v6 = ipv6.lines().any(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        // dest dest_len src src_len next_hop metric refcnt use flags iface
        f.len() >= 10
            && f[1] == "00"
            && f[0].bytes().all(|b| b == b'0')
            && f[9] != "lo"
            && u32::from_str_radix(f[8], 16)
                .is_ok_and(|fl| fl & RTF_UP != 0 && fl & RTF_REJECT == 0)
    });
    v4 || v6
}

/// Reads this namespace's route tables; a table that cannot be read counts as empty (a kernel
/// without IPv6 has no `ipv6_route`).
fn online_now() -> bool {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    has_default_route(&read("/proc/net/route"), &read("/proc/net/ipv6_route"))
}

/// Subscribes to rtnetlink before the first reading, so no change between the two is missed.
pub fn spawn(feed: ConditionsFeed) -> Result<tokio::task::JoinHandle<()>, NetworkWatchError> {
    let mut socket = TokioSocket::new(NETLINK_ROUTE)?;
    socket.socket_mut().bind(&SocketAddr::new(0, GROUPS))?;
    feed.set_online(online_now());
    Ok(tokio::spawn(async move {
        let mut buf = Vec::with_capacity(16 * 1024);
        loop {
            buf.clear();
            if let Err(e) = socket.recv(&mut buf).await {
                // ENOBUFS: the kernel dropped announcements; the tables are still right.
                if e.raw_os_error() != Some(libc::ENOBUFS) {
                    tracing::warn!(error = %e, "network watch stopped; assuming online");
                    feed.set_online(true);
                    return;
                }
            }
            tokio::time::sleep(SETTLE).await;
            // Drain the rest of the burst without waiting.
            while socket_has_more(&socket, &mut buf).await {}
            feed.set_online(online_now());
        }
    }))
}

/// Reads one more queued announcement if there is one right now.
async fn socket_has_more(socket: &TokioSocket, buf: &mut Vec<u8>) -> bool {
    buf.clear();
    matches!(
        tokio::time::timeout(Duration::ZERO, socket.recv(buf)).await,
        Ok(Ok(()))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const V4_HEAD: &str =
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n";

    #[test]
    fn a_default_route_is_online_and_a_subnet_route_is_not() {
        let default =
            format!("{V4_HEAD}eth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n");
        let subnet =
            format!("{V4_HEAD}eth0\t0001A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n");
        let down =
            format!("{V4_HEAD}eth0\t00000000\t0101A8C0\t0002\t0\t0\t100\t00000000\t0\t0\t0\n");
        assert!(has_default_route(&default, ""));
        assert!(!has_default_route(&subnet, ""));
        assert!(!has_default_route(&down, ""));
        assert!(!has_default_route(V4_HEAD, ""));
    }

    #[test]
    fn ipv6_defaults_count_but_not_the_unreachable_one_on_lo() {
        let zero = "00000000000000000000000000000000";
        let up = format!("{zero} 00 {zero} 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003 wlan0\n");
        let unreachable =
            format!("{zero} 00 {zero} 00 {zero} ffffffff 00000001 00000000 00200200 lo\n");
        let link = format!("fe800000000000000000000000000000 40 {zero} 00 {zero} 00000100 00000001 00000000 00000001 wlan0\n");
        assert!(has_default_route(V4_HEAD, &up));
        assert!(!has_default_route(V4_HEAD, &unreachable));
        assert!(!has_default_route(V4_HEAD, &link));
    }
}
