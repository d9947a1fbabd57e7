//! The Linux packages as someone installing them gets them. The .deb is unpacked into a scratch
//! root (`dpkg -x`) and what it holds is checked against what a Debian 12 / Ubuntu desktop
//! needs: both binaries in /usr/bin, a desktop entry that validates and names the window's
//! class, icons at hicolor sizes in folders of their size, the systemd units, dependencies
//! covering every library the binaries load; then the unpacked CLI watches a demo server and
//! the unpacked app opens its window under Xvfb with its live demo. `lintian` and `rpmlint`
//! must report no error; the .rpm must hold the same files and its CLI must run.
//!
//! The packages come from `bash scripts/dev.sh package` (about 5 minutes: release builds), so
//! these tests are `#[ignore]`d in a plain `cargo test`; `bash scripts/dev.sh test` builds the
//! packages and runs them with `--ignored`. `STREAMWATCH_DEB` / `STREAMWATCH_RPM` point them at
//! other package files.

use std::collections::BTreeSet;
use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use streamwatch_demo_server::DemoConfig;
use streamwatch_e2e::{repo_root, screenshot_display, stored_history, x11_window, App, Demo};

const DEMO_NAME: &str = "Demo stream";
/// The sizes of the hicolor icon theme the package must fill.
const ICON_SIZES: [u32; 8] = [16, 24, 32, 48, 64, 128, 256, 512];

/// The build's target folder: `$CARGO_TARGET_DIR`, else the one this test binary runs from
/// (`<target>/debug/deps/<test>`).
fn target_dir() -> PathBuf {
    if let Some(dir) = env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let exe = env::current_exe().expect("the test knows its own path");
    exe.ancestors()
        .nth(3)
        .expect("the test runs from <target>/debug/deps")
        .to_path_buf()
}

/// The one package file of `kind` (`deb`, `rpm`) that scripts/package.sh wrote, or `$var`.
fn package(kind: &str, var: &str) -> PathBuf {
    if let Some(p) = env::var_os(var).filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        assert!(p.is_file(), "{var}={} is not a file", p.display());
        return p;
    }
    let dir = target_dir().join("release/bundle").join(kind);
    let found: Vec<PathBuf> = fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == kind))
                .collect()
        })
        .unwrap_or_default();
    match found.as_slice() {
        [one] => one.clone(),
        [] => panic!(
            "no .{kind} in {}: build the packages first with `bash scripts/dev.sh package` \
             (or set {var})",
            dir.display()
        ),
        many => panic!("more than one .{kind} in {}: {many:?}", dir.display()),
    }
}

/// Runs a program to the end; panics (with its output) if it cannot start.
fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e} (bash scripts/dev.sh installs it)"))
}

fn ok(program: &str, args: &[&str]) -> String {
    let out = run(program, args);
    assert!(
        out.status.success(),
        "{program} {args:?} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("scratch paths are UTF-8")
}

/// The width and height in a PNG's header (IHDR comes first, at a fixed place).
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    assert!(
        bytes.len() > 24 && bytes.starts_with(b"\x89PNG\r\n\x1a\n") && &bytes[12..16] == b"IHDR",
        "{} is not a PNG",
        path.display()
    );
    let be =
        |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    (be(16), be(20))
}

/// The shared libraries an ELF file names (`NEEDED`).
fn needed_libraries(binary: &Path) -> Vec<String> {
    ok("readelf", &["-d", path_str(binary)])
        .lines()
        .filter_map(|l| l.split_once("Shared library: [")?.1.split_once(']'))
        .map(|(name, _)| name.to_owned())
        .collect()
}

/// The package names in a Depends field, versions and alternatives' bars dropped.
fn depends_names(field: &str) -> BTreeSet<String> {
    field
        .split([',', '|'])
        .filter_map(|d| d.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

/// `key=value` lines of a desktop entry's main group.
fn desktop_key<'a>(entry: &'a str, key: &str) -> Option<&'a str> {
    entry
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
}

