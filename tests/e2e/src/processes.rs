//! The processes one test's app consists of (the app and the WebKit processes it starts),
//! found by the private `STREAMWATCH_DATA_DIR` in their environment, never by name alone.

use std::fs;
use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

/// One process of the app under test.
#[derive(Debug, Clone)]
pub struct AppProcess {
    /// Its pid.
    pub pid: u32,
    /// `comm`: "streamwatch-app", "WebKitWebProces", "WebKitNetworkPr" (15 bytes at most).
    pub comm: String,
    /// Its environment, as `NAME=value` entries.
    pub environ: Vec<String>,
}

impl AppProcess {
    /// The value of `name` in its environment.
    pub fn env(&self, name: &str) -> Option<&str> {
        self.environ
            .iter()
            .find_map(|e| e.strip_prefix(name)?.strip_prefix('='))
    }

    /// Whether it is one of WebKit's web (page) processes.
    pub fn is_web_process(&self) -> bool {
        self.comm.starts_with("WebKitWebProces")
    }
}

/// Every readable process whose environment has `STREAMWATCH_DATA_DIR=<data_dir>`, except the
/// WebDriver processes that carry it on the app's behalf.
pub fn app_processes(data_dir: &Path) -> Vec<AppProcess> {
    let needle = format!("STREAMWATCH_DATA_DIR={}", data_dir.display());
    let mut out = Vec::new();
    let Ok(entries) = fs::read_dir("/proc") else {
        return out;
    };
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(env) = fs::read(e.path().join("environ")) else {
            continue;
        };
        let environ: Vec<String> = env
            .split(|&b| b == 0)
            .filter(|v| !v.is_empty())
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .collect();
        if !environ.contains(&needle) {
            continue;
        }
        let comm = fs::read_to_string(e.path().join("comm")).unwrap_or_default();
        let comm = comm.trim().to_owned();
        if comm.starts_with("tauri-driver") || comm.starts_with("WebKitWebDrive") {
            continue;
        }
        out.push(AppProcess { pid, comm, environ });
    }
    out
}

/// Stops the process group `child` leads (it was spawned with `process_group(0)`): SIGTERM to
/// the group, up to `grace` for the leader to end, then SIGKILL to whatever is left of it.
/// The group id stays reserved while any member lives, so only the harness's own processes
/// are reached (e.g. WebKitWebDriver's browser process under tauri-driver).
pub fn stop_group(mut child: Child, grace: Duration) {
    let Ok(pgid) = libc::pid_t::try_from(child.id()) else {
        let _ = child.kill();
        let _ = child.wait();
        return;
    };
    // SAFETY: plain syscalls on a process group the harness created.
    unsafe { libc::kill(-pgid, libc::SIGTERM) };
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline && matches!(child.try_wait(), Ok(None)) {
        std::thread::sleep(Duration::from_millis(20));
    }
    unsafe { libc::kill(-pgid, libc::SIGKILL) };
    let _ = child.wait();
}
