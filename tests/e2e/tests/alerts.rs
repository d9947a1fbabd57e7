//! The app's tray and notifications, observed where the desktop sees them: on a private D-Bus
//! session with a real notification daemon (dunst, every `Notify` call recorded) and a
//! StatusNotifierWatcher written for the test (the tray item's icon and its dbusmenu), while
//! real demo servers go down and come back.

use std::path::Path;
use std::time::Duration;

use streamwatch_demo_server::DemoConfig;
use streamwatch_e2e::{
    screenshot_display, tray_watcher::describe_menu, x11_window, App, Colour, Demo, Desktop,
    MenuEntry, NotificationWatch, Notified, TrayWatcher,
};
use streamwatch_engine::storage::{Store, SubscriptionRecord};

/// Long enough for a threshold of 2 s, the 250 ms tray tick and a reconnect.
const ALERT_WAIT: Duration = Duration::from_secs(20);

fn save(dir: &Path, name: &str, url: &str, notify: serde_json::Value, max_retries: Option<u32>) {
    let store = Store::open(dir).expect("the data directory opens");
    let mut r = SubscriptionRecord::new(name, url);
    r.retry.initial_ms = 300;
    r.retry.max_ms = 1_000;
    r.retry.max_retries = max_retries;
    r.notify = notify;
    store
        .add_subscription(&r)
        .expect("the subscription is saved");
}

fn headline(menu: &[MenuEntry]) -> String {
    menu.iter()
        .find(|e| e.visible && !e.is_separator())
        .map(|e| e.label.clone())
        .unwrap_or_default()
}

fn has_line(menu: &[MenuEntry], text: &str) -> bool {
    menu.iter().any(|e| e.label == text)
}

