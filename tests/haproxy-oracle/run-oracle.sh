#!/bin/bash
# Re-run the `haproxy -c` oracle over cases/*.cfg and the seed configs.
# Usage: ./run-oracle.sh            (needs /usr/sbin/haproxy 2.6, Debian package)
# Only ever runs `haproxy -c` (config check: never binds, never daemonizes).
# Outputs (next to this script):
#   haproxy-2.6.tsv       file, exit code, verdict line, messages (" | " joined)
#   seed-configs-2.6.tsv  same for ../../conf-examples/haproxy/*.cfg
#   cli-2.6.tsv           a few command-line behaviours (-cc, -f dir, missing file)
#   out/<case>.out|.err   raw stdout / stderr, "(pid)" replaced by "(PID)"
# Directives inside a case (line start):
#   # run-env: K=V ...   evaluated by the shell (quotes allowed) before running
#   # run-args: ARGS     appended after `-c -f CASE` (paths relative to cases/)
# Every case runs with cwd = cases/ and is passed by its bare file name, so
# messages read "[NNN-name.cfg:LINE]".
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
HAPROXY=${HAPROXY:-haproxy}
OUT=$HERE/out
rm -rf "$OUT"; mkdir -p "$OUT"

# normalise pid and collect messages: drop the two boilerplate NOTICE lines
msgs() {
  grep -E '^\[(ALERT|WARNING|NOTICE|DIAG)\]' "$1" \
    | grep -vE 'haproxy version is|path to executable is' \
    | sed -E 's/^\[([A-Z]+)\] +\(PID\) : /[\1] /' \
    | awk 'BEGIN{ORS=""} {if (NR>1) print " | "; print}'
}
verdict() {  # last line of stdout if any, else last line of stderr
  if [ -s "$1" ]; then tail -n1 "$1"; else tail -n1 "$2" | sed -E 's/^\[([A-Z]+)\] +\(PID\) : /[\1] /'; fi
}
run_one() {  # $1=label $2=outbase, rest = haproxy args; env from $RUNENV
  local label=$1 base=$2; shift 2
  ( [ -n "$RUNENV" ] && eval "export $RUNENV"; exec timeout 20 "$HAPROXY" "$@" ) \
      >"$base.out.raw" 2>"$base.err.raw" </dev/null
  local rc=$?
  sed -E 's/^(\[[A-Z]+\] +)\([0-9]+\)/\1(PID)/' "$base.out.raw" >"$base.out"
  sed -E 's/^(\[[A-Z]+\] +)\([0-9]+\)/\1(PID)/' "$base.err.raw" >"$base.err"
  rm -f "$base.out.raw" "$base.err.raw"
  printf '%s\t%s\t%s\t%s\n' "$label" "$rc" "$(verdict "$base.out" "$base.err")" "$(msgs "$base.err")"
}

cd "$HERE/cases" || exit 1
{
  printf 'file\texit_code\tverdict_line\tmessages\n'
  for f in [0-9]*.cfg; do
    RUNENV=$(sed -n 's/^# run-env: //p' "$f" | head -n1)
    ARGS=$(sed -n 's/^# run-args: //p' "$f" | head -n1)
    # shellcheck disable=SC2086
    run_one "$f" "$OUT/${f%.cfg}" -c -f "$f" $ARGS
  done
} >"$HERE/haproxy-2.6.tsv"

SEEDS=$HERE/../../conf-examples/haproxy
cd "$SEEDS" || exit 1
RUNENV=""
{
  printf 'file\texit_code\tverdict_line\tmessages\n'
  for f in *.cfg; do run_one "$f" "$OUT/seed-${f%.cfg}" -c -f "$f"; done
} >"$HERE/seed-configs-2.6.tsv"

# command-line behaviours (not tied to one case file)
cd "$HERE/cases" || exit 1
{
  printf 'invocation\texit_code\tverdict_line\tmessages\n'
  RUNENV=""
  run_one "-cc 'feature(OPENSSL)'" "$OUT/cli-cc-true" -cc 'feature(OPENSSL)'
  run_one "-cc 'feature(QUIC)'" "$OUT/cli-cc-false" -cc 'feature(QUIC)'
  run_one "-cc 'version_atleast(2.4)'" "$OUT/cli-cc-ver" -cc 'version_atleast(2.4)'
  run_one "-cc 'nosuchfn(1)'" "$OUT/cli-cc-bad" -cc 'nosuchfn(1)'
  RUNENV="MYVAR=1"
  run_one "MYVAR=1 -cc 'defined(MYVAR)'" "$OUT/cli-cc-defined" -cc 'defined(MYVAR)'
  RUNENV=""
  run_one "-c -f extra/confd (dir only)" "$OUT/cli-dir-only" -c -f extra/confd
  run_one "-c -f /nonexistent.cfg" "$OUT/cli-missing-file" -c -f /nonexistent.cfg
  run_one "-c (no -f)" "$OUT/cli-no-f" -c
  run_one "-c -- extra/confd/10-fe.cfg extra/confd/20-be.cfg (files after --)" "$OUT/cli-dashdash" \
      -c -- extra/confd/10-fe.cfg extra/confd/20-be.cfg
  run_one "-c -f 001-minimal-valid.cfg -f 001-minimal-valid.cfg (same file twice)" "$OUT/cli-same-twice" \
      -c -f 001-minimal-valid.cfg -f 001-minimal-valid.cfg
  run_one "-c -V -f 001-minimal-valid.cfg (verbose)" "$OUT/cli-verbose" -c -V -f 001-minimal-valid.cfg
} >"$HERE/cli-2.6.tsv"
echo "done: $(($(wc -l <"$HERE/haproxy-2.6.tsv") - 1)) cases"
