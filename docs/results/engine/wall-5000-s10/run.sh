#!/bin/bash
# Session 10: real 5,000-step runs at batch 32 on the Kermany virus class (104 train films, 64x64,
# the quality check's base workspace: ingest --keep virus=0.1), fp32 then bf16, engine at the final main.
cd /tmp/w5000s10
export OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=1
R=/tmp/rs-final
say() { echo "$(date -u +%H:%M:%S) $(cat /proc/loadavg) $*" >> load.txt; }
$R version --json > version.json 2>/dev/null
for p in fp32 bf16; do
  rm -rf ws-$p && cp -a /tmp/raysynth-bf16-virus-s10/base ws-$p && rm -rf ws-$p/gan ws-$p/classifier
  say "start $p"
  /usr/bin/time -v $R train gan --workspace ws-$p --classes virus --steps 5000 --batch 32 --recipe augmented --precision $p --json > train-$p.json 2> train-$p-time.txt
  say "done $p"
done
