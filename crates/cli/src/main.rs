//! `streamwatch`: watch Server-Sent Events streams from the terminal.
//!
//! This file only parses the command line, runs the chosen command and turns how it ended into
//! the exit status; the work lives in the modules below.

mod args;
mod client_args;
mod config_file;
mod curl_paste;
mod daemon;
mod daemon_log;
mod daemon_signals;
mod data_dir;
mod demo;
mod expect_schema_arg;
mod export;
mod history;
mod import;
mod metrics;
mod output;
mod probe_args;
mod reconnect_arg;
mod reconnect_signal;
mod run_metrics;
mod runs;
mod sub_options;
mod subs;
mod subs_view;
mod usage;
mod watch;

use std::future::Future;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser as _;

use crate::args::{Cli, Command, WatchArgs};
use crate::output::{Format, Printer};
use crate::usage::UsageError;
use crate::watch::WatchEnd;

/// The exit statuses `streamwatch` promises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exit {
    /// The watch is done (`--count` reached, or a 204), or the command succeeded.
    Done = 0,
    /// Retries exhausted, a failure retrying cannot fix, or the command failed.
    Failed = 1,
    /// The command line cannot be used.
    Usage = 2,
    /// Interrupted by Ctrl-C (128 + SIGINT, as shells report it).
    Interrupted = 130,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}

fn main() -> ExitCode {
    // clap prints its own usage errors and exits with status 2 (0 for --help and --version).
    let cli = Cli::parse();
    let exit = match cli.command {
        Command::Watch(args) => watch(&args),
        Command::DemoServer(args) => edge(|| {
            runtime()?
                .block_on(demo::run(&args))
                .context("the demo server failed")?;
            Ok(Exit::Done)
        }),
        Command::Subs(args) => stored(cli.data_dir, |dir| subs::run(dir, &args)),
        Command::History(args) => stored(cli.data_dir, |dir| history::run(dir, &args)),
        Command::Runs(args) => stored(cli.data_dir, |dir| runs::run(dir, &args)),
        Command::Export(args) => stored(cli.data_dir, |dir| export::run(dir, &args)),
        Command::Import(args) => stored(cli.data_dir, |dir| import::run(dir, &args)),
        Command::Run(args) => stored(cli.data_dir, |dir| daemon::run(dir, &args)),
    };
    exit.into()
}

/// Runs a command on the database in `--data-dir`: a [`UsageError`] exits 2, any other error 1.
fn stored(
    data_dir: Option<std::path::PathBuf>,
    body: impl FnOnce(&std::path::Path) -> anyhow::Result<()>,
) -> Exit {
    let res = data_dir::resolve(data_dir.as_deref()).and_then(|dir| body(&dir));
    match res {
        Ok(()) => Exit::Done,
        Err(e) => {
            eprintln!("streamwatch: error: {e:#}");
            if e.downcast_ref::<UsageError>().is_some() {
                Exit::Usage
            } else {
                Exit::Failed
            }
        }
    }
}

/// Runs `streamwatch watch`.
fn watch(args: &WatchArgs) -> Exit {
    let config = match args.subscription() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("streamwatch: error: {e}");
            return Exit::Usage;
        }
    };
    let format = if args.json {
        Format::Json
    } else {
        Format::Human
    };
    let printer = Printer::stdout(format, args.comments);
    let count = args.count;
    edge(|| {
        let work = async move {
            let reconnects = reconnect_signal::requests()
                .map_err(|e| watch::WatchError::Signal(e.to_string()))?;
            watch::watch(config, printer, count, reconnects).await
        };
        let Some(end) = run_interruptible(work)? else {
            return Ok(Exit::Interrupted);
        };
        Ok(match end? {
            WatchEnd::CountReached
            | WatchEnd::NoContent
            | WatchEnd::Finished
            | WatchEnd::OutputClosed => Exit::Done,
            WatchEnd::Fatal | WatchEnd::GaveUp | WatchEnd::NotReconnected => Exit::Failed,
        })
    })
}

/// The binary's edge: reports an error on stderr as one line and turns it into a failure.
fn edge(body: impl FnOnce() -> anyhow::Result<Exit>) -> Exit {
    body().unwrap_or_else(|e| {
        eprintln!("streamwatch: error: {e:#}");
        Exit::Failed
    })
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Runs `work` until it finishes (`Some`) or Ctrl-C arrives (`None`).
fn run_interruptible<T: Send + 'static>(
    work: impl Future<Output = T> + Send + 'static,
) -> anyhow::Result<Option<T>> {
    let rt = runtime()?;
    let result = rt.block_on(async {
        // On its own task, so Ctrl-C is seen even while the work is stuck writing to a stalled
        // stdout (e.g. a paused pager).
        let task = tokio::spawn(work);
        tokio::select! {
            joined = task => joined.map(Some).context("the watch task failed"),
            Ok(()) = tokio::signal::ctrl_c() => Ok(None),
        }
    });
    // Do not wait for a task that may be blocked in a write; the process is about to exit.
    rt.shutdown_background();
    result
}
