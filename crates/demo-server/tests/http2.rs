//! The demo server speaks HTTP/2: over TLS (ALPN, a certificate authority made at start) and
//! over cleartext to a client with prior knowledge (h2c); many streams share one connection.

use streamwatch_demo_server::{DemoConfig, DemoServer};

const STREAMS: usize = 20;

async fn read_streams(client: &reqwest::Client, server: &DemoServer) {
    let url = server.url("/events?rate=0&count=3&size=20");
    let responses =
        futures_util::future::join_all((0..STREAMS).map(|_| client.get(&url).send())).await;
    for response in responses {
        let response = response.expect("response");
        assert_eq!(response.version(), reqwest::Version::HTTP_2);
        let body = response.text().await.expect("body");
        assert_eq!(body.matches("data: ").count(), 3, "{body}");
    }
}

#[tokio::test]
async fn https_negotiates_http2_and_shares_one_connection() {
    let server = DemoServer::start_tls("127.0.0.1:0".parse().expect("addr"), DemoConfig::default())
        .await
        .expect("server");
    let ca = reqwest::Certificate::from_pem(server.ca_pem().expect("CA").as_bytes()).expect("pem");
    let client = reqwest::Client::builder()
        .tls_certs_only([ca])
        .build()
        .expect("client");
    // The first request opens the connection; the rest multiplex on it.
    let first = client
        .get(server.url("/health"))
        .send()
        .await
        .expect("health");
    assert_eq!(first.version(), reqwest::Version::HTTP_2);
    read_streams(&client, &server).await;
    assert_eq!(server.connections_accepted(), 1);
}

#[tokio::test]
async fn cleartext_speaks_h2c_to_a_client_with_prior_knowledge_and_http1_to_others() {
    let server = DemoServer::start("127.0.0.1:0".parse().expect("addr"), DemoConfig::default())
        .await
        .expect("server");
    let h2c = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .expect("client");
    read_streams(&h2c, &server).await;
    assert_eq!(server.connections_accepted(), 1);
    let http1 = reqwest::get(server.url("/health")).await.expect("health");
    assert_eq!(http1.version(), reqwest::Version::HTTP_11);
}
