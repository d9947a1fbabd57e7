//! The demo server on its own thread and runtime, so its CPU time can be told apart from the
//! client's although both live in this process.

use crate::cpu_time::ThreadClock;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::thread::JoinHandle;
use streamwatch_demo_server::{DemoConfig, DemoServer};
use tokio::sync::oneshot;

pub struct ServerThread {
    events_url: String,
    clock: Option<ThreadClock>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl ServerThread {
    /// Starts the demo server on a loopback port and waits until it listens.
    pub fn start() -> io::Result<ServerThread> {
        let (ready, started) = std::sync::mpsc::channel();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("demo-server".into())
            .spawn(move || {
                // One thread: its CPU clock is then the whole server's CPU time.
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => return drop(ready.send(Err(e))),
                };
                runtime.block_on(async move {
                    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
                    match DemoServer::start(addr, DemoConfig::default()).await {
                        Ok(server) => {
                            let _ = ready.send(Ok(server.url("/events")));
                            let _ = stopped.await;
                            server.shutdown().await;
                        }
                        Err(e) => drop(ready.send(Err(e))),
                    }
                });
            })?;
        let events_url = started
            .recv()
            .map_err(|_| io::Error::other("the server thread died"))??;
        Ok(ServerThread {
            events_url,
            clock: ThreadClock::of_thread(&thread),
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// `/events` with `query` appended.
    pub fn events_url(&self, query: &str) -> String {
        format!("{}?{query}", self.events_url)
    }

    /// The server thread's CPU time so far, where the platform tells.
    pub fn cpu(&self) -> Option<std::time::Duration> {
        self.clock.and_then(ThreadClock::now)
    }
}

impl Drop for ServerThread {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
