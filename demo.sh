#!/bin/sh
# The first run: builds vrrpd and proxyd, then runs seed 000's HA pair in network
# namespaces (two load balancers, two web servers, a client), kills the master's proxy,
# brings it back, kills the master, prints what happened and removes everything.
# Needs root, iproute2 and util-linux (unshare, nsenter). PROFILE=debug skips the
# release build (CI uses the debug binaries it already has).
set -eu
cd "$(dirname "$0")"
profile="${PROFILE:-release}"
if [ "$(id -u)" != 0 ]; then
    echo "demo.sh: run as root (it creates network namespaces)" >&2
    exit 1
fi
if [ "$profile" = release ]; then
    cargo build --quiet --release -p vrrpd -p proxyd -p e2e --bin vrrpd --bin proxyd --bin ha-demo
else
    cargo build --quiet -p vrrpd -p proxyd -p e2e --bin vrrpd --bin proxyd --bin ha-demo
fi
E2E_PROFILE="$profile" exec "target/$profile/ha-demo"
