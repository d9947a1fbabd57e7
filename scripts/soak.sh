#!/usr/bin/env bash
# The daemon's soak run: `streamwatch run` with 200 subscriptions against 4 demo servers that
# restart every 30 s (each on its own schedule), for 10 minutes by default. It checks that
# every numbered event is stored exactly once across the restarts and that the daemon's RSS
# and open descriptors stay within ±10 % after warm-up, and prints the figures and a sample
# every 5 s. The test command (`scripts/dev.sh test`) runs a 30 s pass of the same test.
#
#   bash scripts/soak.sh            # 10 minutes
#   bash scripts/soak.sh 3600       # the one-hour run
#   STREAMWATCH_SOAK_SUBS=500 bash scripts/soak.sh 600
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/streamwatch-target}"
export STREAMWATCH_SOAK_SECS="${1:-600}"
export STREAMWATCH_SOAK_SUBS="${STREAMWATCH_SOAK_SUBS:-200}"
export STREAMWATCH_SOAK_RESTART_SECS="${STREAMWATCH_SOAK_RESTART_SECS:-30}"
exec cargo test --release -p streamwatch-cli --test soak -- --nocapture
