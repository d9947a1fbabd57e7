//! The app's build script. Cargo runs it with the package root (the repository root, where
//! Cargo.toml and tauri.conf.json live) as its working directory, so every path below is
//! relative to that root.

use std::path::Path;

fn main() {
    // Our capabilities and command permissions live under src-tauri/ rather than at the root
    // (tauri-build's defaults, `./capabilities` and `./permissions`). Custom patterns are not
    // watched by tauri-build itself.
    for dir in ["src-tauri/capabilities", "src-tauri/permissions"] {
        println!("cargo:rerun-if-changed={dir}");
    }

    // `generate_context!` embeds ui/dist unless this is the dev build (`--no-default-features`),
    // which loads `build.devUrl` instead. Say plainly what to do when it has not been built.
    // (Its files are embedded with `include_bytes!`, so cargo already rebuilds when they change.)
    let embeds_ui = std::env::var_os("CARGO_FEATURE_CUSTOM_PROTOCOL").is_some();
    if embeds_ui && !Path::new("ui/dist/index.html").is_file() {
        println!(
            "cargo:warning=ui/dist/index.html is missing: build the UI first with \
             `npm --prefix ui ci && npm --prefix ui run build` (the app embeds ui/dist)"
        );
    }

    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("./src-tauri/capabilities/**/*")
        .app_manifest(
            tauri_build::AppManifest::new().permissions_path_pattern("./src-tauri/permissions/*"),
        );
    if let Err(e) = tauri_build::try_build(attributes) {
        // `{e:#}` keeps anyhow's chain of causes, which is where the useful part usually is.
        eprintln!("tauri-build failed: {e:#}");
        std::process::exit(1);
    }
}
