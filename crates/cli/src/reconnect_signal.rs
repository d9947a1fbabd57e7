//! "Reconnect now" from outside the process: SIGUSR1 on Unix, so a script, a network hook or
//! a resume-from-sleep hook can cut a wait or a dead socket short without a restart.

use tokio::sync::mpsc;

/// Requests to drop the current connection or wait and connect again at once.
pub type Requests = mpsc::Receiver<()>;

/// Starts forwarding SIGUSR1 as reconnect requests. Must run inside the runtime, before the
/// first connection: until the handler is installed, SIGUSR1's default action ends the process.
pub fn requests() -> std::io::Result<Requests> {
    let (tx, rx) = mpsc::channel(1);
    forward(tx)?;
    Ok(rx)
}

#[cfg(unix)]
fn forward(tx: mpsc::Sender<()>) -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut usr1 = signal(SignalKind::user_defined1())?;
    tokio::spawn(async move {
        while usr1.recv().await.is_some() {
            // A request already queued covers this one too.
            if let Err(mpsc::error::TrySendError::Closed(())) = tx.try_send(()) {
                return;
            }
        }
    });
    Ok(())
}

/// No SIGUSR1 elsewhere: the requests end at once, and a closed stream never asks.
#[cfg(not(unix))]
fn forward(_tx: mpsc::Sender<()>) -> std::io::Result<()> {
    Ok(())
}
