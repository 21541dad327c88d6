#!/bin/bash
# session 10 bf16 quality re-run (pre-registered in /work/wt/a22-notes.md, 06:47 UTC)
cd /work/main
export GOMAXPROCS=1 RAYSYNTH=/tmp/raysynth-q GANSCORE=/tmp/ganscore-q DATA=../shared/data/kermany_128 LABEL_COLUMN=subtype \
  KEEP=virus=0.1 CLASS=virus SIZE=64 STEPS=2000 PAR=1
OUT=/tmp/raysynth-bf16-virus-s10
# the base (ingest, embedding classifier) once
SEEDS="" BF16_SEEDS="" SCORE=0 /work/wt/heavy scripts/bf16-quality.sh $OUT
for s in 1 2 3 4 5 6; do
  SEEDS=$s BF16_SEEDS="" SCORE=0 /work/wt/heavy scripts/bf16-quality.sh $OUT &
  sleep 2
  SEEDS="" BF16_SEEDS=$s SCORE=0 /work/wt/heavy scripts/bf16-quality.sh $OUT &
  sleep 2
done
wait
SEEDS="1 2 3 4 5 6" /work/wt/heavy scripts/bf16-quality.sh $OUT
docs/results/engine/bf16-rule.py $OUT/bf16.tsv > $OUT/rule.txt
echo done > $OUT/.finished
