#!/usr/bin/env bash
# The command lines behind docs/results/seed-experiment/nih/ (issue 13), 2026-12-04, run from the
# repository root with a binary built there:
#   go build -tags "openblas dnnl openjpeg charls gdcmjpeg" -o raysynth ./cmd/raysynth
#   go build -tags "openblas dnnl openjpeg charls gdcmjpeg" -o ganscore ./cmd/ganscore
# Every stage ran one process at a time under `setsid nice -n 10`, through
# scripts/seed-experiment.sh with these settings (it resumes where it stopped):
#   SHARED=../shared/data DATASETS=nih RECIPES=augmented GAN_STEPS=200 \
#   CLASS_STEPS="cardiomegaly=1000 atelectasis=400 effusion=250 infiltration=250" GAN_MIN_IMAGES=18 \
#   SYNTH_PER_CLASS=350 REPEATS=3 SYNTHETIC=auto scripts/seed-experiment.sh "$OUT"
# which runs the commands below. The step budgets were cut twice while the run went (the load
# average was 30-65 on 2 cores): the cardiomegaly generator (after a first start with --steps 2000,
# stopped at step 91 and deleted) was started with --steps 1500, stopped
# at its 200-step checkpoint and resumed with --steps 1000 (the step budget is not part of the
# checkpoint's settings; nothing else depends on it but the grid cadence); atelectasis was
# started with --steps 800 and restarted from scratch with --steps 400.
set -euo pipefail
export OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=1
OUT=${1:-/tmp/raysynth-seed}
ws=$OUT/nih-augmented
./raysynth ingest --workspace "$OUT/nih" --from ../shared/data/nih1000_64/images --labels ../shared/data/nih1000_64/labels.csv \
  --classes normal,effusion,infiltration,atelectasis,cardiomegaly --label-policy single --size 64 --seed 1
cp -r "$OUT/nih" "$ws" # the same ingest (same split) for every recipe
# generators, the class with the fewest train films first; cardiomegaly has 18 (under the default
# --min-images 20, hence --min-images 18 for every class)
./raysynth --workspace "$ws" train gan --recipe augmented --classes cardiomegaly --steps 1000 --batch 32 --min-images 18 --seed 1
./raysynth --workspace "$ws" train gan --recipe augmented --classes atelectasis --steps 400 --batch 32 --min-images 18 --seed 1
./raysynth --workspace "$ws" train gan --recipe augmented --classes effusion --steps 250 --batch 32 --min-images 18 --seed 1
./raysynth --workspace "$ws" train gan --recipe augmented --classes infiltration --steps 250 --batch 32 --min-images 18 --seed 1
./raysynth --workspace "$ws" train gan --recipe augmented --classes normal --steps 200 --batch 32 --min-images 18 --seed 1
# synthetic films of every class, the classifier whose embedding the gate uses, the gate
./raysynth --workspace "$ws" synth --per-class 350 --seed 1
./raysynth --workspace "$ws" train classifier --epochs 4
./raysynth --workspace "$ws" privacy --embedding pixel,classifier --filter --max-rounds 5 --json > "$ws/privacy-gate.json"
# all five regimes, 3 repeats; SYNTHETIC=auto chose the candidates because the gate failed
# (approved if it had passed)
./raysynth --workspace "$ws" evaluate --synthetic candidates --regimes a,b,c,d,e --repeats 3 --epochs 4 --seed 1 --json > report.json
# the plain DCGAN's cardiomegaly generator at the same steps (a copy of the ingest, before any
# train gan), and both cardiomegaly generators scored in the augmented workspace's classifier
# embedding against the 8 cardiomegaly holdout films
cp -r "$OUT/nih" "$OUT/nih-dcgan"
./raysynth --workspace "$OUT/nih-dcgan" train gan --recipe dcgan --classes cardiomegaly --steps 1000 --batch 32 --min-images 18 --seed 1
./ganscore -workspace "$ws" -class cardiomegaly -checkpoint "$ws/gan/cardiomegaly/checkpoint.ckpt" -weights last -samples 500 -label augmented-last
./ganscore -workspace "$ws" -class cardiomegaly -checkpoint "$OUT/nih-dcgan/gan/cardiomegaly/checkpoint.ckpt" -weights last -samples 500 -label dcgan-last
