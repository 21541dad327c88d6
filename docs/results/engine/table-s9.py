#!/usr/bin/env python3
"""Summarise run-s9.sh's output folder: medians over rounds, before and after, with PyTorch."""
import glob, json, re, statistics as st, sys

out = sys.argv[1]
med = lambda xs: st.median(xs) if xs else float('nan')

def runs(pattern):
    rs = []
    for f in sorted(glob.glob(f"{out}/{pattern}")):
        try:
            d = json.load(open(f))
        except ValueError:  # a run killed or still going
            continue
        rnd = int(re.search(r"-r(\d+)\.json$", f).group(1))
        for r in d["runs"]:
            r["round"] = rnd
            rs.append(r)
    return rs

nn = {}
for f in glob.glob(f"{out}/nn-r*.json"):
    try:
        nn[int(re.search(r"-r(\d+)\.json$", f).group(1))] = json.load(open(f))["gflops"]
    except (ValueError, KeyError):
        pass
gan = {v: runs(f"gan-{v}-r*.json") for v in ("before", "after")}
torch = {t: runs(f"pytorch-{t}t-r*.json") for t in (1, 2)}
print(f"bench nn GFLOP/s per round: {', '.join(f'{nn[k]:.0f}' for k in sorted(nn))} (median {med(list(nn.values())):.0f})")
print()
print("| batch | precision | binary | wall s/step (rounds) | median | GFLOP/s | share of bench nn (same round, median) | share of in-process ceiling | CPU s/step | bf16/fp32 (wall) | 5,000 steps (min) |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for b in (32, 64):
    for p in ("fp32", "bf16"):
        for v in ("before", "after"):
            rs = [r for r in gan[v] if r["batch"] == b and r["precision"] == p]
            if not rs:
                continue
            walls = [r["seconds_per_step"] for r in rs]
            w = med(walls)
            gf = rs[0]["gflop_per_step"]
            share_nn = med([gf / r["seconds_per_step"] / nn[r["round"]] for r in rs if r["round"] in nn])
            share_c = med([r["ceiling_fraction"] for r in rs])
            ratio = ""
            if p == "bf16":
                f32 = med([r["seconds_per_step"] for r in gan[v] if r["batch"] == b and r["precision"] == "fp32"])
                ratio = f"{w/f32:.2f}×"
            mins = med([r["minutes_per_5000_steps"] for r in rs])
            print(f"| {b} | {p} | {v} | {', '.join(f'{x:.4f}' for x in walls)} | **{w:.4f}** | {gf/w:.0f} | "
                  f"**{share_nn:.0%}** | {share_c:.0%} | {med([r['cpu_seconds_per_step'] for r in rs]):.3f} | {ratio} | {mins:.1f} |")
print()
print("Generation (eval mode), images per second, median over rounds (rounds in brackets):")
print()
print("| batch | engine | images/s | × PyTorch 2 threads | × PyTorch 1 thread |")
print("|---|---|---|---|---|")
for b in (32, 64):
    t2 = med([r["generated_images_per_second"] for r in torch[2] if r["batch"] == b])
    t1 = med([r["generated_images_per_second"] for r in torch[1] if r["batch"] == b])
    for name, rs in (("PyTorch 1.13, 2 threads", torch[2]), ("PyTorch 1.13, 1 thread", torch[1])):
        xs = [r["generated_images_per_second"] for r in rs if r["batch"] == b]
        print(f"| {b} | {name} | **{med(xs):,.0f}** ({', '.join(f'{x:,.0f}' for x in xs)}) | | |")
    for v in ("before", "after"):
        for p in ("fp32", "bf16"):
            xs = [r["generated_images_per_second"] for r in gan[v] if r["batch"] == b and r["precision"] == p]
            if xs:
                g = med(xs)
                print(f"| {b} | raysynth {p}, {v} | **{g:,.0f}** ({', '.join(f'{x:,.0f}' for x in xs)}) | {g/t2:.2f}× | {g/t1:.2f}× |")
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
    print(f"classifier step {v}: wall s/step {', '.join(f'{c:.3f}' for c in wall)} (median {med(wall):.3f}); "
          f"CPU s/step {', '.join(f'{c:.3f}' for c in cpu)} (median {med(cpu):.3f})")
