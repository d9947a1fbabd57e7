//! Command-line flags for running the demo server, shared by every binary that offers it.

use std::io;
use std::time::Duration;

use crate::config::DemoConfig;
use crate::server::DemoServer;

/// Flags for the demo server; each event knob sets the server-wide default of its query parameter.
#[derive(clap::Args, Debug, Clone, PartialEq)]
pub struct DemoArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8787)]
    pub port: u16,
    /// Events per second (0 = as fast as the client reads).
    #[arg(long, default_value_t = 10.0)]
    pub rate: f64,
    /// Approximate size in bytes of each event's data line.
    #[arg(long, default_value_t = 100)]
    pub size: usize,
    /// Event types, cycled through by event number (comma list).
    #[arg(long, value_delimiter = ',', default_value = "tick")]
    pub types: Vec<String>,
    /// How many published events a resuming client can still get.
    #[arg(long, default_value_t = 10_000)]
    pub replay: usize,
    /// Heartbeat comment interval while idle, in milliseconds (0 = none).
    #[arg(long, default_value_t = 15_000)]
    pub heartbeat_ms: u64,
    /// Send `retry: MS` before the first event.
    #[arg(long, value_name = "MS")]
    pub retry: Option<u64>,
    /// End each response cleanly after this many events (a planned close).
    #[arg(long, value_name = "N")]
    pub close_after: Option<u64>,
    /// Drop each connection abruptly after this many events (a broken body).
    #[arg(long, value_name = "N")]
    pub abort_after: Option<u64>,
    /// Go silent after this many events, keeping the connection open.
    #[arg(long, value_name = "N")]
    pub stall_after: Option<u64>,
    /// Status sequence for successive requests, e.g. 503,503,200.
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub status: Vec<u16>,
    /// Send this Content-Type instead of text/event-stream.
    #[arg(long)]
    pub content_type: Option<String>,
    /// Write the body one byte at a time, this many milliseconds apart.
    #[arg(long, value_name = "MS")]
    pub trickle_ms: Option<u64>,
    /// Leave out one id after every N ids.
    #[arg(long, value_name = "N")]
    pub skip: Option<u64>,
    /// Pause before each token of the LLM endpoints, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 30)]
    pub llm_token_ms: u64,
}

impl DemoArgs {
    /// The server-wide configuration these flags describe.
    pub fn config(&self) -> DemoConfig {
        DemoConfig {
            rate: self.rate,
            size: self.size,
            event_types: self
                .types
                .iter()
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty())
                .collect(),
            replay: self.replay,
            heartbeat: (self.heartbeat_ms > 0).then(|| Duration::from_millis(self.heartbeat_ms)),
            retry_ms: self.retry,
            close_after: self.close_after,
            abort_after: self.abort_after,
            stall_after: self.stall_after,
            status: self.status.clone(),
            content_type: self.content_type.clone(),
            trickle: self.trickle_ms.map(Duration::from_millis),
            skip: self.skip.filter(|&k| k > 0),
            llm_token: Duration::from_millis(self.llm_token_ms),
        }
    }
}

/// Runs the demo server until Ctrl-C (or SIGTERM), printing where it listens.
pub async fn serve_until_ctrl_c(args: &DemoArgs) -> io::Result<()> {
    let addr = tokio::net::lookup_host((args.host.as_str(), args.port))
        .await?
        .next()
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("{} resolves to no address", args.host),
            )
        })?;
    let server = DemoServer::start(addr, args.config()).await?;
    println!("demo server listening on {}", server.url("/events"));
    let stopped = tokio::select! {
        result = tokio::signal::ctrl_c() => result,
        () = terminate_signal() => Ok(()),
    };
    server.shutdown().await;
    stopped
}

#[cfg(unix)]
async fn terminate_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut terminate) => {
            terminate.recv().await;
        }
        // Without a SIGTERM handler, Ctrl-C still works.
        Err(_) => std::future::pending().await,
    }
}

#[cfg(not(unix))]
async fn terminate_signal() {
    std::future::pending().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        demo: DemoArgs,
    }

    #[test]
    fn defaults_match_demo_config() {
        let cli = Cli::parse_from(["demo"]);
        assert_eq!(cli.demo.config(), DemoConfig::default());
        assert_eq!(cli.demo.port, 8787);
    }

    #[test]
    fn flags_reach_the_config() {
        let cli = Cli::parse_from([
            "demo",
            "--rate",
            "0",
            "--types",
            "a,b",
            "--status",
            "503,200",
            "--heartbeat-ms",
            "0",
            "--trickle-ms",
            "5",
            "--close-after",
            "25",
            "--abort-after",
            "7",
            "--llm-token-ms",
            "2",
        ]);
        let config = cli.demo.config();
        assert_eq!(config.rate, 0.0);
        assert_eq!(config.event_types, vec!["a", "b"]);
        assert_eq!(config.status, vec![503, 200]);
        assert_eq!(config.heartbeat, None);
        assert_eq!(config.trickle, Some(Duration::from_millis(5)));
        assert_eq!(config.close_after, Some(25));
        assert_eq!(config.abort_after, Some(7));
        assert_eq!(config.llm_token, Duration::from_millis(2));
    }
}
