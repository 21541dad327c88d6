#!/bin/bash
# w22d, session 9: a real 5,000-step fp32 run at batch 32 on the 64x64 phantom workspace (421 train
# films, the workspace of wall-5000.md, gan/ removed), engine at ba9aff5 (oneDNN convolutions).
cd /tmp/w22d/r5000   # holds ws/, a fresh copy of the workspace: cp -a /tmp/lead-q/ws ws && rm -rf ws/gan
export OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=1
R=/tmp/w22d/final-after
say() { echo "$(date -u +%H:%M:%S) $(cat /proc/loadavg) $*" >> load.txt; }
say start
$R version --json > version.json 2>/dev/null
$R bench gan --precision fp32 --batch 32 --steps 30 --json > benchgan-fp32.json 2> benchgan-fp32.err
say bench done
/usr/bin/time -v $R train gan --workspace ws --steps 5000 --batch 32 --precision fp32 --json > train-fp32.json 2> train-fp32-time.txt
say train done
