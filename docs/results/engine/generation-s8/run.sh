#!/bin/bash
# w22 session 8: generation, raysynth against PyTorch 1.13, 3 interleaved rounds on a quiet machine.
cd /tmp/w22/quiet2
export OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=1
R=/tmp/w22/raysynth-main
say() { echo "$(date -u +%H:%M:%S) $(cat /proc/loadavg) $*" >> load.txt; }
for r in 1 2 3; do
  say round $r
  /usr/bin/python3 pytorch_dcgan.py --threads 2 --batch 32,64 --steps 3 --gen-batches 20 > pytorch-2t-$r.json 2>> err.txt
  $R bench gan --precision fp32 --batch 32,64 --steps 3 --gen-batches 20 --json > fp32-$r.json 2>> err.txt
  /usr/bin/python3 pytorch_dcgan.py --threads 1 --batch 32,64 --steps 3 --gen-batches 20 > pytorch-1t-$r.json 2>> err.txt
  $R bench gan --precision bf16 --batch 32,64 --steps 3 --gen-batches 20 --json > bf16-$r.json 2>> err.txt
done
# sensitivity to another process: the same fp32 bench while one busy loop (like a compile) shares the cores
$R bench gan --precision fp32 --batch 32 --steps 40 --gen-batches 2 --json > busy0.json 2>> err.txt
say busy loop start
timeout 14 sh -c 'while :; do :; done' &
$R bench gan --precision fp32 --batch 32 --steps 40 --gen-batches 2 --json > busy1.json 2>> err.txt
wait
say done
