#!/usr/bin/env bash
# Every fuzz target for FUZZ_SECONDS (60 by default), from its kept corpus and its seeds,
# three at a time; a crash fails the run and prints the fuzzer's report. New
# inputs found here go to a scratch copy, not into the repository.
set -euo pipefail
cd "$(dirname "$0")"
secs=${FUZZ_SECONDS:-60}
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --quiet
targets=(vrrp_engine proxy_header payload sample_expr haproxy_conf keepalived_conf runtime_api h1_response h1_request)
cargo +nightly fuzz build >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
run() {
  local t=$1
  mkdir -p "$work/$t"
  if [ -d "corpus/$t" ]; then cp -r "corpus/$t/." "$work/$t/"; fi
  if cargo +nightly fuzz run "$t" "$work/$t" "seeds/$t" -- -max_total_time="$secs" >"$work/$t.log" 2>&1; then
    echo "fuzz $t: $(grep -E '^Done' "$work/$t.log" || echo done)"
  else
    echo "fuzz $t: FAILED"
    tail -80 "$work/$t.log"
    return 1
  fi
}
failed=0
for ((i = 0; i < ${#targets[@]}; i += 3)); do
  pids=()
  for t in "${targets[@]:i:3}"; do
    run "$t" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do
    wait "$p" || failed=1
  done
done
exit "$failed"
