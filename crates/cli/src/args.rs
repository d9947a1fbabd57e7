//! The command line: what `streamwatch` accepts, and turning `watch`'s flags into a checked
//! subscription before any connection is made.

use std::path::PathBuf;

use crate::client_args::ClientArgs;
use clap::{Args, Parser, Subcommand};
use streamwatch_engine::catalog::normalize_method;
use streamwatch_engine::subscription::{RetryConfig, SubscriptionConfig};

use crate::daemon::RunArgs;
use crate::demo::DemoServerArgs;
use crate::export::ExportArgs;
use crate::history::HistoryArgs;
use crate::import::ImportArgs;
use crate::reconnect_arg::ReconnectArg;
use crate::subs::SubsArgs;
pub use crate::usage::RedirectsArg;
use crate::usage::{parse_seconds_or_auto, SecondsOrAuto, UsageError};
use streamwatch_engine::catalog::validate::check_end_event;

/// The delay cap when `--retry-max` is not given (unless `--retry-initial` is larger).
const DEFAULT_RETRY_MAX_MS: u64 = 30_000;

/// Watch Server-Sent Events streams from the terminal.
#[derive(Parser, Debug)]
#[command(
    name = "streamwatch",
    version,
    about = "Watch Server-Sent Events streams from the terminal",
    long_about = "Watch Server-Sent Events (text/event-stream) streams from the terminal.\n\n\
        `streamwatch watch URL` connects, prints every event as it arrives and reconnects the way \
        a browser's EventSource does (Last-Event-ID, the server's `retry:`, exponential backoff). \
        `streamwatch demo-server` runs a local SSE server with fault knobs to try it on.\n\n\
        Saved subscriptions (`streamwatch subs`) keep their history in a local database; \
        `streamwatch run` monitors them all headless, with Prometheus metrics, and \
        `streamwatch history`, `export` and `import` read and move what was saved.\n\n\
        Exit status: 0 on success, 1 when the command failed, 2 for usage errors (watch also \
        uses 130 for Ctrl-C).",
    propagate_version = true,
    subcommand_required = true,
    arg_required_else_help = true
)]
pub struct Cli {
    /// Folder of the database (streamwatch.db) holding saved subscriptions and their history
    /// [default: the per-user data directory, e.g. ~/.local/share/streamwatch on Linux].
    #[arg(long, global = true, value_name = "DIR", env = "STREAMWATCH_DATA_DIR")]
    pub data_dir: Option<PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
// Parsed once per process: boxing the larger variants would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Connect to an SSE stream and print what happens, reconnecting until told to stop.
    ///
    /// Prints every lifecycle event of the stream: started, message, comment (with
    /// --comments), error, finished, retrying and retries-failed, plus gap when integer ids
    /// jump after a reconnect. Human-readable lines are coloured on a terminal (not when
    /// NO_COLOR is set); --json prints one JSON object per line.
    ///
    /// It reconnects after errors and after a clean end of the stream, sending the last event
    /// id as Last-Event-ID. The delay starts at --retry-initial (or the server's `retry:`),
    /// doubles per failed attempt up to --retry-max, is jittered to [d/2, d], and never
    /// undercuts a Retry-After from a 429 or 503. A 204 response ends the watch; a 4xx answer
    /// or a wrong Content-Type ends it as a failure, and so does a redirect that --redirects
    /// refuses.
    ///
    /// Exit status: 0 when --count is reached, the server answers 204 or stdout is closed;
    /// 1 when the retries are exhausted or the failure cannot be retried; 2 for usage errors;
    /// 130 on Ctrl-C.
    Watch(WatchArgs),
    /// Run a local SSE server with fault knobs, for demos and tests, until Ctrl-C.
    ///
    /// Routes: /events (the numbered stream), /redirect?to=PATH, /edge-cases and
    /// /edge-cases/expected, /requests (a JSON log of the requests received), /health.
    ///
    /// The flags set server-wide defaults; each request to /events can override them with
    /// query parameters: rate, size, types, replay, count (clean end after N events),
    /// close_after (planned clean close after N), abort_after (abrupt drop mid-body),
    /// stall_after (silence), heartbeat_ms, retry, status (e.g.
    /// 503,503,200, with key= and retry_after=), content_type, trickle_ms, skip, crlf=1, bom=1.
    DemoServer(DemoServerArgs),
    /// Manage saved subscriptions: add, list, show, edit, remove, pause, resume.
    ///
    /// Saved subscriptions live in the database in --data-dir, with their settings, the last
    /// event id they reached and their message history; `streamwatch run` (or the desktop app)
    /// monitors them. Secret header values (--secret-header) go to the OS keyring, never to the
    /// database. Changes take effect in a running `streamwatch run` within about 2 seconds.
    Subs(SubsArgs),
    /// Print a saved subscription's stored messages, oldest first, as JSON lines or CSV.
    History(HistoryArgs),
    /// Print a saved subscription's stored runs (probe runs and finite streams' runs), newest
    /// first: status, time to first byte and first token, duration, how it ended, the answer.
    Runs(crate::runs::RunsArgs),
    /// Write every saved subscription (optionally with history and secrets) as one JSON file.
    Export(ExportArgs),
    /// Add the subscriptions (and any history) of an export file.
    Import(ImportArgs),
    /// Monitor every saved subscription headless, logging what happens, until SIGTERM/Ctrl-C.
    ///
    /// Each subscription resumes from the last event id stored for it; every message is
    /// stored (in batched transactions) before the new last id is, so after any crash it
    /// re-requests at most a few events and never skips one. Edits made with `streamwatch subs`
    /// from another shell are picked up within about 2 seconds.
    ///
    /// The log has one line per state change, error, gap and reconnection, and per
    /// subscription a summary of messages at most every 10 seconds (not one line per message).
    ///
    /// With --metrics ADDR it serves Prometheus/OpenMetrics text on http://ADDR/metrics.
    ///
    /// Exit status: 0 after SIGTERM or Ctrl-C once everything received is saved; 1 when the
    /// database cannot be opened or written, or --config / --metrics cannot be used.
    Run(RunArgs),
}

