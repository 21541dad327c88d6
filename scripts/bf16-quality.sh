#!/usr/bin/env bash
# The bf16 quality check of issue 22: the same class trained for the same steps in fp32 (three
# seeds) and in bf16 (the same three seeds), each generator scored by cmd/ganscore in the
# embedding of one real-only classifier (trained in fp32): Fréchet distance and k-NN
# precision/recall against the class's holdout films. bf16 passes when its figures lie within
# the spread of the fp32 seeds. Results: docs/results/engine/bf16.md.
#
#   scripts/bf16-quality.sh [OUT]          OUT defaults to /tmp/raysynth-bf16; resumable
#   STEPS=800 SIZE=32 CLASS=cardiomegaly SEEDS="1 2 3" PAR=3 scripts/bf16-quality.sh
#   SEEDS="" BF16_SEEDS=4 SCORE=0 scripts/bf16-quality.sh OUT   # one piece: train bf16 seed 4 only
#
# With DATA set, real films instead of phantoms, ingested the way scripts/gan-ablation.sh does
# (the rare class at its length):
#   DATA=../shared/data/kermany_128 LABEL_COLUMN=subtype KEEP=virus=0.1 CLASS=virus SIZE=64 \
#     STEPS=2000 PAR=1 scripts/bf16-quality.sh /tmp/raysynth-bf16-virus
# Runs alternate fp32 and bf16 seeds, so a cut-short run still compares like with like.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-/tmp/raysynth-bf16}
RAYSYNTH=${RAYSYNTH:-./raysynth}
GANSCORE=${GANSCORE:-./ganscore}
STEPS=${STEPS:-800}
SIZE=${SIZE:-32}
CLASS=${CLASS:-cardiomegaly}
SEEDS=${SEEDS-"1 2 3"}            # fp32 seeds (their spread is the yardstick); "" for none
BF16_SEEDS=${BF16_SEEDS-$SEEDS}  # "" for none
WEIGHTS=${WEIGHTS:-"last ema"}   # each generator is scored with these weights
SCORE=${SCORE:-1}               # 0: train only (run the pieces, then score once)
SAMPLES=${SAMPLES:-500}
PAR=${PAR:-3} # training runs at once
DATA=${DATA:-}  # a folder with images/ and labels.csv; empty: phantoms
LABEL_COLUMN=${LABEL_COLUMN:-label}
KEEP=${KEEP:-}  # --keep of ingest (e.g. virus=0.1); real data only
RECIPE=${RECIPE:-augmented}
mkdir -p "$OUT"
say() { printf '%s  %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# 1. a phantom data set of two classes, ingested once; the embedding classifier (fp32)
if [ ! -e "$OUT/base/.ready" ]; then
  rm -rf "$OUT/ph" "$OUT/base"
  if [ -n "$DATA" ]; then
    "$RAYSYNTH" ingest --workspace "$OUT/base" --from "$DATA/images" --labels "$DATA/labels.csv" \
      --label-column "$LABEL_COLUMN" ${KEEP:+--keep "$KEEP"} --size "$SIZE" >&2
  else
    "$RAYSYNTH" phantom --out "$OUT/ph" --count 600 --size "$SIZE" --classes "normal,$CLASS" --mix "normal=1,$CLASS=1" --seed 11 >&2
    "$RAYSYNTH" ingest --workspace "$OUT/base" --from "$OUT/ph" --labels "$OUT/ph/labels.csv" --size "$SIZE" --holdout 0.2 >&2
  fi
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
    --recipe "$RECIPE" --precision "$prec" > "$OUT/train-$prec-$seed.log" 2>&1
  mkdir -p "$OUT/ckpt" && cp "$ws/gan/$CLASS/checkpoint.ckpt" "$OUT/ckpt/$prec-$seed.ckpt"
  cp "$ws/gan/$CLASS/summary.json" "$OUT/ckpt/$prec-$seed.summary.json"
  say "done $prec seed $seed"
}
# fp32 and bf16 seeds alternate: fp32:1 bf16:1 fp32:2 bf16:2 ...
runs() {
  local f=($SEEDS) b=($BF16_SEEDS) i
  for ((i = 0; i < ${#f[@]} || i < ${#b[@]}; i++)); do
    [ "$i" -lt "${#f[@]}" ] && echo "fp32:${f[$i]}"
    [ "$i" -lt "${#b[@]}" ] && echo "bf16:${b[$i]}"
  done
  return 0
}
n=0
for run in $(runs); do
  train "${run%%:*}" "${run#*:}" &
  n=$((n + 1))
  if [ "$n" -ge "$PAR" ]; then wait -n; n=$((n - 1)); fi
done
wait

# 3. score every generator (sampled in fp32, the way synth --precision fp32 does), with its last
# weights and with their moving average, so that one unlucky last step does not decide
[ "$SCORE" = 1 ] || exit 0
[ -x "$GANSCORE" ] || go build -tags "${TAGS:-openblas}" -o "$GANSCORE" ./cmd/ganscore
mkdir -p "$OUT/grids"
{
  printf 'precision\tseed\tweights\tfrechet\tfrechet_train_ref\tprecision_knn\trecall_knn\tdistinct_nearest\tsamples\n'
  for run in $(runs); do
    prec=${run%%:*} seed=${run#*:}
    for wt in $WEIGHTS; do
      "$GANSCORE" --workspace "$OUT/base" --class "$CLASS" --checkpoint "$OUT/ckpt/$prec-$seed.ckpt" --weights "$wt" \
        --samples "$SAMPLES" --seed 1 --grid "$OUT/grids/$prec-$seed-$wt.png" --label "$prec	$seed	$wt"
    done
  done
} > "$OUT/bf16.tsv"
say "done: $OUT/bf16.tsv"
column -t -s $'\t' "$OUT/bf16.tsv" >&2
