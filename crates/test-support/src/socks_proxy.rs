//! A real SOCKS5 proxy on the loopback (RFC 1928 CONNECT, with optional RFC 1929
//! username/password). It counts the connections it relayed so a test proves traffic went
//! through it.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// A running SOCKS5 proxy; stops when dropped.
pub struct SocksProxy {
    /// Where it listens (127.0.0.1).
    pub addr: SocketAddr,
    relayed: Arc<AtomicUsize>,
    refused: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl SocksProxy {
    /// A proxy anyone may use.
    pub async fn start() -> SocksProxy {
        Self::start_with(None).await
    }

    /// A proxy that only relays for this username and password.
    pub async fn start_with_credentials(user: &str, password: &str) -> SocksProxy {
        Self::start_with(Some((user.to_string(), password.to_string()))).await
    }

    async fn start_with(credentials: Option<(String, String)>) -> SocksProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind socks");
        let addr = listener.local_addr().expect("socks address");
        let relayed = Arc::new(AtomicUsize::new(0));
        let refused = Arc::new(AtomicUsize::new(0));
        let (r, f) = (relayed.clone(), refused.clone());
        let credentials = Arc::new(credentials);
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (r, f, creds) = (r.clone(), f.clone(), credentials.clone());
                tokio::spawn(async move {
                    let _ = serve(client, &r, &f, creds.as_ref().as_ref()).await;
                });
            }
        });
        SocksProxy {
            addr,
            relayed,
            refused,
            task,
        }
    }

    /// `socks5://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("socks5://{}", self.addr)
    }

    /// The same with credentials.
    pub fn url_with(&self, user: &str, password: &str) -> String {
        format!("socks5://{user}:{password}@{}", self.addr)
    }

    /// Connections relayed so far.
    pub fn relayed(&self) -> usize {
        self.relayed.load(Ordering::SeqCst)
    }

    /// Clients refused for wrong or missing credentials.
    pub fn refused(&self) -> usize {
        self.refused.load(Ordering::SeqCst)
    }
}

impl Drop for SocksProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn read_string(s: &mut TcpStream) -> std::io::Result<String> {
    let len = s.read_u8().await? as usize;
    let mut buf = vec![0u8; len];
    s.read_exact(&mut buf).await?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

async fn serve(
    mut client: TcpStream,
    relayed: &AtomicUsize,
    refused: &AtomicUsize,
    credentials: Option<&(String, String)>,
) -> std::io::Result<()> {
    // Greeting: version 5, the methods the client offers.
    if client.read_u8().await? != 5 {
        return Ok(());
    }
    let n = client.read_u8().await? as usize;
    let mut methods = vec![0u8; n];
    client.read_exact(&mut methods).await?;
    let wanted = if credentials.is_some() { 2 } else { 0 };
    if !methods.contains(&wanted) {
        refused.fetch_add(1, Ordering::SeqCst);
        client.write_all(&[5, 0xff]).await?;
        return Ok(());
    }
    client.write_all(&[5, wanted]).await?;
    if let Some((user, password)) = credentials {
        let _version = client.read_u8().await?;
        let given_user = read_string(&mut client).await?;
        let given_password = read_string(&mut client).await?;
        if &given_user != user || &given_password != password {
            refused.fetch_add(1, Ordering::SeqCst);
            client.write_all(&[1, 1]).await?;
            return Ok(());
        }
        client.write_all(&[1, 0]).await?;
    }
    // Request: version, command (1 = CONNECT), reserved, address type, address, port.
    let mut head = [0u8; 4];
    client.read_exact(&mut head).await?;
    if head[1] != 1 {
        client.write_all(&[5, 7, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
        return Ok(());
    }
    let host = match head[3] {
        1 => {
            let mut a = [0u8; 4];
            client.read_exact(&mut a).await?;
            Ipv4Addr::from(a).to_string()
        }
        3 => read_string(&mut client).await?,
        4 => {
            let mut a = [0u8; 16];
            client.read_exact(&mut a).await?;
            format!("[{}]", Ipv6Addr::from(a))
        }
        _ => return Ok(()),
    };
    let port = client.read_u16().await?;
    let mut upstream = match TcpStream::connect(format!("{host}:{port}")).await {
        Ok(u) => u,
        Err(_) => {
            // 5: connection refused.
            client.write_all(&[5, 5, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
            return Ok(());
        }
    };
    relayed.fetch_add(1, Ordering::SeqCst);
    client.write_all(&[5, 0, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}