/// Flags of `streamwatch watch`.
#[derive(Args, Debug, Clone, PartialEq)]
#[command(after_help = "Examples:\n  \
        streamwatch watch http://127.0.0.1:8787/events\n  \
        streamwatch watch https://example.com/feed -H 'Authorization: Bearer TOKEN' --json\n  \
        streamwatch watch http://127.0.0.1:8787/events -X POST -d '{\"topic\":\"a\"}' --count 10")]
pub struct WatchArgs {
    /// The stream's URL (http:// or https://).
    #[arg(value_name = "URL")]
    pub url: String,

    /// Request header as "Name: value", sent on every (re)connect; repeatable.
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,

    /// A query parameter of the URL whose value is a credential, like the well-known ones
    /// (token, access_token, api_key, …): masked in everything printed; repeatable.
    #[arg(long = "secret-param", value_name = "NAME")]
    pub secret_params: Vec<String>,

    /// HTTP method; standard methods may be written in any case.
    #[arg(short = 'X', long, value_name = "METHOD", default_value = "GET")]
    pub method: String,

    /// Request body, resent on every reconnect.
    #[arg(short = 'd', long, value_name = "TEXT")]
    pub body: Option<String>,

    /// Last-Event-ID for the first request, to resume a stream.
    #[arg(long, value_name = "ID")]
    pub last_event_id: Option<String>,

    /// Reconnect after this long without a byte (comments count); fractions allowed, 0 = off
    /// [default: auto, 3× the usual gap between arrivals, at least 45 s].
    #[arg(long, value_name = "SECONDS|auto", value_parser = parse_seconds_or_auto)]
    pub idle_timeout: Option<SecondsOrAuto>,

    /// First reconnection delay in milliseconds; a server `retry:` replaces it.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    pub retry_initial: u64,

    /// Cap on the reconnection delay in ms [default: 30000, or --retry-initial if larger].
    #[arg(long, value_name = "MS")]
    pub retry_max: Option<u64>,

    /// Give up after N consecutive failed retries [default: never].
    #[arg(long, value_name = "N")]
    pub max_retries: Option<u32>,

