#!/bin/bash
# Session 9 (Zen 5 machine): generation only, raysynth against PyTorch 1.13 (Debian's python3-torch),
# longer than run-s9.sh's (300 generated batches each, so a few ms of other load moves it less),
# 3 interleaved rounds on a quiet machine. Usage: run.sh RAYSYNTH_BINARY OUT_DIR
# Run through /work/wt/quiet (all CPU slots). pytorch_dcgan.py is ../pytorch_dcgan.py.
set -u
R=$1; OUT=$2; HERE=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$OUT"; cd "$OUT"
export OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=1
say() { echo "$(date -u +%H:%M:%S) $(cat /proc/loadavg) $*" >> load.txt; }
for r in 1 2 3; do
  say round $r
  /usr/bin/python3 "$HERE/pytorch_dcgan.py" --threads 2 --batch 32,64 --steps 1 --gen-batches 300 > pytorch-2t-r$r.json 2>> err.txt
  "$R" bench gan --precision fp32 --batch 32,64 --steps 2 --gen-batches 300 --json > fp32-r$r.json 2>> err.txt
  /usr/bin/python3 "$HERE/pytorch_dcgan.py" --threads 1 --batch 32,64 --steps 1 --gen-batches 300 > pytorch-1t-r$r.json 2>> err.txt
  "$R" bench gan --precision bf16 --batch 32,64 --steps 2 --gen-batches 300 --json > bf16-r$r.json 2>> err.txt
done
say done
