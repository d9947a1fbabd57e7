//! Runs the Streamwatch demo server on its own.

use clap::Parser;
use streamwatch_demo_server::{serve_until_ctrl_c, DemoArgs};

/// A Server-Sent Events server with fault knobs, for trying Streamwatch and for tests.
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
    #[command(flatten)]
    demo: DemoArgs,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match serve_until_ctrl_c(&cli.demo).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("demo server: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
