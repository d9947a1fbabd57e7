//! A fatal stop, seen where the desktop sees it (every `Notify` call on the test's private
//! session bus, dunst showing them): it comes under the app's name and icon, it is told once
//! per occurrence — the app launched again against the same server answering 401 does not
//! tell it again — and pressing Resume, the button the notification names, starts a new
//! occurrence, which is told.

use std::path::Path;
use std::time::Duration;

use streamwatch_demo_server::DemoConfig;
use streamwatch_e2e::{screenshot_display, App, Demo, Desktop, NotificationWatch, Notified};
use streamwatch_engine::storage::{Store, SubscriptionRecord};

/// Long enough for the app to start, connect and be refused.
const ALERT_WAIT: Duration = Duration::from_secs(20);
/// How long a relaunched app is watched for a repeated notification: it connects, is refused
/// and shows "failed" well within this.
const QUIET: Duration = Duration::from_secs(4);

const TITLE: &str = "Billing stopped: HTTP 401";

fn fatal(n: &Notified) -> bool {
    n.summary == TITLE
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fatal_stop_is_told_once_per_occurrence_under_the_apps_name_and_icon() {
    let server = Demo::start(DemoConfig::default()).await;
    let desktop = Desktop::start("fatal_once").await;
    {
        let store = Store::open(desktop.data_dir()).expect("the data directory opens");
        store
            .add_subscription(&SubscriptionRecord::new(
                "Billing",
                server.url("/events?status=401"),
            ))
            .expect("the subscription is saved");
    }
    let notes = NotificationWatch::start(desktop.bus_address(), desktop.display())
        .expect("dunst and the Notify recorder start");

    // First launch: told at once, as Streamwatch, with its icon.
    let app = App::launch_on(desktop, "fatal_once").await;
    let told = notes
        .wait_for(TITLE, fatal, ALERT_WAIT)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(told.app_name, "Streamwatch", "{}", told.describe());
    let icon = Path::new(&told.app_icon);
    assert!(
        icon.is_absolute() && icon.is_file(),
        "app_icon {:?} is not an icon file",
        told.app_icon
    );
    let png = std::fs::read(icon).expect("the icon reads");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "the icon is a PNG");
    assert!(
        told.hint_names.iter().any(|h| h == "image-path"),
        "hints: {:?}",
        told.hint_names
    );
    assert!(
        told.body.ends_with("then press Resume."),
        "the body names the button: {}",
        told.body
    );
    app.wait_sub_state("Billing", "failed").await;
    let shot = screenshot_display(app.desktop().display(), "fatal_once-popup")
        .unwrap_or_else(|e| panic!("{e}"));
    eprintln!("screenshot: {}", shot.display());
    let log = notes.daemon_log_tail(50);
    assert!(!log.contains("No icon found"), "dunst: {log}");

    // Quit and launch again: the server still answers 401, the stop still stands. Not told.
    let desktop = app.quit().await;
    let app = App::launch_on(desktop, "fatal_once").await;
    app.wait_sub_state("Billing", "failed").await;
    notes
        .expect_none(1, "for the same fatal stop after a relaunch", fatal, QUIET)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        notes.count(),
        1,
        "exactly one Notify in two launches: {:?}",
        notes
            .seen()
            .iter()
            .map(Notified::describe)
            .collect::<Vec<_>>()
    );

    // The detail view offers Resume for the failed stream (not Pause); pressing it and being
    // refused again is a new occurrence: told.
    app.click_css(r#"[data-testid="sub-item"][data-name="Billing"]"#)
        .await;
    app.wait_detail_state("Billing", "failed").await;
    assert!(
        !app.exists("btn-pause").await,
        "a failed stream offers no Pause"
    );
    app.click("btn-resume").await;
    let again = notes
        .wait_for_after(1, "after Resume", fatal, ALERT_WAIT)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again.app_name, "Streamwatch");
    app.wait_sub_state("Billing", "failed").await;
    notes
        .expect_none(2, "a third time", fatal, Duration::from_secs(2))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    app.close().await;
}
