//! Where things are: the app under test, the drivers, the screenshot folder.

use std::env;
use std::path::{Path, PathBuf};

/// The repository's root (this crate is `tests/e2e`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the repository root exists")
}

const BUILD_HINT: &str = "Build it first, from the repository root:\n\
     \x20   export CARGO_TARGET_DIR=$HOME/.cache/streamwatch-target\n\
     \x20   npm --prefix ui ci && npm --prefix ui run build\n\
     \x20   cargo build -p streamwatch-app\n\
     or point STREAMWATCH_APP at a streamwatch-app binary.";

/// The `streamwatch-app` debug binary: `$STREAMWATCH_APP`, else the one next to this test
/// binary's own target directory, else `$CARGO_TARGET_DIR/debug/` (default
/// `~/.cache/streamwatch-target`), else the repository's `target/debug/`.
///
/// Panics with instructions when none exists.
pub fn app_binary() -> PathBuf {
    if let Some(p) = env::var_os("STREAMWATCH_APP").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        assert!(
            p.is_file(),
            "STREAMWATCH_APP={} is not a file.\n{BUILD_HINT}",
            p.display()
        );
        return p;
    }
    let mut candidates = Vec::new();
    // This test runs from <target>/debug/deps/<name>-<hash>: the app built by the same cargo
    // (and the same profile) is two levels up.
    if let Some(profile_dir) = env::current_exe()
        .ok()
        .and_then(|exe| exe.parent()?.parent().map(Path::to_path_buf))
    {
        candidates.push(profile_dir.join("streamwatch-app"));
    }
    let target_dir = env::var_os("CARGO_TARGET_DIR")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| home().join(".cache/streamwatch-target"));
    candidates.push(target_dir.join("debug/streamwatch-app"));
    candidates.push(repo_root().join("target/debug/streamwatch-app"));
    if let Some(found) = candidates.iter().find(|p| p.is_file()) {
        warn_if_stale(found);
        return found.clone();
    }
    let tried: Vec<String> = candidates
        .iter()
        .map(|p| format!("    {}", p.display()))
        .collect();
    panic!(
        "The Streamwatch app binary is missing; looked at:\n{}\n{BUILD_HINT}",
        tried.join("\n")
    );
}

/// Says so (once) on stderr when a source of the app is newer than the binary: `cargo test
/// -p streamwatch-e2e` alone does not rebuild the app.
fn warn_if_stale(bin: &Path) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let Ok(built) = std::fs::metadata(bin).and_then(|m| m.modified()) else {
            return;
        };
        let root = repo_root();
        let sources = [
            "src-tauri",
            "crates/engine/src",
            "crates/demo-server/src",
            "ui/dist",
            "tauri.conf.json",
            "Cargo.toml",
        ];
        let newer: Vec<String> = sources
            .iter()
            .filter(|s| newest_mtime(&root.join(s)).is_some_and(|t| t > built))
            .map(|s| (*s).to_owned())
            .collect();
        if !newer.is_empty() {
            eprintln!(
                "warning: {} is older than {}; the tests run the old build. \
                 Rebuild: cargo build -p streamwatch-app",
                bin.display(),
                newer.join(", ")
            );
        }
    });
}

fn newest_mtime(path: &Path) -> Option<std::time::SystemTime> {
    let meta = std::fs::metadata(path).ok()?;
    let own = meta.modified().ok();
    if !meta.is_dir() {
        return own;
    }
    std::fs::read_dir(path)
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| newest_mtime(&e.path()))
        .chain(own)
        .max()
}

/// `tauri-driver`: `$TAURI_DRIVER`, else `~/.cargo/bin/tauri-driver`, else on `PATH`.
pub(crate) fn tauri_driver() -> PathBuf {
    find_tool(
        "TAURI_DRIVER",
        &[home().join(".cargo/bin/tauri-driver")],
        "tauri-driver",
        "cargo install tauri-driver --version ^2 --locked",
    )
}

/// The native WebDriver of WebKitGTK: `$WEBKIT_WEBDRIVER`, else `/usr/bin/WebKitWebDriver`,
/// else on `PATH`.
pub(crate) fn webkit_webdriver() -> PathBuf {
    find_tool(
        "WEBKIT_WEBDRIVER",
        &[PathBuf::from("/usr/bin/WebKitWebDriver")],
        "WebKitWebDriver",
        "apt-get install webkit2gtk-driver",
    )
}

/// A program the desktop needs (`Xvfb`, `dbus-daemon`), from `PATH`.
pub(crate) fn system_tool(name: &str, install: &str) -> PathBuf {
    find_tool("", &[], name, install)
}

fn find_tool(var: &str, usual: &[PathBuf], name: &str, install: &str) -> PathBuf {
    if !var.is_empty() {
        if let Some(p) = env::var_os(var).filter(|p| !p.is_empty()) {
            let p = PathBuf::from(p);
            assert!(p.is_file(), "{var}={} is not a file", p.display());
            return p;
        }
    }
    if let Some(p) = usual.iter().find(|p| p.is_file()) {
        return p.clone();
    }
    if let Some(p) = env::var_os("PATH").and_then(|path| {
        env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    }) {
        return p;
    }
    panic!("`{name}` is needed for the end-to-end tests and was not found. Install it: {install}");
}

/// Where screenshots and logs go: `$STREAMWATCH_ARTIFACTS`, else
/// `<repo>/target-artifacts/e2e/`. Created if missing.
pub fn artifacts_dir() -> PathBuf {
    let dir = env::var_os("STREAMWATCH_ARTIFACTS")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target-artifacts/e2e"));
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create the artifacts folder {}: {e}", dir.display()));
    dir
}

fn home() -> PathBuf {
    env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/root"))
}
