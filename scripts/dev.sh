#!/usr/bin/env bash
# Streamwatch's one entry point for newcomers and CI.
#   bash scripts/dev.sh app    install what is missing, build, and open the desktop app
#   bash scripts/dev.sh cli-demo   the same for the terminal: demo server + streamwatch watch
#   bash scripts/dev.sh test   install what is missing and run every check and test
# Debian/Ubuntu get their packages installed; elsewhere the script says what to install.
set -euo pipefail

cd "$(dirname "$0")/.."
# Builds are large and slow from scratch: keep them outside the clone so every run after the
# first one is incremental (CI runs in a fresh clone each time).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/streamwatch-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

say() { printf '\n== %s\n' "$*"; }

# Debian packages the build and the tests need: a C toolchain (bundled SQLite, TLS), and for
# the secret-header tests a real Secret Service (gnome-keyring) on a private D-Bus.
DEB_PACKAGES=(build-essential pkg-config ca-certificates curl
  gnome-keyring libsecret-tools dbus-daemon dbus-bin
  # The desktop app (Tauri 2 on WebKitGTK) and its window/tray/notification tests.
  libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libsoup-3.0-dev libxdo-dev
  xvfb webkit2gtk-driver dbus-x11 nodejs npm
  # The tray and notification tests: a real notification daemon and its font, notify-send,
  # xdotool (is a popup mapped?) and ImageMagick's import (screenshots of the display).
  dunst fonts-dejavu-core libnotify-bin xdotool imagemagick)

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
    cargo install tauri-driver --version ^2 --locked
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

run_tests() {
  build_ui test
  say "Format"
  cargo fmt --all -- --check
  say "Lint (clippy, warnings are errors)"
  cargo clippy --workspace --all-targets --locked -- -D warnings
  say "Tests (unit, property, integration against local servers, CLI, the app end to end)"
  cargo test --workspace --locked
  say "Benchmarks compile (run them with: cargo bench -p streamwatch-engine)"
  cargo bench --workspace --locked --no-run
}

run_app() {
  build_ui
  say "Building the Streamwatch desktop app"
  cargo build --locked -p streamwatch-app
  say "Opening Streamwatch (it starts its own demo stream on first run)"
  exec "$CARGO_TARGET_DIR/debug/streamwatch-app"
}

run_cli_demo() {
  say "Building streamwatch (release)"
  cargo build --release --locked -p streamwatch-cli
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
  app) install_system_packages; install_rust; run_app ;;
  cli-demo) install_system_packages; install_rust; run_cli_demo ;;
  test) install_system_packages; install_rust; run_tests ;;
  *) echo "usage: bash scripts/dev.sh app|test" >&2; exit 2 ;;
esac
