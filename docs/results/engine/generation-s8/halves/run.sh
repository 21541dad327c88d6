#!/bin/bash
# w22 session 8: generation before (one pass per batch) and after (two half-batch passes side by
# side), with PyTorch 1.13 (2 threads), 3 interleaved rounds on a quiet machine.
cd /tmp/w22/quiet3
export OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=1
say() { echo "$(date -u +%H:%M:%S) $(cat /proc/loadavg) $*" >> load.txt; }
for r in 1 2 3; do
  say round $r
  for b in main gen; do
    for p in fp32 bf16; do
      /tmp/w22/raysynth-$b bench gan --precision $p --batch 32,64 --steps 1 --gen-batches 30 --json > $b-$p-$r.json 2>> err.txt
    done
  done
  /usr/bin/python3 pytorch_dcgan.py --threads 2 --batch 32,64 --steps 2 --gen-batches 30 > pytorch-2t-$r.json 2>> err.txt
done
say done