    /// Exit with status 0 after N message events.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,

    /// Also report comment lines (such as heartbeats).
    #[arg(long)]
    pub comments: bool,

    /// Print one JSON object per line instead of human-readable lines.
    #[arg(long)]
    pub json: bool,

    /// Which redirects to follow. Secret headers (Authorization, Cookie, Proxy-Authorization)
    /// go only to the URL's own origin, never over http after https; no Referer is sent.
    #[arg(long, value_name = "MODE", value_enum, default_value_t = RedirectsArg::Any)]
    pub redirects: RedirectsArg,

    /// The server's integer ids do not count by one (a shared counter, timestamps…): ids that
    /// jump are not reported as gaps; resets and replays still are.
    #[arg(long)]
    pub ids_not_sequential: bool,

    /// When a stream that ended is requested again [default: always for GET, error for any
    /// other method, so a POSTed prompt is not sent twice].
    #[arg(long, value_name = "MODE", value_enum)]
    pub reconnect: Option<ReconnectArg>,

    /// An event type that ends the stream cleanly, like data: [DONE], message_stop and
    /// response.completed do.
    #[arg(long, value_name = "NAME")]
    pub end_event: Option<String>,

    /// A JSON Schema (read from FILE) that events of TYPE, or without TYPE every event, must
    /// match; repeatable. Events that do not are flagged (`"mismatch"` with --json).
    #[arg(long = "expect-schema", value_name = "[TYPE=]FILE")]
    pub expect_schema: Vec<String>,

    /// Proxy and TLS settings.
    #[command(flatten)]
    pub client: ClientArgs,
}

