#!/usr/bin/env bash
# Reloads under load, proxyd then HAProxy 2.6 with the same configuration and clients
# (tests/proxyd_reload.rs): 60 s of keep-alive and connection-per-request HTTP, HTTP
# over TLS and TCP clients, a reload every 3 s (20 reloads, one with a broken file),
# by SIGUSR2 to the master, then by new processes with -x and -sf. Prints each side's
# requests, failures and refused connections.
#   tests/bench/reload/run.sh            RELOAD_SECS / RELOAD_EVERY_MS to change
set -euo pipefail
cd "$(dirname "$0")/../../.."
cargo build --quiet --workspace --bins
RELOAD_SECS="${RELOAD_SECS:-60}" RELOAD_EVERY_MS="${RELOAD_EVERY_MS:-3000}" \
    cargo test --quiet -p e2e --test proxyd_reload reloads_under_load_lose_nothing -- --nocapture 2>&1 \
    | grep -E '^(proxyd|haproxy)|test result'
