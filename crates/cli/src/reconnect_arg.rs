//! `--reconnect` values: the engine's [`ReconnectMode`], with help for each.

use clap::ValueEnum;
use streamwatch_engine::reconnect_mode::ReconnectMode;

/// When a stream that ended is requested again.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReconnectArg {
    /// After any end, clean or not (an endless stream; the default for GET).
    Always,
    /// Only after an error or a broken stream; a clean end or an end sentinel ([DONE],
    /// message_stop, response.completed, --end-event) is done (the default for other methods).
    Error,
    /// Never: the first end is the last.
    Never,
}

impl From<ReconnectArg> for ReconnectMode {
    fn from(arg: ReconnectArg) -> Self {
        match arg {
            ReconnectArg::Always => ReconnectMode::Always,
            ReconnectArg::Error => ReconnectMode::Error,
            ReconnectArg::Never => ReconnectMode::Never,
        }
    }
}