/// Runs the unpacked CLI against a demo server: three messages, as JSON lines.
async fn cli_watches_the_demo(cli: &Path, data_dir: &Path) {
    let demo = Demo::start(DemoConfig::default()).await;
    let url = demo.url("/events?rate=20");
    let cli = cli.to_owned();
    let data_dir = data_dir.to_owned();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(&cli)
            .args(["watch", &url, "--count", "3", "--json"])
            .env("STREAMWATCH_DATA_DIR", &data_dir)
            .stdin(Stdio::null())
            .output()
    });
    let out = tokio::time::timeout(Duration::from_secs(30), out)
        .await
        .expect("the unpacked `streamwatch watch --count 3` ends within 30 s")
        .expect("the blocking task finishes")
        .expect("the unpacked streamwatch starts");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "streamwatch watch failed ({}): {stdout}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let messages = stdout
        .lines()
        .filter(|l| l.contains(r#""type":"message""#))
        .count();
    assert_eq!(
        messages, 3,
        "three messages from the demo server:\n{stdout}"
    );
}

#[tokio::test]
#[ignore = "needs the packages: bash scripts/dev.sh package"]
async fn deb_unpacks_and_runs() {
    let deb = package("deb", "STREAMWATCH_DEB");
    let scratch = tempfile::tempdir().expect("a scratch folder");
    let root = scratch.path().join("root");
    ok("dpkg", &["-x", path_str(&deb), path_str(&root)]);

    // The control file: a real description and maintainer, and the dependencies.
    let field = |name: &str| ok("dpkg-deb", &["-f", path_str(&deb), name]);
    assert_eq!(field("Package").trim(), "streamwatch");
    let maintainer = field("Maintainer");
    assert!(
        maintainer.contains('<')
            && maintainer.contains('@')
            && maintainer.trim_end().ends_with('>'),
        "Maintainer is a name and an address: {maintainer:?}"
    );
    let description = field("Description");
    assert!(
        !description.contains("(none)") && description.lines().count() >= 5,
        "the long description is written: {description:?}"
    );
    let depends_field = field("Depends");
    let depends = depends_names(&depends_field);

    // Both programs, executable, in /usr/bin.
    let app = root.join("usr/bin/streamwatch-app");
    let cli = root.join("usr/bin/streamwatch");
    for bin in [&app, &cli] {
        let mode = fs::metadata(bin)
            .unwrap_or_else(|e| panic!("{} is in the package: {e}", bin.display()))
            .permissions();
        assert!(
            std::os::unix::fs::PermissionsExt::mode(&mode) & 0o111 == 0o111,
            "{} is executable by everyone",
            bin.display()
        );
    }

    // Every library the binaries load is named in Depends (by the package that ships it here),
    // and the tray's, loaded with dlopen, too.
    let mut missing = Vec::new();
    for lib in needed_libraries(&app)
        .into_iter()
        .chain(needed_libraries(&cli))
    {
        let owners = ok("dpkg", &["-S", &format!("*/{lib}")]);
        let owned_by: BTreeSet<String> = owners
            .lines()
            .filter_map(|l| l.split_once(": ").map(|(pkgs, _)| pkgs))
            .flat_map(|pkgs| pkgs.split(", "))
            .map(|p| p.split(':').next().unwrap_or(p).to_owned())
            .collect();
        if owned_by.is_disjoint(&depends) {
            missing.push(format!("{lib} (from {owned_by:?})"));
        }
    }
    assert!(
        missing.is_empty(),
        "libraries the binaries need that no dependency brings: {missing:?}\nDepends: {depends_field}"
    );
    for must in [
        "libc6",
        "libwebkit2gtk-4.1-0",
        "libgtk-3-0",
        "libayatana-appindicator3-1",
    ] {
        assert!(
            depends.contains(must),
            "Depends names {must}: {depends_field}"
        );
    }

    // The desktop entry: valid, starting the packaged app with its packaged icon.
    let desktop_file = root.join("usr/share/applications/Streamwatch.desktop");
    let validate = run("desktop-file-validate", &[path_str(&desktop_file)]);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&validate.stdout),
        String::from_utf8_lossy(&validate.stderr)
    );
    assert!(
        validate.status.success() && said.trim().is_empty(),
        "desktop-file-validate has something to say: {said}"
    );
    let entry = fs::read_to_string(&desktop_file).expect("the desktop entry is readable");
    assert_eq!(
        desktop_key(&entry, "Exec"),
        Some("streamwatch-app"),
        "{entry}"
    );
    assert_eq!(
        desktop_key(&entry, "Icon"),
        Some("streamwatch-app"),
        "{entry}"
    );

    // Icons: one per hicolor size, each in the folder named for its real size.
    let hicolor = root.join("usr/share/icons/hicolor");
    let mut sizes = Vec::new();
    for dir in fs::read_dir(&hicolor).expect("the package has hicolor icons") {
        let dir = dir.expect("a readable folder").path();
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_owned();
        let icon = dir.join("apps/streamwatch-app.png");
        let (w, h) = png_size(&icon);
        assert_eq!(
            name,
            format!("{w}x{h}"),
            "{} holds a {w}x{h} icon",
            dir.display()
        );
        sizes.push(w);
    }
    sizes.sort_unstable();
    assert_eq!(sizes, ICON_SIZES, "every hicolor size, once");

    // The daemon's units, whose ExecStart is the packaged CLI, and the docs they point to.
    for unit in [
        "usr/lib/systemd/system/streamwatch.service",
        "usr/lib/systemd/user/streamwatch.service",
    ] {
        let text = fs::read_to_string(root.join(unit))
            .unwrap_or_else(|e| panic!("{unit} is in the package: {e}"));
        assert!(
            text.contains("ExecStart=/usr/bin/streamwatch run"),
            "{unit} starts the packaged daemon"
        );
    }
    for doc in ["README.md", "copyright", "changelog.gz"] {
        assert!(
            root.join("usr/share/doc/streamwatch").join(doc).is_file(),
            "/usr/share/doc/streamwatch/{doc} is in the package"
        );
    }

    // The unpacked CLI.
    let version = ok(path_str(&cli), &["--version"]);
    assert!(version.starts_with("streamwatch "), "{version}");
    cli_watches_the_demo(&cli, &scratch.path().join("cli-data")).await;

    // The unpacked app: its window, the demo stream live, its messages stored.
    env::set_var("STREAMWATCH_APP", &app);
    let app_window = App::launch("package_deb").await;
    app_window
        .wait_for("the demo stream with at least 3 log rows", async || {
            let rows = app_window.log_rows().await;
            if rows.len() >= 3 && rows.iter().all(|r| r.n().is_some()) {
                Ok(())
            } else {
                Err(format!("{} rows, last {:?}", rows.len(), rows.last()))
            }
        })
        .await;
    let display = app_window.desktop().display().to_owned();
    let window = x11_window::find_window(&display, "Streamwatch", true)
        .expect("the app's window is on the display");
    // A dock groups the window under the launcher when its class is the entry's StartupWMClass.
    let class = Command::new("xprop")
        .args(["-id", &window, "WM_CLASS"])
        .env("DISPLAY", &display)
        .output()
        .expect("xprop runs (apt-get install x11-utils)");
    let class = String::from_utf8_lossy(&class.stdout).into_owned();
    let wm_class = desktop_key(&entry, "StartupWMClass").expect("the entry has StartupWMClass");
    assert!(
        class.contains(&format!("\"{wm_class}\"")),
        "the window's WM_CLASS ({class:?}) is the entry's StartupWMClass {wm_class:?}"
    );
    app_window.screenshot("package-deb-app").await;
    screenshot_display(&display, "package-deb-display").expect("a screenshot of the display");
    let stored = app_window
        .wait_for(
            "the demo's messages stored in the app's database",
            async || match stored_history(app_window.data_dir(), DEMO_NAME) {
                Ok(h) if h.len() >= 3 => Ok(h.len()),
                Ok(h) => Err(format!("{} stored", h.len())),
                Err(e) => Err(e),
            },
        )
        .await;
    eprintln!("the unpacked app stored {stored} demo messages");
    app_window.close().await;
}