impl WatchArgs {
    /// The subscription these flags describe, checked so bad input fails before connecting.
    pub fn subscription(&self) -> Result<SubscriptionConfig, UsageError> {
        let mut config = SubscriptionConfig::new(self.url.trim())?;
        for line in &self.headers {
            config.add_header_line(line)?;
        }
        config.method = normalize_method(&self.method);
        config.body = self.body.clone();
        if let Some(id) = &self.last_event_id {
            // The engine would silently skip an id it cannot send; the user should hear about it.
            if id.chars().any(|c| c.is_control() && c != '\t') {
                return Err(UsageError::LastEventId(id.clone()));
            }
            config.last_event_id = Some(id.as_str().into());
        }
        config.retry = RetryConfig {
            initial_ms: self.retry_initial,
            max_ms: self
                .retry_max
                .unwrap_or(DEFAULT_RETRY_MAX_MS.max(self.retry_initial)),
            max_retries: self.max_retries,
        };
        // None is automatic; zero is off (the connection reads it so).
        config.idle_timeout = match self.idle_timeout {
            None | Some(SecondsOrAuto::Auto) => None,
            Some(SecondsOrAuto::Seconds(d)) => Some(d),
        };
        config.redirects = self.redirects.into();
        config.ids_not_sequential = self.ids_not_sequential;
        config.reconnect = self.reconnect.map(Into::into);
        if let Some(name) = &self.end_event {
            check_end_event(name)?;
            config.end_event = Some(name.clone());
        }
        config.expectations = streamwatch_engine::expectations::Expectations::new(
            crate::expect_schema_arg::expectations(&self.expect_schema)?,
        );
        config.secret_params = self
            .secret_params
            .iter()
            .map(|p| p.trim().to_string())
            .collect();
        config.client = self.client.options()?;
        config.validate()?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use std::time::Duration;
    use streamwatch_engine::subscription::{ConfigError, RedirectMode};

    fn watch(args: &[&str]) -> WatchArgs {
        let argv = ["streamwatch", "watch"]
            .into_iter()
            .chain(args.iter().copied());
        match Cli::try_parse_from(argv).map(|cli| cli.command) {
            Ok(Command::Watch(w)) => w,
            other => panic!("expected watch args, got {other:?}"),
        }
    }

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn flags_reach_the_subscription() {
        let args = watch(&[
            "http://127.0.0.1:1/events",
            "-H",
            "X-A: 1",
            "--header",
            "X-B:2",
            "-X",
            "post",
            "-d",
            "hi",
            "--last-event-id",
            "41",
            "--idle-timeout",
            "0.25",
            "--retry-initial",
            "10",
            "--retry-max",
            "50",
            "--max-retries",
            "3",
        ]);
        let config = args.subscription().expect("valid flags");
        assert_eq!(
            config.headers,
            vec![("X-A".into(), "1".into()), ("X-B".into(), "2".into())]
        );
        assert_eq!(config.method, "POST");
        assert_eq!(config.body.as_deref(), Some("hi"));
        assert_eq!(config.last_event_id.as_deref(), Some("41"));
        assert_eq!(config.idle_timeout, Some(Duration::from_millis(250)));
        assert_eq!(
            config.retry,
            RetryConfig {
                initial_ms: 10,
                max_ms: 50,
                max_retries: Some(3)
            }
        );
    }

    #[test]
    fn defaults_are_a_plain_get_that_retries_forever() {
        let config = watch(&["http://x/"]).subscription().expect("valid");
        assert_eq!(config.method, "GET");
        assert_eq!(config.idle_timeout, None, "automatic");
        assert_eq!(config.retry, RetryConfig::default());
        let off = watch(&["http://x/", "--idle-timeout", "0"]).subscription();
        assert_eq!(off.expect("valid").idle_timeout, Some(Duration::ZERO));
        let auto = watch(&["http://x/", "--idle-timeout", "auto"]).subscription();
        assert_eq!(auto.expect("valid").idle_timeout, None);
    }

    #[test]
    fn a_large_initial_delay_raises_the_default_cap() {
        let config = watch(&["http://x/", "--retry-initial", "60000"])
            .subscription()
            .expect("valid");
        assert_eq!(config.retry.max_ms, 60_000);
        let explicit = watch(&["http://x/", "--retry-initial", "600", "--retry-max", "5"]);
        assert!(matches!(
            explicit.subscription(),
            Err(UsageError::Config(ConfigError::InvalidRetry(_)))
        ));
    }

    #[test]
    fn bad_input_is_a_usage_error() {
        let bad = |args: &[&str]| watch(args).subscription().unwrap_err();
        assert!(matches!(
            bad(&["not a url"]),
            UsageError::Config(ConfigError::InvalidUrl { .. })
        ));
        assert!(matches!(
            bad(&["ftp://x/"]),
            UsageError::Config(ConfigError::UnsupportedScheme(_))
        ));
        assert!(matches!(
            bad(&["http://x/", "-H", "no colon"]),
            UsageError::Config(ConfigError::InvalidHeader(_))
        ));
        assert!(matches!(
            bad(&["http://x/", "-X", "GET X"]),
            UsageError::Config(ConfigError::InvalidMethod(_))
        ));
        assert!(matches!(
            bad(&["http://x/", "--last-event-id", "a\nb"]),
            UsageError::LastEventId(_)
        ));
    }

    #[test]
    fn redirects_default_to_any_and_take_each_mode() {
        let mode = |args: &[&str]| watch(args).subscription().expect("valid").redirects;
        assert_eq!(mode(&["http://x/"]), RedirectMode::Any);
        assert_eq!(
            mode(&["http://x/", "--redirects", "any"]),
            RedirectMode::Any
        );
        assert_eq!(
            mode(&["http://x/", "--redirects", "same-origin"]),
            RedirectMode::SameOrigin
        );
        assert_eq!(
            mode(&["http://x/", "--redirects", "never"]),
            RedirectMode::Never
        );
        let argv = [
            "streamwatch",
            "watch",
            "http://x/",
            "--redirects",
            "sometimes",
        ];
        assert!(Cli::try_parse_from(argv).is_err());
    }

    #[test]
    fn extension_methods_keep_their_case() {
        assert_eq!(normalize_method("Subscribe"), "Subscribe");
        assert_eq!(normalize_method("delete"), "DELETE");
    }

    #[test]
    fn count_must_be_positive() {
        let argv = ["streamwatch", "watch", "http://x/", "--count", "0"];
        assert!(Cli::try_parse_from(argv).is_err());
    }
}