fn titled(title: &str) -> impl Fn(&Notified) -> bool + '_ {
    move |n| n.summary == title
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tray_and_notifications_follow_the_servers() {
    let mut alpha = Demo::start(DemoConfig::default()).await;
    let mut storm = Demo::start(DemoConfig::default()).await;
    let desktop = Desktop::start("alerts").await;
    let dir = desktop.data_dir().to_path_buf();
    let quick = serde_json::json!({ "downAfterSecs": 2 });
    save(
        &dir,
        "Alpha",
        &alpha.url("/events?rate=10"),
        quick.clone(),
        None,
    );
    save(
        &dir,
        "Beta",
        &alpha.url("/events?rate=10&types=tick,tick,tick,alert"),
        serde_json::json!({ "downAfterSecs": 0, "messages": [{ "event": "alert" }] }),
        None,
    );
    // Nothing listens there: one retry, then it gives up.
    save(
        &dir,
        "Gamma",
        "http://127.0.0.1:9/events",
        serde_json::json!({}),
        Some(1),
    );
    save(
        &dir,
        "Delta",
        &alpha.url("/events?status=401"),
        serde_json::json!({}),
        None,
    );
    for i in 1..=3 {
        save(
            &dir,
            &format!("Storm {i}"),
            &storm.url("/events?rate=5"),
            quick.clone(),
            None,
        );
    }

    let notes = NotificationWatch::start(desktop.bus_address(), desktop.display())
        .expect("dunst and the Notify recorder start");
    let tray = TrayWatcher::start(desktop.bus_address())
        .await
        .expect("the StatusNotifierWatcher is on the bus");
    let app = App::launch_on(desktop, "alerts").await;
    let item = tray
        .wait_item(ALERT_WAIT)
        .await
        .expect("the app registers a tray item");

    // Gave up and fatal: told once each, at once.
    notes
        .wait_for("Gamma gave up", titled("Gamma gave up"), ALERT_WAIT)
        .await
        .expect("a gave-up notification");
    let fatal = notes
        .wait_for(
            "Delta stopped: HTTP 401",
            titled("Delta stopped: HTTP 401"),
            ALERT_WAIT,
        )
        .await
        .expect("a fatal-error notification");
    assert!(
        fatal
            .body
            .starts_with("The server answered 401 Unauthorized — check the credentials."),
        "{}",
        fatal.describe()
    );

    // The menu carries the status: failed ones make the icon red.
    let menu = item
        .wait_menu(
            "5 open and 2 failed",
            |m| headline(m) == "5 open · 0 retrying · 2 failed",
            ALERT_WAIT,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    for line in [
        "● Alpha — open",
        "● Beta — open",
        "✕ Gamma — failed",
        "✕ Delta — failed",
        "● Storm 1 — open",
    ] {
        assert!(
            has_line(&menu, line),
            "no {line:?} in\n{}",
            describe_menu(&menu)
        );
    }
    item.wait_icon_colour(Colour::Red, ALERT_WAIT)
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    // A message rule: the first alert is shown, the next ones within the minute are folded.
    let first_alert = notes
        .wait_for("Beta: type alert", titled("Beta: type alert"), ALERT_WAIT)
        .await
        .expect("a message-rule notification");
    assert!(
        first_alert.body.contains("\"n\""),
        "{}",
        first_alert.describe()
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        notes.matching(0, titled("Beta: type alert")).len(),
        1,
        "alerts arrive 2.5 times a second, one is shown per minute"
    );

    // Pause the failed ones from the window? No: from the tray, Pause all then Resume all.
    item.click("Pause all")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    item.wait_menu(
        "everything paused",
        |m| headline(m).ends_with("· 7 paused") && has_line(m, "‖ Alpha — paused"),
        ALERT_WAIT,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    item.wait_icon_colour(Colour::Grey, ALERT_WAIT)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    item.click("Resume all")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    item.wait_menu(
        "Alpha open again",
        |m| has_line(m, "● Alpha — open") && !headline(m).contains("paused"),
        ALERT_WAIT,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));

    // Choosing a subscription in the menu opens the window on it — once the entry says open:
    // after "Resume all" the streams reconnect one by one, and on a busy machine Storm 2 may
    // still be connecting when Alpha is open.
    item.wait_menu(
        "Storm 2 open again",
        |m| has_line(m, "● Storm 2 — open"),
        ALERT_WAIT,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    item.click("● Storm 2 — open")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    app.wait_for("the detail of Storm 2", async || match app.detail().await {
        Some(d) if d.name == "Storm 2" => Ok(()),
        other => Err(format!("{other:?}")),
    })
    .await;

    // Renamed in the window: the tray says the new name at once (the alert loop hears of the
    // edit; its reread of everything from storage is only a 30 s backstop).
    app.click("btn-edit").await;
    app.element("subscription-form").await;
    app.fill("field-name", "Storm 2 (renamed)").await;
    app.click("btn-save").await;
    app.wait_gone("subscription-form").await;
    item.wait_menu(
        "the new name in the tray",
        |m| has_line(m, "● Storm 2 (renamed) — open") && !has_line(m, "● Storm 2 — open"),
        Duration::from_secs(5),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));

    // One server down: amber while retrying, red and a notification after 2 s.
    let before = notes.count();
    alpha.stop().await;
    item.wait_menu(
        "Alpha retrying",
        |m| {
            m.iter().any(|e| {
                e.label.starts_with("↻ Alpha — retrying") || e.label.starts_with("▼ Alpha — down")
            })
        },
        ALERT_WAIT,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let down = notes
        .wait_for_after(before, "Alpha is down", titled("Alpha is down"), ALERT_WAIT)
        .await
        .expect("a down notification after the threshold");
    assert!(
        down.body.starts_with("Not connected for 2 s"),
        "{}",
        down.describe()
    );
    assert!(
        down.after >= Duration::from_secs(2),
        "not before the threshold: {}",
        down.describe()
    );
    item.wait_menu(
        "Alpha down",
        |m| m.iter().any(|e| e.label.starts_with("▼ Alpha — down")),
        ALERT_WAIT,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    notes.wait_popup(ALERT_WAIT).await.expect("dunst shows it");
    let shot = screenshot_display(app.desktop().display(), "alerts-down-notification")
        .expect("a screenshot of the display");
    eprintln!("screenshot: {}", shot.display());

    // Back: one "recovered" with how long it was down.
    let before = notes.count();
    alpha.restart().await;
    let up = notes
        .wait_for_after(
            before,
            "Alpha recovered",
            titled("Alpha recovered"),
            ALERT_WAIT,
        )
        .await
        .expect("a recovered notification");
    assert!(up.body.starts_with("Back after "), "{}", up.describe());
    item.wait_menu(
        "Alpha open again",
        |m| has_line(m, "● Alpha — open"),
        ALERT_WAIT,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));

    // Three at once: one notification, not three.
    let before = notes.count();
    storm.stop().await;
    let many = notes
        .wait_for_after(
            before,
            "one notification for the three",
            |n| {
                // The servers were stopped: the notification names what it saw.
                n.summary
                    .ends_with("subscriptions down — connections refused")
            },
            ALERT_WAIT,
        )
        .await
        .expect("a storm notification");
    assert!(many.body.contains("Storm 1"), "{}", many.describe());
    notes
        .expect_none(
            before,
            "a notification per storm subscription",
            |n| n.summary.starts_with("Storm "),
            Duration::from_secs(3),
        )
        .await
        .expect("folded");

    // Every notification is also in the in-app list, with Do Not Disturb off.
    let listed = app
        .js("return window.__TAURI_INTERNALS__.invoke('list_notifications', {before: null, limit: 100})
               .then(l => l.map(n => n.title));")
        .await;
    for title in [
        "Gamma gave up",
        "Delta stopped: HTTP 401",
        "Alpha is down",
        "Alpha recovered",
    ] {
        assert!(
            listed
                .as_array()
                .is_some_and(|l| l.iter().any(|t| t == title)),
            "{title:?} is not in the in-app list: {listed}"
        );
    }
    // And as a person sees them: the bell opens the panel that lists them.
    app.click("notifications-button").await;
    app.element("notifications-panel").await;
    app.wait_for("the bell's panel lists the notifications", async || {
        let items = app.count("[data-testid=\"notification-item\"]").await;
        let text = app
            .text("[data-testid=\"notifications-panel\"]")
            .await
            .map(|t| t.0)
            .unwrap_or_default();
        if items >= 4 && text.contains("Alpha recovered") && text.contains("Gamma gave up") {
            Ok(())
        } else {
            Err(format!("{items} items: {text:?}"))
        }
    })
    .await;
    app.screenshot("notifications-panel").await;

    // Closing the window (a window manager's WM_DELETE_WINDOW) hides it to the tray: the app
    // keeps watching, and "Show window" brings it back.
    let display = app.desktop().display().to_owned();
    let window = x11_window::find_window(&display, "Streamwatch", true).expect("the app's window");
    x11_window::request_close(&display, &window).expect("the close request is sent");
    app.wait_for("the window hidden, not closed", async || {
        if x11_window::is_viewable(&display, &window) {
            Err("still shown".to_owned())
        } else {
            Ok(())
        }
    })
    .await;
    let before = notes.count();
    storm.restart().await;
    notes
        .wait_for_after(
            before,
            "recoveries told while the window is hidden",
            |n| n.summary.contains("recovered"),
            ALERT_WAIT,
        )
        .await
        .expect("monitoring goes on in the tray");
    item.click("Show window")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    app.wait_for("the window shown again", async || {
        if x11_window::is_viewable(&display, &window) {
            Ok(())
        } else {
            Err("still hidden".to_owned())
        }
    })
    .await;
    app.close().await;
}
