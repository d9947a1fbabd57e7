//! HTTP/2: many subscriptions to one host share a few TCP connections, against the demo server
//! over TLS (its certificate authority made at start and trusted per subscription).

use std::time::Duration;

use streamwatch_demo_server::{DemoConfig, DemoServer};
use streamwatch_engine::{State, SubscriptionConfig, SubscriptionId, Supervisor};

const SUBS: u64 = 50;
/// HTTP/1.1 would need one connection per stream; a few racing first connects are allowed.
const HANDFUL: u64 = 4;
const LIMIT: Duration = Duration::from_secs(20);

#[tokio::test]
async fn fifty_subscriptions_to_one_https_host_share_a_handful_of_connections() {
    let server = DemoServer::start_tls("127.0.0.1:0".parse().expect("addr"), DemoConfig::default())
        .await
        .expect("demo server");
    let ca = server.ca_pem().expect("a TLS server has a CA").to_owned();
    let url = server.url("/events?rate=20&size=50");
    assert!(url.starts_with("https://"), "{url}");
    let sup = Supervisor::new(1024).expect("supervisor");
    // One first, so the others find its HTTP/2 connection in the pool.
    for i in 0..SUBS {
        let mut config = SubscriptionConfig::new(&url).expect("url");
        config.client.extra_ca_pem = Some(ca.clone());
        sup.add(SubscriptionId(i + 1), config, false).expect("add");
        if i == 0 {
            wait_until(|| state(&sup, 1) == State::Open, "the first open").await;
        }
    }
    wait_until(
        || (1..=SUBS).all(|i| sup.status(SubscriptionId(i)).is_ok_and(|s| s.messages >= 2)),
        "every subscription receiving",
    )
    .await;
    let connections = server.connections_accepted();
    assert!(
        connections <= HANDFUL,
        "{SUBS} subscriptions used {connections} TCP connections"
    );
    assert!((1..=SUBS).all(|i| state(&sup, i) == State::Open));
}

fn state(sup: &Supervisor, id: u64) -> State {
    sup.status(SubscriptionId(id))
        .map_or(State::Failed, |s| s.state)
}

async fn wait_until(done: impl Fn() -> bool, what: &str) {
    let deadline = tokio::time::Instant::now() + LIMIT;
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
