#!/usr/bin/env bash
# The command lines behind docs/results/seed-experiment/kermany/dp-virus-eps8/ (issue 13, fourth
# session, 2026-12-05), from the repository root after `make build` and
#   go build -tags openblas -o ganscore ./cmd/ganscore
# REL_EQ is the workspace of ../released-equal/commands.sh step 2 (release A with regime b mixed
# equal in eval/runs; the non-DP bacteria and normal generators, the 4-epoch classifier).
set -euo pipefail
export OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=1
REL_EQ=${1:-/tmp/w13k/rel-eq}
WS=${2:-/tmp/w13k/dp-ws}

# Plan: 72 virus train patients, a batch of 32 patients (q = 32/72), 1,200 D steps, eps 8,
# delta = 1/(10 x 72): noise 7.8908.
./raysynth dp-budget --sampling-rate 0.444 --steps 1200 --epsilon 8 --patients 72

# The virus generator replaced by a DP one (augmented recipe); b and c runs dropped (they used
# the old virus films), a, d, e kept (real films only).
cp -r "$REL_EQ" "$WS"
rm -rf "$WS/gan/virus" "$WS/eval/runs/b-r"* "$WS/eval/runs/c-r"* "$WS/eval/report."* "$WS/approved" "$WS/privacy"
./raysynth --workspace "$WS" train gan --recipe augmented --classes virus --steps 1200 --batch 32 --seed 1 --dp-epsilon 8
./ganscore -workspace "$WS" -class virus -checkpoint "$WS/gan/virus/checkpoint.ckpt" -weights last -samples 500 \
  -seed 1 -label dp-eps8-1200 > ganscore-virus.tsv

# The release as for release A (bacteria and normal: the same films), the full gate.
./raysynth --workspace "$WS" synth --per-class 1800 --max-per-real 6 --seed 1
./raysynth --workspace "$WS" privacy --embedding pixel,classifier --filter --max-rounds 5 --json > privacy-summary.json

# (b) mixed equal and (c), one process per repeat, then the report; balanced accuracy intervals.
for reg in b c; do for r in 1 2 3; do
  ./raysynth --workspace "$WS" evaluate --synthetic approved --regimes $reg --repeats 3 --repeat $r --epochs 4 \
    --seed 1 --b-mix equal &
done; wait; done
./raysynth --workspace "$WS" evaluate --synthetic approved --regimes a,b,c,d,e --repeats 3 --epochs 4 --seed 1 \
  --b-mix equal --json > report.json
python3 ../released-equal/bacc_ci.py "$WS" "b-dp8=$WS/eval/runs:b" "a=$WS/eval/runs:a" "d=$WS/eval/runs:d" \
  "e=$WS/eval/runs:e" "b-equal-nondp=$REL_EQ/eval/runs:b" > balanced-accuracy-ci.tsv

# The same budget over 600 steps (noise 5.6106) -> steps-600/: a fresh copy of REL_EQ, the same
# commands with --steps 600 and -label dp-eps8-600, outputs in steps-600/.
