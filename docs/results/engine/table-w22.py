#!/usr/bin/env python3
"""Summarise run-w22.sh's output directories (one or more, pooled): medians over rounds, before and
after, side by side, with the PyTorch reference (one thread) of the same rounds.

  table-w22.py DIR [DIR...]"""
import glob, json, re, statistics as st, sys

outs = sys.argv[1:]
def med(xs): return st.median(xs) if xs else float('nan')
def loadj(pat):
    ds = []
    for f in sorted(f for out in outs for f in glob.glob(f"{out}/{pat}")):
        try:
            ds.append(json.load(open(f)))
        except ValueError:  # a run still going or killed
            pass
    return ds
runs = {v: [r for d in loadj(f"gan-{v}-r*.json") for r in d["runs"]] for v in ("before", "after")}
ceil_cpu = [c["gflop_per_cpu_second"] for d in loadj("gan-after-r*.json") for c in d["ceilings"]]
torch = [r for d in loadj("torch1-r*.json") for r in d["runs"]]
print(f"matrix-product ceiling inside bench gan (after binary, {len(ceil_cpu)} measurements): "
      f"median {med(ceil_cpu):.1f} GFLOP per CPU-second")
print()
print("| batch | precision | binary | CPU s/step (rounds) | median | GFLOP/step | GFLOP per CPU-s | fraction of ceiling (CPU) | bf16/fp32 (CPU) | generation CPU s/batch |")
print("|---|---|---|---|---|---|---|---|---|---|")
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
            print(f"| {b} | {p} | {v} | {', '.join(f'{c:.3f}' for c in cpus)} | **{cpu:.3f}** | {gf:.1f} | {gf/cpu:.1f} | "
                  f"{gf/cpu/med(ceil_cpu):.0%} | {share} | {gen:.4f} |")
        if p == "fp32":
            ts = [r for r in torch if r["batch"] == b]
            if ts:
                cpus = [r["cpu_seconds_per_step"] for r in ts]
                gen = med([r["generate_batch_cpu_seconds"] for r in ts])
                print(f"| {b} | fp32 | PyTorch, 1 thread | {', '.join(f'{c:.3f}' for c in cpus)} | **{med(cpus):.3f}** | | | | | {gen:.4f} |")
print()
print("Generation, images per CPU-second (eval mode; the after binary against PyTorch with one thread):")
for b in (32, 64):
    t = med([r["generate_batch_cpu_seconds"] for r in torch if r["batch"] == b])
    for p in ("fp32", "bf16"):
        a = med([r["generate_batch_cpu_seconds"] for r in runs["after"] if r["batch"] == b and r["precision"] == p])
        if a == a and t == t:
            print(f"- batch {b}, {p}: raysynth {b/a:.0f}, PyTorch {b/t:.0f} images per CPU-second ({t/a:.1f}×)")
print()
for v in ("before", "after"):
    cpu = []
    for f in sorted(f for out in outs for f in glob.glob(f"{out}/classifier-{v}-r*.txt")):
        m = re.search(r"([\d.]+) cpu-s/step", open(f).read())
        if m:
            cpu.append(float(m.group(1)))
    print(f"classifier {v}: CPU s/step {', '.join(f'{c:.3f}' for c in cpu)} (median {med(cpu):.3f})")
