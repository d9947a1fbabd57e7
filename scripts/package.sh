#!/usr/bin/env bash
# Builds the Linux packages, .deb and .rpm, into $CARGO_TARGET_DIR/release/bundle/{deb,rpm}/:
# the desktop app and the `streamwatch` CLI in /usr/bin, the desktop entry, the hicolor icons,
# the daemon's systemd units (system and user), copyright and changelog.
#
# Called by `bash scripts/dev.sh package` (and `test`), which install the tools first: Node and
# npm, Rust, and dpkg-dev, rpm, binutils and imagemagick from Debian. The Tauri CLI is the one
# pinned in packaging/package.json. AppImage is not built here: its bundler downloads
# linuxdeploy at build time, so it is built only by the release workflow.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/streamwatch-target}"
release="$CARGO_TARGET_DIR/release"
work="$release/package-inputs"

say() { printf '\n== %s\n' "$*"; }

say "Tauri CLI (pinned in packaging/package.json)"
npm --prefix packaging ci --no-audit --no-fund
tauri="$root/packaging/node_modules/.bin/tauri"
"$tauri" --version

say "streamwatch CLI (release)"
cargo build --release --locked -p streamwatch-cli

# The app is built by the Tauri CLI (the same release target `cargo build --release` uses: the
# feature set is the same, so nothing is built twice), then bundled in a second step so that
# the binaries can be stripped in between.
say "streamwatch-app (release, through the Tauri CLI)"
"$tauri" build --no-bundle -- --locked

say "Stripping the binaries"
rm -rf "$work"
mkdir -p "$work/bin" "$work/doc"
strip --strip-all -o "$work/bin/streamwatch" "$release/streamwatch"
# The Tauri bundler takes the app from the target folder, so it is stripped there; cargo does
# not notice (it relinks only when a source changes), and release builds carry no debug
# information anyway (profile.release has debug = false).
strip --strip-all "$release/streamwatch-app"

say "Copyright and changelog"
cp packaging/linux/copyright "$work/doc/copyright"
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
maintainer=$(python3 -c 'import json,os,sys; print(os.environ.get("STREAMWATCH_MAINTAINER") or json.load(open(sys.argv[1]))["bundle"]["publisher"])' packaging/linux/bundle.json)
# The date of the last commit keeps the package the same from one build to the next.
date=$(git log -1 --format=%aD 2>/dev/null || date -R)
printf '%s\n' "streamwatch ($version) unstable; urgency=medium" "" \
  "  * Release $version. The project's history is its git log." "" \
  " -- $maintainer  $date" >"$work/doc/changelog"
gzip -9n <"$work/doc/changelog" >"$work/doc/changelog.gz"

say "Package configuration (dependencies from the binaries, icons, extra files)"
python3 scripts/package_config.py --work "$work" --cli "$work/bin/streamwatch" \
  --app "$release/streamwatch-app" --doc "$work/doc" --out "$work/tauri.packages.json"

say "Bundling .deb and .rpm"
rm -rf "$release/bundle/deb" "$release/bundle/rpm"
"$tauri" bundle --bundles deb,rpm --config "$work/tauri.packages.json"

for p in "$release"/bundle/deb/*.deb "$release"/bundle/rpm/*.rpm; do
  printf '%s  %s bytes\n' "$p" "$(stat -c %s "$p")"
done
