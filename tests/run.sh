#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need, then runs
# formatting, lints, unit/property/snapshot tests and the end-to-end tests (which create
# their own network namespaces and need root).
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

need=()
command -v keepalived >/dev/null || need+=(keepalived)
command -v haproxy >/dev/null || need+=(haproxy)
command -v ip >/dev/null || need+=(iproute2)
command -v killall >/dev/null || need+=(psmisc)
command -v nft >/dev/null || need+=(nftables)
command -v curl >/dev/null || need+=(curl)
command -v ping >/dev/null || need+=(iputils-ping)
command -v openssl >/dev/null || need+=(openssl)
command -v promtool >/dev/null || need+=(prometheus)
command -v lintian >/dev/null || need+=(lintian)
command -v rpmbuild >/dev/null || need+=(rpm)
command -v rpmlint >/dev/null || need+=(rpmlint)
command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
command -v systemd-nspawn >/dev/null || need+=(systemd-container)
command -v hatop >/dev/null || need+=(hatop)
command -v tmux >/dev/null || need+=(tmux)
command -v socat >/dev/null || need+=(socat)
command -v h2load >/dev/null || need+=(nghttp2-client)
[ -x /usr/lib/frr/bgpd ] || need+=(frr)
command -v bird >/dev/null || need+=(bird2)
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing: ${need[*]}"
  # Keep the packages' services from starting in the root namespace while installing.
  policy_added=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    policy_added=1
  fi
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
  [ -z "$policy_added" ] || $SUDO rm -f /usr/sbin/policy-rc.d
fi
rustup component add clippy rustfmt >/dev/null 2>&1 || true

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== build"
cargo build --workspace --bins --quiet
# vrrpd's CPU under a flood is measured on the build that ships (tests/vrrpd_hostile.rs).
cargo build --release -p vrrpd --quiet
echo "== tests"
cargo test --workspace --quiet 2>&1 | tee target/test-output.txt
echo "== the services in the container test (tests/packaging.rs)"
cat target/container-status.log 2>/dev/null || echo "(no container test output)"
echo "== demo (README's first run, with the debug binaries built above)"
PROFILE=debug ./demo.sh
echo "== fuzz (each target ${FUZZ_SECONDS:-60} s)"
./tests/fuzz/run-ci.sh
# One closing line for the whole run.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed;?/) p += $(i-1); if ($i ~ /^failed;?/) f += $(i-1); if ($i ~ /^ignored;?/) s += $(i-1) } }
     END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' target/test-output.txt
