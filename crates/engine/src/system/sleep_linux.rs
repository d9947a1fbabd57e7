//! Linux: logind's `PrepareForSleep(true)` before a suspend and `PrepareForSleep(false)` after
//! the resume, on the system bus. Only logind's own signal counts (the bus checks the sender
//! owns `org.freedesktop.login1`), so another program cannot fake a wake.

use futures_util::StreamExt;

use crate::conditions_feed::ConditionsFeed;

/// Why sleep and wake cannot be watched (no system bus, as in many containers).
#[derive(Debug, thiserror::Error)]
#[error("cannot watch for sleep and wake on the system bus: {0}")]
pub struct SleepWatchError(#[from] zbus::Error);

/// Connects to the system bus (`DBUS_SYSTEM_BUS_ADDRESS` if set) and feeds sleep and wake.
pub async fn spawn(feed: ConditionsFeed) -> Result<tokio::task::JoinHandle<()>, SleepWatchError> {
    let conn = zbus::Connection::system().await?;
    let rule = zbus::MatchRule::builder()
        .msg_type(zbus::message::Type::Signal)
        .sender("org.freedesktop.login1")?
        .path("/org/freedesktop/login1")?
        .interface("org.freedesktop.login1.Manager")?
        .member("PrepareForSleep")?
        .build();
    let mut signals = zbus::MessageStream::for_match_rule(rule, &conn, Some(16)).await?;
    Ok(tokio::spawn(async move {
        // Owning the connection here keeps the match alive as long as the task.
        let _conn = conn;
        while let Some(message) = signals.next().await {
            let Ok(message) = message else { continue };
            match message.body().deserialize::<bool>() {
                Ok(true) => feed.sleeping(),
                Ok(false) => feed.woke(),
                Err(e) => tracing::debug!(error = %e, "PrepareForSleep without a boolean"),
            }
        }
    }))
}
