//! Delivering what the notifier decided: every notification goes into the in-app list (the
//! database) and to the open windows; those marked to be shown also go to the desktop
//! under the app's name and icon ([`crate::desktop_notify`]).

use std::borrow::Cow;
use streamwatch_app_api::dto::{ms, NotificationView};

use streamwatch_engine::alerts::{Delivery, Notification};
use streamwatch_engine::catalog::NewNotification;
use streamwatch_engine::monitor::Monitor;
use tauri::{AppHandle, Emitter, Runtime};

/// Sent to every window with a [`NotificationView`] as each notification is listed.
pub const NOTIFICATION_EVENT: &str = "streamwatch://notification";

/// Lists `n`, tells the windows, and shows it on the desktop unless it is silenced or folded.
/// A failure to list it does not stop it from being shown, and the other way round.
pub fn deliver<R: Runtime>(app: &AppHandle<R>, monitor: &Monitor, n: &Notification) {
    let listed = monitor.catalog().add_notification(&NewNotification {
        at: n.at,
        subscription: n.subscription,
        kind: n.kind.as_str(),
        title: &n.title,
        body: &n.body,
        delivery: n.delivery.as_str(),
    });
    match listed {
        Ok(id) => {
            let view = NotificationView {
                id,
                at_ms: ms(n.at),
                subscription_id: n.subscription.map(|s| s.0),
                kind: n.kind.as_str().into(),
                title: n.title.clone(),
                body: n.body.clone(),
                delivery: n.delivery.as_str().into(),
            };
            // No window open (hidden to the tray) is fine: the list has it.
            let _ = app.emit(NOTIFICATION_EVENT, view);
        }
        Err(e) => eprintln!(
            "streamwatch: cannot list the notification {:?}: {e}",
            n.title
        ),
    }
    if n.delivery == Delivery::Show {
        if let Err(e) = crate::desktop_notify::show(app, &n.title, &desktop_body(&n.body)) {
            eprintln!(
                "streamwatch: cannot show the notification {:?}: {e}",
                n.title
            );
        }
    }
}

/// The body as the desktop notification server should get it. freedesktop servers (Linux, the
/// BSDs) may read a subset of HTML in the body, and the body holds server-sent text, so it is
/// escaped there; the summary is plain text by the spec and the in-app list keeps the original.
/// macOS and Windows show bodies as plain text, where entities would show literally.
fn desktop_body(body: &str) -> Cow<'_, str> {
    #[cfg(all(
        unix,
        not(any(target_os = "macos", target_os = "ios", target_os = "android"))
    ))]
    return streamwatch_engine::alerts::markup::escape_markup(body);
    #[cfg(not(all(
        unix,
        not(any(target_os = "macos", target_os = "ios", target_os = "android"))
    )))]
    Cow::Borrowed(body)
}

#[cfg(test)]
mod tests {
    use super::desktop_body;

    #[test]
    fn server_text_reaches_the_desktop_as_text_not_markup() {
        let body = "feed: <b>down</b> & <a href=\"http://x\">see</a>";
        #[cfg(all(
            unix,
            not(any(target_os = "macos", target_os = "ios", target_os = "android"))
        ))]
        assert_eq!(
            desktop_body(body),
            "feed: &lt;b&gt;down&lt;/b&gt; &amp; &lt;a href=\"http://x\"&gt;see&lt;/a&gt;"
        );
        #[cfg(not(all(
            unix,
            not(any(target_os = "macos", target_os = "ios", target_os = "android"))
        )))]
        assert_eq!(desktop_body(body), body);
    }
}
