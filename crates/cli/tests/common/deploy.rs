//! The files in deploy/ as the tests read them: paths, YAML documents (through Python's
//! yaml, as JSON values) and promtool, each failing with what to install when missing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// `deploy/REL` in this repository.
pub fn path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../deploy")
        .join(rel)
}

/// The text of `deploy/REL`.
pub fn text(rel: &str) -> String {
    let p = path(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
}

/// Every YAML document in `deploy/REL`, as JSON (YAML's safe subset; null documents left out).
pub fn yaml_docs(rel: &str) -> Vec<Value> {
    // There is no YAML crate in the tree; Debian's python3-yaml (scripts/dev.sh installs it)
    // turns each document into one line of JSON.
    const SCRIPT: &str = "import json, sys, yaml\n\
        for doc in yaml.safe_load_all(open(sys.argv[1], encoding='utf-8')):\n    \
            if doc is not None:\n        \
                print(json.dumps(doc))\n";
    let p = path(rel);
    let out = Command::new("python3")
        .arg("-c")
        .arg(SCRIPT)
        .arg(&p)
        .output()
        .unwrap_or_else(|e| {
            panic!("python3 is needed to read {rel} ({e}); `bash scripts/dev.sh test` installs it")
        });
    assert!(
        out.status.success(),
        "{rel} is not valid YAML, or python3's yaml module is missing (Debian: python3-yaml, \
         which `bash scripts/dev.sh test` installs):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("python printed JSON"))
        .collect()
}

/// The one YAML document in `deploy/REL`.
pub fn yaml(rel: &str) -> Value {
    let mut docs = yaml_docs(rel);
    assert_eq!(docs.len(), 1, "{rel}: expected one YAML document");
    docs.remove(0)
}

/// Runs `promtool ARGS` in `dir`; a missing promtool fails the test saying how to get it.
pub fn promtool(dir: &Path, args: &[&str]) -> Output {
    Command::new("promtool")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "promtool is needed to check deploy/prometheus ({e}): install the Debian package \
                 `prometheus` (`bash scripts/dev.sh test` does)"
            )
        })
}

/// Like [`promtool`], failing the test unless it succeeds; returns what it printed.
pub fn promtool_ok(dir: &Path, args: &[&str]) -> String {
    let out = promtool(dir, args);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "promtool {args:?} failed:\n{said}");
    said
}

/// Runs `amtool ARGS` in `dir`; a missing amtool fails the test saying how to get it.
pub fn amtool(dir: &Path, args: &[&str]) -> Output {
    Command::new("amtool")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "amtool is needed to check deploy/alertmanager ({e}): install the Debian package \
                 `prometheus-alertmanager` (`bash scripts/dev.sh test` does)"
            )
        })
}

/// The Containerfile's final ENTRYPOINT, as the exec-form array it must be.
pub fn container_entrypoint() -> Vec<String> {
    let file = text("container/Containerfile");
    let line = file
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("ENTRYPOINT "))
        .expect("the Containerfile has an ENTRYPOINT");
    serde_json::from_str(line).unwrap_or_else(|e| {
        panic!("ENTRYPOINT must be an exec-form JSON array (so signals reach the daemon): {e}")
    })
}

/// The ConfigMap's subscription files (key → text).
pub fn configmap_files() -> Vec<(String, String)> {
    let map = yaml("kubernetes/configmap.yaml");
    assert_eq!(map["kind"], "ConfigMap");
    map["data"]
        .as_object()
        .expect("the ConfigMap has data")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().expect("text").to_owned()))
        .collect()
}

/// A subscriptions file with every URL pointed at `url` (the rest of each entry as written), so
/// a test can run it against a local server.
pub fn pointed_at(config: &str, url: &str) -> Value {
    let mut file: Value = serde_json::from_str(config).expect("the config file is JSON");
    for sub in file["subscriptions"]
        .as_array_mut()
        .expect("a subscriptions list")
    {
        sub["url"] = Value::from(url);
    }
    file
}
