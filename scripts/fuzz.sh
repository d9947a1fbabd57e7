#!/usr/bin/env bash
# Coverage-guided fuzzing of the engine's parsers with cargo-fuzz (libFuzzer).
#
#   bash scripts/fuzz.sh [SECONDS]     build every target, run each for SECONDS (default 600,
#                                      the documented long run), print executions and crashes
#
# Targets (fuzz/fuzz_targets/, seeds in fuzz/corpus/<target>/):
#   parser_differential  SSE bytes and random read boundaries: one read and split reads give
#                        the same frames and error; no panic
#   export_file          export / --config file text: parse, check_entries (the import and
#                        --config checks) and their error text never panic
#   notify_rules         notification-rules JSON: from_json, compile, matching never panic
#   llm_tracker          LLM stream events (any type, any data): the tracker never panics,
#                        tells the first token at most once, keeps its text within the cap
#   http1_response       HTTP/1.1 answers (head, chunked body): no panic, limits kept, and
#                        split reads decode the body as one read does
#
# The invocation that works on this machine (one stable toolchain, no nightly to fetch):
#
#   cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run TARGET --target-dir $HOME/.cache/streamwatch-fuzz-target
#
# cargo-fuzz passes the nightly-only `-Zsanitizer=address` (AddressSanitizer, the default;
# worth having: the parser and SharedStr use `unsafe`); RUSTC_BOOTSTRAP=1 lets stable rustc
# accept it. Checked with rustc 1.95.0 stable and cargo-fuzz 0.13.2. Without RUSTC_BOOTSTRAP,
# `cargo fuzz run --sanitizer none TARGET` also builds on stable (coverage instrumentation
# only, no AddressSanitizer): set FUZZ_SANITIZER=none to use it.
#
# Each target has its own working corpus outside the clone ($FUZZ_WORK/corpus/<target>, kept
# between runs so later runs start where earlier ones stopped); the committed seeds in
# fuzz/corpus/<target>/ and the regression inputs in fuzz/regressions/<target>/ are read, never
# written. A crash stops its target and leaves the
# reproducer in fuzz/artifacts/<target>/ (git-ignored); replay it with
#   cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run TARGET artifacts/TARGET/crash-…
# Exit status: 0 when no target crashed, 1 when one did (or failed to build or run).
#
# Builds go to their own target directory (instrumented builds share nothing with the normal
# ones) and run under `nice`, since the machine is shared.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
SECS="${1:-600}"
if ! [[ "$SECS" =~ ^[0-9]+$ ]] || [ "$SECS" -lt 1 ]; then
  echo "usage: bash scripts/fuzz.sh [SECONDS]   (SECONDS per target, default 600)" >&2
  exit 2
fi
TARGETS=(parser_differential export_file notify_rules llm_tracker http1_response)
FUZZ_TARGET_DIR="${FUZZ_TARGET_DIR:-$HOME/.cache/streamwatch-fuzz-target}"
FUZZ_WORK="${FUZZ_WORK:-$HOME/.cache/streamwatch-fuzz}"
FUZZ_SANITIZER="${FUZZ_SANITIZER:-address}"
export RUSTC_BOOTSTRAP=1
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "cargo-fuzz is not installed: cargo install cargo-fuzz --locked" >&2
  exit 1
fi

FUZZ_ARGS=(--sanitizer "$FUZZ_SANITIZER" --target-dir "$FUZZ_TARGET_DIR")
printf '\n== Building the fuzz targets (sanitizer: %s, target dir: %s)\n' "$FUZZ_SANITIZER" "$FUZZ_TARGET_DIR"
(cd fuzz && nice -n 10 cargo fuzz build "${FUZZ_ARGS[@]}")

mkdir -p "$FUZZ_WORK/logs"
failed=0
summary=()
for t in "${TARGETS[@]}"; do
  corpus="$FUZZ_WORK/corpus/$t"
  artifacts="$ROOT/fuzz/artifacts/$t"
  log="$FUZZ_WORK/logs/$t.log"
  mkdir -p "$corpus" "$artifacts"
  find "$artifacts" -type f | sort >"$FUZZ_WORK/logs/$t.before"
  printf '\n== Fuzzing %s for %ss (log: %s)\n' "$t" "$SECS" "$log"
  rc=0
  # -timeout: one input taking 10 s is a hang, reported as a crash; -rss_limit_mb likewise
  # for memory. The first corpus directory receives new inputs, the seeds are only read.
  seeds=("corpus/$t")
  # Past crashes, kept as regression inputs, are replayed first on every run.
  if [ -d "fuzz/regressions/$t" ]; then seeds+=("regressions/$t"); fi
  (cd fuzz && nice -n 10 cargo fuzz run "${FUZZ_ARGS[@]}" "$t" "$corpus" "${seeds[@]}" -- \
    -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
    -print_final_stats=1) >"$log" 2>&1 || rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)
  find "$artifacts" -type f | sort >"$FUZZ_WORK/logs/$t.after"
  new=$(comm -13 "$FUZZ_WORK/logs/$t.before" "$FUZZ_WORK/logs/$t.after")
  crashes=$(printf '%s' "$new" | grep -c . || true)
  if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then
    # Stopped without leaving a reproducer: a build or harness failure, still a failure.
    crashes=1
  fi
  line=$(printf '%-20s %12s executions  %d crash(es)' "$t" "${execs:-?}" "$crashes")
  summary+=("$line")
  if [ "$crashes" -gt 0 ]; then
    failed=1
    echo "FAILED: $t (exit $rc). The end of its log:" >&2
    tail -40 "$log" >&2
    if [ -n "$new" ]; then printf '  reproducer: %s\n' $new >&2; fi
  else
    echo "$line"
  fi
done

printf '\n== Fuzzing summary (%ss per target)\n' "$SECS"
printf '%s\n' "${summary[@]}"
exit "$failed"
