#!/bin/bash
# Session 9: the fp32 step's share of bench nn's GFLOP/s, 5 rounds on a quiet machine, one binary
# (the goal's own measure, with more rounds than run-s9.sh). Usage: run.sh RAYSYNTH OUT_DIR
# Run through /work/wt/quiet. Each round: bench nn, then bench gan fp32 at batch 32 and 64.
R=$1; OUT=$2; mkdir -p "$OUT"; cd "$OUT"
export OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=1
for r in 1 2 3 4 5; do
  echo "$(date -u +%H:%M:%S) $(cut -d' ' -f1-3 /proc/loadavg) round $r" >> load.txt
  "$R" bench nn --json > nn-r$r.json 2>/dev/null
  "$R" bench gan --precision fp32 --batch 32,64 --steps 30 --gen-batches 1 --json > gan-r$r.json 2>/dev/null
done
python3 - <<'PY'
import json, statistics as st
rows = {32: [], 64: []}
for r in range(1, 6):
    nn = json.load(open(f"nn-r{r}.json"))["gflops"]
    for x in json.load(open(f"gan-r{r}.json"))["runs"]:
        rows[x["batch"]].append((x["seconds_per_step"], x["gflop_per_step"] / x["seconds_per_step"] / nn, x["ceiling_fraction"], nn))
with open("table.md", "w") as f:
    f.write("| batch | wall s/step (rounds) | share of bench nn (rounds) | median share | median share of in-process ceiling |\n|---|---|---|---|---|\n")
    for b, v in rows.items():
        f.write(f"| {b} | {', '.join(f'{x[0]:.4f}' for x in v)} | {', '.join(f'{x[1]:.0%}' for x in v)} | **{st.median(x[1] for x in v):.0%}** | {st.median(x[2] for x in v):.0%} |\n")
    f.write(f"\nbench nn GFLOP/s per round: {', '.join(f'{x[3]:.0f}' for x in rows[32])}\n")
PY
cat table.md
