#!/usr/bin/env bash
# The main job for now: build vrrpd and check every shipped keepalived.conf example,
# then the seed HA pairs as clusters. Prints each verdict; exit codes are keepalived's.
set -uo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet -p vrrpd -p proxyd || exit 1
bin=target/release/vrrpd
for f in conf-examples/keepalived/*.conf; do
  "$bin" -t -f "$f" 2>/tmp/vrrpd-check.$$; rc=$?
  printf '%-50s exit %d  %s\n' "$f" "$rc" "$(tail -n 1 /tmp/vrrpd-check.$$)"
done
rm -f /tmp/vrrpd-check.$$
for pair in "seed000-lb01 seed000-lb02" "seed001-master seed001-backup" "seed002-lb1 seed002-lb2"; do
  set -- $pair
  echo
  "$bin" --check-cluster "conf-examples/keepalived/$1.conf" "conf-examples/keepalived/$2.conf"
done
echo
for f in conf-examples/haproxy/*.cfg; do
  target/release/proxyd -c -f "$f" >/tmp/proxyd-check.$$ 2>&1; rc=$?
  printf '%-50s exit %d  %s\n' "$f" "$rc" "$(grep -E '^[0-9]+ (error|warning)' /tmp/proxyd-check.$$ | tail -n 1)"
done
rm -f /tmp/proxyd-check.$$
exit 0
