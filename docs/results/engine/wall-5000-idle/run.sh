#!/bin/bash
# lead, session 8: a real 5,000-step fp32 run at batch 32 on the 64x64 phantom workspace (421
# train films, the workspace of wall-5000.md), machine idle (all helpers stopped), main at d981e57.
cd /tmp/lead-q
export OPENBLAS_CORETYPE=SkylakeX
R=/work/wt/lead/raysynth
say() { echo "$(date -u +%H:%M:%S) $(cat /proc/loadavg) $*" >> load.txt; }
say start
$R bench gan --precision fp32 --batch 32 --steps 30 --json > benchgan-fp32.json 2> benchgan-fp32.err
say bench done
/usr/bin/time -v $R train gan --workspace ws --steps 5000 --batch 32 --precision fp32 --json > train-fp32.json 2> train-fp32-time.txt
say train done
