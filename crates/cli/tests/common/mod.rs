//! Shared by the CLI tests: a demo server on a free port, and the built `streamwatch` binary
//! run against it with its output collected as JSON lines.

// Each test file uses its own subset of these helpers.
#![allow(dead_code)]

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use streamwatch_demo_server::{DemoConfig, DemoServer};
use streamwatch_test_support::start_demo;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

/// The longest any single CLI run may take before the test fails instead of hanging.
pub const RUN_LIMIT: Duration = Duration::from_secs(15);

/// Starts a demo server on 127.0.0.1 with a free port and no heartbeats unless asked for.
pub async fn demo() -> DemoServer {
    start_demo(DemoConfig {
        heartbeat: None,
        ..DemoConfig::default()
    })
    .await
}

/// The built binary with an environment that does not force colour either way.
pub fn streamwatch(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_streamwatch"));
    cmd.args(args)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR")
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

/// A finished run.
#[derive(Debug)]
pub struct Run {
    /// The exit status code (`None` if killed by a signal).
    pub code: Option<i32>,
    /// Raw stdout.
    pub stdout: String,
    /// Raw stderr.
    pub stderr: String,
}

impl Run {
    /// Stdout parsed as one JSON object per line.
    pub fn json(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line:?}\n{self:#?}"))
            })
            .collect()
    }

    /// The `type` of each JSON line.
    pub fn types(&self) -> Vec<String> {
        types(&self.json())
    }
}

/// The `type` field of each line.
pub fn types(lines: &[Value]) -> Vec<String> {
    lines
        .iter()
        .map(|l| l["type"].as_str().unwrap_or("?").to_owned())
        .collect()
}

/// Runs `cmd` to completion within [`RUN_LIMIT`].
pub async fn finish(mut cmd: Command) -> Run {
    let output = tokio::time::timeout(RUN_LIMIT, cmd.output())
        .await
        .expect("streamwatch finishes in time")
        .expect("streamwatch runs");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs `streamwatch ARGS` to completion.
pub async fn run(args: &[&str]) -> Run {
    finish(streamwatch(args)).await
}

/// A running `streamwatch` whose stdout is read line by line; killed when dropped.
pub struct Live {
    pub child: Child,
    lines: Lines<BufReader<ChildStdout>>,
    /// Every line read so far.
    pub seen: Vec<String>,
}

impl Live {
    /// Spawns `streamwatch ARGS`.
    pub fn spawn(args: &[&str]) -> Live {
        let mut child = streamwatch(args).spawn().expect("streamwatch starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        Live {
            child,
            lines: BufReader::new(stdout).lines(),
            seen: Vec::new(),
        }
    }

    /// The next stdout line, failing the test if none comes in time.
    pub async fn next_line(&mut self) -> String {
        let line = tokio::time::timeout(RUN_LIMIT, self.lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("no output line in time; so far: {:#?}", self.seen))
            .expect("stdout is readable")
            .unwrap_or_else(|| panic!("stdout ended; so far: {:#?}", self.seen));
        self.seen.push(line.clone());
        line
    }

    /// Reads JSON lines until one has `type` == `ty`; returns all of them, that one last.
    pub async fn json_until(&mut self, ty: &str) -> Vec<Value> {
        let mut got = Vec::new();
        loop {
            let line = self.next_line().await;
            let value: Value = serde_json::from_str(&line).expect("a JSON line");
            let done = value["type"] == ty;
            got.push(value);
            if done {
                return got;
            }
        }
    }

    /// Closes our end of stdout, as `| head` does after enough lines.
    pub fn close_stdout(self) -> Child {
        self.child
    }

    /// Waits for the exit status within [`RUN_LIMIT`].
    pub async fn wait(&mut self) -> Option<i32> {
        tokio::time::timeout(RUN_LIMIT, self.child.wait())
            .await
            .expect("streamwatch exits in time")
            .expect("wait works")
            .code()
    }
}

/// GETs `url` and parses the JSON body.
pub async fn get_json(url: &str) -> Value {
    reqwest::get(url)
        .await
        .expect("GET works")
        .error_for_status()
        .expect("2xx")
        .json()
        .await
        .expect("a JSON body")
}

/// The `n` field of a message line's JSON data.
pub fn data_n(message: &Value) -> u64 {
    let data = message["data"].as_str().expect("data is a string");
    let parsed: Value = serde_json::from_str(data).expect("data is JSON");
    parsed["n"].as_u64().expect("data has n")
}

pub mod deploy;
pub mod exposition;
pub mod store;
