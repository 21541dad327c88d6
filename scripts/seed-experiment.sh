#!/usr/bin/env bash
# The seed experiment of issue 13, end to end: does adding synthetic X-rays of a rare condition
# help a classifier? Two data sets, each ingested once, one DCGAN per class, synthetic images to
# balance the classes, the privacy gate on them, and the five-regime evaluation on held-out
# patients:
#   kermany  Kermany 64×64, normal/bacteria/virus, virus cut to 10% of its train patients
#   nih      nih1000_64, five classes (NIH_CLASSES), --label-policy single (images with one
#            finding only); classes under GAN_MIN_IMAGES train films get no generator and are
#            reported
# for each recipe (RECIPES, default "augmented dcgan": the data-efficient recipe and the plain
# DCGAN beside it). Results land in OUT/<data>-<recipe>/ (the workspace) and, with COMMIT=1, are
# copied to docs/results/seed-experiment/<data>/<recipe>/ (report.md, report.json as
# evaluate --json writes it, sensitivity.png, sample grids per class, the GAN summaries and the
# privacy gate's summary).
#
#   scripts/seed-experiment.sh [OUT]                OUT defaults to /tmp/raysynth-seed
#   DATASETS="kermany" RECIPES="augmented" REPEATS=3 GAN_STEPS=1500 scripts/seed-experiment.sh
#   CLASS_STEPS="virus=2400" SYNTH_PER_CLASS=1800 SYNTH_MAX_PER_REAL=6 DATASETS=kermany \
#     RECIPES=augmented scripts/seed-experiment.sh                    # the released Kermany run
#   DATASETS=nih RECIPES=augmented GAN_MIN_IMAGES=18 SYNTHETIC=auto ...  # see results/…/nih/commands.sh
#
# CLASS_STEPS gives some classes their own step budget (each class is trained by its own
# train gan --classes call, the class with the fewest train films first; the others get
# GAN_STEPS). SYNTH_PER_CLASS makes that many candidates of every class (synth --per-class)
# instead of topping minorities up (synth --balance), so regime (c) synthetic only has films of
# every class; SYNTH_MAX_PER_REAL caps a class at that many per train film (synth
# --max-per-real: a small class's release leaks more the larger it is). The privacy gate runs with --filter
# (flagged candidates replaced and everything checked again, at most MAX_ROUNDS rounds; the
# thresholds are the defaults). SYNTHETIC=auto evaluates the approved set when the gate passed
# and the candidates when it did not (the log says which). EVAL_FLAGS are passed to evaluate
# (for example "--synthetic-per-real 1 --b-rebalance weighted"); with EVAL_NAME the evaluation goes to its
# own workspace copy <ws>-<EVAL_NAME> (same generators and synthetic set), so variants of
# regime (b) do not overwrite the main report.
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
SYNTHETIC=${SYNTHETIC:-approved} # the privacy gate's approved set (candidates: everything synth made; auto)
GAN_MIN_IMAGES=${GAN_MIN_IMAGES:-20} # train gan --min-images
# NIH's single-finding classes with the most films (train/holdout by patient, seed 1): normal
# 347/152, effusion 45/20, infiltration 45/19, atelectasis 24/10, cardiomegaly 18/8; pneumothorax
# (16 films of 6 patients) and edema (1 film) are too few to split by patient
NIH_CLASSES=${NIH_CLASSES:-normal,effusion,infiltration,atelectasis,cardiomegaly}
SEED=${SEED:-1}
CLASS_STEPS=${CLASS_STEPS:-}    # e.g. "virus=3000": per-class step budgets
SYNTH_PER_CLASS=${SYNTH_PER_CLASS:-} # candidates per class (default: synth --balance)
SYNTH_MAX_PER_REAL=${SYNTH_MAX_PER_REAL:-0} # at most this many per train film of a class (0: no cap)
MAX_ROUNDS=${MAX_ROUNDS:-5}
EVAL_FLAGS=${EVAL_FLAGS:-}
EVAL_NAME=${EVAL_NAME:-}
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
           --classes "$NIH_CLASSES" --label-policy single --size 64 --seed "$SEED" >&2 ;;
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
    # every class, the fewest train films first (train gan skips and reports those under
    # --min-images)
    for class in $(jq -r '.classes | to_entries | sort_by(.value.train) | .[].key' "$ws/ingest/report.json"); do
      steps=$GAN_STEPS
      for cs in $CLASS_STEPS; do [ "${cs%%=*}" = "$class" ] && steps=${cs#*=}; done
      say "$data/$recipe: train gan $class ($steps steps, batch $GAN_BATCH)"
      "$RAYSYNTH" --workspace "$ws" train gan --recipe "$recipe" --classes "$class" --steps "$steps" --batch "$GAN_BATCH" \
        --min-images "$GAN_MIN_IMAGES" --seed "$SEED" >&2 ||
        say "$data/$recipe: train gan $class stopped (exit $?; a class under --min-images is reported and skipped)"
    done
    if [ ! -e "$ws/synth/index.csv" ] || [ -n "$(find "$ws/gan" -newer "$ws/synth/index.csv" -name checkpoint.ckpt)" ]; then
      if [ -n "$SYNTH_PER_CLASS" ]; then
        say "$data/$recipe: synth --per-class $SYNTH_PER_CLASS"
        "$RAYSYNTH" --workspace "$ws" synth --per-class "$SYNTH_PER_CLASS" --max-per-real "$SYNTH_MAX_PER_REAL" --seed "$SEED" >&2
      else
        say "$data/$recipe: synth --balance"
        "$RAYSYNTH" --workspace "$ws" synth --balance --max-per-real "$SYNTH_MAX_PER_REAL" --seed "$SEED" >&2
      fi
    fi
    if [ ! -e "$ws/classifier/classifier.ckpt" ]; then
      say "$data/$recipe: train classifier (the privacy gate's classifier embedding)"
      "$RAYSYNTH" --workspace "$ws" train classifier --epochs "$EVAL_EPOCHS" >&2
    fi
    if [ ! -e "$ws/privacy/summary.json" ] || [ "$ws/privacy/summary.json" -ot "$ws/synth/index.csv" ]; then
      say "$data/$recipe: privacy gate (--filter, at most $MAX_ROUNDS rounds)"
      "$RAYSYNTH" --workspace "$ws" privacy --embedding pixel,classifier --filter --max-rounds "$MAX_ROUNDS" --json > "$ws/privacy-gate.json" || \
        say "$data/$recipe: the privacy gate did not pass (exit $?); evaluation continues on $SYNTHETIC"
    fi
    synthetic=$SYNTHETIC
    if [ "$synthetic" = auto ]; then
      synthetic=candidates
      jq -e '.passed' "$ws/privacy/summary.json" > /dev/null 2>&1 && synthetic=approved
      say "$data/$recipe: evaluating the $synthetic set (SYNTHETIC=auto)"
    fi
    gen=$ws
    if [ -n "$EVAL_NAME" ]; then # a variant: its own copy of the workspace, the same generators and sets
      ws=$gen-$EVAL_NAME
      [ -e "$ws/workspace.json" ] || cp -r "$gen/." "$ws/"
    fi
    mkdir -p "$ws/eval"
    say "$data/$recipe${EVAL_NAME:+/$EVAL_NAME}: evaluate ($REGIMES, $REPEATS repeats, $EVAL_EPOCHS epochs, synthetic: $synthetic${EVAL_FLAGS:+, $EVAL_FLAGS})"
    # shellcheck disable=SC2086 # EVAL_FLAGS is a list of flags
    "$RAYSYNTH" --workspace "$ws" evaluate --synthetic "$synthetic" --regimes "$REGIMES" --repeats "$REPEATS" \
      --epochs "$EVAL_EPOCHS" --seed "$SEED" $EVAL_FLAGS --json > "$ws/eval/report.json.tmp" && mv "$ws/eval/report.json.tmp" "$ws/eval/evaluate.json"
    if [ -n "${COMMIT:-}" ]; then
      dst=$RESULTS/$data/$recipe${EVAL_NAME:+-$EVAL_NAME}
      mkdir -p "$dst/grids"
      cp "$ws/eval/evaluate.json" "$dst/report.json"
      cp "$ws/eval/report.md" "$ws/eval/sensitivity.png" "$dst/"
      for d in "$gen"/gan/*/; do
        c=$(basename "$d")
        g=$(ls "$d"samples/epoch-*.png 2>/dev/null | sort -V | tail -n 1)
        [ -n "$g" ] && cp "$g" "$dst/grids/$c.png"
        cp "$d/summary.json" "$dst/grids/$c-summary.json"
      done
      [ -e "$gen/privacy/summary.json" ] && cp "$gen/privacy/summary.json" "$dst/privacy-summary.json"
      say "results copied to $dst"
    fi
  done
done
say "done"
