//! Commands on a throwaway data directory, and `streamwatch run` as a child whose JSON log is
//! read as it comes.

use std::ffi::OsString;
use std::path::Path;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

use super::{finish, streamwatch, Run, RUN_LIMIT};

/// A data directory of its own, removed when dropped, plus environment for every command.
pub struct Data {
    pub dir: tempfile::TempDir,
    env: Vec<(OsString, OsString)>,
}

impl Data {
    pub fn new() -> Data {
        Data::with_env(Vec::new())
    }

    /// Every command also gets `env` (e.g. a private keyring's bus).
    pub fn with_env(env: Vec<(OsString, OsString)>) -> Data {
        Data {
            dir: tempfile::tempdir().expect("a temporary directory"),
            env,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `streamwatch ARGS --data-dir DIR`.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = streamwatch(args);
        cmd.arg("--data-dir").arg(self.path());
        cmd.env_remove("STREAMWATCH_DATA_DIR");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs `streamwatch ARGS` on this directory to completion.
    pub async fn run(&self, args: &[&str]) -> Run {
        finish(self.cmd(args)).await
    }

    /// Like [`Data::run`], failing the test unless it exits 0.
    pub async fn ok(&self, args: &[&str]) -> Run {
        let out = self.run(args).await;
        assert_eq!(out.code, Some(0), "{args:?}: {out:#?}");
        out
    }

    /// `subs show NAME --json`.
    pub async fn show(&self, name: &str) -> Value {
        let out = self.ok(&["subs", "show", name, "--json"]).await;
        serde_json::from_str(&out.stdout).expect("subs show --json prints JSON")
    }

    /// `history NAME` as parsed JSON lines.
    pub async fn history(&self, name: &str) -> Vec<Value> {
        self.ok(&["history", name]).await.json()
    }

    /// Starts `streamwatch run --json EXTRA…` on this directory.
    pub fn daemon(&self, extra: &[&str]) -> Daemon {
        let mut args = vec!["run", "--json"];
        args.extend_from_slice(extra);
        self.spawn_daemon(self.cmd(&args))
    }

    /// `streamwatch ARGS` exactly as given (`run` and its flags included), finding this data
    /// directory through `STREAMWATCH_DATA_DIR` as a container or unit sets it.
    pub fn daemon_exact(&self, args: &[&str]) -> Daemon {
        let mut cmd = streamwatch(args);
        cmd.env("STREAMWATCH_DATA_DIR", self.path());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        self.spawn_daemon(cmd)
    }

    /// `streamwatch run --json` inside the network namespace `ns` (`ip netns exec` execs it, so
    /// the child's pid is the daemon's).
    pub fn daemon_in_netns(&self, ns: &str) -> Daemon {
        let mut cmd = Command::new("ip");
        cmd.args([
            "netns",
            "exec",
            ns,
            env!("CARGO_BIN_EXE_streamwatch"),
            "run",
            "--json",
        ])
        .arg("--data-dir")
        .arg(self.path())
        .env_remove("STREAMWATCH_DATA_DIR")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        self.spawn_daemon(cmd)
    }

    fn spawn_daemon(&self, mut cmd: Command) -> Daemon {
        let mut child = cmd.spawn().expect("streamwatch run starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, lines) = mpsc::unbounded_channel();
        // Read all the time, so the daemon never blocks on a full pipe.
        tokio::spawn(async move {
            let mut reader = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Daemon {
            child,
            lines,
            log: Vec::new(),
        }
    }
}

/// A running `streamwatch run`; killed if dropped while running.
pub struct Daemon {
    child: Child,
    lines: mpsc::UnboundedReceiver<String>,
    /// Every log line read so far.
    pub log: Vec<Value>,
}

/// How a daemon ended.
#[derive(Debug)]
pub struct Ended {
    /// Exit status (`None` when killed by a signal).
    pub code: Option<i32>,
    /// Every JSON log line.
    pub log: Vec<Value>,
    /// Stderr.
    pub stderr: String,
}

impl Daemon {
    /// Reads log lines until one matches `pred`; fails the test if none comes in time.
    pub async fn until(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + RUN_LIMIT;
        loop {
            let line = match tokio::time::timeout_at(deadline, self.lines.recv()).await {
                Ok(Some(line)) => line,
                Ok(None) => panic!("the daemon's log ended before {what}: {:#?}", self.log),
                Err(_) => panic!("no {what} in time; log so far: {:#?}", self.log),
            };
            let value: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line:?}"));
            self.log.push(value.clone());
            if pred(&value) {
                return value;
            }
        }
    }

    /// Waits until subscription `name` has reported the state `state` (lines already read
    /// count, so two awaited states may come in either order).
    pub async fn until_state(&mut self, name: &str, state: &str) -> Value {
        let matches =
            |l: &Value| l["type"] == "state" && l["subscription"] == name && l["state"] == state;
        if let Some(seen) = self.log.iter().find(|l| matches(l)) {
            return seen.clone();
        }
        self.until(&format!("{name} {state}"), matches).await
    }

    /// The metrics URL the daemon reported at start.
    pub async fn metrics_url(&mut self) -> String {
        let started = self
            .until("the start line", |l| l["type"] == "started")
            .await;
        started["metrics_url"]
            .as_str()
            .expect("started with --metrics")
            .to_owned()
    }

    pub fn pid(&self) -> i32 {
        self.child.id().expect("still running") as i32
    }

    /// Sends `sig` to the daemon, by the pid this test holds.
    #[cfg(unix)]
    pub fn signal(&self, sig: libc::c_int) {
        // SAFETY: plain kill(2) of our own child, which has not been reaped (so the pid is ours).
        let rc = unsafe { libc::kill(self.pid(), sig) };
        assert_eq!(rc, 0, "kill({}, {sig})", self.pid());
    }

    /// Sends `sig` and waits for the daemon to exit, collecting the rest of its log.
    #[cfg(unix)]
    pub async fn stop_with(mut self, sig: libc::c_int) -> Ended {
        self.signal(sig);
        let status = tokio::time::timeout(RUN_LIMIT, self.child.wait())
            .await
            .expect("the daemon exits in time")
            .expect("wait works");
        while let Some(line) = self.lines.recv().await {
            if let Ok(value) = serde_json::from_str(&line) {
                self.log.push(value);
            }
        }
        let mut stderr = String::new();
        if let Some(mut pipe) = self.child.stderr.take() {
            use tokio::io::AsyncReadExt;
            let _ = pipe.read_to_string(&mut stderr).await;
        }
        Ended {
            code: status.code(),
            log: self.log,
            stderr,
        }
    }

    /// SIGTERM, and checks the daemon stopped cleanly (exit 0, "stopped" logged).
    #[cfg(unix)]
    pub async fn terminate(self) -> Ended {
        let ended = self.stop_with(libc::SIGTERM).await;
        assert_eq!(ended.code, Some(0), "{ended:#?}");
        assert!(
            ended.log.iter().any(|l| l["type"] == "stopped"),
            "{ended:#?}"
        );
        ended
    }
}
