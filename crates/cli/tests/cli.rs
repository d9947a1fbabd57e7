//! The binary as a command: usage errors, help, a closed stdout, Ctrl-C, and `demo-server`.

mod common;

use common::{demo, run, Live};

#[tokio::test]
async fn malformed_input_is_a_one_line_usage_error_with_status_2() {
    let cases: &[(&[&str], &str)] = &[
        (&["watch", "not a url"], "invalid URL"),
        (&["watch", "ftp://example.com/"], "unsupported URL scheme"),
        (
            &["watch", "http://127.0.0.1:9/", "-H", "no colon"],
            "invalid header",
        ),
        (
            &["watch", "http://127.0.0.1:9/", "-H", "bad name: v"],
            "invalid header",
        ),
        (
            &["watch", "http://127.0.0.1:9/", "-X", "GET X"],
            "invalid HTTP method",
        ),
        (
            &[
                "watch",
                "http://127.0.0.1:9/",
                "--retry-initial",
                "500",
                "--retry-max",
                "10",
            ],
            "invalid retry settings",
        ),
    ];
    for (args, needle) in cases {
        let out = run(args).await;
        assert_eq!(out.code, Some(2), "{args:?}: {out:#?}");
        assert!(out.stdout.is_empty(), "{args:?}: {out:#?}");
        assert_eq!(out.stderr.lines().count(), 1, "{args:?}: {out:#?}");
        assert!(out.stderr.contains(needle), "{args:?}: {out:#?}");
    }
}

#[tokio::test]
async fn clap_usage_errors_exit_2() {
    for args in [
        &["watch", "http://127.0.0.1:9/", "--bogus"][..],
        &["watch"],
        &["watch", "http://127.0.0.1:9/", "--count", "0"],
        &["watch", "http://127.0.0.1:9/", "--idle-timeout", "soon"],
        &["nope"],
    ] {
        let out = run(args).await;
        assert_eq!(out.code, Some(2), "{args:?}: {out:#?}");
        assert!(!out.stderr.is_empty(), "{args:?}: {out:#?}");
    }
}

#[tokio::test]
async fn help_describes_the_options_and_exit_codes() {
    let out = run(&["watch", "--help"]).await;
    assert_eq!(out.code, Some(0), "{out:#?}");
    for needle in [
        "--header",
        "--method",
        "--body",
        "--last-event-id",
        "--idle-timeout",
        "--retry-initial",
        "--retry-max",
        "--max-retries",
        "--count",
        "--comments",
        "--json",
        "Exit status",
    ] {
        assert!(out.stdout.contains(needle), "{needle}: {}", out.stdout);
    }
    let top = run(&["--help"]).await;
    assert!(top.stdout.contains("demo-server"), "{top:#?}");
}

#[tokio::test]
async fn a_closed_stdout_ends_the_watch_quietly() {
    let server = demo().await;
    // An endless stream, as fast as the client reads.
    let url = server.url("/events?rate=0&size=200");
    let mut live = Live::spawn(&["watch", &url, "--json"]);
    live.next_line().await;
    let mut child = live.close_stdout();
    let status = tokio::time::timeout(common::RUN_LIMIT, child.wait())
        .await
        .expect("exits once nobody reads")
        .expect("wait works");
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        use tokio::io::AsyncReadExt;
        pipe.read_to_string(&mut stderr).await.expect("stderr");
    }
    assert_eq!(status.code(), Some(0), "stderr: {stderr}");
    assert!(stderr.is_empty(), "no panic, no message: {stderr}");
}

#[cfg(unix)]
#[tokio::test]
async fn ctrl_c_exits_promptly_with_130() {
    use std::time::{Duration, Instant};
    let server = demo().await;
    let url = server.url("/events?rate=5");
    let mut live = Live::spawn(&["watch", &url, "--json"]);
    live.next_line().await;
    let pid = live.child.id().expect("running").to_string();
    let sent = Instant::now();
    let kill = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill runs");
    assert!(kill.success());
    assert_eq!(live.wait().await, Some(130));
    assert!(
        sent.elapsed() < Duration::from_secs(2),
        "{:?}",
        sent.elapsed()
    );
}

#[cfg(unix)]
#[tokio::test]
async fn the_demo_server_subcommand_serves_streams() {
    let mut server = Live::spawn(&["demo-server", "--port", "0", "--rate", "0"]);
    let banner = server.next_line().await;
    let url = banner
        .rsplit(' ')
        .next()
        .filter(|u| u.starts_with("http://"))
        .unwrap_or_else(|| panic!("a listening URL in {banner:?}"))
        .to_owned();
    let out = run(&["watch", &url, "--json", "--count", "2"]).await;
    assert_eq!(out.code, Some(0), "{out:#?}");
    assert_eq!(out.types(), ["started", "message", "message"]);

    let pid = server.child.id().expect("running").to_string();
    let kill = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill runs");
    assert!(kill.success());
    assert_eq!(server.wait().await, Some(0));
}
