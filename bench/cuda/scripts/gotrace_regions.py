#!/usr/bin/env python3
"""gotrace_regions.py TRACE [GO]: where a store search's host time goes,
from a Go execution trace of cudabench -storeprof -gotrace (the store's
regions: store.upload, store.build, store.eval, store.slabwait,
store.collect, and store.slab on the goroutines that fault in the hits'
memory). Reads `go tool trace -d=parsed` (GO: the go command, default
"go"), splits the searching goroutine's regions into searches (each from
a store.upload), and prints the median of each region's duration, the
span from the upload's start to the collect's end, when the slab
goroutines ended relative to the eval's end, and how many searches
overlapped a garbage collection's mark phase or a stop of the world."""
import re
import statistics
import subprocess
import sys

path = sys.argv[1]
go = sys.argv[2] if len(sys.argv) > 2 else "go"
out = subprocess.run([go, "tool", "trace", "-d=parsed", path], capture_output=True, text=True, check=True).stdout
ev = re.compile(r'^M=\S+ P=\S+ G=(\S+) (\w+) Time=(\d+)(.*)$')
regions = {}  # goroutine -> list of (name, begin, end)
open_ = {}
ranges = []  # (name, begin, end)
open_r = {}
for line in out.splitlines():
    m = ev.match(line)
    if not m:
        continue
    g, kind, t, rest = m.group(1), m.group(2), int(m.group(3)), m.group(4)
    if kind in ("RegionBegin", "RegionEnd"):
        name = re.search(r'Type="([^"]*)"', rest).group(1)
        key = (g, name)
        if kind == "RegionBegin":
            open_.setdefault(key, []).append(t)
        elif open_.get(key):
            regions.setdefault(g, []).append((name, open_[key].pop(), t))
    elif kind in ("RangeBegin", "RangeEnd"):
        nm = re.search(r'Name="([^"]*)"', rest)
        if not nm:
            continue
        name = nm.group(1)
        if kind == "RangeBegin":
            open_r[name] = t
        elif name in open_r:
            ranges.append((name, open_r.pop(name), t))

main = max((g for g in regions if any(r[0] == "store.upload" for r in regions[g])),
           key=lambda g: sum(r[0] == "store.upload" for r in regions[g]), default=None)
if main is None:
    sys.exit("no store.upload region in the trace")
rs = sorted(regions[main], key=lambda r: r[1])
searches, cur = [], None
for r in rs:
    if r[0] == "store.upload":
        cur = []
        searches.append(cur)
    if cur is not None:
        cur.append(r)
slabs = sorted((r for g, l in regions.items() if g != main for r in l if r[0] == "store.slab"), key=lambda r: r[1])
gcs = [r for r in ranges if "GC" in r[0] or "stop-the-world" in r[0]]
durs, spans, slab_late, gc_hit, stw_hit = {}, [], [], 0, 0
for s in searches:
    for name, b, e in s:
        durs.setdefault(name, []).append((e - b) / 1e3)
    b0, e1 = s[0][1], s[-1][2]
    spans.append((e1 - b0) / 1e3)
    ev_end = max((e for n, b, e in s if n == "store.eval"), default=None)
    mine = [r for r in slabs if b0 <= r[1] <= e1]
    if mine and ev_end is not None:
        slab_late.append((max(r[2] for r in mine) - ev_end) / 1e3)
    if any(b < e1 and e > b0 and "mark" in n for n, b, e in gcs):
        gc_hit += 1
    if any(b < e1 and e > b0 and "stop-the-world" in n for n, b, e in gcs):
        stw_hit += 1
print(f"{path}: {len(searches)} searches on goroutine {main}")
for name in ["store.upload", "store.build", "store.eval", "store.slabwait", "store.collect"]:
    if name in durs:
        d = durs[name]
        print(f"  {name:15s} median {statistics.median(d):8.1f} us  p90 {sorted(d)[int(0.9 * len(d))]:8.1f} us")
print(f"  upload..collect median {statistics.median(spans):8.1f} us")
if slab_late:
    print(f"  slab goroutines' last end after the eval's end: median {statistics.median(slab_late):8.1f} us, max {max(slab_late):8.1f}")
if slabs:
    print(f"  store.slab regions: {len(slabs)}, median {statistics.median([(e - b) / 1e3 for _, b, e in slabs]):8.1f} us")
print(f"  searches overlapping a GC mark phase: {gc_hit}; a stop of the world: {stw_hit}; GC ranges seen: {sorted(set(n for n, _, _ in gcs))}")
