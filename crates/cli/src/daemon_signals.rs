//! What the daemon is told from outside, in its platform's words: on Unix SIGTERM and SIGINT
//! stop it, SIGUSR1 reconnects every subscription and SIGHUP re-reads `--config`; on Windows
//! Ctrl-C, Ctrl-Break, closing its console and the system shutting down stop it (there is no
//! reconnect or reload signal there).

use anyhow::Context as _;

/// One request from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// Stop cleanly; the name of the signal, for the log.
    Stop(&'static str),
    /// Reconnect every running subscription now (SIGUSR1).
    #[cfg_attr(not(unix), allow(dead_code))]
    ReconnectAll,
    /// Re-read `--config` (SIGHUP).
    #[cfg_attr(not(unix), allow(dead_code))]
    Reload,
}

/// The installed handlers. Installed first thing: from then on a signal means "stop cleanly",
/// not "die".
#[cfg(unix)]
pub struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
    usr1: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    /// Installs the handlers; must run inside the runtime.
    pub fn install() -> anyhow::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals {
            term: signal(SignalKind::terminate()).context("cannot watch for SIGTERM")?,
            int: signal(SignalKind::interrupt()).context("cannot watch for SIGINT")?,
            // "Reconnect all now" (e.g. from a network or resume-from-sleep hook) and
            // "re-read --config", the usual meanings for a daemon.
            usr1: signal(SignalKind::user_defined1()).context("cannot watch for SIGUSR1")?,
            hup: signal(SignalKind::hangup()).context("cannot watch for SIGHUP")?,
        })
    }

    /// The next request; cancel-safe, for `select!`.
    pub async fn next(&mut self) -> Request {
        tokio::select! {
            _ = self.term.recv() => Request::Stop("SIGTERM"),
            _ = self.int.recv() => Request::Stop("SIGINT"),
            _ = self.usr1.recv() => Request::ReconnectAll,
            _ = self.hup.recv() => Request::Reload,
        }
    }
}

/// The installed handlers. Installed first thing: from then on a console event means "stop
/// cleanly", not "die".
#[cfg(windows)]
pub struct Signals {
    ctrl_c: tokio::signal::windows::CtrlC,
    ctrl_break: tokio::signal::windows::CtrlBreak,
    close: tokio::signal::windows::CtrlClose,
    shutdown: tokio::signal::windows::CtrlShutdown,
}

#[cfg(windows)]
impl Signals {
    /// Installs the handlers; must run inside the runtime.
    pub fn install() -> anyhow::Result<Self> {
        use tokio::signal::windows;
        Ok(Signals {
            ctrl_c: windows::ctrl_c().context("cannot watch for Ctrl-C")?,
            ctrl_break: windows::ctrl_break().context("cannot watch for Ctrl-Break")?,
            close: windows::ctrl_close().context("cannot watch for the console closing")?,
            shutdown: windows::ctrl_shutdown().context("cannot watch for shutdown")?,
        })
    }

    /// The next request; cancel-safe, for `select!`.
    pub async fn next(&mut self) -> Request {
        tokio::select! {
            _ = self.ctrl_c.recv() => Request::Stop("Ctrl-C"),
            _ = self.ctrl_break.recv() => Request::Stop("Ctrl-Break"),
            _ = self.close.recv() => Request::Stop("console closed"),
            _ = self.shutdown.recv() => Request::Stop("shutdown"),
        }
    }
}
