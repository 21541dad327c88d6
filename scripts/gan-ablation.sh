#!/usr/bin/env bash
# The data-efficient GAN ablation of issue 13 on the rare class: Kermany virus (104 train films
# of 72 patients, --keep virus=0.1) at 64×64, batch 32. Two training runs per step count (plain
# DCGAN and DiffAugment); each keeps an EMA of G's weights (never fed back into training), so
# each run gives two arms: its last weights and its moving average. Same steps, same seed.
# Scored by cmd/ganscore (the project's classifier embedding: Fréchet distance and k-NN
# precision/recall against the virus holdout; distinct nearest training films).
#
#   scripts/gan-ablation.sh [OUT]        OUT defaults to /tmp/raysynth-ablation; resumable
#   STEPS="1500 3000" SAMPLES=500 scripts/gan-ablation.sh
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-/tmp/raysynth-ablation}
RAYSYNTH=${RAYSYNTH:-./raysynth}
DATA=${DATA:-../shared/data/kermany_128}
STEPS=${STEPS:-"1500 3000"}
SAMPLES=${SAMPLES:-500}
SEED=${SEED:-1}
RECIPES=${RECIPES:-"dcgan augmented"}
GANSCORE=${GANSCORE:-./ganscore}
mkdir -p "$OUT"
say() { printf '%s  %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# 1. the workspace: virus cut to 10% of its train patients (holdout untouched)
if [ ! -e "$OUT/kermany/workspace.json" ] || [ ! -e "$OUT/kermany/.ingested" ]; then
  say "ingest $DATA"
  "$RAYSYNTH" ingest --workspace "$OUT/kermany" --from "$DATA/images" --labels "$DATA/labels.csv" \
    --label-column subtype --keep virus=0.1 --size 64 >&2
  touch "$OUT/kermany/.ingested"
fi

# 2. one workspace per recipe (the same ingest), trained up to each step count in turn; a
#    copy of the generator at each count is kept for scoring
for r in $RECIPES; do
  ws=$OUT/ws-$r
  if [ ! -e "$ws/workspace.json" ]; then
    mkdir -p "$ws"
    cp -r "$OUT/kermany/." "$ws/"
    rm -rf "$ws/gan" "$ws/classifier" "$ws/eval"
  fi
done
for s in $STEPS; do
  for r in $RECIPES; do
    ws=$OUT/ws-$r
    keep=$OUT/ckpt/$r-$s.ckpt
    [ -e "$keep" ] && continue
    say "train $r to $s steps"
    "$RAYSYNTH" --workspace "$ws" train gan --classes virus --recipe "$r" --batch 32 --steps "$s" --seed "$SEED" >&2
    mkdir -p "$OUT/ckpt" "$OUT/grids"
    cp "$ws/gan/virus/checkpoint.ckpt" "$keep"
  done
done

[ -n "${TRAIN_ONLY:-}" ] && exit 0
[ -x "$GANSCORE" ] || go build -tags "${TAGS:-openblas}" -o "$GANSCORE" ./cmd/ganscore

# 3. the embedding: a real-only classifier (the evaluation's regime a)
if [ ! -e "$OUT/kermany/classifier/summary.json" ]; then
  say "train the embedding classifier"
  "$RAYSYNTH" --workspace "$OUT/kermany" train classifier --epochs 4 >&2
fi

# 4. score every (recipe, steps, weights) arm
{
  printf 'recipe\tweights\tsteps\tfrechet\tfrechet_train_ref\tprecision\trecall\tdistinct_nearest\tsamples\n'
  for s in $STEPS; do
    for r in $RECIPES; do
      for wgt in last ema; do
        "$GANSCORE" --workspace "$OUT/kermany" --class virus \
          --checkpoint "$OUT/ckpt/$r-$s.ckpt" --weights "$wgt" --samples "$SAMPLES" --seed "$SEED" \
          --grid "$OUT/grids/$r-$wgt-$s.png" --label "$r	$wgt	$s"
      done
    done
  done
} > "$OUT/ablation.tsv"
say "done: $OUT/ablation.tsv"
column -t -s $'\t' "$OUT/ablation.tsv" >&2
