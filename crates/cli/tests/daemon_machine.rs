//! `streamwatch run` on a laptop: a suspend and resume announced by "logind" on a private
//! system bus, and a network that goes away and comes back in a network namespace of its own
//! (a veth pair to a demo server on this machine).

// Linux only: network namespaces and logind played on a private D-Bus.
#![cfg(target_os = "linux")]

mod common;

use std::ffi::OsString;
use std::process::Command as StdCommand;
use std::time::{Duration, Instant};

use common::store::{Daemon, Data};
use serde_json::Value;
use streamwatch_demo_server::{DemoConfig, DemoServer};
use streamwatch_test_support::keyring::PrivateBus;

fn demo_config() -> DemoConfig {
    DemoConfig {
        heartbeat: None,
        replay: 1_000_000,
        ..DemoConfig::default()
    }
}

/// The bus's address, as its clients find it.
fn bus_address(bus: &PrivateBus) -> OsString {
    bus.env()
        .into_iter()
        .find(|(k, _)| k == "DBUS_SESSION_BUS_ADDRESS")
        .map(|(_, v)| v)
        .expect("the bus has an address")
}

/// Plays logind: owns its name and sends `PrepareForSleep(start)`, again every half second until
/// the daemon logs that it heard (its watcher connects in the background after the start).
async fn prepare_for_sleep(daemon: &mut Daemon, logind: &zbus::blocking::Connection, start: bool) {
    let heard = |l: &Value| l["type"] == "machine" && l["asleep"] == start;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        logind
            .emit_signal(
                None::<()>,
                "/org/freedesktop/login1",
                "org.freedesktop.login1.Manager",
                "PrepareForSleep",
                &(start,),
            )
            .expect("emit PrepareForSleep");
        let got = tokio::time::timeout(Duration::from_millis(500), daemon.until("", heard)).await;
        if got.is_ok() {
            return;
        }
        if daemon.log.iter().any(heard) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the daemon never heard PrepareForSleep({start}): {:#?}",
            daemon.log
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_from_sleep_reconnects_at_once_and_the_sleep_is_not_downtime() {
    let server = DemoServer::start(([127, 0, 0, 1], 0).into(), demo_config())
        .await
        .expect("demo server");
    let bus = PrivateBus::without_keyring();
    let address = bus_address(&bus);
    let logind = zbus::blocking::connection::Builder::address(address.to_str().expect("utf-8"))
        .expect("bus address")
        .name("org.freedesktop.login1")
        .expect("well-known name")
        .build()
        .expect("connect as logind");
    let data = Data::with_env(vec![("DBUS_SYSTEM_BUS_ADDRESS".into(), address)]);
    // A long backoff: only the wake can explain a reconnect within a second or two.
    data.ok(&[
        "subs",
        "add",
        "laptop",
        &server.url("/events?rate=20"),
        "--retry-initial",
        "60000",
    ])
    .await;
    let mut run = data.daemon(&[]);
    run.until_state("laptop", "open").await;

    prepare_for_sleep(&mut run, &logind, true).await;
    run.until_state("laptop", "offline").await;
    let asleep_at = server.connections_accepted();
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        server.connections_accepted(),
        asleep_at,
        "nothing tried while asleep"
    );

    let woke = Instant::now();
    let opens_before = run
        .log
        .iter()
        .filter(|l| l["type"] == "state" && l["state"] == "open")
        .count();
    prepare_for_sleep(&mut run, &logind, false).await;
    run.until("the reopen", |l| {
        l["type"] == "state" && l["subscription"] == "laptop" && l["state"] == "open"
    })
    .await;
    let opens_after = run
        .log
        .iter()
        .filter(|l| l["type"] == "state" && l["state"] == "open")
        .count();
    assert!(opens_after > opens_before);
    assert!(
        woke.elapsed() < Duration::from_secs(4),
        "{:?}",
        woke.elapsed()
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    run.terminate().await;
    // Resumed from the stored id: every event once, none missing.
    let ids: Vec<u64> = data
        .history("laptop")
        .await
        .iter()
        .map(|m| {
            m["id"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .expect("numeric id")
        })
        .collect();
    streamwatch_test_support::assert_consecutive(&ids);
    // The outage counters did not move: a sleep is neither a failure nor a gap.
    let shown = data.show("laptop").await;
    assert_eq!(shown["counters"]["gaps"], 0, "{shown:#}");
}

/// A network namespace with a veth pair to this one; removed when dropped.
struct Netns {
    name: String,
    host_ip: String,
    ns_ip: String,
}

fn ip(args: &[&str]) -> Result<(), String> {
    let out = StdCommand::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("ip {args:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {args:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

impl Netns {
    /// `None` (with the reason printed) where this machine cannot make namespaces.
    fn make() -> Option<Netns> {
        let pid = std::process::id();
        let name = format!("swt{pid}");
        let (host_if, ns_if) = (format!("swh{pid}"), format!("swn{pid}"));
        let net = 16 + pid % 200;
        let ns = Netns {
            name: name.clone(),
            host_ip: format!("10.231.{net}.1"),
            ns_ip: format!("10.231.{net}.2"),
        };
        let setup = || -> Result<(), String> {
            ip(&["netns", "add", &name])?;
            ip(&[
                "link", "add", &host_if, "type", "veth", "peer", "name", &ns_if,
            ])?;
            ip(&["link", "set", &ns_if, "netns", &name])?;
            ip(&[
                "addr",
                "add",
                &format!("{}/24", ns.host_ip),
                "dev",
                &host_if,
            ])?;
            ip(&["link", "set", &host_if, "up"])?;
            ns.exec(&[
                "ip",
                "addr",
                "add",
                &format!("{}/24", ns.ns_ip),
                "dev",
                &ns_if,
            ])?;
            ns.exec(&["ip", "link", "set", &ns_if, "up"])?;
            ns.exec(&["ip", "link", "set", "lo", "up"])?;
            ns.route_default(true)
        };
        match setup() {
            Ok(()) => Some(ns),
            Err(e) => {
                eprintln!("SKIPPED: this machine cannot make a network namespace with a veth pair ({e}); run as root with iproute2 to test offline");
                None
            }
        }
    }

    fn exec(&self, args: &[&str]) -> Result<(), String> {
        let mut all = vec!["netns", "exec", self.name.as_str()];
        all.extend_from_slice(args);
        ip(&all)
    }

    /// Adds or removes the namespace's default route: the network coming and going.
    fn route_default(&self, on: bool) -> Result<(), String> {
        let verb = if on { "add" } else { "del" };
        self.exec(&["ip", "route", verb, "default", "via", &self.host_ip])
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        // Deleting the namespace deletes its end of the veth, and with it the pair.
        let _ = ip(&["netns", "del", &self.name]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_waits_without_attempts_and_the_network_coming_back_reconnects_at_once() {
    let Some(ns) = Netns::make() else { return };
    let host: std::net::IpAddr = ns.host_ip.parse().expect("an address");
    let server = DemoServer::start((host, 0).into(), demo_config())
        .await
        .expect("demo server on the veth");
    let data = Data::new();
    data.ok(&[
        "subs",
        "add",
        "remote",
        &server.url("/events?rate=20"),
        "--retry-initial",
        "60000",
    ])
    .await;
    let mut run = data.daemon_in_netns(&ns.name);
    run.until_state("remote", "open").await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    ns.route_default(false).expect("remove the default route");
    run.until("the offline line", |l| {
        l["type"] == "machine" && l["online"] == false
    })
    .await;
    // An open stream keeps its socket for a short grace, then waits.
    run.until_state("remote", "offline").await;
    let held_at = server.connections_accepted();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        server.connections_accepted(),
        held_at,
        "no attempt while offline"
    );

    let back = Instant::now();
    ns.route_default(true).expect("restore the default route");
    run.until("the online line", |l| {
        l["type"] == "machine" && l["online"] == true
    })
    .await;
    run.until("the reopen", |l| {
        l["type"] == "state" && l["subscription"] == "remote" && l["state"] == "open"
    })
    .await;
    assert!(
        back.elapsed() < Duration::from_secs(4),
        "{:?}",
        back.elapsed()
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    run.terminate().await;
    let ids: Vec<u64> = data
        .history("remote")
        .await
        .iter()
        .map(|m| {
            m["id"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .expect("numeric id")
        })
        .collect();
    streamwatch_test_support::assert_consecutive(&ids);
}