#[test]
#[ignore = "needs the packages: bash scripts/dev.sh package"]
fn lintian_finds_no_error_in_the_deb() {
    let deb = package("deb", "STREAMWATCH_DEB");
    let out = run("lintian", &["--tag-display-limit", "0", path_str(&deb)]);
    let report = String::from_utf8_lossy(&out.stdout);
    eprintln!("lintian:\n{report}{}", String::from_utf8_lossy(&out.stderr));
    let errors: Vec<&str> = report.lines().filter(|l| l.starts_with("E:")).collect();
    assert!(errors.is_empty(), "lintian errors: {errors:#?}");
    // lintian's own failure (a package it cannot read) is not a clean bill either.
    assert!(
        out.status.success(),
        "lintian failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
#[ignore = "needs the packages: bash scripts/dev.sh package"]
fn rpm_holds_the_same_and_its_cli_runs() {
    let rpm = package("rpm", "STREAMWATCH_RPM");
    let info = ok("rpm", &["-qip", path_str(&rpm)]);
    assert!(info.contains("Name        : streamwatch"), "{info}");
    assert!(
        info.contains("Description :")
            && info.contains("Server-Sent Events (SSE) streams under watch"),
        "a real description: {info}"
    );
    let files: BTreeSet<String> = ok("rpm", &["-qlp", path_str(&rpm)])
        .lines()
        .map(str::to_owned)
        .collect();
    for must in [
        "/usr/bin/streamwatch-app",
        "/usr/bin/streamwatch",
        "/usr/share/applications/Streamwatch.desktop",
        "/usr/lib/systemd/system/streamwatch.service",
        "/usr/lib/systemd/user/streamwatch.service",
    ] {
        assert!(files.contains(must), "the rpm holds {must}: {files:#?}");
    }
    for n in ICON_SIZES {
        let icon = format!("/usr/share/icons/hicolor/{n}x{n}/apps/streamwatch-app.png");
        assert!(files.contains(&icon), "the rpm holds {icon}");
    }
    assert!(
        !files.iter().any(|f| f.contains('@')),
        "no icon folder named like 256x256@2: {files:#?}"
    );
    let requires = ok("rpm", &["-qp", "--requires", path_str(&rpm)]);
    for must in [
        "libwebkit2gtk-4.1.so.0()(64bit)",
        "libayatana-appindicator3.so.1()(64bit)",
    ] {
        assert!(
            requires.contains(must),
            "the rpm requires {must}: {requires}"
        );
    }

    // The filters in this file each say why the bundler cannot set that tag.
    let config = repo_root().join("packaging/linux/rpmlint.toml");
    let lint = run("rpmlint", &["-c", path_str(&config), path_str(&rpm)]);
    let report = String::from_utf8_lossy(&lint.stdout);
    eprintln!(
        "rpmlint:\n{report}{}",
        String::from_utf8_lossy(&lint.stderr)
    );
    let errors: Vec<&str> = report.lines().filter(|l| l.contains(": E: ")).collect();
    assert!(errors.is_empty(), "rpmlint errors: {errors:#?}");
    assert!(
        report.contains(" 0 errors"),
        "rpmlint's summary says 0 errors: {report}"
    );

    // Unpacked as rpm would install it, the CLI runs.
    let scratch = tempfile::tempdir().expect("a scratch folder");
    let unpack = format!(
        "rpm2cpio '{}' | cpio -idm --quiet",
        path_str(&rpm).replace('\'', r"'\''")
    );
    let out = Command::new("sh")
        .args(["-c", &unpack])
        .current_dir(scratch.path())
        .output()
        .expect("sh runs");
    assert!(
        out.status.success(),
        "rpm2cpio | cpio failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cli = scratch.path().join("usr/bin/streamwatch");
    let version = ok(path_str(&cli), &["--version"]);
    assert!(version.starts_with("streamwatch "), "{version}");
}
