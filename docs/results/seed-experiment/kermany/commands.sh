#!/usr/bin/env bash
# The command lines behind docs/results/seed-experiment/kermany/ (issue 13), 2026-12-04, run from
# the repository root with `make build`. On 2 shared cores the stages were run as separate
# processes in parallel (one per class, one per repeat); scripts/seed-experiment.sh runs the same
# stages one after another (CLASS_STEPS="virus=2400" SYNTH_PER_CLASS=1800 DATASETS=kermany
# RECIPES=augmented), and every stage resumes where it stopped.
set -euo pipefail
export OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=1
OUT=${1:-/tmp/raysynth-seed}
ws=$OUT/kermany-augmented
./raysynth ingest --workspace "$ws" --from ../shared/data/kermany_128/images --labels ../shared/data/kermany_128/labels.csv \
  --label-column subtype --keep virus=0.1 --size 64 --seed 1
# generators (the virus run was interrupted at its 1,800-step checkpoint and resumed with --steps 2400)
./raysynth --workspace "$ws" train gan --recipe augmented --classes virus --steps 2400 --batch 32 --seed 1
./raysynth --workspace "$ws" train gan --recipe augmented --classes normal --steps 1500 --batch 32 --seed 1
./raysynth --workspace "$ws" train gan --recipe augmented --classes bacteria --steps 1500 --batch 32 --seed 1
# the classifier whose embedding the privacy gate and ganscore use
./raysynth --workspace "$ws" train classifier --epochs 4
# real-only regimes (they need no synthetic set)
./raysynth --workspace "$ws" evaluate --regimes a,d,e --repeats 3 --epochs 4 --seed 1
# synthetic films of every class, and the privacy gate on them
./raysynth --workspace "$ws" synth --per-class 1800 --seed 1
./raysynth --workspace "$ws" privacy --embedding pixel,classifier --filter --max-rounds 5 --json
# regimes b and c, one process per repeat, then the report over all five (reusing every run)
for reg in b c; do for r in 1 2 3; do
  ./raysynth --workspace "$ws" evaluate --synthetic candidates --regimes $reg --repeats 3 --repeat $r --epochs 4 --seed 1 &
done; done; wait
./raysynth --workspace "$ws" evaluate --synthetic candidates --regimes a,b,c,d,e --repeats 3 --epochs 4 --seed 1 --json > report.json
# the variant of (b): at most one synthetic film per real one, then oversampling (a copy of the workspace)
cp -r "$ws" "$ws-o1"
./raysynth --workspace "$ws-o1" evaluate --synthetic candidates --regimes a,b,d,e --repeats 3 --epochs 4 --seed 1 \
  --synthetic-per-real 1 --b-rebalance oversample --json > o1-report.json
# the plain DCGAN's virus generator, and both virus generators scored (go build -o ganscore ./cmd/ganscore)
cp -r "$OUT/kermany-augmented" "$OUT/kermany-dcgan" # before any train gan: the same ingest
./raysynth --workspace "$OUT/kermany-dcgan" train gan --recipe dcgan --classes virus --steps 1500 --batch 32 --seed 1
./ganscore -workspace "$ws" -class virus -checkpoint "$ws/gan/virus/checkpoint.ckpt" -weights last -samples 500 -label augmented-last
./ganscore -workspace "$ws" -class virus -checkpoint "$OUT/kermany-dcgan/gan/virus/checkpoint.ckpt" -weights last -samples 500 -label dcgan-last
