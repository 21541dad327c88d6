#!/usr/bin/env bash
# The seed experiment of issue 13, end to end: does adding synthetic X-rays of a rare condition
# help a classifier? Two data sets, each ingested once, one DCGAN per class, synthetic images to
# balance the classes, the privacy gate on them, and the five-regime evaluation on held-out
# patients:
#   kermany  Kermany 64×64, normal/bacteria/virus, virus cut to 10% of its train patients
#   nih      nih1000_64, five classes, --label-policy single (classes under --gan-min-images
#            train films get no generator and are reported)
# for each recipe (RECIPES, default "augmented dcgan": the data-efficient recipe and the plain
# DCGAN beside it). Results land in OUT/<data>-<recipe>/ (the workspace) and, with COMMIT=1, are
# copied to docs/results/seed-experiment/<data>/<recipe>/ (report.md, report.json as
# evaluate --json writes it, sensitivity.png, sample grids per class, the GAN summaries and the
# privacy gate's summary).
#
#   scripts/seed-experiment.sh [OUT]                OUT defaults to /tmp/raysynth-seed
#   DATASETS="kermany" RECIPES="augmented" REPEATS=3 GAN_STEPS=1500 scripts/seed-experiment.sh
#
# Every stage is resumable: run it again after an interruption and finished work is skipped
# (train gan resumes from checkpoints, evaluate from eval/runs). Slow: on 2 shared cores one
# GAN step at 64×64, batch 32 takes 0.3–1.5 s and a classifier of 4 epochs 1–7 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-/tmp/raysynth-seed}
RAYSYNTH=${RAYSYNTH:-./raysynth}
SHARED=${SHARED:-../shared/data}
DATASETS=${DATASETS:-"kermany nih"}
RECIPES=${RECIPES:-"augmented dcgan"}
GAN_STEPS=${GAN_STEPS:-1500}   # D+G steps per class (the rare class gets the same)
GAN_BATCH=${GAN_BATCH:-32}
REPEATS=${REPEATS:-3}
EVAL_EPOCHS=${EVAL_EPOCHS:-4}
REGIMES=${REGIMES:-a,b,c,d,e}
SYNTHETIC=${SYNTHETIC:-approved} # the privacy gate's approved set (candidates: everything synth made)
SEED=${SEED:-1}
RESULTS=docs/results/seed-experiment
mkdir -p "$OUT"
say() { printf '%s  %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

ingest() { # $1 data set, $2 workspace
  [ -e "$2/.ingested" ] && return 0
  say "ingest $1 → $2"
  case $1 in
    kermany) "$RAYSYNTH" ingest --workspace "$2" --from "$SHARED/kermany_128/images" --labels "$SHARED/kermany_128/labels.csv" \
               --label-column subtype --keep virus=0.1 --size 64 --seed "$SEED" >&2 ;;
    nih) "$RAYSYNTH" ingest --workspace "$2" --from "$SHARED/nih1000_64/images" --labels "$SHARED/nih1000_64/labels.csv" \
           --classes normal,cardiomegaly,effusion,edema,pneumothorax --label-policy single --size 64 --seed "$SEED" >&2 ;;
    *) echo "unknown data set $1" >&2; exit 2 ;;
  esac
  touch "$2/.ingested"
}

for data in $DATASETS; do
  base=$OUT/$data
  ingest "$data" "$base"
  for recipe in $RECIPES; do
    ws=$OUT/$data-$recipe
    if [ ! -e "$ws/.ingested" ]; then # the same ingest (same split) for every recipe
      mkdir -p "$ws" && cp -r "$base/." "$ws/"
    fi
    say "$data/$recipe: train gan ($GAN_STEPS steps per class, batch $GAN_BATCH)"
    "$RAYSYNTH" --workspace "$ws" train gan --recipe "$recipe" --steps "$GAN_STEPS" --batch "$GAN_BATCH" --seed "$SEED" >&2
    if [ ! -e "$ws/synth/index.csv" ] || [ "$ws/synth/index.csv" -ot "$ws/gan" ]; then
      say "$data/$recipe: synth --balance"
      "$RAYSYNTH" --workspace "$ws" synth --balance --seed "$SEED" >&2
    fi
    if [ ! -e "$ws/classifier/classifier.ckpt" ]; then
      say "$data/$recipe: train classifier (the privacy gate's classifier embedding)"
      "$RAYSYNTH" --workspace "$ws" train classifier --epochs "$EVAL_EPOCHS" >&2
    fi
    if [ ! -e "$ws/privacy/summary.json" ] || [ "$ws/privacy/summary.json" -ot "$ws/synth/index.csv" ]; then
      say "$data/$recipe: privacy gate"
      "$RAYSYNTH" --workspace "$ws" privacy --embedding pixel,classifier --json > "$ws/privacy-gate.json" || \
        say "$data/$recipe: the privacy gate did not pass (exit $?); evaluation continues on $SYNTHETIC"
    fi
    mkdir -p "$ws/eval"
    say "$data/$recipe: evaluate ($REGIMES, $REPEATS repeats, $EVAL_EPOCHS epochs, synthetic: $SYNTHETIC)"
    "$RAYSYNTH" --workspace "$ws" evaluate --synthetic "$SYNTHETIC" --regimes "$REGIMES" --repeats "$REPEATS" \
      --epochs "$EVAL_EPOCHS" --seed "$SEED" --json > "$ws/eval/report.json.tmp" && mv "$ws/eval/report.json.tmp" "$ws/eval/evaluate.json"
    if [ -n "${COMMIT:-}" ]; then
      dst=$RESULTS/$data/$recipe
      mkdir -p "$dst/grids"
      cp "$ws/eval/evaluate.json" "$dst/report.json"
      cp "$ws/eval/report.md" "$ws/eval/sensitivity.png" "$dst/"
      for d in "$ws"/gan/*/; do
        c=$(basename "$d")
        g=$(ls "$d"samples/epoch-*.png 2>/dev/null | sort | tail -n 1)
        [ -n "$g" ] && cp "$g" "$dst/grids/$c.png"
        cp "$d/summary.json" "$dst/grids/$c-summary.json"
      done
      [ -e "$ws/privacy/summary.json" ] && cp "$ws/privacy/summary.json" "$dst/privacy-summary.json"
      say "results copied to $dst"
    fi
  done
done
say "done"
