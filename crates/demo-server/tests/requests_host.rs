//! `/requests` holds every header clients sent (secrets included), so it answers only a
//! `Host` naming a loopback address: a DNS-rebound page carries its own name and gets 403.

mod common;

use std::net::SocketAddr;

use common::{client, fast_server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The status code of `GET /requests` sent with exactly `host_lines` as its Host header(s).
async fn status_with_host(addr: SocketAddr, host_lines: &str) -> u16 {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let request = format!("GET /requests HTTP/1.1\r\n{host_lines}Connection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("send request");
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .await
        .expect("read response");
    let text = String::from_utf8_lossy(&response);
    text.split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"))
}

#[tokio::test]
async fn requests_answers_loopback_hosts_only() {
    let server = fast_server().await;
    let addr = server.addr();
    let port = addr.port();
    for host in [
        format!("127.0.0.1:{port}"),
        "127.0.0.1".to_owned(),
        format!("localhost:{port}"),
        "LOCALHOST".to_owned(),
        format!("[::1]:{port}"),
        "[::1]".to_owned(),
    ] {
        let code = status_with_host(addr, &format!("Host: {host}\r\n")).await;
        assert_eq!(code, 200, "Host: {host}");
    }
    for host in [
        format!("evil.example:{port}"),
        "evil.example".to_owned(),
        format!("127.0.0.1.evil.example:{port}"),
        format!("localhost.evil.example:{port}"),
        "192.168.1.10".to_owned(),
        format!("user@127.0.0.1:{port}"),
    ] {
        let code = status_with_host(addr, &format!("Host: {host}\r\n")).await;
        assert_eq!(code, 403, "Host: {host}");
    }
    // Two Host headers must not let the second one slip through behind a good first one.
    let two = format!("Host: 127.0.0.1:{port}\r\nHost: evil.example\r\n");
    assert_ne!(status_with_host(addr, &two).await, 200);

    // An ordinary client on the loopback URL still reads the log; other routes are untouched.
    let ok = client()
        .get(server.url("/requests"))
        .send()
        .await
        .expect("request");
    assert_eq!(ok.status(), 200);
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n")
        .await
        .expect("send");
    let mut health = Vec::new();
    stream.read_to_end(&mut health).await.expect("read");
    assert!(
        String::from_utf8_lossy(&health).starts_with("HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&health)
    );
    server.shutdown().await;
}
