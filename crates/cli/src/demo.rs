//! `streamwatch demo-server`: the demo SSE server, run in the foreground.

use clap::Args;
use streamwatch_demo_server::{serve_until_ctrl_c, DemoArgs};

/// Flags of `streamwatch demo-server`: the demo server's own, unchanged.
#[derive(Args, Debug, Clone, PartialEq)]
#[command(after_help = "Example:\n  \
        streamwatch demo-server --port 8787 &\n  \
        streamwatch watch 'http://127.0.0.1:8787/events?rate=2&close_after=5'")]
pub struct DemoServerArgs {
    /// The demo server's flags.
    #[command(flatten)]
    pub demo: DemoArgs,
}

/// Serves until Ctrl-C or SIGTERM; fails only when the server cannot start.
pub async fn run(args: &DemoServerArgs) -> std::io::Result<()> {
    serve_until_ctrl_c(&args.demo).await
}
