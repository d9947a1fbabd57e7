//! The systemd units in deploy/systemd: `systemd-analyze verify` finds nothing to say about
//! them (with ExecStart pointed at the built binary), and the command line each one runs is
//! one the daemon accepts and starts with.

// Linux only: systemd units.
#![cfg(target_os = "linux")]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::store::Data;

const EXE: &str = env!("CARGO_BIN_EXE_streamwatch");

fn unit(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../deploy/systemd")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// `systemd-analyze verify` on a copy of the unit run from a scratch folder; `None` where the
/// tool is missing.
fn verify(name: &str, user: bool) -> Option<(bool, String)> {
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED: no systemd-analyze (Debian package systemd) to verify {name}");
        return None;
    }
    let dir = tempfile::tempdir().expect("a scratch folder");
    let copy = dir.path().join(name);
    std::fs::write(&copy, unit(name).replace("/usr/bin/streamwatch", EXE)).expect("write");
    let mut cmd = Command::new("systemd-analyze");
    if user {
        // The user manager wants a runtime folder of its own.
        let run: PathBuf = dir.path().join("run");
        std::fs::create_dir(&run).expect("mkdir");
        let private = <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o700);
        std::fs::set_permissions(&run, private).expect("chmod");
        cmd.arg("--user").env("XDG_RUNTIME_DIR", &run);
    }
    let out = cmd
        .arg("verify")
        .arg(&copy)
        .current_dir(dir.path())
        .output()
        .expect("run systemd-analyze");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some((out.status.success(), said))
}

#[test]
fn the_system_unit_verifies_clean() {
    if let Some((ok, said)) = verify("streamwatch.service", false) {
        assert!(
            ok && said.trim().is_empty(),
            "systemd-analyze verify said:\n{said}"
        );
    }
}

#[test]
fn the_user_unit_verifies_clean() {
    if let Some((ok, said)) = verify("streamwatch-user.service", true) {
        assert!(
            ok && said.trim().is_empty(),
            "systemd-analyze verify said:\n{said}"
        );
    }
}

#[test]
fn the_system_unit_is_hardened() {
    let text = unit("streamwatch.service");
    for line in [
        "DynamicUser=yes",
        "ProtectSystem=strict",
        "StateDirectory=streamwatch",
        "NoNewPrivileges=yes",
        "ProtectHome=yes",
        "CapabilityBoundingSet=",
        "ExecReload=/bin/kill -HUP $MAINPID",
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line:?}");
    }
}

/// The unit's ExecStart arguments, after the program.
fn exec_args(name: &str) -> Vec<String> {
    let text = unit(name);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart=/usr/bin/streamwatch "))
        .expect("an ExecStart running /usr/bin/streamwatch");
    line.split_whitespace().map(str::to_owned).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_units_command_lines_start_the_daemon() {
    for name in ["streamwatch.service", "streamwatch-user.service"] {
        let data = Data::new();
        let config = data.path().join("subs.json");
        std::fs::write(
            &config,
            r#"{"format":"streamwatch-export","version":1,"subscriptions":[]}"#,
        )
        .expect("write a config");
        let args: Vec<String> = exec_args(name)
            .into_iter()
            .map(|a| match a.as_str() {
                "/etc/streamwatch/subs.json" => config.display().to_string(),
                // Port 0: any free port, so runs never collide.
                "127.0.0.1:9464" => "127.0.0.1:0".to_owned(),
                _ => a,
            })
            .collect();
        assert_eq!(args.first().map(String::as_str), Some("run"), "{name}");
        let rest: Vec<&str> = args[1..].iter().map(String::as_str).collect();
        let mut run = data.daemon(&rest);
        let url = tokio::time::timeout(Duration::from_secs(15), run.metrics_url())
            .await
            .unwrap_or_else(|_| panic!("{name}: the daemon did not start"));
        assert!(url.starts_with("http://127.0.0.1:"), "{name}: {url}");
        run.terminate().await;
    }
}
