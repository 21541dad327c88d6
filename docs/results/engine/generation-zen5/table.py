#!/usr/bin/env python3
"""Generated images per second from generation-zen5/run.sh's folder: rounds and medians, with the
ratio to PyTorch (2 threads and 1 thread) in the same run."""
import glob, json, re, statistics as st, sys

d = sys.argv[1]
res = {}
for f in sorted(glob.glob(d + "/*.json")):
    name = re.sub(r"-r?\d+\.json$", "", f.split("/")[-1])
    for r in json.load(open(f))["runs"]:
        res.setdefault((name, r["batch"]), []).append(r["generated_images_per_second"])
print("| batch | engine | images/s (rounds) | median | × PyTorch 2 threads | × PyTorch 1 thread |")
print("|---|---|---|---|---|---|")
for b in (32, 64):
    t2, t1 = st.median(res[("pytorch-2t", b)]), st.median(res[("pytorch-1t", b)])
    for name in ("pytorch-2t", "pytorch-1t", "fp32", "bf16"):
        xs = res[(name, b)]
        m = st.median(xs)
        ratio = f"{m/t2:.2f}× | {m/t1:.2f}×" if not name.startswith("pytorch") else " | "
        print(f"| {b} | {name} | {', '.join(f'{x:,.0f}' for x in xs)} | **{m:,.0f}** | {ratio} |")
