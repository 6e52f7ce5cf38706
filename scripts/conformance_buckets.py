#!/usr/bin/env python3
"""Break a `clif2wasm run --report` listing down by the feature buckets of the corpus's
stats.py (../shared/conformance/stats.py): passed / failed / unsupported per bucket.

Usage: scripts/conformance_buckets.py REPORT [CORPUS_DIR]
"""
import importlib.util
import os
import re
import sys
from collections import Counter

here = os.path.dirname(os.path.abspath(__file__))
corpus = sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "../../shared/conformance/cranelift-runtests")
spec = importlib.util.spec_from_file_location("stats", os.path.join(corpus, "../stats.py"))
stats = importlib.util.module_from_spec(spec)
spec.loader.exec_module(stats)

status = {}
for line in open(sys.argv[1]):
    where, _, what = line.rstrip("\n").partition(" ")
    path, _, num = where.rpartition(":")
    status[(os.path.realpath(path), int(num))] = what.split(" ")[0]

counts = {name: Counter() for name, _ in stats.BUCKETS}
total = Counter()
for (path, num), what in status.items():
    lines = open(path).read().split("\n")
    # The function a run line belongs to: the last `function` line before it.
    start = max(i for i in range(num) if stats.FUNC_RE.match(lines[i]) or i == 0)
    end = start + 1
    while end < len(lines) and not lines[end].startswith("}"):
        end += 1
    body = "\n".join(re.sub(r";.*", "", l) for l in lines[start:end + 1])
    total[what] += 1
    for name, rx in stats.BUCKETS:
        if rx.search(body):
            counts[name][what] += 1

print(f"| bucket | passed | unsupported | failed |\n|---|---:|---:|---:|")
for name, _ in stats.BUCKETS:
    c = counts[name]
    if sum(c.values()):
        print(f"| {name} | {c['passed']} | {c['unsupported']} | {c['failed']} |")
print(f"| **all run lines** | {total['passed']} | {total['unsupported']} | {total['failed']} |")
