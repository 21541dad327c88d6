#!/bin/bash
# w22 session 8: one quiet window: PyTorch 1.13 (2 threads) and bench gan side by side, then a real
# 5,000-step fp32 run at batch 32 on the 64x64 phantom workspace.
cd /tmp/w22/quiet1
export OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=1
R=/tmp/w22/raysynth-main
say() { echo "$(date -u +%H:%M:%S) $(cat /proc/loadavg) $*" >> load.txt; }
say start
/usr/bin/python3 pytorch_dcgan.py --threads 2 --batch 32,64 --steps 10 --gen-batches 20 > pytorch-2t.json 2> pytorch-2t.err
say pytorch done
$R bench gan --precision fp32 --batch 32,64 --steps 30 --gen-batches 20 --json > benchgan-fp32.json 2> benchgan-fp32.err
say fp32 bench done
$R bench gan --precision bf16 --batch 32,64 --steps 30 --gen-batches 20 --json > benchgan-bf16.json 2> benchgan-bf16.err
say bf16 bench done
$R bench gan --precision fp32 --batch 128,256 --steps 2 --gen-batches 10 --json > benchgan-gen-fp32.json 2> benchgan-gen-fp32.err
$R bench gan --precision bf16 --batch 128,256 --steps 2 --gen-batches 10 --json > benchgan-gen-bf16.json 2> benchgan-gen-bf16.err
say gen benches done
rm -rf ws && cp -r /tmp/w22/ws0 ws
/usr/bin/time -v $R train gan --workspace ws --steps 5000 --batch 32 --precision fp32 --json > train-fp32.json 2> train-fp32-time.txt
say train done
