#!/usr/bin/env bash
# The command lines behind docs/results/seed-experiment/nih/ (issue 13), third session,
# 2026-12-04, run with binaries built from commit be45430 (main at the start of the run):
#   go build -tags "openblas dnnl openjpeg charls gdcmjpeg libpng" -o raysynth ./cmd/raysynth
#   go build -tags "openblas dnnl openjpeg charls gdcmjpeg libpng" -o ganscore ./cmd/ganscore
# (built without the Makefile's -ldflags, so the summaries say "code_version": "dev (commit unknown)").
# Every long stage ran through the session's CPU-slot wrapper (one core, `nice -n 10`), fp32
# (--precision auto), OPENBLAS_NUM_THREADS=1. The augmented pipeline is scripts/seed-experiment.sh
# with these settings (it resumes where it stopped):
#   SHARED=../shared/data DATASETS=nih RECIPES=augmented GAN_STEPS=1000 \
#   CLASS_STEPS="cardiomegaly=1500 atelectasis=1500 effusion=1200 infiltration=1200" GAN_MIN_IMAGES=18 \
#   SYNTH_PER_CLASS=350 REPEATS=3 SYNTHETIC=auto scripts/seed-experiment.sh "$OUT"
# which runs the commands below, one at a time.
set -euo pipefail
export OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=1
OUT=${1:-/tmp/raysynth-seed}
ws=$OUT/nih-augmented
./raysynth ingest --workspace "$OUT/nih" --from ../shared/data/nih1000_64/images --labels ../shared/data/nih1000_64/labels.csv \
  --classes normal,effusion,infiltration,atelectasis,cardiomegaly --label-policy single --size 64 --seed 1
cp -r "$OUT/nih" "$ws" # the same ingest (same split) for every recipe
# generators, the class with the fewest train films first; cardiomegaly has 18 (under the default
# --min-images 20, hence --min-images 18 for every class); the smaller the class, the more steps
./raysynth --workspace "$ws" train gan --recipe augmented --classes cardiomegaly --steps 1500 --batch 32 --min-images 18 --seed 1
./raysynth --workspace "$ws" train gan --recipe augmented --classes atelectasis --steps 1500 --batch 32 --min-images 18 --seed 1
./raysynth --workspace "$ws" train gan --recipe augmented --classes effusion --steps 1200 --batch 32 --min-images 18 --seed 1
./raysynth --workspace "$ws" train gan --recipe augmented --classes infiltration --steps 1200 --batch 32 --min-images 18 --seed 1
./raysynth --workspace "$ws" train gan --recipe augmented --classes normal --steps 1000 --batch 32 --min-images 18 --seed 1
# synthetic films of every class, the classifier whose embedding the gate uses, the gate
./raysynth --workspace "$ws" synth --per-class 350 --max-per-real 0 --seed 1
./raysynth --workspace "$ws" train classifier --epochs 4
./raysynth --workspace "$ws" privacy --embedding pixel,classifier --filter --max-rounds 5 --json > "$ws/privacy-gate.json"
# all five regimes, 3 repeats; SYNTHETIC=auto chose the candidates because the gate failed
# (exit 3; it would have chosen the approved set had the gate passed)
./raysynth --workspace "$ws" evaluate --synthetic candidates --regimes a,b,c,d,e --repeats 3 --epochs 4 --seed 1 --json > report.json
# the plain DCGAN's generators of the two rarest classes at the same steps (a copy of the ingest,
# before any train gan), and every rare-class generator scored in the augmented workspace's
# classifier embedding against that class's holdout films
# (each class in its own copy: the two ran as separate jobs, the second while a CPU slot was free)
cp -r "$OUT/nih" "$OUT/nih-dcgan"
cp -r "$OUT/nih" "$OUT/nih-dcgan-atel"
./raysynth --workspace "$OUT/nih-dcgan" train gan --recipe dcgan --classes cardiomegaly --steps 1500 --batch 32 --min-images 18 --seed 1
./raysynth --workspace "$OUT/nih-dcgan-atel" train gan --recipe dcgan --classes atelectasis --steps 1500 --batch 32 --min-images 18 --seed 1
# ganscore.tsv: every augmented generator with its last and its EMA weights, the two DCGANs
for c in cardiomegaly atelectasis effusion infiltration normal; do
  for w in last ema; do
    ./ganscore -workspace "$ws" -class $c -checkpoint "$ws/gan/$c/checkpoint.ckpt" -weights $w -samples 500 -label "$c"$'\taugmented\t'"$w"
  done
done
./ganscore -workspace "$ws" -class cardiomegaly -checkpoint "$OUT/nih-dcgan/gan/cardiomegaly/checkpoint.ckpt" -weights last -samples 500 -label $'cardiomegaly\tdcgan\tlast'
./ganscore -workspace "$ws" -class atelectasis -checkpoint "$OUT/nih-dcgan-atel/gan/atelectasis/checkpoint.ckpt" -weights last -samples 500 -label $'atelectasis\tdcgan\tlast'
# the steps lever for the rare class (cardiomegaly-600/): a copy of the augmented workspace after
# its gate (same generators and classifier), cardiomegaly retrained for 600 steps, same synth
# and gate
cp -r "$ws" "$ws-c600" && rm -rf "$ws-c600/eval" "$ws-c600/privacy" "$ws-c600/synth"
./raysynth --workspace "$ws-c600" train gan --recipe augmented --classes cardiomegaly --steps 600 --batch 32 --min-images 18 --seed 1 --restart
./raysynth --workspace "$ws-c600" synth --per-class 350 --max-per-real 0 --seed 1
./raysynth --workspace "$ws-c600" privacy --embedding pixel,classifier --filter --max-rounds 5 --json > "$ws-c600/privacy-gate.json" || true
./ganscore -workspace "$ws-c600" -class cardiomegaly -checkpoint "$ws-c600/gan/cardiomegaly/checkpoint.ckpt" -weights last -samples 500 -label $'cardiomegaly\taugmented-600\tlast'
