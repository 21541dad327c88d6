#!/usr/bin/env bash
# The command lines behind docs/results/seed-experiment/kermany/released-equal/ (issue 13, fourth
# session, 2026-12-05), run from the repository root after `make build` and
#   go build -tags openblas -o shortcutprobe ./cmd/shortcutprobe
# REL is release A's workspace as ../released/commands.sh step 3 left it (approved: 1,800
# bacteria, 1,800 normal, 624 virus; eval/runs holding a-e of 3 repeats). Work in copies: evaluate
# writes eval/runs/b-r*.json, and a (b) of another mix replaces the top-up's records there.
set -euo pipefail
export OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=1
REL=${1:-/tmp/raysynth-seed/released/rel}
OUT=${2:-/tmp/w13k}
mkdir -p "$OUT"

# 1. The shortcut question. (b) as released (top-up) retrained for repeat 1 with its model kept
#    (the same seed gives the same predictions: max difference 0.0 against the released b-r0).
cp -r "$REL" "$OUT/rel-keep" && rm "$OUT/rel-keep/eval/runs/b-r0.json"
./raysynth --workspace "$OUT/rel-keep" evaluate --synthetic approved --regimes b --repeats 3 --repeat 1 \
  --epochs 4 --seed 1 --keep-models
#    Fresh synthetic films no model trained on: the same generators sampled with another seed.
cp -r "$REL" "$OUT/probe" && rm -rf "$OUT/probe/eval"
./raysynth --workspace "$OUT/probe" synth --per-class 600 --seed 7

# 2. (b) mixed equal: real films of every class repeated to the majority count, plus 624 synthetic
#    films (the virus release's size) in every class. One process per repeat, then the report
#    (a, c, d, e reused from eval/runs: evaluate keys runs by their exact training images).
cp -r "$REL" "$OUT/rel-eq"
for r in 1 2 3; do
  ./raysynth --workspace "$OUT/rel-eq" evaluate --synthetic approved --regimes b --repeats 3 --repeat $r \
    --epochs 4 --seed 1 --b-mix equal --keep-models &
done; wait
./raysynth --workspace "$OUT/rel-eq" evaluate --synthetic approved --regimes a,b,c,d,e --repeats 3 --epochs 4 \
  --seed 1 --b-mix equal --json > report.json

# 3. How each model labels real holdout and fresh synthetic films, and how well real and synthetic
#    films of a class separate in its embedding (leave-one-out 1-NN, 400 of each).
./shortcutprobe -workspace "$REL" -probe "$OUT/probe" -separability 400 \
  "$REL/eval/runs/a-r0.model" "$OUT/rel-keep/eval/runs/b-r0.model" \
  "$OUT/rel-eq/eval/runs/b-r0.model" "$OUT/rel-eq/eval/runs/b-r1.model" "$OUT/rel-eq/eval/runs/b-r2.model" > shortcut.tsv

# 4. Balanced accuracy differences with a paired bootstrap over holdout films, against runs of
#    other workspaces too (the report compares regimes of one workspace); run after step 5 and
#    ../dp-virus-eps8/commands.sh.
python3 bacc_ci.py "$REL" "b-equal=$OUT/rel-eq/eval/runs:b" "a=$REL/eval/runs:a" "d=$REL/eval/runs:d" \
  "e=$REL/eval/runs:e" "b-topup=$REL/eval/runs:b" "b-equal-50=$OUT/rel-eq1/eval/runs:b" \
  "b-equal-dp8=$OUT/dp-ws/eval/runs:b" "b-equal-dp8-600=$OUT/dp2-ws/eval/runs:b" > balanced-accuracy-ci.tsv

# 5. (b) mixed equal with one synthetic example per real example in every class (50% share;
#    virus's 624 films repeated about 2.4 times), in another copy -> ../released-equal-1/
cp -r "$OUT/rel-eq" "$OUT/rel-eq1" && rm -f "$OUT/rel-eq1/eval/runs/b-r"*
for r in 1 2 3; do
  ./raysynth --workspace "$OUT/rel-eq1" evaluate --synthetic approved --regimes b --repeats 3 --repeat $r \
    --epochs 4 --seed 1 --b-mix equal --synthetic-per-real 1 --keep-models &
done; wait
./raysynth --workspace "$OUT/rel-eq1" evaluate --synthetic approved --regimes a,b,c,d,e --repeats 3 --epochs 4 \
  --seed 1 --b-mix equal --synthetic-per-real 1 --json > ../released-equal-1/report.json

# 6. Release B (../released-b-equal/): its workspace as ../released/commands.sh step 7 left it.
RELB=${3:-/tmp/raysynth-seed/released/relB}
cp -r "$RELB" "$OUT/relB-eq"
for r in 1 2 3; do
  ./raysynth --workspace "$OUT/relB-eq" evaluate --synthetic approved --regimes b --repeats 3 --repeat $r \
    --epochs 4 --seed 1 --b-mix equal --keep-models &
done; wait
./raysynth --workspace "$OUT/relB-eq" evaluate --synthetic approved --regimes a,b,c,d,e --repeats 3 --epochs 4 \
  --seed 1 --b-mix equal --json > ../released-b-equal/report.json
python3 bacc_ci.py "$OUT/relB-eq" "b-equal=$OUT/relB-eq/eval/runs:b" "a=$OUT/relB-eq/eval/runs:a" \
  "d=$OUT/relB-eq/eval/runs:d" "e=$OUT/relB-eq/eval/runs:e" "b-topup=$RELB/eval/runs:b" > ../released-b-equal/balanced-accuracy-ci.tsv
