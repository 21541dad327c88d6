#!/usr/bin/env python3
"""Summarise run.sh's output directory: medians over rounds, before and after, side by side."""
import glob, json, re, statistics as st, sys

out = sys.argv[1]
def med(xs): return st.median(xs) if xs else float('nan')
ceil_wall, ceil_cpu = [], []
for f in glob.glob(f"{out}/gan-after-*.json"):
    try:
        cs = json.load(open(f))["ceilings"]
    except ValueError:
        continue
    for c in cs:
        ceil_wall.append(c["gflops"]); ceil_cpu.append(c["gflop_per_cpu_second"])
nn = []
for f in sorted(glob.glob(f"{out}/nn-r*.json")):
    try:
        nn.append(json.load(open(f))["gflops"])
    except ValueError:
        pass
print(f"matrix-product ceiling measured inside bench gan (after binary, {len(ceil_wall)} measurements): "
      f"median {med(ceil_wall):.1f} GFLOP/s wall, {med(ceil_cpu):.1f} GFLOP per CPU-second")
print(f"bench nn (2000 x 20000 x 4096), same run: {', '.join(f'{x:.1f}' for x in nn)} GFLOP/s (median {med(nn):.1f})")
print()
print("| batch | binary | CPU s/step | wall s/step | GFLOP/step | GFLOP per CPU-s | fraction of ceiling (CPU) | fraction of ceiling (wall) | 5,000 steps (wall) | generation CPU s/batch |")
print("|---|---|---|---|---|---|---|---|---|---|")
for b in (32, 64):
    for v in ("before", "after"):
        runs = []
        for f in sorted(glob.glob(f"{out}/gan-{v}-b{b}-r*.json")):
            try:
                d = json.load(open(f))
            except ValueError:  # a run still going or killed
                continue
            runs.append(d["runs"][0] if "runs" in d else d)
        if not runs:
            continue
        cpu = med([r["cpu_seconds_per_step"] for r in runs])
        wall = med([r["seconds_per_step"] for r in runs])
        gf = runs[0]["gflop_per_step"]
        gen = med([r["generate_batch_cpu_seconds"] for r in runs])
        print(f"| {b} | {v} | {cpu:.3f} | {wall:.3f} | {gf:.1f} | {gf/cpu:.1f} | {gf/cpu/med(ceil_cpu):.0%} | "
              f"{gf/wall/med(ceil_wall):.0%} | {5000*wall/60:.0f} min | {gen:.4f} |")
print()
for v in ("before", "after"):
    ns = []
    for f in sorted(glob.glob(f"{out}/classifier-{v}-r*.txt")):
        m = re.search(r"BenchmarkClassifierStep\S*\s+\d+\s+(\d+) ns/op\s+([\d.]+) img/s", open(f).read())
        if m:
            ns.append(int(m.group(1)) / 1e9)
    print(f"classifier step (batch 32, 64x64), {v}: {', '.join(f'{x:.3f}' for x in ns)} s (median {med(ns):.3f})")
