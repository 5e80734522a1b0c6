#!/bin/bash
# Re-run the keepalived -t oracle over cases/*.conf.
# Usage (as root): ./run-oracle.sh NETNS OUTDIR [CASEDIR]   (CASEDIR defaults to ./cases)
#   NETNS must already exist and contain interfaces eth0, ens160, ens192 (veth, up).
#   Each case is run twice; raw stderr goes to OUTDIR/<case>.err, exit codes to OUTDIR/<case>.rc
set -u
NS=${1:?netns}; OUT=${2:?outdir}
HERE=$(cd "$(dirname "$0")" && pwd)
# run with a cwd unrelated to the configs, to show relative includes resolve against the including file
cd /
mkdir -p "$OUT"
CASEDIR=${3:-$HERE/cases}
for f in "$CASEDIR"/*.conf; do
  b=$(basename "$f" .conf)
  rcs=""
  for run in 1 2; do
    timeout 20 ip netns exec "$NS" keepalived -t -f "$f" -p "$OUT/p" -r "$OUT/r" -c "$OUT/c" -b "$OUT/b" \
      >"$OUT/$b.out$run" 2>"$OUT/$b.err$run" </dev/null
    rcs="$rcs $?"
  done
  echo "$rcs" >"$OUT/$b.rc"
  printf '%s\t%s\n' "$b" "$rcs"
done
