#!/usr/bin/env python3
"""Summarise run-w22d.sh's output directory: medians over rounds, before and after, side by side."""
import glob, json, re, statistics as st, sys

out = sys.argv[1]
def med(xs): return st.median(xs) if xs else float('nan')
def jl(f):
    try:
        return json.load(open(f))
    except ValueError:  # a run still going or killed
        return None
def load(v):
    runs = []
    for f in sorted(glob.glob(f"{out}/gan-{v}-r*.json")):
        d = jl(f)
        if d:
            runs += d["runs"]
    return runs
ceil_cpu, ceil_wall = [], []
for f in glob.glob(f"{out}/gan-*-r*.json"):
    d = jl(f)
    if d:
        ceil_cpu += [c["gflop_per_cpu_second"] for c in d["ceilings"]]
        ceil_wall += [c["gflops"] for c in d["ceilings"]]
print(f"matrix-product ceiling inside bench gan (both binaries, {len(ceil_cpu)} measurements): "
      f"median {med(ceil_wall):.1f} GFLOP/s wall, {med(ceil_cpu):.1f} GFLOP per CPU-second")
for f in sorted(glob.glob(f"{out}/nn-r*.json")):
    d = jl(f)
    if d:
        print(f"bench nn {f.rsplit('/', 1)[1]}:", {k: v for k, v in d.items() if isinstance(v, (int, float))})
print()
print("| batch | precision | binary | wall s/step (rounds) | median | fraction of ceiling (wall) | CPU s/step median | fraction of ceiling (CPU) | bf16/fp32 (wall, CPU) | 5,000 steps (min) | generation img/s (median) |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
runs = {v: load(v) for v in ("before", "after")}
for b in (32, 64):
    for p in ("fp32", "bf16"):
        for v in ("before", "after"):
            rs = [r for r in runs[v] if r["batch"] == b and r["precision"] == p]
            if not rs:
                continue
            walls = [r["seconds_per_step"] for r in rs]
            wall, cpu = med(walls), med([r["cpu_seconds_per_step"] for r in rs])
            gf = rs[0]["gflop_per_step"]
            share = ""
            if p == "bf16":
                f = [r for r in runs[v] if r["batch"] == b and r["precision"] == "fp32"]
                share = f"{wall/med([r['seconds_per_step'] for r in f]):.2f}×, {cpu/med([r['cpu_seconds_per_step'] for r in f]):.2f}×"
            mins = med([r["minutes_per_5000_steps"] for r in rs])
            gen = med([r["generated_images_per_second"] for r in rs])
            print(f"| {b} | {p} | {v} | {', '.join(f'{c:.4f}' for c in walls)} | **{wall:.4f}** | "
                  f"{gf/wall/med(ceil_wall):.0%} | {cpu:.3f} | {gf/cpu/med(ceil_cpu):.0%} | {share} | {mins:.1f} | {gen:.0f} |")
print()
for v in ("before", "after"):
    cpu, wall = [], []
    for f in sorted(glob.glob(f"{out}/classifier-{v}-r*.txt")):
        s = open(f).read()
        m = re.search(r"([\d.]+) cpu-s/step", s)
        n = re.search(r"\s(\d+) ns/op", s)
        if m:
            cpu.append(float(m.group(1)))
        if n:
            wall.append(int(n.group(1)) / 1e9)
    print(f"classifier {v}: wall s/step {', '.join(f'{c:.3f}' for c in wall)} (median {med(wall):.3f}); "
          f"CPU s/step {', '.join(f'{c:.3f}' for c in cpu)} (median {med(cpu):.3f})")
