//! A finite run that ended cleanly stays finished across restarts of the monitor (the app and
//! the daemon are thin layers over it): the POSTed prompt is not sent again until the user
//! runs it again or edits it. Real local server; requests counted server-side.

use std::time::Duration;
use streamwatch_engine::catalog::SubscriptionRecord;
use streamwatch_engine::monitor::{Monitor, MonitorOptions};
use streamwatch_engine::run_summary::EndReason;
use streamwatch_engine::{State, SubscriptionId};
use streamwatch_test_support::scripted_server::{Reply, ScriptedServer};
use streamwatch_test_support::wait_until;

const LIMIT: Duration = Duration::from_secs(10);

/// An OpenAI-style answer: one chunk, then `[DONE]`.
const ANSWER: &str = concat!(
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"finish_reason\":\"stop\"}]}\n\n",
    "data: [DONE]\n\n",
);

fn open(dir: &std::path::Path) -> Monitor {
    let mut opts = MonitorOptions::new(dir.to_path_buf());
    opts.watch_system = false;
    Monitor::open(opts).expect("open")
}

fn prompt(url: &str) -> SubscriptionRecord {
    let mut r = SubscriptionRecord::new("answer", url);
    r.method = "POST".into();
    r.body = Some(r#"{"prompt":"hi"}"#.into());
    r.retry.initial_ms = 10;
    r.retry.max_ms = 40;
    r
}

fn is_finished(monitor: &Monitor, id: SubscriptionId) -> bool {
    monitor
        .supervisor()
        .status(id)
        .is_ok_and(|s| s.state == State::Stopped && s.finished.is_some())
}

/// Lets a wrongly sent request reach the server before counting.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(400)).await;
}

/// Restarts the monitor on the same data directory; asserts the run shows finished, with the
/// ending it had, and that nothing was sent.
async fn restart(monitor: Monitor, dir: &std::path::Path, id: SubscriptionId) -> Monitor {
    monitor.shutdown().await.expect("shutdown");
    let monitor = open(dir);
    let status = monitor.supervisor().status(id).expect("status");
    let ending = status.finished.clone().expect("finished after the restart");
    assert_eq!(status.state, State::Stopped, "{status:?}");
    assert_eq!(ending.end, EndReason::DoneSentinel);
    assert_eq!(ending.sentinel.as_deref(), Some("[DONE]"));
    assert_eq!(ending.events, 2);
    monitor
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_post_is_not_sent_again_after_a_restart_until_run_again() {
    let server = ScriptedServer::start(vec![Reply::sse(ANSWER)]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let monitor = open(dir.path());
    let id = monitor
        .add(&prompt(&server.url("/v1/chat/completions")))
        .expect("add");
    wait_until("finished", LIMIT, || is_finished(&monitor, id)).await;
    monitor.flush().await.expect("flush");

    let monitor = restart(monitor, dir.path(), id).await;
    settle().await;
    assert_eq!(
        server.requests().len(),
        1,
        "not POSTed again by the restart"
    );
    assert!(is_finished(&monitor, id), "still finished");

    // Run again: POSTed once more, and that run's end is what the next restart remembers.
    monitor.resume(id).expect("run again");
    wait_until("POSTed again", LIMIT, || server.requests().len() == 2).await;
    wait_until("finished again", LIMIT, || is_finished(&monitor, id)).await;
    monitor.flush().await.expect("flush");
    let monitor = restart(monitor, dir.path(), id).await;
    settle().await;
    assert_eq!(
        server.requests().len(),
        2,
        "not POSTed again by the second restart"
    );
    monitor.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_again_then_a_restart_before_it_finishes_runs_it() {
    // The second answer never ends: the restart finds a run under way, not a finished one.
    let server = ScriptedServer::start(vec![
        Reply::sse(ANSWER),
        Reply::sse_then_hold("data: {\"partial\":true}\n\n"),
    ])
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let monitor = open(dir.path());
    let id = monitor.add(&prompt(&server.url("/"))).expect("add");
    wait_until("finished", LIMIT, || is_finished(&monitor, id)).await;
    monitor.resume(id).expect("run again");
    wait_until("open", LIMIT, || {
        monitor
            .supervisor()
            .status(id)
            .is_ok_and(|s| s.state == State::Open)
    })
    .await;
    monitor.shutdown().await.expect("shutdown");

    let monitor = open(dir.path());
    wait_until("POSTed on start", LIMIT, || server.requests().len() == 3).await;
    assert!(!is_finished(&monitor, id));
    monitor.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_clears_the_finished_mark_and_a_rename_does_not() {
    let server = ScriptedServer::start(vec![Reply::sse(ANSWER)]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let monitor = open(dir.path());
    let id = monitor.add(&prompt(&server.url("/"))).expect("add");
    wait_until("finished", LIMIT, || is_finished(&monitor, id)).await;
    monitor.flush().await.expect("flush");

    monitor.rename(id, "renamed").expect("rename");
    let monitor = restart(monitor, dir.path(), id).await;
    settle().await;
    assert_eq!(server.requests().len(), 1, "a rename is not a new request");

    // Edited while stopped (as the CLI edits with no daemon running): the next start runs it.
    monitor.shutdown().await.expect("shutdown");
    {
        let catalog = streamwatch_engine::catalog::Catalog::open(dir.path(), Default::default())
            .expect("catalog");
        let mut edited = catalog.subscription(id).expect("saved").record;
        edited.body = Some(r#"{"prompt":"again"}"#.into());
        catalog.edit(id, &edited).expect("edit");
    }
    let monitor = open(dir.path());
    wait_until("POSTed after the edit", LIMIT, || {
        server.requests().len() == 2
    })
    .await;
    wait_until("finished", LIMIT, || is_finished(&monitor, id)).await;
    monitor.shutdown().await.expect("shutdown");
}
