//! Peak RSS of each front end under three hostile servers (issue 11, "memory is bounded by
//! bytes, whatever the server does").
//!
//!     cargo bench -p streamwatch-cli --bench peak_rss              # 10 s per run
//!     STREAMWATCH_RSS_SECONDS=60 cargo bench -p streamwatch-cli --bench peak_rss
//!     cargo bench -p streamwatch-cli --bench peak_rss -- --quick   # 2 s per run
//!
//! Servers (real loopback sockets, in this process; `streamwatch_test_support::hostile`):
//! `trickle` writes one byte at a time into an endless `data:` line; `big` floods 16 MiB events
//! (just under the default event cap); `tiny` floods `data: x` events. Front ends: `watch` is
//! `streamwatch watch URL` with stdout to /dev/null; `daemon` is `streamwatch run` on a fresh
//! data dir holding one subscription; `app` is the app's data path without a window (the
//! Monitor with its storage writer, the supervisor's broadcast and the app-api bridge batching
//! for a window that takes every batch), run in a child process of this bench. It is not the
//! Tauri binary: the real app, webview and all, under the same servers is
//! `cargo run -p streamwatch-e2e --bin app_rss` (tests/e2e/BENCHMARKS.md). The figure is VmHWM
//! from /proc/<pid>/status, read just before the child is stopped.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use streamwatch_test_support::hostile::Hostile;

const EXE: &str = env!("CARGO_BIN_EXE_streamwatch");

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--app-child") {
        return app_child(&args[i + 1], &args[i + 2]);
    }
    let secs = if args.iter().any(|a| a == "--quick") {
        2
    } else {
        std::env::var("STREAMWATCH_RSS_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(10)
    };
    println!(
        "peak RSS (VmHWM), {secs} s per run; app = Monitor + bridge in a child process, no webview"
    );
    println!(
        "{:<10} {:>12} {:>12} {:>12}",
        "server", "watch", "daemon", "app"
    );
    for kind in Hostile::ALL {
        let mut row = format!("{:<10}", kind.name());
        for front in ["watch", "daemon", "app"] {
            let url = kind.serve();
            let kib = run(front, &url, Duration::from_secs(secs));
            row.push_str(&format!(
                " {:>9} MiB",
                format!("{:.1}", kib as f64 / 1024.0)
            ));
        }
        println!("{row}");
    }
}

/// Runs one front end against `url` for `time`; its peak RSS in KiB.
fn run(front: &str, url: &str, time: Duration) -> u64 {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().to_str().expect("utf-8 temp path").to_string();
    let mut child = match front {
        "watch" => spawn(Command::new(EXE).args(["watch", url])),
        "daemon" => {
            let ok = Command::new(EXE)
                .args(["--data-dir", &data, "subs", "add", "hostile", url])
                .stdout(Stdio::null())
                .status()
                .expect("streamwatch subs add");
            assert!(ok.success(), "subs add failed");
            spawn(Command::new(EXE).args(["--data-dir", &data, "run"]))
        }
        _ => spawn(
            Command::new(std::env::current_exe().expect("own path")).args([
                "--app-child",
                url,
                &data,
            ]),
        ),
    };
    let end = Instant::now() + time;
    while Instant::now() < end {
        std::thread::sleep(Duration::from_millis(100));
        if let Ok(Some(status)) = child.try_wait() {
            eprintln!("{front} ended early: {status}");
            break;
        }
    }
    let kib = vm_hwm(child.id()).unwrap_or(0);
    let _ = child.kill();
    let _ = child.wait();
    drop(dir);
    kib
}

fn spawn(cmd: &mut Command) -> Child {
    cmd.stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the front end")
}

fn vm_hwm(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The app's data path without a window: a Monitor (storage writer, supervisor) and the bridge
/// batching for a window that drops every batch once received.
fn app_child(url: &str, dir: &str) {
    use streamwatch_app_api::{bridge, health::HealthBoard};
    use streamwatch_engine::catalog::SubscriptionRecord;
    use streamwatch_engine::monitor::{Monitor, MonitorOptions};
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let mut options = MonitorOptions::new(Path::new(dir).to_path_buf());
        options.autostart = false;
        // As the app sets it (src-tauri/src/state.rs).
        options.event_capacity = 32_768;
        let monitor = Monitor::open(options).expect("monitor");
        let events = monitor.supervisor().subscribe();
        let (_added_tx, added) = tokio::sync::broadcast::channel(4);
        let board = HealthBoard::new();
        let health = board.watch();
        monitor
            .add(&SubscriptionRecord::new("hostile", url))
            .expect("add");
        let source = bridge::AppStatuses {
            supervisor: monitor.supervisor(),
            health: &board,
        };
        bridge::run(events, added, health, &source, |batch| {
            std::hint::black_box(&batch);
            true
        })
        .await;
    });
}
