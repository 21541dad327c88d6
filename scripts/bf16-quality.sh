#!/usr/bin/env bash
# The bf16 quality check of issue 22: the same class trained for the same steps in fp32 (three
# seeds) and in bf16 (the same three seeds), each generator scored by cmd/ganscore in the
# embedding of one real-only classifier (trained in fp32): Fréchet distance and k-NN
# precision/recall against the class's holdout films. bf16 passes when its figures lie within
# the spread of the fp32 seeds. Results: docs/results/engine/bf16.md.
#
#   scripts/bf16-quality.sh [OUT]          OUT defaults to /tmp/raysynth-bf16; resumable
#   STEPS=800 SIZE=32 CLASS=cardiomegaly SEEDS="1 2 3" PAR=3 scripts/bf16-quality.sh
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-/tmp/raysynth-bf16}
RAYSYNTH=${RAYSYNTH:-./raysynth}
GANSCORE=${GANSCORE:-./ganscore}
STEPS=${STEPS:-800}
SIZE=${SIZE:-32}
CLASS=${CLASS:-cardiomegaly}
SEEDS=${SEEDS:-"1 2 3"}           # fp32 seeds (their spread is the yardstick)
BF16_SEEDS=${BF16_SEEDS:-$SEEDS}
SAMPLES=${SAMPLES:-500}
PAR=${PAR:-3} # training runs at once
mkdir -p "$OUT"
say() { printf '%s  %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# 1. a phantom data set of two classes, ingested once; the embedding classifier (fp32)
if [ ! -e "$OUT/base/.ready" ]; then
  rm -rf "$OUT/ph" "$OUT/base"
  "$RAYSYNTH" phantom --out "$OUT/ph" --count 600 --size "$SIZE" --classes "normal,$CLASS" --mix "normal=1,$CLASS=1" --seed 11 >&2
  "$RAYSYNTH" ingest --workspace "$OUT/base" --from "$OUT/ph" --labels "$OUT/ph/labels.csv" --size "$SIZE" --holdout 0.2 >&2
  say "train the embedding classifier"
  "$RAYSYNTH" --workspace "$OUT/base" train classifier --epochs 4 --precision fp32 >&2
  touch "$OUT/base/.ready"
fi

# 2. one workspace per (precision, seed), trained for STEPS steps
train() {
  local prec=$1 seed=$2 ws=$OUT/ws-$1-$2
  [ -e "$OUT/ckpt/$prec-$seed.ckpt" ] && return 0
  if [ ! -e "$ws/workspace.json" ]; then # otherwise resume (a lower STEPS stops at it)
    rm -rf "$ws" && mkdir -p "$ws" && cp -r "$OUT/base/." "$ws/" && rm -rf "$ws/gan" "$ws/classifier"
  fi
  say "train $prec seed $seed"
  "$RAYSYNTH" --workspace "$ws" train gan --classes "$CLASS" --batch 32 --steps "$STEPS" --seed "$seed" \
    --precision "$prec" > "$OUT/train-$prec-$seed.log" 2>&1
  mkdir -p "$OUT/ckpt" && cp "$ws/gan/$CLASS/checkpoint.ckpt" "$OUT/ckpt/$prec-$seed.ckpt"
  cp "$ws/gan/$CLASS/summary.json" "$OUT/ckpt/$prec-$seed.summary.json"
  say "done $prec seed $seed"
}
n=0
for run in $(for s in $SEEDS; do echo "fp32:$s"; done; for s in $BF16_SEEDS; do echo "bf16:$s"; done); do
  train "${run%%:*}" "${run#*:}" &
  n=$((n + 1))
  if [ "$n" -ge "$PAR" ]; then wait -n; n=$((n - 1)); fi
done
wait

# 3. score every generator (sampled in fp32, the way synth --precision fp32 does)
[ -x "$GANSCORE" ] || go build -tags "${TAGS:-openblas}" -o "$GANSCORE" ./cmd/ganscore
mkdir -p "$OUT/grids"
{
  printf 'precision\tseed\tfrechet\tfrechet_train_ref\tprecision_knn\trecall_knn\tdistinct_nearest\tsamples\n'
  for run in $(for s in $SEEDS; do echo "fp32:$s"; done; for s in $BF16_SEEDS; do echo "bf16:$s"; done); do
    prec=${run%%:*} seed=${run#*:}
    {
      "$GANSCORE" --workspace "$OUT/base" --class "$CLASS" --checkpoint "$OUT/ckpt/$prec-$seed.ckpt" \
        --samples "$SAMPLES" --seed 1 --grid "$OUT/grids/$prec-$seed.png" --label "$prec	$seed"
    }
  done
} > "$OUT/bf16.tsv"
say "done: $OUT/bf16.tsv"
column -t -s $'\t' "$OUT/bf16.tsv" >&2
