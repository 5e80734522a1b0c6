#!/usr/bin/env python3
"""Turn the raw output of run-oracle.sh into a TSV: file<TAB>exit_code<TAB>summary.
usage: summarize.py OUTDIR CASEDIR > keepalived-2.2.7.tsv
exit_code is the shell status of `keepalived -t` (143 = killed by SIGTERM).
The summary is the de-duplicated stderr lines, with '(path: Line N)' shortened to '(Line N)'."""
import os, re, sys
out, casedir = sys.argv[1], sys.argv[2]
for f in sorted(os.listdir(casedir)):
    if not f.endswith(".conf"):
        continue
    b = f[:-5]
    rcs = open(f"{out}/{b}.rc").read().split()
    rc = rcs[0] if len(set(rcs)) == 1 else "/".join(rcs) + " (UNSTABLE)"
    seen, msgs = set(), []
    for line in open(f"{out}/{b}.err1", encoding="utf-8", errors="replace"):
        line = re.sub(r"\((?:/[^:()]*|[^:()]*\.conf|[^:()]*\.inc): Line ", "(Line ", line.rstrip("\n"))
        line = line.replace("\t", " ")
        if line and line not in seen:
            seen.add(line); msgs.append(line)
    summ = " | ".join(msgs) if msgs else "(no output)"
    if rc == "143":
        summ = "KILLED BY SIGTERM (self-kill after checking script as non-root user; 2.2.7 bug) " + ("; " + summ if msgs else "")
    if len(summ) > 400:
        summ = summ[:397] + "..."
    print(f"{f}\t{rc}\t{summ}")
