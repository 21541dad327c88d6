#!/usr/bin/env python3
"""Summarise run-b22.sh's output directory: medians over rounds, before and after, side by side."""
import glob, json, re, statistics as st, sys

out = sys.argv[1]
def med(xs): return st.median(xs) if xs else float('nan')
def load(v):
    runs = []
    for f in sorted(glob.glob(f"{out}/gan-{v}-r*.json")):
        try:
            d = json.load(open(f))
        except ValueError:  # a run still going or killed
            continue
        runs += d["runs"]
    return runs
ceil_cpu = []
for f in glob.glob(f"{out}/gan-after-r*.json"):
    try:
        ceil_cpu += [c["gflop_per_cpu_second"] for c in json.load(open(f))["ceilings"]]
    except ValueError:
        pass
nn = []
for f in sorted(glob.glob(f"{out}/nn-r*.json")):
    try:
        nn.append(json.load(open(f)))
    except ValueError:
        pass
print(f"matrix-product ceiling inside bench gan (after binary, {len(ceil_cpu)} measurements): "
      f"median {med(ceil_cpu):.1f} GFLOP per CPU-second")
for d in nn:
    print("bench nn:", {k: v for k, v in d.items() if isinstance(v, (int, float))})
print()
print("| batch | precision | binary | CPU s/step (rounds) | median | GFLOP per CPU-s | fraction of ceiling (CPU) | bf16/fp32 (CPU) | generation CPU s/batch |")
print("|---|---|---|---|---|---|---|---|---|")
runs = {v: load(v) for v in ("before", "after")}
for b in (32, 64):
    for p in ("fp32", "bf16"):
        for v in ("before", "after"):
            rs = [r for r in runs[v] if r["batch"] == b and r["precision"] == p]
            if not rs:
                continue
            cpus = [r["cpu_seconds_per_step"] for r in rs]
            cpu = med(cpus)
            gf = rs[0]["gflop_per_step"]
            share = ""
            if p == "bf16":
                f32 = med([r["cpu_seconds_per_step"] for r in runs[v] if r["batch"] == b and r["precision"] == "fp32"])
                share = f"{cpu/f32:.2f}×"
            gen = med([r["generate_batch_cpu_seconds"] for r in rs])
            print(f"| {b} | {p} | {v} | {', '.join(f'{c:.3f}' for c in cpus)} | **{cpu:.3f}** | {gf/cpu:.1f} | "
                  f"{gf/cpu/med(ceil_cpu):.0%} | {share} | {gen:.4f} |")
print()
for v in ("before", "after"):
    cpu = []
    for f in sorted(glob.glob(f"{out}/classifier-{v}-r*.txt")):
        m = re.search(r"([\d.]+) cpu-s/step", open(f).read())
        if m:
            cpu.append(float(m.group(1)))
    print(f"classifier {v}: CPU s/step {', '.join(f'{c:.3f}' for c in cpu)} (median {med(cpu):.3f})")
